/**
 * Human and machine renderings of a message for traces, journals and reports. Sensitive data never
 * leaves here in clear unless `unmask` is asked for: PAN and tracks masked (first 6 + last 4), PIN
 * blocks and keys only as the encrypted hex that was on the wire.
 */
import { maskPan } from '../../crypto';
import type { Dialect, FieldSpec, FieldValue } from './types';
import type { IsoMessage } from './message';
import { fieldSpec } from './codec';
import { CUP_POS_DIALECT } from './cup-dialect';
import { decodeTlv, type TlvNode } from '../tlv';
import {
  conditionCodeMeaning,
  networkCodeMeaning,
  parseField60,
  parseField61,
  parsePosEntryMode,
  parseSecurityControl,
  parseBalance,
  transactionTypeMeaning,
  decodeSettlementTotals,
  settlementResultMeaning,
  type SettlementSide,
} from './fields';
import { decodeBillPayee, BILL_PAYMENT_PROCESSING_CODE } from './bill-payment';
import { responseCodeInfo } from './response-codes';

export interface DumpOptions {
  /** Show PAN and track data in clear (local debugging only; never in reports). */
  unmask?: boolean;
  dialect?: Dialect;
}

/** Track 2/3 for display: the PAN part masked, everything after the separator hidden. */
export function maskTrack(track: string): string {
  const sep = track.indexOf('=');
  if (sep < 0) return maskPan(track);
  return maskPan(track.slice(0, sep)) + '=' + '*'.repeat(track.length - sep - 1);
}

/**
 * EMV tags in field 55 that carry cardholder data: 5A PAN, 57 / 9F6B track 2 equivalent, 56 / 9F1F / 9F20
 * track 1 and 2 discretionary data, 5F20 cardholder name. Everything else in F55 (cryptograms, TVR, ATC)
 * is not sensitive and stays readable for debugging.
 */
export const EMV_CARD_DATA_TAGS: ReadonlySet<string> = new Set(['5A', '57', '5F20', '9F1F', '9F20', '56', '9F6B']);

/** A card-data value as hex: PAN-like values keep first 6 + last 4, track-like ones (D separator) hide all after it. */
function maskCardDataHex(hex: string): string {
  const sep = hex.indexOf('D');
  if (sep < 0) return maskPan(hex);
  return maskPan(hex.slice(0, sep)) + 'D' + '*'.repeat(hex.length - sep - 1);
}

/**
 * Field 55 as upper-case hex with the values of EMV_CARD_DATA_TAGS masked in place (same length, so
 * offsets still line up with the wire). Bytes that are not BER-TLV are masked wholesale: they could be anything.
 */
export function maskIccDataHex(f55: Buffer): string {
  const hex = f55.toString('hex').toUpperCase();
  let nodes: TlvNode[];
  try {
    nodes = decodeTlv(f55);
  } catch {
    return '*'.repeat(hex.length);
  }
  let out = hex;
  const walk = (list: TlvNode[]) => {
    for (const node of list) {
      if (node.children) {
        walk(node.children);
        continue;
      }
      if (!EMV_CARD_DATA_TAGS.has(node.tag) || node.value.length === 0) continue;
      const v = node.value.toString('hex').toUpperCase();
      const masked = maskCardDataHex(v).padEnd(v.length, '*').slice(0, v.length);
      out = out.split(v).join(masked);
    }
  };
  walk(nodes);
  return out;
}

/** The display value of a field: digits, text, or upper-case hex; masked by sensitivity. */
export function displayValue(spec: FieldSpec | undefined, value: FieldValue, unmask = false): string {
  if (Buffer.isBuffer(value)) {
    if (!unmask && spec?.id === 55) return maskIccDataHex(value);
    return value.toString('hex').toUpperCase();
  }
  if (!unmask && spec?.sensitive === 'pan') return maskPan(value);
  if (!unmask && spec?.sensitive === 'track') return maskTrack(value);
  return value;
}

/** Primary (and secondary) bitmap of the message's fields, upper-case hex. */
export function bitmapHex(msg: IsoMessage): string {
  const numbers = msg.fieldNumbers();
  const secondary = numbers.some((n) => n > 64);
  const bitmap = Buffer.alloc(secondary ? 16 : 8);
  if (secondary) bitmap[0] = 0x80;
  for (const n of numbers) bitmap[(n - 1) >> 3] |= 0x80 >> ((n - 1) & 7);
  return bitmap.toString('hex').toUpperCase();
}

export interface MessageJson {
  mti: string;
  bitmap: string;
  /** n/z: digit strings without pad nibbles; a/an/ans: text; b: upper-case hex. */
  fields: Record<string, string>;
}

export function messageToJson(msg: IsoMessage, options: DumpOptions = {}): MessageJson {
  const dialect = options.dialect ?? CUP_POS_DIALECT;
  const fields: Record<string, string> = {};
  for (const n of msg.fieldNumbers()) fields[String(n)] = displayValue(fieldSpec(dialect, n), msg.get(n)!, options.unmask);
  return { mti: msg.mti, bitmap: bitmapHex(msg), fields };
}

/** Format as the spec writes it: n6, n..19 (LLVAR), ans...999 (LLLVAR); fixed b in bits (b64). */
export function formatLabel(spec: FieldSpec): string {
  if (spec.lengthType === 'fixed') return `${spec.format}${spec.format === 'b' ? spec.maxLength * 8 : spec.maxLength}`;
  return `${spec.format}${spec.lengthType === 'LLVAR' ? '..' : '...'}${spec.maxLength}`;
}

function annotate(msg: IsoMessage, n: number, value: FieldValue): string | undefined {
  try {
    if (n === 62) {
      if (!Buffer.isBuffer(value) || msg.get(3) !== BILL_PAYMENT_PROCESSING_CODE) return undefined;
      const p = decodeBillPayee(value);
      return `payee ${JSON.stringify(p.name)}, account ${p.account}${p.reference ? `, reference ${JSON.stringify(p.reference)}` : ''}`;
    }
    if (typeof value !== 'string') return undefined;
    switch (n) {
      case 22: {
        const m = parsePosEntryMode(value);
        return `${m.panEntry}, PIN ${m.pin}`;
      }
      case 25:
        return conditionCodeMeaning(value);
      case 39: {
        const r = responseCodeInfo(value);
        return `${r.success ? 'approved' : 'declined'}: ${r.meaning} / ${r.display}`;
      }
      case 48: {
        if (!/^05[0-9]0$/.test(msg.mti) || value.length !== 62) return undefined;
        const t = decodeSettlementTotals(value);
        const side = (s: SettlementSide) =>
          `debit ${s.debitCount} / ${s.debitAmount} fen, credit ${s.creditCount} / ${s.creditAmount} fen, ` +
          `result ${s.result} ${settlementResultMeaning(s.result)}`;
        return `domestic: ${side(t.domestic)}; foreign: ${side(t.foreign)}`;
      }
      case 53: {
        const s = parseSecurityControl(value);
        return `PIN ${s.pinFormat}, ${s.encryption}, tracks ${s.trackEncrypted ? 'encrypted' : 'clear'}`;
      }
      case 54: {
        const b = parseBalance(value);
        return `balance ${b.amount} fen, currency ${b.currency}, account type ${b.accountType}`;
      }
      case 60: {
        const f = parseField60(value);
        const extra = [
          f.readCapability && `60.4=${f.readCapability}`,
          f.icCondition && `60.5=${f.icCondition}`,
          f.partialApproval && `60.6=${f.partialApproval}`,
          f.accountType && `60.7=${f.accountType}`,
        ]
          .filter(Boolean)
          .join(' ');
        return (
          `60.1=${f.transactionType} ${transactionTypeMeaning(f.transactionType)}; 60.2 batch=${f.batchNumber}; ` +
          `60.3=${f.networkCode} ${networkCodeMeaning(f.networkCode)}${extra ? '; ' + extra : ''}`
        );
      }
      case 61: {
        const f = parseField61(value);
        return (
          `original batch ${f.originalBatch}, trace ${f.originalTrace}${f.originalDate ? `, date ${f.originalDate}` : ''}` +
          `${f.authMethod ? `, auth method ${f.authMethod}` : ''}${f.authInstitution ? `, auth institution ${f.authInstitution}` : ''}`
        );
      }
      default:
        return undefined;
    }
  } catch {
    return 'does not match the sub-field layout';
  }
}

/** Field table: number, name, format, value (+ meaning for coded fields, TLV list for field 55). */
export function dumpMessage(msg: IsoMessage, options: DumpOptions = {}): string {
  const dialect = options.dialect ?? CUP_POS_DIALECT;
  const lines = [`MTI ${msg.mti}  bitmap ${bitmapHex(msg)}  fields ${msg.fieldNumbers().join(',')}`];
  const rows: [string, string, string, string][] = [['F', 'name', 'format', 'value']];
  const extra = new Map<number, string[]>();
  for (const n of msg.fieldNumbers()) {
    const spec = fieldSpec(dialect, n);
    const value = msg.get(n)!;
    let shown = displayValue(spec, value, options.unmask);
    if (spec && spec.format !== 'n' && spec.format !== 'z' && spec.format !== 'b') shown = JSON.stringify(shown);
    const note = annotate(msg, n, value);
    rows.push([
      String(n).padStart(2, '0'),
      spec ? `${spec.nameZh} ${spec.name}` : '(undefined field)',
      spec ? `${formatLabel(spec)}${spec.lengthType === 'fixed' ? '' : ' ' + spec.lengthType}` : '?',
      shown + (note ? `  [${note}]` : ''),
    ]);
    if (n === 55 && Buffer.isBuffer(value)) {
      try {
        const list = (nodes: TlvNode[]): string[] =>
          nodes.flatMap((t) =>
            t.children
              ? [`${t.tag} (${t.value.length}) constructed`, ...list(t.children).map((s) => '  ' + s)]
              : [
                  `${t.tag} (${t.value.length}) ${
                    !options.unmask && EMV_CARD_DATA_TAGS.has(t.tag)
                      ? maskCardDataHex(t.value.toString('hex').toUpperCase())
                      : t.value.toString('hex').toUpperCase()
                  }`,
                ],
          );
        extra.set(n, list(decodeTlv(value)));
      } catch (err) {
        extra.set(n, [`not valid BER-TLV: ${(err as Error).message}`]);
      }
    }
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => displayWidth(r[i]))));
  for (const r of rows) {
    lines.push([0, 1, 2].map((i) => r[i] + ' '.repeat(widths[i] - displayWidth(r[i]))).join('  ') + '  ' + r[3]);
    const sub = extra.get(Number(r[0]));
    if (sub) for (const s of sub) lines.push(' '.repeat(widths[0] + widths[1] + widths[2] + 6) + s);
  }
  return lines.join('\n');
}

/** Terminal column width: CJK characters take two columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(ch) ? 2 : 1;
  return w;
}
