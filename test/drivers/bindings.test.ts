/**
 * Card and PIN bindings of a lab terminal: a separate card-simulator device (its own link,
 * speaking the TTP `card` command) and operator mode (the console asks a person).
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { cardByAlias, terminalCardImage } from '../../host';
import { listenLink, ByteLink } from '../../links';
import { TtpChannel, TtpRequest } from '../../protocol/ttp';
import { EmulatedLab, startEmulatedLab } from '../../drivers/lab';
import { TerminalDriver } from '../../drivers/terminal';

const scheduler = {
  setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

describe('card and PIN bindings', () => {
  let lab: EmulatedLab;
  before(async () => {
    lab = await startEmulatedLab({
      terminals: 1,
      connect: false,
      emulatorTimeouts: { hostResponseMs: 2000, cardMs: 5000, pinMs: 5000, idleMs: 10000 },
    });
  });
  after(async () => {
    await lab?.stop();
  });

  test('card: {device: URL} sends card commands to the card simulator, not to the terminal', async () => {
    // A card-simulator adapter on its own endpoint: answers the TTP `card` command.
    const listener = await listenLink('emu:card-sim-test');
    const seen: TtpRequest[] = [];
    const channels: TtpChannel[] = [];
    listener.on('connection', (link: ByteLink) => {
      const ch = new TtpChannel({ name: 'card-sim', scheduler, write: (b) => link.write(b) });
      channels.push(ch);
      link.on('data', (b) => ch.receive(b));
      ch.on('request', (req) => {
        seen.push(req);
        void ch.reply(req);
      });
    });
    const driver = await TerminalDriver.connect(lab.terminals[0].url, { card: { device: 'emu:card-sim-test' }, responseTimeoutMs: 2000 });
    try {
      expect(driver.cardBinding).to.equal('device');
      const card = terminalCardImage(cardByAlias(lab.hostConfig, 'UP-DEBIT-CTLS'));
      await driver.presentCard(card, 'tap');
      await driver.removeCard();
      expect(seen.map((r) => [r.cmd, (r as { action?: string }).action, (r as { method?: string }).method])).to.deep.equal([
        ['card', 'present', 'tap'],
        ['card', 'remove', undefined],
      ]);
      expect((seen[0] as { card?: { pan: string } }).card?.pan).to.equal(card.pan);
      const toTerminal = driver.transcript().filter((e) => e.kind === 'frame' && (e.message as { cmd?: string }).cmd === 'card');
      expect(toTerminal, 'the terminal link carried no card command').to.have.length(0);
    } finally {
      await driver.close();
      for (const ch of channels) ch.close();
      await listener.close();
    }
  });

  test('operator mode: the console asks for the card and the PIN, nothing is injected over TTP', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { isTTY: true });
    let shown = '';
    output.on('data', (d) => {
      shown += d;
      // The "person" confirms each request on the console.
      if (String(d).includes('press Enter here')) setTimeout(() => input.write('\n'), 5);
    });
    const driver = await TerminalDriver.connect(lab.terminals[0].url, {
      card: 'operator',
      pin: 'operator',
      operator: { input, output, timeoutMs: 2000 },
      responseTimeoutMs: 2000,
      screenTimeoutMs: 2000,
    });
    try {
      expect([driver.cardBinding, driver.pinBinding]).to.deep.equal(['operator', 'operator']);
      await driver.ensureSignedOnIdle();
      await driver.selectMenu('消费');
      await driver.enterAmount(100);
      await driver.waitForScreen(/请刷卡|插卡/);
      const c = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
      await driver.presentCard(terminalCardImage(c), 'insert');
      expect(shown).to.include('OPERATOR: Insert card UP-DEBIT-IC into the chip reader.');
      await driver.enterPin(c.pin!);
      expect(shown).to.include('OPERATOR: Type the PIN on the PIN pad, then press ENTER (确认).');
      expect(shown).to.include(`PIN to type: ${c.pin}`);
      const frames = driver
        .transcript()
        .filter((e) => e.kind === 'frame' && e.dir === 'tx')
        .map((e) => e.message as { cmd: string; keys?: string[] });
      expect(
        frames.some((m) => m.cmd === 'card'),
        'no card command',
      ).to.equal(false);
      expect(
        frames
          .filter((m) => m.cmd === 'key')
          .flatMap((m) => m.keys ?? [])
          .join(''),
        'no PIN keys injected',
      ).not.to.include(c.pin!);
      await driver.pressKeys('CANCEL');
    } finally {
      await driver.close();
    }
  });
});
