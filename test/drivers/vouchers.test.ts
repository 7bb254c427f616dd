// What a voucher copy shows (drivers/vouchers.ts), as the voucher and conformance steps judge it:
// text wherever the layout puts spaces, amounts grouped or not, labels, signature line, masked card
// number, merchant name in either language, date and time; failing copies described for the message.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import {
  icBlockOf,
  icBlockProblems,
  copiesFailing,
  copyNames,
  hasSignatureLine,
  isLabelledAs,
  maskedPanShape,
  showsAmount,
  showsAmountNegated,
  givesBackToCard,
  showsIssuer,
  showsDateTime,
  showsExpiry,
  showsFigures,
  SLIP_SALE_ROW,
  showsMaskedPan,
  showsMerchantName,
  showsText,
  transactionCopies,
  type VoucherCopy,
  bookedAmounts,
  amountLinesNotBooked,
  otherKindNamed,
} from '../../drivers/vouchers';
import type { HostMessage } from '../../drivers/host-view';
import type { TransactionKind } from '../../protocol/iso8583';

const copy = (name: string, lines: string[]): VoucherCopy => ({ copy: name, lines, reprint: false, at: 0 });

const merchant = copy('merchant', [
  '银联POS 签购单',
  '商户存根 MERCHANT COPY',
  '商户名称: 测试 商户',
  '商户编号: 898310048990001',
  '终端编号: 10000001',
  '卡号: 622202******1234',
  '日期时间: 2026/12/04 10:30:05',
  '金额: RMB 1,234.50',
  '持卡人签名 CARDHOLDER SIGNATURE',
]);
const cardholder = copy('cardholder', ['持卡人存根 CARDHOLDER COPY', 'AMOUNT 1234.50']);

describe('voucher copies', () => {
  test('transaction copies are the merchant, cardholder and bank copies', () => {
    const slip = copy('settlement', ['结算单']);
    expect(copyNames(transactionCopies([merchant, slip, cardholder]))).to.deep.equal(['merchant', 'cardholder']);
    expect(copyNames([slip])).to.deep.equal(['settlement']);
  });

  test('text is found wherever the layout puts spaces; amounts grouped or not, never a longer number', () => {
    expect(showsText(merchant, '测试商户')).to.equal(true);
    expect(showsText(merchant, '898310048990001')).to.equal(true);
    expect(showsText(merchant, '10000002')).to.equal(false);
    expect(showsAmount(merchant, 123450)).to.equal(true);
    expect(showsAmount(cardholder, 123450)).to.equal(true);
    expect(showsAmount(cardholder, 23450)).to.equal(false);
  });

  test('labels and the signature line', () => {
    expect(isLabelledAs(merchant, 'merchant')).to.equal(true);
    expect(isLabelledAs(cardholder, 'merchant')).to.equal(false);
    expect(isLabelledAs(merchant, 'fault')).to.equal(false);
    expect(hasSignatureLine(merchant)).to.equal(true);
    expect(hasSignatureLine(cardholder)).to.equal(false);
  });

  test('the card number masked as first 6 + asterisks + last 4, of the right length', () => {
    expect(maskedPanShape('6222020000001234')).to.equal('622202******1234');
    expect(showsMaskedPan(merchant, '6222020000001234')).to.equal(true);
    expect(showsMaskedPan(merchant, '6222020000000001234')).to.equal(false);
  });

  test('the merchant name in Chinese or English; a date and time', () => {
    expect(showsMerchantName(merchant, { name: '测试商户' })).to.equal(true);
    expect(showsMerchantName(cardholder, { name: '测试商户', nameEn: 'CARDHOLDER COPY' })).to.equal(true);
    expect(showsMerchantName(cardholder, { name: '测试商户' })).to.equal(false);
    expect(showsDateTime(merchant)).to.equal(true);
    expect(showsDateTime(copy('merchant', ['2026/12/04']))).to.equal(false);
  });

  test('the card expiry as YYYY/MM (or MM/YY), never taken from a bare digit run', () => {
    expect(showsExpiry(copy('merchant', ['卡有效期(EXP. DATE): 2031/12']), '3112')).to.equal(true);
    expect(showsExpiry(copy('merchant', ['EXP 12/31']), '3112')).to.equal(true);
    expect(showsExpiry(copy('merchant', ['卡有效期(EXP. DATE): 1999/05']), '9905')).to.equal(true);
    expect(showsExpiry(copy('merchant', ['卡有效期(EXP. DATE): 203112/12']), '3112')).to.equal(false);
    expect(showsExpiry(copy('merchant', ['卡有效期(EXP. DATE): ']), '3112')).to.equal(false);
    expect(showsExpiry(merchant, '3112')).to.equal(false);
  });

  test("a slip's figure row: the label, the count and the amount on one line or label and count above the amount", () => {
    const slip = (lines: string[]) => copy('settlement', lines);
    const row = slip(['内卡: 对帐平', '消费/SALE        2         20.00', '撤销/VOID        1          7.66']);
    expect(showsFigures(row, SLIP_SALE_ROW, 2, 2000)).to.equal(true);
    expect(showsFigures(row, SLIP_SALE_ROW, 1, 2000)).to.equal(false);
    expect(showsFigures(row, SLIP_SALE_ROW, 1, 766)).to.equal(false);
    expect(showsFigures(slip(['消费/SALE 2', 'RMB 20.00']), SLIP_SALE_ROW, 2, 2000)).to.equal(true);
    expect(showsFigures(slip(['消费/SALE  -2  20.00']), SLIP_SALE_ROW, 2, 2000)).to.equal(false);
    expect(showsFigures(slip(['消费/SALE  2  -20.00']), SLIP_SALE_ROW, 2, 2000)).to.equal(false);
    expect(showsFigures(slip(['              2         20.00']), SLIP_SALE_ROW, 2, 2000)).to.equal(false);
    expect(showsFigures(slip(['消费撤销(VOID)  2  20.00']), SLIP_SALE_ROW, 2, 2000)).to.equal(false);
  });

  test('an amount printed negated: a minus before it on its line, the currency between or not', () => {
    const negated = (line: string) => showsAmountNegated(copy('merchant', ['金额(AMOUNT):', line]), 5800);
    for (const line of ['RMB:-58.00', 'RMB -58.00', '-RMB 58.00', '￥-58.00', '-58.00']) expect(negated(line), line).to.equal(true);
    for (const line of ['RMB:58.00', 'RMB 58.00', '58.00', 'RMB:-158.00']) expect(negated(line), line).to.equal(false);
    // A rule of dashes on the line above is no minus sign.
    expect(showsAmountNegated(copy('merchant', ['--------', '58.00']), 5800)).to.equal(false);
    expect(showsAmountNegated(merchant, 123450)).to.equal(false);
  });

  test('processing code 20xxxx gives back to the card; 00 / 03 charge or hold', () => {
    expect(givesBackToCard('200000')).to.equal(true);
    expect(givesBackToCard('000000')).to.equal(false);
    expect(givesBackToCard('030000')).to.equal(false);
    expect(givesBackToCard(undefined)).to.equal(false);
  });

  test('the issuer line: 发卡行 / ISSUER / ISS NO with a value on its line or the next, not 发卡行返回', () => {
    const issuer = (...lines: string[]) => showsIssuer(copy('merchant', lines));
    expect(issuer('发卡行(ISSUER):01020000')).to.equal(true);
    expect(issuer('发卡行号(ISS NO): 工商银行')).to.equal(true);
    expect(issuer('发卡行(ISSUER):', '中国银行')).to.equal(true);
    expect(issuer('ISSUER: BANK OF CHINA')).to.equal(true);
    expect(issuer('发卡行(ISSUER):', '卡号(CARD NO):')).to.equal(false);
    expect(issuer('发卡行(ISSUER):', '--------')).to.equal(false);
    expect(issuer('发卡行返回:余额不足')).to.equal(false);
    expect(issuer('卡号(CARD NO):', '622202******1234')).to.equal(false);
  });

  test('failing copies are described with their lines and the problem; none when all pass', () => {
    expect(copiesFailing([merchant, cardholder], hasSignatureLine, 'has no signature line')).to.deep.equal([
      'cardholder copy:\n    持卡人存根 CARDHOLDER COPY\n    AMOUNT 1234.50\nhas no signature line',
    ]);
    expect(copiesFailing([merchant], hasSignatureLine, 'x')).to.deep.equal([]);
  });
});

describe('every figure and type name of a copy against the host (bookedAmounts, amountLinesNotBooked, otherKindNamed)', () => {
  let id = 0;
  const msg = (direction: 'in' | 'out', kind: TransactionKind, stan: string, f4?: string, responseCode?: string): HostMessage => ({
    id: ++id,
    at: '',
    direction,
    terminalId: 'T',
    mti: direction === 'in' ? '0100' : '0110',
    stan,
    kind,
    fields: Object.fromEntries(Object.entries({ 11: stan, 4: f4, 39: responseCode }).filter(([, v]) => v !== undefined)) as Record<number, string>,
    responseCode,
    hex: '',
    note: undefined,
  });

  test("the host's amounts: every financial F4, and a pre-authorization's hold after each approved addition", () => {
    const messages = [
      msg('in', 'preauth', '000001', '000000030000'),
      msg('out', 'preauth', '000001', '000000030000', '00'),
      msg('in', 'preauth-add', '000002', '000000020000'),
      msg('out', 'preauth-add', '000002', '000000020000', '00'),
      msg('in', 'preauth-add', '000003', '000000001000'),
      msg('out', 'preauth-add', '000003', undefined, '51'),
      msg('in', 'sign-on', '000004', '000000000777'),
    ];
    expect(bookedAmounts(messages).sort((a, b) => a - b)).to.deep.equal([1000, 20000, 30000, 50000]);
  });

  test('an amount line passes with a booked figure on its line or the next, or left blank to write in', () => {
    const c = copy('merchant', [
      '金额(AMOUNT):',
      'RMB:123.45',
      '累计金额(TOTAL): RMB 1,500.00',
      '小费(TIPS): ________',
      'TOTAL AMOUNT:',
      '-'.repeat(32),
    ]);
    expect(amountLinesNotBooked(c, [12345, 150000])).to.deep.equal([]);
  });

  test('an amount the host did not book, or no amount at all, is named', () => {
    const c = copy('merchant', ['金额(AMOUNT):', 'RMB:123.45', '累计金额(TOTAL):', 'RMB:NaN.NaN', 'AMOUNT: RMB 124.45']);
    expect(amountLinesNotBooked(c, [12345])).to.deep.equal(['累计金额(TOTAL): RMB:NaN.NaN', 'AMOUNT: RMB 124.45']);
  });

  test('a copy names its own transaction type and no other', () => {
    const voidCopy = copy('merchant', ['交易类型(TXN. TYPE):', '消费撤销(VOID)', '原凭证号(VOUCHER):000012']);
    expect(otherKindNamed(voidCopy, 'void')).to.equal(undefined);
    expect(otherKindNamed(copy('merchant', [...voidCopy.lines, '原预授权码(AUTH NO):123456']), 'void')).to.equal('预授权');
    expect(otherKindNamed(voidCopy, 'sale')).to.equal('撤销');
    expect(otherKindNamed(copy('merchant', ['追加预授权(ADD-AUTH)', '原预授权码(AUTH NO):123456']), 'preauth-add')).to.equal(undefined);
    expect(otherKindNamed(copy('merchant', ['预授权(AUTH)', '退货']), 'preauth')).to.equal('退货');
  });

  test('the IC block (§6 备注) carries the chip data the request sent; only the labels a copy prints are judged', () => {
    const request = {
      fields: { 55: '9F26=273F1A1A4B01DF0C 9F27=80 95=0000000000 9F36=004A 84=A000000333010101' } as Record<number, string>,
    };
    const lines = (tsi: string, arqc = '273F1A1A4B01DF0C') => [
      `ARQC:${arqc} TVR:0000000000 AID:A000000333010101`,
      `PAN SN:01 TSI:${tsi} ATC:004A`,
      'APPLAB:PBOC DEBIT',
    ];
    expect(icBlockOf(copy('merchant', lines('E800')))).to.deep.equal(
      new Map([
        ['ARQC', '273F1A1A4B01DF0C'],
        ['TVR', '0000000000'],
        ['AID', 'A000000333010101'],
        ['TSI', 'E800'],
        ['ATC', '004A'],
      ]),
    );
    expect(icBlockProblems(copy('merchant', lines('E800')), request)).to.deep.equal([]);
    expect(icBlockProblems(copy('merchant', lines('')), request)).to.deep.equal(['TSI is printed as "", not the 4 hex digits of its EMV value']);
    expect(icBlockProblems(copy('merchant', lines('E800', '1111111111111111')), request)[0]).to.match(/ARQC 1111111111111111 is not the 9F26/);
    expect(icBlockProblems(copy('merchant', ['TC:273F1A1A4B01DF0D ATC:004B']), request)).to.deep.equal([
      'ATC 004B is not the 9F36 004A the request carried in F55',
    ]);
    // No IC block, or a swiped sale's copy (no F55): nothing to judge but the form.
    expect(icBlockProblems(copy('merchant', ['消费(SALE)', 'PAID: RMB 12.00']), request)).to.deep.equal([]);
    expect(icBlockProblems(copy('merchant', lines('E800')), undefined)).to.deep.equal([]);
  });
});
