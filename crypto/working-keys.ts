import { desEcbDecrypt, desEcbEncrypt, sm4EcbDecrypt, sm4EcbEncrypt } from './ciphers';
import { CryptoInputError, KeyCheckValueError, KeyLengthError } from './errors';
import { keyCheckValue } from './kcv';

/**
 * Working keys of the sign-on response field 62 (cup8583.md §3.2), each encrypted under the TMK
 * (ECB) and followed by a 4-byte check value of the clear key.
 *
 * des / tdes (TMK of 8, 16 or 24 bytes; DES or TDES ECB by its length):
 *   001 (24 B): PIK(8)  CV(4) MAK(8) CV(4)                         — single-DES keys
 *   003 (40 B): PIK(16) CV(4) MAK(8 enc + 8 bytes 00) CV(4)         — MAK is single DES
 *   004 (60 B): the 40 B of 003 + TDK(16) CV(4)
 *   CV = first 4 bytes of E(clear key, 00×8): TDES for 16-byte keys, DES for 8-byte keys.
 *   A 16-byte MAK (double length, seen at some acquirers) is written as 16 bytes of ciphertext in the
 *   same slot; on unwrap a slot whose last 8 bytes are not 00 is read as a 16-byte MAK. Either way
 *   the CV decides, so a wrong reading cannot pass silently.
 * sm4 (国密; 16-byte TMK, all keys 16 bytes, SM4-ECB under the TMK, CV = first 4 bytes of
 * SM4(clear key, 00×16)) — our documented layout, same offsets as the TDES ones:
 *   003 (40 B): PIK(16) CV(4) MAK(16) CV(4)
 *   004 (60 B): the 40 B of 003 + TDK(16) CV(4)
 *   001 does not exist for SM4 (no 8-byte keys).
 */

export type KeyScheme = 'des' | 'tdes' | 'sm4';
export type WorkingKeyLayout = '001' | '003' | '004';

export interface WorkingKeys {
  pik: Buffer;
  mak: Buffer;
  tdk?: Buffer;
}

export const WORKING_KEY_LAYOUT_LENGTH: Readonly<Record<WorkingKeyLayout, number>> = { '001': 24, '003': 40, '004': 60 };

interface Slot {
  name: 'PIK' | 'MAK' | 'TDK';
  offset: number;
  size: number;
}

function slots(layout: WorkingKeyLayout): Slot[] {
  switch (layout) {
    case '001':
      return [
        { name: 'PIK', offset: 0, size: 8 },
        { name: 'MAK', offset: 12, size: 8 },
      ];
    case '003':
      return [
        { name: 'PIK', offset: 0, size: 16 },
        { name: 'MAK', offset: 20, size: 16 },
      ];
    case '004':
      return [
        { name: 'PIK', offset: 0, size: 16 },
        { name: 'MAK', offset: 20, size: 16 },
        { name: 'TDK', offset: 40, size: 16 },
      ];
    default:
      throw new CryptoInputError('field 62 layout', `unknown layout "${String(layout)}" (use 001, 003 or 004; it is 60.3 of the sign-on)`);
  }
}

function checkSchemeAndTmk(tmk: Buffer, layout: WorkingKeyLayout, scheme: KeyScheme): void {
  slots(layout); // throws on an unknown layout before anything else is looked at
  if (!Buffer.isBuffer(tmk)) throw new CryptoInputError('TMK', 'must be a Buffer');
  if (scheme === 'sm4') {
    if (tmk.length !== 16) throw new KeyLengthError('TMK (sm4)', tmk.length, [16]);
    if (layout === '001') throw new CryptoInputError('field 62 layout', 'layout 001 (single-DES keys) does not exist for sm4; use 003 or 004');
  } else if (scheme === 'des' || scheme === 'tdes') {
    if (tmk.length !== 8 && tmk.length !== 16 && tmk.length !== 24) throw new KeyLengthError(`TMK (${scheme})`, tmk.length, [8, 16, 24]);
  } else {
    throw new CryptoInputError('key scheme', `unknown scheme "${String(scheme)}" (use des, tdes or sm4)`);
  }
}

function kcvOf(key: Buffer, scheme: KeyScheme): Buffer {
  return keyCheckValue(key, { algorithm: scheme === 'sm4' ? 'sm4' : 'tdes', length: 4 });
}

function allowedSizes(slot: Slot, layout: WorkingKeyLayout, scheme: KeyScheme): number[] {
  if (scheme === 'sm4') return [16];
  if (layout === '001') return [8];
  return slot.name === 'MAK' ? [8, 16] : [16];
}

/** Builds F62 for the sign-on response: each key encrypted under the TMK plus its 4-byte CV. */
export function wrapWorkingKeys(tmk: Buffer, keys: WorkingKeys, layout: WorkingKeyLayout, scheme: KeyScheme): Buffer {
  checkSchemeAndTmk(tmk, layout, scheme);
  const out = Buffer.alloc(WORKING_KEY_LAYOUT_LENGTH[layout]);
  if (layout !== '004' && keys.tdk !== undefined) {
    throw new CryptoInputError('field 62 layout', `layout ${layout} carries no TDK; use 004 to send a track-data key`);
  }
  for (const slot of slots(layout)) {
    const key = slot.name === 'PIK' ? keys.pik : slot.name === 'MAK' ? keys.mak : keys.tdk;
    if (!Buffer.isBuffer(key)) throw new CryptoInputError(`${slot.name}`, `missing; layout ${layout} needs it`);
    const allowed = allowedSizes(slot, layout, scheme);
    if (!allowed.includes(key.length)) throw new KeyLengthError(`${slot.name} for layout ${layout} (${scheme})`, key.length, allowed);
    const enc = scheme === 'sm4' ? sm4EcbEncrypt(tmk, key) : desEcbEncrypt(tmk, key);
    enc.copy(out, slot.offset); // an 8-byte MAK in a 16-byte slot leaves the 8 trailing 00 bytes
    kcvOf(key, scheme).copy(out, slot.offset + slot.size);
  }
  return out;
}

/**
 * Reads F62 of the sign-on response and checks every CV. Throws KeyCheckValueError naming the
 * key (PIK, MAK or TDK) on a mismatch, CryptoInputError when the length does not fit the layout.
 */
export function unwrapWorkingKeys(tmk: Buffer, f62: Buffer, layout: WorkingKeyLayout, scheme: KeyScheme): WorkingKeys {
  checkSchemeAndTmk(tmk, layout, scheme);
  if (!Buffer.isBuffer(f62)) throw new CryptoInputError('field 62', 'must be a Buffer');
  const expected = WORKING_KEY_LAYOUT_LENGTH[layout];
  if (f62.length !== expected) {
    throw new CryptoInputError(
      'field 62',
      `is ${f62.length} bytes but layout ${layout} (60.3) needs ${expected}; check 60.3 of the sign-on request`,
      { layout, length: f62.length, expected },
    );
  }
  const result: Partial<WorkingKeys> = {};
  for (const slot of slots(layout)) {
    let cipherText = f62.subarray(slot.offset, slot.offset + slot.size);
    if (scheme !== 'sm4' && slot.name === 'MAK' && slot.size === 16 && cipherText.subarray(8).equals(Buffer.alloc(8))) {
      cipherText = cipherText.subarray(0, 8); // single-DES MAK + 8 bytes 00 (cup8583.md §3.2)
    }
    const key = scheme === 'sm4' ? sm4EcbDecrypt(tmk, cipherText) : desEcbDecrypt(tmk, cipherText);
    const cv = f62.subarray(slot.offset + slot.size, slot.offset + slot.size + 4);
    const actual = kcvOf(key, scheme);
    if (!actual.equals(cv)) {
      throw new KeyCheckValueError(slot.name, cv.toString('hex').toUpperCase(), actual.toString('hex').toUpperCase(), {
        layout,
        scheme,
        offset: slot.offset,
      });
    }
    if (slot.name === 'PIK') result.pik = key;
    else if (slot.name === 'MAK') result.mak = key;
    else result.tdk = key;
  }
  return result as WorkingKeys;
}
