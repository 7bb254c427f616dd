/**
 * `npm run fuzz`: fuzzing at scale (issue 15). Property-based and mutational generators (fast-check)
 * against the CUP 8583 codec, BER-TLV, the TTP frame decoder and channel, the host configuration
 * loader, the reference host over real TCP (a `poscert host` child process fed mutated requests,
 * random lengths, slow-loris and half-open connections while a good terminal keeps transacting,
 * ledger invariant checked afterwards) and the emulator over TTP (mutated commands, mutated host
 * replies). Bounded by count and time, seeded; prints inputs/s, crashes, hangs and peak memory per
 * target. Exit code 1 when anything crashed or hung.
 *
 *   npm run fuzz                                  (full: 10^6 inputs per codec target, 10^6 host frames)
 *   npm run fuzz -- --quick                       (a few seconds per target)
 *   npm run fuzz -- --count 200000 --seconds 300 --seed 7 --only cup8583,host
 */
import * as os from 'node:os';
import { type FuzzBudget, type FuzzReport, formatReport } from '../test/fuzz/engine';
import { fuzzConfig, fuzzIso8583Decode, fuzzIso8583RoundTrip, fuzzTlv, fuzzTtpChannel, fuzzTtpDecoder } from '../test/fuzz/codec-targets';
import { fuzzHostTcp } from '../test/fuzz/host-target';
import { fuzzEmulatorTtp } from '../test/fuzz/emulator-target';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function numberOption(name: string, fallback: number): number {
  const v = option(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`fuzz: --${name} needs a non-negative number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const QUICK = process.argv.includes('--quick');
const SEED = numberOption('seed', 20261203);
const COUNT = numberOption('count', QUICK ? 2000 : 1_000_000);
const SECONDS = numberOption('seconds', QUICK ? 5 : 600);
const HOST_FRAMES = numberOption('host-frames', QUICK ? 3000 : 1_000_000);
const ONLY = option('only')?.split(',');

interface Target {
  name: string;
  run: (b: FuzzBudget) => FuzzReport | Promise<FuzzReport>;
  count?: number;
}

const TARGETS: Target[] = [
  { name: 'cup8583-decode', run: fuzzIso8583Decode },
  { name: 'cup8583-roundtrip', run: fuzzIso8583RoundTrip, count: Math.ceil(COUNT / 5) },
  { name: 'tlv', run: fuzzTlv },
  { name: 'ttp-decoder', run: fuzzTtpDecoder, count: Math.ceil(COUNT / 5) },
  { name: 'ttp-channel', run: fuzzTtpChannel, count: Math.ceil(COUNT / 50) },
  { name: 'config', run: fuzzConfig, count: Math.ceil(COUNT / 1000) },
  { name: 'host', run: fuzzHostTcp, count: HOST_FRAMES },
  { name: 'emulator', run: fuzzEmulatorTtp, count: Math.ceil(COUNT / 20) },
];

async function main(): Promise<void> {
  let unhandled = 0;
  process.on('unhandledRejection', (reason) => {
    unhandled++;
    console.error(`fuzz: UNHANDLED REJECTION: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 250);
  sampler.unref();
  console.log(
    `fuzz: seed ${SEED}, up to ${COUNT} inputs per codec target and ${HOST_FRAMES} host frames, ${SECONDS} s per target; ` +
      `${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  const reports: FuzzReport[] = [];
  for (const t of TARGETS) {
    if (ONLY && !ONLY.some((o) => t.name.startsWith(o))) continue;
    const budget: FuzzBudget = { count: t.count ?? COUNT, timeMs: SECONDS * 1000, seed: SEED };
    const before = process.memoryUsage().rss;
    const report = await t.run(budget);
    peakRss = Math.max(peakRss, process.memoryUsage().rss, before);
    reports.push(report);
    console.log(formatReport(report));
  }
  clearInterval(sampler);
  const inputs = reports.reduce((n, r) => n + r.inputs, 0);
  const crashes = reports.reduce((n, r) => n + r.crashes, 0);
  const hangs = reports.reduce((n, r) => n + r.hangs, 0);
  console.log(
    `fuzz: ${inputs} inputs in all, ${crashes} crashes, ${hangs} hangs, ${unhandled} unhandled rejections; ` +
      `peak RSS of this process ${(peakRss / 1e6).toFixed(0)} MB; load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  process.exitCode = crashes + hangs + unhandled > 0 ? 1 : 0;
}

main().catch((err) => {
  console.error(`fuzz: ${err instanceof Error ? err.stack : err}`);
  process.exitCode = 2;
});
