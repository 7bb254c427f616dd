/**
 * The tlv_ber group of test/fixtures/vectors.json against protocol/tlv (decode, encode, round trip).
 * test/crypto/vectors.test.ts delegates this group here and fails if this file disappears.
 */
import { test, describe } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeTlv, encodeTlv, TlvNode } from '../../../protocol/tlv';

type Entry = Record<string, any>;
type Shape = { [tag: string]: string | Shape };

const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'vectors.json'), 'utf8')) as Record<string, Entry[]>;
const entries = vectors.tlv_ber;

/** Decoded nodes in the JSON's object shape: tag → upper hex, or tag → object for constructed tags. */
function toShape(nodes: TlvNode[]): Shape {
  const out: Shape = {};
  for (const n of nodes) out[n.tag] = n.children ? toShape(n.children) : n.value.toString('hex').toUpperCase();
  return out;
}

function fromShape(shape: Shape): TlvNode[] {
  return Object.entries(shape).map(([tag, v]) =>
    typeof v === 'string' ? { tag, value: Buffer.from(v, 'hex') } : { tag, value: Buffer.alloc(0), children: fromShape(v) },
  );
}

describe('TLV vectors (test/fixtures/vectors.json: tlv_ber)', () => {
  test('the group is present and every entry is decode or encode', () => {
    expect(entries, 'tlv_ber group').to.be.an('array').that.is.not.empty;
    entries.forEach((e, i) => expect(e.encoded !== undefined || e.encode_input !== undefined, `tlv_ber[${i}]`).to.equal(true));
  });

  entries.forEach((e, i) => {
    const msg = `tlv_ber[${i}] (source: ${e.source})`;
    if (e.encoded !== undefined) {
      test(`${msg} decode ${String(e.encoded).slice(0, 24)}`, () => {
        const nodes = decodeTlv(Buffer.from(e.encoded, 'hex'));
        if (Array.isArray(e.expected)) {
          // Ordered [tag, value] list (a real field 55).
          expect(
            nodes.map((n) => [n.tag, n.value.toString('hex').toUpperCase()]),
            msg,
          ).to.deep.equal(e.expected);
        } else {
          expect(toShape(nodes), msg).to.deep.equal(e.expected);
          expect(toShape(nodes), msg).to.deep.equal(e.decoded);
        }
        // Re-encoding gives minimal lengths; decoding that again must give the same objects.
        expect(toShape(decodeTlv(encodeTlv(nodes))), msg).to.deep.equal(toShape(nodes));
      });
    } else {
      test(`${msg} encode ${Object.keys(e.encode_input).join(',')}`, () => {
        const encoded = encodeTlv(fromShape(e.encode_input)).toString('hex').toUpperCase();
        expect(encoded, msg).to.equal(e.expected_encoded);
        expect(encoded, msg).to.equal(e.expected);
        expect(toShape(decodeTlv(Buffer.from(encoded, 'hex'))), msg).to.deep.equal(e.encode_input);
      });
    }
  });
});
