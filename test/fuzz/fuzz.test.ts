/**
 * The short fuzzing run inside `npm test` (a few seconds per target, fixed seed): the same targets
 * as `npm run fuzz` (scripts/fuzz.ts) with small budgets, so that a change that makes a codec throw
 * an untyped error, the host answer an undocumented code or die, or the emulator stop answering is
 * caught by the suite. The full run (10^6 inputs) is `npm run fuzz`; its figures are in docs/host.md.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { formatReport, type FuzzBudget, type FuzzReport } from './engine';
import { fuzzConfig, fuzzIso8583Decode, fuzzIso8583RoundTrip, fuzzTlv, fuzzTtpChannel, fuzzTtpDecoder } from './codec-targets';
import { fuzzHostTcp } from './host-target';
import { fuzzEmulatorTtp } from './emulator-target';

const SEED = 15;
const budget = (count: number, timeMs = 3000): FuzzBudget => ({ count, timeMs, seed: SEED });

function clean(r: FuzzReport): void {
  expect(r.crashes, formatReport(r)).to.equal(0);
  expect(r.hangs, formatReport(r)).to.equal(0);
  expect(r.inputs, formatReport(r)).to.be.above(0);
}

describe('fuzzing, short run (npm run fuzz runs the same targets at scale)', () => {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);

  test('CUP 8583: mutated real frames decode or fail with a typed error; decoded messages survive re-encoding', () => {
    const r = fuzzIso8583Decode(budget(1500));
    clean(r);
    expect(r.typedErrors).to.be.above(0);
    expect(r.accepted).to.be.above(0);
  });

  test('CUP 8583: generated messages round-trip through encode/decode and the stream reader', () => {
    clean(fuzzIso8583RoundTrip(budget(300)));
  });

  test('BER-TLV: generated nodes round-trip; random and mutated bytes decode or fail typed', () => {
    clean(fuzzTlv(budget(1500)));
  });

  test('TTP frame decoder: split at every offset, noise, replay, truncation', () => {
    clean(fuzzTtpDecoder(budget(150)));
  });

  test('TTP channel: requests over a lossy, noisy, duplicating pipe end answered or with a typed error', async () => {
    clean(await fuzzTtpChannel(budget(60)));
  });

  test('host configuration: mutated YAML loads or fails with a HostConfigError naming the problem', () => {
    clean(fuzzConfig(budget(15)));
  });

  test('host over TCP: mutated requests, random lengths, slow-loris and half-open sockets; the good terminal keeps selling; ledger intact', async () => {
    const r = await fuzzHostTcp(budget(1500, 4000));
    clean(r);
    expect(r.notes.join('\n'))
      .to.match(/good terminal: [1-9]\d* sales approved/)
      .and.include('ledger invariant intact');
  });

  test('emulator over TTP: mutated commands and host replies; it keeps answering', async () => {
    clean(await fuzzEmulatorTtp(budget(60, 4000)));
  });

  test('no unhandled rejection during the run', () => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled.map(String)).to.deep.equal([]);
    unhandled = [];
  });
});
