import type { FieldValue } from './types';
import { Iso8583EncodeError } from './errors';

/**
 * One ISO 8583 message: MTI plus field values indexed by field number. Values: n and z fields are
 * digit strings (z uses `=` for the separator), a/an/ans are strings, b fields are Buffers.
 * Type and length checks against the dialect happen in packMessage.
 */
export class IsoMessage {
  mti: string;
  private readonly values: (FieldValue | undefined)[] = [];
  /**
   * Pad nibbles seen on the wire by unpackMessage (field -> nibble), so that a message decoded from a
   * terminal that pads with F re-packs byte-identical. Forgotten when the field is set again.
   */
  readonly wirePadNibbles = new Map<number, number>();

  constructor(mti = '0000', fields?: Record<number, FieldValue>) {
    this.mti = mti;
    if (fields) for (const [n, v] of Object.entries(fields)) this.set(Number(n), v);
  }

  get(n: number): FieldValue | undefined {
    return this.values[n];
  }

  /** Text or digit value; a b field is returned as upper-case hex. */
  getString(n: number): string | undefined {
    const v = this.values[n];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : v.toString('hex').toUpperCase();
  }

  /** Binary value; a string field is returned as its latin1 bytes (not its wire encoding). */
  getBuffer(n: number): Buffer | undefined {
    const v = this.values[n];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
  }

  set(n: number, v: FieldValue): this {
    if (!Number.isInteger(n) || n < 2 || n > 128) throw new Iso8583EncodeError(`field number ${n} is outside 2..128`);
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) {
      throw new Iso8583EncodeError(`value must be a string or a Buffer, got ${typeof v}`, n);
    }
    this.values[n] = v;
    this.wirePadNibbles.delete(n);
    return this;
  }

  unset(n: number): this {
    this.values[n] = undefined;
    this.wirePadNibbles.delete(n);
    return this;
  }

  has(n: number): boolean {
    return this.values[n] !== undefined;
  }

  /** Present field numbers in ascending order. */
  fieldNumbers(): number[] {
    const out: number[] = [];
    const values = this.values;
    for (let i = 2; i < values.length; i++) if (values[i] !== undefined) out.push(i);
    return out;
  }

  clone(): IsoMessage {
    const copy = new IsoMessage(this.mti);
    const values = this.values;
    for (let i = 2; i < values.length; i++) {
      const v = values[i];
      if (v !== undefined) (copy.values as (FieldValue | undefined)[])[i] = typeof v === 'string' ? v : Buffer.from(v);
    }
    for (const [k, p] of this.wirePadNibbles) copy.wirePadNibbles.set(k, p);
    return copy;
  }

  /** @internal fast path for the decoder: no validation, keeps the recorded pad nibble. */
  setDecoded(n: number, v: FieldValue): void {
    this.values[n] = v;
  }
}
