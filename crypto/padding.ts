import { BlockLengthError, CryptoInputError } from './errors';

/** 0 = no padding (the data must already be a block multiple), else ISO/IEC 9797-1 methods 1..3. */
export type Iso9797Padding = 0 | 1 | 2 | 3;

/**
 * ISO/IEC 9797-1 padding.
 * Method 1: zero bytes up to the block size; empty data becomes one zero block (as psec / pyemv do,
 *   so that the MAC of nothing is still defined).
 * Method 2: 0x80 then zeros; always adds at least one byte.
 * Method 3: a block holding the data length in bits (big-endian), then the data padded per method 1.
 */
export function padIso9797(data: Buffer, method: Iso9797Padding, blockSize = 8): Buffer {
  switch (method) {
    case 0:
      if (data.length === 0 || data.length % blockSize !== 0) throw new BlockLengthError('MAC input without padding', data.length, blockSize);
      return data;
    case 1: {
      if (data.length > 0 && data.length % blockSize === 0) return Buffer.from(data);
      const padded = Buffer.alloc(Math.max(1, Math.ceil(data.length / blockSize)) * blockSize);
      data.copy(padded);
      return padded;
    }
    case 2: {
      const padded = Buffer.alloc((Math.floor(data.length / blockSize) + 1) * blockSize);
      data.copy(padded);
      padded[data.length] = 0x80;
      return padded;
    }
    case 3: {
      const lengthBlock = Buffer.alloc(blockSize);
      let bits = BigInt(data.length) * 8n;
      for (let i = blockSize - 1; i >= 0 && bits > 0n; i--) {
        lengthBlock[i] = Number(bits & 0xffn);
        bits >>= 8n;
      }
      return Buffer.concat([lengthBlock, padIso9797(data, 1, blockSize)]);
    }
    default:
      throw new CryptoInputError('ISO 9797-1 padding', `method must be 0 (none), 1, 2 or 3, got ${String(method)}`);
  }
}

/** Zero padding to a block multiple, nothing added when already aligned (and nothing for empty data). */
export function padZeroToBlock(data: Buffer, blockSize: number): Buffer {
  const rem = data.length % blockSize;
  if (rem === 0) return data;
  const padded = Buffer.alloc(data.length + blockSize - rem);
  data.copy(padded);
  return padded;
}
