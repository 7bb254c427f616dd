/**
 * A certification run from plan to certificate, and the merge of several shards' runs.
 *
 *   plan + terminal identity (capabilities) → applicable cases → cucumber (child process)
 *   → message stream → scenario results → judgement (verdict) → Allure results aligned,
 *   environment / executor / categories, history → certificate.json/.html, junit.xml
 *   → Allure report → sensitive-data scan over the whole output folder (may downgrade the verdict)
 *
 * Terminal identity comes from the caller (the CLI says hello through drivers/), so this layer
 * stays free of I/O towards terminals (DESIGN.md: certification/ imports protocol only).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { alignResults, carryHistory, generateReport, writeAllureMetadata, writeResultsForCasesNotRun } from './allure';
import { applyScanFindings, buildCertificate, certificateJson, renderCertificateHtml, type CertificateDocument } from './certificate';
import { CertifyOptionError, RunDirectoryError } from './errors';
import { renderJUnitXml } from './junit';
import { KNOWN_CAPABILITIES, loadPlan, missingCapabilities, planTagExpression, type CertificationPlan } from './plan';
import { maskSensitiveText } from '../crypto/masking';
import { collectResults, OUTCOME_MEDIA_TYPE, TERMINAL_MEDIA_TYPE, type RunResults, type ScenarioResult, type TerminalIdentity } from './results';
import { BAIL_SKIP_REASON, runCucumber, type CucumberRunOutcome } from './runner';
import { loadSecrets, scanDirectory, type ScanReport } from './sensitive-scan';
import { judge, type RunScope } from './verdict';
import { profileOnCertificate, type RunProfile } from './profile';
import { REFERENCE_PROFILE } from '../protocol/ttp/profile';

export const RUN_MANIFEST = 'run.json';
export const MESSAGES_FILE = 'cucumber-messages.ndjson';

export interface OutputPaths {
  dir: string;
  allureResults: string;
  allureReport: string;
  certificateJson: string;
  certificateHtml: string;
  junit: string;
  messages: string;
  manifest: string;
  formatterLog: string;
}

export function outputPaths(dir: string): OutputPaths {
  return {
    dir,
    allureResults: path.join(dir, 'allure-results'),
    allureReport: path.join(dir, 'allure-report'),
    certificateJson: path.join(dir, 'certificate.json'),
    certificateHtml: path.join(dir, 'certificate.html'),
    junit: path.join(dir, 'junit.xml'),
    messages: path.join(dir, MESSAGES_FILE),
    manifest: path.join(dir, RUN_MANIFEST),
    formatterLog: path.join(dir, 'allure-formatter.log'),
  };
}

/** What a run records for `poscert merge`. */
export interface RunManifest {
  runId: string;
  plan: { name: string; version: string; source: string };
  terminal: TerminalIdentity;
  options: CertificateDocument['options'];
  /** The terminal profile the run judged by (absent in runs before profiles). */
  profile?: RunProfile;
  scope: RunScope;
  applicableCases: string[];
  startedAt: string;
  finishedAt?: string;
}

export interface CertifyOptions {
  root: string;
  outDir: string;
  plan: string;
  /** Label of the terminal option as given (emulator, serial:…, tcp://…, lab:NAME). */
  terminal: string;
  /**
   * The terminal's hello, said before the run (its capabilities choose the applicable cases).
   * Absent for the built-in emulator: every plan case runs and the identity each worker's terminal
   * reported during the run (the scenarios' terminal markers) is judged and printed instead, which
   * saves starting a second emulator and host just to ask who it is.
   */
  identity?: TerminalIdentity;
  /** The terminal profile the cases judge by (default: the reference profile, assumed). */
  profile?: RunProfile;
  tags?: string;
  lang?: 'en' | 'zh-CN';
  parallel?: number;
  defects?: string[];
  shard?: string;
  /** Cucumber config/profile/paths (tests use a fixture suite). */
  cucumberConfig?: string;
  cucumberProfile?: string;
  paths?: string[];
  /** Files with the run's card and key data (default scenarios/cards.yaml and merchants.yaml). */
  secretFiles?: string[];
  /** Skip Allure HTML generation (the results, the certificate and the scan still happen): the lean mode. */
  skipReport?: boolean;
  /**
   * Stop at the first failed mandatory applicable case: the verdict is then NOT CERTIFIED and the
   * scenarios that did not run are listed as not run (broken for mandatory cases), never as passed.
   */
  bail?: boolean;
  /** Extra environment for cucumber. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Cucumber's own stdout/stderr (default: passed through). */
  onCucumberOutput?: (text: string) => void;
  timeoutMs?: number;
}

export interface CertifyOutcome {
  certificate: CertificateDocument;
  paths: OutputPaths;
  exitCode: number;
  reportGenerated: boolean;
  reportNote?: string;
  scan: ScanReport;
  timings: { cucumberMs: number; startupMs?: number; scenariosMs: number; reportingMs: number; allureMs: number; scanMs: number; totalMs: number };
  cucumber?: CucumberRunOutcome;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

export function defaultSecretFiles(root: string): string[] {
  return [path.join(root, 'scenarios', 'cards.yaml'), path.join(root, 'scenarios', 'merchants.yaml')];
}

function poscertVersion(root: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Removes what a previous run wrote (a stale CERTIFIED certificate must never survive a new run). */
function clearPreviousRun(p: OutputPaths): void {
  for (const f of [p.allureResults]) fs.rmSync(f, { recursive: true, force: true });
  for (const f of [p.certificateJson, p.certificateHtml, p.junit, p.messages, p.manifest, p.formatterLog]) fs.rmSync(f, { force: true });
}

/**
 * The output folder is scanned for sensitive data and partly cleared before each run, so it must be
 * a folder of its own: never the project (whose scenarios/ holds the card data) or a parent of it.
 */
export function checkOutputFolder(dir: string, root: string): void {
  const rel = path.relative(dir, path.resolve(root));
  if (rel === '' || !rel.startsWith('..')) {
    throw new CertifyOptionError(`--out ${dir}: the output folder must not be the project folder or contain it (it is cleared and scanned for card data); use e.g. --out reports`, { out: dir });
  }
}

/** Validates a `--shard i/n` value. */
export function parseShard(shard: string): { index: number; total: number } {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(shard);
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || total < 1 || index < 1 || index > total) {
    throw new CertifyOptionError(`--shard ${shard}: expected i/n with 1 ≤ i ≤ n (e.g. --shard 1/2)`, { shard });
  }
  return { index, total };
}

/** Distinct terminal units seen in the scenario results (parallel workers, lab terminals). */
function unitsOf(results: RunResults, fallback: TerminalIdentity): TerminalIdentity[] {
  const seen = new Map<string, TerminalIdentity>();
  for (const s of results.scenarios) {
    if (!s.terminal) continue;
    const key = `${s.terminal.serialNumber ?? '?'}|${s.terminal.terminalId ?? '?'}`;
    if (!seen.has(key)) seen.set(key, s.terminal);
  }
  return seen.size ? [...seen.values()] : [fallback];
}

interface AllureNode { name?: string; attachments?: Array<{ name?: string; type?: string; source?: string }>; steps?: AllureNode[]; statusDetails?: { message?: string; trace?: string } }

/**
 * Tidies allure-cucumberjs output for readers of the report:
 * - drops the harness's marker attachments (outcome, terminal identity: they feed the certificate);
 * - moves the evidence attached by After hooks (transcript, 8583 journal, screens, vouchers, ledger)
 *   from the tear-down fixture to the test itself, so it is listed on the case's page, not folded
 *   away under "Tear down".
 * allure-cucumberjs wraps each cucumber attachment in a step of the same name; such wrappers go too.
 */
export function tidyAllureResults(resultsDir: string): void {
  if (!fs.existsSync(resultsDir)) return;
  const markerTypes = new Set([OUTCOME_MEDIA_TYPE, TERMINAL_MEDIA_TYPE]);
  const isWrapper = (s: AllureNode) => (s.steps?.length ?? 0) === 0 && (s.attachments?.length ?? 0) > 0 && s.attachments!.every((a) => a.name === s.name);
  const dropMarkers = (node: AllureNode): boolean => {
    let changed = false;
    // Step messages quote the same failures as the test's (masked in alignResults).
    for (const k of ['message', 'trace'] as const) {
      const v = node.statusDetails?.[k];
      if (v && maskSensitiveText(v) !== v) { node.statusDetails![k] = maskSensitiveText(v); changed = true; }
    }
    if (node.attachments) {
      const keep = node.attachments.filter((a) => {
        if (!a.type || !markerTypes.has(a.type)) return true;
        if (a.source) fs.rmSync(path.join(resultsDir, a.source), { force: true });
        return false;
      });
      changed = keep.length !== node.attachments.length;
      node.attachments = keep;
    }
    if (node.steps) {
      for (const s of node.steps) changed = dropMarkers(s) || changed;
      const before = node.steps.length;
      // The wrapper step of a removed marker is named 'Attachment' (markers have no file name).
      node.steps = node.steps.filter((s) => (s.steps?.length ?? 0) > 0 || (s.attachments?.length ?? 0) > 0 || s.name !== 'Attachment');
      changed = changed || node.steps.length !== before;
    }
    return changed;
  };
  /** Takes every attachment out of a fixture (and its wrapper steps). */
  const takeAttachments = (node: AllureNode): NonNullable<AllureNode['attachments']> => {
    const taken = [...(node.attachments ?? [])];
    node.attachments = [];
    for (const s of node.steps ?? []) taken.push(...takeAttachments(s));
    node.steps = (node.steps ?? []).filter((s) => !(isWrapper(s) || ((s.steps?.length ?? 0) === 0 && (s.attachments?.length ?? 0) === 0 && taken.some((a) => a.name === s.name))));
    return taken;
  };

  const files = fs.readdirSync(resultsDir);
  const results = new Map<string, { file: string; data: AllureNode & { uuid: string } ; changed: boolean }>();
  for (const f of files.filter((x) => x.endsWith('-result.json'))) {
    const file = path.join(resultsDir, f);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as AllureNode & { uuid: string };
    results.set(data.uuid, { file, data, changed: dropMarkers(data) });
  }
  for (const f of files.filter((x) => x.endsWith('-container.json'))) {
    const file = path.join(resultsDir, f);
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { children?: string[]; befores?: AllureNode[]; afters?: AllureNode[] };
    let changed = false;
    for (const fx of [...(c.befores ?? []), ...(c.afters ?? [])]) changed = dropMarkers(fx) || changed;
    const evidence = (c.afters ?? []).flatMap((fx) => takeAttachments(fx));
    if (evidence.length) {
      changed = true;
      for (const child of c.children ?? []) {
        const r = results.get(child);
        if (!r) continue;
        r.data.attachments = [...(r.data.attachments ?? []), ...evidence];
        r.changed = true;
      }
    }
    if (changed) fs.writeFileSync(file, JSON.stringify(c));
  }
  for (const r of results.values()) if (r.changed) fs.writeFileSync(r.file, JSON.stringify(r.data));
}

interface FinishInput {
  runId: string;
  root: string;
  paths: OutputPaths;
  plan: CertificationPlan;
  identity: TerminalIdentity;
  profile?: RunProfile;
  scope: RunScope;
  results: RunResults;
  options: CertificateDocument['options'];
  secretFiles: string[];
  skipReport?: boolean;
  log: (line: string) => void;
  /** When this run (or merge) began: files under the output folder older than this are not its outputs. */
  startedAt: number;
  /** Alignment of allure results: per results folder, the pickle id prefix of its stream. */
  align: Array<{ dir: string; prefix: string }>;
}

/** Judgement, Allure, certificate, report and scan: shared by certify and merge. */
async function finishRun(input: FinishInput): Promise<Omit<CertifyOutcome, 'timings' | 'cucumber'> & { allureMs: number; scanMs: number }> {
  const { paths: p, plan, results } = input;
  const capabilities = input.identity.capabilities ?? [];
  const judgement = judge(plan, results, capabilities, input.scope);
  const doc = buildCertificate({
    runId: input.runId,
    judgement,
    scope: input.scope,
    plan: { name: plan.name, version: plan.version, title: plan.title, source: plan.source },
    terminal: input.identity,
    units: unitsOf(results, input.identity),
    options: input.options,
    software: { poscert: poscertVersion(input.root), node: process.versions.node, cucumber: results.cucumberVersion },
    run: {
      startedAt: results.startedAt, finishedAt: results.finishedAt,
      durationMs: results.startedAt && results.finishedAt ? Date.parse(results.finishedAt) - Date.parse(results.startedAt) : undefined,
    },
    ...(input.profile ? { profile: profileOnCertificate(input.profile) } : {}),
    runErrors: [...results.runErrors, ...judgement.untagged.map((s) => `scenario "${s.title}" (${s.uri}) has no case id tag; it does not count`)],
  });
  const caseById = new Map(judgement.cases.map((c) => [c.id, c]));
  for (const a of input.align) {
    alignResults(a.dir, results, (id) => (id ? caseById.get(id) : undefined), a.prefix);
    tidyAllureResults(a.dir);
  }
  if (input.scope.kind === 'full') {
    writeResultsForCasesNotRun(p.allureResults, judgement.cases, plan.name, Date.parse(results.finishedAt ?? new Date().toISOString()));
  }
  doc.reports = {
    allureResults: path.relative(input.root, p.allureResults) || p.allureResults,
    junit: path.relative(input.root, p.junit) || p.junit,
    messages: path.relative(input.root, p.messages) || p.messages,
  };

  const writeDocs = () => {
    fs.writeFileSync(p.certificateJson, certificateJson(doc));
    fs.writeFileSync(p.certificateHtml, renderCertificateHtml(doc));
    fs.writeFileSync(p.junit, renderJUnitXml(doc));
    writeAllureMetadata(p.allureResults, doc);
  };

  const secrets = loadSecrets(input.secretFiles);
  writeDocs();
  let reportGenerated = false;
  let reportNote: string | undefined;
  let allureMs = 0;
  const generate = async () => {
    const g = await generateReport(p.allureResults, p.allureReport);
    allureMs += g.durationMs;
    reportGenerated = g.generated;
    reportNote = g.note;
    if (g.generated) doc.reports.allureReport = path.relative(input.root, p.allureReport) || p.allureReport;
    else doc.reports.allureNote = g.note;
  };
  if (!input.skipReport) {
    carryHistory(p.allureReport, p.allureResults);
    await generate();
    writeDocs();
  }
  // One scan over everything written, the report included. Findings change the verdict, so the
  // documents are rewritten and the report generated again to show it (the rare, failing path).
  const scanStarted = Date.now();
  const scan = scanDirectory(p.dir, secrets, { since: input.startedAt });
  const scanMs = Date.now() - scanStarted;
  applyScanFindings(doc, scan);
  writeDocs();
  if (scan.findings.length && reportGenerated) await generate();

  return { certificate: doc, paths: p, exitCode: doc.exitCode, reportGenerated, reportNote, scan, allureMs, scanMs };
}

/** Runs the plan against the terminal and writes the certificate and the report. */
export async function certify(o: CertifyOptions): Promise<CertifyOutcome> {
  const started = Date.now();
  const log = o.log ?? ((l: string) => console.log(l));
  const plan = loadPlan(o.plan, o.root);
  for (const w of plan.warnings) log(`plan warning: ${w}`);
  if (o.shard) parseShard(o.shard);
  if (o.parallel !== undefined && (!Number.isInteger(o.parallel) || o.parallel < 1)) {
    throw new CertifyOptionError(`--parallel ${o.parallel}: expected a whole number ≥ 1`, { parallel: o.parallel });
  }
  const p = outputPaths(path.resolve(o.root, o.outDir));
  checkOutputFolder(p.dir, o.root);
  fs.mkdirSync(p.dir, { recursive: true });
  clearPreviousRun(p);

  const runId = newRunId();
  const scope: RunScope = { kind: o.shard ? 'shard' : 'full', shard: o.shard, tags: o.tags };
  const declared = o.identity ? (o.identity.capabilities ?? []) : [...KNOWN_CAPABILITIES];
  const applicable = plan.cases.filter((c) => missingCapabilities(c, declared).length === 0).map((c) => c.id);
  let identity: TerminalIdentity = o.identity ?? { link: o.terminal };
  const options: CertificateDocument['options'] = {
    parallel: o.parallel ?? 1, tags: o.tags, defects: o.defects ?? [], lang: o.lang, shard: o.shard, terminal: o.terminal,
    ...(o.bail ? { bail: true } : {}),
  };
  const profile: RunProfile = o.profile ?? { profile: REFERENCE_PROFILE, source: o.terminal === 'emulator' ? 'emulator' : 'assumed' };
  const manifest: RunManifest = {
    runId, plan: { name: plan.name, version: plan.version, source: plan.source }, terminal: identity, options, profile, scope,
    applicableCases: applicable, startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(p.manifest, `${JSON.stringify(manifest, null, 2)}\n`);

  const planTags = planTagExpression(applicable);
  let cucumber: CucumberRunOutcome | undefined;
  let results: RunResults;
  if (!planTags) {
    log(`no case of plan ${plan.name} applies to this terminal (capabilities: ${declared.join(', ') || 'none'}); nothing to run`);
    results = { scenarios: [], notStarted: [], complete: true, runErrors: [] };
  } else {
    const tags = o.tags ? `${planTags} and (${o.tags})` : planTags;
    cucumber = await runCucumber({
      cwd: o.root,
      configFile: o.cucumberConfig,
      profile: o.cucumberProfile,
      paths: o.paths,
      resultsDir: p.allureResults,
      messagesFile: p.messages,
      formatterLog: p.formatterLog,
      parallel: o.parallel,
      tags,
      shard: o.shard,
      timeoutMs: o.timeoutMs,
      ...(o.bail ? { stopFile: path.join(p.dir, '.bail-stop.json'), stopWhen: stopsTheRun(plan, applicable), stopCases: mandatoryApplicable(plan, applicable) } : {}),
      env: {
        POSCERT_TERMINAL: o.terminal === 'emulator' ? undefined : o.terminal,
        POSCERT_DEFECTS: (o.defects ?? []).join(','),
        POSCERT_LANG: o.lang ?? 'en',
        POSCERT_PLAN: plan.name,
        POSCERT_RUN_ID: runId,
        ...o.env,
      },
      onScenario: (r, done, planned) => log(progressLine(r, done, planned)),
      onStdout: o.onCucumberOutput,
      onStderr: o.onCucumberOutput,
    });
    results = collectResults([{ text: fs.readFileSync(p.messages, 'utf8'), source: path.basename(p.messages) }]);
    if (cucumber.timedOut) results.runErrors.push(`the cucumber run was stopped after ${o.timeoutMs} ms`);
    if (cucumber.stoppedBy) {
      const notRun = markNotRunAfterBail(results, plan);
      log(`--bail: stopped at the first failed mandatory case ${cucumber.stoppedBy.caseId}; ${notRun} scenario${notRun === 1 ? '' : 's'} not run`);
    }
    if (results.scenarios.length === 0 && results.notStarted.length === 0 && cucumber.exitCode !== 0) {
      results.runErrors.push(`cucumber exited with code ${cucumber.exitCode ?? cucumber.signal} before running any scenario: ${lastLines(cucumber.stderrTail)}`);
    }
  }
  if (!o.identity) {
    // The identity the terminal reported to the suite's own hello during the run.
    const reported = results.scenarios.find((s) => s.terminal)?.terminal;
    identity = reported ? { ...reported, link: reported.link ?? o.terminal } : { link: o.terminal, capabilities: declared };
    if (!reported) results.runErrors.push('no scenario reported the terminal\'s identity (hello); the certificate cannot name the terminal');
    manifest.terminal = identity;
  }
  const reportingStarted = Date.now();
  const finished = await finishRun({
    runId, root: o.root, paths: p, plan, identity, profile, scope, results, options, startedAt: started,
    secretFiles: o.secretFiles ?? defaultSecretFiles(o.root), skipReport: o.skipReport, log,
    align: [{ dir: p.allureResults, prefix: '' }],
  });
  manifest.finishedAt = new Date().toISOString();
  fs.writeFileSync(p.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  const scenariosMs = results.startedAt && results.finishedAt ? Date.parse(results.finishedAt) - Date.parse(results.startedAt) : 0;
  return {
    ...finished,
    cucumber,
    timings: {
      cucumberMs: cucumber?.durationMs ?? 0, startupMs: cucumber?.startupMs, scenariosMs,
      reportingMs: Date.now() - reportingStarted, allureMs: finished.allureMs, scanMs: finished.scanMs, totalMs: Date.now() - started,
    },
  };
}

function mandatoryApplicable(plan: CertificationPlan, applicable: readonly string[]): string[] {
  return plan.cases.filter((c) => c.mandatory && applicable.includes(c.id)).map((c) => c.id);
}

/** --bail: a failed (not broken) scenario of a mandatory applicable case stops the run. */
export function stopsTheRun(plan: CertificationPlan, applicable: readonly string[]): (r: ScenarioResult) => boolean {
  const mandatory = new Set(mandatoryApplicable(plan, applicable));
  return (r) => r.status === 'failed' && r.caseId !== undefined && mandatory.has(r.caseId);
}

/**
 * After --bail stopped the run: the scenarios the bail hook skipped, and any that never started,
 * are not run. For a mandatory case that is broken ('(not run)', like a case left out of a subset
 * run), so a case nobody ran can never count as passed; optional ones stay skipped. Returns how many.
 */
export function markNotRunAfterBail(results: RunResults, plan: CertificationPlan): number {
  const mandatory = new Set(plan.cases.filter((c) => c.mandatory).map((c) => c.id));
  let n = 0;
  for (const s of [...results.scenarios, ...results.notStarted]) {
    const skippedByBail = s.status === 'skipped' && (s.reason ?? '').startsWith(BAIL_SKIP_REASON);
    const neverStarted = results.notStarted.includes(s);
    if (!skippedByBail && !neverStarted) continue;
    n++;
    const reason = skippedByBail ? s.reason! : BAIL_SKIP_REASON;
    s.reason = reason;
    if (s.caseId && mandatory.has(s.caseId)) {
      s.status = 'broken';
      s.firstFailure = { step: '(not run)', message: reason, brokenKind: 'run-aborted' };
    } else {
      s.status = 'skipped';
    }
  }
  return n;
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

const SYMBOL: Record<string, string> = { passed: '✔', failed: '✘', broken: '!', skipped: '-' };

export function progressLine(r: ScenarioResult, done: number, planned: number): string {
  const width = String(Math.max(planned, done)).length;
  let row = Object.values(r.parameters).join(', ');
  if (row.length > 40) row = `${row.slice(0, 39)}…`;
  const params = row ? ` [${row}]` : '';
  const head = `[${String(done).padStart(width)}/${Math.max(planned, done)}] ${SYMBOL[r.status]} ${r.status.padEnd(7)} ${r.caseId ?? '(no id)'}  ${r.title}${params} (${(r.durationMs / 1000).toFixed(1)} s)`;
  if (r.status === 'failed' || r.status === 'broken') {
    const f = r.firstFailure;
    return `${head}\n        ${f?.step ?? ''}\n        ${(f?.message ?? r.reason ?? '').split('\n')[0]}`;
  }
  return head;
}

// ---------------------------------------------------------------------------------------------
// merge

export interface MergeOptions {
  root: string;
  dirs: string[];
  outDir: string;
  plan?: string;
  secretFiles?: string[];
  skipReport?: boolean;
  log?: (line: string) => void;
}

/** Combines the runs of several shards (or machines) into one report and one certificate. */
export async function mergeRuns(o: MergeOptions): Promise<Omit<CertifyOutcome, 'timings' | 'cucumber'>> {
  const log = o.log ?? ((l: string) => console.log(l));
  const mergeStarted = Date.now();
  if (o.dirs.length === 0) throw new CertifyOptionError('poscert merge needs at least one run directory', {});
  const runs = o.dirs.map((d) => {
    const dir = path.resolve(o.root, d);
    const rp = outputPaths(dir);
    for (const need of [rp.manifest, rp.messages, rp.allureResults]) {
      if (!fs.existsSync(need)) {
        throw new RunDirectoryError(`${d} is not the output folder of a poscert certify run: ${path.basename(need)} is missing`, { dir: d, missing: need });
      }
    }
    let manifest: RunManifest;
    try {
      manifest = JSON.parse(fs.readFileSync(rp.manifest, 'utf8')) as RunManifest;
    } catch (err) {
      throw new RunDirectoryError(`${rp.manifest} is not valid JSON: ${(err as Error).message}`, { dir: d });
    }
    return { dir, paths: rp, manifest };
  });
  const first = runs[0].manifest;
  for (const r of runs.slice(1)) {
    if (r.manifest.plan.name !== first.plan.name || r.manifest.plan.version !== first.plan.version) {
      throw new RunDirectoryError(`runs of different plans cannot be merged: ${runs[0].dir} ran ${first.plan.name} ${first.plan.version}, ` +
        `${r.dir} ran ${r.manifest.plan.name} ${r.manifest.plan.version}`, { dirs: o.dirs });
    }
    const a = (first.terminal.capabilities ?? []).slice().sort().join(',');
    const b = (r.manifest.terminal.capabilities ?? []).slice().sort().join(',');
    if (a !== b || first.terminal.model !== r.manifest.terminal.model || first.terminal.firmware !== r.manifest.terminal.firmware) {
      throw new RunDirectoryError(`runs of different terminals cannot be merged into one certificate: ${runs[0].dir} ran ` +
        `${first.terminal.model} ${first.terminal.firmware} [${a}], ${r.dir} ran ${r.manifest.terminal.model} ${r.manifest.terminal.firmware} [${b}]`, { dirs: o.dirs });
    }
  }
  const plan = loadPlan(o.plan ?? first.plan.source ?? first.plan.name, o.root);
  if (plan.version !== first.plan.version) {
    throw new RunDirectoryError(`the runs used plan ${first.plan.name} version ${first.plan.version}, but ${plan.source} is version ${plan.version}`, { dirs: o.dirs });
  }

  const out = outputPaths(path.resolve(o.root, o.outDir));
  checkOutputFolder(out.dir, o.root);
  const outIsInput = runs.some((r) => r.dir === out.dir);
  if (outIsInput) throw new CertifyOptionError(`--out ${o.outDir} is one of the runs being merged; choose another folder`, { out: o.outDir });
  fs.mkdirSync(out.dir, { recursive: true });
  clearPreviousRun(out);
  fs.mkdirSync(out.allureResults, { recursive: true });

  // One message stream per run; the merged stream file keeps them for the record.
  const streams = runs.map((r, i) => ({ text: fs.readFileSync(r.paths.messages, 'utf8'), source: `${path.relative(o.root, r.dir) || r.dir}/${MESSAGES_FILE}`, index: i }));
  const results = collectResults(streams.map((s) => ({ text: s.text, source: s.source })));
  fs.writeFileSync(out.messages, streams.map((s) => s.text.endsWith('\n') || s.text === '' ? s.text : `${s.text}\n`).join(''));

  // Copy each run's allure results (test results, containers, attachments); metadata is rewritten.
  const skip = new Set(['environment.properties', 'executor.json', 'categories.json', 'history']);
  for (const r of runs) {
    for (const f of fs.readdirSync(r.paths.allureResults)) {
      if (skip.has(f)) continue;
      const target = path.join(out.allureResults, f);
      if (fs.existsSync(target)) throw new RunDirectoryError(`two runs contain the same allure file ${f}; was one run given twice?`, { file: f });
      fs.cpSync(path.join(r.paths.allureResults, f), target, { recursive: true });
    }
  }
  // Each run aligned its own results with its scenario outcomes, which merging does not change
  // (a scenario's outcome depends on its own steps only), so the copies need no re-alignment.
  const runId = newRunId();
  const merged = await finishRun({
    runId, root: o.root, paths: out, plan, identity: { ...first.terminal }, profile: first.profile, scope: { kind: 'full' }, startedAt: mergeStarted,
    results,
    options: { ...first.options, shard: undefined, parallel: first.options.parallel },
    secretFiles: o.secretFiles ?? defaultSecretFiles(o.root), skipReport: o.skipReport, log,
    align: [],
  });
  const manifest: RunManifest = {
    runId, plan: { name: plan.name, version: plan.version, source: plan.source }, terminal: first.terminal,
    options: merged.certificate.options, scope: { kind: 'full' },
    applicableCases: [...new Set(runs.flatMap((r) => r.manifest.applicableCases))],
    startedAt: results.startedAt ?? new Date().toISOString(), finishedAt: new Date().toISOString(),
  };
  fs.writeFileSync(out.manifest, `${JSON.stringify({ ...manifest, mergedFrom: runs.map((r) => ({ dir: path.relative(o.root, r.dir) || r.dir, runId: r.manifest.runId, shard: r.manifest.scope.shard })) }, null, 2)}\n`);
  return merged;
}
