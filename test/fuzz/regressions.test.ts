/**
 * Crashes found by `npm run fuzz`, each kept as a regression test with the input that found it
 * (minimised by hand) and the module it was fixed in.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostConfigError, loadHostConfig } from '../../host';

const ROOT = path.join(__dirname, '..', '..');

describe('fuzzing regressions', () => {
  // host config yaml, seed 20261203: a value replaced by `*a` (an alias whose anchor is nowhere)
  // parsed without a syntax error, then the yaml library threw a ReferenceError from toJS() that
  // escaped loadHostConfig untyped. Fixed in host/config.ts (readSource).
  test('host config: an alias without its anchor is a HostConfigError naming the file, not a ReferenceError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-fuzz-regression-'));
    try {
      for (const f of ['merchants.yaml', 'cards.yaml', 'issuer-rules.yaml']) fs.copyFileSync(path.join(ROOT, 'scenarios', f), path.join(dir, f));
      const cards = path.join(dir, 'cards.yaml');
      fs.writeFileSync(cards, fs.readFileSync(cards, 'utf8').replace(/openingBalance:\s*[^,}\n]+/, 'openingBalance: *a'));
      let caught: unknown;
      try {
        loadHostConfig(dir);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(HostConfigError);
      const e = caught as HostConfigError;
      expect(e.problems[0].file).to.equal(cards);
      expect(e.message).to.include('alias').and.include('anchor');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
