// The pure parts of npm run plan:strength: the seeded sample, where a mutant sits (function, area),
// reading a kill from the lean run's summary, restricting a report to the sample, and the page.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  areaOf,
  enclosingFunction,
  decidingCases,
  gateCommand,
  mergeRecheck,
  fromRecord,
  recordFileOf,
  toRecord,
  type SavedRun,
  instrumentedIds,
  judgedMutants,
  parseArgs,
  parseKill,
  renderStrength,
  restrictToSample,
  sampleIds,
  type MutationReport,
} from '../../scripts/plan-strength';

describe('plan:strength', () => {
  test('the sample is seeded: same seed, same ids, in listing order; another seed differs; never more than exist', () => {
    const ids = Array.from({ length: 200 }, (_, i) => String(i));
    const a = sampleIds(ids, 10, 14);
    expect(a).to.have.length(10);
    expect(sampleIds(ids, 10, 14)).to.deep.equal(a);
    expect(a).to.deep.equal([...a].sort((x, y) => Number(x) - Number(y)));
    expect(sampleIds(ids, 10, 15)).to.not.deep.equal(a);
    expect(sampleIds(['1', '2'], 5, 1)).to.deep.equal(['1', '2']);
  });

  test('a mutant belongs to the function declared above it, and an area from that name or its file', () => {
    const src = [
      'export class S {',
      '  private totals(): number {',
      '    let n = 0;',
      '    if (x) n++;',
      '    return n;',
      '  }',
      '  async signOn(interactive: boolean): Promise<void> {',
      '    await this.send();',
      '  }',
      '}',
      'export const renderVoucher = (v: V): string[] => {',
      '  return [v.amount];',
      '};',
    ].join('\n');
    expect(enclosingFunction(src, 4)).to.equal('totals');
    expect(enclosingFunction(src, 8)).to.equal('signOn');
    expect(enclosingFunction(src, 12)).to.equal('renderVoucher');
    expect(areaOf('emulator/session.ts', 'totals')).to.equal('settlement');
    expect(areaOf('emulator/session.ts', 'signOn')).to.equal('onboarding');
    expect(areaOf('emulator/session.ts', 'enterPin')).to.equal('pin');
    expect(areaOf('emulator/session.ts', 'printCopies')).to.equal('voucher');
    expect(areaOf('emulator/flows/sale.ts', 'run')).to.equal('payment');
    expect(areaOf('emulator/flows/settlement.ts', 'run')).to.equal('settlement');
    expect(areaOf('emulator/services/online.ts', 'exchange')).to.equal('risk');
    expect(areaOf('emulator/texts.ts', undefined)).to.equal('shared');
  });

  test('a signature spread over several lines, and a module-level table, name the lines they hold', () => {
    const src = [
      'export function kindLabel(k: K): string {',
      "  return k === 'sale' ? 'SALE' : 'OTHER';",
      '}',
      'export const RESPONSE_TEXTS: Readonly<Record<string, T>> = {',
      "  '00': { zh: '交易成功', en: 'APPROVED' },",
      '};',
      'const LIMIT = 3;',
      'export class Tx {',
      '  async conclude(',
      '    kind: K,',
      '    amount: number,',
      '  ): Promise<void> {',
      '    this.printVouchers(tx, false);',
      '    show(',
      '      x,',
      '    );',
      '  }',
      '}',
    ].join('\n');
    expect(enclosingFunction(src, 2)).to.equal('kindLabel');
    expect(enclosingFunction(src, 5)).to.equal('RESPONSE_TEXTS');
    expect(enclosingFunction(src, 7)).to.equal('LIMIT');
    expect(enclosingFunction(src, 13)).to.equal('conclude');
    expect(enclosingFunction(src, 15)).to.equal('conclude');
    expect(areaOf('emulator/texts.ts', 'RESPONSE_TEXTS')).to.equal('risk');
  });

  test('a kill names the verdict and the first failing case of the lean run', () => {
    expect(parseKill('NOT CERTIFIED — 1 mandatory case failed: CUP-PAY-010\n    ✘ CUP-PAY-010 failed: Then the screen shows "x"\n')).to.deep.equal({
      verdict: 'NOT CERTIFIED',
      killedBy: 'CUP-PAY-010',
    });
    expect(parseKill('INCONCLUSIVE — no mandatory case failed\n    ! CUP-ONB-001 broken: When …\n')).to.deep.equal({
      verdict: 'INCONCLUSIVE',
      killedBy: 'CUP-ONB-001',
    });
    expect(
      parseKill(
        'NOT CERTIFIED — 1 mandatory case failed: CUP-PAY-032\n    ✘ CUP-PAY-014 failed (optional): Then x\n    ✘ CUP-PAY-032 failed: When y\n',
      ),
    ).to.deep.equal({ verdict: 'NOT CERTIFIED', killedBy: 'CUP-PAY-032' });
    expect(parseKill(undefined)).to.deep.equal({});
  });

  test('a sampled report keeps the sampled mutants; the page counts them, lists survivors by file and the first killers', () => {
    const report: MutationReport = {
      schemaVersion: '2',
      thresholds: { high: 80, low: 60 },
      files: {
        'emulator/session.ts': {
          language: 'typescript',
          source: 'class S {\n  private totals(): void {\n    a();\n    b();\n  }\n}\n',
          mutants: [
            {
              id: '1',
              mutatorName: 'BlockStatement',
              replacement: '{}',
              location: { start: { line: 3, column: 5 }, end: { line: 3, column: 8 } },
              status: 'Killed',
              statusReason: 'NOT CERTIFIED — 1 mandatory case failed: CUP-STL-001\n    ✘ CUP-STL-001 failed: Given x\n',
            },
            {
              id: '2',
              mutatorName: 'ConditionalExpression',
              replacement: 'true',
              location: { start: { line: 4, column: 5 }, end: { line: 4, column: 8 } },
              status: 'Survived',
            },
            {
              id: '3',
              mutatorName: 'StringLiteral',
              replacement: '""',
              location: { start: { line: 4, column: 5 }, end: { line: 4, column: 8 } },
              status: 'Survived',
            },
          ],
        },
      },
    };
    const sampled = restrictToSample(report, new Set(['1', '2']), 'not in the sample');
    expect(sampled.files['emulator/session.ts'].mutants.map((m) => m.status)).to.deep.equal(['Killed', 'Survived', 'Ignored']);
    const mutants = judgedMutants(
      sampled,
      new Map([
        ['1', 4200],
        ['2', 51000],
      ]),
    );
    expect(mutants.map((m) => [m.id, m.fn, m.area, m.killedBy])).to.deep.equal([
      ['1', 'totals', 'settlement', 'CUP-STL-001'],
      ['2', 'totals', 'settlement', undefined],
    ]);
    const run = {
      command: 'npm run plan:strength -- --sample 2',
      generated: 'now',
      seed: 14,
      sample: 2,
      totalMutants: 3,
      tree: 'abc',
      baselineMs: 60000,
      wallMs: 120000,
      mutants,
    };
    const BREAKS = (score: string) =>
      `| **score of mutants that break conformance** (killed / (killed + survived − equivalent − still conformant)) | **${score}** |`;
    const md = renderStrength(run, []);
    expect(md).to.include('Sample: 2 of 3 mutants, drawn with seed 14');
    expect(md).to.include('| score, every survivor counted (killed / (killed + survived)) | 50.0 % |');
    expect(md).to.include('| score of non-equivalent mutants (killed / (killed + survived − equivalent)) | 50.0 % |');
    expect(md).to.include(BREAKS('50.0 %'));
    expect(md).to.include('| settlement | 2 | 1 | 1 | 0 | 50.0 % |');
    expect(md).to.include('### emulator/session.ts');
    expect(md).to.include('| 4 | totals | settlement | ConditionalExpression | `true` | not yet |');
    // An entry accounting for the survivor as equivalent takes it out of the denominator, and the table says why.
    const entry = {
      file: 'emulator/session.ts',
      mutator: 'ConditionalExpression',
      replacement: 'true',
      kind: 'equivalent' as const,
      why: 'same bytes',
    };
    const sourceLine = report.files['emulator/session.ts'].source.split('\n')[3].trim();
    const accounted = renderStrength(run, [{ ...entry, code: sourceLine.slice(0, 8) }]);
    expect(accounted).to.include('| score of non-equivalent mutants (killed / (killed + survived − equivalent)) | 100.0 % |');
    expect(accounted).to.include(BREAKS('100.0 %'));
    expect(accounted).to.include('| 4 | totals | settlement | ConditionalExpression | `true` | equivalent: same bytes |');
    expect(renderStrength(run, [{ ...entry, code: 'not on that line' }])).to.include(BREAKS('50.0 %'));
    // A still-conformant survivor leaves the headline's denominator but not the non-equivalent one, and the table says which.
    const conformant = renderStrength(run, [{ ...entry, kind: 'conformant', why: 'wording left open', code: sourceLine.slice(0, 8) }]);
    expect(conformant).to.include('| score of non-equivalent mutants (killed / (killed + survived − equivalent)) | 50.0 % |');
    expect(conformant).to.include(BREAKS('100.0 %'));
    expect(conformant).to.include('| of which still conformant (accounted for) | 1 |');
    expect(conformant).to.include('| settlement | 2 | 1 | 1 | 1 | 100.0 % |');
    expect(conformant).to.include('`true` | conformant: wording left open |');
    // Code only another emulator profile runs counts as equivalent for the measured terminal, and is shown apart.
    const otherProfile = renderStrength(run, [{ ...entry, kind: 'other-profile', why: 'only under emu:x', code: sourceLine.slice(0, 8) }]);
    expect(otherProfile).to.include('| score of non-equivalent mutants (killed / (killed + survived − equivalent)) | 100.0 % |');
    expect(otherProfile).to.include('| of which equivalent (accounted for) | 1 |');
    expect(otherProfile).to.include('| of these, run only under another emulator profile | 1 |');
    expect(md).to.include('| of these, run only under another emulator profile | 0 |');
    // Unobservable stays a survivor in both scores.
    const unobservable = renderStrength(run, [{ ...entry, kind: 'unobservable', why: 'not seen', code: sourceLine.slice(0, 8) }]);
    expect(unobservable).to.include(BREAKS('50.0 %'));
    expect(md).to.include('| CUP-STL-001 | 1 |');
    expect(md).to.include('| per killed mutant, median | 4.2 s |');
  });

  test('the ids Stryker instrumented into a sandbox are read back in number order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-strength-'));
    fs.mkdirSync(path.join(dir, 'emulator', 'flows'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'emulator', 'a.ts'), 'if (stryMutAct_9fa48("10")) {} else if (stryMutAct_9fa48("2")) {}');
    fs.writeFileSync(path.join(dir, 'emulator', 'flows', 'b.ts'), 'stryMutAct_9fa48("3") ? x : (stryCov_9fa48("3"), y)');
    try {
      expect(instrumentedIds(dir)).to.deep.equal(['2', '3', '10']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("Stryker's instrumenter with the plan-strength ignorer leaves out defect wiring and log lines, and nothing else", () => {
    // The real instrumenter (ESM) in a child process, on a flow-shaped snippet.
    const snippet = [
      "const flow = { name: 'sale', defects: ['wrong-mac', 'payee-not-shown'] };",
      'function run(core, n) {',
      "  if (core.defect('payee-not-shown') && n > 1) { core.show('hidden'); }",
      "  const shown = core.defect('wrong-mac') ? 'bad' : 'good';",
      "  if (!core.defect('tamper-ignored')) core.show('checked');",
      '  core.host.log(`amount ${n}`);',
      "  return n > 1 ? 'many' : 'one';",
      '}',
    ].join('\n');
    const script = [
      "import { Instrumenter } from '@stryker-mutator/instrumenter';",
      "import { ignorer } from './scripts/plan-strength-ignorer.mjs';",
      'const quiet = () => false; const log = { isDebugEnabled: quiet, isTraceEnabled: quiet, isInfoEnabled: quiet, isWarnEnabled: quiet, isErrorEnabled: quiet, isFatalEnabled: quiet, debug() {}, trace() {}, info() {}, warn() {}, error() {}, fatal() {} };',
      `const r = await new Instrumenter(log).instrument([{ name: 'flow.ts', content: ${JSON.stringify(snippet)}, mutate: true }], { plugins: null, excludedMutations: [], ignorers: [ignorer] });`,
      "console.log(JSON.stringify(r.mutants.map((m) => [m.location.start.line, m.mutatorName, m.replacement, m.status === 'Ignored'])));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const mutants = JSON.parse(r.stdout) as [number, string, string, boolean][];
    // The instrumenter counts lines from 0 here.
    const pick = (line: number, ignoredToo: boolean) =>
      mutants.filter(([l, , , i]) => l === line && i === ignoredToo).map(([, m, rep]) => `${m} ${rep}`);
    const ignored = (line: number) => pick(line, true);
    const kept = (line: number) => pick(line, false);
    expect(ignored(0), 'the defects: list').to.deep.equal(['ArrayDeclaration []', 'StringLiteral ""', 'StringLiteral ""']);
    expect(kept(0), 'the flow object and its name').to.deep.equal(['ObjectLiteral {}', 'StringLiteral ""']);
    // `defect(…) && n > 1`: the name, the other operand and the branch are dead; the condition as a whole is not.
    expect(ignored(2)).to.deep.equal([
      'StringLiteral ""',
      'ConditionalExpression true',
      'EqualityOperator n >= 1',
      'EqualityOperator n <= 1',
      'BlockStatement {}',
      'StringLiteral ""',
    ]);
    expect(kept(2)).to.deep.equal([
      'ConditionalExpression true',
      'ConditionalExpression false',
      "LogicalOperator core.defect('payee-not-shown') || n > 1",
    ]);
    expect(ignored(3), "defect(…) ? 'bad' : …").to.deep.equal(['StringLiteral ""', 'StringLiteral ""']);
    expect(kept(3), "'good' is what a certification run shows").to.deep.equal(['StringLiteral ""']);
    expect(kept(4), 'the branch a defect switches off is live')
      .to.include('StringLiteral ""')
      .and.to.include("BooleanLiteral core.defect('tamper-ignored')");
    expect(ignored(5), 'a log line').to.deep.equal(['StringLiteral ``']);
    expect(ignored(6)).to.deep.equal([]);
    expect(kept(6).length).to.equal(6);
  });

  test('options and the per-mutant command', () => {
    expect(parseArgs(['--sample', '10', '--seed', '3'])).to.deep.include({ sample: 10, seed: 3, concurrency: 1 });
    expect(parseArgs(['--out', 'reports/x', '--page', 'docs/x.md'])).to.deep.include({
      out: path.resolve(__dirname, '../../reports/x'),
      page: path.resolve(__dirname, '../../docs/x.md'),
    });
    expect(() => parseArgs(['--out'])).to.throw('--out: expected a path');
    expect(() => parseArgs(['--sample', '0'])).to.throw('--sample 0: expected a whole number ≥ 1');
    expect(() => parseArgs(['--bogus'])).to.throw('unknown argument --bogus');
    const cmd = gateCommand({ file: '/x/sample.txt', n: 10, seed: 14 }, '/x/runs.tsv');
    expect(cmd).to.include(`grep -qx "$M" '/x/sample.txt'`);
    expect(cmd).to.include("scripts/plan-strength.ts --draw-sample '/x/sample.txt' 10 14");
    expect(cmd).to.include(`scripts/plan-strength.ts --judge '/x/runs.tsv' "\${M:-initial}"`);
    expect(gateCommand(undefined, '/x/runs.tsv')).to.not.include('grep -qx');
    expect(parseArgs(['--recheck', '--concurrency', '4'])).to.deep.include({ recheck: true, concurrency: 4 });
    expect(parseArgs(['--render'])).to.deep.include({ render: true });
  });

  test('a kill is decided by failed mandatory applicable cases first, else by broken ones that ran (not the cases --bail left unrun)', () => {
    const c = (id: string, result: string, extra: Partial<{ mandatory: boolean; applicable: boolean; reason: string }> = {}) => ({
      id,
      mandatory: true,
      applicable: true,
      result,
      ...extra,
    });
    expect(
      decidingCases({
        verdict: 'NOT CERTIFIED',
        cases: [
          c('CUP-ONB-001', 'passed'),
          c('CUP-RSK-001', 'broken', { reason: 'x' }),
          c('CUP-PAY-010', 'failed'),
          c('CUP-PAY-016', 'failed', { mandatory: false }),
        ],
      }),
    ).to.deep.equal(['CUP-PAY-010']);
    expect(
      decidingCases({
        verdict: 'INCONCLUSIVE',
        cases: [c('CUP-ONB-001', 'broken', { reason: 'hello timed out' }), c('CUP-PAY-001', 'broken', { reason: 'not run: --bail stopped the run' })],
      }),
    ).to.deep.equal(['CUP-ONB-001']);
    expect(decidingCases({ verdict: 'CERTIFIED', cases: [c('CUP-ONB-001', 'passed'), c('CUP-X', 'failed', { applicable: false })] })).to.deep.equal(
      [],
    );
  });

  test("a recheck takes the re-run survivors' new outcomes and keeps every earlier kill", () => {
    const mutant = (id: string, status: 'Killed' | 'Survived' | 'Ignored', statusReason?: string) => ({
      id,
      mutatorName: 'StringLiteral',
      location: { start: { line: 1, column: 1 }, end: { line: 1, column: 2 } },
      status,
      ...(statusReason ? { statusReason } : {}),
    });
    const report = (...mutants: ReturnType<typeof mutant>[]): MutationReport => ({
      schemaVersion: '2',
      thresholds: { high: 80, low: 60 },
      files: { 'emulator/texts.ts': { language: 'typescript', source: 'x', mutants } },
    });
    const before = report(mutant('1', 'Killed', 'NOT CERTIFIED'), mutant('2', 'Survived'), mutant('3', 'Survived'), mutant('4', 'Ignored'));
    const again = report(
      mutant('1', 'Survived'),
      mutant('2', 'Killed', 'NOT CERTIFIED: CUP-VOU-001'),
      mutant('3', 'Survived'),
      mutant('4', 'Survived'),
    );
    const merged = mergeRecheck(before, again, new Set(['2', '3']));
    expect(merged.files['emulator/texts.ts'].mutants.map((m) => [m.id, m.status, m.statusReason])).to.deep.equal([
      ['1', 'Killed', 'NOT CERTIFIED'],
      ['2', 'Killed', 'NOT CERTIFIED: CUP-VOU-001'],
      ['3', 'Survived', undefined],
      ['4', 'Ignored', undefined],
    ]);
  });

  test("a run's record beside its page gives back the run and the mutants that ran, each file's text read back by its hash", () => {
    const source = "export const A = 'x';\nexport const B = 'y';\n";
    const lean = [
      'poscert certify: plan unionpay-pos',
      '  ✔ passed CUP-ONB-001',
      'NOT CERTIFIED — 1 mandatory case failed: CUP-VOU-001',
      '    ✘ CUP-VOU-001 failed: Then …',
      'x'.repeat(2000),
    ].join('\n');
    const mutant = (id: string, status: 'Killed' | 'Survived' | 'Ignored', line: number, statusReason?: string) => ({
      id,
      mutatorName: 'StringLiteral',
      replacement: '""',
      location: { start: { line, column: 18 }, end: { line, column: 21 } },
      status,
      ...(statusReason ? { statusReason } : {}),
    });
    const report: MutationReport = {
      schemaVersion: '2',
      thresholds: { high: 80, low: 60 },
      files: {
        'emulator/texts.ts': {
          language: 'typescript',
          source,
          mutants: [mutant('1', 'Killed', 1, lean), mutant('2', 'Survived', 2), mutant('3', 'Ignored', 2, 'not in the sample')],
        },
        'emulator/voucher.ts': { language: 'typescript', source: 'v', mutants: [mutant('4', 'Ignored', 1)] },
      },
    };
    const run: SavedRun = {
      command: 'npm run plan:strength -- --sample 2 --seed 19',
      generated: '2026-12-05 01:17 UTC',
      seed: 19,
      sample: 2,
      totalMutants: 4,
      commit: 'abc1234',
      wallMs: 1,
      durations: { '1': 40 },
    };
    const record = toRecord(run, report);
    expect(Object.keys(record.files), 'a file none of whose mutants ran is left out').to.deep.equal(['emulator/texts.ts']);
    expect(record.files['emulator/texts.ts'].mutants.map((m) => m.id)).to.deep.equal(['1', '2']);
    expect(JSON.stringify(record)).to.not.include(source.slice(0, 20));
    expect(record.files['emulator/texts.ts'].mutants[0].statusReason).to.equal(
      'NOT CERTIFIED — 1 mandatory case failed: CUP-VOU-001\n    ✘ CUP-VOU-001 failed: Then …',
    );
    const back = fromRecord(JSON.parse(JSON.stringify(record)), () => source);
    expect(back.run).to.deep.equal(run);
    expect(judgedMutants(back.report).map((m) => [m.id, m.status, m.killedBy ?? null, m.code])).to.deep.equal([
      ['1', 'Killed', 'CUP-VOU-001', "export const A = 'x';"],
      ['2', 'Survived', null, "export const B = 'y';"],
    ]);
    expect(() => fromRecord(record, () => source + '// edited\n')).to.throw(/emulator\/texts.ts at commit abc1234 is not the text the run mutated/);
    expect(recordFileOf('docs/plan-strength-seed19.md')).to.equal('docs/plan-strength-seed19.json');
  });
});
