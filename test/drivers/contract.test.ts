/**
 * Driver contract suite: the SAME tests run against the emulated terminal over every link kind —
 *   (a) emu:      in-process
 *   (b) serial:   a socat PTY pair, both ends opened with serialport
 *   (c) tcp://    Debian ser2net (raw accepter) in front of a PTY
 *   (d) rfc2217:// the same ser2net's telnet(rfc2217) accepter
 * with a real reference host on TCP. A missing socat/ser2net skips that kind and says why.
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { cardByAlias, terminalCardImage } from '../../host';
import { EmulatedLab, startEmulatedLab } from '../../drivers/lab';
import { TerminalDriver } from '../../drivers/terminal';
import { TerminalExpectationError, classifyError } from '../../drivers/errors';
import { LinkDownError } from '../../links';
import { makeTempDir, missingBinaries, Ser2netInstance, startSer2net, startSocatPty } from './support/lab-processes';

const EMULATOR_TIMEOUTS = { hostResponseMs: 2000, hostConnectMs: 1000, cardMs: 5000, pinMs: 5000, idleMs: 10000 };
const DRIVER = { responseTimeoutMs: 3000, screenTimeoutMs: 3000, recovery: { settleMs: 500, bootMs: 3000, signOnMs: 3000 } };

interface LinkKind {
  name: string;
  needs: string[];
  /** Starts processes, returns lab options for the links and a stop function. */
  setup(dir: string): Promise<{ terminalLink: string; harnessUrl: string; stop(): Promise<void>; cut?(): Promise<void>; what?: string }>;
}

const KINDS: LinkKind[] = [
  {
    name: '(a) emu: in-process',
    needs: [],
    async setup() {
      const name = `contract-${process.pid}`;
      return { terminalLink: `emu:${name}`, harnessUrl: `emu:${name}`, stop: async () => undefined };
    },
  },
  {
    name: '(b) serial: socat PTY pair opened with serialport',
    needs: ['socat'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      return {
        terminalLink: `serial:${pty.b}`,
        harnessUrl: `serial:${pty.a}?baud=115200`,
        stop: () => pty.stop(),
        cut: () => pty.stop(),
        what: 'socat (the PTY pair)',
      };
    },
  },
  {
    name: '(c) tcp:// ser2net raw accepter in front of a PTY',
    needs: ['socat', 'ser2net'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      let s2n: Ser2netInstance;
      try {
        s2n = await startSer2net(dir, pty.b);
      } catch (e) {
        await pty.stop();
        throw e;
      }
      return {
        terminalLink: `serial:${pty.a}`,
        harnessUrl: `tcp://127.0.0.1:${s2n.rawPort}`,
        stop: async () => {
          await s2n.stop();
          await pty.stop();
        },
        cut: () => s2n.stop(),
        what: 'ser2net',
      };
    },
  },
  {
    name: '(d) rfc2217:// ser2net telnet(rfc2217) accepter in front of a PTY',
    needs: ['socat', 'ser2net'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      let s2n: Ser2netInstance;
      try {
        s2n = await startSer2net(dir, pty.b);
      } catch (e) {
        await pty.stop();
        throw e;
      }
      return {
        terminalLink: `serial:${pty.a}`,
        harnessUrl: `rfc2217://127.0.0.1:${s2n.telnetPort}?baud=115200&parity=none&databits=8&stopbits=1`,
        stop: async () => {
          await s2n.stop();
          await pty.stop();
        },
        cut: () => s2n.stop(),
        what: 'ser2net',
      };
    },
  },
];

/** A sale through the driver, as the Gherkin steps do it. Returns the STAN printed on the voucher. */
async function saleByInsert(lab: EmulatedLab, driver: TerminalDriver, fen: number): Promise<{ trace: string | undefined }> {
  const card = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
  await driver.selectMenu('消费');
  await driver.waitForScreen('请输入金额');
  await driver.enterAmount(fen);
  await driver.waitForScreen(/请刷卡|插卡/);
  await driver.presentCard(terminalCardImage(card), 'insert');
  await driver.waitForScreen('请输入密码');
  await driver.enterPin(card.pin!);
  await driver.waitForScreen('交易成功');
  const copies = await driver.waitForReceipts(2);
  await driver.removeCard();
  return { trace: copies[0].trace };
}

for (const kind of KINDS) {
  const skip = missingBinaries(kind.needs);
  describe(`driver contract over ${kind.name}`, { skip }, () => {
    let dir: string;
    let stopLinks: () => Promise<void> = async () => undefined;
    let lab: EmulatedLab;
    let driver: TerminalDriver;
    let cut: (() => Promise<void>) | undefined;
    let what = '';

    before(async () => {
      dir = makeTempDir('contract');
      const l = await kind.setup(dir);
      stopLinks = l.stop;
      cut = l.cut;
      what = l.what ?? '';
      lab = await startEmulatedLab({
        terminals: 1,
        terminalLinks: [l.terminalLink],
        harnessUrls: [l.harnessUrl],
        stateDir: dir,
        emulatorTimeouts: EMULATOR_TIMEOUTS,
        driver: DRIVER,
      });
      driver = lab.terminals[0].driver;
    });

    after(async () => {
      await lab?.stop();
      await stopLinks();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('hello: identity, firmware, TTP version and capabilities', async () => {
      const id = await driver.hello();
      expect(id.vendor).to.equal('poscert');
      expect(id.ttp).to.match(/^1\./);
      expect(id.serialNumber).to.be.a('string').and.not.empty;
      expect(id.firmwareVersion).to.be.a('string').and.not.empty;
      expect(id.capabilities).to.include({ magstripe: true, contact: true, contactless: true, printer: true, pinpad: true });
      expect(driver.terminalIdentity).to.deep.equal(id);
    });

    test('ensureSignedOnIdle: signed-on idle', async () => {
      await driver.ensureSignedOnIdle();
      const s = await driver.currentScreen();
      expect(s.state).to.equal('idle');
      expect(s.lines.join(' ')).to.include('欢迎使用');
    });

    test('a sale end to end through the driver; the host saw it once', async () => {
      await driver.ensureSignedOnIdle();
      const before = lab.host.control.balance('UP-DEBIT-IC').balance;
      const { trace } = await saleByInsert(lab, driver, 1234);
      expect(trace).to.match(/^\d{6}$/);
      const copies = driver.receipts();
      expect(copies.map((c) => c.copy)).to.deep.equal(['merchant', 'cardholder']);
      expect(copies[0].lines.join('\n')).to.include('12.34');
      const requests = lab.host.control.journal({ terminalId: lab.terminals[0].terminalId, mti: '0200', direction: 'in', stan: trace });
      expect(requests).to.have.length(1);
      expect(requests[0].amount).to.equal(1234);
      const sales = lab.host.control.transactions({ terminalId: lab.terminals[0].terminalId }).filter((t) => t.stan === trace);
      expect(sales).to.have.length(1);
      expect(sales[0]).to.include({ approved: true, reversed: false, amount: 1234 });
      expect(lab.host.control.balance('UP-DEBIT-IC').balance).to.equal(before - 1234);
    });

    test('缴费 (bill payment) with a Chinese payee name typed as text: payee confirmed, on the voucher and at the host', async () => {
      await driver.ensureSignedOnIdle();
      const card = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
      await driver.selectMenu('缴费');
      await driver.waitForScreen('请输入金额');
      await driver.enterAmount(8800);
      await driver.waitForScreen('请输入收款方名称');
      await driver.enterText('上海市电力公司');
      await driver.waitForScreen('请输入收款方账号');
      await driver.enterText('31001234567890');
      const confirm = await driver.waitForScreen('请确认缴费信息');
      expect(confirm.lines.join('\n')).to.include('上海市电力公司');
      await driver.pressKeys('ENTER');
      await driver.waitForScreen(/请刷卡|插卡/);
      await driver.presentCard(terminalCardImage(card), 'insert');
      await driver.waitForScreen('请输入密码');
      await driver.enterPin(card.pin!);
      await driver.waitForScreen('交易成功');
      const copies = await driver.waitForReceipts(2);
      await driver.removeCard();
      expect(copies[0].lines.join('\n')).to.include('上海市电力公司');
      const booked = lab.host.control.transactions({ terminalId: lab.terminals[0].terminalId }).filter((t) => t.stan === copies[0].trace);
      expect(booked).to.have.length(1);
      expect(booked[0].payee).to.deep.include({ name: '上海市电力公司', account: '31001234567890' });
    });

    test('the transcript has every frame with timestamps and no PAN or PIN', async () => {
      const entries = driver.transcript();
      expect(entries.length).to.be.greaterThan(20);
      expect(entries.some((e) => e.dir === 'tx' && e.kind === 'frame')).to.equal(true);
      expect(entries.some((e) => e.dir === 'rx' && e.kind === 'ack')).to.equal(true);
      for (const e of entries) expect(e.at).to.match(/^\d{4}-\d\d-\d\dT/);
      const card = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
      const text = driver.transcriptText();
      expect(text).not.to.include(card.pan);
      expect(text).not.to.include(card.track2!.split(/[=D]/)[0] + '=');
      const keyFrames = entries.filter((e) => e.kind === 'frame' && (e.message as { cmd?: string }).cmd === 'key');
      const pinFrame = keyFrames.find((e) => (e.message as { keys: string[] }).keys.includes('*'));
      expect(pinFrame, 'the PIN key presses are in the transcript, masked').to.exist;
      // The driver types a mistyped digit and CLEAR before the PIN (drivers/presenters.ts): masked like the PIN's digits.
      expect((pinFrame!.message as { keys: string[] }).keys.join('')).to.equal('*CLEAR' + '*'.repeat(card.pin!.length) + 'ENTER');
    });

    test('recovers to signed-on idle from the middle of a transaction', async () => {
      await driver.ensureSignedOnIdle();
      await driver.selectMenu('消费');
      await driver.enterAmount(500);
      await driver.waitForScreen(/请刷卡|插卡/);
      await driver.ensureSignedOnIdle();
      expect((await driver.currentScreen()).state).to.equal('idle');
    });

    test('a screen that never appears is a failed expectation listing the recent screens', async () => {
      await driver.ensureSignedOnIdle();
      await driver.selectMenu('消费');
      const err = await driver.waitForScreen('交易成功', { timeoutMs: 150 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TerminalExpectationError);
      expect(classifyError(err)).to.equal('failed');
      expect((err as Error).message).to.include('请输入金额');
      await driver.ensureSignedOnIdle();
    });

    test('an ECR sale with the card and PIN given through the driver', async () => {
      await driver.ensureSignedOnIdle();
      const card = cardByAlias(lab.hostConfig, 'UP-DEBIT-IC');
      const pending = driver.ecr({ request: 'sale', amount: '200', ecrReference: 'POS-REF-1' }, { timeoutMs: 10_000 });
      await driver.waitForScreen(/请刷卡|插卡/);
      await driver.presentCard(terminalCardImage(card), 'insert');
      await driver.waitForScreen('请输入密码');
      await driver.enterPin(card.pin!);
      const r = await pending;
      expect(r).to.include({ request: 'sale', approved: true, responseCode: '00', ecrReference: 'POS-REF-1' });
      expect(r.maskedPan).to.match(/^\d{6}\*+\d{4}$/);
      await driver.removeCard();
    });

    test('power cycle, then back to signed-on idle', async () => {
      await driver.powerCycle();
      await driver.ensureSignedOnIdle();
      expect((await driver.currentScreen()).state).to.equal('idle');
      expect((await driver.hello()).vendor).to.equal('poscert');
    });

    if (kind.name !== KINDS[0].name) {
      test('the link process dying mid-run (socat / ser2net killed) is a LinkDownError (broken), never a failed expectation', async () => {
        await driver.ensureSignedOnIdle();
        await driver.selectMenu('消费');
        const waiting = driver.waitForScreen('交易成功', { timeoutMs: 5000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        await cut!();
        const err = await waiting;
        expect(err, `after ${what} died`).to.be.instanceOf(LinkDownError);
        expect(classifyError(err)).to.equal('broken');
        const next = await driver.pressKeys('1').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(next).to.be.instanceOf(LinkDownError);
        expect(classifyError(next)).to.equal('broken');
        // A wait started after the link died fails at once with the link error, not after its timeout.
        const started = Date.now();
        const late = await driver.waitForScreen('交易成功', { timeoutMs: 3000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(late).to.be.instanceOf(LinkDownError);
        expect(Date.now() - started).to.be.lessThan(500);
      });
    }
  });
}
