/**
 * The output folder of a certification run: where each file goes (OutputPaths), the run manifest
 * that `poscert merge` reads, run ids, and the checks on --out and --shard. Split out of
 * certification/certify.ts (issue 11: no file over 500 lines) because certify and merge both lay
 * out, clear and validate output folders the same way; certify.ts re-exports it unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { CertificateDocument } from './certificate';
import { CertifyOptionError } from './errors';
import type { RunProfile } from './profile';
import type { TerminalIdentity } from './results';
import type { RunScope } from './verdict';

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

export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${crypto.randomBytes(3).toString('hex')}`;
}

export function defaultSecretFiles(root: string): string[] {
  return [path.join(root, 'scenarios', 'cards.yaml'), path.join(root, 'scenarios', 'merchants.yaml')];
}

/** Removes what a previous run wrote (a stale CERTIFIED certificate must never survive a new run). */
export function clearPreviousRun(p: OutputPaths): void {
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
    throw new CertifyOptionError(
      `--out ${dir}: the output folder must not be the project folder or contain it (it is cleared and scanned for card data); use e.g. --out reports`,
      { out: dir },
    );
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
