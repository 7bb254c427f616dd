/**
 * Reference-host benchmark: authorisations per second and latency (p50 / p99) for K = 1 and K = 50
 * concurrent terminals, each on its own plain TCP socket, signed on, sending MACed 0200 magstripe
 * sales with a 3DES PIN block, one at a time (closed loop: a terminal sends its next sale when the
 * reply arrives). The host runs as `poscert host` in its own process with the SQLite journal and
 * ledger on a temporary file (WAL), exactly as a lab runs it. Requests are built (STAN, PIN block,
 * MAC) before the clock starts so that the load generator, which shares the machine, spends its
 * time on sockets; every reply is decoded and its F39 and MAC checked after the clock stops. A
 * failed authorisation is counted, not timed.
 *
 * Goal (issue 15), on this 2-core machine: ≥ 5,000 authorisations/s at K = 50 with p99 < 10 ms, the
 * journal on; printed as met or by how much it misses. The WAL file is sampled every second (the
 * host checkpoints from a worker thread, host/checkpoint.ts); POSCERT_WAL_CHECKPOINT=sqlite runs the
 * host with SQLite's automatic checkpoints instead, for comparison.
 *   npm run bench:host
 *   BENCH_SECONDS=600 BENCH_CLIENTS=50 npm run bench:host      (WAL size over a long run)
 *   BENCH_SECONDS=10 BENCH_CLIENTS=1,10,50 npm run bench:host
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { cardByAlias, loadHostConfig } from '../host';
import * as net from 'node:net';
import { decodeFrame, encodeFrame, LengthPrefixedReader } from '../protocol/iso8583';
import { REQUEST_HEADER, REQUEST_TPDU, TestTerminal } from '../test/host/terminal-client';

const ROOT = path.join(__dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;
/** Requests built per K before the clock starts (split over the K terminals). */
const PREBUILT = Number(process.env.BENCH_PREBUILT ?? 30000);
const CLIENT_COUNTS = (process.env.BENCH_CLIENTS ?? '1,50').split(',').map(Number);
/** Each run gets its own terminals (a terminal's STANs must not repeat within its batch). */
const TOTAL_CLIENTS = CLIENT_COUNTS.reduce((a, b) => a + b, 0);

/** A configuration with TOTAL_CLIENTS bench terminals (test TMKs) beside the repo's cards and rules. */
function benchConfig(dir: string): string {
  const scenarios = path.join(ROOT, 'scenarios');
  fs.copyFileSync(path.join(scenarios, 'cards.yaml'), path.join(dir, 'cards.yaml'));
  fs.copyFileSync(path.join(scenarios, 'issuer-rules.yaml'), path.join(dir, 'issuer-rules.yaml'));
  const merchantId = '898310054119999';
  const terminals = Array.from({ length: TOTAL_CLIENTS }, (_, i) => ({
    terminalId: String(20000001 + i),
    merchantId,
    keyScheme: '3DES',
    tmk: ((i * 0x1f + 0x11) & 0xff).toString(16).padStart(2, '0').repeat(16).toUpperCase(), // test keys only
  }));
  fs.writeFileSync(path.join(dir, 'merchants.yaml'), '# bench/host.ts: generated, test keys only\n' + stringify({
    merchants: [{ merchantId, name: '基准测试商户', settlementAccount: { bank: '测试银行', accountNumber: '6200009999000001', accountName: '基准测试商户' } }],
    terminals,
  }));
  return dir;
}

function startHost(configDir: string, db: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(process.env.BENCH_HOST_NODE_OPTIONS ?? '').split(' ').filter(Boolean), path.join(ROOT, 'bin', 'poscert.js'), 'host', '--config', configDir, '--port', '0', '--db', db, '--quiet'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready port=(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`poscert host exited with ${code}`)));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** A plain socket that sends pre-built frames one at a time and keeps each raw reply with its latency. */
class RawClient {
  private readonly reader = new LengthPrefixedReader({ maxFrameSize: 65535 });
  private pending?: (reply: Buffer) => void;
  private failed?: (err: Error) => void;
  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('error', (err) => this.failed?.(err));
    socket.on('close', () => this.failed?.(new Error('the host closed the connection')));
    socket.on('data', (chunk) => {
      for (const frame of this.reader.push(chunk)) {
        const p = this.pending;
        this.pending = undefined;
        p?.(frame);
      }
    });
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  exchange(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending = resolve;
      this.failed = reject;
      this.socket.write(frame);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** CPU seconds (user + system) the host process has used so far, from /proc (Linux); `/task/<pid>` = its main thread only. */
function processCpuSeconds(pid: number, mainThreadOnly = false): number | undefined {
  try {
    const file = mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

interface RunResult { clients: number; rate: number; p50: number; p99: number }

async function run(port: number, configDir: string, clients: number, firstTerminal: number, hostPid: number, db: string): Promise<RunResult> {
  const config = loadHostConfig(configDir);
  const card = cardByAlias(config, 'UP-BENCH');
  // Requests are built before the clock starts (STAN, PIN block, MAC: the load generator's work, not
  // the host's); replies are decoded and their MACs verified after it stops.
  const perClient = Math.ceil(PREBUILT / clients);
  const terminals: { term: TestTerminal; frames: Buffer[]; raw: RawClient; exhausted?: boolean }[] = [];
  for (let i = 0; i < clients; i++) {
    const t = config.terminals[firstTerminal + i];
    const term = await TestTerminal.connect(port, { terminalId: t.terminalId, merchantId: t.merchantId, tmk: t.tmk.reveal().toString('hex'), scheme: '3DES' }, 10_000);
    const r = await term.signOn('003');
    if (r.rc !== '00') throw new Error(`sign-on of ${t.terminalId} answered ${r.rc}`);
    term.close();
    const frames: Buffer[] = [];
    for (let n = 0; n < perClient; n++) frames.push(encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: term.sale({ card, pin: '123456' }, 1).msg }));
    terminals.push({ term, frames, raw: await RawClient.connect(port) });
  }
  const measured: { reply: Buffer; ms: number; term: TestTerminal }[] = [];
  let measuring = false;
  let running = true;
  let exhausted = 0;
  const loop = async (c: (typeof terminals)[number]) => {
    let next = 0;
    while (running) {
      const frame = next < c.frames.length ? c.frames[next++]
        : encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: c.term.sale({ card, pin: '123456' }, 1).msg });
      if (next === c.frames.length && !c.exhausted) { c.exhausted = true; exhausted++; }
      const start = process.hrtime.bigint();
      const reply = await c.raw.exchange(frame);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (measuring) measured.push({ reply, ms, term: c.term });
    }
  };
  const loops = terminals.map((c) => loop(c));
  await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
  measuring = true;
  const t0 = process.hrtime.bigint();
  const cpu0 = processCpuSeconds(hostPid);
  const main0 = processCpuSeconds(hostPid, true);
  // The WAL file, sampled every second: the checkpoint worker must keep it bounded.
  const walSamples: number[] = [];
  const sampler = setInterval(() => walSamples.push(fileSize(`${db}-wal`)), 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(sampler);
  measuring = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = processCpuSeconds(hostPid);
  const main1 = processCpuSeconds(hostPid, true);
  running = false;
  await Promise.all(loops);
  for (const c of terminals) c.raw.close();

  const latencies: number[] = [];
  let approved = 0;
  let failed = 0;
  for (const m of measured) {
    const msg = decodeFrame(m.reply).message;
    const rc = msg.getString(39);
    if (rc === '00' && m.term.verifyReplyMac(msg)) {
      approved++;
      latencies.push(m.ms);
    } else {
      failed++;
      if (failed <= 3) console.error(`bench:host: ${m.term.id.terminalId} STAN ${msg.getString(11)}: F39 ${rc}${rc === '00' ? ' but the reply MAC does not verify' : ''}`);
    }
  }
  latencies.sort((a, b) => a - b);
  const rate = approved / elapsed;
  console.log(`K=${String(clients).padStart(3)}  ${rate.toFixed(0).padStart(6)} authorisations/s   p50 ${percentile(latencies, 0.5).toFixed(2)} ms   p99 ${percentile(latencies, 0.99).toFixed(2)} ms   `
    + `max ${latencies.at(-1)?.toFixed(2)} ms   (${approved} approved, ${failed} failed in ${elapsed.toFixed(1)} s${exhausted ? `; ${exhausted} client(s) ran out of pre-built requests` : ''})`);
  if (cpu0 !== undefined && cpu1 !== undefined && main0 !== undefined && main1 !== undefined && measured.length > 0) {
    const perMessage = (main1 - main0) / measured.length;
    const others = (cpu1 - cpu0) - (main1 - main0);
    console.log(`       host main thread CPU ${(perMessage * 1e6).toFixed(0)} µs per authorisation (${((main1 - main0) / elapsed * 100).toFixed(0)} % of one core): `
      + `about ${(1 / perMessage).toFixed(0)} authorisations/s if it had a core to itself; other threads (checkpoint worker, libuv) ${(others / elapsed * 100).toFixed(0)} % of a core`);
  }
  if (walSamples.length > 0) {
    const every = Math.max(1, Math.ceil(walSamples.length / 20));
    const shown = walSamples.filter((_, i) => i % every === 0).map((b) => (b / 1e6).toFixed(1));
    console.log(`       WAL file per ${every} s: ${shown.join(' ')} MB (max ${mb(Math.max(...walSamples))})`);
  }
  if (failed > 0) process.exitCode = 1;
  return { clients, rate, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Issue 15's goals at K = 50, printed as met or by how much they miss. */
function judge(results: RunResult[]): void {
  const r = results.find((x) => x.clients === 50);
  if (!r) return;
  const rateOk = r.rate >= 5000;
  const p99Ok = r.p99 < 10;
  console.log(`bench:host: goal ≥ 5,000 authorisations/s at K = 50: ${rateOk ? 'met' : `MISSED by ${(5000 - r.rate).toFixed(0)}/s (${((1 - r.rate / 5000) * 100).toFixed(0)} % short)`} (${r.rate.toFixed(0)}/s)`);
  console.log(`bench:host: goal p99 < 10 ms at K = 50: ${p99Ok ? 'met' : `MISSED by ${(r.p99 - 10).toFixed(2)} ms`} (p99 ${r.p99.toFixed(2)} ms)`);
  // Little's law for a closed loop: mean latency = K / throughput, so at K = 50 the mean alone is
  // 10 ms at exactly 5,000/s; a p99 under 10 ms needs the host well above 5,000/s.
  console.log(`bench:host: closed loop, K / throughput = ${(50 / r.rate * 1000).toFixed(2)} ms mean latency by Little's law; p99 < 10 ms needs more than 50 / 10 ms = 5,000/s plus the spread`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-bench-host-'));
  const configDir = benchConfig(dir);
  const db = path.join(dir, 'host.sqlite');
  const host = await startHost(configDir, db);
  // A crashed bench must not leave its host running (it holds the terminal's stderr open).
  process.once('exit', () => host.child.kill('SIGKILL'));
  console.log(`bench:host: poscert host (pid ${host.child.pid}) on 127.0.0.1:${host.port}, journal + ledger in SQLite WAL ${db}`);
  console.log(`bench:host: closed-loop 0200 sales (MAC + 3DES PIN block), ${WARMUP_SECONDS} s warm-up then ${SECONDS} s measured per K; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  try {
    let first = 0;
    const results: RunResult[] = [];
    for (const k of CLIENT_COUNTS) {
      results.push(await run(host.port, configDir, k, first, host.child.pid!, db));
      first += k;
    }
    console.log(`bench:host: database ${mb(fileSize(db))} + WAL ${mb(fileSize(`${db}-wal`))} after the run (journal of every message in and out); `
      + `checkpoints ${process.env.POSCERT_WAL_CHECKPOINT === 'sqlite' ? "by SQLite's autocheckpoint inside commits (POSCERT_WAL_CHECKPOINT=sqlite)" : 'by the host\'s worker thread'}`);
    console.log(`bench:host: load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (the machine is shared: read the figures beside it)`);
    judge(results);
  } finally {
    host.child.removeAllListeners('exit');
    host.child.kill('SIGTERM');
    await new Promise((r) => host.child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:host: ${err instanceof Error ? err.stack : err}`);
  process.exitCode = 2;
});
