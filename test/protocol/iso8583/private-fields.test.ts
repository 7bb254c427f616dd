/**
 * Private-field codecs of the CUP POS dialect: F59 tag A1 (SM4 PIN block), the 360 parameter block
 * of F62 (encoded by the host, decoded by a terminal), and track data under the TDK (§5.6).
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { desEcbEncrypt } from '../../../crypto';
import {
  decodeF59Tags,
  decodeParameterBlock,
  decryptTrackData,
  encodeParameterBlock,
  encodeSm4PinBlockF59,
  encodeSm4PinBlockF59Binary,
  FieldContentError,
  sm4PinBlockFromF59,
  trackDataBlockOffset,
} from '../../../protocol/iso8583';

describe('F59 tag A1: the 16-byte SM4 PIN block', () => {
  test('round trip, found among other tags, absent is undefined', () => {
    const block = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    const f59 = encodeSm4PinBlockF59(block);
    expect(f59).to.equal('A103200112233445566778899AABBCCDDEEFF');
    expect(sm4PinBlockFromF59(f59)!.equals(block)).to.equal(true);
    expect(sm4PinBlockFromF59(`B2003xyz${f59}`)!.equals(block)).to.equal(true);
    expect(sm4PinBlockFromF59('B2003xyz')).to.equal(undefined);
    expect(sm4PinBlockFromF59(undefined)).to.equal(undefined);
    expect(decodeF59Tags(`B2003xyz${f59}`).get('B2')).to.equal('xyz');
  });
  test('malformed lists and blocks are FieldContentError', () => {
    expect(() => sm4PinBlockFromF59('A1099ABC')).to.throw(FieldContentError, /tag\(2\) \+ length\(3 digits or 1 byte\) \+ value at position 0/);
    expect(() => sm4PinBlockFromF59('A1\x05ABC')).to.throw(FieldContentError, /position 0/);
    expect(() => sm4PinBlockFromF59(`A1\x08${'x'.repeat(8)}`)).to.throw(FieldContentError, /binary form\) must be 16 bytes, got 8/);
    const block = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');
    expect(sm4PinBlockFromF59(encodeSm4PinBlockF59Binary(block))).to.deep.equal(block);
    expect(sm4PinBlockFromF59(`B2003xyz${encodeSm4PinBlockF59Binary(block)}`)).to.deep.equal(block);
    expect(() => sm4PinBlockFromF59('A1004ZZZZ')).to.throw(FieldContentError, /32 hex characters/);
    expect(() => decodeF59Tags('A1')).to.throw(FieldContentError, /position 0/);
    expect(() => encodeSm4PinBlockF59(Buffer.alloc(8))).to.throw(FieldContentError, /16 bytes/);
  });
});

describe('F62 of a 360 parameter download', () => {
  const params = {
    timeoutSeconds: 60,
    retries: 3,
    phones: ['02088886666', '02088886667'],
    tipSupported: false,
    tipPercent: 0,
    manualEntry: true,
    autoSignOff: false,
    resendTimes: 3,
    keyIndex: 1,
  };
  test('what the host encodes, a terminal decodes (merchant name in GBK, 40 bytes)', () => {
    const block = encodeParameterBlock(params, '广州测试商户');
    expect(block.length).to.equal(2 + 2 + 2 + 1 + 4 * 16 + 2 + 1 + 2 + 2 + 2 + 1 + 2 + 1 + 2 + 40 + 2 + 1 + 2 + 1);
    expect(decodeParameterBlock(block)).to.deep.equal({
      '12': '60',
      '13': '3',
      '14': '02088886666',
      '15': '02088886667',
      '16': '',
      '17': '',
      '18': '0',
      '19': '00',
      '20': '1',
      '21': '0',
      '22': '广州测试商户',
      '23': '3',
      '25': '1',
    });
  });
  test('a name longer than 40 GBK bytes is cut on a character boundary; an unknown id is undefined', () => {
    const block = encodeParameterBlock(params, '一二三四五六七八九十一二三四五六七八九十一');
    expect(decodeParameterBlock(block)!['22']).to.equal('一二三四五六七八九十一二三四五六七八九十');
    expect(decodeParameterBlock(Buffer.from('99x', 'latin1'))).to.equal(undefined);
    expect(decodeParameterBlock(Buffer.from('121', 'latin1'))).to.equal(undefined);
  });
});

describe('track data under the TDK (53.3 = 1)', () => {
  const tdk = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
  test('the TDB is the 8 bytes before the last byte; short tracks stay clear', () => {
    expect(trackDataBlockOffset(16)).to.equal(undefined);
    expect(trackDataBlockOffset(37)).to.equal(20);
    expect(trackDataBlockOffset(36)).to.equal(18);
    const clear = '6212345678901234=25122011234567890';
    const nibbles = clear.replace(/=/g, 'D');
    const start = trackDataBlockOffset(nibbles.length)!;
    const enc = desEcbEncrypt(tdk, Buffer.from(nibbles.slice(start, start + 16), 'hex'))
      .toString('hex')
      .toUpperCase();
    const wire = nibbles.slice(0, start) + enc + nibbles.slice(start + 16);
    expect(decryptTrackData(tdk, wire)).to.equal(clear);
    expect(decryptTrackData(tdk, '6212345678=2512')).to.equal('6212345678=2512');
  });
});
