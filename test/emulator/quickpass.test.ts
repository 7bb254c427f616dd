// emulator/quickpass.ts and the voucher it shapes: a tapped sale at or under the profile's limits
// goes without PIN / signature and says so; 9F34 follows the CVM done; the two defects bite.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import type { DefectName } from '../../emulator/defects';
import { cvmResults, quickPassMark, tapWithoutPin, tapWithoutSignature } from '../../emulator/quickpass';
import type { StoredTransaction } from '../../emulator/state-store';
import { SIGNATURE_LINE, renderVoucher } from '../../emulator/voucher';

const LIMITS = { noPinLimitFen: 100000, noSignatureLimitFen: 100000 };
const none = new Set<DefectName>();
const tap = (amount: number, entryMode: string): StoredTransaction => ({
  kind: 'sale',
  trace: '000123',
  batch: '000007',
  amount,
  pan: '6221261111117766',
  expiry: '3006',
  entry: 'tap',
  entryMode,
  rrn: '260101123456',
  authCode: 'A1B2C3',
  date: '2026-01-01',
  time: '10:11:12',
  responseCode: '00',
  cardOrganisation: 'CUP',
  voided: false,
  pinEntered: entryMode.endsWith('1'),
});
const ctx = (defects: DefectName[] = []) => ({
  merchantName: '上海测试便利店',
  merchantId: '898310054110001',
  terminalId: 'EMU00001',
  operator: '01',
  reprint: false,
  defects: new Set(defects),
  quickPass: LIMITS,
});

describe('QuickPass 小额免密免签 (emulator)', () => {
  test('no PIN and no signature at or under the limits, on a tap only', () => {
    expect(tapWithoutPin('tap', 100000, LIMITS, none)).to.equal(true);
    expect(tapWithoutPin('tap', 100001, LIMITS, none)).to.equal(false);
    expect(tapWithoutPin('insert', 100, LIMITS, none)).to.equal(false);
    expect(tapWithoutSignature('tap', 100000, { noPinLimitFen: 0, noSignatureLimitFen: 100000 }, none)).to.equal(true);
    expect(tapWithoutSignature('tap', 100001, LIMITS, none)).to.equal(false);
    expect(tapWithoutSignature('swipe', 1, LIMITS, none)).to.equal(false);
  });

  test('9F34 says the CVM done: online PIN, no CVM, or signature', () => {
    expect(cvmResults(true, false, () => true).toString('hex')).to.equal('420300');
    expect(cvmResults(false, true, () => false).toString('hex')).to.equal('1f0002');
    expect(cvmResults(false, false, () => false).toString('hex')).to.equal('1e0300');
  });

  test('the voucher of a tap under the limits has no signature block and is marked 免密免签', () => {
    const merchant = renderVoucher(tap(100000, '072'), 'merchant', ctx());
    expect(merchant).to.not.include(SIGNATURE_LINE);
    expect(merchant).to.include(quickPassMark(true, true));
  });

  test('over the limits: signature block, no mark', () => {
    const merchant = renderVoucher(tap(100001, '071'), 'merchant', ctx());
    expect(merchant).to.include(SIGNATURE_LINE);
    expect(merchant.join('\n')).to.not.match(/免密|免签/);
  });

  test('qps-limit-ignored: PIN asked, signature printed, no mark under the limits', () => {
    const d = new Set<DefectName>(['qps-limit-ignored']);
    expect(tapWithoutPin('tap', 100, LIMITS, d)).to.equal(false);
    const merchant = renderVoucher(tap(100, '072'), 'merchant', ctx(['qps-limit-ignored']));
    expect(merchant).to.include(SIGNATURE_LINE);
    expect(merchant.join('\n')).to.not.match(/免密|免签/);
  });

  test('qps-9f34-wrong: 9F34 says online PIN though none was taken', () => {
    expect(cvmResults(false, true, (d) => d === 'qps-9f34-wrong').toString('hex')).to.equal('420300');
  });
});
