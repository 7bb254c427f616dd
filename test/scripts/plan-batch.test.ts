// runPlans (scripts/plan-run.ts + scripts/plan-batch.js): several plan runs in one cucumber process, as the
// self-certification test uses it. What makes that legitimate is that each run is judged as if alone: a
// defect switched on for one run is off in the next (its lab is stopped with it), a run under a variant
// profile does not leave the profile behind, and a batch that is killed says which runs it did not finish.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { PlanBatchError, catchingCases, runPlans } from '../../scripts/plan-run';

describe('runPlans: several plan runs in one process', () => {
  test('each run has its own defect and profile: the defect caught in one run is gone in the next', { timeout: 180_000 }, async () => {
    const [withDefect, clean, supervisorDefect, supervisorClean] = await runPlans(
      [
        { defects: ['full-pan-on-voucher'], caseIds: ['CUP-VOU-002'], failFast: true },
        { caseIds: ['CUP-VOU-002'] },
        { defects: ['supervisor-password-not-checked'], emulatorProfile: 'supervisor', caseIds: ['CUP-PAY-023'], failFast: true },
        { emulatorProfile: 'supervisor', caseIds: ['CUP-PAY-023'] },
      ],
      150_000,
    );
    expect(catchingCases(withDefect), withDefect.stderr).to.deep.equal(['CUP-VOU-002']);
    expect(withDefect.exitCode).to.equal(1);
    expect(clean.cases.get('CUP-VOU-002')?.outcome, clean.stderr).to.equal('passed');
    expect(clean.exitCode).to.equal(0);
    expect(catchingCases(supervisorDefect), supervisorDefect.stderr).to.deep.equal(['CUP-PAY-023']);
    expect(supervisorClean.cases.get('CUP-PAY-023')?.outcome, supervisorClean.stderr).to.equal('passed');
  });

  test('a batch killed before it finished returns its runs with exit code -1 and no cases', { timeout: 60_000 }, async () => {
    const runs = await runPlans([{ caseIds: ['CUP-ONB-010'] }, { caseIds: ['CUP-ONB-004'] }], 50);
    expect(runs.map((r) => [r.exitCode, r.cases.size])).to.deep.equal([
      [-1, 0],
      [-1, 0],
    ]);
  });

  test('one language and cucumber profile per batch, no extra arguments', async () => {
    let err: unknown;
    await runPlans([{ caseIds: ['CUP-ONB-010'] }, { caseIds: ['CUP-ONB-010'], lang: 'zh-CN' }], 1000).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(PlanBatchError);
    err = undefined;
    await runPlans([{ caseIds: ['CUP-ONB-010'], args: ['--dry-run'] }], 1000).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(PlanBatchError);
  });
});
