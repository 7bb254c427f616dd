import * as nodeCrypto from 'node:crypto';
import { desEcbEncrypt, xorBuffers } from './ciphers';
import { CryptoInputError, KeyLengthError } from './errors';
import { iso9797Alg3Mac } from './mac';
import { Iso9797Padding } from './padding';

/**
 * EMV 4.x Book 2 Annex A1 key derivation and application cryptograms (TDES).
 * Keys are 16-byte double-length DES keys; results are parity-adjusted (odd) as an HSM would.
 */

function requireKey16(what: string, key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 16) throw new KeyLengthError(what, Buffer.isBuffer(key) ? key.length : 0, [16]);
}

function requireDigits(what: string, value: string, min: number, max: number): void {
  if (typeof value !== 'string' || !new RegExp(`^[0-9]{${min},${max}}$`).test(value)) {
    throw new CryptoInputError(what, `must be ${min} to ${max} decimal digits`);
  }
}

function requireBytes(what: string, value: Buffer, length: number): void {
  if (!Buffer.isBuffer(value) || value.length !== length) {
    throw new CryptoInputError(
      what,
      `must be ${length} bytes (${length * 2} hex digits), got ${Buffer.isBuffer(value) ? value.length : typeof value}`,
    );
  }
}

/** Sets each byte's low bit so the byte has odd parity (DES key parity). */
export function adjustKeyParity(key: Buffer): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    let b = out[i] & 0xfe;
    let ones = 0;
    for (let v = b; v; v >>= 1) ones += v & 1;
    if (ones % 2 === 0) b |= 1;
    out[i] = b;
  }
  return out;
}

function deriveFromY(imk: Buffer, y: Buffer): Buffer {
  const zl = desEcbEncrypt(imk, y);
  const zr = desEcbEncrypt(imk, xorBuffers(y, Buffer.alloc(8, 0xff)));
  return adjustKeyParity(Buffer.concat([zl, zr]));
}

/**
 * ICC master key, option A: Y = rightmost 16 digits of PAN ‖ PSN (left-padded with 0),
 * MK = E_IMK(Y) ‖ E_IMK(Y XOR FF…FF). PSN defaults to "00" when the card has none.
 */
export function deriveIccMasterKeyOptionA(imk: Buffer, pan: string, psn = '00'): Buffer {
  requireKey16('issuer master key', imk);
  requireDigits('PAN', pan, 1, 19);
  requireDigits('PAN sequence number', psn, 2, 2);
  const y = (pan + psn).slice(-16).padStart(16, '0');
  return deriveFromY(imk, Buffer.from(y, 'hex'));
}

/**
 * ICC master key, option B (PANs longer than 16 digits; shorter ones use option A as EMV says):
 * SHA-1 over PAN ‖ PSN (as BCD, left-padded with 0 to an even length), decimalise the digest
 * (its decimal digits in order, then its letters a..f as 0..5), Y = the first 16 digits, then
 * as option A.
 */
export function deriveIccMasterKeyOptionB(imk: Buffer, pan: string, psn = '00'): Buffer {
  requireKey16('issuer master key', imk);
  requireDigits('PAN', pan, 1, 19);
  requireDigits('PAN sequence number', psn, 2, 2);
  if (pan.length <= 16) return deriveIccMasterKeyOptionA(imk, pan, psn);
  let x = pan + psn;
  if (x.length % 2) x = '0' + x;
  const digest = nodeCrypto.createHash('sha1').update(Buffer.from(x, 'hex')).digest('hex');
  let y = digest.replace(/[a-f]/g, '');
  if (y.length < 16) {
    y += digest.replace(/[0-9]/g, '').replace(/[a-f]/g, (c) => String(c.charCodeAt(0) - 97));
  }
  return deriveFromY(imk, Buffer.from(y.slice(0, 16), 'hex'));
}

/**
 * EMV common session key (Book 2 A1.3): R is the 2-byte ATC (then R = ATC ‖ 00×6) or a full
 * 8-byte diversification value. SK = E_MK(R with byte 3 = F0) ‖ E_MK(R with byte 3 = 0F).
 */
export function deriveCommonSessionKey(mk: Buffer, atcOrR: Buffer): Buffer {
  requireKey16('ICC master key', mk);
  if (!Buffer.isBuffer(atcOrR) || (atcOrR.length !== 2 && atcOrR.length !== 8)) {
    throw new CryptoInputError('session key diversification', 'give the 2-byte ATC or the 8-byte R');
  }
  const r = atcOrR.length === 2 ? Buffer.concat([atcOrR, Buffer.alloc(6)]) : Buffer.from(atcOrR);
  const left = Buffer.from(r);
  left[2] = 0xf0;
  const right = Buffer.from(r);
  right[2] = 0x0f;
  return adjustKeyParity(Buffer.concat([desEcbEncrypt(mk, left), desEcbEncrypt(mk, right)]));
}

/** Visa secure-messaging session key: MK_L XOR (00…ATC), MK_R XOR (00…~ATC), parity adjusted. */
export function deriveVisaSecureMessagingSessionKey(mk: Buffer, atc: Buffer): Buffer {
  requireKey16('ICC master key', mk);
  requireBytes('ATC', atc, 2);
  const sk = Buffer.from(mk);
  sk[6] ^= atc[0];
  sk[7] ^= atc[1];
  sk[14] ^= ~atc[0] & 0xff;
  sk[15] ^= ~atc[1] & 0xff;
  return adjustKeyParity(sk);
}

/**
 * ARQC (or TC/AAC): ISO 9797-1 MAC algorithm 3 with the session key over the CDOL1 data the
 * terminal sent (amount, country, TVR, currency, date, type, UN, AIP, ATC, IAD as the card wants).
 * Padding method 2 (EMV common core / CCD); Visa CVN 10/18 cards use method 1.
 */
export function generateArqc(sessionKey: Buffer, cdolData: Buffer, padding: Iso9797Padding = 2): Buffer {
  requireKey16('AC session key', sessionKey);
  if (!Buffer.isBuffer(cdolData)) throw new CryptoInputError('ARQC data', 'must be a Buffer');
  return iso9797Alg3Mac(sessionKey, cdolData, padding);
}

/** ARPC method 1: E_K(ARQC XOR (ARC ‖ 00×6)), 8 bytes. K is the ICC master key or session key per scheme. */
export function generateArpcMethod1(sk: Buffer, arqc: Buffer, arc: Buffer): Buffer {
  requireKey16('ARPC key', sk);
  requireBytes('ARQC', arqc, 8);
  requireBytes('ARC (authorisation response code)', arc, 2);
  return desEcbEncrypt(sk, xorBuffers(arqc, Buffer.concat([arc, Buffer.alloc(6)])));
}

/**
 * ARPC method 2: the first 4 bytes of MAC alg 3 (padding 2) over ARQC ‖ CSU ‖ proprietary
 * authentication data (0..8 bytes).
 */
export function generateArpcMethod2(sk: Buffer, arqc: Buffer, csu: Buffer, proprietary: Buffer = Buffer.alloc(0)): Buffer {
  requireKey16('ARPC key', sk);
  requireBytes('ARQC', arqc, 8);
  requireBytes('CSU (card status update)', csu, 4);
  if (!Buffer.isBuffer(proprietary) || proprietary.length > 8) throw new CryptoInputError('proprietary authentication data', 'must be 0 to 8 bytes');
  return iso9797Alg3Mac(sk, Buffer.concat([arqc, csu, proprietary]), 2).subarray(0, 4);
}
