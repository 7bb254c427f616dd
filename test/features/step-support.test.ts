import { test, describe } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunSettingsError, readRunSettings, workerTerminalId } from '../../steps/support/settings';

describe('run settings', () => {
  test('defaults: the emulator, English, worker 0 uses terminal 10000001', () => {
    const s = readRunSettings({});
    expect(s).to.include({ terminal: 'emulator', lang: 'en', plan: 'unionpay-pos', terminalId: '10000001' });
    expect(s.defects).to.deep.equal([]);
  });

  test("certify's environment: terminal, defects, language, plan; profile parameters for timeouts", () => {
    const s = readRunSettings(
      { POSCERT_DEFECTS: 'wrong-mac, stan-not-incremented', POSCERT_LANG: 'zh-CN', POSCERT_PLAN: 'p', CUCUMBER_WORKER_ID: '1' },
      { screenTimeoutMs: 3000, hostResponseTimeoutMs: 600 },
    );
    expect(s).to.include({ lang: 'zh-CN', plan: 'p', terminalId: '10000002', screenTimeoutMs: 3000, hostResponseTimeoutMs: 600 });
    expect(s.defects).to.deep.equal(['wrong-mac', 'stan-not-incremented']);
  });

  test('bad settings are refused with what to do', () => {
    expect(() => readRunSettings({ POSCERT_LANG: 'fr' })).to.throw(RunSettingsError, /POSCERT_LANG must be en or zh-CN/);
    expect(() => readRunSettings({ POSCERT_TERMINAL: 'serial:/dev/ttyUSB0', POSCERT_DEFECTS: 'wrong-mac' })).to.throw(
      RunSettingsError,
      /emulator defects/,
    );
    expect(() => readRunSettings({ POSCERT_SCREEN_TIMEOUT_MS: '-5' })).to.throw(RunSettingsError, /positive number/);
    expect(() => workerTerminalId('8')).to.throw(RunSettingsError, /--parallel 8/);
    expect(workerTerminalId('7')).to.equal('10000008');
  });
});

/**
 * Steps stay a few lines (issue 11): code lines of steps/*.steps.ts (not blank, not comments, not
 * imports) per step definition (each `step([...], …)`), its phrase line, closing line and the
 * file's helpers included.
 */
function stepSize(dir: string): { definitions: number; codeLines: number; bodyLines: number } {
  let definitions = 0;
  let codeLines = 0;
  let bodyLines = 0;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.steps.ts'))) {
    const lines = fs.readFileSync(path.join(dir, f), 'utf8').split('\n');
    let inImport = false;
    let inBody = false;
    for (const l of lines) {
      const t = l.trim();
      if (/^(step|byHand)\(/.test(t)) {
        definitions++;
        inBody = true;
      } else if (inBody && /^\}?\);$/.test(l)) inBody = false; // '});', or '},' then ');' when prettier breaks the call
      if (/^import\b/.test(t)) inImport = !/from '.*';$|^import '.*';$/.test(t);
      else if (inImport) {
        if (/from '.*';$/.test(t)) inImport = false;
        continue;
      }
      if (!t || t.startsWith('//') || t.startsWith('*') || t.startsWith('/**') || /^import\b/.test(t)) continue;
      codeLines++;
      if (inBody) bodyLines++;
    }
  }
  return { definitions, codeLines, bodyLines };
}

describe('step definitions', () => {
  test('stay at most 6 code lines each on average, helpers included', () => {
    const { definitions, codeLines, bodyLines } = stepSize(path.join(__dirname, '..', '..', 'steps'));
    const average = codeLines / definitions;
    console.log(`steps: ${definitions} definitions, ${codeLines} code lines (${bodyLines} in step bodies): ${average.toFixed(2)} lines per step`);
    expect(definitions).to.be.greaterThan(100);
    expect(average).to.be.at.most(6);
  });
});
