/**
 * Data model of an ISO 8583 dialect. A dialect is a table of FieldSpec rows; one generic packer
 * (codec.ts) reads the table, so adding or correcting a field never touches code.
 */

/** n: BCD digits; z: track data as BCD with `=` written as nibble D; a/an/ans: text; b: raw bytes. */
export type FieldFormat = 'n' | 'z' | 'a' | 'an' | 'ans' | 'b';
export type LengthType = 'fixed' | 'LLVAR' | 'LLLVAR';
export type FieldSensitivity = 'pan' | 'track' | 'pin' | 'key' | 'mac';

export interface FieldSpec {
  /** Field number 2..64 (128 with a secondary bitmap). */
  readonly id: number;
  readonly name: string;
  /** The field's name in the UnionPay specification (中文名). */
  readonly nameZh: string;
  readonly format: FieldFormat;
  readonly lengthType: LengthType;
  /**
   * Fixed length or variable maximum, in the units the length prefix counts:
   * digits for n and z, bytes for a, an, ans and b (F64 "b64" = 8 bytes).
   */
  readonly maxLength: number;
  /**
   * BCD alignment when the digit count is odd. Default: right for fixed n (leading 0 nibble),
   * left for variable n and z (trailing pad nibble). CUP F22 is fixed n3 but left-aligned.
   */
  readonly align?: 'left' | 'right';
  /** Pad nibble emitted for odd digit counts (0x0 or 0xF). Decoding accepts both. Default 0. */
  readonly padNibble?: 0x0 | 0xf;
  /** Text encoding of a/an/ans fields. ascii is decoded as latin1 so that any byte round-trips. */
  readonly charset?: 'ascii' | 'gbk';
  readonly sensitive?: FieldSensitivity;
}

export interface Dialect {
  readonly name: string;
  readonly fields: ReadonlyMap<number, FieldSpec> | Readonly<Record<number, FieldSpec>>;
}

/** Value types: n and z as strings, a/an/ans as strings, b as Buffer. */
export type FieldValue = string | Buffer;
