/**
 * The cardholder's electronic signature (电签) as it travels: a small PNG drawn from pen strokes,
 * delivered to the terminal by the TTP `sign` command and uploaded by the terminal to the acquirer in
 * F62 of the 0820 (60.3 800, cup8583.md §3.1). Pure: the PNG writer (1-bit greyscale, zlib), the
 * checks a receiver applies (PNG signature, IHDR, size), and the SHA-256 that identifies an image in
 * journals and reports, where the image itself never goes.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** Largest signature image in bytes: F62 is b...512 (cup8583.md §2.1). */
export const TTP_SIGNATURE_MAX_BYTES = 512;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A point of a pen stroke, in pixels from the top-left corner. */
export interface SignaturePoint {
  readonly x: number;
  readonly y: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A 1-bit greyscale PNG (white paper, black ink) of the strokes, each a polyline. Points outside the
 * canvas are clipped. Deterministic: the same strokes give the same bytes.
 */
export function encodeSignaturePng(width: number, height: number, strokes: readonly (readonly SignaturePoint[])[]): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 1024 || height > 1024)
    throw new RangeError(`signature canvas must be 1..1024 pixels each way, got ${width}x${height}`);
  const ink: boolean[][] = Array.from({ length: height }, () => new Array<boolean>(width).fill(false));
  const dot = (x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi >= 0 && yi >= 0 && xi < width && yi < height) ink[yi][xi] = true;
  };
  for (const stroke of strokes) {
    stroke.forEach((p, i) => {
      const q = stroke[i + 1];
      if (!q) return dot(p.x, p.y);
      const steps = Math.max(1, Math.ceil(Math.max(Math.abs(q.x - p.x), Math.abs(q.y - p.y))));
      for (let s = 0; s <= steps; s++) dot(p.x + ((q.x - p.x) * s) / steps, p.y + ((q.y - p.y) * s) / steps);
    });
  }
  const rowBytes = Math.ceil(width / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height, 0);
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      // 1 = white (greyscale), so paper bits are set and ink bits are clear.
      if (!ink[y][x]) raw[row + 1 + (x >> 3)] |= 0x80 >> (x & 7);
    }
    // Padding bits of the last byte stay white too.
    for (let x = width; x < rowBytes * 8; x++) raw[row + 1 + (x >> 3)] |= 0x80 >> (x & 7);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([PNG_MAGIC, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** What a receiver learns of a signature image without rendering it. */
export interface SignatureImageInfo {
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** SHA-256 of the image bytes, upper-case hex: the image's identity in journals and reports. */
  readonly sha256: string;
}

/** SHA-256 of the image bytes, upper-case hex. */
export function signatureHash(image: Buffer): string {
  return createHash('sha256').update(image).digest('hex').toUpperCase();
}

/** Why the bytes are not a signature image a terminal or host accepts, or undefined when they are. */
export function signatureImageProblem(image: Buffer): string | undefined {
  if (image.length === 0) return 'the signature image is empty';
  if (image.length > TTP_SIGNATURE_MAX_BYTES) return `the signature image is ${image.length} bytes; at most ${TTP_SIGNATURE_MAX_BYTES} fit in F62`;
  if (image.length < 33 || !image.subarray(0, 8).equals(PNG_MAGIC)) return 'the signature image is not a PNG (no PNG signature)';
  if (image.readUInt32BE(8) !== 13 || image.toString('ascii', 12, 16) !== 'IHDR') return 'the signature image is not a PNG (no IHDR chunk first)';
  if (crc32(image.subarray(12, 29)) !== image.readUInt32BE(29)) return 'the PNG IHDR chunk fails its CRC';
  if (image.readUInt32BE(16) === 0 || image.readUInt32BE(20) === 0) return 'the PNG has a zero width or height';
  return undefined;
}

/** Width, height, size and hash of a valid signature image; a TypeError naming the problem otherwise. */
export function signatureImageInfo(image: Buffer): SignatureImageInfo {
  const problem = signatureImageProblem(image);
  if (problem) throw new TypeError(problem);
  return { width: image.readUInt32BE(16), height: image.readUInt32BE(20), bytes: image.length, sha256: signatureHash(image) };
}

/** How a journal, a transcript or a voucher names an image instead of carrying it. */
export function describeSignatureImage(image: Buffer): string {
  const problem = signatureImageProblem(image);
  if (problem) return `<signature: ${image.length} bytes, sha256 ${signatureHash(image)}, ${problem}>`;
  const i = signatureImageInfo(image);
  return `<signature PNG ${i.width}x${i.height}, ${i.bytes} bytes, sha256 ${i.sha256}>`;
}
