/**
 * 管理 (management, sub-menu 9): 1.签到, 2.交易汇总, 3.语言/LANGUAGE, 4.参数下载, 5.回响测试
 * (0820 60.3 301), 6.签退 (0820 60.3 002). Each leaves its own result screen (no ECR reply), so
 * `run` returns undefined. The host exchanges are in services/management.ts.
 */
import { T, kindLabel, responseText } from '../texts';
import { Flow } from './types';

export const signOn: Flow = {
  name: 'sign-on',
  menu: { key: '1', label: kindLabel('sign-on'), under: 'manage' },
  defects: ['kcv-not-checked', 'tamper-ignored', 'ic-params-not-downloaded-on-flag', 'operator-not-in-sign-on', 'list-request-never-cleared'],
  async run({ core, ui, management }) {
    // 操作员签到 first, where the profile declares it: a refused operator leaves the terminal as it was.
    if (!(await management.operatorLogon())) return undefined;
    core.state.signedOn = false;
    if (await management.signOn(true)) await ui.waitAnyKey();
    return undefined;
  },
};

export const batchSummary: Flow = {
  name: 'summary',
  menu: { key: '2', label: T.summary, under: 'manage' },
  defects: [],
  async run({ ui, transactions }) {
    ui.show('summary', 'result', [ui.t(T.summary), ...transactions.totalsLines(transactions.totals())]);
    await ui.waitAnyKey();
    return undefined;
  },
};

export const language: Flow = {
  name: 'language',
  menu: { key: '3', label: T.language, under: 'manage' },
  defects: [],
  async run({ core }) {
    core.state.config.language = core.state.config.language === 'zh-CN' ? 'en' : 'zh-CN';
    core.persist();
    return undefined;
  },
};

export const parameterDownload: Flow = {
  name: 'parameter-download',
  menu: { key: '4', label: kindLabel('parameter-download'), under: 'manage' },
  defects: [],
  async run({ management }) {
    if (await management.ensureSignedOn()) await management.downloadParameters(true);
    return undefined;
  },
};

export const echoTest: Flow = {
  name: 'echo',
  menu: { key: '5', label: kindLabel('echo'), under: 'manage' },
  defects: [],
  async run({ ui, management }) {
    ui.show('echo-test', 'x-echo-test', [ui.t(kindLabel('echo')), ui.t(T.connecting)]);
    const got = await management.networkNotice('echo');
    const ok = 'responseCode' in got && got.responseCode === '00';
    const lines = [ui.t(kindLabel('echo')), ok ? ui.t(T.echoOk) : ui.t(T.commError)];
    if (!ok) lines.push('why' in got ? ui.t(got.why) : `${ui.t(responseText(got.responseCode))} [${got.responseCode}]`);
    ui.show(ok ? 'echo-ok' : 'echo-failed', 'result', lines);
    ui.beep(ok ? 'ok' : 'error');
    await ui.waitAnyKey();
    return undefined;
  },
};

/**
 * 签退: once the host has acknowledged it the working keys are dropped and the terminal needs 签到
 * before its next transaction. A refused or unanswered sign-off leaves the terminal signed on
 * (the host still holds its keys).
 */
export const signOff: Flow = {
  name: 'sign-off',
  menu: { key: '6', label: kindLabel('sign-off'), under: 'manage' },
  defects: [],
  async run({ core, ui, management }) {
    if (!core.state.signedOn) {
      ui.show('sign-off-failed', 'result', [ui.t(T.signOffFailed), ui.t(T.notSignedOn)]);
      ui.beep('error');
    } else {
      ui.show('sign-off', 'x-signing-off', [ui.t(kindLabel('sign-off')), ui.t(T.signingOff)]);
      const got = await management.networkNotice('sign-off');
      if ('responseCode' in got && got.responseCode === '00') {
        core.state.signedOn = false;
        core.state.ped.workingKeys = undefined;
        core.keys = undefined;
        core.persist();
        ui.show('sign-off-ok', 'result', [ui.t(T.signOffOk), ui.t(T.notSignedOn)]);
        ui.beep('ok');
      } else {
        const why = 'why' in got ? ui.t(got.why) : `${ui.t(responseText(got.responseCode))} [${got.responseCode}]`;
        ui.show('sign-off-failed', 'result', [ui.t(T.signOffFailed), why]);
        ui.beep('error');
      }
    }
    await ui.waitAnyKey();
    return undefined;
  },
};
