import * as nodeCrypto from 'node:crypto';
import { BlockLengthError, CryptoInputError, KeyLengthError } from './errors';

/**
 * Block ciphers on top of Node's OpenSSL, padding always off.
 *
 * OpenSSL 3 (Node 20) only offers single DES in the legacy provider, which Node does not load.
 * Single DES is therefore run as two-key EDE with K1 = K2 = K: E(K, D(K, E(K, x))) = E(K, x).
 * That is also exactly how a PED treats an 8-byte key ("uses it as K‖K", cup8583.md §5.3).
 */

export const DES_BLOCK = 8;
export const SM4_BLOCK = 16;

function desAlgorithm(key: Buffer, mode: 'ecb' | 'cbc', what: string): { name: string; key: Buffer } {
  switch (key.length) {
    case 8:
      return { name: mode === 'ecb' ? 'des-ede-ecb' : 'des-ede-cbc', key: Buffer.concat([key, key]) };
    case 16:
      return { name: mode === 'ecb' ? 'des-ede-ecb' : 'des-ede-cbc', key };
    case 24:
      return { name: mode === 'ecb' ? 'des-ede3-ecb' : 'des-ede3-cbc', key };
    default:
      throw new KeyLengthError(what, key.length, [8, 16, 24]);
  }
}

/**
 * ECB has no chaining state, and with padding off OpenSSL's update() turns every whole block it is given
 * into output at once. So one cipher object per (algorithm, key, direction) can serve every call, which
 * saves the OpenSSL context set-up (about 20 µs per call here, most of the cost of a MAC or a PIN block
 * on the host's hot path). final() is never called on a cached object. Bounded: the oldest entry goes first.
 */
const ECB_CACHE_LIMIT = 256;
const ecbCache = new Map<string, nodeCrypto.Cipher | nodeCrypto.Decipher>();

function runEcb(name: string, key: Buffer, data: Buffer, encrypt: boolean): Buffer {
  const id = `${name}:${encrypt ? 'E' : 'D'}:${key.toString('hex')}`;
  let cipher = ecbCache.get(id);
  if (!cipher) {
    cipher = encrypt ? nodeCrypto.createCipheriv(name, key, null) : nodeCrypto.createDecipheriv(name, key, null);
    cipher.setAutoPadding(false);
    if (ecbCache.size >= ECB_CACHE_LIMIT) ecbCache.delete(ecbCache.keys().next().value as string);
    ecbCache.set(id, cipher);
  }
  const out = cipher.update(data);
  if (out.length !== data.length) {
    // Not expected with padding off; never return a short result, start over with a fresh object.
    ecbCache.delete(id);
    return run(name, key, null, data, encrypt);
  }
  return out;
}

function run(name: string, key: Buffer, iv: Buffer | null, data: Buffer, encrypt: boolean): Buffer {
  const cipher = encrypt ? nodeCrypto.createCipheriv(name, key, iv) : nodeCrypto.createDecipheriv(name, key, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function checkBlocks(what: string, data: Buffer, block: number): void {
  if (!Buffer.isBuffer(data)) throw new CryptoInputError(what, 'data must be a Buffer');
  if (data.length % block !== 0) throw new BlockLengthError(what, data.length, block);
}

function checkIv(what: string, iv: Buffer, block: number): void {
  if (!Buffer.isBuffer(iv) || iv.length !== block) {
    throw new CryptoInputError(what, `IV must be ${block} bytes, got ${Buffer.isBuffer(iv) ? iv.length : typeof iv}`);
  }
}

function checkKey(what: string, key: Buffer): void {
  if (!Buffer.isBuffer(key)) throw new CryptoInputError(what, 'key must be a Buffer');
}

/** DES / TDES ECB. 8-byte key = single DES, 16 = 2-key TDES (K1,K2,K1), 24 = 3-key TDES. */
export function desEcbEncrypt(key: Buffer, data: Buffer): Buffer {
  checkKey('DES-ECB encrypt', key);
  const alg = desAlgorithm(key, 'ecb', 'DES-ECB encrypt');
  checkBlocks('DES-ECB encrypt', data, DES_BLOCK);
  return runEcb(alg.name, alg.key, data, true);
}

export function desEcbDecrypt(key: Buffer, data: Buffer): Buffer {
  checkKey('DES-ECB decrypt', key);
  const alg = desAlgorithm(key, 'ecb', 'DES-ECB decrypt');
  checkBlocks('DES-ECB decrypt', data, DES_BLOCK);
  return runEcb(alg.name, alg.key, data, false);
}

export function desCbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey('DES-CBC encrypt', key);
  const alg = desAlgorithm(key, 'cbc', 'DES-CBC encrypt');
  checkIv('DES-CBC encrypt', iv, DES_BLOCK);
  checkBlocks('DES-CBC encrypt', data, DES_BLOCK);
  return run(alg.name, alg.key, iv, data, true);
}

export function desCbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkKey('DES-CBC decrypt', key);
  const alg = desAlgorithm(key, 'cbc', 'DES-CBC decrypt');
  checkIv('DES-CBC decrypt', iv, DES_BLOCK);
  checkBlocks('DES-CBC decrypt', data, DES_BLOCK);
  return run(alg.name, alg.key, iv, data, false);
}

function checkSm4Key(what: string, key: Buffer): void {
  checkKey(what, key);
  if (key.length !== 16) throw new KeyLengthError(what, key.length, [16]);
}

/** SM4 (GB/T 32907, 国密) ECB with a 16-byte key over 16-byte blocks. */
export function sm4EcbEncrypt(key: Buffer, data: Buffer): Buffer {
  checkSm4Key('SM4-ECB encrypt', key);
  checkBlocks('SM4-ECB encrypt', data, SM4_BLOCK);
  return runEcb('sm4-ecb', key, data, true);
}

export function sm4EcbDecrypt(key: Buffer, data: Buffer): Buffer {
  checkSm4Key('SM4-ECB decrypt', key);
  checkBlocks('SM4-ECB decrypt', data, SM4_BLOCK);
  return runEcb('sm4-ecb', key, data, false);
}

export function sm4CbcEncrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkSm4Key('SM4-CBC encrypt', key);
  checkIv('SM4-CBC encrypt', iv, SM4_BLOCK);
  checkBlocks('SM4-CBC encrypt', data, SM4_BLOCK);
  return run('sm4-cbc', key, iv, data, true);
}

export function sm4CbcDecrypt(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  checkSm4Key('SM4-CBC decrypt', key);
  checkIv('SM4-CBC decrypt', iv, SM4_BLOCK);
  checkBlocks('SM4-CBC decrypt', data, SM4_BLOCK);
  return run('sm4-cbc', key, iv, data, false);
}

/** XOR of two equal-length buffers (fresh buffer). */
export function xorBuffers(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new CryptoInputError('XOR', `operands differ in length (${a.length} vs ${b.length})`);
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}
