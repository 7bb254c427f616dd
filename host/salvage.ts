/**
 * Best-effort reading of a request the host cannot fully decode: the fields a terminal matches a
 * reply on (F3, F4, F11, F41, F42; cup8583.md §3.6 "terminal checks on the response") taken from the
 * raw bytes, so that a 30 reply to an unreadable body can still be matched by the terminal that sent
 * it. The bitmap is walked field by field with the dialect's lengths; a field whose content is wrong
 * but whose length is known is skipped, and the walk stops at the first field whose length cannot be
 * read. Every value returned passed the same check a clean decode would make. Nothing else is kept
 * (the rest of the body may hold card data).
 */
import { CUP_POS_DIALECT, fieldSpec, type FieldSpec } from '../protocol/iso8583';

/** Fields echoed in a reply to an undecodable request, when they can be read. */
export const SALVAGED_FIELDS: readonly number[] = [3, 4, 11, 41, 42];

const PRINTABLE = /^[\x20-\x7e]+$/;

function bcdPrefix(bytes: Buffer, off: number, n: number): number | undefined {
  if (off + n > bytes.length) return undefined;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[off + i];
    if (b >> 4 > 9 || (b & 15) > 9) return undefined;
    v = v * 100 + (b >> 4) * 10 + (b & 15);
  }
  return v;
}

/** Byte length of a field at off (prefix included) and where its content starts; undefined when unreadable. */
function span(bytes: Buffer, off: number, spec: FieldSpec): { start: number; end: number; units: number } | undefined {
  const prefix = spec.lengthType === 'fixed' ? 0 : spec.lengthType === 'LLVAR' ? 1 : 2;
  const units = prefix === 0 ? spec.maxLength : bcdPrefix(bytes, off, prefix);
  if (units === undefined || units > spec.maxLength) return undefined;
  const digits = spec.format === 'n' || spec.format === 'z';
  const start = off + prefix;
  const end = start + (digits ? (units + 1) >> 1 : units);
  return end <= bytes.length ? { start, end, units } : undefined;
}

/**
 * F3 / F4 / F11 (digits) and F41 / F42 (printable text) of a message body (MTI onwards) that did not
 * decode, as far as they can be read. Empty when the bitmap itself is unreadable.
 */
export function salvageEchoFields(body: Buffer): Map<number, string> {
  const out = new Map<number, string>();
  if (body.length < 10 || body[2] & 0x80) return out;
  let off = 10;
  for (let n = 2; n <= 64; n++) {
    if (!(body[2 + ((n - 1) >> 3)] & (0x80 >> ((n - 1) & 7)))) continue;
    const spec = fieldSpec(CUP_POS_DIALECT, n);
    if (!spec) break;
    const s = span(body, off, spec);
    if (!s) break;
    if (SALVAGED_FIELDS.includes(n)) {
      if (spec.format === 'n') {
        const hex = body.toString('hex', s.start, s.end);
        const value = hex.length > s.units ? hex.slice(hex.length - s.units) : hex; // right-aligned fixed digits
        if (/^\d+$/.test(value) && value.length === s.units) out.set(n, value);
      } else {
        const value = body.toString('latin1', s.start, s.end);
        if (PRINTABLE.test(value)) out.set(n, value);
      }
    }
    off = s.end;
    if (n >= 42) break; // nothing after F42 is echoed
  }
  return out;
}
