#!/usr/bin/env node
'use strict';
// Several plan runs (scripts/plan-run.ts runPlans) in ONE process: cucumber's programmatic API loads the
// configuration and the support code (ts-node + every step file and the modules they import) once, then
// runs each job in turn with its own environment (POSCERT_TERMINAL, POSCERT_DEFECTS), tags, fail-fast and
// message stream. A job is as isolated as a run of its own where it matters: the lab (host, database,
// emulated terminal) is started by the job's first scenario from that job's environment and stopped by
// AfterAll (steps/support/lab.ts), so no terminal, host or defect outlives its job. What the jobs share is
// only loaded code, which is what a separate process per run paid for again and again (≈ 3 s of CPU each).
//
// Usage (by runPlans, not by hand): node scripts/plan-batch.js JOBS.json
//   JOBS.json: { "profile": "test", "lang": "en", "jobs": [{ "tags": "(@CUP-X)", "failFast": true,
//                "env": { "POSCERT_TERMINAL": "...", "POSCERT_DEFECTS": "..." }, "messages": "/tmp/…/0.ndjson" }] }
// Prints one JSON line per finished job on stdout: { "index", "success", "durationMs" } (or "error").
const fs = require('node:fs');
const path = require('node:path');
const { Writable } = require('node:stream');

const root = path.join(__dirname, '..');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  // cucumber.js reads POSCERT_LANG when it is loaded: every job of a batch has the batch's language.
  process.env.POSCERT_LANG = spec.lang;
  const { loadConfiguration, loadSupport, runCucumber } = require('@cucumber/cucumber/api');
  const environment = { cwd: root, stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: process.stderr };
  const { runConfiguration } = await loadConfiguration({ profiles: [spec.profile] }, environment);
  const support = await loadSupport(runConfiguration, environment);
  const profileTags = runConfiguration.sources.tagExpression;
  for (const [index, job] of spec.jobs.entries()) {
    Object.assign(process.env, job.env);
    const started = Date.now();
    try {
      const { success } = await runCucumber(
        {
          ...runConfiguration,
          support,
          sources: { ...runConfiguration.sources, tagExpression: profileTags ? `(${profileTags}) and ${job.tags}` : job.tags },
          formats: { ...runConfiguration.formats, stdout: 'summary', files: { [job.messages]: 'message' } },
          runtime: { ...runConfiguration.runtime, failFast: Boolean(job.failFast) },
        },
        environment,
      );
      process.stdout.write(JSON.stringify({ index, success, durationMs: Date.now() - started }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ index, error: String((err && err.stack) || err), durationMs: Date.now() - started }) + '\n');
    }
  }
}

main().then(
  // As cucumber's forceExit: a lab's stray timer must not keep the batch alive.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
