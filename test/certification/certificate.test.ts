import { describe, test } from 'node:test';
import { expect } from 'chai';
import { parsePlan } from '../../certification/plan';
import { collectResults } from '../../certification/results';
import { judge } from '../../certification/verdict';
import { applyScanFindings, buildCertificate, renderCertificateHtml, type CertificateDocument } from '../../certification/certificate';
import { renderJUnitXml } from '../../certification/junit';
import { buildStream } from './stream-builder';

function certificate(verdictOf: 'pass' | 'fail'): CertificateDocument {
  const plan = parsePlan(
    'name: p\nversion: "1"\ncases:\n  - { id: CUP-PAY-001, mandatory: true }\n  - { id: CUP-VOU-001, mandatory: true }\n  - { id: CUP-PAY-009, mandatory: false, requires: [contactless] }\n',
    'p.yaml',
  );
  const results = collectResults([
    {
      source: 's',
      text: buildStream([
        { name: 'Sale <script>alert(1)</script>', tags: ['@CUP-PAY-001', '@severity:critical'], steps: [{ text: 'x', status: 'PASSED' }] },
        {
          name: 'Voucher & 签购单',
          tags: ['@CUP-VOU-001'],
          steps: [
            {
              text: 'the voucher shows "RMB 5.00"',
              keyword: 'Then ',
              status: verdictOf === 'pass' ? 'PASSED' : 'FAILED',
              error: { type: 'AssertionError', message: 'expected <5.01> to equal <5.00>' },
            },
          ],
        },
      ]),
    },
  ]);
  const j = judge(plan, results, ['contact'], { kind: 'full' });
  return buildCertificate({
    runId: '20261126T000000Z-abcdef',
    judgement: j,
    scope: { kind: 'full' },
    plan: { name: plan.name, version: plan.version, source: plan.source },
    terminal: { vendor: 'poscert', model: 'EMU-1', serialNumber: 'SN-1', firmware: '1.0.0', capabilities: ['contact'] },
    units: [],
    options: { defects: [], parallel: 1, terminal: 'emulator' },
    software: { poscert: '0.1.0', node: '20' },
    run: {},
    runErrors: [],
    issuedAt: new Date('2026-11-26T00:00:00Z'),
  });
}

describe('certification/certificate and JUnit', () => {
  test('the document lists every case with id, title, mandatory, result, reason, and each failure with its first failing check', () => {
    const d = certificate('fail');
    expect(d).to.include({ verdict: 'NOT CERTIFIED', exitCode: 1, runId: '20261126T000000Z-abcdef', issuedAt: '2026-11-26T00:00:00.000Z' });
    expect(d.cases.map((c) => [c.id, c.mandatory, c.result])).to.deep.equal([
      ['CUP-PAY-001', true, 'passed'],
      ['CUP-VOU-001', true, 'failed'],
      ['CUP-PAY-009', false, 'skipped'],
    ]);
    expect(d.failures).to.deep.equal([
      {
        id: 'CUP-VOU-001',
        mandatory: true,
        result: 'failed',
        step: 'Then the voucher shows "RMB 5.00"',
        message: 'expected <5.01> to equal <5.00>',
        parameters: undefined,
      },
    ]);
  });

  test('the HTML is self-contained, escapes everything and shows verdict, identity, plan, date, run id and the case table', () => {
    const html = renderCertificateHtml(certificate('fail'));
    expect(html).to.match(/<div id="verdict" class="bad" data-verdict="NOT CERTIFIED" data-exit-code="1">NOT CERTIFIED/);
    expect(html).not.to.match(/<script|src=|href=|@import|url\(/i);
    expect(html).to.include('Sale &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).to.include('Voucher &amp; 签购单');
    for (const s of [
      'EMU-1',
      'SN-1',
      '1.0.0',
      'p</strong>',
      '20261126T000000Z-abcdef',
      '2026-11-26T00:00:00.000Z',
      'data-case="CUP-PAY-009"',
      'not applicable: the terminal does not declare contactless',
    ]) {
      expect(html).to.include(s.replace('p</strong>', 'p version 1'));
    }
    expect(html).to.include('expected &lt;5.01&gt; to equal &lt;5.00&gt;');
  });

  test('a sensitive-data finding downgrades CERTIFIED to INCONCLUSIVE and keeps NOT CERTIFIED', () => {
    const finding = { file: 'allure-results/x.txt', offset: 12, kind: 'pan' as const, label: 'cards.yaml A pan', encoding: 'ascii' };
    const ok = certificate('pass');
    expect(ok.verdict).to.equal('CERTIFIED');
    applyScanFindings(ok, { filesScanned: 3, bytesScanned: 100, findings: [finding] });
    expect(ok).to.include({ verdict: 'INCONCLUSIVE', exitCode: 2 });
    expect(ok.because).to.include('allure-results/x.txt @12 (pan)');
    const bad = certificate('fail');
    applyScanFindings(bad, { filesScanned: 3, bytesScanned: 100, findings: [finding] });
    expect(bad).to.include({ verdict: 'NOT CERTIFIED', exitCode: 1 });
    expect(renderCertificateHtml(ok)).to.include('at byte 12');
  });

  test('JUnit: failed → <failure>, skipped → <skipped> with reason, properties carry the verdict, XML is escaped', () => {
    const xml = renderJUnitXml(certificate('fail'));
    expect(xml).to.match(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).to.include('<testsuites name="poscert p — NOT CERTIFIED" tests="3" failures="1" errors="0" skipped="1"');
    expect(xml).to.include('<failure message="expected &lt;5.01&gt; to equal &lt;5.00&gt;" type="terminal-defect">');
    expect(xml).to.include('<skipped message="not applicable: the terminal does not declare contactless (declares: contact)"/>');
    expect(xml).to.include('<property name="verdict" value="NOT CERTIFIED"/>');
    expect(xml).to.include('classname="poscert.voucher"');
    // balanced tags
    expect((xml.match(/<testsuite /g) ?? []).length).to.equal((xml.match(/<\/testsuite>/g) ?? []).length);
  });
});

describe('certification/voucher-slip', () => {
  test('copies are rendered one under the other as on the slip, escaped, self-contained', () => {
    const { renderVoucherSlips } = require('../../certification/voucher-slip') as typeof import('../../certification/voucher-slip');
    const html = renderVoucherSlips([
      { copy: 'merchant', lines: ['中国银联 UnionPay', '卡号 622202******1234', '<b>金额</b> RMB 1.00', '持卡人签名 ______'] },
      { copy: 'cardholder', lines: ['中国银联 UnionPay'], reprint: true, trace: '000012' },
    ]);
    expect(html).to.include('商户存根 merchant copy');
    expect(html).to.include('持卡人存根 cardholder copy · reprint · trace 000012');
    expect(html).to.include('&lt;b&gt;金额&lt;/b&gt; RMB 1.00');
    expect(html).not.to.match(/<script|src=|href=/i);
    expect((html.match(/class="tear"/g) ?? []).length).to.equal(1);
    expect(renderVoucherSlips([])).to.include('No voucher was printed.');
  });
});
