/**
 * Terminal management with the host (cup8583.md §3.2–3.4): 签到 (working keys under the TMK,
 * checked against their check values), 参数下载 (the 360 parameter block), the 0820 notices
 * (echo test, sign-off), and what a reply header asks for after a transaction (sign on again,
 * download parameters, the IC lists of services/ic-parameters.ts, the blacklist and contactless
 * parameters of services/terminal-lists.ts). Boot and the 管理 flows both use these. Defect: kcv-not-checked.
 */
import { KeyCheckValueError, WorkingKeyLayout, WorkingKeys, desEcbDecrypt, sm4EcbDecrypt, unwrapWorkingKeys } from '../../crypto';
import { decodeParameterBlock, parseField60, responseMtiOf } from '../../protocol/iso8583';
import { Bilingual, T, kindLabel, responseText } from '../texts';
import type { SessionCore } from './core';
import { IcParameters } from './ic-parameters';
import { TerminalLists } from './terminal-lists';
import type { Online } from './online';
import type { Requests } from './requests';
import type { Ui } from './ui';

export class Management {
  /** IC parameter and public-key lists (cup8583.md §3.5). */
  readonly ic: IcParameters;
  /** Card blacklist (390) and contactless parameters (394). */
  readonly lists: TerminalLists;

  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly requests: Requests,
    private readonly online: Online,
  ) {
    this.ic = new IcParameters(core, ui, requests, online);
    this.lists = new TerminalLists(core, ui, requests, online);
  }

  /** Working keys from a sign-on's field 62 under the TMK; throws KeyCheckValueError unless kcv-not-checked. */
  unwrapKeys(layout: WorkingKeyLayout, f62: Buffer): WorkingKeys | undefined {
    const tmk = Buffer.from(this.core.state.ped.tmk!, 'hex');
    const scheme = this.core.state.ped.keyScheme;
    try {
      return unwrapWorkingKeys(tmk, f62, layout, scheme);
    } catch (e) {
      if (e instanceof KeyCheckValueError && this.core.defect('kcv-not-checked')) {
        // Defective firmware: decrypt the keys without looking at their check values.
        const dec = (b: Buffer) => (scheme === 'sm4' ? sm4EcbDecrypt(tmk, b) : desEcbDecrypt(tmk, b));
        const pikLen = layout === '001' ? 8 : 16;
        const macAt = layout === '001' ? 12 : 20;
        const makCipher = f62.subarray(macAt, macAt + (layout === '001' || scheme !== 'sm4' ? 8 : 16));
        return { pik: dec(f62.subarray(0, pikLen)), mak: dec(makCipher) };
      }
      throw e;
    }
  }

  /** The keys of the last good sign-on, from the state file (at power-on). */
  restoreKeys(): void {
    const { state } = this.core;
    if (state.signedOn && state.ped.tmk && state.ped.workingKeys) {
      this.core.keys = this.unwrapKeys(state.ped.workingKeys.layout, Buffer.from(state.ped.workingKeys.f62, 'hex'));
    }
  }

  /**
   * 操作员签到 before a sign-on from the menu, when the profile declares an operator logon: 操作员号 and its
   * password; a wrong password is refused on screen and nothing is sent (false), the terminal staying as it
   * was. The operator is kept for the sign-on and settlement F63 and the vouchers.
   */
  async operatorLogon(): Promise<boolean> {
    const { core, ui } = this;
    const declared = core.host.profile.profile.operatorLogon;
    if (!declared) return true;
    const title = kindLabel('sign-on');
    const operator = await ui.enterDigits(title, T.operatorNumber, 'operator-number', { min: 2, max: 2 });
    const password = await ui.enterDigits(title, T.operatorPassword, 'operator-password', { min: 4, max: 8, mask: true });
    if (operator !== declared.operator || password !== declared.password) {
      ui.refuse([ui.t(title), ui.t(T.failed), ui.t(T.operatorWrong)], { reason: 'operator-password' });
      await ui.waitAnyKey();
      return false;
    }
    core.state.operator = operator;
    core.persist();
    return true;
  }

  /** 签到 (0800/0810): new working keys under the TMK, checked against their check values. */
  async signOn(interactive: boolean): Promise<boolean> {
    const { core, ui } = this;
    if (core.tampered) return false;
    ui.show('sign-on', 'signing-on', [ui.t(kindLabel('sign-on')), ui.t(T.signingOn)]);
    const fail = async (why: Bilingual, extra?: string, keepKeys = false) => {
      if (!keepKeys) {
        core.state.signedOn = false;
        core.keys = undefined;
        core.persist();
      }
      const lines = [ui.t(T.signOnFailed), ui.t(why)];
      if (extra) lines.push(extra);
      ui.show('sign-on-failed', interactive ? 'result' : 'sign-on-required', lines);
      ui.beep('error');
      if (interactive) await ui.waitAnyKey();
      return false;
    };
    const layout: WorkingKeyLayout = '004';
    const msg = this.requests.request('sign-on', { networkCode: layout });
    // 63.1 = the operator + space (cup8583.md §2.6, §3.2); the defect keeps the default operator, not who logged on.
    msg.set(63, `${core.defect('operator-not-in-sign-on') ? core.host.operator : core.operator} `);
    const got = await this.online.exchangeAlone(msg);
    if (!got) return fail(T.commError, undefined, true);
    if ('error' in got) return fail(this.online.linkFailure(got.error));
    const reply = got.reply;
    const code = reply.getString(39) ?? '';
    if (reply.mti !== responseMtiOf(msg.mti) || code !== '00') {
      const rt = responseText(code);
      return fail({ zh: rt.zh, en: rt.en }, code ? `[${code}]` : undefined);
    }
    const f62 = reply.getBuffer(62);
    const replyLayout = (() => {
      try {
        return parseField60(reply.getString(60) ?? '').networkCode;
      } catch {
        return layout;
      }
    })();
    const useLayout = (['001', '003', '004'].includes(replyLayout) ? replyLayout : layout) as WorkingKeyLayout;
    if (!f62) return fail(T.kcvMismatch);
    let keys: WorkingKeys | undefined;
    try {
      keys = this.unwrapKeys(useLayout, f62);
    } catch (e) {
      core.host.log(`sign-on: ${(e as Error).message}`);
      return fail(T.kcvMismatch, ui.t(T.checkTmk));
    }
    core.keys = keys;
    this.online.noteRequirement(got.header);
    core.needSignOn = false;
    core.state.ped.workingKeys = { layout: useLayout, f62: f62.toString('hex').toUpperCase() };
    core.state.signedOn = true;
    try {
      const batch = parseField60(reply.getString(60) ?? '').batchNumber;
      if (core.state.batch.length === 0 && /^\d{6}$/.test(batch) && batch !== '000000') core.state.counters.batchNumber = batch;
    } catch {
      /* keep ours */
    }
    core.persist();
    // Then the IC lists when not loaded or asked for (LY: after 签到成功, before the terminal is used).
    const icLoaded = this.ic.wanted().length === 0 || (await this.ic.download());
    // Then the blacklist and the contactless parameters, the same way (digit 7 / 9 or not held).
    const listsLoaded = this.lists.wanted().length === 0 || (await this.lists.download());
    // Interactive (管理 → 签到): a result screen left by a key; at boot: a passing screen on the way to idle.
    ui.show('sign-on-ok', interactive ? 'result' : 'signing-on', [
      ui.t(T.signOnOk),
      `${ui.t(T.batchNo)}${core.state.counters.batchNumber}`,
      ...(icLoaded ? [] : [ui.t(T.icDownloadFailed)]),
      ...(listsLoaded ? [] : [ui.t(T.listDownloadFailed)]),
    ]);
    ui.beep('ok');
    await ui.pause(800);
    return true;
  }

  async ensureSignedOn(): Promise<boolean> {
    if (this.core.state.signedOn && this.core.keys) return true;
    return this.signOn(false);
  }

  /** After a transaction: what the last reply header asked for (sign on again, parameters). */
  async actOnRequirements(): Promise<void> {
    const core = this.core;
    if (core.needSignOn) {
      core.needSignOn = false;
      core.state.signedOn = false;
      core.persist();
      if (core.host.autoSignOn) await this.signOn(false);
    }
    if (core.needParameters && core.state.signedOn) await this.downloadParameters(false);
    if (core.state.signedOn && this.ic.wanted().length > 0) await this.downloadIcLists();
    if (core.state.signedOn && this.lists.wanted().length > 0 && !(await this.lists.download())) {
      this.ui.show('list-download-failed', 'online', [this.ui.t(T.listDownloadFailed)]);
      this.ui.beep('error');
      await this.ui.pause(800);
    }
  }

  /** The IC lists on their own (after a transaction whose reply asked, or when not loaded): a passing screen on failure. */
  async downloadIcLists(): Promise<boolean> {
    const ok = await this.ic.download();
    if (!ok) {
      this.ui.show('ic-download-failed', 'online', [this.ui.t(T.icDownloadFailed)]);
      this.ui.beep('error');
      await this.ui.pause(800);
    }
    return ok;
  }

  /**
   * 参数下载 (0800, 60.3 = 360): field 62 is a list of 2-digit id + fixed-length value (cup8583.md
   * §3.4). The merchant name (22) is taken over for vouchers; timeouts and retry counts are kept
   * for the record only (the lab's configured timeouts stay in force).
   */
  async downloadParameters(interactive: boolean): Promise<boolean> {
    const { core, ui } = this;
    core.needParameters = false;
    ui.show('param-download', 'x-parameter-download', [ui.t(kindLabel('parameter-download')), ui.t(T.downloading)]);
    const done = async (ok: boolean, why?: Bilingual): Promise<boolean> => {
      const lines = [ui.t(ok ? T.paramOk : T.paramFailed), ...(why ? [ui.t(why)] : [])];
      ui.show(ok ? 'param-ok' : 'param-failed', interactive ? 'result' : 'x-parameter-download', lines);
      ui.beep(ok ? 'ok' : 'error');
      if (interactive) await ui.waitAnyKey();
      return ok;
    };
    const msg = this.requests.request('parameter-download');
    msg.set(63, `${core.operator} `);
    const got = await this.online.exchangeAlone(msg);
    if (!got) return done(false, T.commError);
    if ('error' in got) return done(false, this.online.linkFailure(got.error));
    // What its reply asks next (digit 4 / 5 / 7 / 9 once the parameters are in) is done after it.
    this.online.noteRequirement(got.header);
    const code = got.reply.getString(39);
    const f62 = got.reply.getBuffer(62);
    if (got.reply.mti !== responseMtiOf(msg.mti) || code !== '00' || !f62)
      return done(false, code ? { zh: responseText(code).zh, en: responseText(code).en } : T.responseMismatch);
    const params = decodeParameterBlock(f62);
    if (!params) return done(false, T.responseMismatch);
    core.state.parameters = params;
    if (params['22']) core.state.config.merchantName = params['22'];
    core.persist();
    return done(true);
  }

  /**
   * A network-management notice (0820/0830, cup8583.md §3.3): F11, F41, F42, F60 = 00 + batch +
   * code (301 echo test, 002 sign-off); no MAC. Returns F39, or the reason nothing usable came back.
   */
  async networkNotice(kind: 'echo' | 'sign-off'): Promise<{ responseCode: string } | { why: Bilingual }> {
    const msg = this.requests.request(kind);
    const got = await this.online.exchangeAlone(msg);
    if (!got) return { why: T.commError };
    if ('error' in got) return { why: this.online.linkFailure(got.error) };
    const rc = got.reply.getString(39);
    if (got.reply.mti !== responseMtiOf(msg.mti) || rc === undefined) return { why: T.responseMismatch };
    return { responseCode: rc };
  }
}
