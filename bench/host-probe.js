/**
 * Preloaded into the `poscert host` child of bench/host.ts (node --require) to measure, inside the
 * host process, where its latency tail comes from, without putting measuring code in host/:
 *
 *  - event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution): how late the loop runs
 *    callbacks, i.e. how long a frame that arrived waits before the host even reads it;
 *  - GC pauses (PerformanceObserver 'gc'): count, total and longest;
 *  - group commits (ReferenceHost.flush, wrapped): frames per commit and how long each blocks the
 *    loop, and of that the journal inserts (HostStore.insertJournal) and BEGIN + COMMIT (with a
 *    back-pressure checkpoint when there is one); the rest is the handlers (decode, MAC, PIN, the
 *    other statements, encode);
 *  - checkpoints: the worker's statistics (back-pressure truncations stall the loop).
 *
 * Plain JavaScript: it runs before bin/poscert.js registers ts-node, and patches the host's classes
 * when the CLI loads their modules (a hook on Module._load). On SIGUSR2 it
 * writes what it measured since the previous SIGUSR2 as JSON to POSCERT_PROBE_FILE and starts afresh.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay, PerformanceObserver, performance } = require('node:perf_hooks');

const out = process.env.POSCERT_PROBE_FILE;
if (out) {
  const root = path.join(__dirname, '..');
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let seq = 0;
  let hostRef;
  const fresh = () => ({ gc: [], flushes: [], journalMs: 0, journals: 0, commitMs: 0, startedAt: Date.now() });
  let m = fresh();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) m.gc.push({ start: e.startTime, duration: e.duration });
  }).observe({ entryTypes: ['gc'] });

  // Patch the host's classes when the CLI loads them (whatever loads them: ts-node, lazily).
  const patched = new Set();
  const patchHost = (ReferenceHost) => {
    const flush = ReferenceHost.prototype.flush;
    ReferenceHost.prototype.flush = function probedFlush() {
      hostRef = this;
      const frames = this.queue.length;
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      flush.call(this);
      const cpu = process.cpuUsage(cpu0);
      m.flushes.push({ start, wall: performance.now() - start, cpu: (cpu.user + cpu.system) / 1000, frames });
    };
  };
  const patchStore = (HostStore) => {
    const insertJournal = HostStore.prototype.insertJournal;
    HostStore.prototype.insertJournal = function probedInsertJournal(j) {
      const t0 = process.hrtime.bigint();
      insertJournal.call(this, j);
      m.journalMs += Number(process.hrtime.bigint() - t0) / 1e6;
      m.journals++;
    };
    const transaction = HostStore.prototype.transaction;
    HostStore.prototype.transaction = function probedTransaction(fn) {
      if (this.db.inTransaction) return transaction.call(this, fn);
      // BEGIN IMMEDIATE + COMMIT (+ a back-pressure checkpoint) = the transaction minus its body.
      let bodyMs = 0;
      const t0 = process.hrtime.bigint();
      try {
        return transaction.call(this, () => {
          const t1 = process.hrtime.bigint();
          try {
            return fn();
          } finally {
            bodyMs = Number(process.hrtime.bigint() - t1) / 1e6;
          }
        });
      } finally {
        m.commitMs += Number(process.hrtime.bigint() - t0) / 1e6 - bodyMs;
      }
    };
  };
  const Module = require('node:module');
  const load = Module._load;
  Module._load = function probedLoad(request, parent, isMain) {
    const exported = load.apply(this, arguments);
    if (exported && typeof exported === 'object') {
      for (const [name, patchIt] of [
        ['ReferenceHost', patchHost],
        ['HostStore', patchStore],
      ]) {
        const cls =
          Object.getOwnPropertyDescriptor(exported, name)?.value ??
          (Object.prototype.hasOwnProperty.call(exported, name) ? exported[name] : undefined);
        if (typeof cls === 'function' && !patched.has(cls)) {
          patched.add(cls);
          patchIt(cls);
        }
      }
    }
    return exported;
  };

  const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : 0);
  process.on('SIGUSR2', () => {
    const fl = m.flushes;
    const flushMs = fl.map((f) => f.wall).sort((a, b) => a - b);
    const frames = fl.map((f) => f.frames).sort((a, b) => a - b);
    const gc = m.gc.map((g) => g.duration).sort((a, b) => a - b);
    // The slowest 1 % of group commits, taken apart: GC pauses inside them, CPU time (the process's:
    // the checkpoint worker's share is included) and the rest, time off the CPU.
    const threshold = pct(flushMs, 0.99);
    const slow = fl.filter((f) => f.wall >= threshold);
    const gcInside = (f) => m.gc.reduce((a, g) => a + Math.max(0, Math.min(f.start + f.wall, g.start + g.duration) - Math.max(f.start, g.start)), 0);
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const report = {
      seq: ++seq,
      seconds: (Date.now() - m.startedAt) / 1000,
      loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6, mean: loop.mean / 1e6 },
      gc: { count: gc.length, totalMs: gc.reduce((a, b) => a + b, 0), p99Ms: pct(gc, 0.99), maxMs: gc.at(-1) ?? 0 },
      flush: {
        count: flushMs.length,
        totalMs: flushMs.reduce((a, b) => a + b, 0),
        cpuMs: fl.reduce((a, f) => a + f.cpu, 0),
        p50Ms: pct(flushMs, 0.5),
        p99Ms: threshold,
        maxMs: flushMs.at(-1) ?? 0,
        framesMean: mean(frames),
        framesMax: frames.at(-1) ?? 0,
      },
      slowFlush: {
        count: slow.length,
        wallMs: mean(slow.map((f) => f.wall)),
        gcMs: mean(slow.map(gcInside)),
        cpuMs: mean(slow.map((f) => Math.min(f.cpu, f.wall))),
        frames: mean(slow.map((f) => f.frames)),
      },
      journal: { count: m.journals, totalMs: m.journalMs },
      commitMs: m.commitMs,
      checkpoint: hostRef?.store?.checkpointStats?.() ?? null,
    };
    fs.writeFileSync(out, JSON.stringify(report));
    loop.reset();
    m = fresh();
  });
}
