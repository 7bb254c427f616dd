/**
 * The emulator's 批上送 of IC records (emulator/flows/settlement.ts, cup8583.md §3.10) against the
 * real reference host over a socat PTY: after an unbalanced settlement the chip sale goes up as a TC
 * record (205, the card's TC with 9F27 40, F62 61…) and the sale the card declined at its second
 * GENERATE AC as a failed-IC record (206, AAC, F62 71…), both matched by the host; a power cut in
 * the middle of the upload is resumed at the next settlement without resending acknowledged records.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { EmulatorBench, runSale, toIdle, waitForHost } from './harness';
import type { TtpTestClient } from './harness';
import type { TtpDisplayEvent } from '../../protocol/ttp';

const bench = new EmulatorBench(1);

const netCode = (f60: unknown) => String(f60).slice(8, 11);
const tag = (f55: unknown, t: string) =>
  String(f55)
    .split(/\s+/)
    .find((p) => p.startsWith(`${t}=`))
    ?.slice(t.length + 1);

async function approvedSale(client: TtpTestClient, keys: string[]): Promise<void> {
  const m = await runSale(client, { amountKeys: keys, method: 'insert', card: bench.card('IC') });
  await client.waitScreen('交易成功', m);
  await toIdle(client);
}

/** An IC sale the host approves but answers with a corrupted ARPC: the card declines it (AAC) and the terminal reverses it. */
async function cardDeclinedSale(client: TtpTestClient, terminalId: string, keys: string[]): Promise<void> {
  bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-arpc' });
  const m = await runSale(client, { amountKeys: keys, method: 'insert', card: bench.card('IC') });
  await client.waitScreen('发卡行认证失败', m);
  await toIdle(client);
}

async function startSettlement(client: TtpTestClient): Promise<number> {
  const m = client.mark();
  await client.keys('7');
  await client.waitScreen('确认结算', m);
  await client.keys('ENTER');
  return m;
}

describe('emulator: IC records of the batch upload', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('unbalanced: TC record 205 and failed-IC record 206, both matched by the host, end 202 with the count', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      await approvedSale(client, ['8', '8', '0', '0']);
      await cardDeclinedSale(client, terminalId, ['3', '3', '0', '0']);
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.failedIc).to.have.length(1);
      expect(saved.pendingReversal).to.include({ reason: '06' });
      // The acquirer refuses the reversal and keeps the sale: the totals differ.
      bench.host.control.injectFault({ match: { terminalId, mti: '0400' }, action: 'force-response-code', responseCode: '96' });
      const m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      await waitForHost(bench.host, terminalId, '0320', 3);
      const uploads = bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' });
      expect(uploads.map((u) => netCode(u.fields['60']))).to.deep.equal(['205', '206', '202']);
      const [tc, failed, end] = uploads;
      expect(tag(tc.fields['55'], '9F27')).to.equal('40');
      expect(tc.fields['62']).to.equal(
        Buffer.from('6100' + '00' + '000000008800' + '156', 'ascii')
          .toString('hex')
          .toUpperCase(),
      );
      expect(tc.note).to.match(/TC record \(60\.3 205\) matched to sale/);
      expect(tag(failed.fields['55'], '9F27')).to.equal('00');
      expect(failed.note).to.match(
        /failed-IC record \(card declined, AAC\) \(60\.3 206\) matched to sale STAN \d{6} batch \d{6} \(\S+, 33\.00, ATC \w+\)/,
      );
      expect(failed.fields['62']).to.equal(
        Buffer.from('7100' + '11' + '000000003300' + '156' + '10', 'ascii')
          .toString('hex')
          .toUpperCase(),
      );
      expect(end.fields['48']).to.equal('0002');
      expect(end.note).to.match(/counts agree/);
      const sale = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0];
      expect(tag(tc.fields['55'], '9F26'), 'the TC is not the ARQC of the request').to.not.equal(tag(sale.fields['55'], '9F26'));
      expect(tag(tc.fields['55'], '9F36')).to.equal(tag(sale.fields['55'], '9F36'));
      expect(JSON.parse(fs.readFileSync(t.statePath, 'utf8')).batchUpload).to.equal(undefined);
    } finally {
      await bench.dispose(t);
    }
  });

  test('a settlement the acquirer refuses (0510 F39 96) ends on 结算失败 whose outcome names that F39 (TTP §7.6)', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      await approvedSale(client, ['1', '2', '0', '0']);
      bench.host.control.injectFault({ match: { terminalId, mti: '0500' }, action: 'force-response-code', responseCode: '96', count: 1 });
      const m = await startSettlement(client);
      const failed = (await client.waitFor(
        (e) => e.evt === 'display' && (e as TtpDisplayEvent).screen === 'settle-failed',
        m,
        10000,
        'settle-failed screen',
      )) as TtpDisplayEvent;
      expect(failed.outcome).to.deep.include({ result: 'failed', responseCode: '96', transaction: 'settle' });
      await toIdle(client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('power cut during the upload: the next settlement resumes with the record in flight, no 0500 again, no acknowledged record resent', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      await approvedSale(client, ['2', '1', '0', '0']);
      await approvedSale(client, ['2', '2', '0', '0']);
      await cardDeclinedSale(client, terminalId, ['2', '3', '0', '0']);
      bench.host.control.injectFault({ match: { terminalId, mti: '0400' }, action: 'force-response-code', responseCode: '96' });
      // The first record answered, the second held until the power is gone.
      bench.host.control.injectFault({ match: { terminalId, mti: '0320' }, action: 'delay', delayMs: 5, count: 1 });
      bench.host.control.injectFault({ match: { terminalId, mti: '0320' }, action: 'no-response', count: 1 });
      await startSettlement(client);
      await waitForHost(bench.host, terminalId, '0320', 2);
      await client.cmd({ cmd: 'power', action: 'cut' });
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.batchUpload).to.deep.include({ count: 1 });
      expect(saved.batchUpload.sent).to.have.length(1);
      let m = client.mark();
      await client.cmd({ cmd: 'power', action: 'on' });
      await client.waitState('idle', m);
      m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      await waitForHost(bench.host, terminalId, '0320', 5);
      expect(bench.host.control.journal({ terminalId, mti: '0500', direction: 'in' })).to.have.length(1);
      const uploads = bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' });
      expect(uploads.map((u) => netCode(u.fields['60']))).to.deep.equal(['205', '205', '205', '206', '202']);
      expect(uploads[2].note).to.match(/^duplicate TC record/);
      expect(uploads[4].fields['48']).to.equal('0003');
      expect(uploads[4].note).to.match(/host received 3 \(\+ 1 duplicate\(s\) tolerated, not counted\): counts agree/);
    } finally {
      await bench.dispose(t);
    }
  });
});
