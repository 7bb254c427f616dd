import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  parseField60,
  parseField60Extended,
  formatField60,
  parseField61,
  formatField61,
  parseField63Response,
  formatField63Response,
  parsePosEntryMode,
  formatPosEntryMode,
  parseSecurityControl,
  formatSecurityControl,
  parseBalance,
  formatBalance,
  encodeSettlementTotals,
  decodeSettlementTotals,
  networkCodeMeaning,
  conditionCodeMeaning,
  responseCodeInfo,
  encodeBillPayee,
  decodeBillPayee,
  FieldContentError,
  IsoMessage,
  packMessage,
  unpackMessage,
  RESPONSE_CODES,
} from '../../../protocol/iso8583';

describe('field 60', () => {
  test('financial and management layouts of the samples', () => {
    expect(parseField60('2200075700060')).to.deep.equal({
      transactionType: '22',
      batchNumber: '000757',
      networkCode: '000',
      readCapability: '6',
      icCondition: '0',
    });
    expect(parseField60('00000003201')).to.deep.equal({ transactionType: '00', batchNumber: '000003', networkCode: '201' });
    expect(parseField60('22000015000501')).to.include({ partialApproval: '1' });
  });
  test('round trip with all sub-fields', () => {
    const f = {
      transactionType: '22',
      batchNumber: '000001',
      networkCode: '000',
      readCapability: '5',
      icCondition: '0',
      partialApproval: '1',
      accountType: '048',
    };
    expect(formatField60(f)).to.equal('22000001000501048');
    expect(parseField60(formatField60(f))).to.deep.equal(f);
  });
  test('errors', () => {
    expect(() => parseField60('2200')).to.throw(FieldContentError, /at least 11/);
    expect(() => parseField60('220000010005010')).to.throw(FieldContentError, /accountType/);
    expect(() => formatField60({ transactionType: '22', batchNumber: '1', networkCode: '000' })).to.throw(FieldContentError, /batchNumber/);
    expect(() => formatField60({ transactionType: '22', batchNumber: '000001', networkCode: '000', icCondition: '0' })).to.throw(
      FieldContentError,
      /readCapability/,
    );
  });
  test("PAX's F60 of up to 19 digits: 60.1-60.7 from the first 17, the rest returned; otherwise as strict as parseField60", () => {
    expect(parseField60Extended('2200000100050104812')).to.deep.equal({
      field60: {
        transactionType: '22',
        batchNumber: '000001',
        networkCode: '000',
        readCapability: '5',
        icCondition: '0',
        partialApproval: '1',
        accountType: '048',
      },
      beyond: '12',
    });
    expect(parseField60Extended('2200075700060')).to.deep.equal({ field60: parseField60('2200075700060'), beyond: '' });
    expect(() => parseField60Extended('22000001000501048123')).to.throw(FieldContentError);
    expect(() => parseField60Extended('22000001000501A4812')).to.throw(FieldContentError);
    const m = new IsoMessage('0200').set(60, '2200000100050104812');
    expect(unpackMessage(packMessage(m)).getString(60)).to.equal('2200000100050104812');
  });
  test('60.3 meanings', () => {
    expect(networkCodeMeaning('003')).to.match(/sign-on, double-length/);
    expect(networkCodeMeaning('201')).to.match(/settlement/);
    expect(networkCodeMeaning('777')).to.match(/unknown/);
  });
});

describe('field 61', () => {
  test('void, refund and offline layouts', () => {
    expect(parseField61('000001000023')).to.deep.equal({ originalBatch: '000001', originalTrace: '000023' });
    expect(parseField61('0000010000231115')).to.include({ originalDate: '1115' });
    const full = { originalBatch: '000001', originalTrace: '000023', originalDate: '1115', authMethod: '01', authInstitution: '12345678901' };
    expect(parseField61(formatField61(full))).to.deep.equal(full);
    expect(() => parseField61('00000100002311')).to.throw(FieldContentError);
  });
});

describe('field 63 response', () => {
  test('card organisation and the three 20-byte GBK texts', () => {
    const v = formatField63Response({ cardOrganisation: 'CUP', issuerText: '中国银行', acquirerText: '收单行' });
    expect(v.startsWith('CUP中国银行')).to.equal(true);
    const wire = unpackMessage(packMessage(new IsoMessage('0210', { 63: v }))).get(63) as string;
    expect(parseField63Response(wire)).to.deep.equal({ cardOrganisation: 'CUP', issuerText: '中国银行', acquirerText: '收单行' });
    expect(parseField63Response('CUP')).to.deep.equal({ cardOrganisation: 'CUP' });
  });
  test('texts longer than 20 GBK bytes are cut on a character boundary', () => {
    const v = formatField63Response({ cardOrganisation: 'CUP', issuerText: '一二三四五六七八九十壹' });
    expect(parseField63Response(v).issuerText).to.equal('一二三四五六七八九十');
  });
});

describe('fields 22, 25, 53', () => {
  test('entry mode', () => {
    expect(parsePosEntryMode('051')).to.deep.equal({ panEntry: 'contact', pin: 'entered' });
    expect(parsePosEntryMode('072')).to.deep.equal({ panEntry: 'contactless', pin: 'not-entered' });
    expect(formatPosEntryMode({ panEntry: 'magstripe', pin: 'entered' })).to.equal('021');
    expect(formatPosEntryMode({ panEntry: 'fallback', pin: 'not-entered' })).to.equal('802');
    expect(() => parsePosEntryMode('441')).to.throw(FieldContentError, /unknown PAN entry mode 44/);
  });
  test('condition code', () => {
    expect(conditionCodeMeaning('06')).to.match(/pre-authorisation/);
    expect(conditionCodeMeaning('00')).to.match(/normal/);
  });
  test('security control', () => {
    expect(parseSecurityControl('2600000000000000')).to.deep.equal({ pinFormat: 'x98-with-pan', encryption: 'tdes', trackEncrypted: false });
    expect(parseSecurityControl('2610000000000000').trackEncrypted).to.equal(true);
    expect(formatSecurityControl({ pinFormat: 'x98-with-pan', encryption: 'sm4', trackEncrypted: true })).to.equal('2310000000000000');
    expect(() => parseSecurityControl('2900000000000000')).to.throw(FieldContentError, /53.2/);
  });
});

describe('field 54 balance and field 48 settlement totals', () => {
  test('balance (XL54 example)', () => {
    expect(parseBalance('1002156C000000624712')).to.deep.equal({ accountType: '10', amountType: '02', currency: '156', amount: 624712 });
    expect(formatBalance({ accountType: '10', amountType: '02', currency: '156', amount: -5 })).to.equal('1002156D000000000005');
    expect(() => parseBalance('1002156X000000624712')).to.throw(FieldContentError, /C or D/);
  });
  test('settlement totals of the 0500 sample', () => {
    const t = decodeSettlementTotals('00000000000700700000000000000000000000000000000000000000000000');
    expect(t.domestic).to.deep.equal({ debitAmount: 7, debitCount: 7, creditAmount: 0, creditCount: 0, result: '0' });
    expect(t.foreign.result).to.equal('0');
    expect(encodeSettlementTotals(t)).to.equal('00000000000700700000000000000000000000000000000000000000000000');
    const balanced = { ...t, domestic: { ...t.domestic, result: '1' as const }, foreign: { ...t.foreign, result: '1' as const } };
    const s = encodeSettlementTotals(balanced);
    expect(s[30]).to.equal('1');
    expect(s[61]).to.equal('1');
    expect(() => encodeSettlementTotals({ ...t, domestic: { ...t.domestic, debitCount: 1000 } })).to.throw(FieldContentError, /debitCount/);
    expect(() => decodeSettlementTotals('0'.repeat(61))).to.throw(FieldContentError, /62 digits/);
  });
});

describe('response codes (cup8583.md §7)', () => {
  test('meaning, display text and success flag', () => {
    expect(responseCodeInfo('00')).to.include({ success: true, display: '交易成功' });
    expect(responseCodeInfo('A0')).to.include({ success: false, meaning: 'MAC鉴别失败', display: 'MAC校验错，请重新签到' });
    expect(responseCodeInfo('10').success).to.equal(true);
    expect(responseCodeInfo('a2').success).to.equal(true);
    expect(responseCodeInfo('41').action).to.equal('retain-card');
    expect(responseCodeInfo('51').display).to.equal('可用余额不足');
    expect(responseCodeInfo('ZZ')).to.include({ success: false, display: '交易失败 错误码:[ZZ]' });
    expect(RESPONSE_CODES.size).to.be.greaterThan(45);
  });
});

describe('bill payment payee in F62', () => {
  test('tag(2) + length(3, bytes) + value, GBK name', () => {
    const buf = encodeBillPayee({ name: '国网电力', account: '1234567890', reference: 'BILL-2026-11' });
    expect(buf.subarray(0, 5).toString('ascii')).to.equal('01008');
    expect(buf.toString('latin1')).to.contain('020101234567890');
    expect(decodeBillPayee(buf)).to.deep.equal({ name: '国网电力', account: '1234567890', reference: 'BILL-2026-11' });
    expect(decodeBillPayee(encodeBillPayee({ name: 'Water', account: '42' }))).to.deep.equal({ name: 'Water', account: '42' });
  });
  test('errors', () => {
    expect(() => decodeBillPayee(Buffer.from('01010abc', 'ascii'))).to.throw(FieldContentError, /announces 10 bytes/);
    expect(() => decodeBillPayee(Buffer.from('01003abc', 'ascii'))).to.throw(FieldContentError, /tag 02/);
    expect(() => decodeBillPayee(Buffer.from('09001x', 'ascii'))).to.throw(FieldContentError, /unknown payee tag 09/);
    expect(() => encodeBillPayee({ name: 'x', account: '12a' })).to.throw(FieldContentError, /digits/);
  });
});
