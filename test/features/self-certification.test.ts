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
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFECT_CATALOGUE } from '../../emulator/defects';
import { DEFAULT_EMULATOR_PROFILE, EMULATOR_PROFILES } from '../../emulator/profiles';
import { ROOT, catchingCases, planCaseIds, runPlan } from '../../scripts/plan-run';
import { readCoverage } from '../../scripts/defect-coverage';

const RUN_TIMEOUT_MS = 8 * 60_000;

/** Per conformant variant: the cases that read the profile value it changes (and would fail a terminal copied from the reference). */
const VARIANT_CASES: Readonly<Record<string, string[]>> = {
  'three-copies': ['CUP-VOU-001', 'CUP-VOU-003', 'CUP-VOU-006', 'CUP-PAY-010'],
  'expiry-online': ['CUP-RSK-003', 'CUP-RSK-001'],
  'confiscate-texts': ['CUP-RSK-001', 'CUP-RSK-002', 'CUP-RSK-005', 'CUP-RSK-006'],
  'supervisor': ['CUP-PAY-020', 'CUP-PAY-021', 'CUP-PAY-022', 'CUP-STL-005'],
  'tc-upload': ['CUP-STL-001', 'CUP-STL-002', 'CUP-STL-003'],
};
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

describe('self-certification against the emulator', { concurrency: 2 }, () => {
  test('the whole plan passes against the clean emulator', { timeout: RUN_TIMEOUT_MS }, async () => {
    const ids = planCaseIds();
    const run = await runPlan({ caseIds: ids, timeoutMs: RUN_TIMEOUT_MS - 10_000, keepMessagesOnProblem: path.join(ROOT, 'reports', 'self-certification', 'clean-run.ndjson') });
    expect(run.cases.size, `cases that ran (stderr: ${run.stderr.slice(-500)})`).to.equal(ids.length);
    expect(summary(run.cases.values()), 'cases that did not pass').to.deep.equal([]);
    expect(run.exitCode).to.equal(0);
  });

  test('the 简体中文 cases (缴费, 消费, 结算) run on the same steps and pass', { timeout: RUN_TIMEOUT_MS }, async () => {
    const ids = translatedIds('zh-CN');
    expect(ids.length).to.be.greaterThan(0);
    const run = await runPlan({ caseIds: ids, lang: 'zh-CN', timeoutMs: RUN_TIMEOUT_MS - 10_000 });
    expect([...run.cases.keys()].sort()).to.deep.equal(ids);
    // Each ran from its Chinese scenario, not the English one of the same id.
    for (const c of run.cases.values()) {
      expect(c.scenarios.every((name) => /[\u4e00-\u9fff]/.test(name)), `${c.caseId} ran as ${c.scenarios.join(', ')}`).to.equal(true);
    }
    expect(summary(run.cases.values()), 'zh-CN cases that did not pass').to.deep.equal([]);
  });

  for (const variant of EMULATOR_PROFILES.filter((p) => p.name !== DEFAULT_EMULATOR_PROFILE)) {
    test(`conformant profile ${variant.name} passes the cases its variation touches`, { timeout: RUN_TIMEOUT_MS }, async () => {
      const ids = VARIANT_CASES[variant.name];
      expect(ids, `VARIANT_CASES has no cases for profile ${variant.name}: name the cases that read what it changes`).to.be.an('array').that.is.not.empty;
      const inPlan = new Set(planCaseIds());
      expect(ids.filter((id) => !inPlan.has(id)), 'variant cases missing from the plan').to.deep.equal([]);
      const run = await runPlan({ emulatorProfile: variant.name, caseIds: ids, timeoutMs: RUN_TIMEOUT_MS - 10_000 });
      expect([...run.cases.keys()].sort(), `cases that ran (stderr: ${run.stderr.slice(-500)})`).to.deep.equal([...ids].sort());
      expect(summary(run.cases.values()), `cases that did not pass under profile ${variant.name} (${variant.description})`).to.deep.equal([]);
    });
  }

  const coverage = readCoverage();
  for (const defect of DEFECT_CATALOGUE) {
    test(`defect ${defect.name} is caught by a case`, { timeout: RUN_TIMEOUT_MS }, async () => {
      const known = coverage?.defects.find((d) => d.name === defect.name)?.caughtBy ?? [];
      let caught: string[] = [];
      if (known.length) {
        const run = await runPlan({ defects: [defect.name], caseIds: known, failFast: true, timeoutMs: RUN_TIMEOUT_MS / 2 });
        caught = catchingCases(run);
      }
      if (caught.length === 0) {
        // The recorded coverage is stale or missing: the whole plan, to the end (a broken case must not hide a catch).
        const run = await runPlan({ defects: [defect.name], caseIds: planCaseIds(), timeoutMs: RUN_TIMEOUT_MS / 2 });
        caught = catchingCases(run);
      }
      expect(caught, `no case of the plan failed with ${defect.name} switched on (${defect.description})`).to.not.deep.equal([]);
    });
  }
});
