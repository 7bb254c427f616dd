/**
 * The driver on a noisy or failing link (links' withFaults around the emu: link): TTP recovers
 * from noise (NAK, retransmission, duplicates dropped) so the sale completes once and is charged
 * once; a link that cannot recover, or is cut mid-run, is reported as broken — never as a
 * terminal failure — and the host never books the sale twice.
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import { cardByAlias, terminalCardImage } from '../../host';
import { ByteLink, FaultOptions, FaultStats, LinkDownError, seededRandom, withFaults } from '../../links';
import { TtpChannel, TtpLinkBrokenError } from '../../protocol/ttp';
import { EmulatedLab, startEmulatedLab } from '../../drivers/lab';
import { TerminalDriver, TerminalDriverOptions } from '../../drivers/terminal';
import { TerminalExpectationError, classifyError } from '../../drivers/errors';

const ACK_MS = 60;
const DRIVER: TerminalDriverOptions = {
  ackTimeoutMs: ACK_MS,
  responseTimeoutMs: 3000,
  screenTimeoutMs: 4000,
  recovery: { settleMs: 500, bootMs: 3000, signOnMs: 3000 },
};

describe('driver on a faulty link', () => {
  let lab: EmulatedLab;
  const drivers: TerminalDriver[] = [];

  before(async () => {
    lab = await startEmulatedLab({
      terminals: 1,
      connect: false,
      emulatorTimeouts: { hostResponseMs: 2000, hostConnectMs: 1000, cardMs: 8000, pinMs: 8000, idleMs: 15000 },
      emulator: { ttpAckTimeoutMs: ACK_MS },
    });
  });
  after(async () => {
    for (const d of drivers) await d.close();
    await lab?.stop();
  });

  async function connect(faults: FaultOptions): Promise<{ driver: TerminalDriver; stats: () => FaultStats }> {
    let wrapped: (ByteLink & { stats: FaultStats }) | undefined;
    const driver = await TerminalDriver.connect(lab.terminals[0].url, {
      ...DRIVER,
      wrapLink: (l) => (wrapped = withFaults(l, faults)),
    });
    drivers.push(driver);
    return { driver, stats: () => wrapped!.stats };
  }

  function sales(): Array<{ stan: string; approved: boolean; reversed: boolean; amount: number }> {
    return lab.host.control.transactions({ terminalId: lab.terminals[0].terminalId }).filter((t) => t.kind === 'sale');
  }

  async function saleUntilPin(driver: TerminalDriver, fen: number): Promise<string> {
    const card = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
    await driver.ensureSignedOnIdle();
    await driver.selectMenu('消费');
    await driver.enterAmount(fen);
    await driver.waitForScreen(/请刷卡|插卡/);
    await driver.presentCard(terminalCardImage(card), 'insert');
    await driver.waitForScreen('请输入密码');
    return card.pin!;
  }

  /** One sale on a noisy link; what the host booked and what TTP had to do. */
  async function noisySale(seed: number, fen: number, screenTimeoutMs?: number) {
    const { driver, stats } = await connect({ bitErrorRate: 3e-5, dropRate: 5e-5, random: seededRandom(seed) });
    const balanceBefore = lab.host.control.balance('UP-DEBIT-IC').balance;
    const salesBefore = sales().length;
    try {
      const pin = await saleUntilPin(driver, fen);
      await driver.enterPin(pin);
      await driver.waitForScreen('交易成功', { timeoutMs: screenTimeoutMs });
      const copies = await driver.waitForReceipts(2, { timeoutMs: screenTimeoutMs });
      await driver.removeCard();
      return { driver, copies, noise: stats(), channel: driver.channelStats(), newSales: sales().slice(salesBefore), balanceBefore };
    } finally {
      await driver.close();
    }
  }

  test('noise (bit errors and dropped bytes): the sale completes once and is charged once', async () => {
    const { driver, copies, noise, channel, newSales, balanceBefore } = await noisySale(6, 4321);
    // The noise really hit the link, and TTP really had to recover from it.
    expect(noise.bitsFlipped + noise.bytesDropped).to.be.greaterThan(0);
    expect(channel.naksSent + channel.naksReceived + channel.retransmissions).to.be.greaterThan(0);
    expect(newSales, 'exactly one sale booked').to.have.length(1);
    expect(newSales[0]).to.include({ approved: true, reversed: false, amount: 4321 });
    expect(copies.map((c) => c.copy)).to.deep.equal(['merchant', 'cardholder']);
    expect(copies[0].trace).to.equal(newSales[0].stan);
    const requests = lab.host.control.journal({ terminalId: lab.terminals[0].terminalId, mti: '0200', direction: 'in', stan: newSales[0].stan });
    expect(requests, 'the terminal sent the 0200 once').to.have.length(1);
    expect(lab.host.control.balance('UP-DEBIT-IC').balance).to.equal(balanceBefore - 4321);
    // The recovery is in the evidence.
    expect(driver.transcript().some((e) => e.kind === 'nak')).to.equal(true);
  });

  test('noise too heavy to recover from: a clean broken report, later calls fail fast', async () => {
    const { driver } = await connect({ bitErrorRate: 0.02, random: seededRandom(7) });
    const started = Date.now();
    const err = await driver.hello().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    expect(classifyError(err)).to.equal('broken');
    expect((err as Error).message).to.match(/not acknowledged after 4 transmissions/);
    const again = await driver.currentScreen().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again).to.equal(err);
    expect(Date.now() - started).to.be.lessThan(3000);
    await driver.close();
  });

  test('the link cut during PIN entry: LinkDownError (broken), pending waits end with it, no double charge after recovery', async () => {
    // The fault options object is read on every chunk, so "pull the cable" can be armed mid-run.
    const faults: FaultOptions = {};
    const { driver, stats } = await connect(faults);
    const balanceBefore = lab.host.control.balance('UP-DEBIT-IC').balance;
    const salesBefore = sales().length;
    const pin = await saleUntilPin(driver, 777);
    const waiting = driver.waitForScreen('交易成功', { timeoutMs: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    faults.disconnectAfterBytes = stats().bytesPassed + 20; // inside the PIN key frame
    const err = await driver.enterPin(pin).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the step in progress').to.be.instanceOf(LinkDownError);
    expect(classifyError(err)).to.equal('broken');
    const waitErr = await waiting;
    expect(waitErr, 'a pending wait ends with the link error, not a screen timeout').to.be.instanceOf(LinkDownError);
    expect(waitErr).not.to.be.instanceOf(TerminalExpectationError);
    const next = await driver.pressKeys('CANCEL').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(next).to.be.instanceOf(LinkDownError);

    // The cable is back: the next scenario's Before hook reconnects and recovers.
    delete faults.disconnectAfterBytes;
    await driver.ensureSignedOnIdle();
    expect((await driver.currentScreen()).state).to.equal('idle');
    const booked = sales()
      .slice(salesBefore)
      .filter((s) => s.approved && !s.reversed);
    expect(booked.length, 'at most one charge').to.be.at.most(1);
    expect(lab.host.control.balance('UP-DEBIT-IC').balance).to.equal(balanceBefore - 777 * booked.length);
  });

  // ACK and NAK carry no sequence number: an ACK that arrives after its frame was already
  // retransmitted used to be taken by the sender for its NEXT frame, after which a frame the
  // receiver NAKed was lost and the following one delivered twice (a lost merchant copy, a lost
  // `key` reply). Found by these tests; fixed in protocol/ttp (86a471d). They stay as regressions.
  test('a late ACK is not credited to the next frame (stray-ACK regression)', async () => {
    // Two TtpChannels wired back to back: T (terminal) sends events to H (harness).
    const scheduler = {
      setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now(),
    };
    let heldAck: Buffer | undefined;
    let holdNextAck = true;
    let droppedE2 = false;
    const received: string[] = [];
    const h: TtpChannel = new TtpChannel({
      name: 'H',
      scheduler,
      ackTimeoutMs: 30,
      write: (b) => {
        if (holdNextAck && b.length === 1) {
          holdNextAck = false;
          heldAck = Buffer.from(b);
          setTimeout(() => t.receive(heldAck!), 45);
          return;
        }
        setImmediate(() => t.receive(b));
      },
    });
    const t: TtpChannel = new TtpChannel({
      name: 'T',
      scheduler,
      ackTimeoutMs: 30,
      write: (b) => {
        if (!droppedE2 && b.includes(Buffer.from('"E2"'))) {
          droppedE2 = true;
          return;
        } // E2's first copy is lost on the line
        setImmediate(() => h.receive(b));
      },
    });
    h.on('event', (e) => received.push((e as { lines: string[] }).lines[0]));
    // E1's ACK is late (after T's ACK timeout): T retransmits E1, H ACKs the duplicate, T sends E2,
    // E2 is lost, and then E1's late ACK arrives while E2 is in flight.
    const sent = Promise.all([t.emitEvent({ evt: 'display', lines: ['E1'] }), t.emitEvent({ evt: 'display', lines: ['E2'] })]);
    await sent.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    t.close();
    h.close();
    expect(received, 'both events arrive exactly once').to.deep.equal(['E1', 'E2']);
  });

  test('noise over many seeds: every sale completes once and is charged once', async () => {
    const problems: string[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      try {
        const r = await noisySale(seed, 100 + seed, 1500);
        const charged = r.balanceBefore - lab.host.control.balance('UP-DEBIT-IC').balance;
        if (r.newSales.length !== 1 || r.copies.length < 2 || charged !== 100 + seed) {
          problems.push(`seed ${seed}: ${r.newSales.length} sales, ${r.copies.length} copies, charged ${charged} fen`);
        }
      } catch (e) {
        problems.push(`seed ${seed}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
