import { test, describe } from 'node:test';
import { expect } from 'chai';
import { RunSettingsError, readRunSettings, workerTerminalId } from '../../steps/support/settings';

describe('run settings', () => {
  test('defaults: the emulator, English, worker 0 uses terminal 10000001', () => {
    const s = readRunSettings({});
    expect(s).to.include({ terminal: 'emulator', lang: 'en', plan: 'unionpay-pos', terminalId: '10000001' });
    expect(s.defects).to.deep.equal([]);
  });

  test('certify\'s environment: terminal, defects, language, plan; profile parameters for timeouts', () => {
    const s = readRunSettings({ POSCERT_DEFECTS: 'wrong-mac, stan-not-incremented', POSCERT_LANG: 'zh-CN', POSCERT_PLAN: 'p', CUCUMBER_WORKER_ID: '1' },
      { screenTimeoutMs: 3000, hostResponseTimeoutMs: 600 });
    expect(s).to.include({ lang: 'zh-CN', plan: 'p', terminalId: '10000002', screenTimeoutMs: 3000, hostResponseTimeoutMs: 600 });
    expect(s.defects).to.deep.equal(['wrong-mac', 'stan-not-incremented']);
  });

  test('bad settings are refused with what to do', () => {
    expect(() => readRunSettings({ POSCERT_LANG: 'fr' })).to.throw(RunSettingsError, /POSCERT_LANG must be en or zh-CN/);
    expect(() => readRunSettings({ POSCERT_TERMINAL: 'serial:/dev/ttyUSB0', POSCERT_DEFECTS: 'wrong-mac' })).to.throw(RunSettingsError, /emulator defects/);
    expect(() => readRunSettings({ POSCERT_SCREEN_TIMEOUT_MS: '-5' })).to.throw(RunSettingsError, /positive number/);
    expect(() => workerTerminalId('8')).to.throw(RunSettingsError, /--parallel 8/);
    expect(workerTerminalId('7')).to.equal('10000008');
  });
});
