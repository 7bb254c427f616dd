import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  IsoMessage,
  packMessage,
  unpackMessage,
  decodeFrame,
  decodeFrameBody,
  encodeFrame,
  CUP_POS_DIALECT,
  Iso8583DecodeError,
  Iso8583EncodeError,
  type Dialect,
  type FieldSpec,
} from '../../../protocol/iso8583';
import { loadSamples, seededRandom, type Sample } from './samples';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function messageBytes(s: Sample): { body: Buffer; offset: number } {
  const offset = s.framing === 'length' ? 13 : s.framing === 'tpdu' ? 11 : 0;
  return { body: s.bytes.subarray(offset), offset };
}

function expectDecodeError(fn: () => unknown, reason: string, offset: number, field?: number): Iso8583DecodeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an Iso8583DecodeError').to.be.instanceOf(Iso8583DecodeError);
  const e = caught as Iso8583DecodeError;
  expect(e.reason).to.equal(reason);
  expect(e.offset).to.equal(offset);
  expect(e.field).to.equal(field);
  expect(e.code).to.equal('ISO8583_DECODE');
  expect(e.context).to.include({ reason, offset });
  return e;
}

describe('CUP samples (test/fixtures/samples)', () => {
  const samples = loadSamples();

  test('there are samples with every framing', () => {
    expect(samples.length).to.be.greaterThanOrEqual(7);
    expect(new Set(samples.map((s) => s.framing))).to.have.all.keys('length', 'tpdu', 'bare');
  });

  for (const s of samples) {
    test(`${s.name} decodes completely and re-encodes byte-identical`, () => {
      // All stored samples are well-formed per cup8583.md §8 (every byte consumed under §2.1 rules).
      if (s.framing === 'length') {
        const frame = decodeFrame(s.bytes);
        expect(encodeFrame(frame).equals(s.bytes)).to.equal(true);
      } else if (s.framing === 'tpdu') {
        const frame = decodeFrameBody(s.bytes);
        expect(encodeFrame(frame).subarray(2).equals(s.bytes)).to.equal(true);
      }
      const { body } = messageBytes(s);
      const msg = unpackMessage(body);
      expect(packMessage(msg).equals(body)).to.equal(true);
      expect(packMessage(msg.clone()).equals(body)).to.equal(true);
    });
  }

  test('values match the decodes in the .md files', () => {
    const byName = new Map(samples.map((s) => [s.name, unpackMessage(messageBytes(s).body)]));
    const qps = byName.get('sale_0200_req_ic_qps_easy8583')!;
    expect(qps.mti).to.equal('0200');
    expect(qps.fieldNumbers()).to.deep.equal([2, 3, 4, 11, 14, 22, 23, 25, 35, 41, 42, 49, 55, 60, 64]);
    expect(qps.get(2)).to.equal('6210810840003424940');
    expect(qps.get(22)).to.equal('072');
    expect(qps.get(23)).to.equal('001');
    expect(qps.get(35)).to.equal('6210810840003424940=27062207001000100');
    expect(qps.get(41)).to.equal('73782214');
    expect(qps.get(60)).to.equal('2200075700060');
    expect((qps.get(55) as Buffer).length).to.equal(164);
    expect(qps.getString(64)).to.equal('4237313333423537');
    const settle = byName.get('settle_0500_req_bare')!;
    expect(settle.get(48)).to.equal('00000000000700700000000000000000000000000000000000000000000000');
    expect(settle.get(60)).to.equal('00000003201');
    expect(settle.get(63)).to.equal('01 ');
    const resp = byName.get('sale_0210_resp_ic_scandemo')!;
    expect(resp.get(39)).to.equal('A0');
    expect(resp.get(59)).to.equal('000001000178');
    const signon = byName.get('signon_0810_resp_go_host_testkeys')!;
    expect(signon.get(32)).to.equal('01031000');
    expect(signon.getString(62)).to.match(/^950973182317F80B/);
  });

  test('an F pad nibble (E8583 F35 ...0100F) is accepted, remembered for re-encoding, and 0 is emitted for new values', () => {
    const s = samples.find((x) => x.name === 'sale_0200_req_ic_qps_easy8583')!;
    const msg = unpackMessage(messageBytes(s).body);
    expect(msg.wirePadNibbles.get(35)).to.equal(0xf);
    msg.set(35, msg.get(35)!);
    const repacked = packMessage(msg);
    expect(repacked.length).to.equal(messageBytes(s).body.length);
    expect(repacked.toString('hex').toUpperCase()).to.contain('0D27062207001000100' + '0');
    expect(repacked.toString('hex').toUpperCase()).not.to.contain('001000100F');
  });
});

describe('CUP encoding rules (cup8583.md §2.1)', () => {
  const pack = (fields: Record<number, string | Buffer>) => packMessage(new IsoMessage('0200', fields)).subarray(10);

  test('fixed n with odd digits is right-aligned with a leading 0 nibble (F23 001 -> 00 01)', () => {
    expect(pack({ 23: '001' }).toString('hex')).to.equal('0001');
  });
  test('fixed n shorter than the field is zero-filled on the left', () => {
    expect(pack({ 4: '1' }).toString('hex')).to.equal('000000000001');
  });
  test('F22 is left-aligned: 051 -> 05 10', () => {
    expect(pack({ 22: '051' }).toString('hex')).to.equal('0510');
    expect(unpackMessage(hex('0200 0000040000000000 0510')).get(22)).to.equal('051');
  });
  test('variable n is left-aligned with a trailing pad; LL is one BCD byte counting digits', () => {
    expect(pack({ 2: '6210810840003424940' }).toString('hex')).to.equal('1962108108400034249400');
    expect(pack({ 32: '03099988' }).toString('hex')).to.equal('0803099988');
  });
  test('LLL is two BCD bytes; n counts digits, an/ans/b count bytes', () => {
    expect(pack({ 60: '22000757000' }).toString('hex')).to.equal('0011220007570000');
    expect(pack({ 63: 'CUP' }).toString('hex')).to.equal('0003435550');
    expect(pack({ 55: hex('9F360201C0') }).toString('hex')).to.equal('00059f360201c0');
  });
  test('z writes = as nibble D', () => {
    expect(pack({ 35: '1234=56' }).toString('hex')).to.equal('071234d560');
  });
  test('fixed an is right-padded with spaces; text fields with gbk charset use GBK', () => {
    expect(pack({ 37: '123' }).toString('latin1')).to.equal('123         ');
    const bytes = pack({ 63: 'CUP中国银联' });
    expect(bytes.subarray(0, 2).toString('hex')).to.equal('0011');
    expect(unpackMessage(packMessage(new IsoMessage('0210', { 63: 'CUP中国银联' }))).get(63)).to.equal('CUP中国银联');
  });
  test('bitmap and MTI', () => {
    const bytes = packMessage(new IsoMessage('0800', { 11: '000172', 41: '50080001', 60: '00000172003' }));
    expect(bytes.subarray(0, 10).toString('hex').toUpperCase()).to.equal('08000020000000800010');
  });
  test('pad nibble F is accepted for odd n LLVAR and odd fixed n', () => {
    const m = unpackMessage(hex('0200 4000000000000000 03 123F'));
    expect(m.get(2)).to.equal('123');
    expect(unpackMessage(hex('0200 0000020000000000 F001')).get(23)).to.equal('001');
  });
  test('a dialect table with the padNibble F emits F', () => {
    const fields = new Map(CUP_POS_DIALECT.fields as ReadonlyMap<number, FieldSpec>);
    fields.set(2, { ...fields.get(2)!, padNibble: 0xf });
    const dialect: Dialect = { name: 'CUP with F pad on F2', fields };
    expect(
      packMessage(new IsoMessage('0200', { 2: '123' }), dialect)
        .subarray(10)
        .toString('hex'),
    ).to.equal('03123f');
  });
});

describe('encode errors', () => {
  const cases: [string, Record<number, string | Buffer>, number | undefined, RegExp][] = [
    ['letters in an n field', { 4: '12A' }, 4, /not allowed/],
    ['too many digits', { 3: '1234567' }, 3, /fixed at 6/],
    ['LLVAR over max', { 2: '1'.repeat(20) }, 2, /maximum is 19/],
    ['Buffer in an n field', { 11: Buffer.from('01') }, 11, /digit string/],
    ['string in a b field', { 64: '12345678' }, 64, /Buffer/],
    ['b fixed of wrong length', { 52: Buffer.alloc(7) }, 52, /fixed at 8/],
    ['field the dialect does not define', { 5: '1' }, 5, /does not define field 5/],
    ['non-latin1 text in an ascii field', { 41: '终端' }, 41, /single-byte/],
  ];
  for (const [what, fields, field, re] of cases) {
    test(what, () => {
      let caught: unknown;
      try {
        packMessage(new IsoMessage('0200', fields));
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(Iso8583EncodeError);
      expect((caught as Iso8583EncodeError).field).to.equal(field);
      expect((caught as Error).message).to.match(re);
    });
  }
  test('bad MTI', () => {
    expect(() => packMessage(new IsoMessage('02X0'))).to.throw(Iso8583EncodeError, /MTI/);
  });
});

describe('decode errors name the field, the byte offset and the reason', () => {
  test('truncated MTI and bitmap', () => {
    expectDecodeError(() => unpackMessage(hex('02')), 'truncated', 0);
    expectDecodeError(() => unpackMessage(hex('0200 00000000')), 'truncated', 2);
  });
  test('truncated fixed field', () => {
    expectDecodeError(() => unpackMessage(hex('0200 1000000000000000 0000000001')), 'truncated', 10, 4);
  });
  test('truncated variable field and truncated length prefix', () => {
    expectDecodeError(() => unpackMessage(hex('0200 4000000000000000 19 6210')), 'truncated', 11, 2);
    expectDecodeError(() => unpackMessage(hex('0200 0000000000000010 00')), 'truncated', 10, 60);
  });
  test('bad BCD nibble in the MTI, in a digit and in a length prefix', () => {
    expectDecodeError(() => unpackMessage(hex('0A00 0000000000000000')), 'bad-bcd-nibble', 0);
    expectDecodeError(() => unpackMessage(hex('0200 2000000000000000 0000A0')), 'bad-bcd-nibble', 12, 3);
    expectDecodeError(() => unpackMessage(hex('0200 4000000000000000 1A 1234')), 'bad-bcd-nibble', 10, 2);
  });
  test('bad pad nibble', () => {
    expectDecodeError(() => unpackMessage(hex('0200 4000000000000000 03 1235')), 'bad-bcd-nibble', 12, 2);
  });
  test('length over the field maximum', () => {
    expectDecodeError(() => unpackMessage(hex('0200 4000000000000000 20' + '00'.repeat(10))), 'length-over-max', 10, 2);
    expectDecodeError(() => unpackMessage(hex('0200 0000000000000200 0256' + '00'.repeat(256))), 'length-over-max', 10, 55);
  });
  test('bitmap bit for a field the dialect does not define', () => {
    const e = expectDecodeError(() => unpackMessage(hex('0200 0800000000000000 00')), 'undefined-field', 2, 5);
    expect(e.message).to.match(/does not define field 5/);
  });
  test('secondary bitmap', () => {
    expectDecodeError(() => unpackMessage(hex('0200 8000000000000000 0000000000000000')), 'secondary-bitmap', 2);
  });
  test('trailing bytes', () => {
    expectDecodeError(() => unpackMessage(hex('0200 2000000000000000 000000 FF')), 'trailing-bytes', 13);
  });
  test('frame offsets are relative to the frame', () => {
    const e = expectDecodeError(() => decodeFrame(hex('000E 6000030000 603100311108 0200 20')), 'truncated', 15);
    expect(e.message).to.match(/at byte 15/);
    expectDecodeError(() => decodeFrame(hex('0010 6000030000')), 'truncated', 0);
  });
});

describe('fuzz: truncations and bit flips of the samples', () => {
  test('never throw anything but Iso8583DecodeError, and successful decodes re-pack', () => {
    const random = seededRandom(20261126);
    let decoded = 0;
    let rejected = 0;
    const attempt = (bytes: Buffer) => {
      try {
        const msg = unpackMessage(bytes);
        decoded++;
        packMessage(msg); // whatever decodes must pack again
      } catch (err) {
        if (!(err instanceof Iso8583DecodeError)) throw new Error(`${(err as Error).name} for ${bytes.toString('hex')}: ${(err as Error).message}`);
        expect(err.offset).to.be.within(0, bytes.length);
        rejected++;
      }
    };
    for (const s of loadSamples()) {
      const { body } = messageBytes(s);
      for (let n = 0; n < body.length; n++) attempt(body.subarray(0, n));
      for (let i = 0; i < 400; i++) {
        const mutated = Buffer.from(body);
        const flips = 1 + Math.floor(random() * 3);
        for (let f = 0; f < flips; f++) mutated[Math.floor(random() * mutated.length)] ^= 1 << Math.floor(random() * 8);
        attempt(mutated);
      }
      attempt(Buffer.concat([body, Buffer.from([0])]));
    }
    expect(rejected).to.be.greaterThan(1000);
    expect(decoded).to.be.greaterThan(0);
  });
});

describe('the engine is generic: another dialect table', () => {
  const fields: FieldSpec[] = [
    { id: 3, name: 'Processing code', nameZh: '处理码', format: 'n', lengthType: 'fixed', maxLength: 6 },
    { id: 43, name: 'Card acceptor name', nameZh: '商户名称', format: 'ans', lengthType: 'fixed', maxLength: 10 },
    { id: 70, name: 'Network management code', nameZh: '网络管理码', format: 'n', lengthType: 'fixed', maxLength: 3 },
    { id: 102, name: 'Account 1', nameZh: '账户1', format: 'ans', lengthType: 'LLVAR', maxLength: 28 },
  ];
  const dialect: Dialect = { name: 'test dialect with a secondary bitmap', fields: Object.fromEntries(fields.map((f) => [f.id, f])) };

  test('secondary bitmap, fields above 64, round trip', () => {
    const msg = new IsoMessage('0800', { 3: '990000', 43: 'SHOP', 70: '301', 102: '12345' });
    const bytes = packMessage(msg, dialect);
    expect(bytes.subarray(2, 18).toString('hex').toUpperCase()).to.equal('A0000000002000000400000004000000');
    const back = unpackMessage(bytes, dialect);
    expect(back.fieldNumbers()).to.deep.equal([3, 43, 70, 102]);
    expect(back.get(43)).to.equal('SHOP      ');
    expect(packMessage(back, dialect).equals(bytes)).to.equal(true);
    expectDecodeError(() => unpackMessage(bytes.subarray(0, 12), dialect), 'truncated', 10);
  });
});

test('a left-aligned fixed n field (F22) is not zero-filled: shorter values are an error', () => {
  expect(() => packMessage(new IsoMessage('0200', { 22: '05' }))).to.throw(Iso8583EncodeError, /fixed at 3/);
});
