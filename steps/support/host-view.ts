// What the acquirer saw, as steps read it: the host journal rows of one terminal, decoded into
// messages with their transaction kind (CUP POS §3.1: MTI + F3 + F25 + 60.1 + 60.3), request/reply
// pairs, and the fault specs steps hand to the host. Pure functions over journal rows: no I/O.
import {
  decodeBillPayee, decodeSettlementTotals, parseField60, parsePosEntryMode, parseSecurityControl,
  type BillPayee, type SettlementTotals, type PosEntryMode, type SecurityControl,
} from '../../protocol/iso8583';
import type { TxnKind } from './parse';
import type { JournalEntry } from '../../host';
import { decodeTlv } from '../../protocol/tlv';

/** A journal entry as the host control API returns it (host/control.ts JournalEntry). */
export type JournalRowLike = Pick<JournalEntry, 'id' | 'direction' | 'time' | 'terminalId' | 'mti' | 'stan' | 'responseCode' | 'hex' | 'fields' | 'note'>;

export interface HostMessage {
  id: number;
  at: string;
  direction: 'in' | 'out';
  terminalId: string | undefined;
  mti: string;
  stan: string | undefined;
  kind: TxnKind | 'unknown';
  /** Field number → display value (n/z digits, text, b as upper-case hex; PAN masked). */
  fields: Record<number, string>;
  responseCode: string | undefined;
  hex: string;
  note: string | undefined;
}

function fieldsOf(row: JournalRowLike): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [k, v] of Object.entries(row.fields ?? {})) {
    if (/^\d+$/.test(k) && v !== undefined && v !== null) out[Number(k)] = String(v);
  }
  return out;
}

/**
 * The transaction a message belongs to (cup8583.md §3.1). Replies are classified like their
 * requests (MTI − 10). Reversals keep the original F3 / 60.1 but are 'reversal' here.
 */
export function classify(mti: string, fields: Record<number, string>): TxnKind | 'unknown' {
  const req = /^\d{4}$/.test(mti) && Number(mti[2]) % 2 === 1 ? `${mti.slice(0, 2)}${Number(mti[2]) - 1}${mti[3]}` : mti;
  const f3 = fields[3];
  const f25 = fields[25];
  let f60: { transactionType: string; networkCode: string } | undefined;
  try { f60 = fields[60] ? parseField60(fields[60]) : undefined; } catch { f60 = undefined; }
  const t = f60?.transactionType;
  const nmi = f60?.networkCode;
  switch (req) {
    case '0800':
      if (nmi === '360') return 'parameter-download';
      return nmi && ['001', '003', '004', '005', '006'].includes(nmi) ? 'sign-on' : 'unknown';
    case '0820':
      if (nmi === '002') return 'sign-off';
      if (nmi === '301') return 'echo';
      return 'unknown';
    case '0400': return 'reversal';
    case '0500': return 'settlement';
    case '0320': return nmi === '202' || nmi === '207' ? 'batch-upload-end' : 'batch-upload';
    case '0100': return f3 === '200000' ? 'unknown' : 'preauth';
    case '0220': return f3 === '200000' || t === '25' ? 'refund' : 'unknown';
    case '0200':
      if (f3 === '310000') return 'balance';
      if (f3 === '500000') return 'bill-payment';
      if (f3 === '200000') return 'void';
      if (f3 === '000000') return f25 === '06' || t === '20' ? 'preauth-completion' : 'sale';
      return 'unknown';
    default: return 'unknown';
  }
}

export function toHostMessage(row: JournalRowLike): HostMessage {
  const fields = fieldsOf(row);
  const mti = row.mti ?? '';
  return {
    id: row.id, at: row.time, direction: row.direction,
    terminalId: row.terminalId ?? fields[41] ?? undefined,
    mti, stan: row.stan ?? fields[11] ?? undefined, kind: classify(mti, fields), fields,
    responseCode: row.responseCode ?? fields[39] ?? undefined,
    hex: row.hex, note: row.note ?? undefined,
  };
}

/** Requests (direction in) of one kind, oldest first. */
export function requestsOf(messages: readonly HostMessage[], kind: TxnKind): HostMessage[] {
  return messages.filter((m) => m.direction === 'in' && m.kind === kind);
}

/** Financial requests: the ones that move or may move money. */
export const FINANCIAL_KINDS: readonly TxnKind[] = ['sale', 'bill-payment', 'void', 'refund', 'balance', 'preauth', 'preauth-completion', 'reversal'];

/** The host's reply to a request: the next outgoing message of the same terminal and STAN with MTI + 10. */
export function replyTo(messages: readonly HostMessage[], request: HostMessage): HostMessage | undefined {
  const replyMti = `${request.mti.slice(0, 2)}${Number(request.mti[2]) + 1}${request.mti[3]}`;
  return messages.find((m) => m.id > request.id && m.direction === 'out' && m.mti === replyMti && m.stan === request.stan
    && (m.terminalId === undefined || request.terminalId === undefined || m.terminalId === request.terminalId));
}

export function entryMode(m: HostMessage): PosEntryMode | undefined {
  return m.fields[22] ? parsePosEntryMode(m.fields[22]) : undefined;
}

export function securityControl(m: HostMessage): SecurityControl | undefined {
  return m.fields[53] ? parseSecurityControl(m.fields[53]) : undefined;
}

export function batchOf(m: HostMessage): string | undefined {
  try { return m.fields[60] ? parseField60(m.fields[60]).batchNumber : undefined; } catch { return undefined; }
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
  return v.split(/\s+/).filter(Boolean).map((p) => p.split('=')[0].toUpperCase());
}

/** Payee of a 缴费 (F62 TLV; the journal shows binary fields as hex, text fields as text). */
export function payeeOf(m: HostMessage): BillPayee | undefined {
  const v = m.fields[62];
  if (!v) return undefined;
  const bytes = /^([0-9A-F]{2})+$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'latin1');
  return decodeBillPayee(bytes);
}

/** The host fault matcher for the next request of a kind (MTI + F3 of cup8583.md §3.1). */
export function faultMatchFor(kind: TxnKind): { mti: string; processingCode?: string } {
  const table: Partial<Record<TxnKind, { mti: string; processingCode?: string }>> = {
    sale: { mti: '0200', processingCode: '000000' },
    'bill-payment': { mti: '0200', processingCode: '500000' },
    void: { mti: '0200', processingCode: '200000' },
    refund: { mti: '0220', processingCode: '200000' },
    balance: { mti: '0200', processingCode: '310000' },
    preauth: { mti: '0100', processingCode: '030000' },
    'preauth-completion': { mti: '0200', processingCode: '000000' },
    reversal: { mti: '0400' },
    settlement: { mti: '0500' },
    'sign-on': { mti: '0800' },
    'parameter-download': { mti: '0800' },
    'batch-upload': { mti: '0320' },
  };
  const m = table[kind];
  if (!m) throw new Error(`no host fault matcher for ${kind}`);
  return m;
}
