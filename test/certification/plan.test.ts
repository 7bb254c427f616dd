import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as path from 'node:path';
import { listPlans, loadPlan, missingCapabilities, parsePlan, planTagExpression } from '../../certification/plan';
import { PlanInvalidError, PlanNotFoundError } from '../../certification/errors';

const root = path.join(__dirname, '..', '..');

describe('certification/plan', () => {
  test('parses name, version, cases with mandatory and requires', () => {
    const p = parsePlan(
      'name: x\nversion: 1.2\ncases:\n  - { id: CUP-PAY-001, mandatory: true, requires: [contact] }\n  - { id: CUP-PAY-002, mandatory: false }\n',
      'x.yaml',
    );
    expect(p).to.deep.include({ name: 'x', version: '1.2', source: 'x.yaml' });
    expect(p.cases).to.deep.equal([
      { id: 'CUP-PAY-001', mandatory: true, requires: ['contact'], title: undefined },
      { id: 'CUP-PAY-002', mandatory: false, requires: [], title: undefined },
    ]);
  });

  test('the project plan loads by name', () => {
    expect(listPlans(root)).to.include('unionpay-pos');
    const p = loadPlan('unionpay-pos', root);
    expect(p.name).to.equal('unionpay-pos');
    expect(p.cases.length).to.be.greaterThan(30);
    expect(p.source).to.equal(path.join('scenarios', 'plans', 'unionpay-pos.yaml'));
  });

  test('a missing plan is a typed error listing the available plans', () => {
    expect(() => loadPlan('visa-pos', root)).to.throw(PlanNotFoundError, /certification plan "visa-pos" not found .*available plans: .*unionpay-pos/);
  });

  test('invalid plans name the file, the entry and the problem', () => {
    expect(() => parsePlan('name: x\nversion: 1\ncases:\n  - { id: CUP-PAY-001 }\n', 'p.yaml')).to.throw(
      PlanInvalidError,
      /plan p\.yaml is invalid: cases\.0\.mandatory \(case "CUP-PAY-001"\)/,
    );
    expect(() => parsePlan('name: x\ncases: []\n', 'p.yaml')).to.throw(PlanInvalidError, /version/);
    expect(() => parsePlan('name: [x\n', 'p.yaml')).to.throw(PlanInvalidError, /not valid YAML/);
    expect(() => parsePlan('name: x\nversion: 1\ncases:\n  - { id: A-1, mandatory: true }\n  - { id: A-1, mandatory: false }\n', 'p.yaml')).to.throw(
      PlanInvalidError,
      /lists case A-1 twice \(cases #1 and #2\)/,
    );
  });

  test('a capability no terminal can declare is a warning (the case would always be skipped)', () => {
    const p = parsePlan('name: x\nversion: 1\ncases:\n  - { id: A-1, mandatory: true, requires: [contactles] }\n', 'p.yaml');
    expect(p.warnings[0]).to.match(/case A-1 requires capability "contactles"/);
  });

  test('applicability and the tag expression of the applicable cases', () => {
    expect(missingCapabilities({ id: 'a', mandatory: true, requires: ['contact', 'sm4'] }, ['contact'])).to.deep.equal(['sm4']);
    expect(planTagExpression(['CUP-PAY-001', 'CUP-PAY-002'])).to.equal('(@CUP-PAY-001 or @CUP-PAY-002)');
    expect(planTagExpression([])).to.equal(undefined);
  });
});
