// The frame test vectors of docs/terminal-test-protocol.md Annex B and its 1.1 worked examples,
// run through the reference decoder and encoder: the document a vendor implements from and the
// code poscert runs cannot drift apart.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TtpDecodeEvent, TtpFrameDecoder, TtpMessage, encodeTtpFrame } from '../../../protocol/ttp';

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'terminal-test-protocol.md'), 'utf8');

interface Vector {
  name: string;
  expect: 'ACK' | 'NAK' | 'NAK-AT-ONCE';
  bytes: Buffer;
}

function vectors(): Vector[] {
  const block = /```ttp-vectors\n([\s\S]*?)\n```/.exec(DOC);
  if (!block) throw new Error('docs/terminal-test-protocol.md has no ```ttp-vectors block (Annex B)');
  return block[1]
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [name, expectation, ...hex] = line.trim().split(/\s+/);
      return { name, expect: expectation as Vector['expect'], bytes: Buffer.from(hex.join(''), 'hex') };
    });
}

const damaged = (events: TtpDecodeEvent[]) => events.filter((e) => e.kind === 'error' && e.reason !== 'garbage');

describe('TTP 1.1 Annex B frame test vectors', () => {
  const all = vectors();

  test('the block holds the vectors the annex describes, each with a known expectation', () => {
    expect(all.length).to.be.at.least(10);
    for (const v of all) expect(['ACK', 'NAK', 'NAK-AT-ONCE'], v.name).to.include(v.expect);
  });

  for (const v of all) {
    test(`${v.name}: ${v.expect}`, () => {
      const events = new TtpFrameDecoder().push(v.bytes);
      const frames = events.filter((e) => e.kind === 'frame');
      if (v.expect === 'ACK') {
        expect(frames, v.name).to.have.length(1);
        expect(events[events.length - 1].kind, v.name).to.equal('frame');
      } else {
        // NAK-AT-ONCE: the vector is only the start of a frame, and the decision is already made.
        expect(frames, v.name).to.have.length(0);
        expect(damaged(events), v.name).to.have.length.greaterThan(0);
      }
    });
  }

  test('worked examples of 1.1: free text and a final screen with outcome encode to the vectors, with the stated LEN and LRC', () => {
    const byName = new Map(all.map((v) => [v.name, v.bytes]));
    const text = /The free-text command `(\{[^`]+\})`\s+is (\d+) \(`0x([0-9a-f]+)`\) bytes[\s\S]*?LRC `0x([0-9a-f]+)`/.exec(DOC)!;
    const outcome = /The final-screen event\s+`(\{[^`]+\})`\s+is (\d+) \(`0x([0-9a-f]+)`\) bytes with LRC `0x([0-9a-f]+)`/.exec(DOC)!;
    expect(text, 'free-text worked example').to.not.equal(null);
    expect(outcome, 'outcome worked example').to.not.equal(null);
    for (const [m, name] of [
      [text, 'text-entry'],
      [outcome, 'outcome-display'],
    ] as const) {
      const frame = encodeTtpFrame(JSON.parse(m[1]) as TtpMessage);
      expect(frame.toString('hex'), name).to.equal(byName.get(name)!.toString('hex'));
      expect(frame.readUInt16BE(1), name).to.equal(Number(m[2]));
      expect(frame.readUInt16BE(1).toString(16), name).to.equal(m[3]);
      expect(frame[frame.length - 1].toString(16).padStart(2, '0'), name).to.equal(m[4].padStart(2, '0'));
    }
  });
});
