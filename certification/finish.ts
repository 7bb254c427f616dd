/**
 * The end of a certification run, shared by certify and merge: judgement, certificate, JUnit,
 * Allure results and report, and the sensitive-data scan over everything written (which may
 * downgrade the verdict). Split out of certification/certify.ts (issue 11: no file over 500 lines)
 * so running cases (certify.ts) and producing the documents (here) are read apart.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { alignResults, carryHistory, generateReport, writeAllureMetadata, writeResultsForCasesNotRun } from './allure';
import { tidyAllureResults } from './allure-tidy';
import { applyScanFindings, buildCertificate, certificateJson, renderCertificateHtml, type CertificateDocument } from './certificate';
import type { CertifyOutcome } from './certify';
import { renderJUnitXml } from './junit';
import type { CertificationPlan } from './plan';
import { profileOnCertificate, type RunProfile } from './profile';
import type { RunResults, TerminalIdentity } from './results';
import type { OutputPaths } from './run-output';
import { loadSecrets, scanDirectory, type ScanReport } from './sensitive-scan';
import { judge, type RunScope } from './verdict';

function poscertVersion(root: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
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

export interface FinishInput {
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
export async function finishRun(input: FinishInput): Promise<Omit<CertifyOutcome, 'timings' | 'cucumber'> & { allureMs: number; scanMs: number }> {
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
      startedAt: results.startedAt,
      finishedAt: results.finishedAt,
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
  // The scan covers everything written, the report included. Allure's generation is a Java child
  // process, so the scan of what is already written (all but the report) runs while it generates;
  // then what was written since it started (the report, the rewritten documents) is scanned.
  // Findings change the verdict, so the documents are rewritten and the report generated again to
  // show it (the rare, failing path).
  let scanMs = 0;
  let scan: ScanReport;
  const timedScan = (opts: { since?: number; skip?: string }) => {
    const t0 = Date.now();
    const r = scanDirectory(p.dir, secrets, opts);
    scanMs += Date.now() - t0;
    return r;
  };
  if (!input.skipReport) {
    carryHistory(p.allureReport, p.allureResults);
    const generationStarted = Date.now();
    const generating = generate();
    const before = timedScan({ since: input.startedAt, skip: p.allureReport });
    await generating;
    writeDocs();
    const after = timedScan({ since: Math.max(input.startedAt, generationStarted) });
    scan = mergeScans(before, after);
  } else {
    scan = timedScan({ since: input.startedAt });
  }
  applyScanFindings(doc, scan);
  writeDocs();
  if (scan.findings.length && reportGenerated) await generate();

  return { certificate: doc, paths: p, exitCode: doc.exitCode, reportGenerated, reportNote, scan, allureMs, scanMs };
}

/** Two scans of one folder as one report: a finding in a file scanned twice (rewritten meanwhile) counts once. */
function mergeScans(first: ScanReport, second: ScanReport): ScanReport {
  const key = (f: ScanReport['findings'][number]) => `${f.file}\u0000${f.offset}\u0000${f.kind}`;
  const seen = new Set(second.findings.map(key));
  return {
    filesScanned: first.filesScanned + second.filesScanned,
    bytesScanned: first.bytesScanned + second.bytesScanned,
    findings: [...first.findings.filter((f) => !seen.has(key(f))), ...second.findings],
  };
}
