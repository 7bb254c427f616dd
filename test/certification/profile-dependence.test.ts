// Each case result says which profile values it depended on (issue 12): the scenarios' attached
// dependence (steps/support/profile-reads.ts) is read from the message stream, united per case in
// the judgement, and shown on the certificate (HTML and JSON), with "against acquirer profile X" on
// the cases judged by the acquirer's convention (缴费).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { parsePlan } from '../../certification/plan';
import { collectResults } from '../../certification/results';
import { judge } from '../../certification/verdict';
import { buildCertificate, dependenceNote, renderCertificateHtml } from '../../certification/certificate';
import { buildStream } from './stream-builder';

const ok = [{ text: 'x', status: 'PASSED' as const }];

function run() {
  const plan = parsePlan(
    'name: p\nversion: "1"\ncases:\n  - { id: CUP-PAY-010, mandatory: true }\n  - { id: CUP-RSK-005, mandatory: true }\n  - { id: CUP-PAY-001, mandatory: true }\n',
    'p.yaml',
  );
  const results = collectResults([
    {
      source: 's',
      text: buildStream([
        {
          name: '缴费',
          tags: ['@CUP-PAY-010', '@acquirer-profile'],
          steps: ok,
          profile: {
            dependsOn: [
              { key: 'acquirer.billPayment.processingCode', value: '500000' },
              { key: 'vouchers.copies', value: '3' },
            ],
            acquirer: 'poscert-reference',
          },
        },
        {
          name: 'Lost',
          tags: ['@CUP-RSK-005'],
          steps: ok,
          row: { code: '41' },
          profile: { dependsOn: [{ key: 'displaySynonyms.41', value: '挂失卡 请没收' }] },
        },
        {
          name: 'Lost',
          tags: ['@CUP-RSK-005'],
          steps: ok,
          row: { code: '43' },
          profile: { dependsOn: [{ key: 'displaySynonyms.43', value: '被窃卡,请没收' }] },
        },
        { name: 'Sale', tags: ['@CUP-PAY-001'], steps: ok },
      ]),
    },
  ]);
  return { plan, results, judgement: judge(plan, results, ['contact', 'printer'], { kind: 'full' }) };
}

describe('profile dependence per case', () => {
  test('the message stream gives each scenario its dependence; a scenario that read nothing has none', () => {
    const { results } = run();
    const byCase = (id: string) => results.scenarios.filter((s) => s.caseId === id);
    expect(byCase('CUP-PAY-010')[0].profile).to.deep.equal({
      dependsOn: [
        { key: 'acquirer.billPayment.processingCode', value: '500000' },
        { key: 'vouchers.copies', value: '3' },
      ],
      acquirer: 'poscert-reference',
    });
    expect(byCase('CUP-PAY-001')[0].profile).to.equal(undefined);
  });

  test("the case unites its scenarios' dependences and names the acquirer profile", () => {
    const cases = new Map(run().judgement.cases.map((c) => [c.id, c]));
    expect(cases.get('CUP-RSK-005')!.dependsOn).to.deep.equal([
      { key: 'displaySynonyms.41', value: '挂失卡 请没收' },
      { key: 'displaySynonyms.43', value: '被窃卡,请没收' },
    ]);
    expect(cases.get('CUP-RSK-005')!.acquirerProfile).to.equal(undefined);
    expect(cases.get('CUP-PAY-010')!.acquirerProfile).to.equal('poscert-reference');
    expect(cases.get('CUP-PAY-001')).to.not.have.property('dependsOn');
  });

  test('the certificate shows them per case: terminal values, and "against acquirer profile" on the 缴费 case', () => {
    const { plan, judgement } = run();
    const doc = buildCertificate({
      runId: 'r',
      judgement,
      scope: { kind: 'full' },
      plan: { name: plan.name, version: plan.version, source: plan.source },
      terminal: { vendor: 'v', model: 'm' },
      units: [],
      options: { defects: [] },
      software: { poscert: '0', node: '20' },
      run: {},
      runErrors: [],
    });
    expect(doc.cases.find((c) => c.id === 'CUP-PAY-010')).to.include({ acquirerProfile: 'poscert-reference' });
    const html = renderCertificateHtml(doc);
    const row = (id: string) => html.slice(html.indexOf(`data-case="${id}"`), html.indexOf('</tr>', html.indexOf(`data-case="${id}"`)));
    expect(row('CUP-PAY-010'))
      .to.include('depends on profile vouchers.copies = 3')
      .and.include('against acquirer profile <strong>poscert-reference</strong>');
    expect(row('CUP-PAY-010')).to.not.include('acquirer.billPayment.processingCode = 500000;');
    expect(row('CUP-RSK-005'))
      .to.include('displaySynonyms.41 = 挂失卡 请没收, displaySynonyms.43 = 被窃卡,请没收')
      .and.not.include('acquirer profile');
    expect(row('CUP-PAY-001')).to.not.include('depends on');
    expect(dependenceNote({})).to.equal('');
  });
});
