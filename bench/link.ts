/**
 * Link benchmark: round trips per second and latency (p50 / p99 / max) of a TTP `screen` request
 * through the TerminalDriver to the emulated terminal, over each link kind:
 *   emu:        in-process
 *   serial:     socat PTY pair, both ends through serialport
 *   tcp://      ser2net raw accepter in front of a PTY
 *   rfc2217://  ser2net telnet(rfc2217) accepter in front of a PTY
 * and the harness's own overhead per step: the time a driver call takes minus the time between
 * the request frame leaving and the reply frame arriving (wire + terminal), i.e. what poscert adds
 * (JSON, framing, ACK bookkeeping, transcript masking, promise hops).
 *
 *   npm run bench:link                      BENCH_ROUNDS=2000 npm run bench:link
 * Link kinds whose binaries are missing are reported as skipped.
 */
import * as fs from 'node:fs';
import type { TtpTraceEntry } from '../protocol/ttp';
import { startEmulatedLab, EmulatedLab } from '../drivers/lab';
import { TerminalDriver } from '../drivers/terminal';
import { makeTempDir, missingBinaries, startSer2net, startSocatPty } from '../test/drivers/support/lab-processes';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1000);
const WARMUP = Math.min(100, Math.floor(ROUNDS / 10));

interface KindSetup {
  terminalLink: string;
  harnessUrl: string;
  stop(): Promise<void>;
}

const KINDS: Array<{ name: string; needs: string[]; setup(dir: string): Promise<KindSetup> }> = [
  {
    name: 'emu: (in-process)',
    needs: [],
    setup: async () => ({ terminalLink: 'emu:bench-link', harnessUrl: 'emu:bench-link', stop: async () => undefined }),
  },
  {
    name: 'serial: (socat PTY)',
    needs: ['socat'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      return { terminalLink: `serial:${pty.b}`, harnessUrl: `serial:${pty.a}`, stop: () => pty.stop() };
    },
  },
  {
    name: 'tcp:// (ser2net raw)',
    needs: ['socat', 'ser2net'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      const s = await startSer2net(dir, pty.b);
      return {
        terminalLink: `serial:${pty.a}`,
        harnessUrl: `tcp://127.0.0.1:${s.rawPort}`,
        stop: async () => {
          await s.stop();
          await pty.stop();
        },
      };
    },
  },
  {
    name: 'rfc2217:// (ser2net telnet)',
    needs: ['socat', 'ser2net'],
    async setup(dir) {
      const pty = await startSocatPty(dir);
      const s = await startSer2net(dir, pty.b);
      return {
        terminalLink: `serial:${pty.a}`,
        harnessUrl: `rfc2217://127.0.0.1:${s.telnetPort}?baud=115200`,
        stop: async () => {
          await s.stop();
          await pty.stop();
        },
      };
    },
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface StepTiming {
  total: number;
  wire: number;
}

/**
 * Times `step` and the wire+terminal part of it: for every request the step sends, from its
 * first transmission to its reply frame (trace timestamps are performance.now based).
 */
async function timeStep(driver: TerminalDriver, step: () => Promise<unknown>): Promise<StepTiming> {
  const sentAt = new Map<number, number>();
  let wire = 0;
  const off = driver.onTrace((e: TtpTraceEntry) => {
    if (e.kind !== 'frame') return;
    const m = e.message as { id?: number; cmd?: string; ok?: boolean };
    if (e.dir === 'tx' && m.cmd && typeof m.id === 'number' && !sentAt.has(m.id)) sentAt.set(m.id, e.at);
    if (e.dir === 'rx' && typeof m.ok === 'boolean' && typeof m.id === 'number' && sentAt.has(m.id)) wire += e.at - sentAt.get(m.id)!;
  });
  const t0 = performance.timeOrigin + performance.now();
  await step();
  const total = performance.timeOrigin + performance.now() - t0;
  off();
  return { total, wire };
}

async function benchKind(kind: (typeof KINDS)[number]): Promise<string[]> {
  const skip = missingBinaries(kind.needs);
  if (skip) return [`${kind.name.padEnd(30)} skipped: ${skip}`];
  const dir = makeTempDir('bench-link');
  const links = await kind.setup(dir);
  let lab: EmulatedLab | undefined;
  try {
    lab = await startEmulatedLab({ terminals: 1, terminalLinks: [links.terminalLink], harnessUrls: [links.harnessUrl], stateDir: dir });
    const driver = lab.terminals[0].driver;
    await driver.hello();
    await driver.ensureSignedOnIdle();
    for (let i = 0; i < WARMUP; i++) await driver.ping();

    const samples: number[] = [];
    const overheads: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < ROUNDS; i++) {
      const t = await timeStep(driver, () => driver.currentScreen());
      samples.push(t.total);
      overheads.push(t.total - t.wire);
    }
    const elapsed = (performance.now() - t0) / 1000;
    samples.sort((a, b) => a - b);
    overheads.sort((a, b) => a - b);

    // A multi-request step as the Gherkin steps use it: open the sale menu and back out.
    const stepOverheads: number[] = [];
    const stepTotals: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = await timeStep(driver, async () => {
        await driver.selectMenu('消费');
        await driver.waitForScreen('请输入金额');
        await driver.pressKeys('CANCEL');
        await driver.waitForState('idle');
      });
      stepTotals.push(t.total);
      stepOverheads.push(t.total - t.wire);
    }
    stepTotals.sort((a, b) => a - b);
    stepOverheads.sort((a, b) => a - b);
    const stats = driver.channelStats();
    const f = (x: number) => x.toFixed(3);
    return [
      `${kind.name.padEnd(30)} ${String(Math.round(ROUNDS / elapsed)).padStart(6)} round trips/s   screen latency p50 ${f(percentile(samples, 50))} ms  p99 ${f(percentile(samples, 99))} ms  max ${f(samples[samples.length - 1])} ms`,
      `${''.padEnd(30)} harness overhead per screen request: p50 ${f(percentile(overheads, 50))} ms  p99 ${f(percentile(overheads, 99))} ms  (${((100 * percentile(overheads, 50)) / percentile(samples, 50)).toFixed(0)}% of p50)`,
      `${''.padEnd(30)} step "menu 消费, wait amount screen, CANCEL, wait idle": p50 ${f(percentile(stepTotals, 50))} ms, harness overhead p50 ${f(percentile(stepOverheads, 50))} ms  p99 ${f(percentile(stepOverheads, 99))} ms`,
      `${''.padEnd(30)} retransmissions ${stats.retransmissions}, NAKs received ${stats.naksReceived}, ACK timeouts ${stats.ackTimeouts}`,
    ];
  } finally {
    await lab?.stop();
    await links.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:link — TTP 'screen' request through TerminalDriver to the emulator; ${ROUNDS} sequential round trips per link kind (after ${WARMUP} warm-up)`,
  );
  console.log(`node ${process.version}, ${require('node:os').cpus().length} CPUs`);
  for (const kind of KINDS) {
    for (const line of await benchKind(kind)) console.log(line);
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (err) => {
    console.error(`bench:link failed: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  },
);
