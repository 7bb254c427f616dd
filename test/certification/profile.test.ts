// The terminal profile on the certificate (certification/profile.ts): every value the run judged
// by, its source, acquirer-profile values marked, the supervisor password never printed; in the
// certificate HTML / JSON and the Allure environment.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { parsePlan } from '../../certification/plan';
import { collectResults } from '../../certification/results';
import { judge } from '../../certification/verdict';
import { buildCertificate, renderCertificateHtml } from '../../certification/certificate';
import { environmentEntries } from '../../certification/allure';
import { profileEnvironment, profileOnCertificate } from '../../certification/profile';
import { REFERENCE_PROFILE } from '../../protocol/ttp/profile';
import { emulatorProfile } from '../../emulator/profiles';
import { buildStream } from './stream-builder';

function doc(profile = profileOnCertificate({ profile: emulatorProfile('supervisor').profile, source: 'hello' })) {
  const plan = parsePlan('name: p\nversion: "1"\ncases:\n  - { id: CUP-PAY-001, mandatory: true }\n', 'p.yaml');
  const results = collectResults([
    { source: 's', text: buildStream([{ name: 'Sale', tags: ['@CUP-PAY-001'], steps: [{ text: 'x', status: 'PASSED' }] }]) },
  ]);
  return buildCertificate({
    runId: 'r',
    judgement: judge(plan, results, ['contact'], { kind: 'full' }),
    scope: { kind: 'full' },
    plan: { name: plan.name, version: plan.version, source: plan.source },
    terminal: { vendor: 'v', model: 'm' },
    units: [],
    options: { defects: [] },
    software: { poscert: '0', node: '20' },
    run: {},
    runErrors: [],
    profile,
  });
}

describe('terminal profile on the certificate', () => {
  test('every value, its source, the acquirer profile; the supervisor password is only said to be declared', () => {
    const p = profileOnCertificate({ profile: emulatorProfile('supervisor').profile, source: 'hello' });
    expect(p).to.include({ name: 'supervisor', source: 'hello', acquirer: 'poscert-reference' });
    const byKey = new Map(p.values.map((v) => [v.key, v]));
    expect(byKey.get('supervisor.password')?.value).to.equal('(declared)');
    expect(JSON.stringify(p)).to.not.include('2580');
    expect(byKey.get('acquirer.billPayment.processingCode')).to.deep.equal({
      key: 'acquirer.billPayment.processingCode',
      value: '500000',
      acquirer: true,
    });
    expect(byKey.get('magstripeExpiry')?.acquirer).to.equal(false);
    expect(profileOnCertificate({ profile: REFERENCE_PROFILE, source: 'assumed' }).note).to.match(/assumed/);
  });

  test('the HTML lists the profile, marks acquirer-profile values, and the Allure environment carries every value', () => {
    const d = doc();
    expect(d.profile?.name).to.equal('supervisor');
    const html = renderCertificateHtml(d);
    expect(html).to.include('id="profile"').and.include('supervisor.refund.asksPin').and.include('(acquirer profile poscert-reference)');
    const env = environmentEntries(d);
    expect(env['Profile']).to.equal('supervisor (hello)');
    expect(env['Profile vouchers.copies']).to.equal('2');
    expect(env['Profile acquirer.billPayment.conditionCode']).to.equal('22 (acquirer profile poscert-reference)');
    expect(profileEnvironment({ profile: REFERENCE_PROFILE, source: 'assumed' })['profile.balancedUpload']).to.equal('none');
  });
});
