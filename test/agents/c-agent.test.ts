/**
 * The reference TTP agent in C (agents/c): built with the system C compiler, its C unit tests run,
 * and its demo firmware driven over a real socat PTY pair by the TypeScript TerminalDriver
 * (serialport): hello, keys, screens, card, PIN, print events, a power cycle.
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TerminalDriver } from '../../drivers/terminal';
import { PtyPair, startPtyPair, waitFor } from '../../links/testbeds';
import { AGENT_BUILD, agentSkip, buildAgent, startDemo } from './support/c-agent';

const TEST_CARD = { name: 'DEMO-MAG', pan: '6222020000000000015', expiry: '3012', serviceCode: '101' };

describe('reference TTP agent in C', { skip: agentSkip }, () => {
  before(() => buildAgent());

  test('C unit tests pass (make test)', () => {
    const r = spawnSync(path.join(AGENT_BUILD, 'ttp-unit-tests'), { encoding: 'utf8' });
    const summary = /^(\d+) passed, (\d+) failed$/m.exec(r.stdout);
    expect(summary, r.stdout).to.not.equal(null);
    expect(Number(summary![2]), r.stdout).to.equal(0);
    expect(Number(summary![1])).to.be.greaterThanOrEqual(30);
    expect(r.status).to.equal(0);
  });

  test('C unit tests pass under AddressSanitizer and UBSan (make test-asan)', () => {
    const r = spawnSync(path.join(AGENT_BUILD, 'ttp-unit-tests-asan'), { encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'sanitizer report').to.not.match(/ERROR: AddressSanitizer|runtime error:/);
    expect(r.stdout).to.match(/^\d+ passed, 0 failed$/m);
    expect(r.status).to.equal(0);
  });

  describe('demo firmware on a PTY, driven by TerminalDriver over serialport', () => {
    let pty: PtyPair;
    let demo: { stop(): Promise<void> } | undefined;
    let driver: TerminalDriver | undefined;
    before(async () => {
      pty = await startPtyPair();
      demo = await startDemo('ttp-demo', pty.b);
      driver = await TerminalDriver.connect(`serial:${pty.a}?baud=115200`, { screenTimeoutMs: 3000, responseTimeoutMs: 3000 });
    });
    after(async () => {
      await driver?.close();
      await demo?.stop();
      await pty?.stop();
    });

    test('hello: identity and capabilities', async () => {
      const id = await driver!.hello();
      expect(id).to.include({ vendor: 'poscert', model: 'DEMO-C', serialNumber: 'DEMO-000001', ttp: '1.0' });
      // The agent speaks TTP 1.0: the driver fills the 1.1 flags by the 1.0 rules (pinInjection = pinpad, the 1.0 extensions assumed).
      expect(id.capabilities).to.deep.equal({
        magstripe: true,
        contact: true,
        contactless: false,
        printer: true,
        pinpad: true,
        sm4: false,
        pinInjection: true,
        textEntry: true,
        keyLoading: true,
        tamperSimulation: true,
      });
      expect(id.maxPayload).to.equal(2048);
    });

    test('keys and screens: menu, amount entry, card, PIN, two voucher copies as print events', async () => {
      const d = driver!;
      await d.waitForState('idle');
      expect((await d.currentScreen()).lines).to.include('TEST MODE');
      d.markReceipts();
      await d.pressKeys('ENTER');
      await d.waitForScreen('1.SALE');
      await d.pressKeys('1');
      await d.waitForState('input');
      await d.enterAmount(1234);
      await d.waitForScreen('AMOUNT: 12.34');
      await d.waitForState('card-wait');
      await d.presentCard(TEST_CARD, 'swipe');
      await d.waitForState('pin-entry');
      await d.pressKeys('1', '2');
      await d.waitForScreen('**');
      await d.enterPin('');
      const copies = await d.waitForReceipts(2);
      expect(copies.map((c) => c.copy)).to.deep.equal(['merchant', 'cardholder']);
      expect(copies[0].lines.join('\n')).to.include('AMOUNT: CNY 12.34');
      await d.waitForScreen('APPROVED');
      expect(d.lastScreen().state).to.equal('result');
      await d.pressKeys('ENTER');
      await d.waitForState('idle');
    });

    test('ECR sale: the reply comes when the transaction ends', async () => {
      const d = driver!;
      const sale = d.ecr({ request: 'sale', amount: '500', ecrReference: 'POS-1' }, { timeoutMs: 5000 });
      await d.waitForState('card-wait');
      await d.presentCard(TEST_CARD, 'insert');
      await d.waitForState('pin-entry');
      await d.enterPin('1234');
      const r = await sale;
      expect(r).to.include({ request: 'sale', approved: true, amount: '500', ecrReference: 'POS-1', maskedPan: '622202*********0123' });
      await d.removeCard();
    });

    test('power cycle: reply first, boot states, idle again; NVRAM kept (reprint of the last sale)', async () => {
      const d = driver!;
      await d.pressKeys('ENTER');
      await d.waitForState('idle');
      const states: string[] = [];
      const off = d.onTrace((e) => {
        if (e.kind === 'frame' && e.dir === 'rx' && 'evt' in e.message && e.message.evt === 'state') states.push(e.message.state);
      });
      try {
        await d.powerCycle();
        // The reply precedes the power cycle: wait for the boot to end in idle.
        await waitFor(() => states.includes('idle'), 3000, 'the demo back at idle after the power cycle');
      } finally {
        off();
      }
      expect(states).to.deep.equal(['off', 'booting', 'self-test', 'idle']);
      d.markReceipts();
      const r = await d.ecr({ request: 'reprint' }, { timeoutMs: 3000 });
      expect(r.approved).to.equal(true);
      const [copy] = await d.waitForReceipts(1);
      expect(copy.reprint).to.equal(true);
    });
  });
});
