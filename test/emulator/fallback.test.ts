/**
 * The emulated terminal's magstripe fallback (磁条降级) against the real reference host: a card whose
 * chip does not answer (TTP card image chipFault: mute) is asked to be swiped (降级交易 请刷卡) and that
 * swipe goes online as a fallback (F22 80x, 60.5 = 2, track 2, no F55); a chip card swiped first, or
 * after a failed tap only, is sent to the chip (请插入IC卡) with nothing sent; the host's per-card
 * policy declines the fallback with 45, shown as 请使用芯片; a bad chipFault is a bad-request.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import type { CardConfig } from '../../host';
import { cardImageProblem } from '../../emulator/ttp/card-keys';
import { EmulatorBench, toIdle, waitForHost, type TtpTestClient } from './harness';

const bench = new EmulatorBench(1);

/** Menu 1 (消费) with an amount, up to the card prompt; returns the mark taken before. */
async function toCardPrompt(client: TtpTestClient, amountKeys: string[]): Promise<number> {
  const m = client.mark();
  await client.keys('1');
  await client.waitScreen('请输入金额', m);
  await client.keys(...amountKeys, 'ENTER');
  await client.waitScreen('请刷卡/插卡/挥卡', m);
  return client.mark();
}

/** Insert the IC card with a mute chip, see the fallback prompt, take it out, swipe it, type the PIN. */
async function fallbackSale(client: TtpTestClient, amountKeys: string[]): Promise<number> {
  const m = await toCardPrompt(client, amountKeys);
  await client.present('insert', { ...bench.card('IC'), chipFault: 'mute' });
  const prompt = await client.waitScreen('降级交易 请刷卡', m);
  expect(prompt.lines).to.include('IC卡读卡失败');
  await client.cmd({ cmd: 'card', action: 'remove' });
  await client.present('swipe', bench.card('IC'));
  await client.waitScreen('请输入密码', m);
  await client.keys(...'123456'.split(''), 'ENTER');
  return m;
}

const requests = (terminalId: string) => bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });

describe('emulated terminal: magstripe fallback (磁条降级)', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('a chip that does not answer: 降级交易 请刷卡, and the swipe goes online as a fallback (F22 801, 60.5 = 2, no F55)', async () => {
    const t = await bench.terminal();
    try {
      const m = await fallbackSale(t.client, ['6', '6', '0', '0']);
      await waitForHost(bench.host, t.terminalId, '0200', 1);
      await t.client.waitScreen('交易成功', m);
      const [request] = requests(t.terminalId);
      expect(request.fields['22']).to.equal('801');
      expect(String(request.fields['60']).slice(11, 13), '60.4 + 60.5').to.equal('52');
      expect(request.fields['35']).to.not.equal(undefined);
      expect(request.fields['55']).to.equal(undefined);
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('00');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('a chip card swiped first is sent to the chip (请插入IC卡), nothing is sent; inserted, it is read by its chip', async () => {
    const t = await bench.terminal();
    try {
      const m = await toCardPrompt(t.client, ['1', '0', '0']);
      await t.client.present('swipe', bench.card('IC'));
      await t.client.waitScreen('请插入IC卡', m);
      expect(requests(t.terminalId)).to.have.length(0);
      await t.client.present('insert', bench.card('IC'));
      await t.client.waitScreen('请输入密码', m);
      await t.client.keys(...'123456'.split(''), 'ENTER');
      await waitForHost(bench.host, t.terminalId, '0200', 1);
      expect(requests(t.terminalId)[0].fields['22']).to.equal('051');
      await t.client.waitScreen('交易成功', m);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('a failed tap is no ground for fallback: it asks for the chip, and a swipe after it is refused', async () => {
    const t = await bench.terminal();
    try {
      const m = await toCardPrompt(t.client, ['1', '0', '0']);
      await t.client.present('tap', { ...bench.card('IC'), chipFault: 'mute' });
      await t.client.waitScreen('请插入IC卡', m);
      const again = t.client.mark();
      await t.client.present('swipe', bench.card('IC'));
      await t.client.waitScreen('请插入IC卡', again);
      expect(t.client.displays(m).some((d) => d.lines.includes('降级交易 请刷卡'))).to.equal(false);
      expect(requests(t.terminalId)).to.have.length(0);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('an issuer that declines fallback answers 45; the terminal shows 请使用芯片 and prints nothing', async () => {
    const ic = bench.config.cards.find((c) => c.alias === 'IC') as CardConfig;
    ic.fallback = 'decline';
    const t = await bench.terminal();
    try {
      const m = await fallbackSale(t.client, ['1', '0', '0']);
      await waitForHost(bench.host, t.terminalId, '0200', 1);
      await t.client.waitScreen('请使用芯片', m);
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('45');
      expect(t.client.prints(m)).to.have.length(0);
      await toIdle(t.client);
    } finally {
      delete ic.fallback;
      await bench.dispose(t);
    }
  });

  test('a card image whose chipFault is not "mute" is a bad request', () => {
    expect(cardImageProblem({ ...bench.card('IC'), chipFault: 'dead' })).to.match(/chipFault must be "mute"/);
    expect(cardImageProblem({ ...bench.card('IC'), chipFault: 'mute' })).to.equal(undefined);
  });
});
