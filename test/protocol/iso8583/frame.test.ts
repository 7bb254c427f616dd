import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  IsoMessage,
  encodeFrame,
  decodeFrame,
  swapTpdu,
  LengthPrefixedReader,
  FrameTooLargeError,
  Iso8583DecodeError,
  Iso8583EncodeError,
  replyFrame,
  type CupFrame,
} from '../../../protocol/iso8583';
import { loadSamples } from './samples';

const header = { applicationClass: '61', specVersion: '31', terminalStatus: '0', processingRequirement: '0', softwareVersion: '311108' };

function sampleFrame(): CupFrame {
  return {
    tpdu: '6005010000',
    header,
    message: new IsoMessage('0800', { 11: '000172', 41: '50080001', 42: '309310083985008', 60: '00000172003', 63: '01 ' }),
  };
}

describe('CUP TCP frame (cup8583.md §1.1)', () => {
  test('encodeFrame: binary big-endian length that excludes itself, TPDU, 6-byte header, message', () => {
    const bytes = encodeFrame(sampleFrame());
    expect(bytes.readUInt16BE(0)).to.equal(bytes.length - 2);
    expect(bytes.subarray(2, 13).toString('hex').toUpperCase()).to.equal('6005010000613100311108');
    expect(bytes.subarray(13, 15).toString('hex')).to.equal('0800');
    const back = decodeFrame(bytes);
    expect(back.tpdu).to.equal('6005010000');
    expect(back.header).to.deep.equal(header);
    expect(back.message.get(63)).to.equal('01 ');
  });

  test('header sub-fields of a real frame, including a non-BCD sub-version', () => {
    const s = loadSamples().find((x) => x.name === 'sale_0210_resp_ic_scandemo')!;
    const frame = decodeFrame(s.bytes);
    expect(frame.header).to.deep.equal({
      applicationClass: '60',
      specVersion: '31',
      terminalStatus: '0',
      processingRequirement: '0',
      softwareVersion: '31FFF1',
    });
    expect(frame.tpdu).to.equal('6000030000');
  });

  test('swapTpdu exchanges destination and originator', () => {
    expect(swapTpdu('6000030000')).to.equal('6000000003');
    expect(swapTpdu('6005010000')).to.equal('6000000501');
    expect(swapTpdu(swapTpdu('6012345678'))).to.equal('6012345678');
    expect(() => swapTpdu('60000300')).to.throw(Iso8583EncodeError, /10 hex digits/);
  });

  test('decodeFrame rejects a length prefix that disagrees with the bytes', () => {
    const bytes = encodeFrame(sampleFrame());
    expect(() => decodeFrame(bytes.subarray(0, bytes.length - 1))).to.throw(Iso8583DecodeError, /truncated/);
    expect(() => decodeFrame(Buffer.concat([bytes, Buffer.from([0])]))).to.throw(Iso8583DecodeError, /trailing-bytes/);
  });

  test('bad header values are encode errors', () => {
    expect(() => encodeFrame({ ...sampleFrame(), header: { ...header, softwareVersion: '3111' } })).to.throw(Iso8583EncodeError, /softwareVersion/);
    expect(() => encodeFrame({ ...sampleFrame(), tpdu: 'zz00000000' })).to.throw(Iso8583EncodeError, /TPDU/);
  });
});

describe('LengthPrefixedReader', () => {
  const frames = [
    encodeFrame(sampleFrame()),
    ...loadSamples()
      .filter((s) => s.framing === 'length')
      .map((s) => s.bytes),
  ];
  const stream = Buffer.concat(frames);

  test('one chunk with several frames', () => {
    const out = new LengthPrefixedReader({ maxFrameSize: 4096 }).push(stream);
    expect(out.map((b) => b.toString('hex'))).to.deep.equal(frames.map((b) => b.toString('hex')));
  });

  test('split into two chunks at every offset, including inside the length prefix', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new LengthPrefixedReader({ maxFrameSize: 4096 });
      const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(out.length, `cut at ${cut}`).to.equal(frames.length);
      expect(Buffer.concat(out).equals(stream)).to.equal(true);
      expect(reader.bufferedBytes).to.equal(0);
    }
  });

  test('byte by byte', () => {
    const reader = new LengthPrefixedReader({ maxFrameSize: 4096 });
    const out: Buffer[] = [];
    for (const b of stream) out.push(...reader.push(Buffer.from([b])));
    expect(out.length).to.equal(frames.length);
    expect(decodeFrame(out[0]).message.mti).to.equal('0800');
  });

  test('a length prefix over maxFrameSize throws FrameTooLargeError', () => {
    const reader = new LengthPrefixedReader({ maxFrameSize: 100 });
    let caught: unknown;
    try {
      reader.push(Buffer.from([0x01, 0x18]));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(FrameTooLargeError);
    expect((caught as FrameTooLargeError).announced).to.equal(280);
    expect((caught as FrameTooLargeError).code).to.equal('ISO8583_FRAME_TOO_LARGE');
  });
});

describe('replies', () => {
  test('replyFrame swaps the TPDU and echoes the header with the processing requirement', () => {
    const request = { ...sampleFrame(), tpdu: '6000030000' };
    const reply = replyFrame(request, new IsoMessage('0810', { 11: '000172', 39: '00' }), '3');
    expect(reply.tpdu).to.equal('6000000003');
    expect(reply.header).to.deep.equal({ ...header, processingRequirement: '3' });
    expect(decodeFrame(encodeFrame(reply)).header.processingRequirement).to.equal('3');
  });
});
