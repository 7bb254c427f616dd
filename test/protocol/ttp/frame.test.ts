import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  TTP_ACK,
  TTP_MAX_PAYLOAD,
  TTP_NAK,
  TtpDecodeEvent,
  TtpFrameDecoder,
  TtpMessage,
  TtpPayloadTooLargeError,
  computeLrc,
  encodeTtpFrame,
  encodeTtpFrameBytes,
} from '../../../protocol/ttp';

const screen: TtpMessage = { id: 1, cmd: 'screen' };
const display: TtpMessage = { evt: 'display', lines: ['消费', '请输入金额:', '12.34'], seq: 7 };
const reply: TtpMessage = { id: 1, ok: true, result: { lines: ['签到成功'], state: 'idle' } };

function frames(events: TtpDecodeEvent[]): TtpMessage[] {
  return events.filter((e): e is Extract<TtpDecodeEvent, { kind: 'frame' }> => e.kind === 'frame').map((e) => e.payload);
}
function kinds(events: TtpDecodeEvent[]): string[] {
  return events.map((e) => (e.kind === 'error' ? `error:${e.reason}` : e.kind));
}

describe('TTP frame encoding', () => {
  test('worked example of the normative document: {"id":1,"cmd":"screen"}', () => {
    const hex = encodeTtpFrame(screen).toString('hex');
    expect(hex).to.equal('02' + '0017' + Buffer.from('{"id":1,"cmd":"screen"}').toString('hex') + '03' + '64');
  });

  test('worked example with Chinese text: LEN counts UTF-8 bytes (63), LRC 0x38', () => {
    const f = encodeTtpFrame({ id: 1, ok: true, result: { lines: ['消费'], state: 'idle' } });
    expect(f.readUInt16BE(1)).to.equal(63);
    expect(f[f.length - 1]).to.equal(0x38);
    expect(f.subarray(3, f.length - 2).includes(Buffer.from('e6b688e8b4b9', 'hex'))).to.equal(true);
  });

  test('LRC is XOR of LEN..ETX', () => {
    const f = encodeTtpFrame(display);
    expect(f[f.length - 1]).to.equal(computeLrc(f.subarray(1, f.length - 1)));
    expect(f.readUInt16BE(1)).to.equal(Buffer.byteLength(JSON.stringify(display)));
  });

  test('refuses payloads above the maximum, accepts exactly the maximum', () => {
    expect(() => encodeTtpFrameBytes(Buffer.alloc(TTP_MAX_PAYLOAD + 1, 0x20))).to.throw(TtpPayloadTooLargeError);
    expect(encodeTtpFrameBytes(Buffer.alloc(TTP_MAX_PAYLOAD, 0x20)).length).to.equal(TTP_MAX_PAYLOAD + 5);
    expect(() => encodeTtpFrame({ evt: 'print', copy: 'merchant', reprint: false, lines: ['x'.repeat(TTP_MAX_PAYLOAD)] }))
      .to.throw(TtpPayloadTooLargeError)
      .with.property('code', 'ttp-payload-too-large');
  });

  test('payload never contains STX, ETX, ACK or NAK, even for control characters in strings', () => {
    const f = encodeTtpFrame({ evt: 'display', lines: ['\u0002\u0003\u0006\u0015'] });
    const payload = f.subarray(3, f.length - 2);
    for (const b of [0x02, 0x03, 0x06, 0x15]) expect(payload.includes(b)).to.equal(false);
  });
});

describe('TtpFrameDecoder', () => {
  const stream = Buffer.concat([
    encodeTtpFrame(screen),
    Buffer.from([TTP_ACK]),
    encodeTtpFrame(display),
    Buffer.from([TTP_NAK]),
    encodeTtpFrame(reply),
  ]);
  const expected = ['frame', 'ack', 'frame', 'nak', 'frame'];

  test('decodes a stream in one chunk', () => {
    const ev = new TtpFrameDecoder().push(stream);
    expect(kinds(ev)).to.deep.equal(expected);
    expect(frames(ev)).to.deep.equal([screen, display, reply]);
  });

  test('same result with the input split at every byte offset (two pieces)', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new TtpFrameDecoder();
      const ev = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(kinds(ev), `cut at ${cut}`).to.deep.equal(expected);
      expect(frames(ev), `cut at ${cut}`).to.deep.equal([screen, display, reply]);
      expect(d.pending).to.equal(0);
    }
  });

  test('same result fed one byte at a time (UTF-8 characters split too)', () => {
    const d = new TtpFrameDecoder();
    const ev: TtpDecodeEvent[] = [];
    for (const b of stream) ev.push(...d.push(Buffer.from([b])));
    expect(frames(ev)).to.deep.equal([screen, display, reply]);
  });

  test('corrupted LRC: bad-lrc (not intact), and the next frame still decodes', () => {
    const bad = encodeTtpFrame(screen);
    bad[bad.length - 1] ^= 0x40;
    const ev = new TtpFrameDecoder().push(Buffer.concat([bad, encodeTtpFrame(display)]));
    expect(kinds(ev)).to.deep.equal(['error:bad-lrc', 'error:garbage', 'frame']);
    expect(ev[0]).to.include({ intact: false });
    expect(frames(ev)).to.deep.equal([display]);
  });

  test('LEN and LRC bytes of a damaged frame are never taken for ACK or NAK when rescanning', () => {
    // LEN 0x0006 and an LRC byte of 0x15: both would read as control bytes after resync.
    const f = encodeTtpFrameBytes(Buffer.from('{"a":}'));
    expect(f[2]).to.equal(0x06);
    f[f.length - 1] = f[f.length - 1] === 0x15 ? 0x16 : 0x15; // wrong LRC, and it is NAK's value
    const ev = new TtpFrameDecoder().push(Buffer.concat([f, encodeTtpFrame(screen)]));
    expect(kinds(ev)).to.deep.equal(['error:bad-lrc', 'error:garbage', 'frame']);
    // A real ACK right after the damaged frame still counts.
    const ev2 = new TtpFrameDecoder().push(Buffer.concat([f, Buffer.from([TTP_ACK])]));
    expect(kinds(ev2)).to.deep.equal(['error:bad-lrc', 'error:garbage', 'ack']);
  });

  test('garbage between frames is skipped and reported with its size', () => {
    const junk = Buffer.from('line noise \xff\x00', 'latin1');
    const ev = new TtpFrameDecoder().push(Buffer.concat([junk, encodeTtpFrame(screen), junk, encodeTtpFrame(display)]));
    expect(kinds(ev)).to.deep.equal(['error:garbage', 'frame', 'error:garbage', 'frame']);
    expect((ev[0] as { bytes: number }).bytes).to.equal(junk.length);
  });

  test('oversized length is rejected at once (no waiting for 64 KiB) and the decoder resyncs', () => {
    const d = new TtpFrameDecoder({ maxPayload: 1024 });
    const ev = d.push(Buffer.concat([Buffer.from([0x02, 0xff, 0xf0]), encodeTtpFrame(screen)]));
    expect(kinds(ev)).to.deep.equal(['error:oversized', 'error:garbage', 'frame']);
    expect(frames(ev)).to.deep.equal([screen]);
  });

  test('a length that does not end at ETX is bad-etx and the decoder resyncs on the next STX', () => {
    const bad = encodeTtpFrame(screen);
    bad.writeUInt16BE(bad.readUInt16BE(1) - 3, 1); // shorter LEN: ETX expected inside the JSON
    const ev = new TtpFrameDecoder().push(Buffer.concat([bad, encodeTtpFrame(display)]));
    expect(kinds(ev)[0]).to.equal('error:bad-etx');
    expect(frames(ev)).to.deep.equal([display]);
  });

  test('a truncated frame waits, then expire() reports it and decodes what followed', () => {
    const full = encodeTtpFrame(screen);
    const d = new TtpFrameDecoder();
    expect(d.push(full.subarray(0, 10))).to.deep.equal([]);
    expect(d.inFrame).to.equal(true);
    const ev = d.expire();
    expect(kinds(ev)).to.deep.equal(['error:truncated', 'error:garbage']);
    expect(d.inFrame).to.equal(false);
    expect(frames(d.push(encodeTtpFrame(display)))).to.deep.equal([display]);
  });

  test('a truncated frame followed by a complete one: the follower is recovered at once', () => {
    // Long partial, short follower: the follower's STX lands in the partial's payload region,
    // which proves the partial damaged without waiting for the bytes its LEN promised.
    const longPartial = encodeTtpFrame(display).subarray(0, 12);
    const ev1 = new TtpFrameDecoder().push(Buffer.concat([longPartial, encodeTtpFrame(screen)]));
    expect(kinds(ev1)[0]).to.equal('error:control-byte-in-payload');
    expect(frames(ev1)).to.deep.equal([screen]);
    // Short partial, long follower: enough bytes arrive to see the ETX is missing.
    const shortPartial = encodeTtpFrame(screen).subarray(0, 12);
    const ev2 = new TtpFrameDecoder().push(Buffer.concat([shortPartial, encodeTtpFrame(display)]));
    expect(frames(ev2)).to.deep.equal([display]);
    expect(kinds(ev2)[0]).to.match(/^error:(bad-etx|control-byte-in-payload)$/);
  });

  test('a LEN corrupted upwards is caught when the real ETX arrives, not after the frame timeout', () => {
    const bad = encodeTtpFrame(screen);
    bad[1] ^= 0x04; // LEN + 1024
    const d = new TtpFrameDecoder();
    const ev = d.push(bad);
    expect(kinds(ev)[0]).to.equal('error:control-byte-in-payload');
    expect(d.inFrame).to.equal(false);
    // Fed byte by byte, the verdict comes with the ETX byte, and only once.
    const d2 = new TtpFrameDecoder();
    const seen: string[] = [];
    bad.forEach((b, i) => {
      for (const e of d2.push(Buffer.from([b]))) seen.push(`${i}:${e.kind === 'error' ? e.reason : e.kind}`);
    });
    expect(seen[0]).to.equal(`${bad.length - 2}:control-byte-in-payload`);
  });

  test('STX alone or STX + 1 length byte is held, not misreported', () => {
    const d = new TtpFrameDecoder();
    expect(d.push(Buffer.from([0x02]))).to.deep.equal([]);
    expect(d.push(Buffer.from([0x00]))).to.deep.equal([]);
    expect(d.pending).to.equal(2);
  });

  test('intact envelope with bad UTF-8, bad JSON or a non-message is reported as intact', () => {
    const d = new TtpFrameDecoder();
    const ev = d.push(
      Buffer.concat([
        encodeTtpFrameBytes(Buffer.from([0xc3, 0x28])),
        encodeTtpFrameBytes(Buffer.from('{"id":')),
        encodeTtpFrameBytes(Buffer.from('[1,2]')),
        encodeTtpFrameBytes(Buffer.from('')),
      ]),
    );
    expect(kinds(ev)).to.deep.equal(['error:bad-utf8', 'error:bad-json', 'error:bad-message', 'error:bad-json']);
    for (const e of ev) expect(e).to.include({ intact: true });
  });

  test('every single-bit error in a frame is detected: never a wrong message, the next frame survives', () => {
    const good = encodeTtpFrame(display);
    const next = encodeTtpFrame(screen);
    for (let bit = 0; bit < good.length * 8; bit++) {
      const bad = Buffer.from(good);
      bad[bit >> 3] ^= 1 << (bit & 7);
      const d = new TtpFrameDecoder();
      const ev = [...d.push(Buffer.concat([bad, next])), ...d.expire()];
      const got = frames(ev);
      expect(
        got.every((m) => JSON.stringify(m) === JSON.stringify(screen)),
        `bit ${bit}`,
      ).to.equal(true);
      expect(got, `bit ${bit}: the following frame is recovered`).to.have.length(1);
    }
  });
});
