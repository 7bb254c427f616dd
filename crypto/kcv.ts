import { desEcbEncrypt, sm4EcbEncrypt } from './ciphers';
import { CryptoInputError } from './errors';

export type KcvAlgorithm = 'tdes' | 'sm4';

export interface KeyCheckValueOptions {
  /** 'tdes' covers single DES too: the key length decides (8 = DES, 16 = 2-key, 24 = 3-key). */
  algorithm?: KcvAlgorithm;
  /** Bytes of the check value; UnionPay F62 uses 4 (cup8583.md §3.2), payShield-style tools show 3 or 2. */
  length?: number;
}

/**
 * Key check value: the first `length` bytes of the key's encryption of a zero block
 * (8 zero bytes for DES/TDES, 16 for SM4). cup8583.md §5.2.
 */
export function keyCheckValue(key: Buffer, options: KeyCheckValueOptions = {}): Buffer {
  const algorithm = options.algorithm ?? 'tdes';
  const length = options.length ?? 4;
  const block = algorithm === 'sm4' ? 16 : 8;
  if (algorithm !== 'tdes' && algorithm !== 'sm4') {
    throw new CryptoInputError('key check value', `unknown algorithm "${String(algorithm)}" (use tdes or sm4)`);
  }
  if (!Number.isInteger(length) || length < 1 || length > block) {
    throw new CryptoInputError('key check value', `length must be 1..${block} bytes for ${algorithm}, got ${length}`);
  }
  const zero = Buffer.alloc(block);
  const full = algorithm === 'sm4' ? sm4EcbEncrypt(key, zero) : desEcbEncrypt(key, zero);
  return full.subarray(0, length);
}
