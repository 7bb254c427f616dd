// certify --bail on the real suite and the built-in emulator with a catalogued defect: the plan
// stops at the first failed mandatory case (CUP-PAY-010 catches payee-not-shown), the verdict is
// NOT CERTIFIED with exit code 1, and the cases after it are listed as not run, never as passed.
// The wall time with and without --bail is measured by bench, not asserted here.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCertify } from '../../cli/commands/certify';
import type { CertificateDocument } from '../../certification/certificate';

describe('certify --bail --no-report --defect payee-not-shown (real suite, emulator)', () => {
  let work: string;
  let exitCode: number;
  let out = '';
  let cert: CertificateDocument;
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-bail-e2e-'));
    exitCode = await runCertify(['--defect', 'payee-not-shown', '--bail', '--no-report', '--out', path.join(work, 'out')], {
      out: (s) => {
        out += s;
      },
      err: () => undefined,
    });
    cert = JSON.parse(fs.readFileSync(path.join(work, 'out', 'certificate.json'), 'utf8')) as CertificateDocument;
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('stops at CUP-PAY-010: NOT CERTIFIED, exit code 1', () => {
    expect(exitCode).to.equal(1);
    expect(cert.verdict).to.equal('NOT CERTIFIED');
    expect(cert.because).to.equal('1 mandatory case failed: CUP-PAY-010');
    expect(out).to.include('--bail: stopped at the first failed mandatory case CUP-PAY-010');
    expect(out).to.include('✘ CUP-PAY-010 failed: Then the screen shows "国网上海市电力公司"');
  });

  test('every mandatory case after it is listed as not run, none as passed; the settlement cases did not run', () => {
    const notRun = cert.cases.filter((c) => c.firstFailure?.step === '(not run)');
    expect(notRun.length).to.be.greaterThan(40);
    for (const c of notRun) {
      expect(c.result, c.id).to.equal('broken');
      expect(c.firstFailure?.message, c.id).to.equal('not run: --bail stopped the run at the first failed mandatory case (CUP-PAY-010 failed)');
    }
    const byId = Object.fromEntries(cert.cases.map((c) => [c.id, c.result]));
    for (const id of ['CUP-STL-001', 'CUP-RSK-010', 'CUP-VOU-001']) expect(byId[id], id).to.equal('broken');
    expect(cert.counts.passed + cert.counts.failed, 'only the cases before the bail were judged').to.be.lessThan(20);
    expect(out).to.match(/not run {3}\d+ cases \(not run: --bail stopped the run/);
  });
});
