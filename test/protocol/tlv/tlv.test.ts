import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeTlv, encodeTlv, findTag, TlvDecodeError, TlvEncodeError, type TlvNode } from '../../../protocol/tlv';
import { unpackMessage } from '../../../protocol/iso8583';
import { loadSamples, seededRandom } from '../iso8583/samples';

// Vectors: test/fixtures/vectors.json `tlv_ber` (pyemv tests/test_tlv.py, each entry keeps its source).
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'vectors.json'), 'utf8')).tlv_ber as Record<
  string,
  unknown
>[];

interface Plain {
  [tag: string]: string | Plain;
}
function toPlain(nodes: TlvNode[]): Plain {
  const out: Plain = {};
  for (const n of nodes) out[n.tag] = n.children ? toPlain(n.children) : n.value.toString('hex').toUpperCase();
  return out;
}
function fromPlain(p: Plain): TlvNode[] {
  return Object.entries(p).map(([tag, v]) =>
    typeof v === 'string' ? { tag, value: Buffer.from(v, 'hex') } : { tag, value: Buffer.alloc(0), children: fromPlain(v) },
  );
}

describe('BER-TLV vectors (vectors.json tlv_ber)', () => {
  expect(vectors.length).to.be.greaterThan(10);
  for (const [i, v] of vectors.entries()) {
    if (typeof v.encoded === 'string') {
      test(`decode #${i} ${v.encoded.slice(0, 24)}`, () => {
        const nodes = decodeTlv(Buffer.from(v.encoded as string, 'hex'));
        if (Array.isArray(v.expected)) {
          expect(nodes.map((n) => [n.tag, n.value.toString('hex').toUpperCase()])).to.deep.equal(v.expected);
        } else {
          expect(toPlain(nodes)).to.deep.equal(v.expected);
        }
      });
    } else {
      test(`encode #${i} ${String(v.expected_encoded).slice(0, 24)}`, () => {
        expect(
          encodeTlv(fromPlain(v.encode_input as Plain))
            .toString('hex')
            .toUpperCase(),
        ).to.equal(v.expected_encoded);
      });
    }
  }
});

describe('field 55 of the samples', () => {
  test('decodes and re-encodes byte-identical; findTag', () => {
    const s = loadSamples().find((x) => x.name === 'sale_0200_req_ic_scandemo')!;
    const f55 = unpackMessage(s.bytes.subarray(11)).getBuffer(55)!;
    const nodes = decodeTlv(f55);
    expect(nodes.map((n) => n.tag)).to.deep.equal([
      '9F26',
      '9F27',
      '9F10',
      '9F37',
      '9F36',
      '95',
      '9A',
      '9C',
      '9F02',
      '5F2A',
      '82',
      '9F1A',
      '9F03',
      '9F33',
      '9F34',
      '9F35',
      '9F1E',
      '84',
      '9F09',
      '9F41',
    ]);
    expect(findTag(nodes, '9f26')!.value.toString('hex').toUpperCase()).to.equal('DEAE676D1C473411');
    expect(encodeTlv(nodes).equals(f55)).to.equal(true);
  });
  test('constructed tags nest; findTag searches children', () => {
    const bytes = Buffer.from('70049F0201FF' + '7103860100', 'hex');
    const nodes = decodeTlv(bytes);
    expect(nodes[0].tag).to.equal('70');
    expect(findTag(nodes, '9F02')!.value.toString('hex')).to.equal('ff');
    expect(findTag(nodes, '86')!.value.toString('hex')).to.equal('00');
  });
});

describe('TLV errors', () => {
  const cases: [string, string, string, number][] = [
    ['value truncated', '9F2608ED1D', 'truncated', 3],
    ['length missing', '9F26', 'truncated', 2],
    ['multi-byte tag runs off', '9F', 'truncated', 0],
    ['long length truncated', '9C8201', 'truncated', 2],
    ['indefinite length', '7080', 'indefinite-length', 1],
    ['length of length too big', '9C85FFFFFFFFFF', 'bad-length', 1],
    ['tag too long', '9F8181818101FF', 'bad-tag', 0],
    ['nested offset', '7003' + '9F0205', 'truncated', 5],
  ];
  for (const [what, hex, reason, offset] of cases) {
    test(what, () => {
      let caught: unknown;
      try {
        decodeTlv(Buffer.from(hex, 'hex'));
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(TlvDecodeError);
      expect((caught as TlvDecodeError).reason).to.equal(reason);
      expect((caught as TlvDecodeError).offset).to.equal(offset);
    });
  }
  test('encode errors', () => {
    expect(() => encodeTlv([{ tag: 'XY', value: Buffer.alloc(0) }])).to.throw(TlvEncodeError);
    expect(() => encodeTlv([{ tag: '9F', value: Buffer.alloc(0) }])).to.throw(TlvEncodeError, /no subsequent byte/);
    expect(() => encodeTlv([{ tag: '5A9F', value: Buffer.alloc(0) }])).to.throw(TlvEncodeError, /multi-byte/);
  });
  test('fuzz: bit flips of F55 throw only TlvDecodeError', () => {
    const random = seededRandom(55);
    const s = loadSamples().find((x) => x.name === 'sale_0200_req_ic_qps_easy8583')!;
    const f55 = unpackMessage(s.bytes.subarray(13)).getBuffer(55)!;
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(f55.subarray(0, Math.floor(random() * (f55.length + 1))));
      for (let k = 0; k < 2; k++) if (m.length) m[Math.floor(random() * m.length)] ^= 1 << Math.floor(random() * 8);
      try {
        decodeTlv(m);
      } catch (err) {
        if (!(err instanceof TlvDecodeError)) throw err;
      }
    }
  });
});
