/**
 * The electronic signature image (protocol/ttp/signature.ts): the PNG writer's output is a valid
 * 1-bit PNG that zlib and the receivers' checks accept, deterministic, inked where the strokes go;
 * the checks refuse what is no PNG, a broken IHDR or more than F62 holds, naming the problem.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { inflateSync } from 'node:zlib';
import {
  TTP_SIGNATURE_MAX_BYTES,
  describeSignatureImage,
  encodeSignaturePng,
  signatureHash,
  signatureImageInfo,
  signatureImageProblem,
} from '../../../protocol/ttp/signature';

/** Pixel rows of a 1-bit PNG this writer made (one IDAT), as strings of '#' (ink) and '.'. */
function pixels(png: Buffer, width: number, height: number): string[] {
  const idatAt = png.indexOf('IDAT', 0, 'ascii');
  const len = png.readUInt32BE(idatAt - 4);
  const raw = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + len));
  const rowBytes = Math.ceil(width / 8);
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let row = '';
    for (let x = 0; x < width; x++) row += raw[y * (rowBytes + 1) + 1 + (x >> 3)] & (0x80 >> (x & 7)) ? '.' : '#';
    rows.push(row);
  }
  return rows;
}

describe('TTP signature image', () => {
  test('a stroke becomes ink on white paper, in a PNG the checks accept, the same bytes every time', () => {
    const png = encodeSignaturePng(10, 4, [
      [
        { x: 1, y: 1 },
        { x: 8, y: 1 },
      ],
      [{ x: 0, y: 3 }],
    ]);
    expect(signatureImageProblem(png)).to.equal(undefined);
    expect(pixels(png, 10, 4)).to.deep.equal(['..........', '.########.', '..........', '#.........']);
    expect(
      encodeSignaturePng(10, 4, [
        [
          { x: 1, y: 1 },
          { x: 8, y: 1 },
        ],
        [{ x: 0, y: 3 }],
      ]).equals(png),
    ).to.equal(true);
    const info = signatureImageInfo(png);
    expect([info.width, info.height, info.bytes, info.sha256]).to.deep.equal([10, 4, png.length, signatureHash(png)]);
    expect(info.sha256).to.match(/^[0-9A-F]{64}$/);
    expect(describeSignatureImage(png)).to.equal(`<signature PNG 10x4, ${png.length} bytes, sha256 ${info.sha256}>`);
  });

  test('points off the canvas are clipped; a canvas out of range is a RangeError', () => {
    const png = encodeSignaturePng(4, 2, [
      [
        { x: -5, y: 0 },
        { x: 10, y: 0 },
      ],
    ]);
    expect(pixels(png, 4, 2)).to.deep.equal(['####', '....']);
    expect(() => encodeSignaturePng(0, 10, [])).to.throw(RangeError, /1\.\.1024/);
  });

  test('what is not a signature image is named', () => {
    const png = encodeSignaturePng(16, 8, [
      [
        { x: 0, y: 0 },
        { x: 15, y: 7 },
      ],
    ]);
    expect(signatureImageProblem(Buffer.alloc(0))).to.match(/empty/);
    expect(signatureImageProblem(Buffer.from('GIF89a'.padEnd(40, ' ')))).to.match(/not a PNG/);
    const badCrc = Buffer.from(png);
    badCrc[20] ^= 0xff;
    expect(signatureImageProblem(badCrc)).to.match(/IHDR chunk fails its CRC/);
    expect(signatureImageProblem(Buffer.concat([png, Buffer.alloc(TTP_SIGNATURE_MAX_BYTES)]))).to.match(/at most 512 fit in F62/);
    expect(() => signatureImageInfo(Buffer.from('x'))).to.throw(TypeError, /not a PNG/);
    expect(describeSignatureImage(Buffer.from('xyz'))).to.match(/^<signature: 3 bytes, sha256 [0-9A-F]{64}, .*not a PNG/);
  });
});
