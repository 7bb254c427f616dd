// drivers/batch-lists.ts over hand-made journal messages: the magstripe lists of a batch upload (60.3
// 201) judged against the batch's approved transactions; and host/redact.ts masking the card numbers
// such a list carries in F48 (journal field table and frame hex).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeBatchLists } from '../../drivers/batch-lists';
import type { HostMessage } from '../../drivers/host-view';
import { IsoMessage, packMessage } from '../../protocol/iso8583';
import { maskedFields, maskedFrameHex } from '../../host/redact';

let id = 0;
const msg = (direction: 'in' | 'out', mti: string, kind: HostMessage['kind'], stan: string, fields: Record<number, string>): HostMessage => ({
  id: ++id,
  at: '',
  direction,
  terminalId: 'T1',
  mti,
  stan,
  kind,
  fields: { 11: stan, ...fields },
  responseCode: fields[39],
  hex: '',
  note: undefined,
});
const SWIPED = '621234******1265';
const item = (org: string, trace: string, pan: string, amount: string) => org + trace + pan.padStart(20, '0') + amount;

function journal(f48: string, listReply = '00'): HostMessage[] {
  id = 0;
  return [
    msg('in', '0200', 'sale', '000020', { 4: '000000001800', 22: '021', 35: `${SWIPED}D****`, 60: '22000002000' }),
    msg('out', '0210', 'sale', '000020', { 39: '00', 63: 'CUP' }),
    msg('in', '0320', 'batch-upload', '000025', { 48: f48, 60: '00000002201' }),
    msg('out', '0330', 'batch-upload', '000025', { 39: listReply }),
  ];
}

describe('judgeBatchLists', () => {
  test('a list naming the swiped sale with its trace, card and amount passes', () => {
    expect(judgeBatchLists(journal('01' + item('00', '000020', SWIPED, '000000001800')), '000002', false)).to.deep.equal([]);
  });

  test('a wrong amount, an unknown trace, a bad count and a refused list are each named', () => {
    expect(judgeBatchLists(journal('01' + item('00', '000020', SWIPED, '000000001801')), '000002', false).join()).to.match(/does not match sale/);
    expect(judgeBatchLists(journal('01' + item('00', '000099', SWIPED, '000000001800')), '000002', false).join()).to.match(/000099 is no approved/);
    expect(judgeBatchLists(journal('1' + item('00', '000020', SWIPED, '000000001800')), '000002', false).join()).to.match(/not a count/);
    expect(judgeBatchLists(journal('01' + item('00', '000020', SWIPED, '000000001800'), '30'), '000002', false).join()).to.match(/F39 30/);
  });

  test('after an unbalanced settlement a swiped sale missing from every list is named; balanced, nothing is due', () => {
    const j = journal('01' + item('00', '000020', SWIPED, '000000001800')).slice(0, 2);
    expect(judgeBatchLists(j, '000002', false).join()).to.match(/STAN 000020 .* is in no list/);
    expect(judgeBatchLists(j, '000002', true)).to.deep.equal([]);
  });
});

describe('redact: magstripe batch-upload lists', () => {
  test('the card numbers in F48 of a 201 list are masked in the field table and the frame hex', () => {
    const pan = '6212340000001265';
    const m = new IsoMessage('0320')
      .set(11, '000025')
      .set(41, '10000001')
      .set(42, '898310054110001')
      .set(48, '01' + item('00', '000020', pan, '000000001800'))
      .set(60, '00000002201');
    expect(maskedFields(m)['48']).to.equal('01' + item('00', '000020', '621234******1265', '000000001800'));
    const hex = maskedFrameHex(packMessage(m), m);
    expect(hex).to.not.include(pan);
    expect(hex).to.include('621234******1265');
  });
});
