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
    throw new CryptoInputError(
      'PIN',
      `must be 4 to 12 decimal digits, got ${typeof pin === 'string' ? `${pin.length} characters` : typeof pin}` +
        (typeof pin === 'string' && /[^0-9]/.test(pin) ? ' including non-digits' : ''),
    );
  }
}

/**
 * PAN field of formats 0 and 3: the 12 rightmost PAN digits excluding the check digit, right-aligned
 * in 8 bytes (0000 + 12 digits), or in 16 bytes for the SM4 block (20 zero nibbles + 12 digits).
 */
export function panField(pan: string, blockSize: 8 | 16 = 8): Buffer {
  if (typeof pan !== 'string' || !/^[0-9]{13,19}$/.test(pan)) {
    throw new CryptoInputError(
      'PAN for PIN block',
      `must be 13 to 19 decimal digits (12 account digits + check digit), got ${typeof pan === 'string' ? pan.length : typeof pan} characters`,
    );
  }
  return Buffer.from(pan.slice(-13, -1).padStart(blockSize * 2, '0'), 'hex');
}

function pinField(control: number, pin: string, fill: (i: number) => number, blockSize: 8 | 16 = 8): Buffer {
  checkPin(pin);
  const nibbles: number[] = [control, pin.length];
  for (const ch of pin) nibbles.push(ch.charCodeAt(0) - 48);
  for (let i = nibbles.length; i < blockSize * 2; i++) nibbles.push(fill(i));
  const out = Buffer.alloc(blockSize);
  for (let i = 0; i < blockSize; i++) out[i] = (nibbles[2 * i] << 4) | nibbles[2 * i + 1];
  return out;
}

function randomNibbles(random: RandomSource, what: string, map: (byte: number) => number): (i: number) => number {
  const bytes = random(16);
  if (!Buffer.isBuffer(bytes) || bytes.length < 16) throw new CryptoInputError(what, 'random source returned fewer than 16 bytes');
  return (i) => map(bytes[i]);
}

/**
 * Format 0 (ANSI X9.8): PIN field XOR PAN field; the clear 8-byte block.
 * blockSize 16 gives the SM4 (国密) form used with 16-byte cipher blocks: PIN field
 * 0 ‖ len ‖ PIN ‖ F… to 32 nibbles, PAN field 20 zero nibbles ‖ 12 PAN digits. This follows the
 * published SM4 + ANSI X9.8 worked example (blog.csdn.net/M_Kerry/article/details/104625499:
 * PIN 123654, PAN 6230606601007726888 → 06123654FFFFFFFFFFFF99FEFF88D977); see docs/crypto.md.
 */
export function buildPinBlockFormat0(pin: string, pan: string, blockSize: 8 | 16 = 8): Buffer {
  if (blockSize !== 8 && blockSize !== 16) throw new CryptoInputError('PIN block format 0', `block size must be 8 or 16, got ${String(blockSize)}`);
  return xorBuffers(
    pinField(0, pin, () => 0xf, blockSize),
    panField(pan, blockSize),
  );
}

/** Format 1: PIN with a random (or transaction-unique) fill, no PAN. */
export function buildPinBlockFormat1(pin: string, random: RandomSource): Buffer {
  return pinField(
    1,
    pin,
    randomNibbles(random, 'PIN block format 1', (b) => b & 0x0f),
  );
}

/** Format 2 (IC card offline PIN): F fill, no PAN. */
export function buildPinBlockFormat2(pin: string): Buffer {
  return pinField(2, pin, () => 0xf);
}

/** Format 3: like format 0 but the fill digits are random A..F. */
export function buildPinBlockFormat3(pin: string, pan: string, random: RandomSource): Buffer {
  return xorBuffers(
    pinField(
      3,
      pin,
      randomNibbles(random, 'PIN block format 3', (b) => 0xa + (b % 6)),
    ),
    panField(pan),
  );
}

/**
 * Recovers the PIN from a clear block of format 0, 1, 2 or 3 (formats 0 and 3 need the PAN).
 * A 16-byte block is the SM4 form of format 0 (see buildPinBlockFormat0). Checks the control
 * nibble, the length, that PIN digits are decimal and that the fill is legal for the format
 * (F for 0/2, A..F for 3, anything for 1). Throws PinBlockError otherwise.
 */
export function recoverPin(clearBlock: Buffer, pan?: string, format: PinBlockFormat = 0): string {
  if (![0, 1, 2, 3].includes(format)) throw new PinBlockError(`format ${String(format)} is not supported (0, 1, 2, 3)`, { format });
  const sizeOk = Buffer.isBuffer(clearBlock) && (clearBlock.length === 8 || (clearBlock.length === 16 && format === 0));
  if (!sizeOk) {
    throw new PinBlockError(
      `clear block must be 8 bytes${format === 0 ? ' (16 for the SM4 form)' : ''}, got ${Buffer.isBuffer(clearBlock) ? clearBlock.length : typeof clearBlock}`,
      { format },
    );
  }
  let field = clearBlock;
  if (format === 0 || format === 3) {
    if (pan === undefined) throw new PinBlockError(`format ${format} needs the PAN to recover the PIN`, { format });
    field = xorBuffers(clearBlock, panField(pan, clearBlock.length as 8 | 16));
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
 * Encrypts a clear PIN block under the PIK (ECB). des: 8-byte PIK; tdes: 16/24-byte PIK; both over
 * the 8-byte block. sm4: 16-byte PIK over the 16-byte block of buildPinBlockFormat0(pin, pan, 16).
 */
export function encryptPinBlock(pik: Buffer, clear: Buffer, cipher: PinCipher = 'tdes'): Buffer {
  return pinBlockCipher(pik, clear, cipher, true);
}

/** Inverse of encryptPinBlock: the clear block (8 bytes, or 16 for sm4), ready for recoverPin. */
export function decryptPinBlock(pik: Buffer, block: Buffer, cipher: PinCipher = 'tdes'): Buffer {
  return pinBlockCipher(pik, block, cipher, false);
}

function pinBlockCipher(pik: Buffer, block: Buffer, cipher: PinCipher, encrypt: boolean): Buffer {
  const what = `${encrypt ? 'encrypt' : 'decrypt'} PIN block (${String(cipher)})`;
  if (!Buffer.isBuffer(pik)) throw new CryptoInputError(what, 'PIK must be a Buffer');
  if (!Buffer.isBuffer(block)) throw new CryptoInputError(what, 'block must be a Buffer');
  switch (cipher) {
    case 'des':
    case 'tdes': {
      const allowed = cipher === 'des' ? [8] : [16, 24];
      if (!allowed.includes(pik.length)) throw new KeyLengthError(`PIK for ${what}`, pik.length, allowed);
      if (block.length !== 8) throw new PinBlockError(`${what}: block must be 8 bytes, got ${block.length}`);
      return encrypt ? desEcbEncrypt(pik, block) : desEcbDecrypt(pik, block);
    }
    case 'sm4':
      if (block.length !== 16) {
        throw new PinBlockError(
          `${what}: block must be 16 bytes, got ${block.length}` +
            (encrypt && block.length === 8 ? '; build it with buildPinBlockFormat0(pin, pan, 16)' : ''),
        );
      }
      return encrypt ? sm4EcbEncrypt(pik, block) : sm4EcbDecrypt(pik, block);
    default:
      throw new CryptoInputError(what, `unknown cipher "${String(cipher)}" (use des, tdes or sm4)`);
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
  if (typeof pan !== 'string' || !/^[0-9]{1,19}$/.test(pan))
    throw new CryptoInputError('PAN for PIN block format 4', 'must be 1 to 19 decimal digits');
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
  if (!/^[0-9]+$/.test(pin) || !/^A*$/.test(hex.slice(2 + length, 16)))
    throw new PinBlockError('PIN field is malformed (wrong PAN or wrong key?)', { format: 4 });
  return pin;
}
