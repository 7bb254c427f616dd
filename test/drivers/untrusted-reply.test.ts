// Replies a terminal must not trust (drivers/untrusted-reply.ts): which spoiled replies the reference
// lets no terminal accept, the outcome the transaction must end with, and the reversal before the next request.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { toHostMessage, type HostMessage } from '../../drivers/host-view';
import { reversedTrustedDeclines, spoiledReplies, unreversedSpoiledReplies, untrustedOutcomeProblems } from '../../drivers/untrusted-reply';

function msg(id: number, direction: 'in' | 'out', mti: string, fields: Record<string, string>, note?: string): HostMessage {
  return toHostMessage({
    id,
    direction,
    time: '2026-12-04T00:00:00Z',
    terminalId: '10000001',
    mti,
    stan: fields['11'] ?? null,
    responseCode: direction === 'out' ? (fields['39'] ?? null) : null,
    hex: '',
    fields,
    note: note ?? null,
  });
}

const SALE = { '3': '000000', '4': '000000002500', '11': '000018', '22': '021', '25': '00', '60': '22000001000' };
const SALE_IC = { ...SALE, '22': '051', '55': '9F2608AABBCCDDEEFF0011' };
const ARPC = '910A11223344556677883030';
const sale = (id: number, fields: Record<string, string>, note?: string) => msg(id, 'in', '0200', fields, note);
const reply = (id: number, fields: Record<string, string>, mti = '0210', note?: string) => msg(id, 'out', mti, fields, note);

describe('untrusted replies', () => {
  test('a MAC fault counts on an approval carrying F64; a decline (no MAC check, §3.6) does not', () => {
    const note = 'fault corrupt-mac #3';
    const spoiled = spoiledReplies([sale(2, SALE, note), reply(3, { ...SALE, '39': '00', '64': '3030303030303030' }, '0210', note)]);
    expect(spoiled.map((s) => [s.fault, s.outcomes, s.reason])).to.deep.equal([['corrupt-mac', ['mac-error'], 'A0']]);
    expect(spoiledReplies([sale(2, SALE, note), reply(3, { ...SALE, '39': '51', '64': '30' }, '0210', note)])).to.deep.equal([]);
    expect(spoiledReplies([sale(2, SALE), reply(3, { ...SALE, '39': '00', '64': '30' })])).to.deep.equal([]);
  });

  test('an ARPC fault counts on an approved contact-chip request whose reply carries tag 91, not on a swipe or a tap', () => {
    const note = 'fault corrupt-arpc #4';
    const r = reply(3, { ...SALE_IC, '39': '00', '55': ARPC }, '0210', note);
    expect(spoiledReplies([sale(2, SALE_IC, note), r]).map((s) => [s.fault, s.reason])).to.deep.equal([['corrupt-arpc', '06']]);
    expect(spoiledReplies([sale(2, { ...SALE_IC, '22': '072' }, note), r])).to.deep.equal([]);
    // The journal shows F55 by tag: 91=… 9F18=…
    const shown = reply(3, { ...SALE_IC, '39': '00', '55': '91=B11C8CBF97C386133030 9F18=11223344' }, '0210', note);
    expect(spoiledReplies([sale(2, SALE_IC, note), shown]).map((s) => s.fault)).to.deep.equal(['corrupt-arpc']);
    expect(spoiledReplies([sale(2, SALE_IC, note), reply(3, { ...SALE_IC, '39': '00' }, '0210', note)])).to.deep.equal([]);
  });

  test('a reply of the wrong type counts whatever it says; its outcome may be a mismatch or a comm error', () => {
    const note = 'fault wrong-mti #5';
    const [s] = spoiledReplies([sale(2, SALE, note), reply(3, { ...SALE, '39': '00' }, '0230', note)]);
    expect(s.outcomes).to.deep.equal(['reply-mismatch', 'comm-error']);
    expect(untrustedOutcomeProblems([s], [{ result: 'comm-error' }])).to.deep.equal([]);
    expect(untrustedOutcomeProblems([s], [{ result: 'reply-mismatch', transaction: 'sale' }])).to.deep.equal([]);
  });

  test('the transaction must end with an outcome that names the failure, never approved', () => {
    const note = 'fault corrupt-mac #3';
    const spoiled = spoiledReplies([sale(2, SALE, note), reply(3, { ...SALE, '39': '00', '64': '30' }, '0210', note)]);
    expect(untrustedOutcomeProblems(spoiled, [{ result: 'mac-error', transaction: 'sale' }])).to.deep.equal([]);
    expect(untrustedOutcomeProblems(spoiled, [])[0]).to.match(/no final screen carrying an outcome/);
    expect(untrustedOutcomeProblems(spoiled, [{ result: 'failed' }])[0]).to.match(/outcome failed, not mac-error/);
    expect(untrustedOutcomeProblems(spoiled, [{ result: 'mac-error' }, { result: 'approved' }])[0]).to.match(/reported it approved/);
    expect(untrustedOutcomeProblems([], [])).to.deep.equal([]);
  });

  test('a spoiled approval is reversed with its STAN, amount and §3.8 reason before the next request', () => {
    const note = 'fault corrupt-mac #3';
    const first = [sale(2, SALE, note), reply(3, { ...SALE, '39': '00', '64': '30' }, '0210', note)];
    const next = { ...SALE, '11': '000020', '4': '000000001400' };
    const rev = (id: number, f: Record<string, string>) => msg(id, 'in', '0400', { ...SALE, '11': '000018', ...f });
    const judge = (rest: HostMessage[]) => {
      const all = [...first, ...rest];
      return unreversedSpoiledReplies(all, spoiledReplies(all));
    };
    expect(judge([])).to.deep.equal([]); // nothing after it yet
    expect(judge([rev(4, { '39': 'A0' }), reply(5, { '39': '00' }, '0410'), sale(6, next)])).to.deep.equal([]);
    expect(judge([sale(4, next), rev(6, { '39': 'A0' })])[0]).to.match(
      /no reversal \(0400 with STAN 000018\) before the next request, sale 0200 STAN 000020/,
    );
    expect(judge([rev(4, { '39': '98' }), sale(6, next)])[0]).to.match(/reason 98, not A0/);
    expect(judge([rev(4, { '39': 'A0', '4': '000000000001' }), sale(6, next)])[0]).to.match(/reversal F4 000000000001/);
    expect(judge([msg(4, 'in', '0500', { '11': '000021', '60': '00000001201' })])[0]).to.match(/before the next request, settlement/);
  });
});

describe('declines whose MAC the host spoiled (no MAC check when F39 is not 00, §3.6)', () => {
  const note = 'fault corrupt-mac #3';
  const declined = [sale(2, SALE, note), reply(3, { ...SALE, '39': '55', '64': '3030303030303030' }, '0210', note)];
  const reversal = msg(4, 'in', '0400', { ...SALE, '39': 'A0' });
  test('a decline left alone is no problem', () => {
    expect(reversedTrustedDeclines(declined)).to.deep.equal([]);
  });
  test('a reversal of it is: the decline was a valid reply', () => {
    const problems = reversedTrustedDeclines([...declined, reversal]);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/corrupt-mac on its 55 decline.*reversed/);
  });
  test('an approval with a spoiled MAC is the other rule (it must be reversed), not this one', () => {
    const approved = [sale(2, SALE, note), reply(3, { ...SALE, '39': '00', '64': '30' }, '0210', note), reversal];
    expect(reversedTrustedDeclines(approved)).to.deep.equal([]);
  });
});
