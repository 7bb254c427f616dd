// Runs the certification cases against the built-in emulator in a child cucumber-js process and
// reads the outcome of every case from cucumber's message stream. Used by the self-certification
// tests (test/features/) and by scripts/defect-coverage.ts.
//
// A case "catches" a defect when it FAILED on a terminal check: the step wrapper's outcome marker
// says so (the error class declares it, errors.ts classifyOutcome); a case that failed on a harness
// error (host refused a fault, TTP timeout, link down) is *broken* and catches nothing.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePlan } from '../certification/plan';
import { OUTCOME_MEDIA_TYPE } from '../certification/results';
import { classifySerialisedError, PoscertError } from '../errors';

export const ROOT = path.join(__dirname, '..');
const CUCUMBER = path.join(ROOT, 'node_modules', '.bin', 'cucumber-js');

export type CaseOutcome = 'passed' | 'failed' | 'broken' | 'skipped' | 'undefined';

export interface CaseResult {
  caseId: string;
  /** Outline rows of one case: the worst outcome wins. */
  outcome: CaseOutcome;
  /** First failing step and its error, for failed / broken cases. */
  step?: string;
  error?: string;
  scenarios: string[];
}

export interface PlanRun {
  exitCode: number;
  cases: Map<string, CaseResult>;
  durationMs: number;
  stderr: string;
}

export interface PlanRunOptions {
  /** Emulator defects to switch on. */
  defects?: string[];
  /** Case ids to run (default: every case of the plan). */
  caseIds?: string[];
  /** Stop at the first failing scenario. */
  failFast?: boolean;
  /** cucumber profile (default 'test': short timeouts, no delays). */
  profile?: string;
  /** The emulator's conformant profile (emulator/profiles.ts; default the reference terminal). */
  emulatorProfile?: string;
  lang?: 'en' | 'zh-CN';
  /** Extra cucumber arguments (e.g. feature paths). */
  args?: string[];
  /** Kill the run after this long (it is then reported with exit code -1). */
  timeoutMs?: number;
  /** Keep the cucumber message stream (with the evidence attachments) here when a case does not pass. */
  keepMessagesOnProblem?: string;
}

/** Case ids of a plan (scenarios/plans/NAME.yaml). */
export function planCaseIds(plan = 'unionpay-pos'): string[] {
  const file = path.join(ROOT, 'scenarios', 'plans', `${plan}.yaml`);
  return parsePlan(fs.readFileSync(file, 'utf8'), path.relative(ROOT, file)).cases.map((c) => c.id);
}

const WORSE: CaseOutcome[] = ['passed', 'skipped', 'undefined', 'failed', 'broken'];

interface Envelope {
  pickle?: { id: string; name: string; tags: { name: string }[] };
  testCase?: { id: string; pickleId: string; testSteps: { id: string; pickleStepId?: string }[] };
  testCaseStarted?: { id: string; testCaseId: string };
  testStepFinished?: {
    testCaseStartedId: string;
    testStepId: string;
    testStepResult: { status: string; message?: string; exception?: { type: string; message?: string } };
  };
  attachment?: { testCaseStartedId?: string; testStepId?: string; mediaType: string; body: string; contentEncoding?: string };
}

/** Case results from a cucumber NDJSON message stream. */
export function readMessages(ndjson: string): Map<string, CaseResult> {
  const pickles = new Map<string, { name: string; caseId: string; steps: Map<string, string> }>();
  const pickleSteps = new Map<string, string>();
  const testCases = new Map<string, { pickleId: string; stepText: Map<string, string> }>();
  const started = new Map<string, string>();
  const cases = new Map<string, CaseResult>();
  const outcomeOfStarted = new Map<string, { outcome: CaseOutcome; step?: string; error?: string }>();
  const markers = new Map<string, 'failed' | 'broken'>();
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as Envelope & { pickle?: { steps?: { id: string; text: string }[] } };
    if (m.pickle) {
      const caseId =
        m.pickle.tags
          .map((t) => t.name)
          .find((t) => /^@CUP-/.test(t))
          ?.slice(1) ?? '(no case id)';
      for (const s of m.pickle.steps ?? []) pickleSteps.set(s.id, s.text);
      pickles.set(m.pickle.id, { name: m.pickle.name, caseId, steps: new Map() });
    } else if (m.testCase) {
      const stepText = new Map<string, string>();
      for (const s of m.testCase.testSteps) stepText.set(s.id, s.pickleStepId ? (pickleSteps.get(s.pickleStepId) ?? '') : '(hook)');
      testCases.set(m.testCase.id, { pickleId: m.testCase.pickleId, stepText });
    } else if (m.testCaseStarted) {
      started.set(m.testCaseStarted.id, m.testCaseStarted.testCaseId);
      outcomeOfStarted.set(m.testCaseStarted.id, { outcome: 'passed' });
    } else if (m.attachment?.mediaType === OUTCOME_MEDIA_TYPE) {
      const a = m.attachment;
      const body = a.contentEncoding === 'BASE64' ? Buffer.from(a.body, 'base64').toString('utf8') : a.body;
      const outcome = (JSON.parse(body) as { outcome?: string }).outcome;
      if (outcome === 'failed' || outcome === 'broken') markers.set(`${a.testCaseStartedId}|${a.testStepId}`, outcome);
    } else if (m.testStepFinished) {
      const f = m.testStepFinished;
      const current = outcomeOfStarted.get(f.testCaseStartedId)!;
      if (current.outcome !== 'passed') continue;
      const tc = testCases.get(started.get(f.testCaseStartedId)!)!;
      const status = f.testStepResult.status;
      if (status === 'FAILED') {
        const type = f.testStepResult.exception?.type ?? '';
        const outcome = markers.get(`${f.testCaseStartedId}|${f.testStepId}`) ?? classifySerialisedError(type).outcome;
        outcomeOfStarted.set(f.testCaseStartedId, {
          outcome,
          step: tc.stepText.get(f.testStepId),
          error: `${type}: ${(f.testStepResult.exception?.message ?? f.testStepResult.message ?? '').split('\n').slice(0, 8).join(' | ')}`,
        });
      } else if (status === 'UNDEFINED' || status === 'AMBIGUOUS') {
        outcomeOfStarted.set(f.testCaseStartedId, { outcome: 'undefined', step: tc.stepText.get(f.testStepId) });
      } else if (status === 'SKIPPED' || status === 'PENDING') {
        outcomeOfStarted.set(f.testCaseStartedId, { outcome: 'skipped', step: tc.stepText.get(f.testStepId) });
      }
    }
  }
  for (const [startedId, result] of outcomeOfStarted) {
    const tc = testCases.get(started.get(startedId)!)!;
    const pickle = pickles.get(tc.pickleId)!;
    const existing = cases.get(pickle.caseId);
    if (!existing) {
      cases.set(pickle.caseId, { caseId: pickle.caseId, outcome: result.outcome, step: result.step, error: result.error, scenarios: [pickle.name] });
    } else {
      existing.scenarios.push(pickle.name);
      if (WORSE.indexOf(result.outcome) > WORSE.indexOf(existing.outcome)) {
        Object.assign(existing, { outcome: result.outcome, step: result.step, error: result.error });
      }
    }
  }
  return cases;
}

/** Cucumber tag expression for a list of case ids. */
export function tagsFor(caseIds: readonly string[]): string {
  return caseIds.map((id) => `@${id}`).join(' or ');
}

export async function runPlan(opts: PlanRunOptions = {}): Promise<PlanRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-plan-run-'));
  const messages = path.join(dir, 'messages.ndjson');
  const caseIds = opts.caseIds ?? planCaseIds();
  const args = ['--profile', opts.profile ?? 'test', '--format', `message:${messages}`, '--tags', `(${tagsFor(caseIds)})`];
  if (opts.failFast) args.push('--fail-fast');
  args.push(...(opts.args ?? []));
  const env = {
    ...process.env,
    POSCERT_TERMINAL: opts.emulatorProfile ? `emu:${opts.emulatorProfile}` : 'emulator',
    POSCERT_DEFECTS: (opts.defects ?? []).join(','),
    POSCERT_LANG: opts.lang ?? 'en',
    TS_NODE_TRANSPILE_ONLY: 'true',
    // The emulator has no delays: a step that takes 20 s is stuck, not slow.
    POSCERT_STEP_TIMEOUT_MS: process.env.POSCERT_STEP_TIMEOUT_MS ?? '20000',
  };
  const started = Date.now();
  try {
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CUCUMBER, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stdout.on('data', () => undefined);
      child.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-20_000);
      });
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
      child.on('error', reject);
      child.on('close', (c) => {
        if (timer) clearTimeout(timer);
        resolve({ code: c ?? -1, stderr: err });
      });
    });
    const text = fs.existsSync(messages) ? fs.readFileSync(messages, 'utf8') : '';
    const cases = readMessages(text);
    if (opts.keepMessagesOnProblem && [...cases.values()].some((c) => c.outcome !== 'passed')) {
      fs.mkdirSync(path.dirname(opts.keepMessagesOnProblem), { recursive: true });
      fs.writeFileSync(opts.keepMessagesOnProblem, text);
    }
    return { exitCode: code, cases, durationMs: Date.now() - started, stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Several runs in one cucumber process (scripts/plan-batch.js), one after the other, each judged as
 * runPlan judges one: the same environment, tags, fail-fast and message stream per job, the lab started
 * and stopped per job. It saves the per-run process start-up (node, ts-node, the support code: about 3 s
 * of CPU a run), which was most of what a one-case run cost. Every job must use the same language and
 * cucumber profile (cucumber.js reads the language when it loads), and no extra arguments. A job the
 * batch did not finish (the batch was killed at timeoutMs, or crashed) comes back with exit code -1 and
 * no cases, as a killed runPlan does.
 */
export async function runPlans(jobs: readonly PlanRunOptions[], timeoutMs: number): Promise<PlanRun[]> {
  if (jobs.length === 0) return [];
  const lang = jobs[0].lang ?? 'en';
  const profile = jobs[0].profile ?? 'test';
  for (const j of jobs) {
    if ((j.lang ?? 'en') !== lang || (j.profile ?? 'test') !== profile || j.args?.length || j.keepMessagesOnProblem)
      throw new PlanBatchError('a batch of plan runs shares one language and cucumber profile and takes no extra arguments', {
        lang,
        profile,
        job: { lang: j.lang, profile: j.profile, args: j.args },
      });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-plan-batch-'));
  const spec = {
    profile,
    lang,
    jobs: jobs.map((j, i) => ({
      tags: `(${tagsFor(j.caseIds ?? planCaseIds())})`,
      failFast: Boolean(j.failFast),
      env: {
        POSCERT_TERMINAL: j.emulatorProfile ? `emu:${j.emulatorProfile}` : 'emulator',
        POSCERT_DEFECTS: (j.defects ?? []).join(','),
      },
      messages: path.join(dir, `${i}.ndjson`),
    })),
  };
  const specFile = path.join(dir, 'jobs.json');
  fs.writeFileSync(specFile, JSON.stringify(spec));
  const env = {
    ...process.env,
    POSCERT_LANG: lang,
    TS_NODE_TRANSPILE_ONLY: 'true',
    POSCERT_STEP_TIMEOUT_MS: process.env.POSCERT_STEP_TIMEOUT_MS ?? '20000',
  };
  const finished = new Map<number, { success?: boolean; error?: string; durationMs: number }>();
  try {
    const { stderr } = await new Promise<{ stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'plan-batch.js'), specFile], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          const r = JSON.parse(line) as { index: number; success?: boolean; error?: string; durationMs: number };
          finished.set(r.index, r);
        }
      });
      child.stderr.on('data', (b: Buffer) => {
        err = (err + b.toString()).slice(-20_000);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve({ stderr: err });
      });
    });
    return spec.jobs.map((j, i) => {
      const r = finished.get(i);
      const text = r && fs.existsSync(j.messages) ? fs.readFileSync(j.messages, 'utf8') : '';
      return {
        exitCode: !r ? -1 : r.success ? 0 : 1,
        cases: r ? readMessages(text) : new Map(),
        durationMs: r?.durationMs ?? 0,
        stderr: r?.error ?? (r ? '' : stderr),
      };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A batch of plan runs asked for what one process cannot do (two languages, extra arguments). */
export class PlanBatchError extends PoscertError {
  constructor(message: string, context: Record<string, unknown>) {
    super('PLAN_BATCH_INVALID', message, context);
  }
}

/** Case ids whose outcome is a terminal-check failure: what a defect run "caught". */
export function catchingCases(run: PlanRun): string[] {
  return [...run.cases.values()]
    .filter((c) => c.outcome === 'failed')
    .map((c) => c.caseId)
    .sort();
}

/** Runs `jobs` with at most `width` at a time (the machine has two cores). */
export async function pool<T, R>(items: readonly T[], width: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await job(items[i]);
      }
    }),
  );
  return out;
}

if (require.main === module) {
  // node -r ts-node/register/transpile-only scripts/plan-run.ts [DEFECT ...]: one run, a line per case.
  // With a single FILE.ndjson argument: read the case outcomes of an earlier cucumber message stream.
  const args = process.argv.slice(2);
  const fromFile = args.length === 1 && args[0].endsWith('.ndjson');
  const run$: Promise<PlanRun> = fromFile
    ? Promise.resolve({ exitCode: 0, cases: readMessages(fs.readFileSync(args[0], 'utf8')), durationMs: 0, stderr: '' })
    : runPlan({ defects: args });
  run$.then(
    (run) => {
      for (const c of [...run.cases.values()].sort((a, b) => a.caseId.localeCompare(b.caseId))) {
        console.log(`${c.caseId.padEnd(12)} ${c.outcome.padEnd(8)}${c.step ? ` at "${c.step}": ${c.error ?? ''}` : ''}`.slice(0, 400));
      }
      const count = (o: CaseOutcome) => [...run.cases.values()].filter((c) => c.outcome === o).length;
      console.log(
        `${run.cases.size} cases: ${count('passed')} passed, ${count('failed')} failed, ${count('broken')} broken, ${count('undefined')} undefined; exit ${run.exitCode}; ${(run.durationMs / 1000).toFixed(1)} s`,
      );
      if (run.cases.size === 0) console.log(run.stderr);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
