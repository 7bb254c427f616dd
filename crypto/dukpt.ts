import { desEcbEncrypt, xorBuffers } from './ciphers';
import { CryptoInputError, KeyLengthError } from './errors';

/**
 * DUKPT, ANSI X9.24-1:2009 (TDES), host side: any transaction key is derived from the IPEK and
 * the KSN directly (no future-key registers needed). The KSN is 10 bytes: 59-bit key set /
 * device id and a 21-bit transaction counter.
 */

const KEY_MASK = Buffer.from('C0C0C0C000000000C0C0C0C000000000', 'hex');

export type DukptDirection = 'request' | 'response';

/** X9.24-1:2009 Table A-1 variant constants, XORed onto the transaction key. */
export const DUKPT_VARIANTS = {
  pin: Buffer.from('00000000000000FF00000000000000FF', 'hex'),
  macRequest: Buffer.from('000000000000FF00000000000000FF00', 'hex'),
  macResponse: Buffer.from('00000000FF00000000000000FF000000', 'hex'),
  dataRequest: Buffer.from('0000000000FF00000000000000FF0000', 'hex'),
  dataResponse: Buffer.from('000000FF00000000000000FF00000000', 'hex'),
} as const;

function requireKsn(ksn: Buffer): void {
  if (!Buffer.isBuffer(ksn) || ksn.length !== 10) {
    throw new CryptoInputError(
      'KSN',
      `must be 10 bytes (20 hex digits), got ${Buffer.isBuffer(ksn) ? ksn.length : typeof ksn}; left-pad an 8-byte KSN with FFFF`,
    );
  }
}

function requireKey16(what: string, key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 16) throw new KeyLengthError(what, Buffer.isBuffer(key) ? key.length : 0, [16]);
}

/** The 21-bit transaction counter of a KSN. */
export function dukptCounter(ksn: Buffer): number {
  requireKsn(ksn);
  return ((ksn[7] & 0x1f) << 16) | (ksn[8] << 8) | ksn[9];
}

/** IPEK = TDES(BDK, KSN') ‖ TDES(BDK XOR C0C0C0C0 00000000 …, KSN'), KSN' = left 8 bytes, counter cleared. */
export function dukptIpek(bdk: Buffer, ksn: Buffer): Buffer {
  requireKey16('BDK', bdk);
  requireKsn(ksn);
  const base = Buffer.from(ksn.subarray(0, 8));
  base[7] &= 0xe0;
  return Buffer.concat([desEcbEncrypt(bdk, base), desEcbEncrypt(xorBuffers(bdk, KEY_MASK), base)]);
}

/** Non-reversible key generation of X9.24-1 (one step). */
function nonReversible(key: Buffer, register: Buffer): Buffer {
  const half = (k: Buffer): Buffer => {
    const kl = k.subarray(0, 8);
    const kr = k.subarray(8, 16);
    return xorBuffers(desEcbEncrypt(kl, xorBuffers(register, kr)), kr);
  };
  const right = half(key);
  const left = half(xorBuffers(key, KEY_MASK));
  return Buffer.concat([left, right]);
}

/** Transaction key for `ksn`: from the IPEK, one non-reversible step per counter bit set, high to low. */
export function dukptTransactionKey(ipek: Buffer, ksn: Buffer): Buffer {
  requireKey16('IPEK', ipek);
  requireKsn(ksn);
  const counter = dukptCounter(ksn);
  const register = Buffer.from(ksn.subarray(2, 10));
  register[5] &= 0xe0;
  register[6] = 0;
  register[7] = 0;
  let key: Buffer = Buffer.from(ipek);
  for (let bit = 1 << 20; bit > 0; bit >>>= 1) {
    if ((counter & bit) === 0) continue;
    register[5] |= (bit >>> 16) & 0x1f;
    register[6] |= (bit >>> 8) & 0xff;
    register[7] |= bit & 0xff;
    key = nonReversible(key, register);
  }
  return key;
}

/** PIN encryption key: transaction key XOR the PIN variant. */
export function dukptPinKey(transactionKey: Buffer): Buffer {
  requireKey16('DUKPT transaction key', transactionKey);
  return xorBuffers(transactionKey, DUKPT_VARIANTS.pin);
}

/** MAC key (request or response): transaction key XOR the MAC variant. Use with X9.19 (iso9797Alg3Mac). */
export function dukptMacKey(transactionKey: Buffer, direction: DukptDirection = 'request'): Buffer {
  requireKey16('DUKPT transaction key', transactionKey);
  return xorBuffers(transactionKey, direction === 'response' ? DUKPT_VARIANTS.macResponse : DUKPT_VARIANTS.macRequest);
}

/**
 * Data encryption key (X9.24-1:2009): the data variant key encrypted under itself (each half,
 * TDES-ECB). Use with TDES-CBC, IV 0, over zero-padded data.
 */
export function dukptDataKey(transactionKey: Buffer, direction: DukptDirection = 'request'): Buffer {
  requireKey16('DUKPT transaction key', transactionKey);
  const variant = xorBuffers(transactionKey, direction === 'response' ? DUKPT_VARIANTS.dataResponse : DUKPT_VARIANTS.dataRequest);
  return desEcbEncrypt(variant, variant);
}
