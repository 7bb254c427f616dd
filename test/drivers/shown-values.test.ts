// drivers/shown-values.ts: the placeholders a firmware leaks (NaN, undefined, null, Infinity,
// [object Object]) found on screens and voucher lines, and the texts that only look like them left alone.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { copiesWithMalformedValues, malformedValues, screensWithMalformedValues } from '../../drivers/shown-values';

describe('malformed values on screens and vouchers', () => {
  test('each placeholder is found as a value', () => {
    expect(malformedValues('金额:NaN.NaN')).to.deep.equal(['NaN', 'NaN']);
    expect(malformedValues('账单号(BILL REF):undefined')).to.deep.equal(['undefined']);
    expect(malformedValues('收款方(PAYEE):null')).to.deep.equal(['null']);
    expect(malformedValues('NAME:(null)')).to.deep.equal(['(null)']);
    expect(malformedValues('RMB:Infinity')).to.deep.equal(['Infinity']);
    expect(malformedValues('RMB:-Infinity')).to.deep.equal(['Infinity']);
    expect(malformedValues('APPLAB:[object Object]')).to.deep.equal(['[object Object]']);
  });

  test('conformant texts that contain the letters are not malformed', () => {
    for (const line of ['NAN JING RD 南京路', '金额:12.34', 'NULLA BONA', 'nan', 'INFINITY MALL', 'undefinedness', 'TVR:0000000000', '请输入密码']) {
      expect(malformedValues(line), line).to.deep.equal([]);
    }
  });

  test("the lab's own free text (a merchant named so) is taken out first", () => {
    expect(malformedValues('商户名称:null island cafe', ['null island cafe'])).to.deep.equal([]);
    expect(malformedValues('null island cafe NaN', ['null island cafe'])).to.deep.equal(['NaN']);
  });

  test('screens and copies are described by where the value is', () => {
    const screens = screensWithMalformedValues([
      { state: 'pin-entry', screen: 'pin', lines: ['余额查询', '金额:NaN.NaN', '请输入密码'] },
      { state: 'idle', lines: ['欢迎'] },
    ]);
    expect(screens).to.have.length(1);
    expect(screens[0]).to.contain('[pin-entry pin]').and.contain('金额:NaN.NaN');
    const copies = copiesWithMalformedValues([
      { copy: 'merchant', reprint: true, lines: ['ok', 'REF:undefined'] },
      { copy: 'cardholder', reprint: false, lines: ['ok'] },
    ]);
    expect(copies).to.deep.equal(['merchant copy (reprint) prints undefined in "REF:undefined"']);
  });
});
