/**
 * The terminal's online side: the TCP line to the host (one connection per online session), the
 * request MAC, the reversal record and its sending (cup8583.md §3.8), and `authorize`, the online
 * step every financial flow shares: pending reversal first, STAN, MAC, reversal record on disk
 * before the request leaves, then the reply checks (MTI, F3, F11, F41, F42, F4, MAC, ARPC).
 * After an approved chip reply carrying issuer scripts (71 / 72) the card runs them and the terminal
 * reports the results (DF31) in a 0620 notice (60.3 951) on the same line; when the transaction is
 * reversed instead, DF31 goes in the reversal's F55 (cup8583.md §3.8, §3.11). A paperless terminal's
 * e-signature upload (0820 60.3 800, 电签) is kept on disk until the host answers it and goes before
 * the next online transaction or settlement (uploadSignature).
 * Defects that bite here: wrong-mac, no-reversal-after-timeout, reversal-sent-twice,
 * response-mac-not-verified, reply-mti-not-checked, script-result-not-sent, e-signature-wrong-trace,
 * list-request-in-reply-ignored (digit 7 of a transaction reply dropped), swipe-reply-mac-not-reversed (no
 * reversal of a swiped request whose reply fails its MAC) (and reversal-lost-on-power-cut, in SessionCore.persist).
 */
import type * as net from 'node:net';
import { maskPan } from '../../crypto';
import {
  CupFrame,
  CupHeader,
  IsoMessage,
  TransactionKind,
  applyMac,
  computeMessageMac,
  formatField60,
  formatField61,
  requestTemplate,
  responseMtiOf,
  transactionSpec,
  verifyMac,
} from '../../protocol/iso8583';
import { issuerScriptsOf, scriptResultField55, withScriptResults, type IssuerScript, type ScriptResult } from '../../protocol/iso8583/issuer-script';
import { HostLinkError } from '../errors';
import { HostAddress, HostChannel, HostLine, HostSession, parseHostUrl } from '../host-link';
import { HttpsHostSession } from '../https-link';
import { FinalCryptogram, reversalField55, withFinalCryptogram } from '../icc';
import { PowerLost } from '../inputs';
import type { PendingReversal, StoredField } from '../state-store';
import { Bilingual, T, formatAmount } from '../texts';
import { renderFaultSlip } from '../voucher';
import type { CardRead } from './card-reader';
import type { SessionCore } from './core';
import type { Requests } from './requests';
import type { Ui } from './ui';

export interface OnlineOutcome {
  reply?: IsoMessage;
  header?: CupHeader;
  /** Shown to the operator when the exchange did not give a usable answer. */
  failure?: Bilingual;
  approved: boolean;
  responseCode?: string;
  /** The card's TC from the second GENERATE AC (an inserted chip card the host approved). */
  tc?: FinalCryptogram;
}

/** Kinds whose chip records go up in the batch upload (TC / failed IC, cup8583.md §3.10). */
export const IC_RECORD_KINDS = ['sale', 'preauth-completion', 'bill-payment'] as const;

export type Exchanged = { reply: IsoMessage; header: CupHeader } | { error: HostLinkError };

const SUCCESS_CODES: ReadonlySet<string> = new Set(['00', '10', '11', 'A2', 'A4', 'A5', 'A6']);

function toStored(msg: IsoMessage): Record<string, StoredField> {
  const out: Record<string, StoredField> = {};
  for (const n of msg.fieldNumbers()) {
    const v = msg.get(n)!;
    out[String(n)] = typeof v === 'string' ? { s: v } : { b: v.toString('hex').toUpperCase() };
  }
  return out;
}

function fromStored(mti: string, fields: Record<string, StoredField>): IsoMessage {
  const msg = new IsoMessage(mti);
  for (const [n, v] of Object.entries(fields)) msg.set(Number(n), 's' in v ? v.s : Buffer.from(v.b, 'hex'));
  return msg;
}

export class Online {
  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly requests: Requests,
  ) {}

  private hostAddress(): HostAddress {
    if (!this.core.state.config.hostUrl)
      throw new HostLinkError('connect', 'no host address configured (EmulatorOptions.hostUrl or TTP config host)');
    return parseHostUrl(this.core.state.config.hostUrl);
  }

  private async openHost(): Promise<HostChannel> {
    const core = this.core;
    core.alive();
    core.inputs.markBlocked();
    const track = (s: net.Socket) => {
      core.sockets.add(s);
      if (core.dead) s.destroy();
      return () => core.sockets.delete(s);
    };
    const address = this.hostAddress();
    const session: HostChannel = address.https
      ? await HttpsHostSession.connect(
          address,
          {
            caPem: core.state.config.hostCaPem,
            verify: !core.defect('tls-verification-off'),
            ...(core.defect('public-network-wrong-content-type') ? { contentType: 'application/octet-stream' } : {}),
          },
          core.host.timeouts.hostConnectMs,
          track,
        )
      : await HostSession.connect(address, core.host.timeouts.hostConnectMs, track);
    core.alive();
    return session;
  }

  /** A line to the host, or undefined (logged) when it cannot be reached. */
  async open(): Promise<HostLine | undefined> {
    try {
      return await HostLine.open(() => this.openHost());
    } catch (e) {
      if (e instanceof PowerLost) throw e;
      this.core.host.log(`host unreachable: ${(e as Error).message}`);
      return undefined;
    }
  }

  private frame(msg: IsoMessage, icc: boolean): CupFrame {
    const header: CupHeader = {
      applicationClass: icc ? '61' : '60',
      specVersion: '31',
      terminalStatus: '0',
      processingRequirement: '0',
      softwareVersion: '310000',
    };
    return { tpdu: this.core.state.config.tpdu.toUpperCase(), header, message: msg };
  }

  private logMessage(dir: '->' | '<-', msg: IsoMessage): void {
    const parts = [dir, msg.mti];
    for (const n of [3, 4, 11, 39]) {
      const v = msg.getString(n);
      if (v !== undefined) parts.push(`F${n}=${v}`);
    }
    this.core.host.log(parts.join(' '));
  }

  /** One exchange; a HostLinkError on timeout / link failure (the caller decides about reversal). */
  async exchange(line: HostLine, msg: IsoMessage, icc: boolean): Promise<Exchanged> {
    this.logMessage('->', msg);
    try {
      const { reply } = await line.exchange(this.frame(msg, icc), this.core.host.timeouts.hostResponseMs);
      this.core.alive();
      this.logMessage('<-', reply.message);
      return { reply: reply.message, header: reply.header };
    } catch (e) {
      this.core.alive();
      if (e instanceof HostLinkError) return { error: e };
      throw e;
    }
  }

  /** The text for a link failure: 交易超时 or 通讯失败. */
  linkFailure(error: HostLinkError): Bilingual {
    return error.kind === 'timeout' ? T.hostTimeout : T.commError;
  }

  /**
   * A management message on its own line (sign-on, parameter download, echo, sign-off): STAN
   * taken and saved, then one exchange. `undefined` when the host cannot be reached.
   */
  async exchangeAlone(msg: IsoMessage): Promise<Exchanged | undefined> {
    const line = await this.open();
    if (!line) return undefined;
    try {
      msg.set(11, this.requests.nextStan(false));
      this.core.persist();
      return await this.exchange(line, msg, false);
    } finally {
      line.close();
    }
  }

  private macScheme(): 'cup-ecb' | 'sm4-ecb' {
    return this.core.state.ped.keyScheme === 'sm4' ? 'sm4-ecb' : 'cup-ecb';
  }

  applyRequestMac(msg: IsoMessage): void {
    const mak = this.core.keys!.mak;
    if (this.core.defect('wrong-mac')) {
      // Firmware bug: the MAC is computed before field 11 is in place (over the wrong bytes).
      const copy = msg.clone().unset(11);
      msg.set(64, computeMessageMac(copy, mak, this.macScheme()));
    } else {
      applyMac(msg, mak, this.macScheme());
    }
  }

  /** Header digit 6 of a reply (cup8583.md §1.1): 3 = sign on again, 1 / 6 = download parameters, 4 / 5 = IC public keys / parameters, 7 / 9 = card blacklist / contactless parameters. */
  noteRequirement(header: CupHeader): void {
    const r = header.processingRequirement;
    if (r === '3') this.core.needSignOn = true;
    if (r === '1' || r === '6') this.core.needParameters = true;
    // Defect ic-params-not-downloaded-on-flag: the request for new IC lists is ignored.
    if ((r === '4' || r === '5') && this.core.defect('ic-params-not-downloaded-on-flag')) return;
    if (r === '4') this.core.needIcLists.add('capk');
    if (r === '5') this.core.needIcLists.add('aid');
    if (r === '7') this.core.needTerminalLists.add('blacklist');
    if (r === '9') this.core.needTerminalLists.add('contactless');
  }

  private makeReversal(kind: TransactionKind, request: IsoMessage): PendingReversal {
    const copy = request.clone();
    // F59 goes too: under SM4 it carries the PIN block (tag A1), and no source's reversal keeps F59 (§3.8).
    for (const n of [35, 36, 52, 26, 53, 37, 59, 64]) copy.unset(n);
    const f55 = request.getBuffer(55);
    if (f55) copy.set(55, reversalField55(f55));
    const pan = request.getString(2) ?? request.getString(35)?.split('=')[0];
    return {
      originalMti: request.mti,
      fields: toStored(copy),
      reason: '98',
      trace: request.getString(11)!,
      kind,
      attempts: 0,
      createdAt: new Date().toISOString(),
      ...(pan ? { maskedPan: maskPan(pan) } : {}),
    };
  }

  /** Sends the pending reversal (0400), retried; after the last retry a fault slip and the record is dropped. */
  async sendPendingReversal(line: HostLine): Promise<boolean> {
    const { core, ui } = this;
    const pending = core.state.pendingReversal;
    if (!pending) return true;
    const times = core.defect('reversal-sent-twice') ? 2 : 1;
    for (let attempt = pending.attempts; attempt < core.host.reversalRetries; attempt++) {
      ui.show('reversal', 'reversal', [ui.t(T.sendingReversal)]);
      const msg = fromStored('0400', pending.fields);
      msg.set(39, pending.reason);
      this.applyRequestMac(msg);
      const got = await this.exchange(line, msg, msg.has(55));
      if ('reply' in got && got.reply.mti === responseMtiOf(msg.mti)) {
        for (let extra = 1; extra < times; extra++) await this.exchange(line, msg, msg.has(55));
        core.state.pendingReversal = null;
        core.persist();
        return true;
      }
      pending.attempts = attempt + 1;
      core.persist();
      // The host cannot be reached at all: keep the reversal for the next occasion.
      if ('error' in got && got.error.kind === 'connect') return false;
    }
    // Every retry failed: print a fault slip for manual handling and drop the record (LY).
    const { date, time } = core.stamp();
    core.host.print(
      'fault',
      renderFaultSlip(
        {
          kind: pending.kind,
          trace: pending.trace,
          batch: core.state.counters.batchNumber,
          ...(pending.maskedPan ? { maskedPan: pending.maskedPan } : {}),
          amount: formatAmount(Number('s' in (pending.fields['4'] ?? {}) ? (pending.fields['4'] as { s: string }).s : '0')),
          dateTime: `${date} ${time}`,
        },
        core.voucherIds(),
      ),
      false,
      pending.trace,
    );
    core.state.pendingReversal = null;
    core.persist();
    ui.show('reversal-failed', 'result', [ui.t(T.reversalFailed), ui.t(T.contactSupport)]);
    ui.beep('error');
    return false;
  }

  /** At power-on: a pending reversal goes out before anything else. */
  async reverseAtBoot(): Promise<void> {
    const line = await this.open();
    if (line) {
      try {
        await this.sendPendingReversal(line);
      } finally {
        line.close();
      }
    }
  }

  /** A pending reversal on record gets the reason the reply deserved (and the auth code it carried, and DF31 when the card ran scripts). */
  private reverseFor(reason: '06' | 'A0', reply?: IsoMessage, scriptResults: readonly ScriptResult[] = []): void {
    const pending = this.core.state.pendingReversal;
    if (!pending) return;
    pending.reason = reason;
    const auth = reply?.getString(38);
    if (auth) pending.fields['38'] = { s: auth };
    const f55 = pending.fields['55'];
    if (scriptResults.length && f55 && 'b' in f55) {
      pending.fields['55'] = { b: withScriptResults(Buffer.from(f55.b, 'hex'), scriptResults).toString('hex').toUpperCase() };
    }
    this.core.persist();
  }

  /** The issuer scripts of a reply's F55; none (logged) when F55 does not decode (the ARPC check judges that). */
  private scriptsOf(reply: IsoMessage): IssuerScript[] {
    try {
      return issuerScriptsOf(reply.getBuffer(55));
    } catch (e) {
      this.core.host.log(`issuer scripts not run: ${(e as Error).message}`);
      return [];
    }
  }

  /**
   * The 0620 IC script-result notice (cup8583.md §3.1: 60.3 951, the original's F3 / F25, MAC; §3.11
   * F55 tags with DF31), naming the original by F61 (batch + trace + date) and F37 / F38 of its reply.
   */
  scriptResultNotice(request: IsoMessage, reply: IsoMessage, results: readonly ScriptResult[]): IsoMessage {
    const f60 = request.getString(60) ?? '';
    const batch = f60.slice(2, 8);
    const msg = requestTemplate('script-result', batch);
    for (const n of [2, 3, 4, 14, 22, 23, 25, 41, 42, 49]) {
      const v = request.get(n);
      if (v !== undefined) msg.set(n, v);
    }
    msg.set(60, formatField60({ transactionType: '00', batchNumber: batch, networkCode: '951' }));
    const rrn = reply.getString(37);
    if (rrn) msg.set(37, rrn);
    const auth = reply.getString(38);
    if (auth) msg.set(38, auth);
    msg.set(55, scriptResultField55(request.getBuffer(55) ?? Buffer.alloc(0), results));
    msg.set(61, formatField61({ originalBatch: batch, originalTrace: request.getString(11)!, originalDate: reply.getString(13) ?? '0000' }));
    return msg;
  }

  /**
   * Sends the script-result notice on the line of the transaction. It is kept on disk until the host
   * answers it (any 0630: a refusal is logged, not repeated); unanswered, it goes again before the next
   * online transaction, up to the reversal retry count.
   */
  private async sendScriptResult(line: HostLine, request: IsoMessage, reply: IsoMessage, results: readonly ScriptResult[]): Promise<void> {
    // Defect script-result-not-sent: the card ran the issuer's script but the acquirer is never told.
    if (this.core.defect('script-result-not-sent')) return;
    const msg = this.scriptResultNotice(request, reply, results);
    msg.set(11, this.requests.nextStan(false));
    const pending = this.core.state.pendingScriptResults ?? (this.core.state.pendingScriptResults = []);
    pending.push({ fields: toStored(msg), attempts: 0 });
    this.core.persist();
    await this.sendPendingScriptResults(line);
  }

  /** The notices on record, oldest first; false when one stays unanswered (the rest wait with it). */
  private async sendPendingScriptResults(line: HostLine): Promise<boolean> {
    const { core } = this;
    const pending = core.state.pendingScriptResults ?? [];
    while (pending.length) {
      const entry = pending[0];
      const msg = fromStored('0620', entry.fields);
      this.applyRequestMac(msg);
      const got = await this.exchange(line, msg, true);
      entry.attempts += 1;
      if ('error' in got && entry.attempts < core.host.reversalRetries) {
        core.host.log(
          `script-result notice (0620) STAN ${msg.getString(11)} not answered (${got.error.message}): kept for the next online transaction`,
        );
        core.persist();
        return false;
      }
      if ('error' in got) core.host.log(`script-result notice (0620) STAN ${msg.getString(11)} dropped after ${entry.attempts} unanswered attempts`);
      else if (got.reply.getString(39) !== '00')
        core.host.log(`script-result notice (0620) STAN ${msg.getString(11)} refused with ${got.reply.getString(39) ?? '-'}`);
      pending.shift();
      core.persist();
    }
    return true;
  }

  /**
   * The 0820 e-signature upload (cup8583.md §3.1: F25 07, 60.1 07, 60.3 800) of an approved purchase:
   * F62 = the PNG, F61 = its batch + trace (+ date), F37 its RRN, F4 its amount, MAC (docs/host.md).
   * Defect e-signature-wrong-trace: F61 names the trace before the signed one.
   */
  signatureUpload(tx: { batch: string; trace: string; rrn: string; amount: number; date: string }, image: Buffer): IsoMessage {
    const msg = requestTemplate('e-signature', tx.batch);
    msg.set(4, String(tx.amount).padStart(12, '0'));
    msg.set(41, this.core.state.config.terminalId!);
    msg.set(42, this.core.state.config.merchantId!);
    msg.set(37, tx.rrn);
    const trace = this.core.defect('e-signature-wrong-trace') ? String((Number(tx.trace) + 999999) % 1000000 || 999999).padStart(6, '0') : tx.trace;
    msg.set(61, formatField61({ originalBatch: tx.batch, originalTrace: trace, originalDate: tx.date.replace(/-/g, '').slice(4, 8) }));
    msg.set(62, image);
    return msg;
  }

  /**
   * Uploads the signature on its own line (the transaction's line is closed by now). It is on disk
   * first; unanswered, it goes again before the next online transaction or settlement, up to the
   * reversal retry count. False when it stays pending.
   */
  async uploadSignature(msg: IsoMessage): Promise<boolean> {
    msg.set(11, this.requests.nextStan(false));
    const pending = this.core.state.pendingSignatures ?? (this.core.state.pendingSignatures = []);
    pending.push({ fields: toStored(msg), attempts: 0 });
    this.core.persist();
    const line = await this.open();
    if (!line) return false;
    try {
      return await this.sendPendingSignatures(line);
    } finally {
      line.close();
    }
  }

  /** The uploads on record, oldest first; false when one stays unanswered (the rest wait with it). */
  async sendPendingSignatures(line: HostLine): Promise<boolean> {
    const { core } = this;
    const pending = core.state.pendingSignatures ?? [];
    while (pending.length) {
      const entry = pending[0];
      const msg = fromStored('0820', entry.fields);
      this.applyRequestMac(msg);
      const got = await this.exchange(line, msg, false);
      entry.attempts += 1;
      if ('error' in got && entry.attempts < core.host.reversalRetries) {
        core.host.log(
          `e-signature upload (0820 800) STAN ${msg.getString(11)} not answered (${got.error.message}): kept for the next online exchange`,
        );
        core.persist();
        return false;
      }
      if ('error' in got)
        core.host.log(`e-signature upload (0820 800) STAN ${msg.getString(11)} dropped after ${entry.attempts} unanswered attempts`);
      else if (got.reply.getString(39) !== '00')
        core.host.log(`e-signature upload (0820 800) STAN ${msg.getString(11)} refused with ${got.reply.getString(39) ?? '-'}`);
      pending.shift();
      core.persist();
    }
    return true;
  }

  /**
   * A failed IC transaction (the card's AAC after the host's approval) kept for the batch upload
   * (cup8583.md §3.10, 60.3 204 / 206): what the card signed, so the acquirer learns why the
   * approval was reversed. Only the kinds whose IC records are uploaded.
   */
  private keepFailedIc(kind: TransactionKind, request: IsoMessage, reply: IsoMessage, read: CardRead, aac: FinalCryptogram | undefined): void {
    const f55 = request.getBuffer(55);
    const pan = request.getString(2) ?? read.card.pan;
    if (!aac || !f55 || !(IC_RECORD_KINDS as readonly string[]).includes(kind)) return;
    const org = reply.getString(63)?.slice(0, 3) || 'CUP';
    const list = this.core.state.failedIc ?? (this.core.state.failedIc = []);
    list.push({
      kind: kind as (typeof IC_RECORD_KINDS)[number],
      trace: request.getString(11)!,
      batch: this.core.state.counters.batchNumber,
      amount: Number(request.getString(4) ?? '0'),
      pan,
      entryMode: request.getString(22) ?? '051',
      ...(read.card.psn ? { psn: read.card.psn } : {}),
      cardOrganisation: org,
      failure: 'card-declined',
      icc: withFinalCryptogram(f55, aac).toString('hex').toUpperCase(),
    });
    this.core.persist();
  }

  /** The online step shared by every financial transaction. */
  async authorize(kind: TransactionKind, request: IsoMessage, read: CardRead | undefined, title: Bilingual): Promise<OnlineOutcome> {
    const { core, ui } = this;
    ui.show('online', 'online', [ui.t(title), ui.t(T.connecting)], { transaction: kind });
    const line = await this.open();
    if (!line) return { approved: false, failure: T.commError };
    try {
      if (core.state.pendingReversal) {
        const ok = await this.sendPendingReversal(line);
        if (!ok) return { approved: false, failure: T.reversalFailed };
        ui.show('online', 'online', [ui.t(title), ui.t(T.connecting)], { transaction: kind });
      }
      // Script-result notices the host has not answered yet go before the new request (they are not reversed).
      if (core.state.pendingScriptResults?.length) await this.sendPendingScriptResults(line);
      // So do e-signatures not yet answered: the acquirer holds the signature before the next transaction.
      if (core.state.pendingSignatures?.length) await this.sendPendingSignatures(line);
      // The STAN is taken only now, after any reversal, so the request carries the newest one.
      request.set(11, this.requests.nextStan(true));
      this.applyRequestMac(request);
      const reversible = transactionSpec(kind).reversible;
      if (reversible) core.state.pendingReversal = this.makeReversal(kind, request);
      core.persist(); // reversal record (and STAN) on disk BEFORE the request leaves
      await ui.pause(1200);
      const got = await this.exchange(line, request, read?.icc !== undefined);
      if ('error' in got) {
        if (reversible && core.defect('no-reversal-after-timeout')) {
          core.state.pendingReversal = null;
          core.persist();
        }
        return { approved: false, failure: this.linkFailure(got.error) };
      }
      const reply = got.reply;
      this.noteRequirement(got.header);
      // Defect list-request-in-reply-ignored: digit 7 of a transaction reply is dropped (the sign-on reply's is
      // still honoured), so no blacklist is loaded after the transaction. The defect call goes first so that, with
      // defects off, nothing after it is evaluated.
      if (core.defect('list-request-in-reply-ignored') && got.header.processingRequirement === '7') core.needTerminalLists.delete('blacklist');
      const code = reply.getString(39) ?? '';
      const mismatch =
        (reply.mti !== responseMtiOf(request.mti) && !core.defect('reply-mti-not-checked')) ||
        (request.has(3) && reply.getString(3) !== request.getString(3)) ||
        reply.getString(11) !== request.getString(11) ||
        reply.getString(41) !== request.getString(41) ||
        (code === '00' && reply.getString(42) !== request.getString(42)) ||
        (request.has(4) && code !== '10' && kind !== 'balance' && reply.has(4) && reply.getString(4) !== request.getString(4));
      if (mismatch) {
        if (reversible) this.reverseFor('06');
        return { approved: false, failure: T.responseMismatch, responseCode: code };
      }
      // Defect decline-mac-verified: the reply MAC is checked whatever F39 says (cup8583.md §3.6: only when F39 = 00), so
      // a decline with a bad MAC shows 解包校验不符 and is reversed (A0). The defect call goes first so that, with defects
      // off, nothing after it is evaluated.
      if (core.defect('decline-mac-verified') && code !== '00' && !(reply.has(64) && verifyMac(reply, core.keys!.mak, this.macScheme()))) {
        if (reversible) this.reverseFor('A0', reply);
        return { approved: false, failure: T.macMismatch, responseCode: code };
      }
      if (code === '00' && !core.defect('response-mac-not-verified')) {
        const macOk = reply.has(64) && verifyMac(reply, core.keys!.mak, this.macScheme());
        if (!macOk) {
          if (reversible) this.reverseFor('A0', reply);
          // Defect swipe-reply-mac-not-reversed: the reversal record is kept for chip reads only. The defect call
          // goes first so that, with defects off, nothing after it is evaluated.
          if (core.defect('swipe-reply-mac-not-reversed') && reversible && read?.method === 'swipe') {
            core.state.pendingReversal = null;
            core.persist();
          }
          return { approved: false, failure: T.macMismatch, responseCode: code };
        }
      }
      const approved = SUCCESS_CODES.has(code);
      let tc: FinalCryptogram | undefined;
      let scriptResults: ScriptResult[] = [];
      if (approved && read?.icc && read.method === 'insert') {
        // Issuer scripts (§3.11): 71 before the second GENERATE AC, 72 after it.
        const scripts = this.scriptsOf(reply);
        scriptResults = read.icc.runIssuerScripts(scripts, '71');
        // Second GENERATE AC: the card declines (AAC) a failed ARPC; the approval must be reversed (reason 06).
        if (read.icc.verifyIssuerAuthentication(reply.getBuffer(55)) === 'failed') {
          const aac = read.icc.secondGenerateAc(false, code);
          scriptResults = [...scriptResults, ...read.icc.runIssuerScripts(scripts, '72')];
          if (reversible) this.reverseFor('06', reply, scriptResults);
          this.keepFailedIc(kind, request, reply, read, aac);
          return { approved: false, failure: T.arpcFailed, responseCode: code };
        }
        tc = read.icc.secondGenerateAc(true, code);
        scriptResults = [...scriptResults, ...read.icc.runIssuerScripts(scripts, '72')];
      }
      if (reversible) {
        core.state.pendingReversal = null;
        core.persist();
      }
      if (scriptResults.length) await this.sendScriptResult(line, request, reply, scriptResults);
      return { approved, reply, header: got.header, responseCode: code, ...(tc ? { tc } : {}) };
    } finally {
      line.close();
    }
  }
}
