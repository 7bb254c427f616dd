/**
 * A terminal that acknowledges the first hello but answers it too late (still booting when the run
 * starts) is asked once more before the run is given up as broken; one that never answers still
 * gives the response-timeout error. The harness side is the real TerminalDriver over an in-process
 * link pair; the terminal side is a real TTP channel scripted to stay silent.
 */
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { createEmuLinkPair, type ByteLink } from '../../links';
import { TerminalDriver } from '../../drivers/terminal';
import { TTP_VERSION, TtpChannel, TtpResponseTimeoutError, type TtpHelloResult } from '../../protocol/ttp';

/** A TTP terminal on `link` that leaves the first `silentHellos` hellos unanswered. */
function scriptedTerminal(link: ByteLink, silentHellos: number): { hellos: () => number; close(): void } {
  let hellos = 0;
  const channel = new TtpChannel({
    name: 'scripted terminal',
    write: (b) => link.write(b),
    scheduler: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout), now: () => Date.now() },
  });
  link.on('data', (b: Buffer) => channel.receive(b));
  channel.on('request', (req: { cmd: string }) => {
    if (req.cmd !== 'hello') return;
    hellos++;
    if (hellos <= silentHellos) return;
    const result: TtpHelloResult = {
      ttp: TTP_VERSION,
      vendor: 'scripted',
      model: 'late-boot',
      serialNumber: 'SN1',
      firmwareVersion: '1.0',
      capabilities: { sm4: false, magstripe: true, contact: true, contactless: false, printer: true, pinpad: true },
    } as TtpHelloResult;
    void channel.reply(req as never, result);
  });
  return { hellos: () => hellos, close: () => channel.close() };
}

describe('driver hello: one late answer is asked again', () => {
  test('a terminal silent on the first hello is identified by the second', async () => {
    const [harness, term] = createEmuLinkPair('emu:late-hello');
    const terminal = scriptedTerminal(term, 1);
    const driver = await TerminalDriver.connect('emu:late-hello', { link: harness, responseTimeoutMs: 150 });
    try {
      const id = await driver.hello();
      expect(id.vendor).to.equal('scripted');
      expect(terminal.hellos()).to.equal(2);
    } finally {
      await driver.close();
      terminal.close();
    }
  });

  test('a terminal that never answers still fails with the response timeout, after two hellos', async () => {
    const [harness, term] = createEmuLinkPair('emu:silent-hello');
    const terminal = scriptedTerminal(term, 99);
    const driver = await TerminalDriver.connect('emu:silent-hello', { link: harness, responseTimeoutMs: 100 });
    try {
      const err = await driver.hello().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TtpResponseTimeoutError);
      expect(terminal.hellos()).to.equal(2);
    } finally {
      await driver.close();
      terminal.close();
    }
  });
});
