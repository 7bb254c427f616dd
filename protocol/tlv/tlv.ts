/**
 * BER-TLV (ISO/IEC 8825-1 subset used by EMV, field 55): multi-byte tags, definite short and long
 * lengths, constructed tags decoded recursively. Indefinite lengths are not used by EMV and are rejected.
 */
import { PoscertError } from '../../errors';

export interface TlvNode {
  /** Upper-case hex of the tag bytes, e.g. `9F26`. */
  tag: string;
  /** The value bytes (for a constructed tag, the encoded children). */
  value: Buffer;
  /** Decoded children when the tag is constructed (bit 6 of the first tag byte). */
  children?: TlvNode[];
}

export type TlvDecodeReason = 'truncated' | 'bad-length' | 'indefinite-length' | 'bad-tag';

export class TlvDecodeError extends PoscertError {
  readonly offset: number;
  readonly reason: TlvDecodeReason;
  constructor(reason: TlvDecodeReason, offset: number, detail: string, tag?: string) {
    super('TLV_DECODE', `cannot decode BER-TLV: ${reason} at byte ${offset}${tag ? ` (tag ${tag})` : ''}: ${detail}`, {
      reason,
      offset,
      ...(tag ? { tag } : {}),
    });
    this.offset = offset;
    this.reason = reason;
  }
}

export class TlvEncodeError extends PoscertError {
  constructor(detail: string, tag?: string) {
    super('TLV_ENCODE', `cannot encode BER-TLV${tag ? ` tag ${JSON.stringify(tag)}` : ''}: ${detail}`, tag ? { tag } : {});
  }
}

/** True when the first tag byte marks a constructed data object. */
export function isConstructedTag(tag: string): boolean {
  return (parseInt(tag.slice(0, 2), 16) & 0x20) !== 0;
}

/**
 * Decodes a sequence of TLV objects. `baseOffset` shifts reported offsets (for nested values).
 * Padding bytes 00 / FF between objects (allowed by EMV Book 3 §B) are skipped.
 */
export function decodeTlv(bytes: Buffer, baseOffset = 0): TlvNode[] {
  const nodes: TlvNode[] = [];
  let off = 0;
  const end = bytes.length;
  while (off < end) {
    const first = bytes[off];
    if (first === 0x00 || first === 0xff) {
      off++;
      continue;
    }
    const tagStart = off;
    off++;
    if ((first & 0x1f) === 0x1f) {
      // Subsequent tag bytes while b8 = 1, then one with b8 = 0.
      for (;;) {
        if (off >= end) throw new TlvDecodeError('truncated', baseOffset + tagStart, 'multi-byte tag runs past the end');
        const b = bytes[off++];
        if (!(b & 0x80)) break;
        if (off - tagStart > 4) throw new TlvDecodeError('bad-tag', baseOffset + tagStart, 'tag longer than 4 bytes');
      }
    }
    const tag = bytes.toString('hex', tagStart, off).toUpperCase();
    if (off >= end) throw new TlvDecodeError('truncated', baseOffset + off, 'length missing', tag);
    let len = bytes[off++];
    if (len === 0x80) throw new TlvDecodeError('indefinite-length', baseOffset + off - 1, 'indefinite length is not allowed in EMV data', tag);
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n > 4) throw new TlvDecodeError('bad-length', baseOffset + off - 1, `${n}-byte length field is not supported`, tag);
      if (off + n > end) throw new TlvDecodeError('truncated', baseOffset + off, `length needs ${n} more byte(s)`, tag);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + bytes[off++];
    }
    if (off + len > end) {
      throw new TlvDecodeError('truncated', baseOffset + off, `value of ${len} byte(s), only ${end - off} remain`, tag);
    }
    const value = Buffer.from(bytes.subarray(off, off + len));
    const node: TlvNode = { tag, value };
    if (first & 0x20) node.children = decodeTlv(value, baseOffset + off);
    nodes.push(node);
    off += len;
  }
  return nodes;
}

const TAG_RE = /^(?:[0-9A-Fa-f]{2})+$/;

function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function checkTag(tag: string): Buffer {
  if (typeof tag !== 'string' || !TAG_RE.test(tag) || tag.length > 8) {
    throw new TlvEncodeError('tag must be 1 to 4 bytes of hex', tag);
  }
  const b = Buffer.from(tag, 'hex');
  const multi = (b[0] & 0x1f) === 0x1f;
  if (multi && b.length === 1) throw new TlvEncodeError('first byte announces a multi-byte tag but no subsequent byte follows', tag);
  if (!multi && b.length !== 1) throw new TlvEncodeError('first byte does not announce a multi-byte tag (low 5 bits must be 1F)', tag);
  for (let i = 1; i < b.length; i++) {
    const last = i === b.length - 1;
    if (last === Boolean(b[i] & 0x80)) throw new TlvEncodeError('bit 8 of the subsequent tag bytes must be 1 except on the last byte', tag);
  }
  return b;
}

/** Encodes nodes with minimal definite lengths. A node with children is encoded from its children. */
export function encodeTlv(nodes: readonly TlvNode[]): Buffer {
  const parts: Buffer[] = [];
  for (const node of nodes) {
    const tag = checkTag(node.tag);
    const value = node.children ? encodeTlv(node.children) : node.value;
    if (!Buffer.isBuffer(value)) throw new TlvEncodeError('value must be a Buffer', node.tag);
    parts.push(tag, encodeLength(value.length), value);
  }
  return Buffer.concat(parts);
}

/** First node with the tag, searching depth-first into constructed nodes. */
export function findTag(nodes: readonly TlvNode[], tag: string): TlvNode | undefined {
  const wanted = tag.toUpperCase();
  for (const node of nodes) {
    if (node.tag === wanted) return node;
    if (node.children) {
      const found = findTag(node.children, wanted);
      if (found) return found;
    }
  }
  return undefined;
}
