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
// Two phases. First every file but the real-path end-to-end ones, two files at a time: Node's default
// (cores - 1) runs them one by one on a 2-core machine, where the long ones (self-certification, host
// soaks in miniature) mostly wait on sockets and timers; two at once took npm test from 10.4 to about
// 7.2 minutes. Then test/e2e/ alone, one file at a time: those drive standalone terminal processes on
// PTYs and ser2net as a user does, and a terminal process starved of CPU by a test file beside it once
// answered late enough to break a whole run. Every test uses its own ports, PTYs and temporary folders.
// POSCERT_TEST_CONCURRENCY=1 runs the first phase one by one too (to tell a timing problem from a real one).
const concurrency = process.env.POSCERT_TEST_CONCURRENCY || '2';
const isolated = files.filter((f) => f.startsWith(path.join('test', 'e2e') + path.sep));
const phases = [
  { files: files.filter((f) => !isolated.includes(f)), concurrency },
  { files: isolated, concurrency: '1' },
].filter((p) => p.files.length > 0);
let status = 0;
for (const phase of phases) {
  const result = spawnSync(
    process.execPath,
    ['--require', 'ts-node/register/transpile-only', '--test', `--test-concurrency=${phase.concurrency}`, '--test-reporter=spec', ...phase.files],
    { cwd: root, stdio: 'inherit', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
  );
  if (result.status !== 0) status = result.status === null ? 1 : result.status;
}
process.exit(status);
