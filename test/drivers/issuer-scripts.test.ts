// drivers/issuer-scripts.ts over hand-made journal messages: the 0620 naming a sale whose reply
// carried a script (by F61 or F37), its 60.3 / MAC / DF31 / host link, and DF31 in a reversal.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeReversalScriptResult, judgeScriptResultNotice, lastReversedOf, noticesFor } from '../../drivers/issuer-scripts';
import type { HostMessage } from '../../drivers/host-view';

let id = 0;
const msg = (
  direction: 'in' | 'out',
  mti: string,
  kind: HostMessage['kind'],
  stan: string,
  fields: Record<number, string>,
  note?: string,
): HostMessage => ({
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
  note,
});
const LINKED = 'script result linked to sale 1 (batch 000003 trace 000010, RRN 000000000123): script 11223344 performed; MAC verified';

function traffic(notice: Record<number, string> | undefined, answer = '00', note = LINKED): HostMessage[] {
  id = 0;
  const sale = msg('in', '0200', 'sale', '000010', { 22: '051', 55: '9F26=AA 9F36=0005', 60: '22000003000' });
  const out = [sale, msg('out', '0210', 'sale', '000010', { 37: '000000000123', 39: '00', 55: '91=0102 9F18=11223344 86=8418000004 86=8424000004' })];
  if (notice) {
    const n = msg('in', '0620', 'script-result', '000011', { 60: '00000003951', 64: 'ABCD1234', ...notice }, note);
    out.push(n, msg('out', '0630', 'script-result', '000011', { 39: answer }));
  }
  return out;
}
const GOOD = { 61: '0000030000101204', 55: '9F36=0005 DF31=2011223344' };

describe('drivers/issuer-scripts: the script result as the acquirer saw it', () => {
  test('a 0620 naming the sale by F61, MACed, DF31 with the script id, linked by the host: no problem', () => {
    const msgs = traffic(GOOD);
    expect(noticesFor(msgs, msgs[0])).to.have.length(1);
    expect(judgeScriptResultNotice(msgs, msgs[0])).to.deep.equal([]);
    // By F37 (the reply's RRN) instead of F61.
    const byRrn = traffic({ 37: '000000000123', 55: '9F36=0005 DF31=1211223344' });
    expect(judgeScriptResultNotice(byRrn, byRrn[0])).to.deep.equal([]);
  });

  test('no notice, or one naming another transaction: the problem says what was expected', () => {
    const none = traffic(undefined);
    expect(judgeScriptResultNotice(none, none[0])).to.deep.equal([
      'no 0620 script-result notice (60.3 951) naming the sale STAN 000010 (F61 batch + trace or F37 RRN) reached the host after its reply carried script 11223344',
    ]);
    const other = traffic({ ...GOOD, 61: '0000030000991204' });
    expect(judgeScriptResultNotice(other, other[0])[0]).to.match(/^no 0620 script-result notice/);
  });

  test('no MAC, a wrong script id, a bad DF31, a refusal or no link: each named', () => {
    const noMac = traffic(GOOD);
    delete noMac[2].fields[64];
    expect(judgeScriptResultNotice(noMac, noMac[0])).to.deep.equal(['0620 STAN 000011 carries no MAC (F64); the notice is MACed (§3.1)']);
    const wrongId = traffic({ ...GOOD, 55: 'DF31=2099999999' });
    expect(judgeScriptResultNotice(wrongId, wrongId[0])).to.deep.equal([
      '0620 STAN 000011: DF31 reports script(s) 99999999, not 11223344 the host sent',
    ]);
    // One script run twice (in the 71 turn and again in the 72 turn) is reported twice.
    const twice = traffic({ ...GOOD, 55: 'DF31=20112233442011223344' });
    expect(judgeScriptResultNotice(twice, twice[0])).to.deep.equal([
      '0620 STAN 000011: DF31 reports script(s) 11223344 more often than the host sent them (11223344, 11223344)',
    ]);
    const short = traffic({ ...GOOD, 55: 'DF31=2011' });
    expect(judgeScriptResultNotice(short, short[0])[0]).to.match(/DF31 2011 .*5 bytes per script/);
    const noDf31 = traffic({ ...GOOD, 55: '9F36=0005' });
    expect(judgeScriptResultNotice(noDf31, noDf31[0])).to.deep.equal(['0620 STAN 000011 carries no DF31 (the issuer script results, §3.11)']);
    const refused = traffic(GOOD, 'A0', 'MAC does not verify under the current MAK');
    expect(judgeScriptResultNotice(refused, refused[0])).to.deep.equal([
      '0620 STAN 000011: the host refused it with A0 (MAC does not verify under the current MAK)',
    ]);
    const unlinked = traffic(GOOD, '00', 'acknowledged');
    expect(judgeScriptResultNotice(unlinked, unlinked[0])).to.deep.equal([
      "0620 STAN 000011: the host's journal does not link it to the original (acknowledged)",
    ]);
  });

  test('a sale whose reply carried no script cannot be judged on its script result', () => {
    const msgs = traffic(GOOD);
    msgs[1].fields[55] = '91=0102';
    expect(judgeScriptResultNotice(msgs, msgs[0])[0]).to.match(/carried no issuer script/);
  });

  test('the reversal of a sale whose card ran the script carries DF31 with its id', () => {
    const msgs = traffic(undefined);
    const next = msg('in', '0200', 'sale', '000011', { 22: '051', 60: '22000003000' });
    const reversal = msg('in', '0400', 'reversal', '000010', { 39: '06', 55: '95=0000000000 9F36=0005 DF31=2011223344' });
    const all = [...msgs, reversal, msg('out', '0410', 'reversal', '000010', { 39: '00' }), next];
    expect(lastReversedOf(all, 'sale')).to.equal(msgs[0]);
    expect(judgeReversalScriptResult(all, msgs[0])).to.deep.equal([]);
    reversal.fields[55] = '95=0000000000 9F36=0005';
    expect(judgeReversalScriptResult(all, msgs[0])).to.deep.equal(['reversal STAN 000010 carries no DF31 (the issuer script results, §3.11)']);
    expect(judgeReversalScriptResult(msgs, msgs[0])).to.deep.equal(['the sale STAN 000010 was not reversed (no 0400 with its STAN)']);
  });
});
