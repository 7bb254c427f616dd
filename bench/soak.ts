/**
 * Soak: the reference host and 50 emulated terminals doing mixed traffic for N minutes, to show that
 * nothing grows that should not (memory, handles, file descriptors, the WAL) and that the ledger
 * still balances at the end. Each terminal is an EmulatedTerminal driven over TTP by a harness
 * client, exactly as the certification steps drive it; most talk TTP over in-process emu: links,
 * some over socat PTY pairs opened with serialport; all reach the host over real TCP. The host keeps
 * its journal and ledger in a SQLite file (WAL, checkpointed by its worker thread).
 *
 * Traffic per terminal, at random: sales of 0.01–0.50 (swipe and chip; small, so that the shared
 * test cards last), declines (insufficient funds, lost card), voids of the terminal's last sale, sales whose reply the host withholds (the terminal times
 * out and reverses before its next transaction) and settlements.
 *
 * Printed once a minute: operations (ok / failed), RSS, V8 heap, active handles, open file
 * descriptors, WAL and database size, latency (card presented to the result screen) p50 / p99.
 * At the end: the ledger invariant (every balance = opening + ledger = opening + the approved,
 * unreversed transactions; nothing booked twice) and the growth of each figure.
 *
 *   npm run soak -- --minutes 30 [--terminals 50] [--pty 5] [--sqlite-cache-mb N]   (MALLOC_ARENA_MAX=2 in the environment: see docs/host.md)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import Database from 'better-sqlite3';
import { createEmuLinkPair, openLink, seededRandom, type ByteLink } from '../links';
import { EmulatedTerminal } from '../emulator';
import type { TtpCommand } from '../protocol/ttp';
import { ledgerAudit } from '../host/ledger-audit';
import { ReferenceHost } from '../host';
import { MERCHANT_ID, PtyPair, TEST_TMK, TtpTestClient, card, testHostConfig } from '../test/emulator/harness';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`soak: --${name} needs a positive number, got ${JSON.stringify(process.argv[i + 1])}`);
    process.exit(2);
  }
  return n;
}

const MINUTES = arg('minutes', 1);
const TERMINALS = Math.min(60, arg('terminals', 50));
const PTYS = Math.min(TERMINALS, arg('pty', 5));
const SEED = arg('seed', 15);
/** The host's SQLite page cache (MB): its memory beside the V8 heap, filled as the database grows; default the host's. */
const CACHE_MB = process.argv.includes('--sqlite-cache-mb') ? arg('sqlite-cache-mb', 16) : undefined;

interface Sample {
  minute: number;
  ok: number;
  failed: number;
  byKind: Map<string, number>;
  latencies: number[];
}

interface Lane {
  terminalId: string;
  terminal: EmulatedTerminal;
  client: TtpTestClient;
  links: ByteLink[];
  lastSale?: string;
}

const config = testHostConfig();
const rnd = seededRandom(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

function fdCount(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return NaN;
  }
}

/** Resident memory by kind, from /proc/self/status (Linux): anonymous (heaps: V8, malloc, SQLite's cache) and file/shared mappings (code, the WAL index). */
function residentKinds(): { anon: number; fileShm: number } {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { anon: kb('RssAnon'), fileShm: kb('RssFile') + kb('RssShmem') };
  } catch {
    return { anon: NaN, fileShm: NaN };
  }
}

function size(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : NaN;
}

const digits = (n: number) => String(n).split('');
/** Screen waits: generous, the machine is shared (a late screen is a latency, not a failure). */
const WAIT_MS = 30_000;

/** One sale through the keypad: amount, card, PIN; resolves with the screen that ended it. */
async function sale(lane: Lane, amountFen: number, method: 'swipe' | 'insert', alias: string): Promise<string> {
  const c = lane.client;
  let m = c.mark();
  await c.keys('1');
  await c.waitScreen('请输入金额', m, WAIT_MS);
  await c.keys(...digits(amountFen), 'ENTER');
  await c.waitScreen('请刷卡/插卡/挥卡', m, WAIT_MS);
  m = c.mark();
  await c.present(method, card(config, alias));
  await c.waitScreen('请输入密码', m, WAIT_MS);
  await c.keys('1', '2', '3', '4', '5', '6', 'ENTER');
  const end = await c.waitScreen(/交易成功|交易失败|交易超时|余额不足|挂失|失败|拒绝/, m, WAIT_MS);
  return end.lines.join(' ');
}

async function operate(lane: Lane, host: ReferenceHost, kind: string): Promise<void> {
  const c = lane.client;
  switch (kind) {
    case 'sale-swipe':
    case 'sale-chip': {
      const screen = await sale(lane, 1 + Math.floor(rnd() * 50), kind === 'sale-swipe' ? 'swipe' : 'insert', kind === 'sale-swipe' ? 'MAG' : 'IC');
      if (!screen.includes('交易成功')) throw new Error(`${kind} ended on "${screen}"`);
      const last = host.control.transactions({ terminalId: lane.terminalId, kind: 'sale' }).at(-1);
      lane.lastSale = last?.approved && !last.reversed ? last.stan : undefined;
      break;
    }
    case 'decline': {
      const screen = await sale(lane, 200_000, 'swipe', pick(['LOW', 'LOST']));
      if (screen.includes('交易成功')) throw new Error(`a decline was approved: "${screen}"`);
      break;
    }
    case 'timeout-reversal': {
      host.control.injectFault({ match: { terminalId: lane.terminalId, mti: '0200' }, action: 'no-response' });
      const screen = await sale(lane, 300, 'swipe', 'MAG');
      if (!screen.includes('交易超时')) throw new Error(`a withheld reply ended on "${screen}"`);
      break;
    }
    case 'void': {
      if (!lane.lastSale) return operate(lane, host, 'sale-swipe');
      const m = c.mark();
      await c.keys('3');
      await c.waitScreen('请输入原凭证号', m, WAIT_MS);
      await c.keys(...lane.lastSale.split(''), 'ENTER');
      await c.waitScreen('请确认撤销', m, WAIT_MS);
      await c.keys('ENTER');
      const end = await c.waitScreen(/交易成功|交易失败|失败/, m, WAIT_MS);
      lane.lastSale = undefined;
      if (!end.lines.join('').includes('交易成功')) throw new Error(`void ended on "${end.lines.join(' ')}"`);
      break;
    }
    case 'settle': {
      const m = c.mark();
      await c.keys('7');
      await c.waitScreen('确认结算', m, WAIT_MS);
      await c.keys('ENTER');
      await c.waitScreen(/结算成功|对帐平|对帐不平/, m, WAIT_MS);
      lane.lastSale = undefined;
      break;
    }
    default:
      throw new Error(`unknown operation ${kind}`);
  }
}

const MIX: [string, number][] = [
  ['sale-swipe', 0.4],
  ['sale-chip', 0.2],
  ['decline', 0.1],
  ['void', 0.12],
  ['timeout-reversal', 0.08],
  ['settle', 0.1],
];
function nextKind(): string {
  let r = rnd();
  for (const [k, p] of MIX) {
    if ((r -= p) < 0) return k;
  }
  return 'sale-swipe';
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-soak-'));
  const dbPath = path.join(dir, 'host.sqlite');
  const host = await ReferenceHost.start({ config, port: 0, dbPath, idleTimeoutMs: 10_000, sqliteCacheMb: CACHE_MB });
  const ptys: PtyPair[] = [];
  const lanes: Lane[] = [];
  console.log(
    `soak: ${TERMINALS} emulated terminals (${PTYS} over socat PTYs, the rest over emu: links), host on 127.0.0.1:${host.port}, ` +
      `SQLite WAL ${dbPath} (page cache ${CACHE_MB ?? 'the host default of 16'} MB; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}); ${MINUTES} min; seed ${SEED}; ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  for (let i = 0; i < TERMINALS; i++) {
    const terminalId = `EMU${String(i + 1).padStart(5, '0')}`;
    let harnessLink: ByteLink;
    let terminalLink: ByteLink;
    if (i < PTYS) {
      const pty = await PtyPair.start();
      ptys.push(pty);
      terminalLink = await openLink(`serial:${pty.a}`);
      harnessLink = await openLink(`serial:${pty.b}`);
    } else {
      [harnessLink, terminalLink] = createEmuLinkPair(`emu:soak-${terminalId}`);
    }
    const terminal = new EmulatedTerminal({
      hostUrl: `tcp://127.0.0.1:${host.port}`,
      statePath: path.join(dir, `${terminalId}.json`),
      terminalId,
      merchantId: MERCHANT_ID,
      merchantName: '上海测试便利店',
      tmk: TEST_TMK,
      voucherCopies: 1,
      timeouts: { hostResponseMs: 5000, hostConnectMs: 3000, cardMs: 20_000, pinMs: 20_000, idleMs: 60_000 },
    });
    terminal.attach(terminalLink);
    const client = new TtpTestClient(harnessLink);
    await terminal.powerOn();
    lanes.push({ terminalId, terminal, client, links: [harnessLink, terminalLink] });
  }

  const samples: Sample[] = [];
  let current: Sample = { minute: 1, ok: 0, failed: 0, byKind: new Map(), latencies: [] };
  const failures: string[] = [];
  const start = Date.now();
  const end = start + MINUTES * 60_000;
  const rows: string[] = [];
  // RSS split: anon = anonymous resident memory (V8 heap, Buffers, malloc, SQLite's page cache);
  // native = anon − V8 heap reserved − external (Buffers): what malloc holds, SQLite's cache first.
  const header =
    'min   ops  fail   RSS MB  heap MB  handles  fds   WAL MB   DB MB  p50 ms  p99 ms  load   anon MB  file+shm MB  heapTotal MB  external MB  native MB  v8 malloc MB';
  const memRows: { rss: number; heapUsed: number; native: number; db: number }[] = [];
  const report = (partial = false) => {
    const s = current;
    samples.push(s);
    const lat = [...s.latencies].sort((a, b) => a - b);
    const mem = process.memoryUsage();
    const row =
      `${String(s.minute).padStart(3)} ${String(s.ok).padStart(5)} ${String(s.failed).padStart(5)} ${(mem.rss / 1e6).toFixed(1).padStart(8)} ` +
      `${(mem.heapUsed / 1e6).toFixed(1).padStart(8)} ${String(process.getActiveResourcesInfo().length).padStart(8)} ${String(fdCount()).padStart(4)} ` +
      `${(size(`${dbPath}-wal`) / 1e6).toFixed(1).padStart(8)} ${(size(dbPath) / 1e6).toFixed(1).padStart(7)} ${pct(lat, 0.5).toFixed(0).padStart(7)} ` +
      `${pct(lat, 0.99).toFixed(0).padStart(7)}  ${os.loadavg()[0].toFixed(1).padStart(4)}`;
    const kinds = residentKinds();
    const native = kinds.anon - mem.heapTotal - mem.external;
    // The last, partial minute (the lanes have stopped) is shown but kept out of the slope.
    if (!partial) memRows.push({ rss: mem.rss, heapUsed: mem.heapUsed, native, db: size(dbPath) });
    rows.push(row);
    const fullRow =
      `${row} ${(kinds.anon / 1e6).toFixed(1).padStart(9)} ${(kinds.fileShm / 1e6).toFixed(1).padStart(12)} ${(mem.heapTotal / 1e6).toFixed(1).padStart(13)} ` +
      `${(mem.external / 1e6).toFixed(1).padStart(12)} ${(native / 1e6).toFixed(1).padStart(10)} ${(v8.getHeapStatistics().malloced_memory / 1e6).toFixed(1).padStart(12)}`;
    console.log(fullRow);
    current = { minute: s.minute + 1, ok: 0, failed: 0, byKind: new Map(), latencies: [] };
  };
  console.log(header);
  const ticker = setInterval(() => report(), 60_000);

  const runLane = async (lane: Lane) => {
    while (Date.now() < end) {
      const kind = nextKind();
      const t0 = Date.now();
      try {
        await operate(lane, host, kind);
        current.ok++;
        current.latencies.push(Date.now() - t0);
        current.byKind.set(kind, (current.byKind.get(kind) ?? 0) + 1);
      } catch (err) {
        current.failed++;
        if (process.env.SOAK_VERBOSE) console.log(`${lane.terminalId} ${kind}: ${(err as Error).message.split('\n')[0]}`);
        if (failures.length < 20) {
          const last = lane.client.events
            .slice(-8)
            .map((e) => (e.evt === 'display' ? e.lines.join('/') : e.evt === 'state' ? `state ${e.state}` : e.evt))
            .join(' | ');
          failures.push(`${lane.terminalId} ${kind}: ${(err as Error).message.split('\n')[0]} [last events: ${last}]`);
        }
      }
      // A chip card stays in the reader after its sale, as a cardholder would leave it: take it out.
      await lane.client.raw({ cmd: 'card', action: 'remove' } as TtpCommand, WAIT_MS).catch(() => undefined);
      try {
        const m = lane.client.mark();
        await lane.client.keys('CANCEL');
        await lane.client.waitState('idle', m, WAIT_MS);
      } catch {
        // A terminal stuck mid-flow: power-cycle it, as a lab would.
        await lane.client.cmd({ cmd: 'power', action: 'cycle' }, 30_000).catch(() => undefined);
      }
      // The harness client records every event for its waits; drop what this operation needed so
      // that the soak measures the host and the terminals, not its own transcript.
      lane.client.events.splice(0);
    }
  };
  await Promise.all(lanes.map(runLane));
  clearInterval(ticker);
  if (current.ok + current.failed > 0) report(true);

  for (const lane of lanes) {
    await lane.terminal.shutdown();
    lane.client.close();
    for (const l of lane.links) await l.close().catch(() => undefined);
  }
  for (const p of ptys) await p.stop();
  await host.stop();

  // The ledger invariant, on the database the host left behind.
  const db = new Database(dbPath, { readonly: true });
  let problems: string[];
  try {
    problems = ledgerAudit(db);
    const counts = db
      .prepare(`SELECT kind, approved, reversed, COUNT(*) n FROM transactions GROUP BY kind, approved, reversed ORDER BY kind`)
      .all() as { kind: string; approved: number; reversed: number; n: number }[];
    const settlements = db.prepare('SELECT COUNT(*) FROM settlements').pluck().get() as number;
    const journal = db.prepare('SELECT COUNT(*) FROM journal').pluck().get() as number;
    console.log(
      `soak: host booked ${counts.map((c) => `${c.kind}${c.approved ? '' : ' declined'}${c.reversed ? ' reversed' : ''} ${c.n}`).join(', ')}; ` +
        `${settlements} settlements; ${journal} journal rows`,
    );
  } finally {
    db.close();
  }
  const total = samples.reduce((n, s) => n + s.ok, 0);
  const failed = samples.reduce((n, s) => n + s.failed, 0);
  const kinds = new Map<string, number>();
  for (const s of samples) for (const [k, v] of s.byKind) kinds.set(k, (kinds.get(k) ?? 0) + v);
  console.log(
    `soak: ${total} operations ok (${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}), ${failed} failed in ${((Date.now() - start) / 60_000).toFixed(1)} min`,
  );
  for (const f of failures) console.log(`soak: failed: ${f}`);
  if (memRows.length >= 3) {
    // Flat or not: growth over the run, and the slope of the last half (a bounded warm-up levels off).
    const first = memRows[0];
    const last = memRows.at(-1)!;
    const half = memRows.slice(Math.floor(memRows.length / 2));
    const slope = (key: 'rss' | 'heapUsed' | 'native') => (half.at(-1)![key] - half[0][key]) / 1e6 / Math.max(1, half.length - 1);
    console.log(
      `soak: memory minute 1 → ${memRows.length}: RSS ${(first.rss / 1e6).toFixed(1)} → ${(last.rss / 1e6).toFixed(1)} MB, V8 heap used ${(first.heapUsed / 1e6).toFixed(1)} → ${(last.heapUsed / 1e6).toFixed(1)} MB, ` +
        `native (malloc: SQLite page cache ≤ ${CACHE_MB ?? 16} MB, the other threads' arenas, ...) ${(first.native / 1e6).toFixed(1)} → ${(last.native / 1e6).toFixed(1)} MB, database ${(first.db / 1e6).toFixed(1)} → ${(last.db / 1e6).toFixed(1)} MB; ` +
        `slope over the last ${half.length} minutes: RSS ${slope('rss').toFixed(2)} MB/min, heap ${slope('heapUsed').toFixed(2)} MB/min, native ${slope('native').toFixed(2)} MB/min`,
    );
  }
  console.log(`soak: ledger invariant ${problems.length === 0 ? 'intact' : `BROKEN:\n  ${problems.join('\n  ')}`}`);
  console.log(
    `soak: load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (problems.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`soak: ${err instanceof Error ? err.stack : err}`);
  process.exitCode = 2;
});
