/**
 * What every message handler shares: the configuration, the store, the clock and randomness, the
 * RRN / auth-code sequences, the terminals' runtime state (working keys), and the parts of a reply that
 * every family has in common (echoed fields, time, F32, F37 / F44 / F63 of a financial reply).
 *
 * One HostContext lives as long as its HostEngine; the engine runs the frame pipeline, the handlers
 * in handlers/ decide, and both reach the rest of the host only through this object.
 */
import { unwrapWorkingKeys, type KeyScheme, type MacScheme, type PinCipher, type WorkingKeyLayout } from '../crypto';
import {
  DOMESTIC_CARD_ORGANISATION,
  formatField63Response,
  IC_LIST_KINDS,
  IC_REQUIREMENT_DIGITS,
  IsoMessage,
  TERMINAL_LIST_KINDS,
  TERMINAL_LIST_REQUIREMENT_DIGITS,
  parseField60Extended,
  responseCodeInfo,
  responseMtiOf,
  TRANSACTION_CATALOGUE,
  verifyMac,
  type CupFrame,
  type Field60,
  type IcListKind,
  type TerminalListKind,
  type TransactionKind,
} from '../protocol/iso8583';
import type { CardConfig, HostConfig, MerchantConfig, TerminalConfig, TerminalLists } from './config';

/** Everything a terminal downloads whose completion the host tracks: the IC lists (§3.5), the blacklist and the contactless parameters. */
export type DownloadKind = IcListKind | TerminalListKind;
import type { ActiveFault, FaultSet } from './faults';
import type { HostStore, TerminalRow, TransactionRow } from './store';

export interface HostLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const SILENT_LOGGER: HostLogger = { info() {}, warn() {}, error() {} };

export interface EngineOptions {
  clock: () => Date;
  random: (n: number) => Buffer;
  logger: HostLogger;
  faults: FaultSet;
  /** Minutes east of UTC for F12 / F13 / F15 and expiry checks (China: 480). */
  utcOffsetMinutes?: number;
}

/** The only currency this acquirer takes (F49, cup8583.md §2.2): CNY. */
export const CNY = '156';

/** 13 when F49 names another currency than CNY (§7 has no currency code for a POS acquirer; A1 is for transfers). */
export function checkCurrency(msg: IsoMessage): void {
  const currency = msg.getString(49);
  if (currency !== undefined && currency !== CNY) throw new Decline('13', `currency ${currency} (F49): this acquirer takes CNY (${CNY}) only`);
}

/** A decline or a format problem found while reading a request: its F39 and why (for the journal). */
export class Decline extends Error {
  constructor(
    readonly code: string,
    readonly why: string,
  ) {
    super(why);
  }
}

export interface WorkingKeySet {
  pik: Buffer;
  mak: Buffer;
  tdk?: Buffer;
}

export interface TerminalRuntime {
  config: TerminalConfig;
  merchant: MerchantConfig;
  row: TerminalRow;
  keys?: WorkingKeySet;
}

/** One request going through the pipeline. */
export interface Request {
  frame: CupFrame;
  msg: IsoMessage;
  remote: string;
  now: Date;
  fault?: ActiveFault;
  terminal?: TerminalRuntime;
  /** The catalogue kind, once a handler has identified it. */
  kind?: TransactionKind;
  /** MAK to MAC the reply with (MAC-bearing responses only). */
  replyMak?: { key: Buffer; scheme: MacScheme };
  note?: string;
  /** Accepted, but worth a line in the journal and the log (an F60 longer than the dialect defines). */
  warnings: string[];
}

/** A terminal's download of one IC list since its query from 0 (host/handlers/ic-parameters.ts). */
export interface IcDownloadProgress {
  version: string;
  fetched: Set<string>;
}

export function formatFen(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** Request MTIs of the catalogue's financial kinds (0100, 0200, 0220, 0400): their replies echo card and amount fields. */
export const FINANCIAL_MTIS: ReadonlySet<string> = new Set(TRANSACTION_CATALOGUE.filter((s) => s.financial).map((s) => s.mti));

export class HostContext {
  private readonly terminals = new Map<string, TerminalRuntime>();
  /** Terminals the control API asked to sign on again (header digit 3 until they do). */
  readonly signOnRequested = new Set<string>();
  /** Per terminal, the IC list versions it completed (cup8583.md §3.5); in memory: a restarted host asks again. */
  private readonly icLoadedVersions = new Map<string, Partial<Record<DownloadKind, string>>>();
  /** Per terminal and list, the download under way (version queried, items fetched since). */
  private readonly icDownloads = new Map<string, Partial<Record<DownloadKind, IcDownloadProgress>>>();
  /** The blacklist and contactless parameters served now: the configuration's, until control.setContactlessParameters replaces them. */
  terminalLists: TerminalLists;
  private rrnSeq: number;
  private authSeq: number;
  private savedRrn: number;
  private savedAuth: number;
  private readonly offsetMs: number;

  constructor(
    readonly config: HostConfig,
    readonly store: HostStore,
    readonly opts: EngineOptions,
  ) {
    this.offsetMs = (opts.utcOffsetMinutes ?? 480) * 60_000;
    this.terminalLists = config.terminalLists;
    this.rrnSeq = this.savedRrn = store.getSequence('rrn');
    this.authSeq = this.savedAuth = store.getSequence('auth');
  }

  get logger(): HostLogger {
    return this.opts.logger;
  }

  // ---- time and sequences

  private local(now: Date): Date {
    return new Date(now.getTime() + this.offsetMs);
  }
  hhmmss(now: Date): string {
    const d = this.local(now);
    return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join('');
  }
  mmdd(now: Date): string {
    const d = this.local(now);
    return String(d.getUTCMonth() + 1).padStart(2, '0') + String(d.getUTCDate()).padStart(2, '0');
  }
  yymm(now: Date): string {
    const d = this.local(now);
    return String(d.getUTCFullYear() % 100).padStart(2, '0') + String(d.getUTCMonth() + 1).padStart(2, '0');
  }

  /** Host-unique 12-digit retrieval reference number; the counter is committed with the group transaction (persistSequences). */
  nextRrn(): string {
    this.rrnSeq++;
    return String(this.rrnSeq).padStart(12, '0');
  }

  /** Host-unique 6-digit authorisation code: a bijection of the counter mod 10^6 (unique for a million approvals). */
  nextAuthCode(): string {
    this.authSeq++;
    return String((this.authSeq * 7919 + 104729) % 1_000_000).padStart(6, '0');
  }

  /** Writes the RRN / auth-code counters (once per group transaction, before its commit). */
  persistSequences(): void {
    if (this.rrnSeq !== this.savedRrn) {
      this.store.setSequence('rrn', this.rrnSeq);
      this.savedRrn = this.rrnSeq;
    }
    if (this.authSeq !== this.savedAuth) {
      this.store.setSequence('auth', this.authSeq);
      this.savedAuth = this.authSeq;
    }
  }

  // ---- replies

  /** The reply with the request's echoed fields and the host's time (F12 / F13, and F15 / F32 / F49 for financial replies). */
  baseResponse(req: Request): IsoMessage {
    const m = req.msg;
    const out = new IsoMessage(responseMtiOf(m.mti));
    const financial = FINANCIAL_MTIS.has(m.mti);
    const echo = financial ? [2, 3, 4, 11, 14, 23, 25, 41, 42, 49, 60] : [3, 4, 11, 41, 42, 48, 49, 60];
    for (const n of echo) {
      const v = m.get(n);
      if (v !== undefined) out.set(n, v);
    }
    out.set(12, this.hhmmss(req.now)).set(13, this.mmdd(req.now));
    if (financial) {
      out.set(15, this.mmdd(req.now));
      out.set(32, this.config.host.acquirerId);
      if (!out.has(49)) out.set(49, '156');
    }
    return out;
  }

  /**
   * F39, F37 (a new RRN unless set), F44 institutions and F63 of a financial reply: 63.1 the card's
   * organisation from the card book (CUP when no card is known, e.g. a MAC failure or a duplicate),
   * which tells the terminal on which side (内卡 / 外卡) of its settlement the transaction counts
   * (cup8583.md §2.6, §3.9), then the response text.
   */
  finishFinancial(out: IsoMessage, code: string, card?: CardConfig): IsoMessage {
    out.set(39, code);
    if (!out.has(37)) out.set(37, this.nextRrn());
    out.set(44, (card?.issuerInstitution ?? '').padEnd(11, ' ') + this.config.host.acquirerInstitution.padEnd(11, ' '));
    const info = responseCodeInfo(code);
    out.set(
      63,
      formatField63Response({
        cardOrganisation: card?.organisation ?? DOMESTIC_CARD_ORGANISATION,
        issuerText: code === '00' ? '' : info.display,
        centreText: this.config.host.centreText,
      }).trimEnd(),
    );
    return out;
  }

  /** F60 of the request; 30 when missing or malformed. Up to 19 digits (PAX) are accepted with a warning. */
  field60(req: Request): Field60 {
    const v = req.msg.getString(60);
    if (v === undefined) throw new Decline('30', 'F60 missing');
    try {
      const { field60, beyond } = parseField60Extended(v);
      if (beyond) req.warnings.push(`warning: F60 has ${v.length} digits (the dialect defines 17); digits ${beyond} after 60.7 ignored`);
      return field60;
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
  }

  /**
   * The processing-requirement digit (header digit 6, cup8583.md §1.1) of every reply, one policy:
   * 3 (sign on again) on an A0, to a terminal that is not signed on (but for the reply to its own
   * sign-off) and after control.requestSignOn until it signs on; 1 (download parameters) to a
   * signed-on terminal that has not downloaded the current parameters.version; 4 (update the IC
   * public keys) then 5 (download the IC parameters) to a signed-on terminal that has not completed
   * the current version of that list (§3.5; a new list in the configuration asks every terminal
   * again, as does control.requestIcDownload); 7 (card blacklist) then 9 (contactless parameters)
   * the same way for the 390 / 394 downloads (handlers/terminal-lists.ts); else 0.
   */
  replyRequirement(req: Request, responseCode: string | undefined): string {
    if (responseCode === 'A0') return '3';
    const rt = req.terminal;
    if (!rt) return '0';
    if (this.signOnRequested.has(rt.config.terminalId)) return '3';
    if (!rt.row.signed_on) return req.kind === 'sign-off' ? '0' : '3';
    if (rt.row.param_version < this.config.parameters.version) return '1';
    for (const list of IC_LIST_KINDS) {
      const current = list === 'aid' ? this.config.icParameters.aidVersion : this.config.icParameters.capkVersion;
      if (current && this.icLoadedVersions.get(rt.config.terminalId)?.[list] !== current) return IC_REQUIREMENT_DIGITS[list];
    }
    for (const list of TERMINAL_LIST_KINDS) {
      const current = list === 'blacklist' ? this.terminalLists.blacklistVersion : this.terminalLists.contactlessVersion;
      if (current && this.icLoadedVersions.get(rt.config.terminalId)?.[list] !== current) return TERMINAL_LIST_REQUIREMENT_DIGITS[list];
    }
    return '0';
  }

  /** The IC list version a terminal completed (undefined: none since the host started or since it was asked again). */
  icLoadedVersion(terminalId: string, list: DownloadKind): string | undefined {
    return this.icLoadedVersions.get(terminalId)?.[list];
  }

  /** Records a completed list download; with version undefined, forgets it (the terminal is asked again). */
  icLoaded(terminalId: string, list: DownloadKind, version: string | undefined): void {
    const v = { ...(this.icLoadedVersions.get(terminalId) ?? {}) };
    if (version === undefined) delete v[list];
    else v[list] = version;
    this.icLoadedVersions.set(terminalId, v);
  }

  /** The download of a list under way for a terminal; with `start`, a new one begins. */
  icProgress(terminalId: string, list: DownloadKind, start?: IcDownloadProgress): IcDownloadProgress | undefined {
    const p = this.icDownloads.get(terminalId) ?? {};
    if (start) this.icDownloads.set(terminalId, { ...p, [list]: start });
    return start ?? p[list];
  }

  // ---- terminals and keys

  terminalRuntime(terminalId: string): TerminalRuntime | undefined {
    const cached = this.terminals.get(terminalId);
    if (cached) return cached;
    const config = this.config.terminals.find((t) => t.terminalId === terminalId);
    if (!config) return undefined;
    const merchant = this.config.merchants.find((m) => m.merchantId === config.merchantId)!;
    const row = this.store.terminal(terminalId) ?? {
      terminal_id: terminalId,
      signed_on: 0,
      batch: '000001',
      key_layout: null,
      keys_wrapped: null,
      signed_on_at: null,
      sign_on_count: 0,
      param_version: 0,
    };
    const rt: TerminalRuntime = { config, merchant, row };
    if (row.signed_on && row.keys_wrapped && row.key_layout) {
      try {
        rt.keys = unwrapWorkingKeys(config.tmk.reveal(), row.keys_wrapped, row.key_layout as WorkingKeyLayout, this.keyScheme(config));
      } catch (err) {
        // The TMK changed in the configuration since the keys were issued: the terminal must sign on again.
        this.logger.warn(
          `terminal ${terminalId}: stored working keys do not unwrap under the configured TMK (${(err as Error).message}); it must sign on again`,
        );
        rt.row = { ...row, signed_on: 0, keys_wrapped: null, key_layout: null };
      }
    }
    this.terminals.set(terminalId, rt);
    return rt;
  }

  /** Forget cached terminal state; it is read again from the database (after a rolled-back transaction). */
  forgetTerminals(): void {
    this.terminals.clear();
  }

  keyScheme(t: TerminalConfig): KeyScheme {
    return t.keyScheme === 'SM4' ? 'sm4' : 'tdes';
  }
  macScheme(t: TerminalConfig): MacScheme {
    return t.keyScheme === 'SM4' ? 'sm4-ecb' : 'cup-ecb';
  }
  pinCipher(rt: TerminalRuntime): PinCipher {
    if (rt.config.keyScheme === 'SM4') return 'sm4';
    return rt.keys && rt.keys.pik.length === 8 ? 'des' : 'tdes';
  }

  /** 97 unknown / unregistered terminal, 03 merchant mismatch or suspended terminal / merchant. */
  checkTerminal(req: Request): TerminalRuntime {
    const tid = req.msg.getString(41)?.trimEnd();
    if (!tid) throw new Decline('30', 'F41 terminal id missing');
    const rt = this.terminalRuntime(tid);
    if (!rt || rt.config.status === 'unregistered') throw new Decline('97', `terminal ${tid} is not registered at this host`);
    const mid = req.msg.getString(42)?.trimEnd();
    if (mid !== rt.config.merchantId) throw new Decline('03', `F42 ${mid ?? '(missing)'} is not the merchant of terminal ${tid}`);
    if (rt.config.status === 'suspended') throw new Decline('03', `terminal ${tid} is suspended`);
    if (rt.merchant.status === 'suspended') throw new Decline('03', `merchant ${mid} is suspended`);
    req.terminal = rt;
    return rt;
  }

  /**
   * A MAC-bearing request from a signed-on terminal: sets the reply's MAK, and answers A0 (header
   * digit 3: sign on again) when the terminal has no keys or the MAC does not verify.
   */
  checkMac(req: Request, rt: TerminalRuntime, out: IsoMessage): IsoMessage | undefined {
    const why = this.macProblem(req, rt);
    if (!why) return undefined;
    req.note = why;
    return this.finishFinancial(out, 'A0');
  }

  /**
   * An advice or upload that carries a MAC although its kind need not (0620, 0320): the MAC is
   * verified all the same, A0 when it fails (no MAC: nothing to verify).
   */
  checkOptionalMac(req: Request, rt: TerminalRuntime, out: IsoMessage): IsoMessage | undefined {
    if (!req.msg.has(64)) return undefined;
    const why = this.macProblem(req, rt);
    if (!why) return undefined;
    req.note = why;
    return out.set(39, 'A0');
  }

  /** Why the request's MAC cannot be accepted (sets the reply's MAK when the terminal has one). */
  private macProblem(req: Request, rt: TerminalRuntime): string | undefined {
    if (!rt.row.signed_on || !rt.keys) return 'terminal has not signed on: no MAK to check the MAC';
    const mak = { key: rt.keys.mak, scheme: this.macScheme(rt.config) };
    req.replyMak = mak;
    if (!verifyMac(req.msg, mak.key, mak.scheme)) return req.msg.has(64) ? 'MAC does not verify under the current MAK' : 'F64 (MAC) missing';
    return undefined;
  }

  saveTerminal(rt: TerminalRuntime, row: TerminalRow, keys: WorkingKeySet | undefined): void {
    this.store.saveTerminal(row);
    rt.row = row;
    rt.keys = keys;
  }

  // ---- pre-authorisation holds (shared by the financial and reversal handlers)

  /** What a pre-authorisation authorises: its own amount plus every approved, unreversed 追加预授权 to it. */
  authorisedTotal(preauth: TransactionRow): number {
    return preauth.amount + this.store.amountAddedTo(preauth.id);
  }

  /** The pre-authorisation holds its authorised total again (completion undone or its void undone). */
  reopenPreauth(preauthId: number): void {
    const p = this.store.transactionById(preauthId);
    if (!p || p.reversed || p.hold > 0) return;
    const total = this.authorisedTotal(p);
    this.store.setCompletedBy(p.id, null);
    this.store.setHold(p.id, total);
    this.store.addHolds(p.card_alias!, total);
  }

  /** A 追加预授权 raises (or, reversed, lowers) the hold of its open pre-authorisation. */
  changePreauthHold(preauthId: number, delta: number): void {
    const p = this.store.transactionById(preauthId);
    if (!p || p.hold <= 0) return;
    this.store.setHold(p.id, p.hold + delta);
    this.store.addHolds(p.card_alias!, delta);
  }

  /** The pre-authorisation's hold ends (completed or voided). */
  closePreauth(preauthId: number, completionId: number | null): void {
    const p = this.store.transactionById(preauthId);
    if (!p) return;
    if (p.hold > 0) {
      this.store.addHolds(p.card_alias!, -p.hold);
      this.store.setHold(p.id, 0);
    }
    if (completionId !== null) this.store.setCompletedBy(p.id, completionId);
  }
}
