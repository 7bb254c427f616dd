#!/usr/bin/env node
'use strict';
// Collects test/**/*.test.ts and runs them with node's test runner under ts-node (transpile-only).
// Node 20's --test takes no glob patterns, so the file list is built here.
// Usage: node scripts/run-tests.js [filter-substring ...]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk(path.join(root, 'test'), [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`run-tests: no test files match ${filters.join(' ') || 'test/**/*.test.ts'}`);
  process.exit(1);
}
// Two files at a time: Node's default (cores - 1) runs them one by one on a 2-core machine, where the
// long files (real terminals on PTYs, self-certification) mostly wait on serial lines, sockets and
// timers; two at once took npm test from 10.4 to 7.2 minutes with every test passing. Every test uses
// its own ports, PTYs and temporary folders, so files do not share state. POSCERT_TEST_CONCURRENCY=1
// runs them one by one again (to tell a timing problem from a real one).
const concurrency = process.env.POSCERT_TEST_CONCURRENCY || '2';
const result = spawnSync(
  process.execPath,
  ['--require', 'ts-node/register/transpile-only', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
);
process.exit(result.status === null ? 1 : result.status);
