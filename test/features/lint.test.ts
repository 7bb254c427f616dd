import { test, describe } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lintCases, formatFinding } from '../../scripts/lint-cases';

const repoRoot = path.join(__dirname, '..', '..');

/** A throw-away repo layout with the given feature files and plan. */
function fixture(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-lint-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
const plan = (cases: string) => `name: p\nversion: 1.0.0\ncases:\n${cases}`;
const sale = (tags: string, name = 'Sale') => `Feature: F\n  ${tags}\n  Scenario: ${name}\n    When the operator selects "消费"\n`;

function messages(root: string): string[] {
  try {
    return lintCases(root).errors.map(formatFinding);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

describe('case lint', () => {
  test("the project's features and plans pass", () => {
    const { errors, index, plans } = lintCases(repoRoot);
    expect(errors.map(formatFinding)).to.deep.equal([]);
    expect(index.cases.size).to.be.at.least(60);
    expect(plans.map((p) => p.name)).to.include('unionpay-pos');
    expect(index.translations.get('zh-CN')?.size ?? 0).to.be.at.least(3);
  });

  test('a clean fixture passes', () => {
    expect(
      messages(
        fixture({
          'features/payment/a.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
          'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true }\n'),
        }),
      ),
    ).to.deep.equal([]);
  });

  test('a scenario without a case id fails', () => {
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@severity:critical @mandatory', 'Nameless'),
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-002, mandatory: true }\n'),
      }),
    );
    expect(errs.join('\n')).to.match(/features\/payment\/a.feature:\d+: scenario "Nameless" has no case id tag/);
  });

  test('an id used twice fails, naming both places', () => {
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
        'features/payment/b.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true }\n'),
      }),
    );
    expect(errs.join('\n')).to.match(/case id CUP-PAY-001 used twice \(en\): also at features\/payment\/a.feature:2/);
  });

  test('an id on two Examples blocks of one outline is used twice', () => {
    const outline =
      'Feature: F\n  Scenario Outline: S <a>\n    When the operator selects "<a>"\n' +
      '    @CUP-PAY-001 @severity:normal @mandatory\n    Examples: one\n      | a |\n      | x |\n' +
      '    @CUP-PAY-001 @severity:normal @mandatory\n    Examples: two\n      | a |\n      | y |\n';
    const errs = messages(
      fixture({
        'features/payment/a.feature': outline,
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true }\n'),
      }),
    );
    expect(errs.join('\n')).to.match(/CUP-PAY-001 used twice/);
  });

  test('a plan naming an id no scenario has fails', () => {
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true }\n  - { id: CUP-STL-009, mandatory: false }\n'),
      }),
    );
    expect(errs).to.deep.equal(['scenarios/plans/p.yaml: plan p names CUP-STL-009, but no scenario has that id']);
  });

  test('severity, level, malformed ids, wrong area folder', () => {
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@CUP-STL-001 @mandatory'),
        'features/payment/b.feature': sale('@CUP-PAY-1 @severity:urgent @mandatory @optional'),
        'scenarios/plans/p.yaml': plan('  - { id: CUP-STL-001, mandatory: true }\n'),
      }),
    ).join('\n');
    expect(errs).to.match(/case CUP-STL-001 is a settlement case but lives in features\/payment\//);
    expect(errs).to.match(/case CUP-STL-001 needs exactly one severity tag/);
    expect(errs).to.match(/malformed case id @CUP-PAY-1/);
  });

  test('steps that need a capability require its tag; the plan must agree with the tags', () => {
    const feature =
      'Feature: F\n  @CUP-PAY-001 @severity:normal @optional\n  Scenario: Tap\n' +
      '    When the cardholder taps card UP-DEBIT-IC\n    Then 2 voucher copies are printed\n';
    const errs = messages(
      fixture({
        'features/payment/a.feature': feature,
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true, requires: [contact] }\n'),
      }),
    ).join('\n');
    expect(errs).to.match(/CUP-PAY-001 \("Tap"\) has steps that need @contactless/);
    expect(errs).to.match(/CUP-PAY-001 \("Tap"\) has steps that need @printer/);
    expect(errs).to.match(/plan says CUP-PAY-001 is mandatory, the scenario .* says @optional/);
    expect(errs).to.match(/plan applicability of CUP-PAY-001 \[contact\] differs from the scenario's capability tags \[\]/);
  });

  test('a translation must mirror an English case', () => {
    const zh = (tags: string) => `# language: zh-CN\n@zh-CN\n功能: F\n  ${tags}\n  场景: 消费\n    当 操作员选择“消费”\n`;
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
        'features/zh-CN/a.feature': zh('@CUP-PAY-001 @severity:normal @mandatory'),
        'features/zh-CN/b.feature': zh('@CUP-PAY-002 @severity:normal @mandatory'),
        'scenarios/plans/p.yaml': plan('  - { id: CUP-PAY-001, mandatory: true }\n'),
      }),
    ).join('\n');
    expect(errs).to.match(/zh-CN case CUP-PAY-001 must carry the same level, severity and capability tags/);
    expect(errs).to.match(/zh-CN case CUP-PAY-002 translates no English case/);
  });

  test('an invalid plan is reported with the file and the problem', () => {
    const errs = messages(
      fixture({
        'features/payment/a.feature': sale('@CUP-PAY-001 @severity:critical @mandatory'),
        'scenarios/plans/p.yaml': 'name: p\nversion: 1\ncases:\n  - { id: CUP-PAY-001, mandatory: maybe }\n',
      }),
    ).join('\n');
    expect(errs).to.match(/scenarios\/plans\/p.yaml: plan scenarios\/plans\/p.yaml is invalid: cases.0.mandatory \(case "CUP-PAY-001"\)/);
  });
});
