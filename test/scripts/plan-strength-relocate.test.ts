// Finding a mutant of an earlier plan:strength run again by its code (scripts/plan-strength-relocate.ts)
// and the recheck's job list built on it (scripts/plan-strength.ts recheckJobs).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { applyMutant, mutateAgain, relocate, spanText, type Span } from '../../scripts/plan-strength-relocate';
import { recheckJobs, type MutationReport } from '../../scripts/plan-strength';

const span = (line: number, column: number, endColumn: number, endLine = line): Span => ({
  start: { line, column },
  end: { line: endLine, column: endColumn },
});

const THEN = ['function a() {', "  if (x === 'swipe') return 1;", '  return 2;', '}', ''].join('\n');

describe('plan:strength relocate', () => {
  test("a span's text uses Stryker's 1-based lines and columns, end exclusive", () => {
    expect(spanText(THEN, span(2, 7, 20))).to.equal("x === 'swipe'");
    expect(spanText(THEN, span(1, 14, 5, 2))).to.equal('{\n  if');
    expect(() => spanText(THEN, span(9, 1, 2))).to.throw(RangeError, 'line 9 is outside');
  });

  test('unchanged code is found where it was; code moved by lines added above is found where it went', () => {
    expect(relocate(THEN, THEN, span(2, 7, 20))).to.deep.equal({ span: span(2, 7, 20), moved: 0 });
    const now = `// a header\n\n${THEN}`;
    expect(relocate(THEN, now, span(2, 7, 20))).to.deep.equal({ span: span(4, 7, 20), moved: 2 });
    const again = mutateAgain(THEN, now, span(2, 7, 20), 'true');
    expect(again).to.deep.include({ moved: 2 });
    expect((again as { source: string }).source).to.include('  if (true) return 1;');
    expect((again as { source: string }).source.startsWith('// a header\n')).to.equal(true);
  });

  test('a repeated line is told apart by the lines around it', () => {
    const then = ['a();', 'try {', '  b();', '} catch {}', 'c();', 'try {', '  d();', '} catch {}'].join('\n');
    const now = ['x();', ...then.split('\n')].join('\n');
    expect(relocate(then, now, span(6, 5, 6))).to.deep.equal({ span: span(7, 5, 6), moved: 1 });
    // The first `try {` lost its block: the second is still the one with `d();` after it.
    const edited = then.replace('  b();', '  bb();');
    expect(relocate(then, edited, span(6, 5, 6))).to.deep.equal({ span: span(6, 5, 6), moved: 0 });
  });

  test('identical repeats (context included) are matched in order when both sources hold as many', () => {
    const block = ['x = 1;', 'x = 1;', 'x = 1;'];
    const then = block.join('\n');
    const now = ['// moved', ...block].join('\n');
    expect(relocate(then, now, span(2, 5, 6))).to.deep.equal({ span: span(3, 5, 6), moved: 1 });
  });

  test('an edited line, or a repeat that lost a copy, is not guessed at', () => {
    const edited = THEN.replace("x === 'swipe'", "x === 'insert'");
    expect(relocate(THEN, edited, span(2, 7, 20)))
      .to.have.property('reason')
      .that.matches(/no longer in the file/);
    const then = ['y();', 'x = 1;', 'y();', 'x = 1;'].join('\n');
    const now = ['y();', 'x = 1;'].join('\n');
    expect(relocate(then, now, span(4, 5, 6)))
      .to.have.property('reason')
      .that.matches(/cannot be told/);
    // Same line, but the mutated columns now hold other code: refused by mutateAgain.
    expect(mutateAgain('ab;\n', 'ab;\n', span(1, 1, 3), 'x')).to.deep.include({ moved: 0 });
    expect(applyMutant('ab;\n', span(1, 1, 3), 'x')).to.equal('x;\n');
  });

  test("a recheck's jobs: each survivor mutated in the file as it is now, or why it cannot be", () => {
    const mutant = (id: string, status: 'Killed' | 'Survived', line: number, replacement?: string) => ({
      id,
      mutatorName: 'ConditionalExpression',
      ...(replacement !== undefined ? { replacement } : {}),
      location: span(line, 7, 20),
      status,
    });
    const before: MutationReport = {
      schemaVersion: '2',
      thresholds: { high: 80, low: 60 },
      files: {
        'emulator/a.ts': { language: 'typescript', source: THEN, mutants: [mutant('1', 'Killed', 2, 'false'), mutant('2', 'Survived', 2, 'true')] },
        'emulator/gone.ts': { language: 'typescript', source: THEN, mutants: [mutant('3', 'Survived', 2, 'true')] },
        'emulator/b.ts': { language: 'typescript', source: THEN, mutants: [mutant('4', 'Survived', 2)] },
      },
    };
    const files: Record<string, string> = { 'emulator/a.ts': `\n${THEN}`, 'emulator/b.ts': THEN };
    const jobs = recheckJobs(before, (f) => files[f]);
    expect(jobs.map((j) => j.id)).to.deep.equal(['2', '3', '4']);
    expect(jobs[0]).to.deep.include({ file: 'emulator/a.ts', moved: 1, original: files['emulator/a.ts'] });
    expect((jobs[0] as { source: string }).source.split('\n')[2]).to.equal('  if (true) return 1;');
    expect(jobs[1]).to.deep.include({ reason: 'emulator/gone.ts is gone' });
    expect(jobs[2]).to.deep.include({ reason: 'the report gives no replacement code' });
  });
});
