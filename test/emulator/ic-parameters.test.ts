/**
 * The emulated terminal's IC parameter and public-key downloads (cup8583.md §3.5) against the real
 * reference host with the scenarios' lists: a fresh terminal signs on, loads every AID and CAPK
 * (query, items, end, no MAC) and only then reads chips; a reply's digit 4 / 5 supersedes the lists,
 * and when the download is refused a chip read is refused (IC卡参数未下载, nothing sent) until the
 * lists are in again; the defect chip-read-without-ic-params reads the chip anyway. A profile that
 * uses superseded lists until replaced (tc-upload) reads the chip on its previous lists, after trying
 * the download again.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { loadHostConfig } from '../../host';
import { EmulatorBench, runSale, testHostConfig, toIdle, waitForHost, type TtpTestClient } from './harness';

class IcBench extends EmulatorBench {
  override readonly config = { ...testHostConfig(), icParameters: loadHostConfig().icParameters };
}

const IC_LISTS = loadHostConfig().icParameters;

/** 60.3 of the terminal's network-management requests, in order. */
function managementCodes(bench: EmulatorBench, terminalId: string): string[] {
  return bench.host.control
    .journal({ terminalId, direction: 'in' })
    .filter((j) => j.mti === '0800' || j.mti === '0820')
    .map((j) => `${j.mti}/${j.fields['60']?.slice(-3)}`);
}

async function swipeSale(bench: EmulatorBench, client: TtpTestClient): Promise<void> {
  const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
  await client.waitScreen('交易成功', m);
  await toIdle(client);
}

describe('emulated terminal: IC parameter and public-key download (§3.5)', () => {
  const bench = new IcBench(40);
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('a fresh terminal signs on, then loads every CAPK and AID (query, items, end; no MAC), then reads chips', async () => {
    const t = await bench.terminal();
    try {
      const codes = managementCodes(bench, t.terminalId);
      const capks = IC_LISTS.capks.length;
      const aids = IC_LISTS.aids.length;
      expect(codes).to.deep.equal([
        '0800/004',
        '0820/372',
        ...Array(capks).fill('0800/370'),
        '0800/371',
        '0820/382',
        ...Array(aids).fill('0800/380'),
        '0800/381',
        '0800/360', // the 360 parameters the sign-on reply asked for (digit 1), at boot after the sign-on
      ]);
      const requests = bench.host.control.journal({ terminalId: t.terminalId, direction: 'in' });
      const replies = bench.host.control.journal({ terminalId: t.terminalId, direction: 'out' });
      expect(requests.filter((j) => j.fields['64'] !== undefined).map((j) => j.fields['60'])).to.deep.equal([]);
      expect(replies.map((j) => j.responseCode)).to.deep.equal(Array(replies.length).fill('00'));
      const view = bench.host.control.terminalState(t.terminalId).icParameters;
      expect(view.capk.loaded).to.equal(IC_LISTS.capkVersion);
      expect(view.aid.loaded).to.equal(IC_LISTS.aidVersion);
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.icParameters.aids.map((a: { aid: string }) => a.aid)).to.deep.equal(IC_LISTS.aids.map((a) => a.aid));
      expect(saved.icParameters.capks.map((k: { index: string }) => k.index)).to.deep.equal(IC_LISTS.capks.map((k) => k.index));
      const m = await runSale(t.client, { amountKeys: ['2', '0', '0'], method: 'insert', card: bench.card('IC') });
      await t.client.waitScreen('交易成功', m);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('digit 4 / 5 supersedes the lists: a refused download leaves chip reads refused until the lists are in again', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      bench.host.control.requestIcDownload(terminalId);
      bench.host.control.injectFault({ match: { mti: '0820', terminalId }, action: 'force-response-code', responseCode: '96', count: 20 });
      // The sale's reply carries 4: the terminal drops its keys and tries the download, which is refused.
      await swipeSale(bench, client);
      await waitForHost(bench.host, terminalId, '0820', 3);
      const sales = () => bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' }).length;
      const before = sales();
      let m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('3', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡/插卡/挥卡', m);
      m = client.mark();
      await client.present('insert', bench.card('IC'));
      await client.waitScreen('IC卡参数未下载', m);
      expect(client.displays(m).some((d) => d.lines.join('').includes('请输入密码'))).to.equal(false);
      await toIdle(client);
      expect(sales()).to.equal(before);
      // The host lets it download again: the next transaction's end brings the lists back, and chips are read.
      bench.host.control.clearFaults();
      await swipeSale(bench, client);
      m = await runSale(client, { amountKeys: ['4', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      expect(bench.host.control.terminalState(terminalId).icParameters.aid.loaded).to.equal(IC_LISTS.aidVersion);
    } finally {
      await bench.dispose(t);
    }
  });

  test('supersededIcLists used-until-replaced (profile tc-upload): the download is tried again before the chip read, then the sale goes online on the previous lists', async () => {
    const t = await bench.terminal({ profile: 'tc-upload' });
    try {
      const { client, terminalId } = t;
      bench.host.control.requestIcDownload(terminalId);
      bench.host.control.injectFault({ match: { mti: '0820', terminalId }, action: 'force-response-code', responseCode: '96', count: 20 });
      await swipeSale(bench, client);
      await waitForHost(bench.host, terminalId, '0820', 3);
      const queriesBefore = bench.host.control.journal({ terminalId, mti: '0820', direction: 'in' }).length;
      const m = await runSale(client, { amountKeys: ['6', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      const rows = bench.host.control.journal({ terminalId, direction: 'in' });
      const sale = rows.filter((j) => j.mti === '0200').pop()!;
      expect(sale.fields['22']?.slice(0, 2), 'a chip sale').to.equal('05');
      expect(rows.filter((j) => j.mti === '0820' && j.id < sale.id).length, 'a query tried again before the chip sale').to.be.greaterThan(
        queriesBefore,
      );
      // The previous lists stay stored while the new ones are refused.
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.icParameters.aids.map((a: { aid: string }) => a.aid)).to.deep.equal(IC_LISTS.aids.map((a) => a.aid));
      bench.host.control.clearFaults();
      await swipeSale(bench, client);
      expect(bench.host.control.terminalState(terminalId).icParameters.aid.loaded).to.equal(IC_LISTS.aidVersion);
    } finally {
      bench.host.control.clearFaults();
      await bench.dispose(t);
    }
  });

  test('defect chip-read-without-ic-params: the chip is read and sent online without the lists', async () => {
    const t = await bench.terminal({ defects: ['chip-read-without-ic-params'] });
    try {
      const { client, terminalId } = t;
      bench.host.control.requestIcDownload(terminalId);
      bench.host.control.injectFault({ match: { mti: '0820', terminalId }, action: 'force-response-code', responseCode: '96', count: 20 });
      await swipeSale(bench, client);
      const m = await runSale(client, { amountKeys: ['5', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' }).length).to.equal(2);
    } finally {
      bench.host.control.clearFaults();
      await bench.dispose(t);
    }
  });
});
