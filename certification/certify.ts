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
 *
 * The run is split by concern: run-output.ts (output folder, manifest, option checks), finish.ts
 * (judgement, certificate, JUnit, Allure, scan), allure-tidy.ts, bail.ts, progress.ts and merge.ts;
 * this file prepares the run and invokes cucumber, and re-exports the pieces it always exported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CertificateDocument } from './certificate';
import { CertifyOptionError } from './errors';
import { KNOWN_CAPABILITIES, loadPlan, missingCapabilities, planTagExpression } from './plan';
import { collectResults, type RunResults, type TerminalIdentity } from './results';
import { runCucumber, type CucumberRunOutcome } from './runner';
import type { ScanReport } from './sensitive-scan';
import type { RunScope } from './verdict';
import type { RunProfile } from './profile';
import { REFERENCE_PROFILE } from '../protocol/ttp/profile';
import { finishRun } from './finish';
import { mandatoryApplicable, markNotRunAfterBail, stopsTheRun } from './bail';
import { lastLines, progressLine } from './progress';
import {
  checkOutputFolder,
  clearPreviousRun,
  defaultSecretFiles,
  newRunId,
  outputPaths,
  parseShard,
  type OutputPaths,
  type RunManifest,
} from './run-output';

export { RUN_MANIFEST, MESSAGES_FILE, outputPaths, newRunId, defaultSecretFiles, checkOutputFolder, parseShard } from './run-output';
export type { OutputPaths, RunManifest } from './run-output';
export { tidyAllureResults } from './allure-tidy';
export { stopsTheRun, markNotRunAfterBail } from './bail';
export { progressLine } from './progress';
export { mergeRuns } from './merge';
export type { MergeOptions } from './merge';

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
  /** The terminal's link to the reference host (default tcp); recorded on the certificate. */
  hostLink?: 'tcp' | 'https';
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
    parallel: o.parallel ?? 1,
    tags: o.tags,
    defects: o.defects ?? [],
    lang: o.lang,
    shard: o.shard,
    terminal: o.terminal,
    ...(o.bail ? { bail: true } : {}),
    ...(o.hostLink === 'https' ? { hostLink: 'https' as const } : {}),
  };
  const profile: RunProfile = o.profile ?? { profile: REFERENCE_PROFILE, source: o.terminal === 'emulator' ? 'emulator' : 'assumed' };
  const manifest: RunManifest = {
    runId,
    plan: { name: plan.name, version: plan.version, source: plan.source },
    terminal: identity,
    options,
    profile,
    scope,
    applicableCases: applicable,
    startedAt: new Date().toISOString(),
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
      ...(o.bail
        ? { stopFile: path.join(p.dir, '.bail-stop.json'), stopWhen: stopsTheRun(plan, applicable), stopCases: mandatoryApplicable(plan, applicable) }
        : {}),
      env: {
        POSCERT_TERMINAL: o.terminal === 'emulator' ? undefined : o.terminal,
        POSCERT_DEFECTS: (o.defects ?? []).join(','),
        POSCERT_LANG: o.lang ?? 'en',
        POSCERT_PLAN: plan.name,
        POSCERT_RUN_ID: runId,
        POSCERT_HOST_LINK: o.hostLink ?? 'tcp',
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
      results.runErrors.push(
        `cucumber exited with code ${cucumber.exitCode ?? cucumber.signal} before running any scenario: ${lastLines(cucumber.stderrTail)}`,
      );
    }
  }
  if (!o.identity) {
    // The identity the terminal reported to the suite's own hello during the run.
    const reported = results.scenarios.find((s) => s.terminal)?.terminal;
    identity = reported ? { ...reported, link: reported.link ?? o.terminal } : { link: o.terminal, capabilities: declared };
    if (!reported) results.runErrors.push("no scenario reported the terminal's identity (hello); the certificate cannot name the terminal");
    manifest.terminal = identity;
  }
  const reportingStarted = Date.now();
  const finished = await finishRun({
    runId,
    root: o.root,
    paths: p,
    plan,
    identity,
    profile,
    scope,
    results,
    options,
    startedAt: started,
    secretFiles: o.secretFiles ?? defaultSecretFiles(o.root),
    skipReport: o.skipReport,
    log,
    align: [{ dir: p.allureResults, prefix: '' }],
  });
  manifest.finishedAt = new Date().toISOString();
  fs.writeFileSync(p.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  const scenariosMs = results.startedAt && results.finishedAt ? Date.parse(results.finishedAt) - Date.parse(results.startedAt) : 0;
  return {
    ...finished,
    cucumber,
    timings: {
      cucumberMs: cucumber?.durationMs ?? 0,
      startupMs: cucumber?.startupMs,
      scenariosMs,
      reportingMs: Date.now() - reportingStarted,
      allureMs: finished.allureMs,
      scanMs: finished.scanMs,
      totalMs: Date.now() - started,
    },
  };
}
