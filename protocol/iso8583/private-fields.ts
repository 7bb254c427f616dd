/**
 * Codecs of the CUP POS private fields that carry structured content: the SM4 PIN block in F59
 * (tag A1), the key layout of a sign-on's F62 per 60.3, the parameter list of a 360 download in F62 (cup8583.md §3.4) and the track-data block
 * encrypted under the TDK (§5.6). Pure: the cipher itself comes from crypto/.
 */
import * as iconv from 'iconv-lite';
import { desEcbDecrypt, type WorkingKeyLayout } from '../../crypto';
import { FieldContentError } from './errors';

// ---------------------------------------------------------------------------------------------------
// F59: list of tag(2) + length(3 digits) + value; tag A1 = the 16-byte SM4 PIN block (F52 holds only 8 bytes)

export const F59_SM4_PIN_BLOCK_TAG = 'A1';

/** Tag → value of an F59 list; FieldContentError when the list is malformed. */
export function decodeF59Tags(f59: string): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < f59.length) {
    const lenText = f59.slice(off + 2, off + 5);
    const len = Number(lenText);
    if (off + 5 > f59.length || !/^\d{3}$/.test(lenText) || off + 5 + len > f59.length) {
      throw new FieldContentError('59', `F59 is not a list of tag(2) + length(3) + value at position ${off}`, { position: off });
    }
    const tag = f59.slice(off, off + 2);
    if (!out.has(tag)) out.set(tag, f59.slice(off + 5, off + 5 + len));
    off += 5 + len;
  }
  return out;
}

/**
 * The SM4 PIN block of F59 tag A1; undefined when F59 is absent or has no A1. Two forms are read:
 * poscert's text form `A1` + `032` + 32 hex characters, and the 国密 terminals' binary form `A1` +
 * one binary length byte (16) + the 16 bytes of the block (those terminals send F52 = 8 zero
 * bytes beside it). An element whose 3 characters after the tag are digits has a text length;
 * otherwise its length is the one byte after the tag.
 */
export function sm4PinBlockFromF59(f59: string | undefined): Buffer | undefined {
  if (!f59) return undefined;
  // Scans up to A1 only, as terminals may append tags this host does not parse after it.
  let off = 0;
  while (off + 3 <= f59.length) {
    const tag = f59.slice(off, off + 2);
    const lenText = f59.slice(off + 2, off + 5);
    const textLength = /^\d{3}$/.test(lenText);
    const head = textLength ? 5 : 3;
    const len = textLength ? Number(lenText) : f59.charCodeAt(off + 2);
    if (len > 0xff || off + head + len > f59.length) {
      throw new FieldContentError('59', `F59 is not a list of tag(2) + length(3 digits or 1 byte) + value at position ${off}`, { position: off });
    }
    const value = f59.slice(off + head, off + head + len);
    if (tag === F59_SM4_PIN_BLOCK_TAG) {
      if (!textLength) {
        if (len !== 16) throw new FieldContentError('59', `F59 tag A1 (SM4 PIN block, binary form) must be 16 bytes, got ${len}`);
        return Buffer.from(value, 'latin1');
      }
      if (!/^[0-9A-Fa-f]{32}$/.test(value)) throw new FieldContentError('59', 'F59 tag A1 (SM4 PIN block) must be 32 hex characters');
      return Buffer.from(value, 'hex');
    }
    off += head + len;
  }
  return undefined;
}

/** poscert's text form of F59 tag A1: `A1` + `032` + the block as 32 hex characters. */
export function encodeSm4PinBlockF59(block: Buffer): string {
  if (block.length !== 16) throw new FieldContentError('59', `the SM4 PIN block is 16 bytes, got ${block.length}`);
  return `${F59_SM4_PIN_BLOCK_TAG}032${block.toString('hex').toUpperCase()}`;
}

/** The 国密 binary form of F59 tag A1: `A1` + length byte 0x10 + the 16 bytes (as the field's latin1 text); F52 then carries 8 zero bytes. */
export function encodeSm4PinBlockF59Binary(block: Buffer): string {
  if (block.length !== 16) throw new FieldContentError('59', `the SM4 PIN block is 16 bytes, got ${block.length}`);
  return F59_SM4_PIN_BLOCK_TAG + String.fromCharCode(block.length) + block.toString('latin1');
}

// ---------------------------------------------------------------------------------------------------
// F62 of the 0810 answering a sign-on: which key layout (crypto's wrap / unwrapWorkingKeys) each 60.3 gets

/**
 * 60.3 of a sign-on → the F62 key layout (cup8583.md §3.2). 005 / 006 are the 国密 sign-on codes
 * (whty sample, BP host) of SM4 terminals only; no public source gives their F62, so poscert uses
 * its SM4 layouts of 003 / 004 (docs/crypto.md) for them: without / with a TDK. Host and terminal
 * read this one table.
 */
export const SIGN_ON_KEY_LAYOUTS: Readonly<Record<string, { readonly layout: WorkingKeyLayout; readonly sm4Only?: true }>> = Object.freeze({
  '001': { layout: '001' },
  '003': { layout: '003' },
  '004': { layout: '004' },
  '005': { layout: '003', sm4Only: true },
  '006': { layout: '004', sm4Only: true },
});

// ---------------------------------------------------------------------------------------------------
// F62 of the 0810 answering a 360 parameter download: ASCII list of 2-digit id + fixed-length value (§3.4)

export interface ParameterDownload {
  timeoutSeconds: number;
  retries: number;
  /** Three transaction phone numbers and the management number (ids 14..17), N14 each. */
  phones: readonly string[];
  tipSupported: boolean;
  tipPercent: number;
  manualEntry: boolean;
  autoSignOff: boolean;
  resendTimes: number;
  keyIndex: number;
}

/** Truncates to at most n GBK bytes without splitting a character, then space-pads to n bytes. */
function gbkPadded(text: string, n: number): Buffer {
  const parts: Buffer[] = [];
  let used = 0;
  for (const ch of text) {
    const b = iconv.encode(ch, 'gbk');
    if (used + b.length > n) break;
    parts.push(b);
    used += b.length;
  }
  parts.push(Buffer.alloc(n - used, 0x20));
  return Buffer.concat(parts);
}

/** Value lengths of the parameter ids (§3.4 table); 22 (merchant name) is 40 bytes of GBK, 26 a 4-byte bitmap. */
export const PARAMETER_BLOCK_LENGTHS: Readonly<Record<string, number>> = {
  '11': 2,
  '12': 2,
  '13': 1,
  '14': 14,
  '15': 14,
  '16': 14,
  '17': 14,
  '18': 1,
  '19': 2,
  '20': 1,
  '21': 1,
  '22': 40,
  '23': 1,
  '24': 1,
  '25': 1,
  '26': 4,
  '27': 2,
};

/** id → value (trimmed text, 22 decoded from GBK); undefined when the block does not follow the table. */
export function decodeParameterBlock(block: Buffer): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < block.length) {
    if (off + 2 > block.length) return undefined;
    const id = block.toString('latin1', off, off + 2);
    const len = PARAMETER_BLOCK_LENGTHS[id];
    if (len === undefined || off + 2 + len > block.length) return undefined;
    const raw = block.subarray(off + 2, off + 2 + len);
    out[id] = (id === '22' ? iconv.decode(raw, 'gbk') : raw.toString('latin1')).trim();
    off += 2 + len;
  }
  return out;
}

/** Ids 12..21, 22 (merchant name, ANS40 GBK), 23 and 25, in that order (LY UpdateParameters reads them so). */
export function encodeParameterBlock(p: ParameterDownload, merchantName: string): Buffer {
  const n = (v: number, w: number) => String(v).padStart(w, '0').slice(-w);
  const phone = (i: number) => (p.phones[i] ?? '').padEnd(14, ' ');
  return Buffer.concat([
    Buffer.from(
      `12${n(p.timeoutSeconds, 2)}13${n(p.retries, 1)}14${phone(0)}15${phone(1)}16${phone(2)}17${phone(3)}` +
        `18${p.tipSupported ? 1 : 0}19${n(p.tipPercent, 2)}20${p.manualEntry ? 1 : 0}21${p.autoSignOff ? 1 : 0}22`,
      'ascii',
    ),
    gbkPadded(merchantName, 40),
    Buffer.from(`23${n(p.resendTimes, 1)}25${n(p.keyIndex, 1)}`, 'ascii'),
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Track data under the TDK (53.3 = 1, §5.6): the TDB is the 8 bytes (16 nibbles) before the last byte

/** Nibble offset of the TDB in a track written as nibbles (`=` as D); undefined when the track is too short to encrypt. */
export function trackDataBlockOffset(nibbleCount: number): number | undefined {
  if (nibbleCount < 17) return undefined; // terminals leave tracks shorter than the TDB in clear
  return nibbleCount % 2 === 1 ? nibbleCount - 17 : nibbleCount - 18;
}

/** The track with its TDB decrypted under the TDK (16-byte key: 3DES); short tracks are returned as they are. */
export function decryptTrackData(tdk: Buffer, track: string): string {
  const nibbles = track.replace(/=/g, 'D').toUpperCase();
  const start = trackDataBlockOffset(nibbles.length);
  if (start === undefined) return track;
  const clear = desEcbDecrypt(tdk, Buffer.from(nibbles.slice(start, start + 16), 'hex'))
    .toString('hex')
    .toUpperCase();
  return (nibbles.slice(0, start) + clear + nibbles.slice(start + 16)).replace(/D/g, '=');
}
