/**
 * Suite benchmark: wall time of the full certification plan against the built-in emulator with
 * `--parallel 1` and `--parallel 2`, and where the time goes. Goal (issue 7): under 60 s at
 * --parallel 1 on a 2-core machine, and at least 1.6× faster at --parallel 2.
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

interface StepTimes { hooksMs: number; stepsMs: number; scenarios: number; firstCaseMs: number }

/** Σ hook and step durations from a message stream. */
function stepTimes(messagesFile: string): StepTimes {
  const { envelopes } = parseMessageStream(fs.readFileSync(messagesFile, 'utf8'), messagesFile);
  const hookSteps = new Set<string>();
  let hooksMs = 0, stepsMs = 0, scenarios = 0;
  let runStarted: number | undefined;
  let firstCase: number | undefined;
  const ms = (t: { seconds: number; nanos: number }) => t.seconds * 1000 + t.nanos / 1e6;
  for (const e of envelopes) {
    if (e.testRunStarted) runStarted = ms(e.testRunStarted.timestamp);
    if (e.testCaseStarted && firstCase === undefined) firstCase = ms(e.testCaseStarted.timestamp);
    if (e.testCase) for (const s of e.testCase.testSteps) if (s.hookId) hookSteps.add(s.id);
    if (e.testCaseFinished && !e.testCaseFinished.willBeRetried) scenarios++;
    const f = e.testStepFinished;
    if (!f) continue;
    const d = f.testStepResult.duration;
    const took = d ? ms(d) : 0;
    if (hookSteps.has(f.testStepId)) hooksMs += took; else stepsMs += took;
  }
  return { hooksMs, stepsMs, scenarios, firstCaseMs: runStarted !== undefined && firstCase !== undefined ? firstCase - runStarted : 0 };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const workers = arg('parallel', '1,2').split(',').map(Number);
  const runs = Number(arg('runs', '1'));
  const report = !process.argv.includes('--no-report');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-bench-suite-'));
  console.log(`bench:suite — full plan unionpay-pos against the built-in emulator; ${os.cpus().length} CPUs, Node ${process.versions.node}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const rows: Array<{ parallel: number; wallMs: number }> = [];
  try {
    for (const parallel of workers) {
      for (let run = 1; run <= runs; run++) {
        const started = Date.now();
        const r = await certify({
          root, outDir: path.join(out, `p${parallel}-${run}`), plan: 'unionpay-pos', terminal: 'emulator', env: emulatorTimeoutEnv(),
          parallel, skipReport: !report, log: () => undefined, onCucumberOutput: () => undefined,
        });
        const wallMs = Date.now() - started;
        const t = stepTimes(r.paths.messages);
        const c = r.certificate.counts;
        const harnessMs = wallMs - t.stepsMs / parallel;
        rows.push({ parallel, wallMs });
        console.log(`\n--parallel ${parallel} (run ${run}): ${r.certificate.verdict}, ${t.scenarios} scenarios, ${c.total} cases ` +
          `(${c.passed} passed, ${c.failed} failed, ${c.broken} broken, ${c.skipped} skipped)`);
        console.log(`  verdict       ${r.certificate.because}`);
        console.log(`  wall          ${s(wallMs)}`);
        console.log(`  startup       ${s(r.timings.startupMs ?? 0)}   (spawn → testRunStarted)`);
        console.log(`  scenarios     ${s(r.timings.scenariosMs)}   (first scenario after ${s(t.firstCaseMs)}: worker start-up; in hooks ${s(t.hooksMs)}, in steps ${s(t.stepsMs)}, summed over workers)`);
        console.log(`  reporting     ${s(r.timings.reportingMs)}   (Allure generate ${s(r.timings.allureMs)}, scan ${s(r.timings.scanMs)})`);
        console.log(`  harness share ${((harnessMs / wallMs) * 100).toFixed(0)} %   (wall time not spent inside steps)`);
      }
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const best = (p: number) => Math.min(...rows.filter((r) => r.parallel === p).map((r) => r.wallMs));
  console.log('\nsummary (best of runs):');
  for (const p of workers) console.log(`  --parallel ${p}: ${s(best(p))}${p !== workers[0] ? `  speed-up ×${(best(workers[0]) / best(p)).toFixed(2)} over --parallel ${workers[0]}` : ''}`);
  const p1 = workers.includes(1) ? best(1) : undefined;
  if (p1 !== undefined) console.log(`  goal: full plan under 60 s at --parallel 1 → ${p1 < 60_000 ? 'met' : 'NOT met'}`);
  if (p1 !== undefined && workers.includes(2)) console.log(`  goal: ≥ 1.6× at --parallel 2 → ${p1 / best(2) >= 1.6 ? 'met' : 'NOT met'} (×${(p1 / best(2)).toFixed(2)})`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exitCode = 1;
});
