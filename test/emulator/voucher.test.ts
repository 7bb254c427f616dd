import { describe, test } from 'node:test';
import { expect } from 'chai';
import { DEFECT_CATALOGUE, DEFECT_NAMES, UnknownDefectError, parseDefects } from '../../emulator/defects';
import type { DefectName } from '../../emulator/defects';
import type { StoredTransaction } from '../../emulator/state-store';
import { responseText } from '../../emulator/texts';
import { REPRINT_MARK, SIGNATURE_LINE, renderVoucher, voucherCopies } from '../../emulator/voucher';

const tx: StoredTransaction = {
  kind: 'bill-payment',
  trace: '000123',
  batch: '000007',
  amount: 880000,
  pan: '6200000000000047',
  expiry: '3112',
  entry: 'insert',
  entryMode: '051',
  rrn: '260101123456',
  authCode: 'A1B2C3',
  date: '2026-01-01',
  time: '10:11:12',
  responseCode: '00',
  cardOrganisation: 'CUP',
  voided: false,
  pinEntered: true,
  payee: { name: '广州供电局', account: '44010203' },
};
const ctx = (defects: DefectName[] = [], reprint = false) => ({
  merchantName: '上海测试便利店',
  merchantId: '898310054110001',
  terminalId: 'EMU00001',
  operator: '01',
  reprint,
  defects: new Set(defects),
  terminalMadeRrn: '260101000123',
});

describe('vouchers (cup8583.md §6)', () => {
  test('merchant copy: masked PAN, amount, host RRN, payee, signature line; cardholder copy has none', () => {
    const merchant = renderVoucher(tx, 'merchant', ctx()).join('\n');
    expect(merchant).to.include('620000******0047 /I').and.include('RMB:8800.00').and.include('交易参考号(REF. NO):260101123456');
    expect(merchant).to.include('收款方(PAYEE):广州供电局').and.include(SIGNATURE_LINE).and.include('商户存根');
    expect(merchant).to.not.include('6200000000000047').and.not.include(REPRINT_MARK);
    const cardholder = renderVoucher(tx, 'cardholder', ctx()).join('\n');
    expect(cardholder).to.include('持卡人存根').and.not.include(SIGNATURE_LINE);
  });

  test('reprints are marked; copies per ticket count', () => {
    expect(renderVoucher(tx, 'merchant', ctx([], true))).to.include(REPRINT_MARK);
    expect(voucherCopies(2, new Set())).to.deep.equal(['merchant', 'cardholder']);
    expect(voucherCopies(3, new Set())).to.deep.equal(['merchant', 'bank', 'cardholder']);
  });

  test('voucher defects change exactly what they claim', () => {
    expect(renderVoucher(tx, 'merchant', ctx(['full-pan-on-voucher'])).join('\n')).to.include('6200000000000047');
    expect(renderVoucher(tx, 'merchant', ctx(['signature-line-missing']))).to.not.include(SIGNATURE_LINE);
    expect(renderVoucher(tx, 'merchant', ctx(['voucher-amount-mismatch'])).join('\n')).to.include('RMB:8800.01');
    expect(renderVoucher(tx, 'merchant', ctx(['voucher-rrn-not-host'])).join('\n')).to.include('REF. NO):260101000123');
    expect(renderVoucher(tx, 'merchant', ctx(['reprint-not-marked'], true))).to.not.include(REPRINT_MARK);
    expect(voucherCopies(2, new Set(['cardholder-copy-missing']))).to.deep.equal(['merchant']);
  });
});

describe('defect catalogue and response texts', () => {
  test('at least 18 defects, unique kebab-case names, each with an area and a description', () => {
    expect(DEFECT_CATALOGUE.length).to.be.at.least(18);
    expect(new Set(DEFECT_CATALOGUE.map((d) => d.name)).size).to.equal(DEFECT_CATALOGUE.length);
    expect(DEFECT_CATALOGUE.map((d) => d.name)).to.deep.equal([...DEFECT_NAMES]);
    for (const d of DEFECT_CATALOGUE) {
      expect(d.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(['onboarding', 'payment', 'pin', 'voucher', 'risk', 'settlement']).to.include(d.area);
      expect(d.description.length).to.be.above(20);
    }
  });

  test('unknown defect names are refused with the list', () => {
    expect(() => parseDefects(['wrong-mac', 'nope'])).to.throw(UnknownDefectError, /--list-defects/);
  });

  test('§7 display texts in Chinese and English; unknown codes show the code', () => {
    expect(responseText('51')).to.include({ zh: '可用余额不足', success: false });
    expect(responseText('41').contactBank).to.equal(true);
    expect(responseText('A0').zh).to.equal('MAC校验错,请重新签到');
    expect(responseText('00').success).to.equal(true);
    expect(responseText('Z9').zh).to.equal('交易失败 错误码:[Z9]');
  });
});
