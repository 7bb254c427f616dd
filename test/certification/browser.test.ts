// The report and the certificate checked in a real browser: headless Debian chromium driven by
// playwright-core. A fixture certification run writes reports/browser-check/ (the Allure report
// and certificate.html); both are served over a loopback HTTP server started here (Allure 2's page
// fetches its data, which file:// forbids). The test checks that the verdict and a case's
// attachments are visible and keeps screenshots under reports/browser-check/. (An opportunistic check
// of a run left in reports/ was dropped: it could only ever be skipped on a clean CI checkout.)
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { certify, type CertifyOutcome } from '../../certification/certify';
import { javaAvailable } from '../../certification/allure';

const root = path.join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const out = path.join(root, 'reports', 'browser-check');
const fixtures = 'test/certification/fixtures';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/** A static file server on 127.0.0.1 for one folder (no directory listing, no path escape). */
function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dir, path.normalize(rel).replace(/^([/\\])+/, ''));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

const skipReason = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)`
  : !javaAvailable()
    ? 'Java is missing, so no Allure report can be generated (apt-get install default-jre-headless)'
    : undefined;
if (skipReason) console.log(`# browser test skipped: ${skipReason}`);

/** Opens one Allure test result by its case id and returns the page. */
async function openTestResult(page: Page, base: string, reportDir: string, caseId: string): Promise<void> {
  const dir = path.join(reportDir, 'data', 'test-cases');
  const uid = fs
    .readdirSync(dir)
    .map(
      (f) =>
        JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as {
          uid: string;
          testCaseId?: string;
          labels?: Array<{ name: string; value: string }>;
        },
    )
    .find((t) => t.testCaseId === caseId || t.labels?.some((l) => l.name === 'AS_ID' && l.value === caseId))?.uid;
  expect(uid, `an Allure test case for ${caseId}`).to.be.a('string');
  await page.goto(`${base}/index.html#testresult/${uid}`);
}

describe('report and certificate in headless chromium', { skip: skipReason }, () => {
  let browser: BrowserContext;
  let userDataDir: string;
  let run: CertifyOutcome;
  let server: { url: string; close: () => Promise<void> };

  before(async () => {
    run = await certify({
      root,
      outDir: out,
      plan: `${fixtures}/plans/mini.yaml`,
      terminal: 'emulator',
      identity: {
        vendor: 'poscert',
        model: 'EMU-FIXTURE',
        serialNumber: 'FX-1',
        firmware: '0.0.1',
        capabilities: ['contact', 'magstripe', 'printer'],
      },
      cucumberConfig: `${fixtures}/cucumber.js`,
      secretFiles: [`${fixtures}/cards.yaml`],
      log: () => undefined,
      onCucumberOutput: () => undefined,
      timeoutMs: 120_000,
    });
    expect(run.reportGenerated, run.reportNote).to.equal(true);
    server = await serve(path.join(root, 'reports'));
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-chromium-'));
    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  test('certificate.html shows the verdict, the terminal, and the failing case with its first failing check', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/browser-check/certificate.html`);
    const verdict = page.locator('#verdict');
    await verdict.waitFor({ state: 'visible', timeout: 5000 });
    expect(await verdict.getAttribute('data-verdict')).to.equal('NOT CERTIFIED');
    expect(await verdict.innerText()).to.include('NOT CERTIFIED');
    expect(await page.locator('#terminal').innerText()).to.include('EMU-FIXTURE');
    const row = page.locator('tr[data-case="CUP-VOU-001"]');
    expect(await row.isVisible()).to.equal(true);
    expect(await row.innerText()).to.match(/failed/);
    expect(await page.locator('#failures').innerText()).to.include("voucher amount: expected '5.00' to equal '5.01'");
    await page.screenshot({ path: path.join(out, 'certificate.png'), fullPage: true });
    await page.close();
  });

  test('the Allure report shows the verdict and a case with its attachments (TTP transcript, voucher)', async () => {
    const page = await browser.newPage();
    const base = `${server.url}/browser-check/allure-report`;
    await page.goto(`${base}/index.html`);
    // The report name carries the verdict (executor.json reportName).
    await page.getByText('poscert mini 0.1 — NOT CERTIFIED').first().waitFor({ state: 'visible', timeout: 15000 });
    await page.screenshot({ path: path.join(out, 'allure-overview.png') });

    await openTestResult(page, base, run.paths.allureReport, 'CUP-PAY-001');
    await page.getByText('A sale that passes').first().waitFor({ state: 'visible', timeout: 10000 });
    const transcript = page.getByText('TTP transcript').first();
    await transcript.waitFor({ state: 'visible', timeout: 10000 });
    await transcript.click();
    await page.getByText('{"cmd":"hello"}', { exact: false }).first().waitFor({ state: 'visible', timeout: 10000 });
    // The voucher was attached inside a step: expand the step first.
    await page.getByText('Then the voucher shows card 622202******1234').first().click();
    const voucher = page.getByText('Voucher (merchant copy)').first();
    await voucher.waitFor({ state: 'visible', timeout: 10000 });
    await voucher.click();
    await page.getByText('622202******1234', { exact: false }).first().waitFor({ state: 'visible', timeout: 10000 });
    await page.screenshot({ path: path.join(out, 'allure-case-attachments.png'), fullPage: true });

    // A broken case is shown as broken, in the category of link errors.
    await openTestResult(page, base, run.paths.allureReport, 'CUP-RSK-001');
    await page.getByText('[link] LinkDownError', { exact: false }).first().waitFor({ state: 'visible', timeout: 10000 });
    await page.close();
  });
});
