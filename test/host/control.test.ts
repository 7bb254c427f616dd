import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import { HostControlError, type ReferenceHost } from '../../host';
import { card, signedOn, startHost } from './helpers';
import { type TestTerminal } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };

describe('reference host: fault injection', () => {
  let host: ReferenceHost;
  const terms: TestTerminal[] = [];
  before(async () => {
    host = await startHost();
  });
  after(async () => {
    for (const t of terms) t.close();
    await host.stop();
  });
  beforeEach(() => host.control.reset());
  const term = async (tid: string) => {
    const t = await signedOn(host, tid);
    terms.push(t);
    return t;
  };

  test('delay: the reply comes after delayMs; only the matching MTI is delayed, count respected', async () => {
    const t = await term('10000001');
    host.control.injectFault({ match: { mti: '0200', terminalId: '10000001' }, action: 'delay', delayMs: 300, count: 1 });
    expect((await t.network('0820', '301')).rc).to.equal('00');
    expect(host.control.faults(), 'an echo does not match mti 0200').to.have.length(1);
    const start = Date.now();
    expect((await t.send(t.sale(MAG, 100).msg)).rc).to.equal('00');
    expect(Date.now() - start).to.be.at.least(290);
    expect(host.control.faults()).to.have.length(0);
  });

  test('no-response: booked but unanswered (the terminal must reverse); the reversal then undoes it', async () => {
    const t = await term('10000002');
    host.control.injectFault({ match: { mti: '0200' }, action: 'no-response' });
    t.timeoutMs = 300;
    const s = t.sale(MAG, 5000);
    let error: Error | undefined;
    try {
      await t.send(s.msg);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/no reply/);
    t.timeoutMs = 3000;
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 5000);
    expect(host.control.journal({ terminalId: '10000002', stan: s.stan, direction: 'out' })[0].note).to.match(/not sent/);
    expect((await t.send(t.reversal(s.msg))).rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
  });

  test('close: the host closes the connection instead of answering', async () => {
    const t = await term('10000003');
    host.control.injectFault({ match: { processingCode: '000000', terminalId: '10000003' }, action: 'close' });
    let error: Error | undefined;
    try {
      await t.send(t.sale(MAG, 100).msg);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/closed/);
    expect(await t.waitClosed()).to.equal(true);
  });

  test('force-response-code: declines with the code, books nothing; 00 cannot be forced', async () => {
    const t = await term('10000004');
    host.control.injectFault({ match: { mti: '0200' }, action: 'force-response-code', responseCode: '96', count: 2 });
    expect((await t.send(t.sale(MAG, 100).msg)).rc).to.equal('96');
    expect((await t.send(t.sale(MAG, 100).msg)).rc).to.equal('96');
    expect((await t.send(t.sale(MAG, 100).msg)).rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 100);
    expect(() => host.control.injectFault({ action: 'force-response-code', responseCode: '00' })).to.throw(HostControlError);
    expect(() => host.control.injectFault({ action: 'explode' as never })).to.throw(HostControlError, /unknown fault action/);
    expect(() => host.control.injectFault({ action: 'delay', count: 0 })).to.throw(HostControlError, /count/);
  });

  test('corrupt-mac: the reply MAC does not verify; clearFaults removes pending faults', async () => {
    const t = await term('10000005');
    host.control.injectFault({ match: { mti: '0200' }, action: 'corrupt-mac' });
    const r = await t.send(t.sale(MAG, 100).msg);
    expect(r.rc).to.equal('00');
    expect(t.verifyReplyMac(r.msg)).to.equal(false);
    host.control.injectFault({ action: 'force-response-code', responseCode: '91', count: 5 });
    host.control.clearFaults();
    const ok = await t.send(t.sale(MAG, 100).msg);
    expect(ok.rc).to.equal('00');
    expect(t.verifyReplyMac(ok.msg)).to.equal(true);
  });
});

describe('reference host: HTTP admin API', () => {
  let host: ReferenceHost;
  let t: TestTerminal;
  let base: string;
  before(async () => {
    host = await startHost({ adminPort: 0 });
    base = `http://127.0.0.1:${host.adminPort}`;
    t = await signedOn(host, '10000006');
  });
  after(async () => {
    t.close();
    await host.stop();
  });

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(base + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { connection: 'close' } });
    return { status: res.status, json: (await res.json()) as any };
  };

  test('journal, balance, ledger, transactions, settlement, terminal state, faults, reset', async () => {
    const s = t.sale(MAG, 1200);
    await t.send(s.msg);
    const j = await call('GET', `/journal?terminalId=10000006&stan=${s.stan}`);
    expect(j.status).to.equal(200);
    expect(j.json.map((e: { direction: string }) => e.direction)).to.deep.equal(['in', 'out']);
    expect(JSON.stringify(j.json)).to.not.include(MAG.card.pan);
    expect((await call('GET', '/balance/UP-DEBIT-MAG')).json.balance).to.equal(MAG.card.openingBalance - 1200);
    expect((await call('GET', `/balance/${MAG.card.pan}`)).json.alias).to.equal('UP-DEBIT-MAG');
    expect((await call('GET', '/ledger?card=UP-DEBIT-MAG')).json).to.have.length(1);
    expect((await call('GET', '/transactions?terminalId=10000006')).json[0].kind).to.equal('sale');
    expect((await call('GET', `/settlement/10000006/${t.batch}`)).json.domestic.debitAmount).to.equal(1200);
    const state = (await call('GET', '/terminals/10000006')).json;
    expect(state.signedOn).to.equal(true);
    expect(state.keyCheckValues.mak).to.match(/^[0-9A-F]{8}$/);
    const f = await call('POST', '/faults', { match: { mti: '0200' }, action: 'force-response-code', responseCode: '51' });
    expect(f.status).to.equal(201);
    expect((await t.send(t.sale(MAG, 100).msg)).rc).to.equal('51');
    expect((await call('POST', '/faults', { action: 'nope' })).status).to.equal(400);
    await call('POST', '/faults', { action: 'delay', delayMs: 10 });
    expect((await call('GET', '/faults')).json).to.have.length(1);
    expect((await call('DELETE', '/faults')).status).to.equal(200);
    expect((await call('GET', '/faults')).json).to.have.length(0);
    expect((await call('POST', '/reset')).status).to.equal(200);
    expect((await call('GET', '/balance/UP-DEBIT-MAG')).json.balance).to.equal(MAG.card.openingBalance);
    expect((await call('GET', '/journal')).json).to.have.length(0);
    expect((await call('GET', '/balance/NO-SUCH-CARD')).status).to.equal(400);
    expect((await call('GET', '/nothing')).status).to.equal(404);
  });
});
