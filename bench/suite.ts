/**
 * Suite benchmark: wall time of the full certification plan against the built-in emulator with
 * `--parallel 1` and `--parallel 2`, and where the time goes. Goals (issue 15): under 30 s at
 * --parallel 1 on a 2-core machine, and at least ×1.8 faster at --parallel 2; printed as met or by
 * how much they miss, with the measured parts of the time (per step definition, hooks, each
 * worker's start-up and idle tail, Allure, the scan).
 *
 *   npm run bench:suite                          both, with the Allure report
 *   npm run bench:suite -- --parallel 1,2,4 --runs 2 --no-report
 *
 * Phases of one run (measured, not estimated):
 *   startup     spawn of cucumber → testRunStarted (node, ts-node, support code, feature parsing)
 *   scenarios   testRunStarted → testRunFinished (the plan itself; with --parallel the workers'
 *               own start-up comes first: they load the support code again)
 *     in hooks  Σ Before/After hook time (bring the terminal to idle, attach evidence: harness work)
 *     in steps  Σ step time (driving the terminal and waiting for it and the host)
 *   reporting   certificate, JUnit, Allure alignment and generation, sensitive-data scan
 * The harness's share = everything but the time inside steps, over the wall time
 * (per worker-second for --parallel N).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certify } from '../certification/certify';
import { parseMessageStream } from '../certification/results';
import { emulatorTimeoutEnv } from '../cli/commands/certify';

const root = path.join(__dirname, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Tally {
  ms: number;
  count: number;
  maxMs: number;
}
interface WorkerTimes {
  startupMs: number;
  busyMs: number;
  idleTailMs: number;
  cases: number;
}
interface StepTimes {
  hooksMs: number;
  stepsMs: number;
  scenarios: number;
  firstCaseMs: number;
  /** Σ time per step definition (its pattern) and per hook (name or file:line). */
  bySteps: Map<string, Tally>;
  byHooks: Map<string, Tally>;
  /** Per worker: start-up (run start → its first case), busy (its cases), idle at the end (its last case → run end). */
  workers: Map<string, WorkerTimes>;
}

const tally = (m: Map<string, Tally>, key: string, ms: number) => {
  const t = m.get(key) ?? { ms: 0, count: 0, maxMs: 0 };
  t.ms += ms;
  t.count++;
  t.maxMs = Math.max(t.maxMs, ms);
  m.set(key, t);
};

/** The parts of cucumber's messages read here beyond what certification/results.ts types. */
type Timestamp = { seconds: number; nanos: number };
interface BenchEnvelope {
  testRunStarted?: { timestamp: Timestamp };
  testRunFinished?: { timestamp: Timestamp };
  stepDefinition?: { id: string; pattern: { source: string } };
  hook?: { id: string; name?: string; tagExpression?: string; sourceReference: { uri?: string; location?: { line: number } } };
  testCase?: { testSteps: Array<{ id: string; hookId?: string; stepDefinitionIds?: string[] }> };
  testCaseStarted?: { id: string; workerId?: string; timestamp: Timestamp };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried?: boolean; timestamp: Timestamp };
  testStepFinished?: { testStepId: string; testStepResult: { duration?: Timestamp } };
}

/** Σ hook and step durations from a message stream, by step definition, hook and worker. */
function stepTimes(messagesFile: string): StepTimes {
  const envelopes = parseMessageStream(fs.readFileSync(messagesFile, 'utf8'), messagesFile).envelopes as unknown as BenchEnvelope[];
  const stepKind = new Map<string, string>(); // test step id → step definition pattern or hook name
  const hookSteps = new Set<string>();
  const patterns = new Map<string, string>();
  const hooks = new Map<string, string>();
  const bySteps = new Map<string, Tally>();
  const byHooks = new Map<string, Tally>();
  const started = new Map<string, { workerId: string; at: number }>();
  const workers = new Map<string, WorkerTimes & { first: number; last: number }>();
  let hooksMs = 0,
    stepsMs = 0,
    scenarios = 0;
  let runStarted: number | undefined;
  let runFinished: number | undefined;
  let firstCase: number | undefined;
  const ms = (t: { seconds: number; nanos: number }) => t.seconds * 1000 + t.nanos / 1e6;
  for (const e of envelopes) {
    if (e.testRunStarted) runStarted = ms(e.testRunStarted.timestamp);
    if (e.testRunFinished) runFinished = ms(e.testRunFinished.timestamp);
    if (e.stepDefinition) patterns.set(e.stepDefinition.id, e.stepDefinition.pattern.source);
    if (e.hook) {
      const h = e.hook;
      hooks.set(
        h.id,
        h.name ?? `${h.sourceReference.uri ?? '?'}:${h.sourceReference.location?.line ?? '?'}${h.tagExpression ? ` (${h.tagExpression})` : ''}`,
      );
    }
    if (e.testCase) {
      for (const st of e.testCase.testSteps) {
        if (st.hookId) {
          hookSteps.add(st.id);
          stepKind.set(st.id, hooks.get(st.hookId) ?? st.hookId);
        } else {
          stepKind.set(
            st.id,
            st.stepDefinitionIds?.length ? st.stepDefinitionIds.map((id) => patterns.get(id) ?? id).join(' | ') : '(undefined step)',
          );
        }
      }
    }
    if (e.testCaseStarted) {
      const at = ms(e.testCaseStarted.timestamp);
      if (firstCase === undefined) firstCase = at;
      const workerId = e.testCaseStarted.workerId ?? 'main';
      started.set(e.testCaseStarted.id, { workerId, at });
      if (!workers.has(workerId)) workers.set(workerId, { startupMs: 0, busyMs: 0, idleTailMs: 0, cases: 0, first: at, last: at });
    }
    if (e.testCaseFinished) {
      if (!e.testCaseFinished.willBeRetried) scenarios++;
      const st = started.get(e.testCaseFinished.testCaseStartedId);
      const w = st && workers.get(st.workerId);
      if (st && w) {
        const at = ms(e.testCaseFinished.timestamp);
        w.busyMs += at - st.at;
        w.cases++;
        w.last = Math.max(w.last, at);
      }
    }
    const f = e.testStepFinished;
    if (!f) continue;
    const d = f.testStepResult.duration;
    const took = d ? ms(d) : 0;
    const kind = stepKind.get(f.testStepId) ?? f.testStepId;
    if (hookSteps.has(f.testStepId)) {
      hooksMs += took;
      tally(byHooks, kind, took);
    } else {
      stepsMs += took;
      tally(bySteps, kind, took);
    }
  }
  for (const w of workers.values()) {
    w.startupMs = runStarted !== undefined ? w.first - runStarted : 0;
    w.idleTailMs = runFinished !== undefined ? runFinished - w.last : 0;
  }
  return {
    hooksMs,
    stepsMs,
    scenarios,
    firstCaseMs: runStarted !== undefined && firstCase !== undefined ? firstCase - runStarted : 0,
    bySteps,
    byHooks,
    workers,
  };
}

/** The largest entries of a tally, one line each. */
function top(m: Map<string, Tally>, n: number, indent: string): string {
  return [...m]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, n)
    .map(
      ([k, t]) =>
        `${indent}${s(t.ms).padStart(7)}  ${String(t.count).padStart(4)} × mean ${(t.ms / t.count).toFixed(0).padStart(5)} ms, max ${(t.maxMs / 1000).toFixed(1).padStart(4)} s  ${k.length > 90 ? `${k.slice(0, 87)}...` : k}`,
    )
    .join('\n');
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const workers = arg('parallel', '1,2').split(',').map(Number);
  const runs = Number(arg('runs', '1'));
  const report = !process.argv.includes('--no-report');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-bench-suite-'));
  console.log(
    `bench:suite — full plan unionpay-pos against the built-in emulator; ${os.cpus().length} CPUs, Node ${process.versions.node}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const rows: Array<{ parallel: number; wallMs: number; fixedMs: number; stepsMs: number; hooksMs: number; top: string }> = [];
  try {
    for (const parallel of workers) {
      for (let run = 1; run <= runs; run++) {
        const started = Date.now();
        const r = await certify({
          root,
          outDir: path.join(out, `p${parallel}-${run}`),
          plan: 'unionpay-pos',
          terminal: 'emulator',
          env: emulatorTimeoutEnv(),
          parallel,
          skipReport: !report,
          log: () => undefined,
          onCucumberOutput: () => undefined,
        });
        const wallMs = Date.now() - started;
        const t = stepTimes(r.paths.messages);
        const c = r.certificate.counts;
        const harnessMs = wallMs - t.stepsMs / parallel;
        // Fixed costs a second worker cannot share: cucumber's start-up, the workers' own start-up
        // before their first case, the idle tail of the worker that finished first, the reporting.
        const ws = [...t.workers.values()];
        const workerStartup = ws.length ? Math.max(...ws.map((w) => w.startupMs)) : 0;
        const fixedMs = (r.timings.startupMs ?? 0) + workerStartup + r.timings.reportingMs;
        const topStep = [...t.bySteps].sort((a, b) => b[1].ms - a[1].ms)[0];
        rows.push({
          parallel,
          wallMs,
          fixedMs,
          stepsMs: t.stepsMs,
          hooksMs: t.hooksMs,
          top: topStep ? `"${topStep[0]}" ${s(topStep[1].ms)} over ${topStep[1].count} steps` : '',
        });
        console.log(
          `\n--parallel ${parallel} (run ${run}): ${r.certificate.verdict}, ${t.scenarios} scenarios, ${c.total} cases ` +
            `(${c.passed} passed, ${c.failed} failed, ${c.broken} broken, ${c.skipped} skipped)`,
        );
        console.log(`  verdict       ${r.certificate.because}`);
        console.log(`  wall          ${s(wallMs)}`);
        console.log(`  startup       ${s(r.timings.startupMs ?? 0)}   (spawn → testRunStarted)`);
        console.log(
          `  scenarios     ${s(r.timings.scenariosMs)}   (first scenario after ${s(t.firstCaseMs)}: worker start-up; in hooks ${s(t.hooksMs)}, in steps ${s(t.stepsMs)}, summed over workers)`,
        );
        console.log(`  reporting     ${s(r.timings.reportingMs)}   (Allure generate ${s(r.timings.allureMs)}, scan ${s(r.timings.scanMs)})`);
        console.log(`  harness share ${((harnessMs / wallMs) * 100).toFixed(0)} %   (wall time not spent inside steps)`);
        // The scan of what is already written runs while Allure generates (certification/finish.ts).
        const overlapMs = r.timings.allureMs + r.timings.scanMs - r.timings.reportingMs;
        console.log(
          overlapMs > 0
            ? `  reporting     Allure + scan − reporting = ${s(overlapMs)} taken off by scanning while Allure generates (certificate, JUnit, alignment included)`
            : `  reporting, other ${s(-overlapMs)}   (certificate, JUnit, Allure alignment)`,
        );
        for (const [id, w] of [...t.workers].sort()) {
          console.log(
            `  worker ${id.padEnd(6)} start-up ${s(w.startupMs)}, ${w.cases} cases busy ${s(w.busyMs)}, idle at the end ${s(w.idleTailMs)}`,
          );
        }
        console.log(`  where the time inside steps goes (Σ over workers, by step definition):\n${top(t.bySteps, 12, '    ')}`);
        console.log(`  hooks (Σ over workers):\n${top(t.byHooks, 6, '    ')}`);
      }
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const best = (p: number) => Math.min(...rows.filter((r) => r.parallel === p).map((r) => r.wallMs));
  console.log('\nsummary (best of runs):');
  for (const p of workers)
    console.log(
      `  --parallel ${p}: ${s(best(p))}${p !== workers[0] ? `  speed-up ×${(best(workers[0]) / best(p)).toFixed(2)} over --parallel ${workers[0]}` : ''}`,
    );
  // Issue 15's goals, printed as met or by how much they miss, with the measured parts of the miss.
  const p1 = workers.includes(1) ? best(1) : undefined;
  const rowOf = (p: number) => rows.filter((r) => r.parallel === p).sort((a, b) => a.wallMs - b.wallMs)[0];
  if (p1 !== undefined) {
    const r1 = rowOf(1);
    console.log(
      `  goal: full plan under 30 s at --parallel 1 → ${p1 < 30_000 ? 'met' : `MISSED by ${s(p1 - 30_000)}`} (${s(p1)}: ` +
        `${s(r1.stepsMs)} inside steps, ${s(r1.hooksMs)} in hooks, ${s(r1.fixedMs)} start-up + reporting; largest step kind ${r1.top})`,
    );
  }
  if (p1 !== undefined && workers.includes(2)) {
    const r1 = rowOf(1);
    const r2 = rowOf(2);
    const speedUp = p1 / best(2);
    // Amdahl: with the fixed costs of the --parallel 2 run kept and the rest split evenly over two
    // workers, the best this plan could do; the rest of the gap is imbalance and the shared CPUs.
    const ideal = p1 / (r2.fixedMs + (p1 - r1.fixedMs) / 2);
    console.log(
      `  goal: ≥ ×1.8 at --parallel 2 → ${speedUp >= 1.8 ? 'met' : `MISSED by ×${(1.8 - speedUp).toFixed(2)}`} (×${speedUp.toFixed(2)}: ` +
        `fixed costs ${s(r1.fixedMs)} at --parallel 1 and ${s(r2.fixedMs)} at --parallel 2 (start-up, workers' start-up, reporting) cap it at ×${ideal.toFixed(2)} ` +
        `if the rest split evenly; ×1.8 needs the fixed costs under ${s(Math.max(0, p1 / 1.8 - (p1 - r1.fixedMs) / 2))})`,
    );
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
