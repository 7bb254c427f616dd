/**
 * The emulated terminal's card blacklist (390 / 391) and contactless parameter (394 / 395)
 * downloads against the real reference host: the sign-on reply's digit 7 / 9 makes a fresh
 * terminal load both (no MAC); a blacklisted card is refused at the card reader (受限制的卡, nothing
 * sent) and the state file keeps no clear card number; the downloaded QuickPass limits replace the
 * profile's, and a lowered limit (control.setContactlessParameters, digit 9 on the next reply) is
 * followed: a tap over it asks for the PIN. The defects blacklist-not-checked and
 * contactless-params-not-applied do neither.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { terminalLists } from '../../host/config';
import { EmulatorBench, runSale, testHostConfig, toIdle, type TtpTestClient } from './harness';

const SHIPPED = { noPinEnabled: true, noPinLimitFen: 100000, noSignatureEnabled: true, noSignatureLimitFen: 100000 };
const LOWERED = { noPinEnabled: true, noPinLimitFen: 100, noSignatureEnabled: true, noSignatureLimitFen: 100 };

class ListsBench extends EmulatorBench {
  override readonly config = (() => {
    const c = testHostConfig();
    const low = c.cards.find((x) => x.alias === 'LOW')!;
    return { ...c, terminalLists: terminalLists([{ pan: low.pan, card: 'LOW' }], SHIPPED) };
  })();
}

/** 60.3 of the terminal's network-management requests, in order. */
function managementCodes(bench: EmulatorBench, terminalId: string): string[] {
  return bench.host.control
    .journal({ terminalId, direction: 'in' })
    .filter((j) => j.mti === '0800' || j.mti === '0820')
    .map((j) => `${j.mti}/${j.fields['60']?.slice(-3)}`);
}

/** 消费 of 2.00 by tap: true when the terminal asked for the PIN (answered), false when it went on without. */
async function tapSale(bench: EmulatorBench, client: TtpTestClient): Promise<boolean> {
  let m = client.mark();
  await client.keys('1');
  await client.waitScreen('请输入金额', m);
  await client.keys('2', '0', '0', 'ENTER');
  await client.waitScreen('请刷卡/插卡/挥卡', m);
  m = client.mark();
  await client.present('tap', bench.card('IC'));
  const shown = await client.waitScreen(/请输入密码|交易成功/, m);
  const asked = shown.lines.join('').includes('请输入密码');
  if (asked) await client.keys(...'123456'.split(''), 'ENTER');
  await client.waitScreen('交易成功', m);
  await toIdle(client);
  return asked;
}

describe('emulated terminal: card blacklist and contactless parameter downloads (390 / 394)', () => {
  const bench = new ListsBench(1);
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('a fresh terminal loads both at sign-on; a blacklisted card is refused at the terminal, nothing sent, no clear card number kept', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      const codes = managementCodes(bench, terminalId);
      for (const c of ['0800/390', '0800/391', '0800/394', '0800/395']) expect(codes, c).to.include(c);
      expect(codes.indexOf('0800/391')).to.be.greaterThan(codes.lastIndexOf('0800/390'));
      expect(codes.indexOf('0800/395')).to.be.greaterThan(codes.indexOf('0800/394'));
      const requests = bench.host.control.journal({ terminalId, direction: 'in' });
      expect(requests.filter((j) => ['390', '391', '394', '395'].includes(j.fields['60']?.slice(-3) ?? '') && j.fields['64'])).to.deep.equal([]);
      const view = bench.host.control.terminalState(terminalId).terminalLists;
      expect(view.blacklist.loaded).to.equal(view.blacklist.current);
      expect(view.contactless.loaded).to.equal(view.contactless.current);
      const pan = bench.config.cards.find((c) => c.alias === 'LOW')!.pan;
      const saved = fs.readFileSync(t.statePath, 'utf8');
      expect(saved).to.not.include(pan);
      expect(JSON.parse(saved).terminalLists.contactless).to.deep.equal(SHIPPED);

      const sales = () => bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' }).length;
      const before = sales();
      let m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('5', '0', 'ENTER');
      await client.waitScreen('请刷卡/插卡/挥卡', m);
      m = client.mark();
      await client.present('swipe', bench.card('LOW'));
      await client.waitScreen('受限制的卡', m);
      expect(client.displays(m).some((d) => d.lines.join('').includes('请输入密码'))).to.equal(false);
      await toIdle(client);
      expect(sales()).to.equal(before);
    } finally {
      await bench.dispose(t);
    }
  });

  test('defect blacklist-not-checked: the listed card is read and sent online', async () => {
    const t = await bench.terminal({ defects: ['blacklist-not-checked'] });
    try {
      const m = await runSale(t.client, { amountKeys: ['5', '0'], method: 'swipe', card: bench.card('LOW') });
      await t.client.waitScreen('交易成功', m);
      await toIdle(t.client);
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' })).to.have.length(1);
    } finally {
      await bench.dispose(t);
    }
  });

  test('the downloaded limits are applied; a lowered limit is downloaded after the next reply asks (digit 9) and followed', async () => {
    const t = await bench.terminal();
    try {
      expect(await tapSale(bench, t.client), 'PIN asked for 2.00 under the 1000.00 limit').to.equal(false);
      bench.host.control.setContactlessParameters(LOWERED);
      // The next reply carries digit 9: the terminal downloads the new parameters after that transaction.
      const m = await runSale(t.client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitScreen('交易成功', m);
      await toIdle(t.client);
      expect(bench.host.control.terminalState(t.terminalId).terminalLists.contactless.loaded).to.equal(
        bench.host.control.terminalState(t.terminalId).terminalLists.contactless.current,
      );
      expect(await tapSale(bench, t.client), 'no PIN asked for 2.00 over the lowered 1.00 limit').to.equal(true);
    } finally {
      bench.host.control.setContactlessParameters(undefined);
      await bench.dispose(t);
    }
  });

  test('defect contactless-params-not-applied: the shipped limit stays in force after the download', async () => {
    bench.host.control.setContactlessParameters(LOWERED);
    const t = await bench.terminal({ defects: ['contactless-params-not-applied'] });
    try {
      expect(JSON.parse(fs.readFileSync(t.statePath, 'utf8')).terminalLists.contactless).to.deep.equal(LOWERED);
      expect(await tapSale(bench, t.client)).to.equal(false);
    } finally {
      bench.host.control.setContactlessParameters(undefined);
      await bench.dispose(t);
    }
  });
});
