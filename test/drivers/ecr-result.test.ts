// drivers/ecr-result.ts over hand-made journal messages: the cash register's approved result against
// the acquirer's records of the last approved financial request (F4, F11, 60.2, F37, F38, F2).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { ecrEndingProblems, ecrFlowRequest, ecrResultProblems } from '../../drivers/ecr-result';
import type { HostMessage } from '../../drivers/host-view';

let id = 0;
const msg = (direction: 'in' | 'out', mti: string, stan: string, fields: Record<number, string>): HostMessage => ({
  id: ++id,
  at: '',
  direction,
  terminalId: 'T1',
  mti,
  stan,
  kind: 'sale',
  fields: { 11: stan, ...fields },
  responseCode: fields[39],
  hex: '',
  note: undefined,
});

function journal(replyAmount?: string): HostMessage[] {
  id = 0;
  return [
    msg('in', '0200', '000041', { 2: '620000******0047', 4: '000000006660', 60: '22000007000' }),
    msg('out', '0210', '000041', {
      37: '112233445566',
      38: 'A1B2C3',
      39: '00',
      ...(replyAmount ? { 4: replyAmount } : ({} as Record<number, string>)),
    }),
  ];
}
const GOOD = {
  approved: true,
  responseCode: '00',
  amount: '6660',
  trace: '000041',
  batch: '000007',
  rrn: '112233445566',
  authCode: 'A1B2C3',
  maskedPan: '620000******0047',
};

describe("drivers/ecr-result: the cash register's figures against the acquirer's", () => {
  test('the figures of the approved sale: no problem', () => {
    expect(ecrResultProblems(GOOD, journal())).to.deep.equal([]);
  });

  test('a missing or different amount is named with the approved F4', () => {
    const { amount: _dropped, ...noAmount } = GOOD;
    expect(ecrResultProblems(noAmount, journal())[0]).to.match(/amount undefined is not the 6660 fen/);
    expect(ecrResultProblems({ ...GOOD, amount: '666' }, journal())[0]).to.match(/amount "666"/);
  });

  test('a missing or different response code is named with the reply F39 (TTP §6.9)', () => {
    const { responseCode: _dropped, ...noCode } = GOOD;
    expect(ecrResultProblems(noCode, journal())).to.deep.equal(['responseCode undefined is not the reply F39 00 of the sale STAN 000041']);
    expect(ecrResultProblems({ ...GOOD, responseCode: '10' }, journal())[0]).to.match(/responseCode "10" is not the reply F39 00/);
  });

  test("a partial approval's amount is the reply's F4", () => {
    expect(ecrResultProblems({ ...GOOD, amount: '3000' }, journal('000000003000'))).to.deep.equal([]);
    expect(ecrResultProblems(GOOD, journal('000000003000'))[0]).to.match(/not the 3000 fen/);
  });

  test('trace, batch, RRN, auth code and card that are not the sale are each named', () => {
    const wrong = { ...GOOD, trace: '000040', batch: '000006', rrn: '999999999999', authCode: 'ZZZZZZ', maskedPan: '621234******0047' };
    const problems = ecrResultProblems(wrong, journal()).join('; ');
    for (const p of [/trace "000040"/, /batch "000006"/, /rrn "999999999999"/, /authCode "ZZZZZZ"/, /maskedPan 621234…0047/])
      expect(problems).to.match(p);
  });

  test('an approval the host never gave is a problem', () => {
    id = 0;
    const declined = [msg('in', '0200', '000041', { 4: '000000006660' }), msg('out', '0210', '000041', { 39: '51' })];
    expect(ecrResultProblems(GOOD, declined)[0]).to.match(/approved no financial request/);
  });
});

describe('drivers/ecr-result: how any ecr result says the flow ended (TTP §6.9, §7.6)', () => {
  const done = { result: 'done', responseCode: '00' };
  test('a settlement the host answered 00, told as approved with the final screen outcome: no problem', () => {
    expect(ecrEndingProblems({ approved: true, responseCode: '00', outcome: done }, done, '00')).to.deep.equal([]);
  });
  test('an empty result (no approved, no response code, another outcome) is named on each count', () => {
    const problems = ecrEndingProblems({ outcome: { result: 'failed' } }, done, '00');
    expect(problems.join('\n'))
      .to.match(/approved is undefined/)
      .and.match(/outcome failed is not the final screen's done 00/)
      .and.match(/responseCode undefined is not the F39 00/);
  });
  test('an unanswered request: approved false with the failure outcome shown, no response code asked for', () => {
    const failed = { result: 'comm-error' };
    expect(ecrEndingProblems({ approved: false, outcome: failed }, failed, undefined)).to.deep.equal([]);
    expect(ecrEndingProblems({ approved: true, outcome: { result: 'done' } }, { result: 'done' }, undefined)).to.deep.equal([
      'approved, yet the host answered nothing',
    ]);
  });
  test('approved against a decline, or not approved against a 00 done, is named', () => {
    const declined = { result: 'declined', responseCode: '51' };
    expect(ecrEndingProblems({ approved: true, responseCode: '51', outcome: declined }, declined, '51')).to.have.length(2);
    expect(ecrEndingProblems({ approved: false, responseCode: '00', outcome: done }, done, '00')).to.have.length(1);
  });
  test('a flow that asks the host nothing (null) is judged by its outcome only', () => {
    expect(ecrEndingProblems({ approved: true, outcome: { result: 'done' } }, { result: 'done' }, null)).to.deep.equal([]);
  });
});

describe('ecrFlowRequest: the request whose reply tells how a cash-register request ended', () => {
  const settle = (): HostMessage[] => {
    id = 0;
    const k = (m: HostMessage, kind: HostMessage['kind']): HostMessage => ({ ...m, kind });
    return [
      k(msg('in', '0200', '000040', {}), 'sale'),
      k(msg('in', '0500', '000041', {}), 'settlement'),
      k(msg('out', '0510', '000041', { 39: '00' }), 'settlement'),
      k(msg('in', '0320', '000042', {}), 'batch-upload'),
      k(msg('in', '0320', '000043', {}), 'batch-upload-end'),
      k(msg('in', '0400', '000044', {}), 'reversal'),
    ];
  };
  test('a settlement ends with its last batch upload message, not its 0500', () => {
    expect(ecrFlowRequest(settle(), 'settlement', 0)?.stan).to.equal('000043');
  });
  test('a resumed upload (no 0500 after the request) is still the settlement flow', () => {
    expect(ecrFlowRequest(settle(), 'settlement', 3)?.stan).to.equal('000043');
    expect(ecrFlowRequest(settle(), 'settlement', 5)).to.equal(undefined);
  });
  test('other kinds: their own last request only', () => {
    expect(ecrFlowRequest(settle(), 'sale', 0)?.stan).to.equal('000040');
    expect(ecrFlowRequest(settle(), 'sale', 1)).to.equal(undefined);
  });
});
