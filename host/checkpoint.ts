/**
 * WAL checkpoints off the host's event loop, with a bound on the WAL.
 *
 * Why: SQLite's automatic checkpoint runs inside the commit that crosses 1,000 pages, i.e. on the
 * event loop, and was the tail of the host's latency. A worker thread that only runs PASSIVE
 * checkpoints never catches up under steady writes: the WAL is restarted from its beginning only when
 * a writer finds it completely backfilled, which a concurrent PASSIVE pass almost never leaves it
 * (a lab run saw the WAL grow to 700 MB). So the worker here, on its own connection:
 *
 *  1. copies the bulk with PASSIVE passes (no lock the host's writer needs);
 *  2. once the pass has caught up to within a few frames and the WAL file is over `softLimitBytes`,
 *     tries TRUNCATE without waiting (busy_timeout 0): it gets the write lock only between two of the
 *     host's commits, copies the few frames left and truncates the file to 0 bytes; when the writer
 *     is busy it degrades to a PASSIVE pass and is tried again on the next tick;
 *  3. over `hardLimitBytes` (the writer outran the worker: its commits leave too short a gap for
 *     the lock, or the worker got no CPU) the host's connection, which looks at the WAL file after
 *     every group commit, runs the TRUNCATE itself, synchronously (`relieve()`): the event loop stalls for the copy of what the
 *     worker's PASSIVE passes left (back-pressure) and the WAL is bounded by hardLimitBytes plus
 *     what one tick and one group commit write. A checkpointer cannot do this from outside: SQLite
 *     gives the write lock to whoever asks when it is free, and a busy writer leaves it free only
 *     for microseconds between commits.
 *
 * Durability is unchanged: the WAL holds every commit (synchronous = NORMAL survives a killed
 * process); a checkpoint only moves committed pages into the database file. Should the worker die,
 * the host's connection goes back to SQLite's automatic checkpoints (the WAL stays bounded, the tail
 * comes back) and the statistics say so.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface CheckpointOptions {
  /** Tick of the worker (default 25 ms). */
  intervalMs?: number;
  /** WAL file size below which the worker leaves the WAL alone (default 1 MB): small passes cost an fsync each. */
  startBytes?: number;
  /** WAL file size from which the worker truncates the WAL when it can do so without waiting (default 16 MB). */
  softLimitBytes?: number;
  /** WAL file size from which the host's own connection truncates the WAL after its next commit (default 128 MB). */
  hardLimitBytes?: number;
}

/** What the worker has done so far. Sizes in bytes. */
export interface CheckpointStats {
  /** WAL file size at the worker's last tick. */
  walBytes: number;
  /** Largest WAL file size the worker has seen. */
  maxWalBytes: number;
  passive: number;
  /** TRUNCATE checkpoints that reset the WAL without waiting. */
  truncated: number;
  /** TRUNCATE attempts that found the writer busy (they ran as PASSIVE). */
  truncateBusy: number;
  /** Back-pressure checkpoints (the WAL had passed the hard limit; the host's connection truncated it). */
  backPressure: number;
  /** Longest back-pressure checkpoint (the event loop stalled this long), ms. */
  maxBackPressureMs: number;
  /** False when the worker died and SQLite's automatic checkpoints are back on the host's connection. */
  workerAlive: boolean;
  /** Why the worker stopped, when it did. */
  workerError?: string;
}

const SLOTS = ['walBytes', 'maxWalBytes', 'passive', 'truncated', 'truncateBusy', 'backPressure', 'maxBackPressureMs', 'overHardLimit'] as const;

// Plain JavaScript (the worker must run whether the host runs under ts-node or transpiled): it is
// handed the resolved path of better-sqlite3 so that it loads the very module the host uses.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.sqliteModule);
const o = workerData.options;
const stats = new Float64Array(workerData.stats);
const SLOT = Object.fromEntries(workerData.slots.map((s, i) => [s, i]));
// busy_timeout 0: the worker never waits for a lock, it tries again on its next tick.
const db = new Database(workerData.dbPath, { timeout: 0 });
db.pragma('wal_autocheckpoint = 0');
// Prepared once: db.pragma() compiles a new statement per call (up to 80 a second here), whose
// native memory is freed only when this thread's rare garbage collections finalize it.
const statements = { PASSIVE: db.prepare('PRAGMA wal_checkpoint(PASSIVE)'), TRUNCATE: db.prepare('PRAGMA wal_checkpoint(TRUNCATE)') };
const walPath = workerData.dbPath + '-wal';
let stopped = false;
parentPort.on('message', (m) => { if (m === 'stop') { stopped = true; } });
const walSize = () => { try { return fs.statSync(walPath).size; } catch { return 0; } };
const checkpoint = (mode) => {
  const r = statements[mode].get();
  return { busy: r.busy, log: r.log, done: r.checkpointed };
};
function tick() {
  if (stopped) { db.close(); process.exit(0); }
  let size = walSize();
  if (size >= o.startBytes) {
    const r = checkpoint('PASSIVE');
    stats[SLOT.passive]++;
    if (size >= o.softLimitBytes && r.log - r.done <= 64) {
      const t = checkpoint('TRUNCATE');
      if (t.busy) stats[SLOT.truncateBusy]++; else stats[SLOT.truncated]++;
    }
    // Over the hard limit: the host's connection truncates after its next commit (relieve()).
    if (walSize() >= o.hardLimitBytes) stats[SLOT.overHardLimit] = 1;
    const after = walSize();
    if (size > stats[SLOT.maxWalBytes]) stats[SLOT.maxWalBytes] = size;
    size = after;
  }
  stats[SLOT.walBytes] = size;
  setTimeout(tick, o.intervalMs);
}
tick();
`;

/** Longest the host's connection waits, blocking, for the worker's pass to free the checkpoint lock. */
const RELIEVE_WAIT_MS = 2000;

/** The checkpoint worker of one database file. */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly shared = new SharedArrayBuffer(SLOTS.length * 8);
  private readonly view = new Float64Array(this.shared);
  private alive = true;
  private error?: string;
  private stopping = false;
  private readonly walPath: string;
  private readonly hardLimitBytes: number;
  /** For a 1 ms blocking sleep between back-pressure attempts (Atomics.wait on a value that never changes). */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  /**
   * @param onWorkerDeath called once if the worker dies while the host runs: the host's connection
   *   must then take the checkpoints back (wal_autocheckpoint).
   */
  constructor(dbPath: string, options: CheckpointOptions, onWorkerDeath: (why: string) => void) {
    const opts: Required<CheckpointOptions> = {
      intervalMs: options.intervalMs ?? 25,
      startBytes: options.startBytes ?? 1024 * 1024,
      softLimitBytes: options.softLimitBytes ?? 16 * 1024 * 1024,
      hardLimitBytes: options.hardLimitBytes ?? 128 * 1024 * 1024,
    };
    this.walPath = `${dbPath}-wal`;
    this.hardLimitBytes = opts.hardLimitBytes;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { dbPath, options: opts, stats: this.shared, slots: SLOTS, sqliteModule: require.resolve('better-sqlite3') },
    });
    // The worker must never keep a host process alive on its own.
    this.worker.unref();
    const died = (why: string) => {
      if (!this.alive) return;
      this.alive = false;
      this.error = why;
      if (!this.stopping) onWorkerDeath(why);
    };
    this.worker.on('error', (err) => died(err.message));
    this.worker.on('exit', (code) => died(`checkpoint worker exited with code ${code}`));
  }

  stats(): CheckpointStats {
    const s = Object.fromEntries(SLOTS.map((k, i) => [k, this.view[i]])) as Record<(typeof SLOTS)[number], number>;
    const { overHardLimit: _flag, ...rest } = s;
    return { ...rest, workerAlive: this.alive, workerError: this.error };
  }

  /**
   * Back-pressure, on the host's connection after a commit: when the worker found the WAL over the
   * hard limit, truncate it now (blocking; the worker's passes have copied most of it already).
   */
  relieve(db: { pragma(source: string): unknown }): void {
    const flag = SLOTS.indexOf('overHardLimit');
    // The worker's flag, or the file itself: a starved worker (a loaded machine) must not unbound the
    // WAL. A stat costs microseconds, once per group commit.
    if (this.view[flag] !== 1) {
      let size = 0;
      try {
        size = fs.statSync(this.walPath).size;
      } catch {
        /* no WAL file */
      }
      if (size < this.hardLimitBytes) return;
    }
    const t0 = Date.now();
    // A TRUNCATE that finds the worker's PASSIVE pass holding the checkpoint lock answers busy at
    // once (no busy wait for that lock). On a loaded machine the worker can hold it for a long time
    // (it is starved mid-pass) while the host keeps committing: the WAL then grew to 50 MB over a
    // 1 MB hard limit. So wait here, blocking (this is the back-pressure), for the pass to end: the
    // worker gets the CPU the event loop leaves. Bounded, so that a stuck worker cannot stop the host.
    for (;;) {
      const r = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy?: number }[] | undefined)?.[0];
      if (!r?.busy || Date.now() - t0 > RELIEVE_WAIT_MS) break;
      Atomics.wait(this.sleeper, 0, 0, 1);
    }
    const ms = Date.now() - t0;
    this.view[flag] = 0;
    this.view[SLOTS.indexOf('backPressure')]++;
    const max = SLOTS.indexOf('maxBackPressureMs');
    if (ms > this.view[max]) this.view[max] = ms;
  }

  /** Stops the worker after its current checkpoint (it closes its connection); resolves when it has exited. */
  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    this.stopping = true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        void this.worker.terminate().then(() => resolve());
      }, 10_000);
      timer.unref();
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage('stop');
    });
  }
}
