/**
 * Field 62 of the card blacklist download (黑名单下载 0800 60.3 390, end 391) and of the contactless
 * (QuickPass) parameter download (非接业务参数 0800 394, end 395), cup8583.md §2.4 / §3.1. The
 * reference names the messages and the header digits that ask for them (§1.1: 7 卡BIN黑名单下载,
 * 9 非接业务参数下载) but gives no F62 layout, so the layout here is poscert's, built like §3.5:
 * - 390 request: "1" + 3-digit count of entries already received; reply: control byte ('2' more
 *   follow, '1' last page) + entries, each 1 byte (number of digits) + the card number in packed
 *   BCD padded with F. BCD keeps the card numbers findable (and masked) in journal hex.
 * - 394 reply: "1" + TLVs DF51 no-PIN enabled (01/00), DF52 no-PIN limit n12, DF53 no-signature
 *   enabled, DF54 no-signature limit n12 (fen, BCD).
 * Pure: host and emulator both speak it from here.
 */
import { decodeTlv, encodeTlv, findTag } from '../tlv';
import { listDownloadKind, transactionSpec } from './catalogue';
import { FieldContentError } from './errors';

/** The two downloads: the card blacklist (header digit 7) and the contactless parameters (digit 9). */
export type TerminalListKind = 'blacklist' | 'contactless';
export const TERMINAL_LIST_KINDS: readonly TerminalListKind[] = ['blacklist', 'contactless'];

/** 60.3 of each download's messages (§2.4), as the transaction catalogue has them. */
export const TERMINAL_LIST_NETWORK_CODES: Readonly<Record<TerminalListKind, { download: string; end: string }>> = {
  blacklist: networkCodesOf('blacklist'),
  contactless: networkCodesOf('contactless'),
};

function networkCodesOf(list: TerminalListKind): { download: string; end: string } {
  const code = (step: 'download' | 'end') => transactionSpec(listDownloadKind(list, step)).networkCode!;
  return { download: code('download'), end: code('end') };
}

/** Header digit 6 (处理要求, §1.1) asking for each: 7 卡BIN黑名单下载 (NLH), 9 非接业务参数下载 (BP host). */
export const TERMINAL_LIST_REQUIREMENT_DIGITS: Readonly<Record<TerminalListKind, string>> = { blacklist: '7', contactless: '9' };

/** A blacklist page stays under this many bytes (F62 is b...512, §2.2). */
const PAGE_BYTES = 400;
const MORE_FOLLOWS = '2';
const LAST_PAGE = '1';

function f62Error(what: string, detail: string, context: Record<string, unknown> = {}): FieldContentError {
  return new FieldContentError(62, `${what}: ${detail}`, context);
}
const BLACKLIST = 'card blacklist download (60.3 390)';
const CONTACTLESS = 'contactless parameter download (60.3 394)';

/** 390 request F62: "1" + 3-digit count of entries already received. */
export function encodeBlacklistRequest(received: number): Buffer {
  if (!Number.isInteger(received) || received < 0 || received > 999) throw f62Error(BLACKLIST, `received count must be 0..999, got ${received}`);
  return Buffer.from(`1${String(received).padStart(3, '0')}`, 'latin1');
}

/** The count a 390 request says the terminal already holds. */
export function parseBlacklistRequest(f62: Buffer | undefined): number {
  const s = f62?.toString('latin1') ?? '';
  if (!/^1\d{3}$/.test(s)) throw f62Error(BLACKLIST, `the request carries "1" + 3 digits (entries already received), got ${JSON.stringify(s)}`);
  return Number(s.slice(1));
}

function checkPan(pan: string): void {
  if (!/^\d{12,19}$/.test(pan)) throw f62Error(BLACKLIST, `a blacklist entry is a card number of 12..19 digits, got ${pan.length} characters`);
}

/** 390 reply F62 for a terminal that already received `received` entries: control byte + as many entries as fit. */
export function encodeBlacklistPage(pans: readonly string[], received: number): Buffer {
  if (received > pans.length) throw f62Error(BLACKLIST, `the terminal says it received ${received} entries of a list of ${pans.length}`);
  const parts: Buffer[] = [];
  let size = 1;
  let i = received;
  for (; i < pans.length; i++) {
    checkPan(pans[i]);
    const digits = pans[i].length % 2 ? `${pans[i]}F` : pans[i];
    const entry = Buffer.concat([Buffer.from([pans[i].length]), Buffer.from(digits, 'hex')]);
    if (parts.length > 0 && size + entry.length > PAGE_BYTES) break;
    parts.push(entry);
    size += entry.length;
  }
  return Buffer.concat([Buffer.from(i < pans.length ? MORE_FOLLOWS : LAST_PAGE, 'latin1'), ...parts]);
}

/** A 390 reply's page: whether more follow, and its card numbers. */
export function parseBlacklistPage(f62: Buffer | undefined): { more: boolean; pans: string[] } {
  if (!f62 || f62.length === 0) throw f62Error(BLACKLIST, 'the reply carries a control byte and the entries, F62 is empty');
  const control = f62.toString('latin1', 0, 1);
  if (control !== MORE_FOLLOWS && control !== LAST_PAGE)
    throw f62Error(BLACKLIST, `the reply starts with "1" (last page) or "2" (more follow), got ${JSON.stringify(control)}`);
  const pans: string[] = [];
  for (let at = 1; at < f62.length;) {
    const n = f62[at];
    const bytes = Math.ceil(n / 2);
    if (n < 12 || n > 19 || at + 1 + bytes > f62.length)
      throw f62Error(BLACKLIST, `entry ${pans.length + 1} at byte ${at}: length ${n} is not 12..19 digits or runs past F62`, {
        entry: pans.length + 1,
      });
    const pan = f62
      .subarray(at + 1, at + 1 + bytes)
      .toString('hex')
      .toUpperCase()
      .slice(0, n);
    if (!/^\d+$/.test(pan)) throw f62Error(BLACKLIST, `entry ${pans.length + 1} is not BCD digits`, { entry: pans.length + 1 });
    pans.push(pan);
    at += 1 + bytes;
  }
  return { more: control === MORE_FOLLOWS, pans };
}

/** The QuickPass (小额免密免签) parameters a 394 reply carries; a limit applies only when its flag is on. */
export interface ContactlessParameters {
  readonly noPinEnabled: boolean;
  readonly noPinLimitFen: number;
  readonly noSignatureEnabled: boolean;
  readonly noSignatureLimitFen: number;
}

const n12 = (fen: number) => Buffer.from(String(fen).padStart(12, '0'), 'hex');

/** 394 reply F62: "1" + DF51..DF54. */
export function encodeContactlessReply(p: ContactlessParameters): Buffer {
  for (const [k, v] of [
    ['noPinLimitFen', p.noPinLimitFen],
    ['noSignatureLimitFen', p.noSignatureLimitFen],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v > 999999999999) throw f62Error(CONTACTLESS, `${k} must be 0..999999999999 fen, got ${v}`);
  return Buffer.concat([
    Buffer.from('1', 'latin1'),
    encodeTlv([
      { tag: 'DF51', value: Buffer.from([p.noPinEnabled ? 1 : 0]) },
      { tag: 'DF52', value: n12(p.noPinLimitFen) },
      { tag: 'DF53', value: Buffer.from([p.noSignatureEnabled ? 1 : 0]) },
      { tag: 'DF54', value: n12(p.noSignatureLimitFen) },
    ]),
  ]);
}

/** The parameters of a 394 reply; throws when F62 is not "1" + the four tags. */
export function parseContactlessReply(f62: Buffer | undefined): ContactlessParameters {
  if (!f62 || f62.length === 0 || f62[0] !== 0x31)
    throw f62Error(
      CONTACTLESS,
      `the reply starts with "1" + the parameter TLVs, got ${f62 ? JSON.stringify(f62.toString('latin1', 0, 1)) : 'no F62'}`,
    );
  const nodes = decodeTlv(f62.subarray(1));
  const get = (tag: string, what: string, len: number): Buffer => {
    const n = findTag(nodes, tag);
    if (!n || n.value.length !== len) throw f62Error(CONTACTLESS, `${tag} (${what}, ${len} bytes) is ${n ? `${n.value.length} bytes` : 'missing'}`);
    return n.value;
  };
  const amount = (tag: string, what: string): number => {
    const digits = get(tag, what, 6).toString('hex');
    if (!/^\d{12}$/.test(digits)) throw f62Error(CONTACTLESS, `${tag} (${what}) is not n12 BCD: ${digits}`);
    return Number(digits);
  };
  return {
    noPinEnabled: get('DF51', 'no-PIN enabled', 1)[0] === 1,
    noPinLimitFen: amount('DF52', 'no-PIN limit'),
    noSignatureEnabled: get('DF53', 'no-signature enabled', 1)[0] === 1,
    noSignatureLimitFen: amount('DF54', 'no-signature limit'),
  };
}
