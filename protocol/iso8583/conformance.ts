/**
 * Message conformance: the rules every request a terminal sends must follow, judged from the message
 * alone (and, for F61 and reversals, from the original it refers to), as the host simulators used in
 * scheme certification validate every message. The per-kind field lists are the catalogue's
 * (`fields: {must, may, mustNot}`); the cross-field rules below come from cup8583.md, each finding
 * naming its rule id and section. Pure: messages in, findings out; no I/O, no clock.
 *
 * Messages are taken as a journal shows them (field number → display text: digits, text, upper-case
 * hex for binary fields, card data masked), so the same rules judge a captured sample (`wireMessageOf`)
 * and a run's host journal (drivers/message-conformance.ts).
 */
import { decodeF59Tags } from './private-fields';
import { cardOrganisationOfField63, parseField60, parseField61, UNKNOWN_CARD_ORGANISATION, type Field60 } from './fields';
import {
  identify,
  responseMtiOf,
  reversedKind,
  transactionSpec,
  TRANSACTION_CATALOGUE,
  type DownloadedList,
  type TransactionKind,
  type TransactionSpec,
} from './catalogue';
import { IC_REQUIREMENT_DIGITS } from './ic-parameters';
import { TERMINAL_LIST_REQUIREMENT_DIGITS } from './terminal-lists';
import { messageToJson } from './dump';
import { iccLengthProblems, iccValues, missingTags, onlineValueProblems, ONLINE_ICC_TAGS, REVERSAL_ICC_TAGS } from './icc-data';
import type { IsoMessage } from './message';

export type FindingSeverity = 'error' | 'warning';

export const CONFORMANCE_RULE_IDS = [
  'MSG-KIND',
  'MSG-MUST',
  'MSG-MUST-NOT',
  'MSG-UNUSED',
  'MSG-MAC',
  'MSG-F3-601',
  'MSG-F60',
  'MSG-F49',
  'MSG-CARD',
  'MSG-F22-F55',
  'MSG-F55',
  'MSG-F22-PIN',
  'MSG-F26-PIN',
  'MSG-F53-PIN',
  'MSG-F53-SCHEME',
  'MSG-F61',
  'MSG-REVERSAL',
  'MSG-LIST-REPEAT',
] as const;
export type ConformanceRuleId = (typeof CONFORMANCE_RULE_IDS)[number];

/** What each rule checks and where the reference says so (docs and evidence list them). */
export const CONFORMANCE_RULES: Readonly<Record<ConformanceRuleId, { title: string; section: string }>> = {
  'MSG-KIND': { title: 'MTI, F3, F25, 60.1 and 60.3 identify a transaction the dialect defines', section: '§3.1' },
  'MSG-MUST': { title: 'every field the kind must carry is present', section: '§3.2–3.10' },
  'MSG-MUST-NOT': { title: 'no field the kind must not carry is present', section: '§3.2–3.10' },
  'MSG-UNUSED': { title: 'no field the kind does not use (warning)', section: '§3.2–3.10' },
  'MSG-MAC': { title: 'F64 present exactly on the kinds that carry a MAC', section: '§3.1 (MAC column), §5.3' },
  'MSG-F3-601': { title: '60.1 agrees with F3', section: '§3.1, §2.4' },
  'MSG-F60': { title: "F60 decodes; 60.3 is the kind's; 60.4 + 60.5 on financial messages only", section: '§2.4' },
  'MSG-F49': { title: 'F49 is 156 (CNY)', section: '§2.2' },
  'MSG-CARD': {
    title:
      'the card data the entry mode implies is present (F35 magstripe, F2 manual, F2 or F35 chip), and none of another entry mode (F2 / F14 on a swipe, F36 on a chip read, F35 / F36 on keyed entry)',
    section: '§2.2, §2.3, §3.6',
  },
  'MSG-F22-F55': {
    title:
      'F55 present for a chip read (sale, balance, pre-auth), absent for magstripe, fallback and manual; 60.5 = 2 (fallback) only with a swipe entry mode',
    section: '§2.3, §2.4, §3.11',
  },
  'MSG-F55': {
    title:
      "F55 is BER-TLV; every EMV tag has its EMV length; an online chip request carries §3.11's mandatory tags, 9C = F3's first two digits, 9F02 = F4, 5F2A = F49, 9A a date, 9F27 an ARQC, 9F34 online PIN when a PIN block travels and, on a contact read, only then; a reversal carries §3.11's tags and its original's ATC (9F36)",
    section: '§3.11 (EMV Book 3 Annex A)',
  },
  'MSG-F22-PIN': { title: 'F22 third digit 1 exactly when a PIN block travels (F52 or F59 A1)', section: '§2.3' },
  'MSG-F26-PIN': { title: 'F26 present exactly when a PIN block travels', section: '§2.2 (F26), §3.6' },
  'MSG-F53-PIN': { title: 'F53 with a PIN block, 53.1 = 0 exactly when no PIN travels', section: '§5.4' },
  'MSG-F53-SCHEME': { title: "53.2 names the terminal's key scheme (0 DES, 6 3DES, 3 SM4)", section: '§5.4, §3.2' },
  'MSG-F61': {
    title: "F61 names an original of the right kind; F4, F37, F38, 61.3 and a refund's 63.1 (card organisation) agree with it",
    section: '§2.5, §2.6, §3.7',
  },
  'MSG-REVERSAL': { title: 'a reversal copies its original (F3, F4, F22, F25, 60.1, 60.2) with reason 98, A0 or 06', section: '§3.8' },
  'MSG-LIST-REPEAT': {
    title:
      'a list download (IC public keys, IC parameters, card blacklist, contactless parameters) is not started again on the connection that completed it unless a reply since that download began asked for that list (header digit 6)',
    section: '§1.1 (header digit 6), §3.2, §3.5',
  },
};

export interface ConformanceFinding {
  severity: FindingSeverity;
  rule: ConformanceRuleId;
  /** 'F22', '60.3', '61.2' … */
  field?: string;
  message: string;
  /** Where cup8583.md says so, e.g. 'cup8583.md §2.3'. */
  section: string;
}

/** A message as the journal shows it: field number → display text (binary fields as upper-case hex). */
export interface WireMessage {
  readonly mti: string;
  readonly fields: Readonly<Record<number, string | undefined>>;
}

/** One message of a terminal's traffic, oldest first; `in` = terminal → host. */
export interface TrafficMessage extends WireMessage {
  readonly direction: 'in' | 'out';
  readonly id?: number;
  /** The TCP connection it travelled on (the host's view of the peer, e.g. `ip:port`); undefined = not known. */
  readonly connection?: string;
  /** A reply's processing requirement, header digit 6 (§1.1); undefined = not known. */
  readonly requirement?: string;
}

/** The terminal's working-key scheme: single DES (60.3 001 sign-on), 3DES, SM4 (国密). */
export type ConformanceKeyScheme = 'des' | 'tdes' | 'sm4';

export interface MessageContext {
  /** The key scheme the terminal works under (declared, refined by its sign-on); undefined = not judged. */
  readonly keyScheme?: ConformanceKeyScheme;
  /** For a kind that references an original (F61) or a reversal: the traffic before this message. */
  readonly earlier?: readonly TrafficMessage[];
}

/** The display form of a decoded message (card data masked), for judging samples and unit tests. */
export function wireMessageOf(msg: IsoMessage): WireMessage {
  const json = messageToJson(msg);
  const fields: Record<number, string> = {};
  for (const [k, v] of Object.entries(json.fields)) fields[Number(k)] = v;
  return { mti: msg.mti, fields };
}

// ------------------------------------------------------------------------------------------ helpers

const IC_ENTRIES = new Set(['05', '07', '96', '98']);
const MAGSTRIPE_ENTRIES = new Set(['02', '80']);
/** Which entry modes a card-data field belongs to (cup8583.md §2.2, §3.6). */
const CARD_FIELD_RULE: Record<number, string> = {
  2: 'F2 is sent for manual entry and chip reads only, a magstripe PAN comes from F35 (§2.2, §3.6)',
  14: 'F14 is sent for manual entry and chip reads only (§2.2, §3.6)',
  35: 'F35 is track 2 data, of a swipe or a chip read (§2.2, §3.6)',
  36: 'F36 is track 3 data, of a swipe only (§3.6: for IC only F35)',
};
/** Kinds whose chip read runs GENERATE AC online, so F55 must travel (§3.11 "Online (balance / sale / pre-auth)"). */
const ARQC_KINDS = new Set<TransactionKind>(['sale', 'bill-payment', 'balance', 'preauth']);
/** Messages that copy or summarise an earlier one, where card / PIN consistency was judged on the original. */
const COPIES = new Set<TransactionKind>(['reversal', 'batch-upload', 'script-result']);
/** 60.1 of offline kinds the catalogue does not list (§3.1): all 000000. */
const OFFLINE_TYPES: Record<string, string[]> = { '30': ['000000'], '32': ['000000'], '34': ['000000'], '36': ['000000'] };
/** The reversal reasons a terminal sends in F39 (§3.8). */
const REVERSAL_REASONS = new Set(['98', 'A0', '06']);

/** 60.1 → the F3 values the catalogue pairs it with (one fact: the catalogue rows). */
function processingCodesByType(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const s of TRANSACTION_CATALOGUE) {
    if (s.transactionType === undefined || s.processingCode === undefined) continue;
    if (!out.has(s.transactionType)) out.set(s.transactionType, new Set());
    out.get(s.transactionType)!.add(s.processingCode);
  }
  for (const [t, codes] of Object.entries(OFFLINE_TYPES)) out.set(t, new Set(codes));
  return out;
}
const F3_BY_TYPE = processingCodesByType();

function present(m: WireMessage, n: number): boolean {
  const v = m.fields[n];
  return v !== undefined && v !== null;
}

function f60Of(m: WireMessage): Field60 | undefined {
  try {
    return m.fields[60] !== undefined ? parseField60(m.fields[60]!) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an encrypted PIN block travels: F52 other than all zeros (国密 terminals send zeros there), or F59 tag A1. */
export function carriesPinBlock(m: WireMessage): boolean {
  const f52 = m.fields[52];
  if (f52 !== undefined && !/^0+$/.test(f52)) return true;
  const f59 = m.fields[59];
  if (f59 === undefined) return false;
  try {
    return decodeF59Tags(f59).has('A1');
  } catch {
    return f59.startsWith('A1');
  }
}

function finding(severity: FindingSeverity, rule: ConformanceRuleId, message: string, field?: string): ConformanceFinding {
  return { severity, rule, ...(field ? { field } : {}), message, section: `cup8583.md ${CONFORMANCE_RULES[rule].section}` };
}

const F = (n: number) => `F${n}`;

// ------------------------------------------------------------------------------------------ rules

function fieldLists(spec: TransactionSpec, m: WireMessage, out: ConformanceFinding[]): void {
  const { must, may, mustNot } = spec.fields;
  for (const n of must) {
    if (n !== 64 && !present(m, n)) out.push(finding('error', 'MSG-MUST', `a ${spec.kind} must carry ${F(n)}`, F(n)));
  }
  for (const n of mustNot) {
    if (n !== 64 && present(m, n)) out.push(finding('error', 'MSG-MUST-NOT', `a ${spec.kind} must not carry ${F(n)}`, F(n)));
  }
  for (const key of Object.keys(m.fields)) {
    const n = Number(key);
    if (!present(m, n) || n === 64 || must.includes(n) || may.includes(n) || mustNot.includes(n)) continue;
    out.push(finding('warning', 'MSG-UNUSED', `a ${spec.kind} does not use ${F(n)}`, F(n)));
  }
  // MAC column of §3.1: F64 in `must` = MACed kind, in `mustNot` = never MACed.
  if (must.includes(64) && !present(m, 64)) out.push(finding('error', 'MSG-MAC', `a ${spec.kind} must carry a MAC (F64)`, 'F64'));
  if (mustNot.includes(64) && present(m, 64)) out.push(finding('error', 'MSG-MAC', `a ${spec.kind} carries no MAC, but F64 is present`, 'F64'));
}

function processingCodeAndType(m: WireMessage, f60: Field60 | undefined, out: ConformanceFinding[]): void {
  const f3 = m.fields[3];
  if (!f60 || f3 === undefined || f60.transactionType === '00') return;
  const codes = F3_BY_TYPE.get(f60.transactionType);
  if (!codes) {
    out.push(finding('error', 'MSG-F3-601', `60.1 ${f60.transactionType} is no transaction type of the dialect`, '60.1'));
  } else if (!codes.has(f3)) {
    out.push(finding('error', 'MSG-F3-601', `60.1 ${f60.transactionType} goes with F3 ${[...codes].join(' or ')}, not ${f3}`, 'F3'));
  }
}

function field60(spec: TransactionSpec, m: WireMessage, f60: Field60 | undefined, out: ConformanceFinding[]): void {
  if (!present(m, 60)) return; // MSG-MUST says so
  if (!f60) {
    out.push(finding('error', 'MSG-F60', `F60 ${JSON.stringify(m.fields[60])} is not 60.1 n2 + 60.2 n6 + 60.3 n3 [+ 60.4 … 60.7]`, 'F60'));
    return;
  }
  const codes = spec.kind === 'reversal' ? ['000'] : (spec.networkCodes ?? (spec.networkCode ? [spec.networkCode] : []));
  if (codes.length && !codes.includes(f60.networkCode)) {
    out.push(finding('error', 'MSG-F60', `60.3 of a ${spec.kind} is ${codes.join(' / ')}, not ${f60.networkCode}`, '60.3'));
  }
  const ic = f60.networkCode === '203' || f60.networkCode === '204' || f60.networkCode === '205' || f60.networkCode === '206';
  if ((spec.financial || (spec.kind === 'batch-upload' && (ic || f60.networkCode === '000'))) && f60.readCapability === undefined) {
    out.push(finding('warning', 'MSG-F60', `a ${spec.kind} carries 60.4 (read capability) and 60.5 (IC condition)`, '60.4'));
  }
  if (!spec.financial && spec.kind !== 'batch-upload' && spec.kind !== 'script-result' && f60.readCapability !== undefined) {
    out.push(finding('warning', 'MSG-F60', `a ${spec.kind} carries only 60.1–60.3 (11 digits), not ${m.fields[60]!.length}`, '60.4'));
  }
}

function cardAndPin(spec: TransactionSpec, m: WireMessage, f60: Field60 | undefined, ctx: MessageContext, out: ConformanceFinding[]): void {
  const f22 = m.fields[22];
  const pin = carriesPinBlock(m);
  const judgeCard = f22 !== undefined && /^\d{3}$/.test(f22) && !COPIES.has(spec.kind);
  if (judgeCard) {
    const entry = f22!.slice(0, 2);
    const fallback = entry === '80' || (entry === '02' && f60?.icCondition === '2');
    if (MAGSTRIPE_ENTRIES.has(entry) && !present(m, 35)) {
      out.push(finding('error', 'MSG-CARD', `F22 ${f22} says the card was swiped, but no track 2 (F35) travels`, 'F35'));
    }
    if (entry === '01' && !present(m, 2)) out.push(finding('error', 'MSG-CARD', `F22 ${f22} says the PAN was keyed, but F2 is absent`, 'F2'));
    if (IC_ENTRIES.has(entry) && !present(m, 2) && !present(m, 35)) {
      out.push(finding('error', 'MSG-CARD', `F22 ${f22} says the chip was read, but neither F2 nor F35 travels`, 'F2'));
    }
    // Card data of another entry mode (§2.2 F2 / F14 "manual or IC", F35 / F36 magstripe; §3.6 "F35 / F36
    // (magstripe; for IC only F35)"): a terminal that sends what it did not read, or fills a field from
    // another source, is the same bug whichever field it is.
    const foreign = MAGSTRIPE_ENTRIES.has(entry) ? [2, 14] : IC_ENTRIES.has(entry) ? [36] : entry === '01' ? [35, 36] : [];
    for (const field of foreign.filter((f) => present(m, f))) {
      const read = MAGSTRIPE_ENTRIES.has(entry)
        ? 'swiped (its card data is track 2, F35)'
        : IC_ENTRIES.has(entry)
          ? 'read from the chip (only F35, the track-2 equivalent)'
          : 'keyed (no track was read)';
      out.push(finding('error', 'MSG-CARD', `F22 ${f22} says the card was ${read}, but F${field} travels: ${CARD_FIELD_RULE[field]}`, `F${field}`));
    }
    if (IC_ENTRIES.has(entry) && !present(m, 55)) {
      const severity = ARQC_KINDS.has(spec.kind) ? 'error' : 'warning';
      out.push(finding(severity, 'MSG-F22-F55', `F22 ${f22} says the chip was read, but a ${spec.kind} without F55 carries no chip data`, 'F55'));
    }
    if (f60?.icCondition === '2' && !MAGSTRIPE_ENTRIES.has(entry)) {
      out.push(
        finding(
          'error',
          'MSG-F22-F55',
          `60.5 = 2 says a fallback swipe, but F22 ${f22} says ${IC_ENTRIES.has(entry) ? 'the chip was read' : 'the card was not swiped'}`,
          '60.5',
        ),
      );
    }
    if ((MAGSTRIPE_ENTRIES.has(entry) || entry === '01') && present(m, 55)) {
      out.push(
        finding(
          'error',
          'MSG-F22-F55',
          `F22 ${f22} says ${fallback ? 'fallback swipe' : entry === '01' ? 'keyed entry' : 'swipe'}, but F55 carries chip data`,
          'F22',
        ),
      );
    }
    if (spec.pin !== 'none') {
      if (f22![2] === '1' && !pin)
        out.push(finding('error', 'MSG-F22-PIN', `F22 ${f22} says a PIN was entered, but no PIN block travels (F52 / F59 A1)`, 'F22'));
      if (f22![2] !== '1' && pin) out.push(finding('error', 'MSG-F22-PIN', `a PIN block travels, but F22 ${f22} says no PIN was entered`, 'F22'));
    }
  }
  if (spec.kind === 'reversal') return; // F26, F52 and F53 left the copy (§3.8); F53 may stay
  if (present(m, 26) && !pin) out.push(finding('error', 'MSG-F26-PIN', `F26 ${m.fields[26]} is sent only with a PIN block`, 'F26'));
  if (pin && !present(m, 26)) out.push(finding('error', 'MSG-F26-PIN', 'a PIN block travels without F26 (maximum PIN length)', 'F26'));
  const f26 = m.fields[26];
  if (f26 !== undefined && !(/^\d{2}$/.test(f26) && Number(f26) >= 4 && Number(f26) <= 12)) {
    out.push(finding('warning', 'MSG-F26-PIN', `F26 ${f26} is a maximum PIN length of 04–12`, 'F26'));
  }
  const f53 = m.fields[53];
  if (pin && f53 === undefined) out.push(finding('error', 'MSG-F53-PIN', 'a PIN block travels without F53 (its format and cipher)', 'F53'));
  if (f53 === undefined) {
    if (f22?.slice(0, 2) === '02' && present(m, 35))
      out.push(finding('warning', 'MSG-F53-PIN', 'track data travels without F53 (whether it is encrypted)', 'F53'));
    return;
  }
  if (!/^\d{16}$/.test(f53)) {
    out.push(finding('error', 'MSG-F53-PIN', `F53 ${JSON.stringify(f53)} is not n16`, 'F53'));
    return;
  }
  if (pin && f53[0] === '0') out.push(finding('error', 'MSG-F53-PIN', 'a PIN block travels, but 53.1 = 0 says no PIN', '53.1'));
  if (!pin && f53[0] !== '0') out.push(finding('error', 'MSG-F53-PIN', `53.1 = ${f53[0]} announces a PIN block, but none travels`, '53.1'));
  if (!['0', '1', '2'].includes(f53[0])) out.push(finding('error', 'MSG-F53-PIN', `53.1 = ${f53[0]} is no PIN format (0, 1, 2)`, '53.1'));
  if (!/^0+$/.test(f53.slice(3))) out.push(finding('warning', 'MSG-F53-PIN', `53.4 is 13 zeros, not ${f53.slice(3)}`, '53.4'));
  if (f53[2] === '1' && !present(m, 35) && !present(m, 36)) {
    out.push(finding('warning', 'MSG-F53-PIN', '53.3 = 1 says the tracks are encrypted, but no track travels', '53.3'));
  }
  const expected = { des: '0', tdes: '6', sm4: '3' } as const;
  const cipher = Object.entries(expected).find(([, d]) => d === f53[1])?.[0];
  if (!cipher) {
    out.push(finding('error', 'MSG-F53-SCHEME', `53.2 = ${f53[1]} is no cipher (0 DES, 6 3DES, 3 SM4)`, '53.2'));
  } else if (ctx.keyScheme && cipher !== ctx.keyScheme) {
    out.push(
      finding(
        'error',
        'MSG-F53-SCHEME',
        `53.2 = ${f53[1]} (${cipher}) but the terminal works under ${ctx.keyScheme} keys (53.2 = ${expected[ctx.keyScheme]})`,
        '53.2',
      ),
    );
  }
}

/** The last earlier request of one of the kinds with trace `trace` in batch `batch` (when given). */
function findOriginal(
  earlier: readonly TrafficMessage[],
  kinds: readonly TransactionKind[],
  trace: string,
  batch?: string,
): TrafficMessage | undefined {
  return earlier
    .filter(
      (e) =>
        e.direction === 'in' &&
        e.fields[11] === trace &&
        kinds.includes(identify(e) as TransactionKind) &&
        (batch === undefined || f60Of(e)?.batchNumber === batch),
    )
    .pop();
}

function replyOf(earlier: readonly TrafficMessage[], request: TrafficMessage): TrafficMessage | undefined {
  const i = earlier.indexOf(request);
  const mti = responseMtiOf(request.mti);
  return earlier.slice(i + 1).find((e) => e.direction === 'out' && e.mti === mti && e.fields[11] === request.fields[11]);
}

function field61(spec: TransactionSpec, m: WireMessage, ctx: MessageContext, out: ConformanceFinding[]): void {
  const refs = spec.references;
  const v = m.fields[61];
  if (!refs || v === undefined) return;
  let f61;
  try {
    f61 = parseField61(v);
  } catch {
    out.push(finding('error', 'MSG-F61', `F61 ${JSON.stringify(v)} is not 61.1 batch n6 + 61.2 trace n6 [+ 61.3 date n4 …]`, 'F61'));
    return;
  }
  if (spec.kind !== 'void' && f61.originalDate === undefined) {
    out.push(finding('error', 'MSG-F61', `a ${spec.kind} carries the original date in 61.3 (0000 when unknown)`, '61.3'));
  }
  if (!ctx.earlier) return;
  // A refund keyed by the original RRN and date (LY RefundTran) knows no batch or trace: 61.1 and 61.2 are zeros.
  const byRrn =
    /^0{12}$/.test(f61.originalBatch + f61.originalTrace) && m.fields[37] !== undefined && !/^0{12}$/.test(m.fields[37]!)
      ? ctx.earlier
          .filter(
            (e) => e.direction === 'in' && refs.includes(identify(e) as TransactionKind) && replyOf(ctx.earlier!, e)?.fields[37] === m.fields[37],
          )
          .pop()
      : undefined;
  const original = byRrn ?? findOriginal(ctx.earlier, refs, f61.originalTrace, f61.originalBatch);
  if (!original) {
    const elsewhere = findOriginal(ctx.earlier, refs, f61.originalTrace);
    out.push(
      elsewhere
        ? finding(
            'error',
            'MSG-F61',
            `61.1 names batch ${f61.originalBatch}, but the ${identify(elsewhere)} with trace ${f61.originalTrace} was in batch ${f60Of(elsewhere)?.batchNumber}`,
            '61.1',
          )
        : finding(
            'warning',
            'MSG-F61',
            `no ${refs.join(' / ')} with batch ${f61.originalBatch} and trace ${f61.originalTrace}${m.fields[37] ? ` or RRN ${m.fields[37]}` : ''} in the traffic judged: the original could not be compared`,
            '61.2',
          ),
    );
    return;
  }
  const reply = replyOf(ctx.earlier, original);
  const kind = identify(original);
  if (reply && reply.fields[39] !== '00') {
    out.push(finding('warning', 'MSG-F61', `the ${kind} F61 names was not approved (F39 ${reply.fields[39] ?? 'none'})`, '61.2'));
  }
  // A pre-authorization's amount is its authorised total: each 追加预授权 approved for it since (F38 = its
  // authorization code, cup8583.md §2.5) and not reversed after (its approval untrusted or declined by
  // the card, §3.8: a 0400 with its F11) adds to it, and its void takes that total.
  const reversedLater = (e: TrafficMessage) => {
    const i = ctx.earlier!.indexOf(e);
    return ctx.earlier!.slice(i + 1).some((r) => r.direction === 'in' && r.mti === '0400' && r.fields[11] === e.fields[11]);
  };
  const added =
    spec.kind === 'preauth-void' && reply?.fields[38] !== undefined && original.fields[4] !== undefined
      ? ctx.earlier.filter(
          (e) =>
            e.direction === 'in' &&
            identify(e) === 'preauth-add' &&
            e.fields[38]?.trim() === reply.fields[38]!.trim() &&
            replyOf(ctx.earlier!, e)?.fields[39] === '00' &&
            !reversedLater(e),
        )
      : [];
  const originalAmount =
    added.length && /^\d{12}$/.test(original.fields[4] ?? '')
      ? String(added.reduce((sum, e) => sum + Number(e.fields[4] ?? 0), Number(original.fields[4]))).padStart(12, '0')
      : original.fields[4];
  if (
    ['void', 'preauth-void', 'preauth-completion-void'].includes(spec.kind) &&
    m.fields[4] !== undefined &&
    originalAmount !== undefined &&
    m.fields[4] !== originalAmount
  ) {
    const what = added.length ? `authorised total (with ${added.length} 追加预授权) ` : '';
    out.push(
      finding(
        'error',
        'MSG-F61',
        `F4 ${m.fields[4]} differs from the original ${kind}'s ${what}${originalAmount} (a void takes the original amount)`,
        'F4',
      ),
    );
  }
  const rrn = m.fields[37];
  if (rrn !== undefined && reply?.fields[37] !== undefined && rrn !== reply.fields[37] && !/^0{12}$/.test(rrn)) {
    out.push(finding('error', 'MSG-F61', `F37 ${rrn} is not the original's RRN ${reply.fields[37]} (nor 12 zeros)`, 'F37'));
  }
  const auth = m.fields[38];
  if (auth !== undefined && reply?.fields[38] !== undefined && auth.trim() !== reply.fields[38]!.trim()) {
    out.push(finding('error', 'MSG-F61', `F38 ${auth} is not the original's authorization code ${reply.fields[38]}`, 'F38'));
  }
  // A refund's 63.1 is the original's card organisation, as the acquirer answered it, or 000 when the terminal
  // does not know it (cup8583.md §2.6: LY, PAX PackRefund); naming another side (CUP for a VIS card) is wrong.
  const org = cardOrganisationOfField63(m.fields[63]);
  const originalOrg = cardOrganisationOfField63(reply?.fields[63]);
  if (spec.kind === 'refund' && org !== undefined && originalOrg !== undefined && org !== originalOrg && org !== UNKNOWN_CARD_ORGANISATION) {
    out.push(
      finding(
        'error',
        'MSG-F61',
        `63.1 ${org} is not the original's card organisation ${originalOrg} (its reply's 63.1; ${UNKNOWN_CARD_ORGANISATION} when unknown)`,
        'F63',
      ),
    );
  }
  const date = f61.originalDate;
  if (date !== undefined && date !== '0000' && reply?.fields[13] !== undefined && date !== reply.fields[13]) {
    out.push(finding('warning', 'MSG-F61', `61.3 ${date} is not the original's date ${reply.fields[13]} (host F13)`, '61.3'));
  }
}

/** MSG-F55: field 55 as EMV data (protocol/iso8583/icc-data.ts), on every request that carries it. */
function iccData(spec: TransactionSpec, m: WireMessage, out: ConformanceFinding[]): void {
  const f55 = m.fields[55];
  if (f55 === undefined) return;
  const tags = iccValues(f55);
  if (!tags) {
    out.push(finding('error', 'MSG-F55', `F55 is not BER-TLV (${f55.slice(0, 40)})`, 'F55'));
    return;
  }
  for (const p of iccLengthProblems(tags)) out.push(finding('error', 'MSG-F55', p, 'F55'));
  const entry = m.fields[22]?.slice(0, 2) ?? '';
  if (ARQC_KINDS.has(spec.kind) && IC_ENTRIES.has(entry)) {
    const missing = missingTags(tags, ONLINE_ICC_TAGS);
    if (missing.length) out.push(finding('error', 'MSG-F55', `an online ${spec.kind}'s F55 lacks ${missing.join(', ')}`, 'F55'));
    const facts = { processingCode: m.fields[3], amount: m.fields[4], currency: m.fields[49], pinBlock: carriesPinBlock(m), contact: entry === '05' };
    for (const p of onlineValueProblems(tags, facts, spec.kind !== 'bill-payment')) out.push(finding('error', 'MSG-F55', p, 'F55'));
  }
  if (spec.kind === 'reversal') {
    const missing = missingTags(tags, REVERSAL_ICC_TAGS);
    if (missing.length) out.push(finding('error', 'MSG-F55', `a reversal's F55 lacks ${missing.join(', ')}`, 'F55'));
  }
}

function reversal(m: WireMessage, f60: Field60 | undefined, ctx: MessageContext, out: ConformanceFinding[]): void {
  const reason = m.fields[39];
  if (reason !== undefined && !REVERSAL_REASONS.has(reason)) {
    out.push(finding('error', 'MSG-REVERSAL', `F39 ${reason} is no reversal reason (98 no reply, A0 reply MAC wrong, 06 other)`, 'F39'));
  }
  if (carriesPinBlock(m))
    out.push(
      finding('error', 'MSG-REVERSAL', 'a reversal carries no PIN data, but a PIN block travels (F52 / F59 A1)', present(m, 52) ? 'F52' : 'F59'),
    );
  if (m.fields[3] !== undefined && f60?.networkCode === '000' && !reversedKind(m)) {
    out.push(finding('error', 'MSG-REVERSAL', `F3 ${m.fields[3]} with 60.1 ${f60.transactionType} is no reversible transaction`, 'F3'));
  }
  if (!ctx.earlier) return;
  const original = ctx.earlier
    .filter(
      (e) =>
        e.direction === 'in' &&
        e.fields[11] === m.fields[11] &&
        identify(e) !== 'reversal' &&
        (e.fields[41] === undefined || e.fields[41] === m.fields[41]),
    )
    .pop();
  if (!original) {
    out.push(
      finding('warning', 'MSG-REVERSAL', `no request with trace ${m.fields[11]} in the traffic judged: the original could not be compared`, 'F11'),
    );
    return;
  }
  const o60 = f60Of(original);
  const pairs: [string, string | undefined, string | undefined][] = [
    ['F3', m.fields[3], original.fields[3]],
    ['F4', m.fields[4], original.fields[4]],
    ['F22', m.fields[22], original.fields[22]],
    ['F25', m.fields[25] ?? '00', original.fields[25] ?? '00'],
    ['60.1', f60?.transactionType, o60?.transactionType],
    ['60.2', f60?.batchNumber, o60?.batchNumber],
  ];
  for (const [name, mine, theirs] of pairs) {
    if (mine !== undefined && theirs !== undefined && mine !== theirs) {
      out.push(finding('error', 'MSG-REVERSAL', `${name} ${mine} differs from the original ${identify(original)}'s ${theirs}`, name));
    }
  }
  // The reversal undoes the original's card transaction: its ATC is that one's (§3.11, 9F36 mandatory in both).
  const atc = (w: WireMessage) => (w.fields[55] !== undefined ? iccValues(w.fields[55]!)?.get('9F36') : undefined);
  if (atc(m) !== undefined && atc(original) !== undefined && atc(m) !== atc(original)) {
    out.push(finding('error', 'MSG-F55', `9F36 ${atc(m)} (ATC) differs from the original ${identify(original)}'s ${atc(original)}`, 'F55'));
  }
  if (!transactionSpec(identify(original) ?? 'reversal').reversible) {
    out.push(
      finding('error', 'MSG-REVERSAL', `a ${identify(original) ?? 'unknown request'} is not reversed (§3.1), but a 0400 was sent for it`, 'F11'),
    );
  }
}

/** Header digit 6 (处理要求, §1.1) asking for each downloaded list, and the list's name in a finding. */
const REQUIREMENT_DIGITS: Readonly<Record<DownloadedList, string>> = { ...IC_REQUIREMENT_DIGITS, ...TERMINAL_LIST_REQUIREMENT_DIGITS };
const LIST_NAMES: Readonly<Record<DownloadedList, string>> = {
  capk: 'IC public key (CAPK)',
  aid: 'IC parameter (AID)',
  blacklist: 'card blacklist',
  contactless: 'contactless parameter',
};

/** The list a download message belongs to (the catalogue's listDownload), with the digit that asks for it. */
function listOf(kind: TransactionKind | undefined): { list: DownloadedList; name: string; digit: string; end: boolean } | undefined {
  const what = kind && transactionSpec(kind).listDownload;
  return what ? { list: what.list, name: LIST_NAMES[what.list], digit: REQUIREMENT_DIGITS[what.list], end: what.step === 'end' } : undefined;
}

/**
 * MSG-LIST-REPEAT: a terminal downloads a list when it does not hold it or a reply asks for it (header
 * digit 6, §1.1; §3.2 "downloads EMV AIDs / CAPKs if they are not loaded, and acts on header digit 6").
 * Once the host has acknowledged the end of a list's download (F39 00) on a connection, the terminal
 * holds that list; a download of it started again on the same connection, when no reply since that
 * download began asked for it, acts on a request no reply carried (a misread processing requirement, a
 * request flag never cleared). A reply asking during the download counts: the host keeps asking until
 * it sees the end, and a terminal may take that as a new request and fetch the list once more. Judged only on one connection, so a terminal that lost a list with its power, or refreshes
 * its lists on its own at sign-on, is never held to it.
 */
function listRepeat(m: TrafficMessage, kind: TransactionKind, earlier: readonly TrafficMessage[], out: ConformanceFinding[]): void {
  const mine = listOf(kind);
  if (!mine || m.connection === undefined) return;
  const sameConnection = earlier.filter((e) => e.connection === m.connection);
  const ofList = (e: TrafficMessage) => e.direction === 'in' && listOf(identify(e))?.list === mine.list;
  const isEnd = (e: TrafficMessage) => ofList(e) && listOf(identify(e))!.end;
  // The last end of this list acknowledged with 00 on this connection.
  let endAt = -1;
  sameConnection.forEach((e, i) => {
    if (isEnd(e) && replyOf(sameConnection, e)?.fields[39] === '00') endAt = i;
  });
  if (endAt < 0) return;
  // The first message of the repeated download is the one judged (not each of its pages).
  const since = sameConnection.slice(endAt + 1);
  if (since.some(ofList)) return;
  // Where that completed download began: after the list's end before it, else at the connection's start.
  let beganAt = 0;
  for (let i = endAt - 1; i >= 0; i--) {
    if (isEnd(sameConnection[i])) {
      beganAt = i + 1;
      break;
    }
  }
  // Any reply since it began asking for the list (a host keeps asking while the download it asked for is
  // under way, and a terminal may take that as a new request), or one whose header cannot be read: not judged.
  const replies = sameConnection.slice(beganAt).filter((e) => e.direction === 'out');
  if (replies.some((r) => r.requirement === undefined || r.requirement === mine.digit)) return;
  const end = sameConnection[endAt];
  out.push(
    finding(
      'error',
      'MSG-LIST-REPEAT',
      `the ${mine.name} list is downloaded again on the connection whose ${end.id !== undefined ? `#${end.id} ` : ''}end (STAN ${end.fields[11] ?? '-'}) ` +
        `the host acknowledged with 00, though no reply since that download began asked for it (header digit 6: ${[...new Set(replies.map((r) => r.requirement))].join(', ')}; ${mine.digit} asks)`,
      '60.3',
    ),
  );
}

/**
 * The findings of one request the terminal sent. A response (odd third MTI digit) is the host's
 * business and gets none.
 */
export function checkMessage(m: WireMessage, ctx: MessageContext = {}): ConformanceFinding[] {
  if (!/^\d{4}$/.test(m.mti))
    return [finding('error', 'MSG-KIND', `no ISO 8583 message could be read from it (MTI ${JSON.stringify(m.mti)})`, 'MTI')];
  if (Number(m.mti[2]) % 2 === 1) return [];
  const out: ConformanceFinding[] = [];
  const f60 = f60Of(m);
  const kind = identify(m);
  processingCodeAndType(m, f60, out);
  if (!kind) {
    const why = `MTI ${m.mti}, F3 ${m.fields[3] ?? '-'}, F25 ${m.fields[25] ?? '-'}, 60.1 ${f60?.transactionType ?? '-'}, 60.3 ${f60?.networkCode ?? '-'}`;
    out.push(finding('error', 'MSG-KIND', `${why} is no transaction of the dialect`, 'MTI'));
    if (present(m, 49) && m.fields[49] !== '156') out.push(finding('error', 'MSG-F49', `F49 is ${m.fields[49]}, not 156`, 'F49'));
    return out;
  }
  const spec = transactionSpec(kind);
  fieldLists(spec, m, out);
  field60(spec, m, f60, out);
  if (present(m, 49) && m.fields[49] !== '156') out.push(finding('error', 'MSG-F49', `F49 is ${m.fields[49]}, not 156 (CNY)`, 'F49'));
  cardAndPin(spec, m, f60, ctx, out);
  field61(spec, m, ctx, out);
  iccData(spec, m, out);
  if (kind === 'reversal') reversal(m, f60, ctx, out);
  if (ctx.earlier) listRepeat(m as TrafficMessage, kind, ctx.earlier, out);
  return out;
}

/** Key scheme a sign-on's 60.3 asks for: 001 single-length DES keys, 003/004 double-length 3DES, 005/006 SM4 (§3.2). */
export function keySchemeOfSignOn(networkCode: string | undefined): ConformanceKeyScheme | undefined {
  if (networkCode === '001') return 'des';
  if (networkCode === '003' || networkCode === '004') return 'tdes';
  if (networkCode === '005' || networkCode === '006') return 'sm4';
  return undefined;
}

export interface JudgedMessage {
  /** Index in the traffic. */
  index: number;
  message: TrafficMessage;
  kind: TransactionKind | undefined;
  findings: ConformanceFinding[];
}

/**
 * Every request of one terminal's traffic (oldest first), judged with what came before it: the
 * original a void, refund or reversal refers to, and the key scheme, which is the declared one
 * (`keyScheme`) except that a sign-on with 60.3 001 means single DES and 005 / 006 mean SM4; with
 * none declared, the last sign-on's 60.3 decides.
 */
export function checkTraffic(traffic: readonly TrafficMessage[], opts: { keyScheme?: ConformanceKeyScheme } = {}): JudgedMessage[] {
  const out: JudgedMessage[] = [];
  let keyScheme = opts.keyScheme;
  traffic.forEach((message, index) => {
    if (message.direction !== 'in') return;
    const kind = identify(message);
    if (kind === 'sign-on') {
      // 003 / 004 say double length, which an SM4 terminal of ours also asks for: the declared scheme stands.
      const signed = keySchemeOfSignOn(f60Of(message)?.networkCode);
      keyScheme = signed === 'tdes' ? (opts.keyScheme ?? 'tdes') : (signed ?? keyScheme);
    }
    out.push({ index, message, kind, findings: checkMessage(message, { keyScheme, earlier: traffic.slice(0, index) }) });
  });
  return out;
}

/** Findings as evidence text: one block per message that has any, errors first. */
export function formatFindings(judged: readonly JudgedMessage[]): string {
  const lines: string[] = [];
  for (const j of judged) {
    if (!j.findings.length) continue;
    const m = j.message;
    lines.push(`${m.id !== undefined ? `#${m.id} ` : ''}${m.mti} ${j.kind ?? 'unknown'}${m.fields[11] ? ` STAN ${m.fields[11]}` : ''}`);
    for (const f of [...j.findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))) {
      lines.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.rule.padEnd(14)} ${(f.field ?? '').padEnd(5)} ${f.message} (${f.section})`);
    }
  }
  return lines.join('\n');
}
