/**
 * Positional sub-fields of the CUP POS dialect as data: one layout per field (F60, F61, F53, F54 and
 * one side of F48) and one generic parse / format. A sub-field is an id ('60.3'), a key, a length and
 * a format; optional sub-fields trail the required ones and are positional (one is present only when
 * every one before it is). The typed views (parseField60 ...) in fields.ts sit on top of these.
 */
import { FieldContentError } from './errors';

export interface SubFieldSpec<K extends string = string> {
  /** Sub-field id as the reference numbers it ('60.3'). */
  readonly id: string;
  readonly key: K;
  readonly length: number;
  /** n: digits; an: any printable character. */
  readonly format: 'n' | 'an';
  /** The only values allowed, when the reference lists them. */
  readonly values?: readonly string[];
  /** Trailing and positional: may be absent, and then every sub-field after it is too. */
  readonly optional?: boolean;
}

export interface SubFieldLayout<K extends string = string> {
  /** Field number, for error messages ('60'). */
  readonly field: string;
  /** What the whole value is, for error messages ('balance'). */
  readonly name: string;
  /** Every character of the value is a digit (checked first, as a whole). */
  readonly digitsOnly?: boolean;
  readonly subfields: readonly SubFieldSpec<K>[];
}

export type SubFieldValues<K extends string> = Partial<Record<K, string>>;

const DIGITS_RE = /^[0-9]*$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;

function label(s: SubFieldSpec): string {
  return s.id === s.key ? s.id : `${s.id} ${s.key}`;
}

function checkPart(layout: SubFieldLayout, s: SubFieldSpec, v: unknown, at?: number): string {
  const where = at === undefined ? '' : ` at position ${at}`;
  if (typeof v !== 'string' || v.length !== s.length || !(s.format === 'n' ? DIGITS_RE : PRINTABLE_RE).test(v)) {
    const what = s.format === 'n' ? `${s.length} digit(s)` : `${s.length} character(s)`;
    throw new FieldContentError(layout.field, `${label(s)}${where} must be ${what}, got ${JSON.stringify(v)}`, { part: label(s) });
  }
  if (s.values && !s.values.includes(v)) {
    throw new FieldContentError(layout.field, `${label(s)}${where} must be ${s.values.join(' or ')}, got ${JSON.stringify(v)}`, { part: label(s) });
  }
  return v;
}

/** Length of the required part and of the whole layout. */
export function subFieldLengths(layout: SubFieldLayout): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const s of layout.subfields) {
    if (!s.optional) min += s.length;
    max += s.length;
  }
  return { min, max };
}

/** Splits a value into its sub-fields; FieldContentError names the sub-field and position that do not fit. */
export function parseSubFields<K extends string>(layout: SubFieldLayout<K>, value: string): SubFieldValues<K> {
  const f = layout.field;
  if (typeof value !== 'string') throw new FieldContentError(f, `${layout.name} must be a string, got ${typeof value}`);
  if (layout.digitsOnly && !DIGITS_RE.test(value)) throw new FieldContentError(f, `must be a digit string, got ${JSON.stringify(value)}`);
  const { min, max } = subFieldLengths(layout);
  const required = layout.subfields.filter((s) => !s.optional);
  const unit = layout.digitsOnly ? 'digits' : 'characters';
  if (min === max && value.length !== max) {
    throw new FieldContentError(f, `${layout.name} must be ${max} ${unit} (${required.map((s) => s.length).join('+')}), got ${value.length}`);
  }
  if (value.length < min) {
    throw new FieldContentError(f, `needs at least ${min} digits (${required.map((s) => s.id).join(' + ')}), got ${value.length}`);
  }
  const out: SubFieldValues<K> = {};
  let off = 0;
  for (const s of layout.subfields) {
    if (s.optional && off >= value.length) break;
    if (off + s.length > value.length) {
      throw new FieldContentError(f, `${label(s)} needs ${s.length} ${unit} at position ${off}, the field ends`, { part: label(s) });
    }
    out[s.key] = checkPart(layout, s, value.slice(off, off + s.length), off);
    off += s.length;
  }
  if (off !== value.length) {
    throw new FieldContentError(f, `${value.length - off} ${unit} after ${layout.subfields[layout.subfields.length - 1].id}`);
  }
  return out;
}

/** Joins sub-field values; a missing required one, a wrong one, or an optional one after a gap is a FieldContentError. */
export function formatSubFields<K extends string>(layout: SubFieldLayout<K>, values: SubFieldValues<K>): string {
  let s = '';
  let missing: SubFieldSpec<K> | undefined;
  for (const spec of layout.subfields) {
    const v = values[spec.key];
    if (spec.optional && v === undefined) {
      missing ??= spec;
      continue;
    }
    if (missing) {
      throw new FieldContentError(layout.field, `${label(spec)} is set but ${label(missing)} before it is not (sub-fields are positional)`, {
        part: label(spec),
      });
    }
    s += checkPart(layout, spec, v);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------
// The layouts (cup8583.md sections in the comments)

/** §2.4 F60 自定义域: 60.1 n2 + 60.2 n6 + 60.3 n3 [+ 60.4 n1 + 60.5 n1 + 60.6 n1 + 60.7 n3]. */
export const FIELD60_LAYOUT = {
  field: '60',
  name: 'F60',
  digitsOnly: true,
  subfields: [
    { id: '60.1', key: 'transactionType', length: 2, format: 'n' },
    { id: '60.2', key: 'batchNumber', length: 6, format: 'n' },
    { id: '60.3', key: 'networkCode', length: 3, format: 'n' },
    { id: '60.4', key: 'readCapability', length: 1, format: 'n', optional: true },
    { id: '60.5', key: 'icCondition', length: 1, format: 'n', optional: true },
    { id: '60.6', key: 'partialApproval', length: 1, format: 'n', optional: true },
    { id: '60.7', key: 'accountType', length: 3, format: 'n', optional: true },
  ],
} as const satisfies SubFieldLayout;

/** §2.5 F61 原始信息域: 61.1 n6 + 61.2 n6 [+ 61.3 n4 + 61.4 n2 + 61.5 n11]. */
export const FIELD61_LAYOUT = {
  field: '61',
  name: 'F61',
  digitsOnly: true,
  subfields: [
    { id: '61.1', key: 'originalBatch', length: 6, format: 'n' },
    { id: '61.2', key: 'originalTrace', length: 6, format: 'n' },
    { id: '61.3', key: 'originalDate', length: 4, format: 'n', optional: true },
    { id: '61.4', key: 'authMethod', length: 2, format: 'n', optional: true },
    { id: '61.5', key: 'authInstitution', length: 11, format: 'n', optional: true },
  ],
} as const satisfies SubFieldLayout;

/** §5.4 F53 安全控制信息 n16: 53.1 PIN format, 53.2 encryption, 53.3 track encryption flag, 13 reserved digits. */
export const FIELD53_LAYOUT = {
  field: '53',
  name: 'security control',
  digitsOnly: true,
  subfields: [
    { id: '53.1', key: 'pinFormat', length: 1, format: 'n' },
    { id: '53.2', key: 'encryption', length: 1, format: 'n' },
    { id: '53.3', key: 'trackEncrypted', length: 1, format: 'n', values: ['0', '1'] },
    { id: '53.4', key: 'reserved', length: 13, format: 'n' },
  ],
} as const satisfies SubFieldLayout;

/** §2.2 F54 余额: 账户类型 n2 + 余额类型 n2 + 货币代码 n3 + 符号 C/D + 余额 n12. */
export const FIELD54_LAYOUT = {
  field: '54',
  name: 'balance',
  subfields: [
    { id: '54.1', key: 'accountType', length: 2, format: 'n' },
    { id: '54.2', key: 'amountType', length: 2, format: 'n' },
    { id: '54.3', key: 'currency', length: 3, format: 'n' },
    { id: '54.4', key: 'sign', length: 1, format: 'an', values: ['C', 'D'] },
    { id: '54.5', key: 'amount', length: 12, format: 'n' },
  ],
} as const satisfies SubFieldLayout;

/** §3.9 one side (domestic, then foreign) of the 62-digit F48 of 0500 / 0510; the reference does not number these. */
export const FIELD48_SETTLEMENT_SIDE_LAYOUT = {
  field: '48',
  name: 'settlement side',
  digitsOnly: true,
  subfields: [
    { id: 'debitAmount', key: 'debitAmount', length: 12, format: 'n' },
    { id: 'debitCount', key: 'debitCount', length: 3, format: 'n' },
    { id: 'creditAmount', key: 'creditAmount', length: 12, format: 'n' },
    { id: 'creditCount', key: 'creditCount', length: 3, format: 'n' },
    { id: 'result', key: 'result', length: 1, format: 'n', values: ['0', '1', '2', '3'] },
  ],
} as const satisfies SubFieldLayout;

export type LayoutKey<L extends SubFieldLayout> = L['subfields'][number]['key'];
