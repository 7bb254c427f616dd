/**
 * Judging a terminal's IC parameter and public-key downloads (cup8583.md §3.5) from the host journal,
 * and its refusal of a chip read without them. Pure: the caller hands in the scenario's messages (in
 * order) and the host's lists. A conformant download of a list is a query (0820 372 / 382), a
 * download of every entry of the host's list (0800 370 / 380, F62 naming it), then the end (0800
 * 371 / 381), each with or without a MAC as the catalogue says. Terminals word the refusal
 * differently, so it is judged by meaning: any of the known wordings. A chip sale made while the
 * acquirer's new lists cannot be downloaded is judged by what the terminal declares it does with the
 * superseded ones (profile supersededIcLists): the reference allows not using them and using them
 * until replaced, never a silent magstripe fallback.
 */
import { parseItemRequest, transactionSpec, type IcListKind, type TransactionKind } from '../protocol/iso8583';
import type { TerminalProfile } from '../protocol/ttp/profile';
import { entryMode, financialRequests, type HostMessage } from './host-view';

/** What a host's list holds, as the download requests name the entries. */
export interface IcListsExpected {
  capks: ReadonlyArray<{ rid: string; index: string }>;
  aids: readonly string[];
}

const KINDS: Readonly<Record<IcListKind, { query: TransactionKind; download: TransactionKind; end: TransactionKind; name: string }>> = {
  capk: { query: 'capk-query', download: 'capk-download', end: 'capk-download-end', name: 'IC public key (CAPK)' },
  aid: { query: 'ic-parameter-query', download: 'ic-parameter-download', end: 'ic-parameter-download-end', name: 'IC parameter (AID)' },
};

const IC_NETWORK_QUERY_CODES = Object.values(KINDS)
  .map((k) => transactionSpec(k.query).networkCode)
  .join(' / ');

/** Every request kind of the two downloads. */
export const IC_DOWNLOAD_REQUEST_KINDS: readonly TransactionKind[] = Object.values(KINDS).flatMap((k) => [k.query, k.download, k.end]);

export interface IcDownloadVerdict {
  ok: boolean;
  problems: string[];
  /** Id of the last end message of the lists judged (to order the download against later requests). */
  lastEndId?: number;
}

function entryKey(list: IcListKind, f62hex: string | undefined): string | undefined {
  if (!f62hex) return undefined;
  try {
    const e = parseItemRequest(list, Buffer.from(f62hex, 'hex'));
    return e.kind === 'aid' ? e.aid : `${e.rid}/${e.index}`;
  } catch {
    return undefined;
  }
}

/** MAC as the dialect requires of the kind (§3.1 via the catalogue's must / mustNot). */
export function macProblem(m: HostMessage): string | undefined {
  if (m.kind === 'unknown') return undefined;
  const { must, mustNot } = transactionSpec(m.kind).fields;
  const has = m.fields[64] !== undefined;
  if (mustNot.includes(64) && has) return `${m.kind} (STAN ${m.stan ?? '?'}) carries a MAC; the dialect sends none on it (cup8583.md §3.1)`;
  if (must.includes(64) && !has) return `${m.kind} (STAN ${m.stan ?? '?'}) carries no MAC; the dialect requires one (cup8583.md §3.1)`;
  return undefined;
}

/**
 * Did the terminal download the given lists completely (the last download of each: query, every
 * entry, end after them), with MACs as the dialect requires?
 */
export function judgeIcDownload(
  messages: readonly HostMessage[],
  expected: IcListsExpected,
  lists: readonly IcListKind[] = ['capk', 'aid'],
): IcDownloadVerdict {
  const problems: string[] = [];
  const requests = messages.filter((m) => m.direction === 'in');
  let lastEndId: number | undefined;
  for (const list of lists) {
    const k = KINDS[list];
    const want = list === 'aid' ? [...expected.aids] : expected.capks.map((c) => `${c.rid}/${c.index}`);
    const queries = requests.filter((m) => m.kind === k.query);
    if (queries.length === 0) {
      problems.push(`no ${k.name} query (${transactionSpec(k.query).mti} 60.3 ${transactionSpec(k.query).networkCode}) reached the host`);
      continue;
    }
    // The last download: from the last query from 0 (F62 "100") on.
    const start =
      [...queries].reverse().find((q) => q.fields[62] === Buffer.from('100').toString('hex').toUpperCase()) ?? queries[queries.length - 1];
    const after = requests.filter((m) => m.id >= start.id);
    const fetched = after.filter((m) => m.kind === k.download);
    const got = new Set(fetched.map((m) => entryKey(list, m.fields[62])).filter((x): x is string => x !== undefined));
    const missing = want.filter((w) => !got.has(w));
    if (missing.length)
      problems.push(`the ${k.name} download fetched ${got.size} of the host's ${want.length} entries; not fetched: ${missing.join(', ')}`);
    const end = after.find((m) => m.kind === k.end && m.id > Math.max(start.id, ...fetched.map((f) => f.id)));
    if (!end) problems.push(`no ${k.name} end (${transactionSpec(k.end).mti} 60.3 ${transactionSpec(k.end).networkCode}) after its downloads`);
    else lastEndId = Math.max(lastEndId ?? 0, end.id);
    for (const m of after.filter((x) => x.kind === k.query || x.kind === k.download || x.kind === k.end)) {
      const p = macProblem(m);
      if (p) problems.push(p);
    }
  }
  return { ok: problems.length === 0, problems, ...(lastEndId !== undefined ? { lastEndId } : {}) };
}

/** Wordings that say the terminal holds no IC parameters / public keys (Chinese and English screens). */
export const NO_IC_PARAMETER_WORDINGS: readonly string[] = [
  'IC卡参数未下载',
  'IC参数未下载',
  '请先下载IC卡参数',
  '请下载IC卡参数',
  '请先下载IC参数',
  '无IC卡参数',
  '缺少IC卡参数',
  'IC卡参数不存在',
  '未下载IC卡参数',
  '公钥未下载',
  '请下载公钥',
  '无AID',
  'AID未下载',
  'NO IC PARAMETERS',
  'NO IC PARAMETER',
  'IC PARAMETERS NOT LOADED',
  'NO EMV PARAMETERS',
  'EMV PARAMETERS NOT LOADED',
  'NO AID',
  'NO CAPK',
];

function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】]/g, '').toUpperCase();
}

/** The no-IC-parameters wording a screen shows, or undefined. */
export function noIcParameterWordingOn(lines: readonly string[]): string | undefined {
  const screen = normalise(lines.join(''));
  return NO_IC_PARAMETER_WORDINGS.find((w) => screen.includes(normalise(w)));
}

/** What a case observed of a chip sale made while the host refused the new IC lists' download. */
export interface SaleOnSupersededIcLists {
  /** The scenario's host messages, oldest first. */
  messages: readonly HostMessage[];
  /** When the sale began (ms epoch): requests the host received from then on belong to it. */
  saleStartedAt: number;
  /** Lines of every screen shown since the sale began. */
  screens: ReadonlyArray<readonly string[]>;
}

const APPROVED_WORDINGS = ['交易成功', 'APPROVED'];
const IC_QUERY_KINDS: readonly TransactionKind[] = [KINDS.capk.query, KINDS.aid.query];

function panEntryOf(m: HostMessage): string {
  try {
    return entryMode(m)?.panEntry ?? '(no F22)';
  } catch {
    return `F22 ${m.fields[22]}`;
  }
}

/**
 * Problems with a chip sale made while the acquirer's new IC lists cannot be downloaded, judged by
 * the declared `supersededIcLists`. 'not-used': the chip read is refused, saying the IC parameters
 * are missing, nothing financial goes to the host and nothing is approved. 'used-until-replaced':
 * the download was tried again (an IC list query reached the host) after the sale began and before
 * its request, and the sale went to the host as a chip sale (F22 05x with F55). Either way no
 * financial request of the sale was made by magstripe or as a fallback.
 */
export function judgeSaleOnSupersededIcLists(declared: TerminalProfile['supersededIcLists'], o: SaleOnSupersededIcLists): string[] {
  const problems: string[] = [];
  const since = o.messages.filter((m) => m.direction === 'in' && Date.parse(m.at) >= o.saleStartedAt);
  const financial = financialRequests(since);
  for (const m of financial) {
    const entry = panEntryOf(m);
    if (entry === 'magstripe' || entry === 'fallback')
      problems.push(
        `the ${m.kind} (STAN ${m.stan ?? '?'}) went by ${entry} (F22 ${m.fields[22]}): a chip card the terminal would not read on its IC lists fell back to the magnetic stripe`,
      );
  }
  if (declared === 'not-used') {
    if (!o.screens.some((lines) => noIcParameterWordingOn(lines) !== undefined)) {
      problems.push(`no screen said the IC parameters are missing (one of: ${NO_IC_PARAMETER_WORDINGS.join(' / ')})`);
    }
    if (financial.length)
      problems.push(
        `the host received ${financial.map((m) => `${m.kind} (STAN ${m.stan ?? '?'})`).join(', ')}: a terminal that does not use superseded IC lists sends nothing until the new ones are in`,
      );
    if (o.screens.some((lines) => APPROVED_WORDINGS.some((w) => normalise(lines.join('')).includes(normalise(w))))) {
      problems.push('a screen showed the sale approved: the chip was read without current IC lists');
    }
    return problems;
  }
  const sale = financial.find((m) => m.kind === 'sale');
  if (!sale) {
    problems.push('the host received no sale: a terminal that uses its previous IC lists until they are replaced reads the chip and sends the sale');
    return problems;
  }
  if (!since.some((m) => IC_QUERY_KINDS.includes(m.kind as TransactionKind) && m.id < sale.id)) {
    problems.push(
      `no IC list query (0820 60.3 ${IC_NETWORK_QUERY_CODES}) reached the host between the start of the sale and its request (STAN ${sale.stan ?? '?'}): the chip was read on superseded lists without trying the new ones again`,
    );
  }
  const entry = panEntryOf(sale);
  if (entry !== 'contact' || sale.fields[55] === undefined) {
    problems.push(`the sale (STAN ${sale.stan ?? '?'}) is not a chip sale: entry ${entry}${sale.fields[55] === undefined ? ', no F55' : ''}`);
  }
  return problems;
}
