/**
 * Fuzz target: the reference host over real TCP. A `poscert host` child process (SQLite file, WAL)
 * gets mutated valid requests (MACed sales, balance inquiries, reversals, settlements of three
 * signed-on terminals, mutated by fast-check) on pipelined connections, frames with random length
 * prefixes, slow-loris connections that dribble a frame a byte at a time and half-open sockets,
 * while a good terminal keeps selling on its own card and checks every reply (F39 00, MAC).
 *
 * A crash is: the host process dies; a reply that does not decode; a response code the host's
 * documentation does not list (docs/host.md, 96 = an internal error of the host included); a good
 * sale not approved. A hang is a window of frames neither answered nor closed within 20 s. After
 * the run: the ledger invariant on the database the host leaves (every balance = opening + ledger =
 * opening + approved unreversed transactions; nothing booked twice) and the good card's balance =
 * opening − what the good terminal was told was approved.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { LengthPrefixedReader, decodeFrame, encodeFrame, type IsoMessage } from '../../protocol/iso8583';
import { ledgerAudit } from '../../host/ledger-audit';
import { REQUEST_HEADER, REQUEST_TPDU, TestTerminal } from '../host/terminal-client';
import { card, identity } from '../host/helpers';
import { startHostProcess, stopProcess, type HostProcess } from '../host/child-host';
import { count, crash, mutate, mutationArb, newReport, type FuzzBudget, type FuzzReport, type Mutation } from './engine';

const ROOT = path.join(__dirname, '..', '..');
/** Response codes docs/host.md lists (Decisions); 96 is listed too but means a host bug: a crash here. */
const DOCUMENTED = new Set([
  '00',
  '30',
  '97',
  '03',
  'A0',
  '40',
  '94',
  '13',
  '14',
  '41',
  '43',
  '54',
  '62',
  '75',
  '55',
  '99',
  '59',
  '61',
  '51',
  '25',
  '64',
  '12',
]);
const WINDOW = 64;
const PIPELINES = 4;

function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}
function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Valid requests of one terminal, built once (MAC, PIN block): the seeds the mutations start from. */
async function seedFrames(port: number, terminalId: string, n: number): Promise<Buffer[]> {
  const t = await TestTerminal.connect(port, identity(terminalId), 10_000);
  try {
    const r = await t.signOn('003');
    if (r.rc !== '00') throw new Error(`sign-on of ${terminalId} answered ${r.rc}`);
    const bench = card('UP-BENCH');
    const frames: Buffer[] = [];
    const enc = (m: IsoMessage) => encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: m });
    for (let i = 0; i < n; i++) {
      const sale = t.sale({ card: bench, pin: '123456' }, 1 + (i % 50));
      frames.push(enc(sale.msg));
      if (i % 5 === 0) frames.push(enc(t.reversal(sale.msg)));
      if (i % 7 === 0) frames.push(enc(t.mac(t.balance({ card: bench, pin: '123456' }).msg)));
      if (i % 11 === 0) frames.push(enc(t.void({ card: bench }, 1 + (i % 50), { stan: sale.stan }).msg));
      if (i % 97 === 0)
        frames.push(
          enc(
            t.settlement({
              domestic: { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0, result: '0' },
              foreign: { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0, result: '0' },
            }),
          ),
        );
    }
    return frames;
  } finally {
    t.close();
  }
}

interface Pipeline {
  socket: net.Socket;
  reader: LengthPrefixedReader;
  replies: Buffer[];
  closed: boolean;
  wake?: () => void;
}

function openPipeline(port: number): Promise<Pipeline> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const p: Pipeline = { socket, reader: new LengthPrefixedReader({ maxFrameSize: 65535 }), replies: [], closed: false };
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(p));
    socket.once('error', reject);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      try {
        p.replies.push(...p.reader.push(chunk));
      } catch {
        p.replies.push(Buffer.alloc(0)); // a reply the client cannot even cut: flagged below
      }
      p.wake?.();
    });
    socket.on('close', () => {
      p.closed = true;
      p.wake?.();
    });
  });
}

export async function fuzzHostTcp(budget: FuzzBudget): Promise<FuzzReport> {
  const r = newReport('host over tcp');
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-fuzz-host-'));
  const dbPath = path.join(dir, 'host.sqlite');
  let host: HostProcess | undefined;
  let stopping = false;
  let peakRss = 0;
  let maxWal = 0;
  const chaos: net.Socket[] = [];
  try {
    host = await startHostProcess(['--port', '0', '--db', dbPath, '--quiet', '--idle-timeout', '3000', '--config', path.join(ROOT, 'scenarios')]);
    const hostPid = host.child.pid!;
    let hostDied: string | undefined;
    host.child.once('exit', (code, signal) => {
      if (!stopping) hostDied = `the host process exited (${code ?? signal})`;
    });
    const port = host.port;
    const fds0 = fdCount(hostPid);
    const seeds = (
      await Promise.all(
        ['10000002', '10000003', '10000004'].map((id) => seedFrames(port, id, Math.max(20, Math.min(400, Math.floor(budget.count / 100))))),
      )
    ).flat();
    const mutations = fc.sample(fc.tuple(fc.nat(seeds.length - 1), fc.array(mutationArb, { minLength: 0, maxLength: 4 }), fc.nat(99)), {
      seed: budget.seed,
      numRuns: Math.min(budget.count, 200_000),
    });
    // The time budget counts from here: start-up and seed building are not fuzzing.
    const fuzzStart = Date.now();
    const deadline = fuzzStart + budget.timeMs;
    const monitor = setInterval(() => {
      peakRss = Math.max(peakRss, rssOf(hostPid));
      try {
        maxWal = Math.max(maxWal, fs.statSync(`${dbPath}-wal`).size);
      } catch {
        /* no WAL yet */
      }
    }, 500);

    // The good terminal: sells 1 fen at a time on its own card and checks every reply.
    const goodCard = card('UP-DEBIT-MAG');
    let goodApproved = 0;
    let goodFen = 0;
    let goodFailed = 0;
    let goodMaxMs = 0;
    let fuzzing = true;
    const good = (async () => {
      let t = await TestTerminal.connect(port, identity('10000001'), 20_000);
      await t.signOn('003');
      while (fuzzing) {
        const amount = 1 + (goodApproved % 7);
        const sale = t.sale({ card: goodCard, pin: '123456' }, amount);
        const s0 = Date.now();
        try {
          const reply = await t.send(sale.msg);
          goodMaxMs = Math.max(goodMaxMs, Date.now() - s0);
          if (reply.rc === '00' && t.verifyReplyMac(reply.msg)) {
            goodApproved++;
            goodFen += amount;
          } else {
            goodFailed++;
            crash(r, `the good terminal's sale was answered ${reply.rc}`, `STAN ${sale.stan}`);
          }
        } catch (err) {
          // No reply: the spec's answer is a reversal; the ledger check below then knows what was booked.
          goodFailed++;
          crash(r, `the good terminal got no reply: ${(err as Error).message}`, `STAN ${sale.stan}`);
          const again = await TestTerminal.connect(port, identity('10000001'), 20_000);
          again.resumeFrom(t);
          t.close();
          t = again;
          const rev = await t.send(t.reversal(sale.msg));
          if (rev.rc === '00') count(r, 'good terminal reversal');
        }
      }
      t.close();
    })();

    // Chaos beside the pipelines: random lengths, slow-loris, half-open sockets.
    let chaosConnections = 0;
    let slowLorisClosedByHost = 0;
    const rnd = (() => {
      let s = budget.seed >>> 0;
      return () => {
        s = (s * 1664525 + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
    })();
    const chaosLoop = (async () => {
      while (fuzzing) {
        const kind = rnd();
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        chaosConnections++;
        const seed = seeds[Math.floor(rnd() * seeds.length)];
        if (kind < 0.4) {
          // Random length prefix with random bytes after it, then FIN.
          const len = Buffer.alloc(2);
          len.writeUInt16BE(Math.floor(rnd() * 65536));
          s.end(Buffer.concat([len, Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)))]));
          r.inputs++;
        } else if (kind < 0.7) {
          // Half-open: part of a valid frame, then FIN (or a reset) without the rest.
          s.once('connect', () => {
            s.write(seed.subarray(0, 1 + Math.floor(rnd() * (seed.length - 1))));
            if (rnd() < 0.5) s.end();
            else s.destroy();
          });
          r.inputs++;
        } else if (chaos.length < 40) {
          // Slow-loris: a valid frame a byte at a time, one byte per 400 ms (under the idle timeout).
          chaos.push(s);
          let i = 0;
          const drip = setInterval(() => {
            if (s.destroyed || !fuzzing) {
              clearInterval(drip);
              if (s.destroyed && fuzzing) slowLorisClosedByHost++;
              return;
            }
            s.write(seed.subarray(i, i + 1));
            if (++i >= seed.length) {
              i = 0;
              r.inputs++;
            }
          }, 400);
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    })();

    // Pipelines: windows of WINDOW mutated, well-framed requests. The host answers in order; when it
    // closes the connection (a frame whose header or MTI it cannot read: documented), the frame after
    // the last reply is the one it refused and the rest of the window goes again on a new connection.
    let next = 0;
    let replied = 0;
    let closedByHost = 0;
    const classifyReply = (raw: Buffer) => {
      replied++;
      try {
        const rc = decodeFrame(raw).message.getString(39) ?? '(no F39)';
        count(r, `rc ${rc}`);
        if (rc === '96') crash(r, 'the host answered 96 (internal error)', raw.toString('hex'));
        else if (!DOCUMENTED.has(rc)) crash(r, `undocumented response code ${rc}`, raw.toString('hex'));
        else if (rc === '00') r.accepted++;
        else r.typedErrors++;
      } catch (err) {
        crash(r, `a reply that does not decode: ${(err as Error).message}`, raw.toString('hex'));
      }
    };
    const pipeline = async () => {
      let p = await openPipeline(port);
      while (next < budget.count && Date.now() < deadline && !hostDied) {
        let pending: Buffer[] = [];
        for (let i = 0; i < WINDOW && next < budget.count; i++, next++) {
          const [si, ms] = mutations[next % mutations.length];
          const extra: Mutation[] = next >= mutations.length ? [{ op: 'flip', at: next, bit: next % 8 }] : [];
          let b = mutate(seeds[si], [...ms, ...extra], 2);
          if (b.length - 2 > 0xffff) b = b.subarray(0, 0xffff + 2);
          b.writeUInt16BE(b.length - 2, 0);
          pending.push(b);
        }
        r.inputs += pending.length;
        while (pending.length > 0 && !hostDied) {
          p.socket.write(Buffer.concat(pending));
          const w0 = Date.now();
          let hung = false;
          while (p.replies.length < pending.length && !p.closed && !hostDied) {
            if (Date.now() - w0 > 20_000) {
              hung = true;
              break;
            }
            await new Promise<void>((res) => {
              p.wake = res;
              setTimeout(res, 100);
            });
          }
          const got = p.replies.splice(0);
          for (const raw of got) classifyReply(raw);
          if (got.length >= pending.length) break;
          if (hung) {
            r.hangs++;
            crash(
              r,
              `no reply and no close for ${pending.length - got.length} of ${pending.length} frames within 20 s`,
              pending[got.length].toString('hex'),
            );
          } else {
            closedByHost++;
            count(r, 'connection closed by the host');
          }
          pending = pending.slice(got.length + 1);
          p.socket.destroy();
          p = await openPipeline(port);
        }
      }
      p.socket.destroy();
    };
    await Promise.all(Array.from({ length: PIPELINES }, () => pipeline()));
    fuzzing = false;
    await Promise.all([good, chaosLoop]);
    for (const s of chaos) s.destroy();
    clearInterval(monitor);
    if (hostDied) crash(r, hostDied, '');
    await new Promise((res) => setTimeout(res, 500));
    const fds1 = fdCount(hostPid);
    r.ms = Date.now() - fuzzStart;
    if (r.inputs < budget.count) r.stoppedByTime = true;
    r.notes.push(`start-up and seeds ${((fuzzStart - t0) / 1000).toFixed(1)} s (not counted in the rate)`);

    stopping = true;
    await stopProcess(host, 'SIGTERM');
    const problems = ledgerProblems(dbPath, goodFen);
    for (const p of problems) crash(r, `ledger: ${p}`, '');
    r.notes.push(
      `${replied} replies; ${closedByHost} frames refused by closing the connection; ` +
        `${chaosConnections} chaos connections (random lengths, half-open, ${chaos.length} slow-loris of which ${slowLorisClosedByHost} closed by the host)`,
    );
    r.notes.push(
      `good terminal: ${goodApproved} sales approved and MAC-verified, ${goodFailed} failed, slowest ${goodMaxMs} ms; ledger invariant ${problems.length ? 'BROKEN' : 'intact'}`,
    );
    r.notes.push(
      `host: peak RSS ${(peakRss / 1e6).toFixed(0)} MB, WAL at most ${(maxWal / 1e6).toFixed(1)} MB, open fds ${fds0} at start, ${fds1} after the fuzzing`,
    );
  } finally {
    fuzzingStop(chaos);
    stopping = true;
    if (host) await stopProcess(host, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

function fuzzingStop(sockets: net.Socket[]): void {
  for (const s of sockets) s.destroy();
}

/** The ledger invariant on a host database (as test/host/invariant.test.ts checks it) and the good card's balance. */
export function ledgerProblems(dbPath: string, goodFen: number): string[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return ledgerAudit(db, (a, problems) => {
      if (a.card_alias === 'UP-DEBIT-MAG' && a.balance !== a.opening_balance - goodFen)
        problems.push(`UP-DEBIT-MAG: balance ${a.balance}, the good terminal was told opening − ${goodFen}`);
    });
  } finally {
    db.close();
  }
}
