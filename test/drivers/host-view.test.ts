// The host journal view (drivers/host-view.ts): journal rows as messages of the catalogue's kinds,
// request/reply pairs, the field readers steps assert on and the fault matcher of a kind.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import {
  FINANCIAL_KINDS,
  approvedOfBatch,
  clearPinBlocks,
  describeMessages,
  financialRequests,
  missingIccTags,
  stansOf,
  settledBatchOf,
  settlementCounts,
  uploadNetworkCodes,
  pinLeaks,
  faultMatchFor,
  nextAfterReversed,
  originalBefore,
  reversalsOf,
  tracesAdvance,
  iccTagsOf,
  journalText,
  payeeOf,
  replyTo,
  authorisedTotalFen,
  cardOrganisationOf,
  toHostMessage,
  HostMessage,
} from '../../drivers/host-view';
import { encodeBillPayee } from '../../protocol/iso8583';

function msg(id: number, direction: 'in' | 'out', mti: string, fields: Record<string, string>): HostMessage {
  return toHostMessage({
    id,
    direction,
    time: '2026-11-26T00:00:00Z',
    terminalId: '10000001',
    mti,
    stan: fields['11'] ?? null,
    responseCode: fields['39'] ?? null,
    hex: '',
    fields,
    note: null,
  });
}

describe('host journal view', () => {
  // The kind of a journal row, as the steps name it (the catalogue's identify).
  const classify = (mti: string, fields: Record<string, string>) => msg(1, 'in', mti, fields).kind;

  test('transactions are identified by MTI, F3, F25 and field 60 (cup8583 §3.1)', () => {
    expect(classify('0200', { 3: '000000', 25: '00', 60: '22000001000' })).to.equal('sale');
    expect(classify('0210', { 3: '000000', 25: '00', 60: '22000001000' })).to.equal('sale');
    expect(classify('0200', { 3: '500000', 60: '22000001000' })).to.equal('bill-payment');
    expect(classify('0200', { 3: '200000', 60: '23000001000' })).to.equal('void');
    expect(classify('0220', { 3: '200000', 60: '25000001000' })).to.equal('refund');
    expect(classify('0200', { 3: '310000', 60: '01000001000' })).to.equal('balance');
    expect(classify('0100', { 3: '030000', 25: '06', 60: '10000001000' })).to.equal('preauth');
    expect(classify('0200', { 3: '000000', 25: '06', 60: '20000001000' })).to.equal('preauth-completion');
    expect(classify('0400', { 3: '000000', 60: '22000001000' })).to.equal('reversal');
    expect(classify('0800', { 60: '00000001004' })).to.equal('sign-on');
    expect(classify('0800', { 60: '00000001360' })).to.equal('parameter-download');
    expect(classify('0820', { 60: '00000001301' })).to.equal('echo');
    expect(classify('0500', { 60: '00000001201' })).to.equal('settlement');
    expect(classify('0320', { 60: '00000001201' })).to.equal('batch-upload');
    expect(classify('0320', { 60: '00000001202' })).to.equal('batch-upload-end');
    expect(classify('0200', { 3: '990000' })).to.equal('unknown');
    // The kinds the steps' own table could not name.
    expect(classify('0100', { 3: '200000', 25: '06', 60: '11000001000' })).to.equal('preauth-void');
    expect(classify('0200', { 3: '200000', 25: '06', 60: '21000001000' })).to.equal('preauth-completion-void');
    expect(FINANCIAL_KINDS).to.include.members(['sale', 'preauth-void', 'reversal']).and.not.include('sign-on');
  });

  test('a reply is the next outgoing message with MTI + 10 and the same STAN', () => {
    const list = [
      msg(1, 'in', '0200', { 3: '000000', 11: '000001', 60: '22000001000' }),
      msg(2, 'in', '0200', { 3: '000000', 11: '000002', 60: '22000001000' }),
      msg(3, 'out', '0210', { 3: '000000', 11: '000002', 39: '00' }),
      msg(4, 'out', '0210', { 3: '000000', 11: '000001', 39: '51' }),
    ];
    expect(replyTo(list, list[0])?.id).to.equal(4);
    expect(replyTo(list, list[1])?.responseCode).to.equal('00');
  });

  test('F55 as the journal shows it (TAG=VALUE) or as raw TLV; F62 payee of a 缴费', () => {
    expect(iccTagsOf(msg(1, 'in', '0200', { 55: '9F26=AAC9BDD0B8C86ADB 9F27=80 5A=620000******0047' }))).to.deep.equal(['9F26', '9F27', '5A']);
    expect(iccTagsOf(msg(1, 'in', '0200', { 55: '9F2701809F360200 02'.replace(/ /g, '') }))).to.deep.equal(['9F27', '9F36']);
    const f62 = encodeBillPayee({ name: '国网上海市电力公司', account: '310000123456' }).toString('hex').toUpperCase();
    expect(payeeOf(msg(1, 'in', '0200', { 3: '500000', 62: f62 }))).to.deep.include({ name: '国网上海市电力公司', account: '310000123456' });
  });

  test('faults are aimed at the request of one transaction kind', () => {
    expect(faultMatchFor('sale')).to.deep.equal({ mti: '0200', processingCode: '000000' });
    expect(faultMatchFor('bill-payment')).to.deep.equal({ mti: '0200', processingCode: '500000' });
    expect(faultMatchFor('reversal')).to.deep.equal({ mti: '0400' });
    expect(faultMatchFor('preauth')).to.deep.equal({ mti: '0100', processingCode: '030000' });
    expect(faultMatchFor('sign-on')).to.deep.equal({ mti: '0800' });
  });

  test('clear PIN blocks to look for, and the journal as evidence text', () => {
    // ISO 9564 format 0 of PIN 1234 with PAN 4111111111111111 (the textbook example).
    expect(clearPinBlocks(['1234'], ['4111111111111111'])).to.deep.equal(['041225EEEEEEEEEE']);
    const text = journalText([msg(7, 'in', '0200', { 3: '000000', 11: '000001', 25: '00', 60: '22000001000' })]);
    expect(text).to.include('#7').and.include('terminal → host 0200 sale STAN 000001').and.include('F03');
  });

  test('a typed PIN found in the journal: as a field, as ASCII in the bytes, as a clear PIN block', () => {
    const withHex = (m: HostMessage, hex: string): HostMessage => ({ ...m, hex });
    const base = msg(3, 'in', '0200', { 3: '000000', 11: '000001', 25: '00', 60: '22000001000', 52: '8F1A2B3C4D5E6F70' });
    expect(pinLeaks([withHex(base, '02000000')], ['1234'], ['4111111111111111'])).to.deep.equal([]);
    expect(pinLeaks([msg(4, 'in', '0200', { 3: '000000', 52: '1234' })], ['1234'], [])).to.deep.equal([
      'journal #4 (unknown 0200): a field holds the PIN',
    ]);
    expect(pinLeaks([withHex(base, '0200' + Buffer.from('1234').toString('hex'))], ['1234'], [])).to.deep.equal([
      'journal #3 (sale 0200): the PIN in ASCII',
    ]);
    expect(pinLeaks([withHex(base, '0200041225eeeeeeeeee')], ['1234'], ['4111111111111111'])).to.deep.equal([
      'journal #3 (sale 0200): a clear PIN block',
    ]);
  });

  test('trace numbers advance (wrapping), reversals left out', () => {
    const sale = (id: number, stan: string) => msg(id, 'in', '0200', { 3: '000000', 11: stan, 25: '00', 60: '22000001000' });
    const rev = (id: number, stan: string) => msg(id, 'in', '0400', { 3: '000000', 11: stan, 60: '22000001000' });
    expect(tracesAdvance([sale(1, '000001'), rev(2, '000001'), sale(3, '000002')]).ok).to.equal(true);
    expect(tracesAdvance([sale(1, '999999'), sale(2, '000001')]).ok).to.equal(true);
    expect(tracesAdvance([sale(1, '000005'), sale(2, '000005')])).to.deep.equal({ ok: false, traces: [5, 5] });
  });

  test('originals, reversals and what followed them; the approved, unreversed requests of a batch', () => {
    const list = [
      msg(1, 'in', '0200', { 3: '000000', 11: '000001', 25: '00', 60: '22000001000' }),
      msg(2, 'out', '0210', { 3: '000000', 11: '000001', 39: '00' }),
      msg(3, 'in', '0200', { 3: '000000', 11: '000002', 25: '00', 60: '22000001000' }),
      msg(4, 'in', '0400', { 3: '000000', 11: '000002', 60: '22000001000' }),
      msg(5, 'in', '0200', { 3: '200000', 11: '000003', 25: '00', 60: '23000001000' }),
      msg(6, 'out', '0210', { 3: '200000', 11: '000003', 39: '00' }),
    ];
    expect(originalBefore(list, list[4], ['sale'])?.id).to.equal(3);
    expect(reversalsOf(list, list[2]).map((m) => m.id)).to.deep.equal([4]);
    expect(nextAfterReversed(list, list[3], 'void')?.id).to.equal(5);
    expect(approvedOfBatch(list, '000001', ['sale', 'void']).map((m) => m.id)).to.deep.equal([1, 5]);
  });

  test('what steps read of a scenario: financial requests, upload records, the settled batch, settlement counts', () => {
    const list = [
      msg(1, 'in', '0800', { 11: '000001', 60: '00000001004' }),
      msg(2, 'in', '0200', { 3: '000000', 11: '000002', 25: '00', 60: '22000001000' }),
      msg(3, 'out', '0210', { 3: '000000', 11: '000002', 39: '00' }),
      msg(4, 'in', '0500', { 11: '000003', 60: '00000001201' }),
      msg(5, 'in', '0320', { 11: '000004', 60: '00000001203' }),
      msg(6, 'in', '0320', { 11: '000005', 60: '00000001202' }),
      msg(7, 'in', '0400', { 3: '000000', 11: '000002', 60: '22000001000' }),
    ];
    expect(financialRequests(list).map((m) => m.id)).to.deep.equal([2, 7]);
    expect(financialRequests(list, 2).map((m) => m.id)).to.deep.equal([7]);
    expect(describeMessages([list[1]])).to.deep.equal(['sale 0200 STAN 000002']);
    expect(stansOf(list.slice(0, 2))).to.deep.equal(['STAN 000001', 'STAN 000002']);
    expect(uploadNetworkCodes(list)).to.deep.equal(['203']);
    expect(settledBatchOf(list)).to.equal('000001');
    expect(settledBatchOf(list.slice(0, 3))).to.equal(undefined);
    const side = { debitCount: 2, debitAmount: 300, creditCount: 1, creditAmount: 50, result: '1' };
    expect(settlementCounts(side)).to.deep.equal({ debitCount: 2, debitAmount: 300, creditCount: 1, creditAmount: 50 });
  });

  test('the EMV tags an online chip request must carry in F55 (cup8583.md §3.11, 9F1A / 9F03 / 9F33 included)', () => {
    const all =
      '9F26=1 9F27=80 9F10=07 9F37=AB 9F36=01 95=00 9A=261204 9C=00 9F02=000000000100 5F2A=0156 82=7C00 9F1A=0156 9F03=000000000000 9F33=E0E1C8';
    expect(missingIccTags(msg(1, 'in', '0200', { 55: all.replace(' 9F33=E0E1C8', '') }))).to.deep.equal(['9F33']);
    expect(missingIccTags(msg(1, 'in', '0200', { 55: all }))).to.deep.equal([]);
    expect(missingIccTags(msg(1, 'in', '0200', { 55: '9F26=1 9F27=80 82=7C00' }))).to.deep.equal([
      '9F10',
      '9F37',
      '9F36',
      '95',
      '9A',
      '9C',
      '9F02',
      '5F2A',
      '9F1A',
      '9F03',
      '9F33',
    ]);
    expect(missingIccTags(msg(1, 'in', '0200', {}))).to.have.length(14);
  });
  test("a pre-authorization's authorised total adds only the 追加预授权 approved for it (F38, cup8583.md §2.5)", () => {
    const preauth = msg(1, 'in', '0100', { 3: '030000', 4: '000000010000', 11: '000001', 25: '06', 60: '10000001000' });
    const messages = [
      preauth,
      msg(2, 'out', '0110', { 11: '000001', 38: '123456', 39: '00' }),
      msg(3, 'in', '0100', { 3: '030000', 4: '000000002000', 11: '000002', 25: '60', 38: '123456', 60: '10000001000' }),
      msg(4, 'out', '0110', { 11: '000002', 38: '123456', 39: '00' }),
      // declined: not added
      msg(5, 'in', '0100', { 3: '030000', 4: '000000000500', 11: '000003', 25: '60', 38: '123456', 60: '10000001000' }),
      msg(6, 'out', '0110', { 11: '000003', 39: '51' }),
      // approved, but for another pre-authorization
      msg(7, 'in', '0100', { 3: '030000', 4: '000000000700', 11: '000004', 25: '60', 38: '654321', 60: '10000001000' }),
      msg(8, 'out', '0110', { 11: '000004', 38: '654321', 39: '00' }),
    ];
    expect(authorisedTotalFen(messages, preauth)).to.equal(12000);
    expect(authorisedTotalFen(messages.slice(0, 2), preauth)).to.equal(10000);
  });

  test('63.1 as text or as the hex of its bytes (slip-fields and batch-lists read it here)', () => {
    const reply = (f63?: string) => msg(2, 'out', '0210', f63 === undefined ? { 3: '000000', 39: '00' } : { 3: '000000', 39: '00', 63: f63 });
    expect(cardOrganisationOf(reply('CUP 00'))).to.equal('CUP');
    expect(cardOrganisationOf(reply('564953'))).to.equal('VIS');
    expect(cardOrganisationOf(reply())).to.equal(undefined);
    expect(cardOrganisationOf(undefined)).to.equal(undefined);
  });
});
