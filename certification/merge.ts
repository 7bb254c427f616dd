/**
 * `poscert merge`: combines the output folders of several shards' (or machines') runs into one
 * Allure report and one certificate, refusing runs of different plans or terminals. Split out of
 * certification/certify.ts (issue 11: no file over 500 lines); certify.ts re-exports mergeRuns.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CertifyOutcome } from './certify';
import { CertifyOptionError, RunDirectoryError } from './errors';
import { finishRun } from './finish';
import { loadPlan } from './plan';
import { collectResults } from './results';
import { MESSAGES_FILE, checkOutputFolder, clearPreviousRun, defaultSecretFiles, newRunId, outputPaths, type RunManifest } from './run-output';

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
        throw new RunDirectoryError(`${d} is not the output folder of a poscert certify run: ${path.basename(need)} is missing`, {
          dir: d,
          missing: need,
        });
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
      throw new RunDirectoryError(
        `runs of different plans cannot be merged: ${runs[0].dir} ran ${first.plan.name} ${first.plan.version}, ` +
          `${r.dir} ran ${r.manifest.plan.name} ${r.manifest.plan.version}`,
        { dirs: o.dirs },
      );
    }
    const a = (first.terminal.capabilities ?? []).slice().sort().join(',');
    const b = (r.manifest.terminal.capabilities ?? []).slice().sort().join(',');
    if (a !== b || first.terminal.model !== r.manifest.terminal.model || first.terminal.firmware !== r.manifest.terminal.firmware) {
      throw new RunDirectoryError(
        `runs of different terminals cannot be merged into one certificate: ${runs[0].dir} ran ` +
          `${first.terminal.model} ${first.terminal.firmware} [${a}], ${r.dir} ran ${r.manifest.terminal.model} ${r.manifest.terminal.firmware} [${b}]`,
        { dirs: o.dirs },
      );
    }
  }
  const plan = loadPlan(o.plan ?? first.plan.source ?? first.plan.name, o.root);
  if (plan.version !== first.plan.version) {
    throw new RunDirectoryError(
      `the runs used plan ${first.plan.name} version ${first.plan.version}, but ${plan.source} is version ${plan.version}`,
      { dirs: o.dirs },
    );
  }

  const out = outputPaths(path.resolve(o.root, o.outDir));
  checkOutputFolder(out.dir, o.root);
  const outIsInput = runs.some((r) => r.dir === out.dir);
  if (outIsInput) throw new CertifyOptionError(`--out ${o.outDir} is one of the runs being merged; choose another folder`, { out: o.outDir });
  fs.mkdirSync(out.dir, { recursive: true });
  clearPreviousRun(out);
  fs.mkdirSync(out.allureResults, { recursive: true });

  // One message stream per run; the merged stream file keeps them for the record.
  const streams = runs.map((r, i) => ({
    text: fs.readFileSync(r.paths.messages, 'utf8'),
    source: `${path.relative(o.root, r.dir) || r.dir}/${MESSAGES_FILE}`,
    index: i,
  }));
  const results = collectResults(streams.map((s) => ({ text: s.text, source: s.source })));
  fs.writeFileSync(out.messages, streams.map((s) => (s.text.endsWith('\n') || s.text === '' ? s.text : `${s.text}\n`)).join(''));

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
    runId,
    root: o.root,
    paths: out,
    plan,
    identity: { ...first.terminal },
    profile: first.profile,
    scope: { kind: 'full' },
    startedAt: mergeStarted,
    results,
    options: { ...first.options, shard: undefined, parallel: first.options.parallel },
    secretFiles: o.secretFiles ?? defaultSecretFiles(o.root),
    skipReport: o.skipReport,
    log,
    align: [],
  });
  const manifest: RunManifest = {
    runId,
    plan: { name: plan.name, version: plan.version, source: plan.source },
    terminal: first.terminal,
    options: merged.certificate.options,
    scope: { kind: 'full' },
    applicableCases: [...new Set(runs.flatMap((r) => r.manifest.applicableCases))],
    startedAt: results.startedAt ?? new Date().toISOString(),
    finishedAt: new Date().toISOString(),
  };
  fs.writeFileSync(
    out.manifest,
    `${JSON.stringify({ ...manifest, mergedFrom: runs.map((r) => ({ dir: path.relative(o.root, r.dir) || r.dir, runId: r.manifest.runId, shard: r.manifest.scope.shard })) }, null, 2)}\n`,
  );
  return merged;
}
