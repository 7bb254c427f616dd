/**
 * What the acquirer saw, as the harness reads it: the reference host's journal rows of one
 * terminal decoded into messages with their transaction kind (the catalogue's identify(), cup8583.md
 * §3.1), request/reply pairs, the field readers steps assert on, the host fault matcher of a kind,
 * and the journal as evidence text. Pure functions over journal rows: no I/O.
 */
import {
  cardOrganisationOfField63,
  DOMESTIC_CARD_ORGANISATION,
  organisationFlag,
  CUP_POS_DIALECT,
  decodeBillPayee,
  decodeSettlementTotals,
  fieldSpec,
  identify,
  parseField60,
  parsePosEntryMode,
  parseSecurityControl,
  responseMtiOf,
  transactionKinds,
  ONLINE_ICC_TAGS,
  transactionSpec,
  type BillPayee,
  type PosEntryMode,
  type SecurityControl,
  type SettlementTotals,
  type TransactionKind,
} from '../protocol/iso8583';
import { decodeTlv } from '../protocol/tlv';
import { buildPinBlockFormat0 } from '../crypto';
import type { JournalEntry } from '../host';
import { readFrameHead } from '../host/engine';

/** A journal entry as the host control API returns it (host/control.ts JournalEntry). */
export type JournalRowLike = Pick<
  JournalEntry,
  'id' | 'direction' | 'time' | 'terminalId' | 'mti' | 'stan' | 'responseCode' | 'hex' | 'fields' | 'note'
> &
  Partial<Pick<JournalEntry, 'remote'>>;

export interface HostMessage {
  id: number;
  at: string;
  direction: 'in' | 'out';
  terminalId: string | undefined;
  mti: string;
  stan: string | undefined;
  /** The catalogue's kind (a reply has its request's kind); 'unknown' when no row matches. */
  kind: TransactionKind | 'unknown';
  /** Field number → display value (n/z digits, text, b as upper-case hex; PAN masked). */
  fields: Record<number, string>;
  responseCode: string | undefined;
  hex: string;
  note: string | undefined;
  /** The TCP connection the host saw it on (its peer address and port), when the journal says. */
  connection?: string;
}

function fieldsOf(row: JournalRowLike): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(row.fields ?? {})) {
    if (/^\d+$/.test(k) && v !== undefined && v !== null) out[Number(k)] = String(v);
  }
  return out;
}

export function toHostMessage(row: JournalRowLike): HostMessage {
  const fields = fieldsOf(row);
  const mti = row.mti ?? '';
  return {
    id: row.id,
    at: row.time,
    direction: row.direction,
    terminalId: row.terminalId ?? fields[41] ?? undefined,
    mti,
    stan: row.stan ?? fields[11] ?? undefined,
    kind: identify({ mti, fields }) ?? 'unknown',
    fields,
    responseCode: row.responseCode ?? fields[39] ?? undefined,
    hex: row.hex,
    note: row.note ?? undefined,
    ...(row.remote ? { connection: row.remote } : {}),
  };
}

/** Header digit 6 (处理要求, cup8583.md §1.1) of a message as the host journal holds it (2-byte length, TPDU, header, message); undefined if unreadable. */
export function processingRequirementOf(m: Pick<HostMessage, 'hex'>): string | undefined {
  return readFrameHead(Buffer.from(m.hex, 'hex'))?.header.processingRequirement;
}

/** Requests (direction in) of one kind, oldest first. */
export function requestsOf(messages: readonly HostMessage[], kind: TransactionKind): HostMessage[] {
  return messages.filter((m) => m.direction === 'in' && m.kind === kind);
}

/** Kinds that move or may move the cardholder's money (the catalogue's `financial`). */
export const FINANCIAL_KINDS: readonly TransactionKind[] = transactionKinds((s) => s.financial);

/**
 * The financial transactions an operator starts from the terminal's menu, one per menu entry (a
 * completion void shares 撤销 with the sale void), 追加预授权 only on a terminal that offers it.
 */
export function menuFinancialKinds(offersAdditionalPreAuth: boolean): TransactionKind[] {
  const seen = new Set<string>();
  return FINANCIAL_KINDS.filter((k) => {
    const menu = transactionSpec(k).menu?.zh;
    if (!menu || seen.has(menu) || (k === 'preauth-add' && !offersAdditionalPreAuth)) return false;
    seen.add(menu);
    return true;
  });
}

/** Reversals (0400) of an original request: same STAN and, when the reversal carries one, the same F3. */
export function reversalsOf(messages: readonly HostMessage[], original: HostMessage): HostMessage[] {
  return messages.filter(
    (m) =>
      m.direction === 'in' && m.kind === 'reversal' && m.stan === original.stan && (m.fields[3] === undefined || m.fields[3] === original.fields[3]),
  );
}

/**
 * The requests of a batch the host approved and that were not reversed (what a batch upload must
 * cover), of the kinds that enter the settlement.
 */
export function approvedOfBatch(messages: readonly HostMessage[], batch: string | undefined, kinds: readonly TransactionKind[]): HostMessage[] {
  return messages
    .filter((m) => m.direction === 'in' && kinds.includes(m.kind as TransactionKind) && batchOf(m) === batch)
    .filter((m) => messages.some((r) => r.direction === 'out' && r.stan === m.stan && r.mti === responseMtiOf(m.mti) && r.responseCode === '00'))
    .filter((m) => !messages.some((r) => r.direction === 'in' && r.kind === 'reversal' && r.stan === m.stan));
}

/**
 * Whether the trace numbers (F11) of the terminal's requests only move forward, in journal order:
 * each one higher than the one before, or wrapped (999999 → 000001). Reversals repeat the
 * original's trace and are left out.
 */
export function tracesAdvance(messages: readonly HostMessage[]): { ok: boolean; traces: number[] } {
  const traces = messages.filter((m) => m.direction === 'in' && m.kind !== 'reversal' && m.stan).map((m) => Number(m.stan));
  const ok = traces.every((t, i) => i === 0 || t > traces[i - 1] || (traces[i - 1] > 999000 && t < 1000));
  return { ok, traces };
}

/** The last request of one of the kinds before `request` (the original a void, refund or completion refers to). */
export function originalBefore(messages: readonly HostMessage[], request: HostMessage, kinds: readonly TransactionKind[]): HostMessage | undefined {
  return messages.filter((m) => m.id < request.id && m.direction === 'in' && kinds.includes(m.kind as TransactionKind)).pop();
}

/**
 * The first request of `kind` after the transaction a reversal undoes (the original: the request
 * with the reversal's trace before it), whichever came first.
 */
export function nextAfterReversed(messages: readonly HostMessage[], reversal: HostMessage, kind: TransactionKind): HostMessage | undefined {
  const original = messages.find((m) => m.direction === 'in' && m.kind !== 'reversal' && m.stan === reversal.stan && m.id < reversal.id);
  return messages.find((m) => m.direction === 'in' && m.kind === kind && m.id > (original?.id ?? 0) && m !== original);
}

/** The host's reply to a request: the next outgoing message of the same terminal and STAN with MTI + 10. */
export function replyTo(messages: readonly HostMessage[], request: HostMessage): HostMessage | undefined {
  const replyMti = responseMtiOf(request.mti);
  return messages.find(
    (m) =>
      m.id > request.id &&
      m.direction === 'out' &&
      m.mti === replyMti &&
      m.stan === request.stan &&
      (m.terminalId === undefined || request.terminalId === undefined || m.terminalId === request.terminalId),
  );
}

/**
 * The card-organisation flag a batch-upload record carries for an original (cup8583.md §3.10: `00` a
 * CUP card, `01` a foreign one; the 201 list items and the F62 of the IC records alike): what 63.1 of
 * the host's reply to the original named, CUP when it sent no F63. One reading for every record kind.
 */
export function organisationFlagOf(messages: readonly HostMessage[], original: HostMessage): '00' | '01' {
  return organisationFlag(cardOrganisationOf(replyTo(messages, original)) ?? DOMESTIC_CARD_ORGANISATION);
}

/**
 * A pre-authorization's authorised total in fen: its own F4 plus each 追加预授权 the host approved for it
 * since (F38 = its authorization code, cup8583.md §2.5), the amount its void must take. The same rule
 * the message check applies on the wire (protocol/iso8583/conformance.ts, F4 of a pre-auth void).
 */
export function authorisedTotalFen(messages: readonly HostMessage[], preauth: HostMessage): number {
  const authCode = replyTo(messages, preauth)?.fields[38]?.trim();
  const added = messages.filter(
    (m) =>
      m.id > preauth.id &&
      m.direction === 'in' &&
      m.kind === 'preauth-add' &&
      authCode !== undefined &&
      m.fields[38]?.trim() === authCode &&
      replyTo(messages, m)?.responseCode === '00',
  );
  return added.reduce((sum, m) => sum + Number(m.fields[4] ?? 0), Number(preauth.fields[4] ?? 0));
}

export function entryMode(m: HostMessage): PosEntryMode | undefined {
  return m.fields[22] ? parsePosEntryMode(m.fields[22]) : undefined;
}

export function securityControl(m: HostMessage): SecurityControl | undefined {
  return m.fields[53] ? parseSecurityControl(m.fields[53]) : undefined;
}

export function batchOf(m: HostMessage): string | undefined {
  try {
    return m.fields[60] ? parseField60(m.fields[60]).batchNumber : undefined;
  } catch {
    return undefined;
  }
}

export function settlementTotalsOf(m: HostMessage): SettlementTotals | undefined {
  return m.fields[48] ? decodeSettlementTotals(m.fields[48]) : undefined;
}

/**
 * EMV tags of F55. The journal shows F55 as "TAG=VALUE TAG=VALUE" (card-data tags masked); raw
 * BER-TLV hex is accepted too.
 */
export function iccTagsOf(m: HostMessage): string[] {
  const v = m.fields[55];
  if (!v) return [];
  if (/^([0-9A-F]{2})+$/.test(v)) return decodeTlv(Buffer.from(v, 'hex')).map((t) => t.tag);
  return v
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => p.split('=')[0].toUpperCase());
}

/** Payee of a 缴费 (F62 TLV; the journal shows binary fields as hex, text fields as text). */
export function payeeOf(m: HostMessage): BillPayee | undefined {
  const v = m.fields[62];
  if (!v) return undefined;
  const bytes = /^([0-9A-F]{2})+$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'latin1');
  return decodeBillPayee(bytes);
}

/** The host fault matcher for the next request of a kind: the catalogue's MTI and F3. */
export function faultMatchFor(kind: TransactionKind): { mti: string; processingCode?: string } {
  const spec = transactionSpec(kind);
  return spec.processingCode !== undefined ? { mti: spec.mti, processingCode: spec.processingCode } : { mti: spec.mti };
}

/**
 * Every format-0 PIN block in clear that the PINs typed with the cards used would make (upper-case
 * hex): a journal or a field that holds one carries the PIN in clear.
 */
export function clearPinBlocks(pins: Iterable<string>, pans: Iterable<string>): string[] {
  const out: string[] = [];
  const panList = [...pans];
  for (const pin of pins) {
    for (const pan of panList) {
      try {
        out.push(buildPinBlockFormat0(pin, pan).toString('hex').toUpperCase());
      } catch {
        /* PIN of another length */
      }
    }
  }
  return out;
}

/**
 * Where a typed PIN shows in the host journal: as a field's value, as ASCII in the raw bytes, or as
 * a clear format-0 PIN block for one of the cards used. Empty when the PIN travelled only encrypted.
 */
export function pinLeaks(messages: readonly HostMessage[], pins: Iterable<string>, pans: Iterable<string>): string[] {
  const pinList = [...pins];
  const blocks = clearPinBlocks(pinList, pans);
  const found: string[] = [];
  for (const m of messages) {
    const where = `journal #${m.id} (${m.kind} ${m.mti})`;
    const hex = m.hex.toUpperCase();
    for (const pin of pinList) {
      if (Object.values(m.fields).some((v) => v.includes(pin) && v.length <= pin.length + 2)) found.push(`${where}: a field holds the PIN`);
      if (hex.includes(Buffer.from(pin, 'ascii').toString('hex').toUpperCase())) found.push(`${where}: the PIN in ASCII`);
    }
    if (blocks.some((b) => hex.includes(b))) found.push(`${where}: a clear PIN block`);
  }
  return found;
}

/** The host's decoded (and masked) field table of each message, with the dialect's field names (evidence). */
export function journalText(messages: readonly HostMessage[]): string {
  return messages
    .map((m) => {
      const table = Object.entries(m.fields)
        .map(([n, v]) => {
          const spec = fieldSpec(CUP_POS_DIALECT, Number(n));
          return `  F${n.padStart(2, '0')} ${spec ? `${spec.nameZh} ${spec.name}`.padEnd(36) : ''.padEnd(36)} ${v}`;
        })
        .join('\n');
      return (
        `#${m.id} ${m.at} ${m.direction === 'in' ? 'terminal → host' : 'host → terminal'} ${m.mti} ${m.kind}` +
        `${m.stan ? ` STAN ${m.stan}` : ''}${m.responseCode ? ` F39 ${m.responseCode}` : ''}${m.note ? ` (${m.note})` : ''}\n${table}\n  hex ${m.hex}`
      );
    })
    .join('\n\n');
}

/** Requests (direction in) that move or may move money, after journal id `afterId`, oldest first. */
export function financialRequests(messages: readonly HostMessage[], afterId = 0): HostMessage[] {
  return messages.filter((m) => m.id > afterId && m.direction === 'in' && FINANCIAL_KINDS.includes(m.kind as TransactionKind));
}

/** Messages as a failure message lists them: kind, MTI and trace number. */
export function describeMessages(messages: readonly HostMessage[]): string[] {
  return messages.map((m) => `${m.kind} ${m.mti} STAN ${m.stan}`);
}

/** Messages by trace number only ("STAN 000123"), for a failure message. */
export function stansOf(messages: readonly HostMessage[]): string[] {
  return messages.map((m) => `STAN ${m.stan}`);
}

/** Network management codes (60.3) of the batch upload records (0320) the terminal sent. */
export function uploadNetworkCodes(messages: readonly HostMessage[]): string[] {
  return requestsOf(messages, 'batch-upload').map((m) => (m.fields[60] ?? '').slice(8, 11));
}

/** The batch the last settlement request (0500) closes (60.2), or undefined without one. */
export function settledBatchOf(messages: readonly HostMessage[]): string | undefined {
  const last = requestsOf(messages, 'settlement').pop();
  return last && (last.fields[60] ?? '').slice(2, 8);
}

/** The counts and amounts of one settlement side, to compare the terminal's F48 with the host ledger (the result code left out). */
export function settlementCounts(side: { debitCount: number; debitAmount: number; creditCount: number; creditAmount: number }) {
  return { debitCount: side.debitCount, debitAmount: side.debitAmount, creditCount: side.creditCount, creditAmount: side.creditAmount };
}

/** EMV tags every F55 of an online chip request carries (cup8583.md §3.11; one list: protocol/iso8583/icc-data.ts). */
export const REQUIRED_ICC_TAGS: readonly string[] = ONLINE_ICC_TAGS;

/** The required tags a request's F55 lacks, in table order (empty when it has them all). */
export function missingIccTags(m: HostMessage): string[] {
  const tags = iccTagsOf(m);
  return REQUIRED_ICC_TAGS.filter((t) => !tags.includes(t));
}

/** 63.1 of a reply (the card organisation: CUP for a domestic card), or undefined without F63. */
export function cardOrganisationOf(reply: HostMessage | undefined): string | undefined {
  // The journal shows a field of bytes as hex; 63.1 is three ASCII letters (one reading: protocol/iso8583).
  return cardOrganisationOfField63(reply?.fields[63]);
}
