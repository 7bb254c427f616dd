#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI through ts-node (transpile-only): no build step, so a fresh clone works after `npm ci`.
const path = require('node:path');
require('ts-node').register({ transpileOnly: true, project: path.join(__dirname, '..', 'tsconfig.json') });
require('../cli/main')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`poscert: internal error: ${err && err.stack ? err.stack : err}`);
      process.exitCode = 3;
    },
  );
