/**
 * The Allure side of a certification run: environment.properties, executor.json, categories.json,
 * history carried between runs, the results aligned with the certificate's judgement, and the
 * report generated with allure-commandline (Allure 2, needs Java).
 *
 * Alignment matters: allure-cucumberjs decides failed vs broken from the error class alone, and it
 * never sees plan cases that did not run. The certificate is the authority, so after a run each
 * result gets the certificate's status and a message prefix naming its category ("[payment] …",
 * "[link] …"), and plan cases that did not run get a result of their own (skipped: not applicable,
 * or broken: missing) so the report shows the same cases as the certificate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import type { CertificateDocument } from './certificate';
import { maskSensitiveText } from '../crypto/masking';
import { type RunResults, type ScenarioResult } from './results';
import type { CaseOutcome } from './verdict';

/** Label that ties an Allure result to the cucumber pickle it came from (set by steps/support/allure-labels.ts). */
export const PICKLE_LABEL = 'poscertPickleId';

// ---------------------------------------------------------------------------------------------
// environment.properties (java.util.Properties: ISO 8859-1, so everything else as \uXXXX)

function propertiesEscape(s: string, isKey: boolean): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (isKey && (ch === ' ' || ch === ':' || ch === '=')) out += `\\${ch}`;
    else if (ch === '#' || ch === '!') out += `\\${ch}`;
    else if (code < 0x20 || code > 0x7e) {
      const units = code > 0xffff ? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)] : [code];
      out += units.map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('');
    } else out += ch;
  }
  return out;
}

export function renderEnvironmentProperties(entries: Record<string, string | undefined>): string {
  return (
    Object.entries(entries)
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => `${propertiesEscape(k, true)}=${propertiesEscape(v!, false)}`)
      .join('\n') + '\n'
  );
}

export function environmentEntries(doc: CertificateDocument): Record<string, string | undefined> {
  const t = doc.terminal;
  return {
    Verdict: doc.verdict,
    'Terminal vendor': t.vendor,
    'Terminal model': t.model,
    'Terminal serial number': t.units.length > 1 ? t.units.map((u) => u.serialNumber ?? '?').join(', ') : t.serialNumber,
    'Terminal firmware': t.firmware,
    'Terminal capabilities': (t.capabilities ?? []).join(', '),
    'TTP version': t.ttp,
    Link: t.link ?? doc.options.terminal,
    Plan: `${doc.plan.name} ${doc.plan.version}`,
    'Run id': doc.runId,
    Scope: doc.scope.partial ? `shard ${doc.scope.shard}` : doc.scope.tags ? `--tags ${doc.scope.tags}` : 'full plan',
    'Defects injected': doc.options.defects.join(', ') || 'none',
    'Parallel workers': doc.options.parallel !== undefined ? String(doc.options.parallel) : undefined,
    'poscert version': doc.software.poscert,
    'Node.js': doc.software.node,
    'cucumber-js': doc.software.cucumber,
    ...(doc.profile
      ? {
          Profile: `${doc.profile.name} (${doc.profile.source})`,
          ...Object.fromEntries(
            doc.profile.values.map((v) => [`Profile ${v.key}`, v.acquirer ? `${v.value} (acquirer profile ${doc.profile!.acquirer})` : v.value]),
          ),
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// executor.json: the CI system that ran this, when there is one

export interface Executor {
  name: string;
  type: string;
  url?: string;
  buildOrder?: number;
  buildName?: string;
  buildUrl?: string;
  reportName?: string;
  reportUrl?: string;
}

export function detectExecutor(env: NodeJS.ProcessEnv, runId: string, reportName: string): Executor {
  const num = (v?: string) => (v && /^[0-9]+$/.test(v) ? Number(v) : undefined);
  if (env.GITHUB_ACTIONS === 'true') {
    const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
    const repo = env.GITHUB_REPOSITORY ? `${server}/${env.GITHUB_REPOSITORY}` : undefined;
    return {
      name: 'GitHub Actions',
      type: 'github',
      url: repo,
      buildOrder: num(env.GITHUB_RUN_NUMBER),
      buildName: `${env.GITHUB_WORKFLOW ?? 'workflow'} #${env.GITHUB_RUN_NUMBER ?? '?'}${env.GITHUB_JOB ? ` (${env.GITHUB_JOB})` : ''}`,
      buildUrl: repo && env.GITHUB_RUN_ID ? `${repo}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
      reportName,
    };
  }
  if (env.GITLAB_CI) {
    return {
      name: 'GitLab CI',
      type: 'gitlab',
      url: env.CI_PROJECT_URL,
      buildOrder: num(env.CI_PIPELINE_IID ?? env.CI_PIPELINE_ID),
      buildName: `${env.CI_PROJECT_PATH ?? 'pipeline'} #${env.CI_PIPELINE_IID ?? env.CI_PIPELINE_ID ?? '?'} ${env.CI_JOB_NAME ?? ''}`.trim(),
      buildUrl: env.CI_JOB_URL ?? env.CI_PIPELINE_URL,
      reportName,
    };
  }
  if (env.JENKINS_URL) {
    return {
      name: 'Jenkins',
      type: 'jenkins',
      url: env.JENKINS_URL,
      buildOrder: num(env.BUILD_NUMBER),
      buildName: `${env.JOB_NAME ?? 'job'} #${env.BUILD_NUMBER ?? '?'}`,
      buildUrl: env.BUILD_URL,
      reportName,
    };
  }
  if (env.BUILDKITE) {
    return {
      name: 'Buildkite',
      type: 'buildkite',
      url: env.BUILDKITE_REPO,
      buildOrder: num(env.BUILDKITE_BUILD_NUMBER),
      buildName: `${env.BUILDKITE_PIPELINE_SLUG ?? 'pipeline'} #${env.BUILDKITE_BUILD_NUMBER ?? '?'}`,
      buildUrl: env.BUILDKITE_BUILD_URL,
      reportName,
    };
  }
  if (env.CI) {
    return { name: env.CI_NAME ?? 'CI', type: 'ci', buildName: env.BUILD_ID ?? env.CI_BUILD_ID ?? runId, reportName };
  }
  return { name: 'poscert (local run)', type: 'local', buildName: runId, reportName };
}

// ---------------------------------------------------------------------------------------------
// categories.json: terminal defects by area; harness and link problems as broken

export const AREAS = ['onboarding', 'payment', 'pin', 'voucher', 'risk', 'settlement', 'other'] as const;

export interface Category {
  name: string;
  description?: string;
  matchedStatuses?: string[];
  messageRegex?: string;
  traceRegex?: string;
  flaky?: boolean;
}

export function categoriesDefinition(): Category[] {
  const areaTitle: Record<string, string> = {
    onboarding: 'onboarding (TMK, sign-on, parameters)',
    payment: 'payment (sale, 缴费, void, refund, inquiry, pre-auth)',
    pin: 'PIN entry and PIN block',
    voucher: 'vouchers',
    risk: 'risk handling (declines, reversals, tamper)',
    settlement: 'settlement and batch',
    other: 'other areas',
  };
  const cats: Category[] = AREAS.map((a) => ({
    name: `Terminal defects: ${areaTitle[a]}`,
    description: 'The terminal violated a requirement of the case (failed). These block certification when the case is mandatory.',
    matchedStatuses: ['failed'],
    messageRegex: `(?s)\\[${a}\\].*`,
  }));
  cats.push(
    {
      name: 'Link errors (broken: the harness could not judge)',
      matchedStatuses: ['broken'],
      messageRegex: '(?s)\\[link\\].*',
      description: 'The byte link or the TTP channel failed. Never blamed on the terminal.',
    },
    { name: 'Terminal did not answer the harness (broken)', matchedStatuses: ['broken'], messageRegex: '(?s)\\[terminal-timeout\\].*' },
    { name: 'Mandatory cases not run (broken)', matchedStatuses: ['broken'], messageRegex: '(?s)\\[(missing|run-aborted)\\].*' },
    { name: 'Undefined or ambiguous steps (broken)', matchedStatuses: ['broken'], messageRegex: '(?s)\\[undefined-step\\].*' },
    {
      name: 'Harness errors (broken)',
      matchedStatuses: ['broken'],
      messageRegex: '(?s)\\[harness\\].*',
      description: 'poscert itself, the reference host or the configuration failed.',
    },
    { name: 'Not applicable to this terminal (skipped)', matchedStatuses: ['skipped'], messageRegex: '(?s)not applicable.*' },
  );
  return cats;
}

// ---------------------------------------------------------------------------------------------
// Alignment of allure-results with the certificate

interface AllureResultFile {
  uuid: string;
  historyId?: string;
  testCaseId?: string;
  name?: string;
  fullName?: string;
  status?: string;
  statusDetails?: { message?: string; trace?: string };
  stage?: string;
  labels: Array<{ name: string; value: string }>;
  links?: unknown[];
  parameters?: Array<{ name: string; value: string }>;
  steps?: unknown[];
  attachments?: unknown[];
  start?: number;
  stop?: number;
}

function resultFiles(resultsDir: string): string[] {
  if (!fs.existsSync(resultsDir)) return [];
  return fs
    .readdirSync(resultsDir)
    .filter((f) => f.endsWith('-result.json'))
    .map((f) => path.join(resultsDir, f));
}

function categoryTag(s: ScenarioResult | { status: string; firstFailure?: { brokenKind?: string } }, area: string): string | undefined {
  if (s.status === 'failed') return area;
  if (s.status === 'broken') return s.firstFailure?.brokenKind ?? 'harness';
  return undefined;
}

/**
 * Rewrites each result's status and message from the scenario results (matched by the pickle id
 * label), so that Allure, the certificate and JUnit agree. Returns the pickle ids that had a result.
 */
export function alignResults(
  resultsDir: string,
  results: RunResults,
  caseOf: (caseId: string | undefined) => CaseOutcome | undefined,
  pickleIdPrefix = '',
): Set<string> {
  const byPickle = new Map<string, ScenarioResult>();
  for (const s of [...results.scenarios, ...results.notStarted]) byPickle.set(s.pickleId, s);
  const seen = new Set<string>();
  for (const file of resultFiles(resultsDir)) {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as AllureResultFile;
    const label = r.labels.find((l) => l.name === PICKLE_LABEL)?.value;
    if (!label) continue;
    const s = byPickle.get(pickleIdPrefix + label);
    if (!s) continue;
    seen.add(s.pickleId);
    const c = caseOf(s.caseId);
    const area = c?.area ?? 'other';
    // A case the terminal turned out not to support ran anyway (capabilities learnt during the
    // run): it is skipped as not applicable, like in the certificate.
    if (c && !c.applicable) {
      r.status = 'skipped';
      r.statusDetails = { message: c.reason };
      fs.writeFileSync(file, JSON.stringify(r));
      continue;
    }
    // A mandatory case skipped at run time is broken for the certificate.
    const status = c && c.result === 'broken' && s.status === 'skipped' ? 'broken' : s.status;
    const tag = categoryTag(
      { status, firstFailure: status === 'broken' && s.status === 'skipped' ? { brokenKind: 'harness' } : s.firstFailure },
      area,
    );
    const original = maskSensitiveText(r.statusDetails?.message ?? s.firstFailure?.message ?? s.reason ?? '');
    if (r.statusDetails?.trace) r.statusDetails.trace = maskSensitiveText(r.statusDetails.trace);
    const stripped = original.replace(/^\[[a-z-]+\] /, '');
    r.status = status;
    r.statusDetails = {
      ...r.statusDetails,
      message: tag
        ? `[${tag}] ${status === 'broken' && s.status === 'skipped' ? c!.reason : stripped}`
        : status === 'skipped'
          ? (s.reason ?? stripped)
          : stripped || undefined,
    };
    if (!r.statusDetails.message) delete r.statusDetails.message;
    fs.writeFileSync(file, JSON.stringify(r));
  }
  return seen;
}

/**
 * Results for plan cases that produced no Allure result: not applicable (skipped with the reason)
 * or missing (broken). Only for full runs and merges; a shard does not know the others' cases.
 */
export function writeResultsForCasesNotRun(resultsDir: string, cases: CaseOutcome[], planName: string, when: number): number {
  let written = 0;
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const c of cases) {
    if (!c.inPlan || c.scenarios.length > 0) continue;
    const uuid = crypto.randomUUID();
    const broken = c.result === 'broken';
    const result: AllureResultFile = {
      uuid,
      historyId: `${c.id}:not-run`,
      testCaseId: c.id,
      name: `${c.id} ${c.title}`,
      fullName: `${planName}#${c.id}`,
      status: c.result,
      statusDetails: { message: broken ? `[${c.firstFailure?.brokenKind ?? 'missing'}] ${c.reason}` : c.reason },
      stage: 'finished',
      labels: [
        { name: 'epic', value: c.area },
        { name: 'feature', value: 'Plan cases not run' },
        { name: 'AS_ID', value: c.id },
        { name: 'tag', value: c.mandatory ? 'mandatory' : 'optional' },
        ...(c.severity ? [{ name: 'severity', value: c.severity }] : []),
        { name: 'suite', value: 'Plan cases not run' },
      ],
      links: [],
      parameters: [],
      steps: [],
      attachments: [],
      start: when,
      stop: when,
    };
    fs.writeFileSync(path.join(resultsDir, `${uuid}-result.json`), JSON.stringify(result));
    written++;
  }
  return written;
}

/** Writes environment.properties, executor.json and categories.json into allure-results. */
export function writeAllureMetadata(resultsDir: string, doc: CertificateDocument, env: NodeJS.ProcessEnv = process.env): void {
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'environment.properties'), renderEnvironmentProperties(environmentEntries(doc)));
  const reportName = `poscert ${doc.plan.name} ${doc.plan.version} — ${doc.verdict}`;
  fs.writeFileSync(path.join(resultsDir, 'executor.json'), `${JSON.stringify(detectExecutor(env, doc.runId, reportName), null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'categories.json'), `${JSON.stringify(categoriesDefinition(), null, 2)}\n`);
}

/** Copies the previous report's history into the results, so Allure shows the trend. */
export function carryHistory(reportDir: string, resultsDir: string): boolean {
  const from = path.join(reportDir, 'history');
  if (!fs.existsSync(from)) return false;
  const to = path.join(resultsDir, 'history');
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Report generation

export interface GenerateOutcome {
  generated: boolean;
  note?: string;
  durationMs: number;
}

/** Whether a Java runtime is available for Allure 2 (JAVA_HOME or `java` on PATH). */
export function javaAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const r = spawnSync(java, ['-version'], { stdio: 'ignore', env });
  return !r.error && r.status === 0;
}

export function allureBinary(): string {
  const pkg = require.resolve('allure-commandline/package.json');
  return path.join(path.dirname(pkg), 'dist', 'bin', 'allure');
}

/** `allure generate RESULTS -o REPORT --clean` (Allure 2 from allure-commandline). */
export async function generateReport(resultsDir: string, reportDir: string, env: NodeJS.ProcessEnv = process.env): Promise<GenerateOutcome> {
  const started = Date.now();
  if (!javaAvailable(env)) {
    return {
      generated: false,
      durationMs: Date.now() - started,
      note:
        'Java is not installed, so the Allure HTML report was not generated (allure-commandline needs a Java 8+ runtime: ' +
        '`apt-get install default-jre-headless`); the allure-results and the certificate were written',
    };
  }
  return new Promise((resolve) => {
    const child = spawn(allureBinary(), ['generate', resultsDir, '-o', reportDir, '--clean'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', (err) => resolve({ generated: false, durationMs: Date.now() - started, note: `allure could not be started: ${err.message}` }));
    child.on('close', (code) => {
      if (code === 0 && fs.existsSync(path.join(reportDir, 'index.html'))) resolve({ generated: true, durationMs: Date.now() - started });
      else
        resolve({
          generated: false,
          durationMs: Date.now() - started,
          note: `allure generate exited with ${code}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
        });
    });
  });
}
