/**
 * Judging a terminal's IC parameter and public-key downloads (cup8583.md §3.5) from the host journal,
 * and its refusal of a chip read without them. Pure: the caller hands in the scenario's messages (in
 * order) and the host's lists. A conformant download of a list is a query (0820 372 / 382), a
 * download of every entry of the host's list (0800 370 / 380, F62 naming it), then the end (0800
 * 371 / 381), each with or without a MAC as the catalogue says. Terminals word the refusal
 * differently, so it is judged by meaning: any of the known wordings.
 */
import {
  parseItemRequest, transactionSpec, type IcListKind, type TransactionKind,
} from '../protocol/iso8583';
import type { HostMessage } from './host-view';

/** What a host's list holds, as the download requests name the entries. */
export interface IcListsExpected {
  capks: ReadonlyArray<{ rid: string; index: string }>;
  aids: readonly string[];
}

const KINDS: Readonly<Record<IcListKind, { query: TransactionKind; download: TransactionKind; end: TransactionKind; name: string }>> = {
  capk: { query: 'capk-query', download: 'capk-download', end: 'capk-download-end', name: 'IC public key (CAPK)' },
  aid: { query: 'ic-parameter-query', download: 'ic-parameter-download', end: 'ic-parameter-download-end', name: 'IC parameter (AID)' },
};

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
function macProblem(m: HostMessage): string | undefined {
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
export function judgeIcDownload(messages: readonly HostMessage[], expected: IcListsExpected, lists: readonly IcListKind[] = ['capk', 'aid']): IcDownloadVerdict {
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
    const start = [...queries].reverse().find((q) => q.fields[62] === Buffer.from('100').toString('hex').toUpperCase()) ?? queries[queries.length - 1];
    const after = requests.filter((m) => m.id >= start.id);
    const fetched = after.filter((m) => m.kind === k.download);
    const got = new Set(fetched.map((m) => entryKey(list, m.fields[62])).filter((x): x is string => x !== undefined));
    const missing = want.filter((w) => !got.has(w));
    if (missing.length) problems.push(`the ${k.name} download fetched ${got.size} of the host's ${want.length} entries; not fetched: ${missing.join(', ')}`);
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
  'IC卡参数未下载', 'IC参数未下载', '请先下载IC卡参数', '请下载IC卡参数', '请先下载IC参数', '无IC卡参数', '缺少IC卡参数', 'IC卡参数不存在',
  '未下载IC卡参数', '公钥未下载', '请下载公钥', '无AID', 'AID未下载',
  'NO IC PARAMETERS', 'NO IC PARAMETER', 'IC PARAMETERS NOT LOADED', 'NO EMV PARAMETERS', 'EMV PARAMETERS NOT LOADED', 'NO AID', 'NO CAPK',
];

function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】]/g, '').toUpperCase();
}

/** The no-IC-parameters wording a screen shows, or undefined. */
export function noIcParameterWordingOn(lines: readonly string[]): string | undefined {
  const screen = normalise(lines.join(''));
  return NO_IC_PARAMETER_WORDINGS.find((w) => screen.includes(normalise(w)));
}
