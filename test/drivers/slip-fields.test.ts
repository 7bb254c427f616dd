// drivers/slip-fields.ts: every slip's §6 fields (numbers under their labels, amount, 外卡组织, the
// settlement slip's columns and results) judged against hand-made requests and replies.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import type { HostMessage } from '../../drivers/host-view';
import { judgeSlipFields, labelledValues } from '../../drivers/slip-fields';
import type { VoucherCopy } from '../../drivers/vouchers';

let id = 0;
const message = (direction: 'in' | 'out', mti: string, kind: HostMessage['kind'], fields: Record<number, string>): HostMessage => ({
  id: ++id,
  at: '2026-01-01T00:00:00Z',
  direction,
  terminalId: '10000001',
  mti,
  stan: fields[11],
  kind,
  fields,
  responseCode: fields[39],
  hex: '',
  note: undefined,
});
const IDS = { 41: '10000001', 42: '898310048990001' };
const sale = message('in', '0200', 'sale', { ...IDS, 2: '622202******0123', 3: '000000', 4: '000000012345', 11: '000018', 60: '22000001000' });
const saleReply = (f63 = 'CUP') =>
  message('out', '0210', 'sale', { ...IDS, 4: '000000012345', 11: '000018', 37: '120000000018', 38: '654321', 39: '00', 63: f63 });
const copy = (name: string, lines: string[], trace?: string): VoucherCopy => ({ copy: name, lines, reprint: false, trace, at: 0 });

/** The LY bilingual layout of §6. */
const LY = [
  '银联POS签购单/POS SALES SLIP',
  '商户存根            MERCHANT COPY',
  '商户编号(MERCHANT NO):',
  '898310048990001',
  '终端编号(TERMINAL NO):',
  '10000001',
  '卡号(CARD NO):',
  '622202******0123 /I',
  '交易类型(TXN. TYPE):',
  '消费(SALE)',
  '批次号(BATCH NO):000001',
  '凭证号(VOUCHER NO):000018',
  '授权码(AUTH NO):654321',
  '日期/时间(DATE/TIME):',
  '2026/01/01 12:00:00',
  '交易参考号(REF. NO):120000000018',
  '金额(AMOUNT):',
  'RMB:123.45',
];
/** WIZ's wording, values on the label's line. */
const WIZ = [
  '商户编号: 898310048990001',
  '终端编号: 10000001',
  '卡号: 6222 02** **** 0123',
  '交易类别: 消费  2026-01-01 12:00',
  '批次号: 000001  凭证号: 000018',
  '授权码: 654321',
  '参考号(REF NO): 120000000018',
  '金额(AMOUT): RMB 123.45',
];

describe('transaction copies against their request and reply', () => {
  test('the LY and WIZ layouts pass', () => {
    expect(judgeSlipFields([copy('merchant', LY, '000018'), copy('cardholder', WIZ, '000018')], [sale, saleReply()])).to.deep.equal([]);
  });

  test('a label missing, a value under the wrong label, an empty value or a wrong amount fails', () => {
    const cases: [string[], string][] = [
      [LY.map((l) => (l === '终端编号(TERMINAL NO):' ? '' : l)), 'no 终端编号 (TERMINAL NO) line'],
      [LY.map((l) => (l === '批次号(BATCH NO):000001' ? '批次号(BATCH NO):000018' : l)), 'its 批次号 (BATCH NO) reads "000018", not 000001'],
      [LY.map((l) => (l === '授权码(AUTH NO):654321' ? '授权码(AUTH NO):' : l)), '授权码 (AUTH NO)'],
      [LY.map((l) => (l === 'RMB:123.45' ? 'RMB:123.46' : l)), 'an amount the host did not book'],
      [LY.map((l) => l.replace('******0123', '******0124')), 'does not print the card number 622202******0123'],
      [LY.filter((l) => l !== '消费(SALE)' && !l.includes('SALES SLIP')), 'does not name its transaction type'],
      [LY.map((l) => l.replace('消费(SALE)', '消费(SALE) 退货')), 'names 退货, a transaction type other than its own'],
      [LY.map((l) => l.replace('2026/01/01 12:00:00', '')), 'no transaction date and time'],
    ];
    for (const [lines, problem] of cases) {
      const problems = judgeSlipFields([copy('merchant', lines, '000018')], [sale, saleReply()]);
      expect(problems, problem).to.have.length(1);
      expect(problems[0]).to.contain(problem).and.contain('the merchant copy of the sale (STAN 000018)');
    }
  });

  test('外卡组织 only when 63.1 is not CUP, naming it', () => {
    const foreign = [...LY, '外卡组织:VIS'];
    expect(judgeSlipFields([copy('merchant', foreign, '000018')], [sale, saleReply()])[0]).to.contain('for a domestic card');
    expect(judgeSlipFields([copy('merchant', [...LY, '外卡组织:CUP'], '000018')], [sale, saleReply()])).to.have.length(1);
    expect(judgeSlipFields([copy('merchant', foreign, '000018')], [sale, saleReply('VIS')])).to.deep.equal([]);
    expect(judgeSlipFields([copy('merchant', LY, '000018')], [sale, saleReply('VIS')])[0]).to.contain('does not print 外卡组织:VIS');
  });

  test('a copy of no request the host saw is not judged; the copy trace falls back to its 凭证号', () => {
    expect(judgeSlipFields([copy('merchant', ['x'], '000099')], [sale, saleReply()])).to.deep.equal([]);
    expect(
      judgeSlipFields(
        [
          copy(
            'merchant',
            LY.filter((l) => !l.startsWith('凭证号')),
          ),
        ],
        [sale, saleReply()],
      ),
    ).to.deep.equal([]);
    expect(
      judgeSlipFields(
        [
          copy(
            'merchant',
            LY.map((l) => l.replace('654321', '111111')),
          ),
        ],
        [sale, saleReply()],
      ),
    ).to.have.length(1);
  });
});

describe('the reprint mark on a first print (§6: ****重打印/DUPLICATED**** on a reprint only; TTP §7.2 reprint)', () => {
  const reprinted = (name: string, lines: string[]): VoucherCopy => ({ ...copy(name, lines, '000018'), reprint: true });
  const MARKED = [...LY, '****重打印/DUPLICATED****'];

  test('an original marked as a reprint, by its print event or by the mark, is a problem', () => {
    const flagged = judgeSlipFields([reprinted('merchant', LY)], [sale, saleReply()]);
    expect(flagged).to.have.length(1);
    expect(flagged[0]).to.contain('reprint: true (TTP §7.2), but it is the first print');
    const marked = judgeSlipFields([copy('merchant', MARKED, '000018')], [sale, saleReply()]);
    expect(marked[0]).to.contain('carries the reprint mark (****重打印/DUPLICATED****)');
    expect(judgeSlipFields([copy('cardholder', ['DUPLICATED', ...WIZ], '000018')], [sale, saleReply()])).to.have.length(1);
  });

  test('a reprint after the original (in this call or an earlier one) is not judged by it; each copy name counts apart', () => {
    const original = [copy('merchant', LY, '000018'), copy('cardholder', WIZ, '000018')];
    const again = [reprinted('merchant', MARKED), reprinted('cardholder', ['重打印', ...WIZ])];
    expect(judgeSlipFields([...original, ...again], [sale, saleReply()])).to.deep.equal([]);
    expect(judgeSlipFields(again, [sale, saleReply()], { earlier: original })).to.deep.equal([]);
    // The cardholder copy's first print is marked: the merchant copy before it does not make it a reprint.
    expect(judgeSlipFields([again[1]], [sale, saleReply()], { earlier: [original[0]] })).to.have.length(1);
  });

  test('an unmarked first print passes', () => {
    expect(judgeSlipFields([copy('merchant', LY, '000018')], [sale, saleReply()], { earlier: [copy('merchant', LY, '000099')] })).to.deep.equal([]);
  });
});

describe('settlement slips against a 0500 and its 0510', () => {
  const settle = message('in', '0500', 'settlement', { ...IDS, 11: '000022', 48: '0'.repeat(62), 60: '00000002201' });
  const f48 = (domestic: string, foreign: string) => `${'0'.repeat(30)}${domestic}${'0'.repeat(30)}${foreign}`;
  const reply = (domestic: string) => message('out', '0510', 'settlement', { ...IDS, 11: '000022', 48: f48(domestic, '1') });
  const SLIP = [
    '结算总计单/SETTLEMENT',
    '商户编号(MERCHANT NO):',
    '898310048990001',
    '终端编号(TERMINAL NO):',
    '10000001',
    '批次号(BATCH NO):000002',
    '类型/TYPE        笔数/SUM    金额/AMOUNT',
    '内卡: 对帐平',
    '消费/SALE            0          0.00',
    '外卡: 对帐平',
  ];

  test('a slip with every field as the host answered passes', () => {
    expect(judgeSlipFields([copy('settlement', SLIP)], [settle, reply('1')])).to.deep.equal([]);
  });

  test('a layout that labels each figure with its unit (2笔, 100.00元) and no header passes', () => {
    const units = SLIP.filter((l) => !l.startsWith('类型')).map((l) => (l.startsWith('消费') ? '消费  0笔  0.00元' : l));
    expect(judgeSlipFields([copy('settlement', units)], [settle, reply('1')])).to.deep.equal([]);
  });

  test('a missing header or a wrong batch fails', () => {
    expect(
      judgeSlipFields(
        [
          copy(
            'settlement',
            SLIP.filter((l) => !l.startsWith('类型')),
          ),
        ],
        [settle, reply('1')],
      )[0],
    ).to.contain('count and amount columns');
    expect(
      judgeSlipFields(
        [
          copy(
            'settlement',
            SLIP.map((l) => l.replace('000002', '000003')),
          ),
        ],
        [settle, reply('1')],
      )[0],
    ).to.contain('批次号');
    // The result it states is settlement-result's to judge (with the screens), not this check's.
    expect(judgeSlipFields([copy('settlement', SLIP)], [settle, reply('2')])).to.deep.equal([]);
  });
});

describe("a settlement slip's 退货/REFUND row against the refunds the host approved in the batch", () => {
  const settle = message('in', '0500', 'settlement', { ...IDS, 11: '000032', 48: '0'.repeat(62), 60: '00000003201' });
  const refund = (stan: string, fen: string, batch = '000003') =>
    message('in', '0220', 'refund', { ...IDS, 2: '622202******0123', 3: '200000', 4: fen, 11: stan, 60: `22${batch}000` });
  const refundReply = (stan: string, code = '00') => message('out', '0230', 'refund', { ...IDS, 11: stan, 39: code, 63: 'CUP' });
  const slip = (row: string) => [
    '结算总计单/SETTLEMENT',
    '商户编号(MERCHANT NO):',
    '898310048990001',
    '终端编号(TERMINAL NO):',
    '10000001',
    '批次号(BATCH NO):000003',
    '类型/TYPE        笔数/SUM    金额/AMOUNT',
    '内卡: 对帐平',
    '消费/SALE            1        100.00',
    row,
    '外卡: 对帐平',
    '退货/REFUND          0          0.00',
  ];
  // Two refunds of batch 3 approved, one declined, one of batch 2 (an earlier case's): the row owes 2 / 100.00.
  const journal = [
    refund('000028', '000000003000', '000002'),
    refundReply('000028'),
    refund('000030', '000000007000'),
    refundReply('000030'),
    refund('000031', '000000003000'),
    refundReply('000031'),
    refund('000029', '000000001000'),
    refundReply('000029', '51'),
  ];

  test("the host's count and total pass, on one line, under the label or negated; a slip with no refund row is not judged", () => {
    for (const row of ['退货/REFUND          2        100.00', '退货/REFUND          2       -100.00', '退货(REFUND)\n  2  RMB 100.00']) {
      const lines = slip('').flatMap((l) => (l === '' ? row.split('\n') : [l]));
      expect(judgeSlipFields([copy('settlement', lines)], [settle], { batchMessages: journal }), row).to.deep.equal([]);
    }
    expect(judgeSlipFields([copy('settlement', slip('撤销/退货  3  120.00'))], [settle], { batchMessages: journal })).to.deep.equal([]);
    expect(judgeSlipFields([copy('settlement', slip('退货/REFUND'))], [settle], { batchMessages: journal })).to.deep.equal([]);
  });

  test('a row that leaves out a refund, counts the declined one or another batch, or is empty, fails', () => {
    for (const row of [
      '退货/REFUND          0          0.00',
      '退货/REFUND          1         70.00',
      '退货/REFUND          3        110.00',
      '退货/REFUND          3        130.00',
    ]) {
      const problems = judgeSlipFields([copy('settlement', slip(row))], [settle], { batchMessages: journal });
      expect(problems, row).to.have.length(1);
      expect(problems[0]).to.contain('its 退货/REFUND row does not show the 2 refund(s) totalling 100.00 the host approved in batch 000003');
    }
  });

  test('with no refund in the batch the row must read 0 / 0.00, and the case journal serves when no whole journal is given', () => {
    expect(judgeSlipFields([copy('settlement', slip('退货/REFUND          0          0.00'))], [settle])).to.deep.equal([]);
    expect(judgeSlipFields([copy('settlement', slip('退货/REFUND          1         70.00'))], [settle])[0]).to.contain('0 refund(s) totalling 0.00');
  });
});

describe('readers', () => {
  test('a labelled value on its line or alone on the next, not a label line after it', () => {
    expect(labelledValues({ lines: ['终端编号(TERMINAL NO):', '10000001'] }, /终端编号/)).to.deep.equal(['10000001']);
    expect(labelledValues({ lines: ['终端编号(TERMINAL NO):', '操作员号(OPERATOR NO):'] }, /终端编号/)).to.deep.equal([]);
    expect(labelledValues({ lines: ['TERMINAL ID : 1000 0001'] }, /TERMINAL\s*ID/)).to.deep.equal(['10000001']);
  });
});
