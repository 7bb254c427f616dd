/**
 * The generic ISO 8583 packer: one encoder and one decoder driven by the dialect table.
 * Specs are compiled once per dialect into an array indexed by field number (no per-field lookups,
 * regexes or allocations beyond the output), and packing writes into a preallocated scratch buffer.
 */
import * as iconv from 'iconv-lite';
import type { Dialect, FieldSpec, FieldValue } from './types';
import { IsoMessage } from './message';
import { Iso8583DecodeError, Iso8583EncodeError } from './errors';
import { CUP_POS_DIALECT } from './cup-dialect';

const enum Kind {
  Numeric,
  Track,
  Text,
  Binary,
}
const enum Prefix {
  None = 0,
  LL = 1,
  LLL = 2,
}

interface CompiledSpec {
  readonly spec: FieldSpec;
  readonly id: number;
  readonly kind: Kind;
  readonly prefix: Prefix;
  readonly max: number;
  readonly leftAligned: boolean;
  readonly pad: number;
  readonly gbk: boolean;
}

interface CompiledDialect {
  readonly specs: (CompiledSpec | undefined)[];
  readonly hasSecondary: boolean;
  readonly scratch: Buffer;
}

const compiledCache = new WeakMap<Dialect, CompiledDialect>();

export function dialectFields(dialect: Dialect): FieldSpec[] {
  const f = dialect.fields;
  const list = f instanceof Map ? [...f.values()] : Object.values(f as Record<number, FieldSpec>);
  return list.sort((a, b) => a.id - b.id);
}

/** The spec of field n in the dialect, or undefined when the dialect does not define it. */
export function fieldSpec(dialect: Dialect, n: number): FieldSpec | undefined {
  return compile(dialect).specs[n]?.spec;
}

function compile(dialect: Dialect): CompiledDialect {
  const cached = compiledCache.get(dialect);
  if (cached) return cached;
  const specs: (CompiledSpec | undefined)[] = new Array(129).fill(undefined);
  let maxBytes = 2 + 16;
  let hasSecondary = false;
  for (const spec of dialectFields(dialect)) {
    if (!Number.isInteger(spec.id) || spec.id < 2 || spec.id > 128) {
      throw new Iso8583EncodeError(`dialect ${dialect.name} defines field ${spec.id}, outside 2..128`);
    }
    if (spec.id > 64) hasSecondary = true;
    const kind = spec.format === 'n' ? Kind.Numeric : spec.format === 'z' ? Kind.Track : spec.format === 'b' ? Kind.Binary : Kind.Text;
    const prefix = spec.lengthType === 'fixed' ? Prefix.None : spec.lengthType === 'LLVAR' ? Prefix.LL : Prefix.LLL;
    const leftAligned = spec.align ? spec.align === 'left' : prefix !== Prefix.None;
    specs[spec.id] = {
      spec,
      id: spec.id,
      kind,
      prefix,
      max: spec.maxLength,
      leftAligned,
      pad: spec.padNibble ?? 0,
      gbk: spec.charset === 'gbk',
    };
    const bodyBytes = kind === Kind.Numeric || kind === Kind.Track ? (spec.maxLength + 1) >> 1 : spec.maxLength;
    maxBytes += prefix + bodyBytes;
  }
  const compiled: CompiledDialect = { specs, hasSecondary, scratch: Buffer.allocUnsafe(maxBytes) };
  compiledCache.set(dialect, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------------
// Packing

/** Nibble of a character in n (digits only) and z (digits, `=` as D, hex letters of encrypted tracks). */
const TRACK_NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) TRACK_NIBBLE[48 + c] = c;
TRACK_NIBBLE[61] = 0xd; // '='
for (const [ch, v] of [
  ['A', 10],
  ['B', 11],
  ['C', 12],
  ['D', 13],
  ['E', 14],
  ['F', 15],
] as const) {
  TRACK_NIBBLE[ch.charCodeAt(0)] = v;
  TRACK_NIBBLE[ch.toLowerCase().charCodeAt(0)] = v;
}

function writeLengthPrefix(buf: Buffer, off: number, prefix: Prefix, len: number): number {
  if (prefix === Prefix.LL) {
    buf[off] = (((len / 10) | 0) << 4) | (len % 10);
    return off + 1;
  }
  buf[off] = (len / 100) | 0;
  const r = len % 100;
  buf[off + 1] = (((r / 10) | 0) << 4) | (r % 10);
  return off + 2;
}

/** Packs digit string s (already validated) as BCD at off; odd counts get the pad nibble left or right. */
function writeBcd(buf: Buffer, off: number, s: string, leftAligned: boolean, pad: number, nibbleOf: Int8Array, field: number): number {
  const n = s.length;
  let i = 0;
  if (n & 1) {
    if (leftAligned) {
      for (; i < n - 1; i += 2) buf[off++] = (nibble(s, i, nibbleOf, field) << 4) | nibble(s, i + 1, nibbleOf, field);
      buf[off++] = (nibble(s, i, nibbleOf, field) << 4) | pad;
      return off;
    }
    buf[off++] = (pad << 4) | nibble(s, 0, nibbleOf, field);
    i = 1;
  }
  for (; i < n; i += 2) buf[off++] = (nibble(s, i, nibbleOf, field) << 4) | nibble(s, i + 1, nibbleOf, field);
  return off;
}

function nibble(s: string, i: number, nibbleOf: Int8Array, field: number): number {
  const c = s.charCodeAt(i);
  const v = c < 128 ? nibbleOf[c] : -1;
  if (v < 0) {
    throw new Iso8583EncodeError(
      `character ${JSON.stringify(s[i])} at position ${i} is not allowed (${nibbleOf === DIGIT_NIBBLE ? 'digits only' : 'digits and = only'})`,
      field,
    );
  }
  return v;
}

const DIGIT_NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) DIGIT_NIBBLE[48 + c] = c;

function writeField(buf: Buffer, off: number, c: CompiledSpec, value: FieldValue, wirePad: number | undefined): number {
  const id = c.id;
  switch (c.kind) {
    case Kind.Numeric:
    case Kind.Track: {
      if (typeof value !== 'string') throw new Iso8583EncodeError(`${c.spec.format} field needs a digit string, got a Buffer`, id);
      let s = value;
      if (c.prefix === Prefix.None) {
        if (s.length > c.max) throw new Iso8583EncodeError(`${s.length} digits, the field is fixed at ${c.max}`, id);
        if (s.length < c.max) {
          // Leading zeros keep a right-aligned number's value; a left-aligned code (F22) would change meaning.
          if (c.leftAligned) throw new Iso8583EncodeError(`${s.length} digits, the field is fixed at ${c.max}`, id);
          s = s.padStart(c.max, '0');
        }
      } else {
        if (s.length > c.max) throw new Iso8583EncodeError(`${s.length} digits, the maximum is ${c.max}`, id);
        off = writeLengthPrefix(buf, off, c.prefix, s.length);
      }
      return writeBcd(buf, off, s, c.leftAligned, wirePad ?? c.pad, c.kind === Kind.Numeric ? DIGIT_NIBBLE : TRACK_NIBBLE, id);
    }
    case Kind.Text: {
      if (typeof value !== 'string') throw new Iso8583EncodeError(`${c.spec.format} field needs a string, got a Buffer`, id);
      if (c.gbk) {
        const bytes = iconv.encode(value, 'gbk');
        return writeBytes(buf, off, c, bytes, true);
      }
      const n = value.length;
      for (let i = 0; i < n; i++) {
        if (value.charCodeAt(i) > 0xff) {
          throw new Iso8583EncodeError(
            `character ${JSON.stringify(value[i])} at position ${i} is not a single-byte character (the field is not GBK)`,
            id,
          );
        }
      }
      if (c.prefix === Prefix.None) {
        if (n > c.max) throw new Iso8583EncodeError(`${n} characters, the field is fixed at ${c.max}`, id);
        buf.write(value, off, n, 'latin1');
        if (n < c.max) buf.fill(0x20, off + n, off + c.max);
        return off + c.max;
      }
      if (n > c.max) throw new Iso8583EncodeError(`${n} bytes, the maximum is ${c.max}`, id);
      off = writeLengthPrefix(buf, off, c.prefix, n);
      buf.write(value, off, n, 'latin1');
      return off + n;
    }
    case Kind.Binary:
      if (!Buffer.isBuffer(value)) throw new Iso8583EncodeError('b field needs a Buffer, got a string', id);
      return writeBytes(buf, off, c, value, false);
  }
}

function writeBytes(buf: Buffer, off: number, c: CompiledSpec, bytes: Buffer, spacePad: boolean): number {
  const n = bytes.length;
  if (c.prefix === Prefix.None) {
    if (n > c.max || (n < c.max && !spacePad)) {
      throw new Iso8583EncodeError(`${n} bytes, the field is fixed at ${c.max}`, c.id);
    }
    bytes.copy(buf, off);
    if (n < c.max) buf.fill(0x20, off + n, off + c.max);
    return off + c.max;
  }
  if (n > c.max) throw new Iso8583EncodeError(`${n} bytes, the maximum is ${c.max}`, c.id);
  off = writeLengthPrefix(buf, off, c.prefix, n);
  bytes.copy(buf, off);
  return off + n;
}

function writeMti(buf: Buffer, mti: string): void {
  if (typeof mti !== 'string' || mti.length !== 4) throw new Iso8583EncodeError(`MTI must be 4 digits, got ${JSON.stringify(mti)}`);
  for (let i = 0; i < 4; i++) {
    const c = mti.charCodeAt(i);
    if (c < 48 || c > 57) throw new Iso8583EncodeError(`MTI must be 4 digits, got ${JSON.stringify(mti)}`);
  }
  buf[0] = ((mti.charCodeAt(0) - 48) << 4) | (mti.charCodeAt(1) - 48);
  buf[1] = ((mti.charCodeAt(2) - 48) << 4) | (mti.charCodeAt(3) - 48);
}

/**
 * Packs MTI + bitmap + fields. With `forMac`, bit 64 is set in the bitmap but field 64 is not
 * written: exactly the CUP MAC input (cup8583.md §5.3 step 1).
 */
export function packInternal(msg: IsoMessage, dialect: Dialect, forMac: boolean): Buffer {
  const compiled = compile(dialect);
  const buf = compiled.scratch;
  const numbers = msg.fieldNumbers();
  let secondary = false;
  for (const n of numbers) {
    if (!compiled.specs[n]) throw new Iso8583EncodeError(`the ${dialect.name} dialect does not define field ${n}`, n);
    if (n > 64) secondary = true;
  }
  writeMti(buf, msg.mti);
  const bitmapBytes = secondary ? 16 : 8;
  buf.fill(0, 2, 2 + bitmapBytes);
  if (secondary) buf[2] = 0x80;
  let off = 2 + bitmapBytes;
  for (const n of numbers) {
    const bit = n - 1;
    buf[2 + (bit >> 3)] |= 0x80 >> (bit & 7);
    if (forMac && n === 64) continue;
    off = writeField(buf, off, compiled.specs[n]!, msg.get(n)!, msg.wirePadNibbles.size ? msg.wirePadNibbles.get(n) : undefined);
  }
  if (forMac) {
    if (!compiled.specs[64]) throw new Iso8583EncodeError(`the ${dialect.name} dialect does not define field 64 (MAC)`, 64);
    buf[2 + 7] |= 0x01;
  }
  const out = Buffer.allocUnsafe(off);
  buf.copy(out, 0, 0, off);
  return out;
}

/** MTI + bitmap + fields, under the dialect (CUP POS by default). Throws Iso8583EncodeError. */
export function packMessage(msg: IsoMessage, dialect: Dialect = CUP_POS_DIALECT): Buffer {
  return packInternal(msg, dialect, false);
}

// ---------------------------------------------------------------------------------------------------
// Unpacking

const HEX = '0123456789ABCDEF';
/** Two characters per byte for n fields (only valid when both nibbles are digits). */
const BYTE_DIGITS: string[] = [];
/** Two characters per byte for z fields: D reads as `=`, other letters as hex. */
const BYTE_TRACK: string[] = [];
const BYTE_IS_BCD = new Uint8Array(256);
const TRACK_CHAR = '0123456789ABC=EF';
for (let b = 0; b < 256; b++) {
  BYTE_DIGITS[b] = HEX[b >> 4] + HEX[b & 15];
  BYTE_TRACK[b] = TRACK_CHAR[b >> 4] + TRACK_CHAR[b & 15];
  BYTE_IS_BCD[b] = b >> 4 < 10 && (b & 15) < 10 ? 1 : 0;
}

function truncated(field: number | undefined, off: number, need: number, have: number, what: string): Iso8583DecodeError {
  return new Iso8583DecodeError('truncated', off, `${what} needs ${need} byte(s), only ${have} remain`, field);
}

function badNibble(field: number | undefined, off: number, byte: number, what: string): Iso8583DecodeError {
  return new Iso8583DecodeError('bad-bcd-nibble', off, `${what}: byte ${byte.toString(16).toUpperCase().padStart(2, '0')} is not packed BCD`, field);
}

function readLengthPrefix(bytes: Buffer, off: number, c: CompiledSpec): number {
  const end = bytes.length;
  if (off + c.prefix > end) throw truncated(c.id, off, c.prefix, end - off, 'length prefix');
  const b0 = bytes[off];
  if (!BYTE_IS_BCD[b0]) throw badNibble(c.id, off, b0, 'length prefix');
  let len: number;
  if (c.prefix === Prefix.LL) {
    len = (b0 >> 4) * 10 + (b0 & 15);
  } else {
    const b1 = bytes[off + 1];
    if (!BYTE_IS_BCD[b1]) throw badNibble(c.id, off + 1, b1, 'length prefix');
    len = (b0 >> 4) * 1000 + (b0 & 15) * 100 + (b1 >> 4) * 10 + (b1 & 15);
  }
  if (len > c.max) {
    throw new Iso8583DecodeError('length-over-max', off, `length prefix says ${len}, the field maximum is ${c.max}`, c.id);
  }
  return len;
}

function isPad(nib: number): boolean {
  return nib === 0 || nib === 0xf;
}

/** Reads `digits` BCD digits at off; returns the string; records an F pad nibble on the message. */
function readBcd(bytes: Buffer, off: number, digits: number, c: CompiledSpec, msg: IsoMessage): string {
  const nBytes = (digits + 1) >> 1;
  if (off + nBytes > bytes.length) throw truncated(c.id, off, nBytes, bytes.length - off, `${digits} digits`);
  const numeric = c.kind === Kind.Numeric;
  const table = numeric ? BYTE_DIGITS : BYTE_TRACK;
  let s = '';
  let i = off;
  let last = off + nBytes;
  if (digits & 1) {
    if (c.leftAligned) {
      last--;
    } else {
      const b = bytes[i++];
      const hi = b >> 4;
      const lo = b & 15;
      if (!isPad(hi) || (numeric && lo > 9)) throw badNibble(c.id, off, b, 'leading pad nibble must be 0 or F then a digit');
      if (hi !== 0) msg.wirePadNibbles.set(c.id, hi);
      s = table[b][1];
    }
  }
  if (numeric) {
    for (; i < last; i++) {
      const b = bytes[i];
      if (!BYTE_IS_BCD[b]) throw badNibble(c.id, i, b, 'digit');
      s += BYTE_DIGITS[b];
    }
  } else {
    for (; i < last; i++) s += BYTE_TRACK[bytes[i]];
  }
  if (digits & 1 && c.leftAligned) {
    const b = bytes[last];
    const hi = b >> 4;
    const lo = b & 15;
    if ((numeric && hi > 9) || !isPad(lo)) throw badNibble(c.id, last, b, 'last digit then a pad nibble 0 or F');
    if (lo !== 0) msg.wirePadNibbles.set(c.id, lo);
    s += table[b][0];
  }
  return s;
}

function readField(bytes: Buffer, off: number, c: CompiledSpec, msg: IsoMessage): number {
  let len = c.max;
  if (c.prefix !== Prefix.None) {
    len = readLengthPrefix(bytes, off, c);
    off += c.prefix;
  }
  if (c.kind === Kind.Numeric || c.kind === Kind.Track) {
    msg.setDecoded(c.id, readBcd(bytes, off, len, c, msg));
    return off + ((len + 1) >> 1);
  }
  const end = off + len;
  if (end > bytes.length) throw truncated(c.id, off, len, bytes.length - off, `${c.spec.format} field of ${len} bytes`);
  if (c.kind === Kind.Binary) {
    const v = Buffer.allocUnsafe(len);
    bytes.copy(v, 0, off, end);
    msg.setDecoded(c.id, v);
  } else if (c.gbk) {
    msg.setDecoded(c.id, decodeGbk(bytes, off, end, c.id));
  } else {
    msg.setDecoded(c.id, bytes.toString('latin1', off, end));
  }
  return end;
}

/** GBK text; bytes that are not valid GBK are an error rather than a silent replacement character. */
function decodeGbk(bytes: Buffer, off: number, end: number, field: number): string {
  let ascii = true;
  for (let i = off; i < end; i++)
    if (bytes[i] > 0x7f) {
      ascii = false;
      break;
    }
  if (ascii) return bytes.toString('latin1', off, end);
  const raw = bytes.subarray(off, end);
  const text = iconv.decode(raw, 'gbk');
  if (!iconv.encode(text, 'gbk').equals(raw)) {
    throw new Iso8583DecodeError('bad-text', off, 'the bytes are not valid GBK text', field);
  }
  return text;
}

/**
 * Decodes MTI + bitmap + fields. Every byte must be consumed: trailing bytes, truncation, bad BCD,
 * over-long lengths and bits of undefined fields throw Iso8583DecodeError (field, offset, reason).
 */
export function unpackMessage(input: Buffer | Uint8Array, dialect: Dialect = CUP_POS_DIALECT): IsoMessage {
  if (!(input instanceof Uint8Array)) {
    throw new Iso8583EncodeError(`unpackMessage needs a Buffer or Uint8Array, got ${input === null ? 'null' : typeof input}`);
  }
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const compiled = compile(dialect);
  const specs = compiled.specs;
  const total = bytes.length;
  if (total < 2) throw truncated(undefined, 0, 2, total, 'MTI');
  const m0 = bytes[0];
  const m1 = bytes[1];
  if (!BYTE_IS_BCD[m0]) throw badNibble(undefined, 0, m0, 'MTI');
  if (!BYTE_IS_BCD[m1]) throw badNibble(undefined, 1, m1, 'MTI');
  const msg = new IsoMessage(BYTE_DIGITS[m0] + BYTE_DIGITS[m1]);
  if (total < 10) throw truncated(undefined, 2, 8, total - 2, 'primary bitmap');
  let bitmapBytes = 8;
  if (bytes[2] & 0x80) {
    if (!compiled.hasSecondary) {
      throw new Iso8583DecodeError(
        'secondary-bitmap',
        2,
        `bit 1 is set (secondary bitmap) but the ${dialect.name} dialect has a primary bitmap only`,
      );
    }
    if (total < 18) throw truncated(undefined, 10, 8, total - 10, 'secondary bitmap');
    bitmapBytes = 16;
  }
  let off = 2 + bitmapBytes;
  for (let i = 0; i < bitmapBytes; i++) {
    const byte = bytes[2 + i];
    if (byte === 0) continue;
    for (let j = 0; j < 8; j++) {
      if (!(byte & (0x80 >> j))) continue;
      const n = i * 8 + j + 1;
      if (n === 1) continue;
      const c = specs[n];
      if (!c) {
        throw new Iso8583DecodeError(
          'undefined-field',
          2 + i,
          `bitmap bit ${n} is set but the ${dialect.name} dialect does not define field ${n}`,
          n,
        );
      }
      off = readField(bytes, off, c, msg);
    }
  }
  if (off !== total) {
    throw new Iso8583DecodeError('trailing-bytes', off, `${total - off} byte(s) follow the last field`);
  }
  return msg;
}
