// drivers/signature-waiver.ts: every transaction copy's signature block and 免密 / 免签 mark judged
// against its request (kind, F22, F4) and the QuickPass limits, on hand-made copies and messages.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import type { HostMessage } from '../../drivers/host-view';
import { judgeSignatureBlocks, traceOfCopy } from '../../drivers/signature-waiver';
import type { VoucherCopy } from '../../drivers/vouchers';
import { REFERENCE_PROFILE } from '../../protocol/ttp/profile';

const limits = { noPinLimitFen: 30000, noSignatureLimitFen: 30000 };
const request = (kind: HostMessage['kind'], stan: string, f22: string, f4: string): HostMessage => ({
  id: Number(stan),
  at: '2026-01-01T00:00:00Z',
  direction: 'in',
  terminalId: 'T1',
  mti: '0200',
  stan,
  kind,
  fields: { 4: f4, 11: stan, 22: f22 },
  responseCode: undefined,
  hex: '',
  note: undefined,
});
const copy = (name: string, trace: string | undefined, lines: string[]): VoucherCopy => ({ copy: name, lines, reprint: false, trace, at: 0 });
const SIGNED = ['凭证号(VOUCHER NO):000007', '持卡人签名(CARDHOLDER SIGNATURE)'];
const UNSIGNED = ['凭证号(VOUCHER NO):000007'];
const MARKED = ['凭证号(VOUCHER NO):000007', '免密免签'];
const judge = (kind: HostMessage['kind'], f22: string, f4: string, copies: VoucherCopy[]) =>
  judgeSignatureBlocks(copies, [request(kind, '000007', f22, f4)], limits, REFERENCE_PROFILE);

describe('signature blocks against their transactions', () => {
  test('a 消费 tapped under the no-signature limit may go unsigned and be marked', () => {
    expect(judge('sale', '072', '000000010000', [copy('merchant', '000007', MARKED), copy('cardholder', '000007', MARKED)])).to.deep.equal([]);
    expect(judge('bill-payment', '982', '000000010000', [copy('merchant', '000007', MARKED)])).to.deep.equal([]);
  });

  test('a tapped transaction of another kind needs the block and no mark, whatever its amount', () => {
    for (const kind of ['refund', 'preauth', 'preauth-completion', 'void'] as const) {
      const problems = judge(kind, '071', '000000000500', [copy('merchant', '000007', MARKED)]);
      expect(problems, kind).to.have.length(2);
      expect(problems[0]).to.contain(`merchant copy of the ${kind}`).and.contain('no cardholder signature block');
      expect(problems[1]).to.contain('免密 / 免签');
    }
  });

  test('a sale inserted, or tapped over the limit, needs the block on the merchant copy only', () => {
    expect(judge('sale', '051', '000000010000', [copy('merchant', '000007', UNSIGNED)])).to.have.length(1);
    expect(judge('sale', '071', '000000030001', [copy('merchant', '000007', UNSIGNED)])).to.have.length(1);
    expect(judge('sale', '051', '000000010000', [copy('merchant', '000007', SIGNED), copy('cardholder', '000007', UNSIGNED)])).to.deep.equal([]);
  });

  test("a copy is tied to its request by the print event's trace, else by its own 凭证号, never by 原凭证号", () => {
    expect(traceOfCopy(copy('merchant', undefined, ['凭证号(VOUCHER NO):000123']))).to.equal('000123');
    expect(traceOfCopy(copy('merchant', undefined, ['原凭证号(VOUCHER):000001']))).to.equal(undefined);
    expect(judge('refund', '071', '000000000500', [copy('merchant', undefined, UNSIGNED)])).to.have.length(1);
    // No request with the copy's trace (an earlier run, a settlement): not judged here.
    expect(judge('refund', '071', '000000000500', [copy('merchant', '000099', ['x'])])).to.deep.equal([]);
    // Settlement slips and fault prints are no transaction copies.
    expect(judge('refund', '071', '000000000500', [copy('settlement', '000007', UNSIGNED)])).to.deep.equal([]);
  });

  test('an electronic signature stands in the block; a partially approved tap is judged by the smaller amount', () => {
    expect(
      judge('refund', '051', '000000000500', [copy('merchant', '000007', ['凭证号(VOUCHER NO):000007', '电子签名(E-SIGNATURE):AB12'])]),
    ).to.deep.equal([]);
    const reply = { ...request('sale', '000007', '071', '000000020000'), id: 8, direction: 'out' as const, mti: '0210' };
    const messages = [request('sale', '000007', '071', '000000040000'), reply];
    expect(judgeSignatureBlocks([copy('merchant', '000007', MARKED)], messages, limits, REFERENCE_PROFILE)).to.deep.equal([]);
  });
});
