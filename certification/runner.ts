/**
 * Runs cucumber-js as a child process with the project's profile, plus:
 *   --format message:FILE                the run's message stream, tailed here while it grows
 *                                        (progress) and kept (the certificate's source of truth);
 *                                        a file, not stdout, because --parallel workers inherit
 *                                        stdout and anything they print would split its lines
 *   --format allure-cucumberjs/reporter  into <out>/allure-results (to a log file: gotcha 4)
 *   --format snippets                    on stdout: silent unless a step is undefined
 * A child process, rather than the API in-process, keeps leaked handles, crashes and
 * process.exit() in support code away from the certify command, and `--parallel` workers inherit
 * the POSCERT_* environment that tells the World which terminal, defects, language and plan to use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CucumberRunError } from './errors';
import { ResultCollector, type Envelope, type ScenarioResult } from './results';

export interface CucumberRunOptions {
  /** Project root (cucumber's cwd). */
  cwd: string;
  /** cucumber config file (default: cucumber.js in cwd) and profile. */
  configFile?: string;
  profile?: string;
  /** Feature paths; leave empty to use the profile's. */
  paths?: string[];
  resultsDir: string;
  messagesFile: string;
  formatterLog: string;
  parallel?: number;
  tags?: string;
  shard?: string;
  /** Extra environment (POSCERT_TERMINAL, POSCERT_DEFECTS, POSCERT_LANG, POSCERT_PLAN, ...). */
  env?: Record<string, string | undefined>;
  /** Called for each scenario as its last attempt finishes, with cucumber's planned count. */
  onScenario?: (result: ScenarioResult, done: number, planned: number) => void;
  /** What cucumber and support code write on stderr / stdout (default: passed through). */
  onStderr?: (text: string) => void;
  onStdout?: (text: string) => void;
  /** Hard limit for the whole run; the child is killed after it. */
  timeoutMs?: number;
  /**
   * --bail: the first scenario result for which this holds stops the run. The runner writes
   * `stopFile`; the bail hook of the workers (steps/support/bail.ts) then skips every scenario not yet
   * started, so the run still ends normally (AfterAll stops each worker's lab, the stream is complete).
   */
  stopWhen?: (result: ScenarioResult) => boolean;
  stopFile?: string;
  /** The case ids whose failure stops the run, for the workers' own check (see steps/support/bail.ts). */
  stopCases?: readonly string[];
}

/** Environment variable naming the stop file for the workers' bail hook. */
export const STOP_FILE_ENV = 'POSCERT_STOP_FILE';
/** Environment variable listing (comma-separated) the case ids whose failure stops the run. */
export const BAIL_CASES_ENV = 'POSCERT_BAIL_CASES';
/** Reason the bail hook gives for each scenario it skips (certify lists them as not run). */
export const BAIL_SKIP_REASON = 'not run: --bail stopped the run at the first failed mandatory case';

/** What the stop file holds: the scenario that stopped the run. */
export interface StopNote {
  caseId?: string;
  title: string;
}

export interface CucumberRunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  /** Milliseconds from spawn to cucumber's testRunStarted (process start + support code load). */
  startupMs?: number;
  timedOut: boolean;
  stderrTail: string;
  messagesFile: string;
  /** The scenario that stopped the run (stopWhen held), if one did. */
  stoppedBy?: ScenarioResult;
}

export function cucumberBinary(): string {
  const pkg = require.resolve('@cucumber/cucumber/package.json');
  return path.join(path.dirname(pkg), 'bin', 'cucumber-js');
}

export function cucumberArgs(o: CucumberRunOptions): string[] {
  const args = [cucumberBinary()];
  if (o.configFile) args.push('--config', o.configFile);
  if (o.profile) args.push('--profile', o.profile);
  args.push('--format', 'snippets');
  args.push('--format', `"message":"${o.messagesFile}"`);
  args.push('--format', `"allure-cucumberjs/reporter":"${o.formatterLog}"`);
  args.push('--format-options', JSON.stringify({ resultsDir: o.resultsDir }));
  if (o.parallel && o.parallel > 1) args.push('--parallel', String(o.parallel));
  if (o.tags) args.push('--tags', o.tags);
  if (o.shard) args.push('--shard', o.shard);
  args.push(...(o.paths ?? []));
  return args;
}

export function runCucumber(o: CucumberRunOptions): Promise<CucumberRunOutcome> {
  fs.mkdirSync(path.dirname(o.messagesFile), { recursive: true });
  fs.mkdirSync(o.resultsDir, { recursive: true });
  fs.writeFileSync(o.messagesFile, '');
  const started = Date.now();
  const collector = new ResultCollector(path.basename(o.messagesFile));
  let done = 0;
  let startupMs: number | undefined;
  let stoppedBy: ScenarioResult | undefined;
  if (o.stopFile) fs.rmSync(o.stopFile, { force: true });
  let stderrTail = '';
  let offset = 0;
  let pending = '';
  const onStdout = o.onStdout ?? ((t: string) => process.stdout.write(t));
  const onStderr = o.onStderr ?? ((t: string) => process.stderr.write(t));

  const handleLine = (line: string) => {
    if (!line.trim()) return;
    let env: Envelope;
    try {
      env = JSON.parse(line) as Envelope;
    } catch {
      return; // the reader after the run reports bad lines with their number
    }
    if (env.testRunStarted && startupMs === undefined) startupMs = Date.now() - started;
    const result = collector.add(env);
    if (result) {
      done++;
      o.onScenario?.(result, done, collector.plannedCount);
      if (!stoppedBy && o.stopFile && o.stopWhen?.(result)) {
        stoppedBy = result;
        const note: StopNote = { caseId: result.caseId, title: result.title };
        fs.writeFileSync(o.stopFile, JSON.stringify(note));
      }
    }
  };
  // Tails the message file: reads what was appended since the last look, hands on whole lines.
  const drain = () => {
    let fd: number;
    try {
      fd = fs.openSync(o.messagesFile, 'r');
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      pending += buf.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        handleLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    } finally {
      fs.closeSync(fd);
    }
  };

  return new Promise((resolve, reject) => {
    // stdin is inherited: operator mode asks a person at the console to present a card or type a PIN.
    const child = spawn(process.execPath, cucumberArgs(o), {
      cwd: o.cwd,
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: 'true',
        FORCE_COLOR: '0',
        ...o.env,
        ...(o.stopFile ? { [STOP_FILE_ENV]: o.stopFile, [BAIL_CASES_ENV]: (o.stopCases ?? []).join(',') } : {}),
      },
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, o.timeoutMs)
      : undefined;
    const poll = setInterval(drain, 100);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => onStdout(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
      onStderr(chunk);
    });
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      reject(new CucumberRunError(`cucumber-js could not be started: ${err.message}`, { binary: cucumberBinary() }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      drain();
      if (pending.trim()) handleLine(pending);
      if (o.stopFile) fs.rmSync(o.stopFile, { force: true });
      resolve({
        exitCode: code,
        signal,
        durationMs: Date.now() - started,
        startupMs,
        timedOut,
        stderrTail,
        messagesFile: o.messagesFile,
        ...(stoppedBy ? { stoppedBy } : {}),
      });
    });
  });
}
