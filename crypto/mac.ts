import { desCbcEncrypt, desEcbDecrypt, desEcbEncrypt, sm4EcbEncrypt, xorBuffers } from './ciphers';
import { CryptoInputError, KeyLengthError } from './errors';
import { Iso9797Padding, padIso9797, padZeroToBlock } from './padding';

export type MacScheme = 'cup-ecb' | 'x9.9' | 'x9.19' | 'sm4-ecb';
export type CupMacCipher = 'des' | 'tdes' | 'sm4';

export const MAC_SCHEMES: readonly MacScheme[] = ['cup-ecb', 'x9.9', 'x9.19', 'sm4-ecb'];

function requireBuffer(what: string, value: unknown): asserts value is Buffer {
  if (!Buffer.isBuffer(value)) throw new CryptoInputError(what, 'expected a Buffer');
}

/**
 * The UnionPay POS "银联 ECB" MAC of cup8583.md §5.3, returned as the 8 ASCII bytes that go in F64.
 *
 * DES family (block 8): zero-pad to 8, XOR all blocks, expand to 16 UPPER-case hex characters,
 * E(left 8), XOR right 8, E, expand to upper-case hex, keep the first 8 characters.
 * `des` needs the 8-byte MAK; `tdes` takes a 16- or 24-byte MAK and runs both encryptions as TDES.
 * When `cipher` is omitted the key length picks des (8) or tdes (16/24).
 *
 * SM4 variant (our choice; no public CUP text defines it for POS, so we mirror the DES scheme
 * on SM4's 16-byte block): zero-pad to 16, XOR all 16-byte blocks, expand to 32 upper-case hex
 * characters, E_SM4(left 16), XOR right 16, E_SM4, expand to upper-case hex, first 8 characters.
 * The result is again 8 ASCII bytes so it fits F64 unchanged. Documented in docs/crypto.md.
 */
export function cupEcbMac(key: Buffer, data: Buffer, cipher?: CupMacCipher): Buffer {
  requireBuffer('CUP ECB MAC key', key);
  requireBuffer('CUP ECB MAC data', data);
  if (cipher === undefined && key.length !== 8 && key.length !== 16 && key.length !== 24) {
    throw new KeyLengthError('CUP ECB MAC', key.length, [8, 16, 24]);
  }
  const chosen: CupMacCipher = cipher ?? (key.length === 8 ? 'des' : 'tdes');
  let encrypt: (block: Buffer) => Buffer;
  let blockSize: number;
  switch (chosen) {
    case 'des':
      if (key.length !== 8) throw new KeyLengthError('CUP ECB MAC (des)', key.length, [8]);
      encrypt = (b) => desEcbEncrypt(key, b);
      blockSize = 8;
      break;
    case 'tdes':
      if (key.length !== 16 && key.length !== 24) throw new KeyLengthError('CUP ECB MAC (tdes)', key.length, [16, 24]);
      encrypt = (b) => desEcbEncrypt(key, b);
      blockSize = 8;
      break;
    case 'sm4':
      if (key.length !== 16) throw new KeyLengthError('CUP ECB MAC (sm4)', key.length, [16]);
      encrypt = (b) => sm4EcbEncrypt(key, b);
      blockSize = 16;
      break;
    default:
      throw new CryptoInputError('CUP ECB MAC', `unknown cipher "${String(cipher)}" (use des, tdes or sm4)`);
  }
  const padded = padZeroToBlock(data, blockSize);
  const result = Buffer.alloc(blockSize);
  for (let off = 0; off < padded.length; off += blockSize) {
    for (let i = 0; i < blockSize; i++) result[i] ^= padded[off + i];
  }
  // Upper-case matters: lower-case expansion gives a different (wrong) MAC, cup8583.md §5.3.
  const expanded = Buffer.from(result.toString('hex').toUpperCase(), 'ascii');
  const left = expanded.subarray(0, blockSize);
  const right = expanded.subarray(blockSize);
  const temp = encrypt(left);
  const enc = encrypt(xorBuffers(temp, right));
  return Buffer.from(enc.toString('hex').toUpperCase().slice(0, 8), 'ascii');
}

/**
 * ISO/IEC 9797-1 MAC algorithm 1: CBC-MAC with IV 0, output = the last cipher block (8 bytes,
 * truncate as your scheme needs). With an 8-byte key this is ANSI X9.9 / FIPS 113; 16/24-byte keys
 * run the whole chain in TDES.
 */
export function iso9797Alg1Mac(key: Buffer, data: Buffer, padding: Iso9797Padding = 1): Buffer {
  requireBuffer('ISO 9797-1 alg 1 key', key);
  requireBuffer('ISO 9797-1 alg 1 data', data);
  if (key.length !== 8 && key.length !== 16 && key.length !== 24) {
    throw new KeyLengthError('ISO 9797-1 alg 1 (X9.9) MAC', key.length, [8, 16, 24]);
  }
  const chain = desCbcEncrypt(key, Buffer.alloc(8), padIso9797(data, padding));
  return chain.subarray(chain.length - 8);
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 "retail MAC"): single-DES CBC with K_L over all
 * blocks, then the last block is decrypted with K_R and encrypted with K_L. 16-byte key K_L‖K_R.
 */
export function iso9797Alg3Mac(key: Buffer, data: Buffer, padding: Iso9797Padding = 1): Buffer {
  requireBuffer('ISO 9797-1 alg 3 key', key);
  requireBuffer('ISO 9797-1 alg 3 data', data);
  if (key.length !== 16) throw new KeyLengthError('ISO 9797-1 alg 3 (X9.19) MAC', key.length, [16]);
  const kl = key.subarray(0, 8);
  const kr = key.subarray(8, 16);
  const chain = desCbcEncrypt(kl, Buffer.alloc(8), padIso9797(data, padding));
  const last = chain.subarray(chain.length - 8);
  return desEcbEncrypt(kl, desEcbDecrypt(kr, last));
}

/**
 * One entry point for the F64 schemes. 'cup-ecb' and 'sm4-ecb' give 8 ASCII bytes;
 * 'x9.9' (ISO 9797-1 alg 1, padding 1) and 'x9.19' (alg 3, padding 1) give the 8-byte binary MAC.
 */
export function computeMac(scheme: MacScheme, key: Buffer, data: Buffer): Buffer {
  switch (scheme) {
    case 'cup-ecb':
      return cupEcbMac(key, data);
    case 'sm4-ecb':
      return cupEcbMac(key, data, 'sm4');
    case 'x9.9':
      return iso9797Alg1Mac(key, data, 1);
    case 'x9.19':
      return iso9797Alg3Mac(key, data, 1);
    default:
      throw new CryptoInputError('MAC', `unknown scheme "${String(scheme)}" (use ${MAC_SCHEMES.join(', ')})`);
  }
}
