// certification/allure: environment, executor, categories, and results aligned with the certificate.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  alignResults,
  carryHistory,
  categoriesDefinition,
  detectExecutor,
  renderEnvironmentProperties,
  writeResultsForCasesNotRun,
  PICKLE_LABEL,
} from '../../certification/allure';
import { collectResults, outcomeMarker } from '../../certification/results';
import { TerminalExpectationError } from '../../drivers/errors';
import { parsePlan } from '../../certification/plan';
import { judge } from '../../certification/verdict';
import { buildStream } from './stream-builder';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-allure-'));
}

describe('certification/allure', () => {
  test('environment.properties is java.util.Properties: keys escaped, non-Latin-1 as \\uXXXX', () => {
    const text = renderEnvironmentProperties({ 'Terminal model': 'EMU:1', Plan: '银联 1.0', empty: '', undef: undefined });
    expect(text).to.equal('Terminal\\ model=EMU:1\nPlan=\\u94f6\\u8054 1.0\n');
  });

  test('executor.json describes the CI system when there is one, a local run otherwise', () => {
    const gh = detectExecutor(
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'lab/fw',
        GITHUB_RUN_ID: '99',
        GITHUB_RUN_NUMBER: '7',
        GITHUB_WORKFLOW: 'certify',
      },
      'r1',
      'n',
    );
    expect(gh).to.deep.include({
      name: 'GitHub Actions',
      type: 'github',
      buildOrder: 7,
      buildUrl: 'https://github.com/lab/fw/actions/runs/99',
      buildName: 'certify #7',
    });
    const gl = detectExecutor(
      { GITLAB_CI: 'true', CI_PIPELINE_IID: '12', CI_JOB_URL: 'https://gl/j/1', CI_PROJECT_PATH: 'lab/fw', CI_JOB_NAME: 'certify' },
      'r1',
      'n',
    );
    expect(gl).to.deep.include({ type: 'gitlab', buildOrder: 12, buildUrl: 'https://gl/j/1' });
    expect(detectExecutor({ JENKINS_URL: 'http://j/', BUILD_NUMBER: '3', JOB_NAME: 'fw', BUILD_URL: 'http://j/3' }, 'r1', 'n')).to.deep.include({
      type: 'jenkins',
      buildName: 'fw #3',
    });
    expect(detectExecutor({}, 'r1', 'poscert p — CERTIFIED')).to.deep.equal({
      name: 'poscert (local run)',
      type: 'local',
      buildName: 'r1',
      reportName: 'poscert p — CERTIFIED',
    });
  });

  test('categories: terminal defects by area (failed) apart from link, harness and missing (broken)', () => {
    const cats = categoriesDefinition();
    expect(cats.filter((c) => c.matchedStatuses?.includes('failed')).map((c) => c.messageRegex)).to.include('(?s)\\[payment\\].*');
    const broken = cats.filter((c) => c.matchedStatuses?.includes('broken')).map((c) => c.name);
    expect(broken.some((n) => n.startsWith('Link errors'))).to.equal(true);
    expect(broken.some((n) => n.startsWith('Harness errors'))).to.equal(true);
    // Each regex must be exclusive: a message prefix selects exactly one category.
    for (const msg of ['[payment] x', '[link] y', '[harness] z', '[missing] m']) {
      const matching = cats.filter((c) => c.messageRegex && new RegExp(`^${c.messageRegex.replace('(?s)', '')}$`, 's').test(msg));
      expect(matching, msg).to.have.length(1);
    }
  });

  test('results are aligned with the certificate: status and category prefix from the scenario outcome', () => {
    const dir = tmp();
    try {
      const results = collectResults([
        {
          source: 's',
          text: buildStream([
            {
              name: 'a',
              tags: ['@CUP-PAY-001'],
              steps: [
                {
                  text: 'x',
                  status: 'FAILED',
                  error: { type: 'TerminalExpectationError', message: 'no 交易成功' },
                  marker: outcomeMarker(new TerminalExpectationError('no 交易成功')),
                },
              ],
            },
            { name: 'b', tags: ['@CUP-STL-001'], steps: [{ text: 'x', status: 'UNDEFINED' }] },
          ]),
        },
      ]);
      const plan = parsePlan(
        'name: p\nversion: 1\ncases:\n  - { id: CUP-PAY-001, mandatory: true }\n  - { id: CUP-STL-001, mandatory: true }\n  - { id: CUP-RSK-001, mandatory: true }\n',
        'p',
      );
      const j = judge(plan, results, [], { kind: 'full' });
      results.scenarios.forEach((s, i) =>
        fs.writeFileSync(
          path.join(dir, `${i}-result.json`),
          JSON.stringify({
            uuid: String(i),
            name: s.title,
            status: i === 0 ? 'broken' : 'passed',
            statusDetails: { message: 'TerminalExpectationError: no 交易成功' },
            labels: [{ name: PICKLE_LABEL, value: s.pickleId }],
          }),
        ),
      );
      const seen = alignResults(dir, results, (id) => j.cases.find((c) => c.id === id));
      expect(seen.size).to.equal(2);
      const r0 = JSON.parse(fs.readFileSync(path.join(dir, '0-result.json'), 'utf8'));
      expect(r0.status).to.equal('failed');
      expect(r0.statusDetails.message).to.equal('[payment] TerminalExpectationError: no 交易成功');
      const r1 = JSON.parse(fs.readFileSync(path.join(dir, '1-result.json'), 'utf8'));
      expect(r1.status).to.equal('broken');
      expect(r1.statusDetails.message).to.match(/^\[undefined-step\]/);
      expect(writeResultsForCasesNotRun(dir, j.cases, 'p', 0)).to.equal(1);
      const synthetic = fs
        .readdirSync(dir)
        .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
        .find((r) => r.testCaseId === 'CUP-RSK-001');
      expect(synthetic).to.deep.include({ status: 'broken', historyId: 'CUP-RSK-001:not-run' });
      expect(synthetic.statusDetails.message).to.equal('[missing] mandatory case not run: no scenario carries this case id');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('history of the previous report is carried into the new results', () => {
    const dir = tmp();
    try {
      fs.mkdirSync(path.join(dir, 'allure-report', 'history'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'allure-report', 'history', 'history.json'), '{"CUP-PAY-001:x":{}}');
      expect(carryHistory(path.join(dir, 'allure-report'), path.join(dir, 'allure-results'))).to.equal(true);
      expect(fs.readFileSync(path.join(dir, 'allure-results', 'history', 'history.json'), 'utf8')).to.include('CUP-PAY-001');
      expect(carryHistory(path.join(dir, 'none'), path.join(dir, 'allure-results'))).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('certification/allure: report generation without Java', () => {
  test('says so and generates nothing (the certificate is still written by certify)', async () => {
    const { generateReport } = await import('../../certification/allure');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-nojava-'));
    try {
      const r = await generateReport(path.join(dir, 'results'), path.join(dir, 'report'), { PATH: '/nonexistent' });
      expect(r.generated).to.equal(false);
      expect(r.note).to.match(/^Java is not installed, so the Allure HTML report was not generated/);
      expect(fs.existsSync(path.join(dir, 'report'))).to.equal(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
