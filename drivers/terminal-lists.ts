/**
 * Judging a terminal's card blacklist (黑名单下载 0800 60.3 390 / end 391) and contactless parameter
 * (非接参数 0800 394 / end 395) downloads from the host journal, and its refusal of a blacklisted
 * card. Pure: the caller hands in the scenario's messages (in order) and screens. A conformant
 * blacklist download is a request from 0 (F62 "1000"), the pages until the last, then the end; the
 * contactless download a 394 then its 395; no MAC on any (cup8583.md §3.1, as the catalogue says).
 * A blacklisted card is refused at the terminal: no financial request carries it, a screen says it
 * is refused (restricted, blacklisted or only refused: wordings differ, judged by meaning), nothing is approved.
 */
import { maskPan } from '../crypto';
import { listDownloadKind, transactionSpec, type TerminalListKind, type TransactionKind } from '../protocol/iso8583';
import { financialRequests, type HostMessage } from './host-view';
import { macProblem } from './ic-parameters';

const KINDS: Readonly<Record<TerminalListKind, { download: TransactionKind; end: TransactionKind; name: string }>> = {
  blacklist: { download: listDownloadKind('blacklist', 'download'), end: listDownloadKind('blacklist', 'end'), name: 'card blacklist (黑名单)' },
  contactless: {
    download: listDownloadKind('contactless', 'download'),
    end: listDownloadKind('contactless', 'end'),
    name: 'contactless parameter (非接参数)',
  },
};

const codeOf = (k: TransactionKind) => `${transactionSpec(k).mti} 60.3 ${transactionSpec(k).networkCode}`;

/** Problems with the last download of a list (empty: downloaded completely, then ended, no MAC). */
export function judgeListDownload(messages: readonly HostMessage[], list: TerminalListKind): string[] {
  const k = KINDS[list];
  const requests = messages.filter((m) => m.direction === 'in');
  const downloads = requests.filter((m) => m.kind === k.download);
  if (downloads.length === 0) return [`no ${k.name} download (${codeOf(k.download)}) reached the host`];
  const problems: string[] = [];
  // The last download: from the last request from 0 on (a blacklist request's F62 is "1" + count received).
  const fromZero = Buffer.from('1000').toString('hex').toUpperCase();
  const start =
    list === 'blacklist'
      ? ([...downloads].reverse().find((m) => m.fields[62] === fromZero) ?? downloads[downloads.length - 1])
      : downloads[downloads.length - 1];
  if (list === 'blacklist' && start.fields[62] !== fromZero)
    problems.push(`the ${k.name} download did not start from the first entry (F62 "1000"), its request carries ${start.fields[62] ?? 'no F62'}`);
  const replies = messages.filter((m) => m.direction === 'out' && m.kind === k.download && m.id >= start.id);
  const incomplete = replies.find((m) => m.responseCode !== '00');
  if (incomplete) problems.push(`the host answered a ${k.name} download ${incomplete.responseCode ?? '(no F39)'}`);
  const after = requests.filter((m) => m.id >= start.id);
  const lastDownload = after.filter((m) => m.kind === k.download).pop()!;
  if (list === 'blacklist') {
    // The last page the host sent says whether more followed (control byte "2"): the terminal must have asked for them.
    const lastPage = replies[replies.length - 1]?.fields[62];
    if (lastPage?.startsWith('32')) problems.push(`the terminal stopped before the last ${k.name} page (the host's last reply said more follow)`);
  }
  if (!after.some((m) => m.kind === k.end && m.id > lastDownload.id)) problems.push(`no ${k.name} end (${codeOf(k.end)}) after its download`);
  for (const m of after.filter((x) => x.kind === k.download || x.kind === k.end)) {
    const p = macProblem(m);
    if (p) problems.push(p);
  }
  return problems;
}

/**
 * Problems unless the list was downloaded between the first request of a kind in the messages and the
 * last one: the first one's reply asked for it (header digit 6 = 7 / 9, §1.1; the host keeps asking
 * until the list is in), so the terminal must have the list before it takes its next transaction, as a
 * reply's digit 4 / 5 makes it load the IC lists before its next chip read (CUP-ONB-016).
 */
export function judgeListLoadedBetween(messages: readonly HostMessage[], list: TerminalListKind, kind: TransactionKind): string[] {
  const k = KINDS[list];
  const of = messages.filter((m) => m.direction === 'in' && m.kind === kind);
  if (of.length < 2)
    return [`${of.length} ${kind} request(s) reached the host: two are needed, the one whose reply asks for the ${k.name} and the next`];
  const [first, last] = [of[0], of[of.length - 1]];
  const ended = messages.some((m) => m.direction === 'in' && m.kind === k.end && m.id > first.id && m.id < last.id);
  if (ended) return [];
  const later = messages.some((m) => m.direction === 'in' && m.kind === k.end && m.id > last.id);
  return [
    `no ${k.name} download ended (${codeOf(k.end)}) between the ${kind} whose reply asked for it (STAN ${first.stan ?? '?'}) and the next ${kind} request (STAN ${last.stan ?? '?'})` +
      (later ? ': it came only after that request' : ''),
  ];
}

/**
 * Wordings that say the card is refused (Chinese and English screens). cup8583.md gives no display
 * for a blacklisted card, so a conformant terminal may say it is restricted / blacklisted or only that
 * the card is refused; what every terminal must do is refuse it at the terminal (nothing online, no
 * approval shown) and say so.
 */
export const BLACKLISTED_CARD_WORDINGS: readonly string[] = [
  '受限制的卡',
  '拒绝',
  '不允许',
  '不能使用',
  '无效卡',
  'DECLINED',
  'REFUSED',
  'NOT ALLOWED',
  'INVALID CARD',
  '黑名单',
  '此卡已列入黑名单',
  '此卡为黑名单卡',
  '限制卡',
  'RESTRICTED CARD',
  'BLACKLIST',
  'BLACK LIST',
  'HOT CARD',
  'CARD BLOCKED',
];

const APPROVED_WORDINGS = ['交易成功', 'APPROVED'];

function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】]/g, '').toUpperCase();
}

/** What a case observed of a transaction attempted with a blacklisted card. */
export interface BlacklistedCardAttempt {
  messages: readonly HostMessage[];
  /** When the attempt began (ms epoch). */
  startedAt: number;
  screens: ReadonlyArray<readonly string[]>;
  /** The blacklisted card's number (only its masked form is compared and printed). */
  pan: string;
}

/** Problems with the attempt: it must be refused at the terminal, saying why, with nothing sent for the card. */
export function judgeBlacklistedCardRefused(o: BlacklistedCardAttempt): string[] {
  const problems: string[] = [];
  const masked = maskPan(o.pan);
  // The attempt is the only transaction from startedAt: any financial request since is its card's.
  const sent = financialRequests(o.messages.filter((m) => Date.parse(m.at) >= o.startedAt));
  if (sent.length)
    problems.push(
      `the host received ${sent.map((m) => `${m.kind} (STAN ${m.stan ?? '?'}, card ${m.fields[2] ?? 'in track 2'})`).join(', ')}: a card on the downloaded blacklist (${masked}) is refused at the terminal, nothing goes online`,
    );
  if (!o.screens.some((lines) => BLACKLISTED_CARD_WORDINGS.some((w) => normalise(lines.join('')).includes(normalise(w)))))
    problems.push(`no screen said the card is refused (one of: ${BLACKLISTED_CARD_WORDINGS.join(' / ')})`);
  if (o.screens.some((lines) => APPROVED_WORDINGS.some((w) => normalise(lines.join('')).includes(normalise(w)))))
    problems.push(`a screen showed the transaction approved with the blacklisted card ${masked}`);
  return problems;
}
