// TTP 1.1 vocabulary (docs/terminal-test-protocol.md): capabilities a harness may rely on for 1.0
// and 1.1 terminals, the outcome shape of §7.6, and a channel that never sends more than the
// peer's declared maxPayload (§2.3) while still accepting the full 16384 bytes itself.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  TTP_MAX_PAYLOAD,
  TtpChannel,
  TtpPayloadTooLargeError,
  effectiveCapabilities,
  encodeTtpFrame,
  isTtpOutcome,
  speaksTtp11,
} from '../../../protocol/ttp';

const BASE = { magstripe: true, contact: true, contactless: false, printer: true, pinpad: true, sm4: false };

describe('TTP 1.1 capabilities and outcome', () => {
  test('a 1.0 terminal: pinInjection follows pinpad and the 1.0 extensions are assumed', () => {
    expect(effectiveCapabilities({ ttp: '1.0', capabilities: BASE })).to.include({
      pinInjection: true,
      textEntry: true,
      keyLoading: true,
      tamperSimulation: true,
      contactless: false,
    });
    expect(effectiveCapabilities({ ttp: '1.0', capabilities: { ...BASE, pinpad: false } }).pinInjection).to.equal(false);
  });

  test('a 1.1 terminal: flags as declared, an omitted one is false', () => {
    const c = effectiveCapabilities({ ttp: '1.1', capabilities: { ...BASE, pinInjection: false, textEntry: true } });
    expect(c).to.include({ pinpad: true, pinInjection: false, textEntry: true, keyLoading: false, tamperSimulation: false });
    expect(speaksTtp11('1.1')).to.equal(true);
    expect(speaksTtp11('1.12')).to.equal(true);
    expect(speaksTtp11('1.0')).to.equal(false);
    expect(speaksTtp11('2.0')).to.equal(false);
  });

  test('outcome: a §7.6 result (or x-…) with optional typed members', () => {
    expect(isTtpOutcome({ result: 'declined', responseCode: '51', transaction: 'sale' })).to.equal(true);
    expect(isTtpOutcome({ result: 'x-vendor-thing' })).to.equal(true);
    expect(isTtpOutcome({ result: 'ok' })).to.equal(false);
    expect(isTtpOutcome({ result: 'approved', responseCode: 0 })).to.equal(false);
    expect(isTtpOutcome(undefined)).to.equal(false);
  });
});

describe('TtpChannel send limit (maxPayload of the peer)', () => {
  const scheduler = { setTimeout: () => 0, clearTimeout: () => undefined, now: () => 0 };

  test('after limitSendPayload a larger frame is refused before sending; the receive limit stays 16384', async () => {
    const sent: Buffer[] = [];
    const ch = new TtpChannel({
      write: (b) => {
        sent.push(Buffer.from(b));
      },
      scheduler,
    });
    expect(ch.sendPayloadLimit).to.equal(TTP_MAX_PAYLOAD);
    ch.limitSendPayload(2048);
    expect(ch.sendPayloadLimit).to.equal(2048);
    const err = await ch.send({ evt: 'display', lines: ['x'.repeat(3000)], seq: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TtpPayloadTooLargeError);
    expect(sent).to.have.length(0);
    // What the peer sends is still accepted up to the full maximum.
    const got: unknown[] = [];
    ch.on('event', (e) => got.push(e));
    ch.receive(encodeTtpFrame({ evt: 'display', lines: ['y'.repeat(10_000)], seq: 1 }));
    expect(got).to.have.length(1);
    expect(() => ch.limitSendPayload(1)).to.throw(RangeError);
    ch.close();
  });
});
