import * as nodeCrypto from 'node:crypto';
import { desEcbDecrypt, desEcbEncrypt, sm4EcbDecrypt, sm4EcbEncrypt, xorBuffers } from './ciphers';
import { CryptoInputError, KeyLengthError, PinBlockError } from './errors';
import { RandomSource } from './pan';

/**
 * ISO 9564-1 PIN blocks. Clear blocks never leave this module in logs; callers must not print them.
 * PIN length 4..12 (ISO 9564-1). The PAN is given as its digits (12+ for formats 0 and 3).
 */

export type PinBlockFormat = 0 | 1 | 2 | 3;
export type PinCipher = 'des' | 'tdes' | 'sm4';

function checkPin(pin: string): void {
  if (typeof pin !== 'string' || !/^[0-9]{4,12}$/.test(pin)) {
    throw new CryptoInputError('PIN', `must be 4 to 12 decimal digits, got ${typeof pin === 'string' ? `${pin.length} characters` : typeof pin}` +
      (typeof pin === 'string' && /[^0-9]/.test(pin) ? ' including non-digits' : ''));
  }
}

/** PAN field of formats 0 and 3: 0000 + the 12 rightmost PAN digits excluding the check digit. */
export function panField(pan: string): Buffer {
  if (typeof pan !== 'string' || !/^[0-9]{13,19}$/.test(pan)) {
    throw new CryptoInputError('PAN for PIN block', `must be 13 to 19 decimal digits (12 account digits + check digit), got ${typeof pan === 'string' ? pan.length : typeof pan} characters`);
  }
  return Buffer.from('0000' + pan.slice(-13, -1), 'hex');
}

function pinField(control: number, pin: string, fill: (i: number) => number): Buffer {
  checkPin(pin);
  const nibbles: number[] = [control, pin.length];
  for (const ch of pin) nibbles.push(ch.charCodeAt(0) - 48);
  for (let i = nibbles.length; i < 16; i++) nibbles.push(fill(i));
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = (nibbles[2 * i] << 4) | nibbles[2 * i + 1];
  return out;
}

function randomNibbles(random: RandomSource, what: string, map: (byte: number) => number): (i: number) => number {
  const bytes = random(16);
  if (!Buffer.isBuffer(bytes) || bytes.length < 16) throw new CryptoInputError(what, 'random source returned fewer than 16 bytes');
  return (i) => map(bytes[i]);
}

/** Format 0 (ANSI X9.8): PIN field XOR PAN field. Returns the clear 8-byte block. */
export function buildPinBlockFormat0(pin: string, pan: string): Buffer {
  return xorBuffers(pinField(0, pin, () => 0xf), panField(pan));
}

/** Format 1: PIN with a random (or transaction-unique) fill, no PAN. */
export function buildPinBlockFormat1(pin: string, random: RandomSource): Buffer {
  return pinField(1, pin, randomNibbles(random, 'PIN block format 1', (b) => b & 0x0f));
}

/** Format 2 (IC card offline PIN): F fill, no PAN. */
export function buildPinBlockFormat2(pin: string): Buffer {
  return pinField(2, pin, () => 0xf);
}

/** Format 3: like format 0 but the fill digits are random A..F. */
export function buildPinBlockFormat3(pin: string, pan: string, random: RandomSource): Buffer {
  return xorBuffers(pinField(3, pin, randomNibbles(random, 'PIN block format 3', (b) => 0xa + (b % 6))), panField(pan));
}

/**
 * Recovers the PIN from a clear block of format 0, 1, 2 or 3 (formats 0 and 3 need the PAN).
 * Checks the control nibble, the length, that PIN digits are decimal and that the fill is legal
 * for the format (F for 0/2, A..F for 3, anything for 1). Throws PinBlockError otherwise.
 */
export function recoverPin(clearBlock: Buffer, pan?: string, format: PinBlockFormat = 0): string {
  if (!Buffer.isBuffer(clearBlock) || clearBlock.length !== 8) {
    throw new PinBlockError(`clear block must be 8 bytes, got ${Buffer.isBuffer(clearBlock) ? clearBlock.length : typeof clearBlock}`, { format });
  }
  if (![0, 1, 2, 3].includes(format)) throw new PinBlockError(`format ${String(format)} is not supported (0, 1, 2, 3)`, { format });
  let field = clearBlock;
  if (format === 0 || format === 3) {
    if (pan === undefined) throw new PinBlockError(`format ${format} needs the PAN to recover the PIN`, { format });
    field = xorBuffers(clearBlock, panField(pan));
  }
  const hex = field.toString('hex').toUpperCase();
  const control = parseInt(hex[0], 16);
  if (control !== format) {
    throw new PinBlockError(`control nibble is ${hex[0]}, expected ${format} (wrong format, wrong PAN or wrong key)`, { format });
  }
  const length = parseInt(hex[1], 16);
  if (length < 4 || length > 12) throw new PinBlockError(`PIN length nibble ${hex[1]} is outside 4..12 (wrong PAN or wrong key?)`, { format });
  const pin = hex.slice(2, 2 + length);
  if (!/^[0-9]+$/.test(pin)) throw new PinBlockError('PIN digits are not decimal (wrong PAN or wrong key?)', { format });
  const fill = hex.slice(2 + length);
  const fillOk = format === 1 ? true : format === 3 ? /^[A-F]*$/.test(fill) : /^F*$/.test(fill);
  if (!fillOk) throw new PinBlockError(`fill digits are not valid for format ${format} (wrong PAN or wrong key?)`, { format });
  return pin;
}

/**
 * Encrypts a clear PIN block under the PIK. des/tdes: ECB over the 8-byte block (key length 8 for
 * des, 16/24 for tdes). sm4: the 8-byte block is extended to SM4's 16-byte block with 8 bytes FF —
 * the same as running format 0 with a 32-nibble PIN field (F fill) and a 32-nibble PAN field
 * (0 fill); our documented choice (docs/crypto.md). A 16-byte clear block is taken as is.
 */
export function encryptPinBlock(pik: Buffer, clear: Buffer, cipher: PinCipher = 'tdes'): Buffer {
  if (!Buffer.isBuffer(clear)) throw new CryptoInputError('encrypt PIN block', 'clear block must be a Buffer');
  switch (cipher) {
    case 'des':
      if (pik.length !== 8) throw new KeyLengthError('PIN block (des)', pik.length, [8]);
      return desEcbEncrypt(pik, clear);
    case 'tdes':
      if (pik.length !== 16 && pik.length !== 24) throw new KeyLengthError('PIN block (tdes)', pik.length, [16, 24]);
      return desEcbEncrypt(pik, clear);
    case 'sm4': {
      const block = clear.length === 8 ? Buffer.concat([clear, Buffer.alloc(8, 0xff)]) : clear;
      return sm4EcbEncrypt(pik, block);
    }
    default:
      throw new CryptoInputError('encrypt PIN block', `unknown cipher "${String(cipher)}" (use des, tdes or sm4)`);
  }
}

/** Inverse of encryptPinBlock; always returns the 8-byte clear block (for sm4 the FF extension is checked). */
export function decryptPinBlock(pik: Buffer, block: Buffer, cipher: PinCipher = 'tdes'): Buffer {
  if (!Buffer.isBuffer(block)) throw new CryptoInputError('decrypt PIN block', 'block must be a Buffer');
  switch (cipher) {
    case 'des':
      if (pik.length !== 8) throw new KeyLengthError('PIN block (des)', pik.length, [8]);
      if (block.length !== 8) throw new PinBlockError(`encrypted block must be 8 bytes for des, got ${block.length}`);
      return desEcbDecrypt(pik, block);
    case 'tdes':
      if (pik.length !== 16 && pik.length !== 24) throw new KeyLengthError('PIN block (tdes)', pik.length, [16, 24]);
      if (block.length !== 8) throw new PinBlockError(`encrypted block must be 8 bytes for tdes, got ${block.length}`);
      return desEcbDecrypt(pik, block);
    case 'sm4': {
      if (block.length !== 16) throw new PinBlockError(`encrypted block must be 16 bytes for sm4, got ${block.length}`);
      const clear = sm4EcbDecrypt(pik, block);
      if (!clear.subarray(8).equals(Buffer.alloc(8, 0xff))) {
        throw new PinBlockError('SM4 block does not end in 8 bytes FF (wrong key, or the terminal uses another SM4 PIN block layout)');
      }
      return clear.subarray(0, 8);
    }
    default:
      throw new CryptoInputError('decrypt PIN block', `unknown cipher "${String(cipher)}" (use des, tdes or sm4)`);
  }
}

// ---- ISO 9564-1:2017 format 4 (AES). Not used on CUP POS links; kept for completeness and its vectors.

function aesEcb(key: Buffer, data: Buffer, encrypt: boolean): Buffer {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new KeyLengthError('PIN block format 4 (AES)', key.length, [16, 24, 32]);
  const name = `aes-${key.length * 8}-ecb`;
  const c = encrypt ? nodeCrypto.createCipheriv(name, key, null) : nodeCrypto.createDecipheriv(name, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Format 4 PAN field: length nibble (len - 12, 0 for shorter PANs), PAN left-padded to 12 digits, 0 fill. */
export function panFieldFormat4(pan: string): Buffer {
  if (typeof pan !== 'string' || !/^[0-9]{1,19}$/.test(pan)) throw new CryptoInputError('PAN for PIN block format 4', 'must be 1 to 19 decimal digits');
  const m = Math.max(0, pan.length - 12);
  return Buffer.from((m.toString(16) + pan.padStart(12, '0')).padEnd(32, '0'), 'hex');
}

/** Format 4 encipher: C = AES(K, AES(K, PIN field) XOR PAN field); PIN field fill A, then 8 random bytes. */
export function encipherPinBlockFormat4(key: Buffer, pin: string, pan: string, random: RandomSource): Buffer {
  checkPin(pin);
  const rnd = random(8);
  if (!Buffer.isBuffer(rnd) || rnd.length < 8) throw new CryptoInputError('PIN block format 4', 'random source returned fewer than 8 bytes');
  const pinField4 = Buffer.from(('4' + pin.length.toString(16) + pin).padEnd(16, 'A') + rnd.subarray(0, 8).toString('hex'), 'hex');
  return aesEcb(key, xorBuffers(aesEcb(key, pinField4, true), panFieldFormat4(pan)), true);
}

/** Format 4 decipher: returns the PIN. */
export function decipherPinBlockFormat4(key: Buffer, block: Buffer, pan: string): string {
  if (!Buffer.isBuffer(block) || block.length !== 16) throw new PinBlockError('format 4 block must be 16 bytes', { format: 4 });
  const field = aesEcb(key, xorBuffers(aesEcb(key, block, false), panFieldFormat4(pan)), false);
  const hex = field.toString('hex').toUpperCase();
  if (hex[0] !== '4') throw new PinBlockError(`control nibble is ${hex[0]}, expected 4 (wrong PAN or wrong key)`, { format: 4 });
  const length = parseInt(hex[1], 16);
  if (length < 4 || length > 12) throw new PinBlockError(`PIN length nibble ${hex[1]} is outside 4..12`, { format: 4 });
  const pin = hex.slice(2, 2 + length);
  if (!/^[0-9]+$/.test(pin) || !/^A*$/.test(hex.slice(2 + length, 16))) throw new PinBlockError('PIN field is malformed (wrong PAN or wrong key?)', { format: 4 });
  return pin;
}
