// Self-certification: the certification plan against the built-in emulator, through real cucumber
// runs (child processes, the `test` profile: short timeouts, an in-process host and emulator per run).
//   - the whole plan passes against the clean emulator;
//   - the 简体中文 translations run on the same step definitions and pass;
//   - every defect of the emulator's catalogue makes at least one case fail on a terminal check;
//   - every other conformant profile of the emulator (emulator/profiles.ts) passes the cases its
//     variation touches (a tag subset per profile, to keep npm test short; `npm run certify --
//     --terminal emu:NAME` runs the whole plan against one).
// For speed a defect run first tries the cases docs/defect-coverage.json lists as catching it
// (stopping at the first failure); only if none of them fails does it run the whole plan.
// The short runs (each variant's cases, each defect's recorded catching cases, the matrix sample) go
// through a few batch processes (runPlans: cucumber loaded once, each run still with its own lab, host,
// terminal and defect); a process of its own per run cost more start-up than the run's cases. A run the
// batch did not finish is run again alone.
//   - a rotating sample of the defect × profile matrix (3 cells outside the reference column,
//     chosen by a seed that changes daily and is printed in the test name; POSCERT_MATRIX_SEED=N
//     repeats a sample) re-runs each cell's recorded catching cases and requires a failure; the
//     recorded matrix itself must cover every catalogued defect under every profile.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFECT_CATALOGUE } from '../../emulator/defects';
import { DEFAULT_EMULATOR_PROFILE, EMULATOR_PROFILES } from '../../emulator/profiles';
import { ROOT, catchingCases, planCaseIds, runPlan, runPlans, type PlanRun, type PlanRunOptions } from '../../scripts/plan-run';
import { VARIANT_CASES, daySeed, matrixFigures, readCoverage, sampleCells } from '../../scripts/defect-coverage';
import { notApplicableUnder } from '../../emulator/defect-applicability';
import { loadPlan } from '../../certification/plan';

const RUN_TIMEOUT_MS = 8 * 60_000;
/** Matrix cells re-run per npm test (each a few seconds: its recorded catching cases, with bail). */
const MATRIX_SAMPLE = 3;

/** Batch processes for the English short runs (the machine has two cores); the 简体中文 ones share one. */
const EN_BATCHES = 2;
const queued: PlanRunOptions[] = [];
let batches: Map<PlanRunOptions, Promise<PlanRun>> | undefined;

/**
 * Queues a short run (when the tests are defined) for the batches; the returned function waits for its
 * result. The batches start when the first queued result is asked for. A run the batch did not finish
 * (killed at its timeout, or crashed) is run again alone.
 */
function batched(opts: PlanRunOptions): () => Promise<PlanRun> {
  queued.push(opts);
  return async () => {
    if (!batches) {
      batches = new Map();
      const groups: PlanRunOptions[][] = [];
      const en = queued.filter((o) => (o.lang ?? 'en') === 'en');
      for (let i = 0; i < EN_BATCHES; i++) groups.push(en.filter((_, j) => j % EN_BATCHES === i));
      groups.push(queued.filter((o) => o.lang === 'zh-CN'));
      for (const g of groups) {
        const runs = runPlans(g, RUN_TIMEOUT_MS - 10_000);
        g.forEach((o, i) =>
          batches!.set(
            o,
            runs.then((r) => r[i]),
          ),
        );
      }
    }
    const run = await batches.get(opts)!;
    return run.exitCode === -1 && run.cases.size === 0 ? runPlan({ ...opts, timeoutMs: RUN_TIMEOUT_MS / 2 }) : run;
  };
}

const summary = (cases: Iterable<{ caseId: string; outcome: string; step?: string; error?: string }>) =>
  [...cases].filter((c) => c.outcome !== 'passed').map((c) => `${c.caseId} ${c.outcome} at "${c.step ?? ''}": ${(c.error ?? '').slice(0, 200)}`);

function translatedIds(lang: string): string[] {
  const dir = path.join(ROOT, 'features', lang);
  const ids = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.feature'))) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/@(CUP-[A-Z]{3}-\d{3})\b/g)) ids.add(m[1]);
  }
  return [...ids].sort();
}

/**
 * The reference may skip only an optional case that a variant profile declares what for and runs (its
 * variant test below, in each language the case is written in): e.g. partial approval or 电签, which the
 * reference does not offer. The profile that runs it.
 */
function variantOfSkippable(id: string): string | undefined {
  const plan = loadPlan('unionpay-pos', ROOT);
  if (!plan.cases.some((c) => c.id === id && !c.mandatory)) return undefined;
  return Object.entries(VARIANT_CASES).find(([, ids]) => ids.includes(id))?.[0];
}

describe('self-certification against the emulator', { concurrency: 2 }, () => {
  test('the whole plan passes against the clean emulator', { timeout: RUN_TIMEOUT_MS }, async () => {
    const ids = planCaseIds();
    const run = await runPlan({
      caseIds: ids,
      timeoutMs: RUN_TIMEOUT_MS - 10_000,
      keepMessagesOnProblem: path.join(ROOT, 'reports', 'self-certification', 'clean-run.ndjson'),
    });
    expect(run.cases.size, `cases that ran (stderr: ${run.stderr.slice(-500)})`).to.equal(ids.length);
    const problems = [...run.cases.values()].filter((c) => !(c.outcome === 'skipped' && variantOfSkippable(c.caseId)));
    expect(summary(problems), 'cases that did not pass').to.deep.equal([]);
    expect(run.exitCode).to.equal(0);
  });

  test('the 简体中文 cases (缴费, 消费, 结算) run on the same steps and pass', { timeout: RUN_TIMEOUT_MS }, async () => {
    const ids = translatedIds('zh-CN');
    expect(ids.length).to.be.greaterThan(0);
    const run = await runPlan({ caseIds: ids, lang: 'zh-CN', timeoutMs: RUN_TIMEOUT_MS - 10_000 });
    expect([...run.cases.keys()].sort()).to.deep.equal(ids);
    // Each ran from its Chinese scenario, not the English one of the same id.
    for (const c of run.cases.values()) {
      expect(
        c.scenarios.every((name) => /[\u4e00-\u9fff]/.test(name)),
        `${c.caseId} ran as ${c.scenarios.join(', ')}`,
      ).to.equal(true);
    }
    // A Chinese case the reference skips as not applicable (variantOfSkippable) runs in Chinese under the
    // variant profile that declares what it needs (its variant test below), and must pass there.
    const problems = [...run.cases.values()].filter((c) => !(c.outcome === 'skipped' && variantOfSkippable(c.caseId)));
    expect(summary(problems), 'zh-CN cases that did not pass').to.deep.equal([]);
  });

  for (const variant of EMULATOR_PROFILES.filter((p) => p.name !== DEFAULT_EMULATOR_PROFILE)) {
    const ids = [...(VARIANT_CASES[variant.name] ?? [])];
    // Its cases written in 简体中文 too (the reference skips them there as well).
    const zh = ids.filter((id) => translatedIds('zh-CN').includes(id));
    const enRun = ids.length ? batched({ emulatorProfile: variant.name, caseIds: ids }) : undefined;
    const zhRun = zh.length ? batched({ emulatorProfile: variant.name, caseIds: zh, lang: 'zh-CN' }) : undefined;
    test(`conformant profile ${variant.name} passes the cases its variation touches`, { timeout: RUN_TIMEOUT_MS }, async () => {
      expect(ids, `VARIANT_CASES has no cases for profile ${variant.name}: name the cases that read what it changes`).to.be.an('array').that.is.not
        .empty;
      const inPlan = new Set(planCaseIds());
      expect(
        ids.filter((id) => !inPlan.has(id)),
        'variant cases missing from the plan',
      ).to.deep.equal([]);
      const run = await enRun!();
      expect([...run.cases.keys()].sort(), `cases that ran (stderr: ${run.stderr.slice(-500)})`).to.deep.equal([...ids].sort());
      expect(summary(run.cases.values()), `cases that did not pass under profile ${variant.name} (${variant.description})`).to.deep.equal([]);
      if (zhRun) {
        const zr = await zhRun();
        expect([...zr.cases.keys()].sort(), `zh-CN cases that ran under ${variant.name}`).to.deep.equal([...zh].sort());
        expect(summary(zr.cases.values()), `zh-CN cases that did not pass under profile ${variant.name}`).to.deep.equal([]);
      }
    });
  }

  const coverage = readCoverage();
  for (const defect of DEFECT_CATALOGUE) {
    // Under the reference terminal, or, for a defect n/a there (a behaviour the reference lacks, e.g. a
    // supervisor password), under the first emulator profile where it applies.
    const profile =
      EMULATOR_PROFILES.find((p) => p.name === DEFAULT_EMULATOR_PROFILE && !notApplicableUnder(defect.name, p.profile)) ??
      EMULATOR_PROFILES.find((p) => !notApplicableUnder(defect.name, p.profile));
    const under = profile && profile.name !== DEFAULT_EMULATOR_PROFILE ? profile.name : undefined;
    const row = coverage?.defects.find((d) => d.name === defect.name);
    const known = (under ? row?.cells?.[under]?.caughtBy : row?.caughtBy) ?? [];
    const opts = { defects: [defect.name], ...(under ? { emulatorProfile: under } : {}) };
    const knownRun = known.length ? batched({ ...opts, caseIds: known, failFast: true }) : undefined;
    test(`defect ${defect.name} is caught by a case${under ? ` (profile ${under})` : ''}`, { timeout: RUN_TIMEOUT_MS }, async () => {
      expect(profile, `${defect.name} is declared n/a under every emulator profile (emulator/defect-applicability.ts)`).to.not.equal(undefined);
      let caught: string[] = [];
      if (knownRun) caught = catchingCases(await knownRun());
      if (caught.length === 0) {
        // The recorded coverage is stale or missing: the whole plan, to the end (a broken case must not hide a catch).
        const run = await runPlan({ ...opts, caseIds: planCaseIds(), timeoutMs: RUN_TIMEOUT_MS / 2 });
        caught = catchingCases(run);
      }
      expect(
        caught,
        `no case of the plan failed with ${defect.name} switched on${under ? ` under profile ${under}` : ''} (${defect.description})`,
      ).to.not.deep.equal([]);
    });
  }

  test('the recorded defect matrix covers every catalogued defect under every profile, each caught or checked n/a', () => {
    expect(coverage, 'docs/defect-coverage.json is missing: run npm run coverage:defects').to.not.equal(undefined);
    const profiles = (coverage!.profiles ?? []).map((p) => p.name);
    expect(profiles, 'profile columns of docs/defect-coverage.json (re-run npm run coverage:defects)').to.deep.equal(
      EMULATOR_PROFILES.map((p) => p.name),
    );
    const problems: string[] = [];
    for (const defect of DEFECT_CATALOGUE) {
      const row = coverage!.defects.find((d) => d.name === defect.name);
      for (const p of EMULATOR_PROFILES) {
        const cell = row?.cells?.[p.name];
        const declared = notApplicableUnder(defect.name, p.profile);
        if (!cell) problems.push(`${defect.name} × ${p.name}: not in the recorded matrix`);
        else if (cell.status === 'n/a' ? cell.reason !== declared : declared !== undefined)
          problems.push(`${defect.name} × ${p.name}: recorded ${cell.status}, declared ${declared ? `n/a (${declared})` : 'applicable'}`);
        else if (cell.status !== 'caught' && cell.status !== 'n/a') problems.push(`${defect.name} × ${p.name}: ${cell.status}`);
      }
    }
    const rerun = [...new Set(problems.map((p) => p.split(' × ')[0]))];
    expect(
      problems,
      `cells to fix or re-run (npm run coverage:defects -- --jobs 2 --reuse-clean ${rerun.join(' ')}; figures ${JSON.stringify(matrixFigures(coverage!))})`,
    ).to.deep.equal([]);
  });

  const seed = process.env.POSCERT_MATRIX_SEED ? Number(process.env.POSCERT_MATRIX_SEED) : daySeed();
  // Only cells of defects and profiles that still exist (the recorded matrix may be older than the catalogue).
  const current = coverage && {
    ...coverage,
    defects: coverage.defects.filter((d) => DEFECT_CATALOGUE.some((x) => x.name === d.name)),
    profiles: (coverage.profiles ?? []).filter((p) => EMULATOR_PROFILES.some((x) => x.name === p.name)),
  };
  for (const cell of current ? sampleCells(current, seed, MATRIX_SAMPLE) : []) {
    const sampleRun = batched({ defects: [cell.defect], emulatorProfile: cell.profile, caseIds: cell.caughtBy, failFast: true });
    test(
      `matrix sample (seed ${seed}; POSCERT_MATRIX_SEED=${seed} repeats it): ${cell.defect} is caught under profile ${cell.profile}`,
      { timeout: RUN_TIMEOUT_MS },
      async () => {
        const run = await sampleRun();
        expect(
          catchingCases(run),
          `none of the recorded catching cases (${cell.caughtBy.join(', ')}) failed with ${cell.defect} under ${cell.profile}: ${summary(run.cases.values()).join('; ') || 'all passed'}`,
        ).to.not.deep.equal([]);
      },
    );
  }
});
