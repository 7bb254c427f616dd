import { describe, test } from 'node:test';
import { expect } from 'chai';
import { parsePlan } from '../../certification/plan';
import { collectResults } from '../../certification/results';
import { areaOf, judge } from '../../certification/verdict';
import { buildStream, type ScenarioSpec } from './stream-builder';

const plan = parsePlan(
  `
name: t
version: "2"
cases:
  - { id: CUP-PAY-001, mandatory: true }
  - { id: CUP-PAY-002, mandatory: true }
  - { id: CUP-PAY-003, mandatory: true, requires: [contactless] }
  - { id: CUP-VOU-001, mandatory: false }
`,
  'plans/t.yaml',
);

const ok = (id: string, extra: Partial<ScenarioSpec> = {}): ScenarioSpec => ({
  name: `case ${id}`,
  tags: [`@${id}`],
  steps: [{ text: 'x', status: 'PASSED' }],
  ...extra,
});
const fail = (id: string): ScenarioSpec => ({
  name: `case ${id}`,
  tags: [`@${id}`],
  steps: [{ text: 'the voucher shows it', keyword: 'Then ', status: 'FAILED', error: { type: 'AssertionError', message: 'nope' } }],
});
const broke = (id: string): ScenarioSpec => ({
  name: `case ${id}`,
  tags: [`@${id}`],
  steps: [{ text: 'x', status: 'FAILED', error: { type: 'LinkDownError', message: 'gone' } }],
});
const results = (specs: ScenarioSpec[]) => collectResults([{ text: buildStream(specs), source: 's' }]);
const full = { kind: 'full' as const };
const caps = ['contact', 'magstripe', 'contactless'];

describe('certification/verdict: DESIGN.md outcomes and verdicts', () => {
  test('CERTIFIED (exit 0) when every mandatory applicable case passed', () => {
    const j = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-002'), ok('CUP-PAY-003'), ok('CUP-VOU-001')]), caps, full);
    expect(j.verdict).to.equal('CERTIFIED');
    expect(j.exitCode).to.equal(0);
    expect(j.mandatoryCounts).to.deep.equal({ total: 3, passed: 3, failed: 0, broken: 0, skipped: 0 });
  });

  test('CERTIFIED says in the same sentence which mandatory cases did not apply and are not covered', () => {
    const all = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-002'), ok('CUP-PAY-003')]), caps, full);
    expect(all.because).to.equal('all 3 mandatory applicable cases passed');
    const j = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-002')]), ['contact', 'magstripe'], full);
    expect(j.verdict).to.equal('CERTIFIED');
    expect(j.because).to.equal(
      "all 2 mandatory applicable cases passed; 1 of the plan's 3 mandatory cases did not apply to this terminal and are not covered by this certificate: CUP-PAY-003",
    );
  });

  test('NOT CERTIFIED (exit 1) when a mandatory case failed, even if another is broken', () => {
    const j = judge(plan, results([fail('CUP-PAY-001'), broke('CUP-PAY-002'), ok('CUP-PAY-003')]), caps, full);
    expect(j.verdict).to.equal('NOT CERTIFIED');
    expect(j.exitCode).to.equal(1);
    expect(j.because).to.include('CUP-PAY-001');
    const c = j.cases.find((x) => x.id === 'CUP-PAY-001')!;
    expect(c.firstFailure).to.deep.include({ step: 'Then the voucher shows it', message: 'nope' });
  });

  test('INCONCLUSIVE (exit 2) when none failed but a mandatory case was broken', () => {
    const j = judge(plan, results([ok('CUP-PAY-001'), broke('CUP-PAY-002'), ok('CUP-PAY-003')]), caps, full);
    expect(j.verdict).to.equal('INCONCLUSIVE');
    expect(j.exitCode).to.equal(2);
    expect(j.because).to.include('CUP-PAY-002');
  });

  test('an optional failure is reported but does not decide the verdict', () => {
    const j = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-002'), ok('CUP-PAY-003'), fail('CUP-VOU-001')]), caps, full);
    expect(j.verdict).to.equal('CERTIFIED');
    expect(j.cases.find((c) => c.id === 'CUP-VOU-001')!.result).to.equal('failed');
    expect(j.counts.failed).to.equal(1);
  });

  test('a case needing a capability the terminal does not declare is skipped with the reason, and does not count', () => {
    const j = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-002')]), ['contact', 'magstripe'], full);
    const c = j.cases.find((x) => x.id === 'CUP-PAY-003')!;
    expect(c).to.include({ result: 'skipped', applicable: false });
    expect(c.reason).to.equal('not applicable: the terminal does not declare contactless (declares: contact, magstripe)');
    expect(j.verdict).to.equal('CERTIFIED');
  });

  test('a mandatory applicable case that never ran is broken (missing): INCONCLUSIVE', () => {
    const j = judge(plan, results([ok('CUP-PAY-001'), ok('CUP-PAY-003')]), caps, full);
    const c = j.cases.find((x) => x.id === 'CUP-PAY-002')!;
    expect(c.result).to.equal('broken');
    expect(c.reason).to.equal('mandatory case not run: no scenario carries this case id');
    expect(j.verdict).to.equal('INCONCLUSIVE');
  });

  test('with --tags the reason says the case was excluded by the filter', () => {
    const j = judge(plan, results([ok('CUP-PAY-001')]), caps, { kind: 'full', tags: '@CUP-PAY-001' });
    expect(j.cases.find((x) => x.id === 'CUP-PAY-002')!.reason).to.equal('mandatory case not run (excluded by --tags @CUP-PAY-001)');
    expect(j.cases.find((x) => x.id === 'CUP-VOU-001')!.result).to.equal('skipped');
    expect(j.verdict).to.equal('INCONCLUSIVE');
  });

  test('in a shard, cases of other shards are skipped ("not in shard"), not missing', () => {
    const j = judge(plan, results([ok('CUP-PAY-001')]), caps, { kind: 'shard', shard: '1/2' });
    expect(j.cases.find((x) => x.id === 'CUP-PAY-002')!.reason).to.equal('not in shard 1/2');
    expect(j.verdict).to.equal('CERTIFIED');
    expect(j.because).to.equal('all 1 mandatory applicable case passed in shard 1/2; merge all shards for the certificate');
    expect(j.mandatoryCounts.total).to.equal(1);
  });

  test('a mandatory applicable case skipped at run time was not judged: broken', () => {
    const j = judge(
      plan,
      results([
        ok('CUP-PAY-001'),
        ok('CUP-PAY-002', { beforeHook: { status: 'SKIPPED' }, steps: [{ text: 'x', status: 'SKIPPED' }] }),
        ok('CUP-PAY-003'),
      ]),
      caps,
      full,
    );
    const c = j.cases.find((x) => x.id === 'CUP-PAY-002')!;
    expect(c.result).to.equal('broken');
    expect(c.reason).to.match(/^mandatory applicable case was skipped at run time/);
  });

  test('the worst outline row decides the case, and the reason names the row', () => {
    const j = judge(
      plan,
      results([
        ok('CUP-PAY-001', { row: { entry: 'swipe' } }),
        { ...fail('CUP-PAY-001'), row: { entry: 'tap' } },
        ok('CUP-PAY-002'),
        ok('CUP-PAY-003'),
      ]),
      caps,
      full,
    );
    const c = j.cases.find((x) => x.id === 'CUP-PAY-001')!;
    expect(c.result).to.equal('failed');
    expect(c.scenarios).to.have.length(2);
    expect(c.reason).to.equal('nope [entry=tap]');
    expect(c.firstFailure!.parameters).to.deep.equal({ entry: 'tap' });
  });

  test('scenarios outside the plan are listed but never counted; scenarios without a case id are reported', () => {
    const j = judge(
      plan,
      results([
        ok('CUP-PAY-001'),
        ok('CUP-PAY-002'),
        ok('CUP-PAY-003'),
        fail('CUP-XTR-001'),
        { name: 'no id', tags: ['@wip'], steps: [{ text: 'x', status: 'PASSED' }] },
      ]),
      caps,
      full,
    );
    const extra = j.cases.find((c) => c.id === 'CUP-XTR-001')!;
    expect(extra.inPlan).to.equal(false);
    expect(extra.reason).to.match(/^not in plan t/);
    expect(j.verdict).to.equal('CERTIFIED');
    expect(j.untagged.map((s) => s.title)).to.deep.equal(['no id']);
  });

  test('an incomplete run cannot certify', () => {
    const r = results([ok('CUP-PAY-001'), ok('CUP-PAY-002'), ok('CUP-PAY-003')]);
    r.complete = false;
    r.runErrors.push('s: the cucumber run did not finish');
    const j = judge(plan, r, caps, full);
    expect(j.verdict).to.equal('INCONCLUSIVE');
    expect(j.because).to.include('did not finish');
  });

  test('area comes from the case id, else the feature folder', () => {
    expect(areaOf('CUP-STL-003')).to.equal('settlement');
    expect(areaOf('CUP-ZZZ-001', 'features/risk/x.feature')).to.equal('risk');
    expect(areaOf(undefined, 'features/zh-CN/x.feature')).to.equal('other');
  });
});
