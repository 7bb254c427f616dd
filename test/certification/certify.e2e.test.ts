// The certification pipeline end to end on the fixture suite (test/certification/fixtures): real
// cucumber child processes, real message streams and allure-results, serial, --parallel 2, two
// shards merged, and the sensitive-data scan failing a run. The real suite's run is `npm run certify`.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { certify, mergeRuns, type CertifyOptions, type CertifyOutcome } from '../../certification/certify';
import { runCertify, summary } from '../../cli/commands/certify';
import { runMerge } from '../../cli/commands/merge';

const root = path.join(__dirname, '..', '..');
const fixtures = 'test/certification/fixtures';
let work: string;

function options(out: string, extra: Partial<CertifyOptions> = {}): CertifyOptions {
  return {
    root,
    outDir: path.join(work, out),
    plan: `${fixtures}/plans/mini.yaml`,
    terminal: 'emulator',
    cucumberConfig: `${fixtures}/cucumber.js`,
    secretFiles: [`${fixtures}/cards.yaml`],
    skipReport: true,
    log: () => undefined,
    onCucumberOutput: () => undefined,
    timeoutMs: 120_000,
    ...extra,
  };
}

const byCase = (r: CertifyOutcome) => Object.fromEntries(r.certificate.cases.map((c) => [c.id, c.result]));
const EXPECTED = {
  'CUP-PAY-001': 'passed',
  'CUP-PAY-002': 'passed',
  'CUP-VOU-001': 'failed',
  'CUP-RSK-001': 'broken',
  'CUP-RSK-002': 'skipped',
  'CUP-STL-001': 'broken',
  'CUP-STL-002': 'broken',
};

describe('certification end to end on the fixture suite', () => {
  let serial: CertifyOutcome;
  const progress: string[] = [];
  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-certify-'));
    serial = await certify(options('serial', { log: (l) => progress.push(l) }));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  test('verdict NOT CERTIFIED, exit 1, every plan case judged as DESIGN.md says', () => {
    expect(serial.certificate.verdict).to.equal('NOT CERTIFIED');
    expect(serial.exitCode).to.equal(1);
    expect(byCase(serial)).to.deep.equal(EXPECTED);
    expect(serial.certificate.because).to.equal('1 mandatory case failed: CUP-VOU-001');
    const link = serial.certificate.cases.find((c) => c.id === 'CUP-RSK-001')!;
    expect(link.firstFailure).to.deep.include({ step: 'When the link goes down', brokenKind: 'link', errorType: 'LinkDownError' });
  });

  test('progress names each scenario as it finishes, with the first failing check', () => {
    // 7 scenarios: the contactless one runs too (the emulator's capabilities are learnt in the run).
    expect(progress.filter((l) => /^\[\d\/7\]/.test(l))).to.have.length(7);
    expect(progress.join('\n')).to.include('failed  CUP-VOU-001  Voucher amount matches the authorised amount');
    expect(progress.join('\n')).to.include("voucher amount: expected '5.00' to equal '5.01'");
  });

  test('writes certificate.json/.html, junit.xml, the message stream, run.json and aligned allure-results', () => {
    const p = serial.paths;
    for (const f of [p.certificateJson, p.certificateHtml, p.junit, p.messages, p.manifest]) expect(fs.existsSync(f), f).to.equal(true);
    expect(JSON.parse(fs.readFileSync(p.certificateJson, 'utf8')).verdict).to.equal('NOT CERTIFIED');
    const results = fs
      .readdirSync(p.allureResults)
      .filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(p.allureResults, f), 'utf8')));
    const status = Object.fromEntries(results.map((r) => [`${r.testCaseId}${r.parameters?.length ? `/${r.parameters[0].value}` : ''}`, r.status]));
    expect(status).to.deep.equal({
      'CUP-PAY-001': 'passed',
      'CUP-PAY-002/swipe': 'passed',
      'CUP-PAY-002/insert': 'passed',
      'CUP-VOU-001': 'failed',
      'CUP-RSK-001': 'broken',
      'CUP-STL-001': 'broken',
      'CUP-RSK-002': 'skipped',
      'CUP-STL-002': 'broken',
    });
    const payment = results.find((r) => r.testCaseId === 'CUP-PAY-001');
    const labels = Object.fromEntries(payment.labels.map((l: { name: string; value: string }) => [l.name, l.value]));
    expect(labels).to.include({
      epic: 'payment',
      severity: 'critical',
      AS_ID: 'CUP-PAY-001',
      feature: 'Mini certification fixture',
      story: 'CUP-PAY-001 A sale that passes',
    });
    expect(payment.historyId).to.match(/^CUP-PAY-001:/);
    expect(payment.links).to.deep.equal([{ url: 'requirement:CUP-8583-6.2', name: 'req CUP-8583-6.2', type: 'requirement' }]);
    // Evidence attached by the After hook is listed on the case itself; the harness's markers are gone.
    expect(payment.attachments.map((a: { name: string }) => a.name)).to.deep.equal(['TTP transcript']);
    const json = JSON.stringify(results);
    expect(json).to.include('text/plain');
    expect(json).not.to.include('application/vnd.poscert');
    for (const f of ['environment.properties', 'executor.json', 'categories.json'])
      expect(fs.existsSync(path.join(p.allureResults, f)), f).to.equal(true);
    expect(fs.readFileSync(path.join(p.allureResults, 'environment.properties'), 'utf8')).to.include('Terminal\\ model=EMU-FIXTURE');
    expect(serial.certificate.dataProtection).to.deep.include({ scanned: true, findings: [] });
  });

  test('the end summary: verdict, counts, failing case ids with their first failing check, report and certificate paths', () => {
    const text = summary(serial, root);
    expect(text).to.include('NOT CERTIFIED — 1 mandatory case failed: CUP-VOU-001');
    expect(text).to.match(/cases {5}7: 2 passed, 1 failed, 3 broken, 1 skipped/);
    expect(text).to.include('✘ CUP-VOU-001 failed: Then the voucher amount is 5.01');
    expect(text).to.include("voucher amount: expected '5.00' to equal '5.01'");
    expect(text).to.include('! CUP-RSK-001 broken: When the link goes down');
    expect(text).to.include('not run   1 case (mandatory case not run: no scenario carries this case id): CUP-STL-002');
    expect(text).to.match(/certificate {2}\S*certificate\.json {2}\S*certificate\.html/);
    expect(text).to.include('junit.xml');
    expect(text).to.include('exit code 1');
  });

  test('the certificate names the terminal from its own hello in the run', () => {
    expect(serial.certificate.terminal).to.deep.include({
      vendor: 'poscert',
      model: 'EMU-FIXTURE',
      serialNumber: 'FX-1',
      firmware: '0.0.1',
      terminalId: '99000001',
    });
    expect(serial.certificate.terminal.capabilities).to.deep.equal(['contact', 'magstripe', 'printer']);
  });

  test('--parallel 2 gives the same results as the serial run, each worker on its own terminal', async () => {
    const parallel = await certify(options('parallel', { parallel: 2 }));
    expect(byCase(parallel)).to.deep.equal(EXPECTED);
    expect(parallel.certificate.verdict).to.equal(serial.certificate.verdict);
    // Workers pick scenarios as they free up: with 6 short scenarios usually both serve some.
    expect(parallel.certificate.terminal.units.map((u) => u.terminalId)).to.satisfy((ids: string[]) => ids.every((id) => /^9900000[12]$/.test(id)));
  });

  test('a terminal asked before the run decides applicability by its declared capabilities', async () => {
    const r = await certify(
      options('declared', {
        identity: { vendor: 'lab', model: 'X', serialNumber: 'L-1', firmware: '9', capabilities: ['contact', 'magstripe', 'printer', 'contactless'] },
        tags: '@CUP-PAY-001 or @CUP-RSK-002',
      }),
    );
    expect(byCase(r)['CUP-RSK-002']).to.equal('passed');
    expect(r.certificate.terminal.serialNumber).to.equal('L-1');
  });

  test('two shards merged give the same verdict and case results as one full run', async () => {
    const s1 = await certify(options('shard1', { shard: '1/2' }));
    const s2 = await certify(options('shard2', { shard: '2/2' }));
    expect(s1.certificate.scope.partial).to.equal(true);
    const ran = (r: CertifyOutcome) => r.certificate.cases.filter((c) => c.scenarios.length > 0).map((c) => c.id);
    expect(ran(s1).length + ran(s2).length).to.be.greaterThan(0);
    const merged = await mergeRuns({
      root,
      dirs: [s1.paths.dir, s2.paths.dir],
      outDir: path.join(work, 'merged'),
      secretFiles: [`${fixtures}/cards.yaml`],
      skipReport: true,
      log: () => undefined,
    });
    expect(merged.certificate.verdict).to.equal(serial.certificate.verdict);
    expect(merged.exitCode).to.equal(serial.exitCode);
    expect(Object.fromEntries(merged.certificate.cases.map((c) => [c.id, c.result]))).to.deep.equal(EXPECTED);
    const n = fs.readdirSync(merged.paths.allureResults).filter((f) => f.endsWith('-result.json')).length;
    expect(n).to.equal(8); // 7 scenarios + 1 plan case no scenario carries
  });

  test('sensitive data in the outputs fails a run that would certify, naming file and byte offset', async () => {
    const leaky = await certify(options('leaky', { plan: `${fixtures}/plans/passing.yaml`, env: { POSCERT_FIXTURE_LEAK: '1' } }));
    // Every mandatory case passed: without the leak this run is CERTIFIED.
    expect(leaky.certificate.mandatoryCounts).to.deep.include({ total: 2, passed: 2 });
    expect(leaky.certificate.verdict).to.equal('INCONCLUSIVE');
    expect(leaky.exitCode).to.equal(2);
    expect(leaky.certificate.because).to.match(/^sensitive data found in \d+ places of the run's outputs/);
    const files = new Set(leaky.scan.findings.map((f) => f.file.split('/')[0]));
    expect(files).to.include('allure-results');
    expect(files).to.include('cucumber-messages.ndjson');
    const attachment = leaky.scan.findings.find((f) => f.file.startsWith('allure-results/') && f.file.endsWith('.txt'))!;
    expect(attachment).to.include({ kind: 'pan', offset: Buffer.byteLength('screen: 卡号 ') });
    expect(
      fs
        .readFileSync(path.join(leaky.paths.dir, attachment.file))
        .subarray(attachment.offset, attachment.offset + 6)
        .toString(),
    ).to.equal('622202');
    expect(JSON.stringify(leaky.certificate)).not.to.include('6222021234567891234');
  });

  test('with the Allure report generated, the scan that runs while Allure generates still covers everything, the report included', async () => {
    const leaky = await certify(
      options('leaky-report', { plan: `${fixtures}/plans/passing.yaml`, env: { POSCERT_FIXTURE_LEAK: '1' }, skipReport: false }),
    );
    expect(leaky.certificate.verdict).to.equal('INCONCLUSIVE');
    const files = new Set(leaky.scan.findings.map((f) => f.file.split('/')[0]));
    expect(files).to.include('allure-results');
    expect(files).to.include('cucumber-messages.ndjson');
    // Allure copies the leaking attachment into the report: found there too, when Java is present.
    if (leaky.reportGenerated) expect(files).to.include(path.relative(leaky.paths.dir, leaky.paths.allureReport).split(path.sep)[0]);
    const keys = leaky.scan.findings.map((f) => `${f.file}:${f.offset}:${f.kind}`);
    expect(new Set(keys).size, 'each finding once').to.equal(keys.length);
  });

  test('a merge refuses folders that are not certify runs, and runs of different plans', async () => {
    const io = { out: (_: string) => undefined, err: (s: string) => errs.push(s) };
    const errs: string[] = [];
    expect(await runMerge([path.join(work, 'nothing-here')], io, root)).to.equal(2);
    expect(errs.join('')).to.match(/is not the output folder of a poscert certify run: run\.json is missing/);
  });
});

describe('poscert certify: bad options, plan, defects → clear message, exit 2', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCertify(args, { out: (s) => out.push(s), err: (s) => err.push(s) }, root);
    return { code, out: out.join(''), err: err.join('') };
  };
  test('unknown option', async () => {
    const r = await run(['--colour']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/unknown option '--colour'/);
  });
  test('bad --parallel, --lang, --shard, --terminal', async () => {
    expect((await run(['--parallel', 'two'])).err).to.match(/--parallel two: expected a whole number/);
    expect((await run(['--lang', 'fr'])).err).to.match(/Allowed choices are en, zh-CN/);
    expect((await run(['--shard', '3/2'])).err).to.match(/--shard 3\/2: expected i\/n with 1 ≤ i ≤ n/);
    expect((await run(['--terminal', 'usb0'])).err).to.match(/--terminal usb0: expected emulator, serial:/);
    expect((await run(['--terminal', 'tcp://rack:3003', '--parallel', '2'])).err).to.match(/one physical terminal cannot serve several workers/);
    expect((await run(['--parallel', '9'])).err).to.match(/at most --parallel 8/);
  });
  test('unknown defect lists the catalogue', async () => {
    const r = await run(['--defect', 'full-pan-on-voucher,no-such-defect']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/unknown defect no-such-defect; the emulator's catalogue has: .*full-pan-on-voucher/);
  });
  test('a defect with a real terminal is refused', async () => {
    expect((await run(['--terminal', 'serial:/dev/ttyUSB0', '--defect', 'wrong-mac'])).err).to.match(
      /--defect switches on defects of the built-in emulator/,
    );
  });
  test('bad --tags expression and an output folder that holds the project', async () => {
    expect((await run(['--tags', '@a and ('])).err).to.match(/--tags: Tag expression "@a and \(" could not be parsed/);
    const r = await run(['--out', '.']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/the output folder must not be the project folder or contain it/);
  });
  test('missing plan', async () => {
    const r = await run(['--plan', 'visa-pos']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/certification plan "visa-pos" not found .*available plans: unionpay-pos/);
  });
  test('unreachable terminal', async () => {
    const r = await run(['--terminal', 'tcp://127.0.0.1:1', '--hello-timeout', '500']);
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/terminal tcp:\/\/127\.0\.0\.1:1 did not answer hello: .*refused/i);
  });
});
