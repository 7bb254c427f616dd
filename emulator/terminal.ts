/**
 * EmulatedTerminal: the reference implementation of the terminal side of the Terminal Test
 * Protocol. It serves TTP on one byte link (commands in, replies and display / print / state /
 * beep events out) and runs a TerminalSession per power-on. Power is modelled: `power cut` kills
 * the session at once (nothing more saved), `power on` boots a new one from the state file.
 */
import type { ByteLink } from '../links';
import {
  TTP_CARD_METHODS, TTP_ECR_REQUESTS, TTP_KEYS, TTP_VERSION, TtpCapabilities, TtpCardImage, TtpChannel, TtpEcrCommand,
  TtpErrorBody, TtpEvent, TtpHelloResult, TtpPrintCopy, TtpRequest, TtpTerminalConfig, TtpTerminalState, isTtpKey,
  type TtpEcrResult, type TtpOutcome,
} from '../protocol/ttp';
import { T, type Bilingual } from './texts';
import { DefectName, parseDefects } from './defects';
import { EmulatorConfigError } from './errors';
import { EmulatorProfile, emulatorProfile } from './profiles';
import type { TerminalProfile } from '../protocol/ttp/profile';
import { parseHostUrl } from './host-link';
import { TerminalInput } from './inputs';
import { SessionHost, TerminalSession, Timeouts } from './session';
import { TerminalState, TerminalStateStore, initialState, switchBatchIdentity } from './state-store';

export interface EmulatorIdentity {
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
}

export interface EmulatorOptions {
  /** The reference bank host, 'tcp://127.0.0.1:PORT'. */
  hostUrl: string;
  /** One JSON file per terminal (keys, counters, batch, pending reversal), written atomically. */
  statePath: string;
  identity?: Partial<EmulatorIdentity>;
  capabilities?: Partial<TtpCapabilities>;
  terminalId?: string;
  merchantId?: string;
  merchantName?: string;
  /** Terminal master key, hex (32 digits for tdes / sm4). */
  tmk?: string;
  keyScheme?: 'tdes' | 'sm4';
  /** 10 hex digits, default 6000030000. */
  tpdu?: string;
  defects?: readonly (DefectName | string)[];
  timeouts?: Partial<Timeouts>;
  language?: 'zh-CN' | 'en';
  /** Adds the pauses of a real terminal (self test, printing, dialling). Off by default. */
  realisticTiming?: boolean;
  /** Voucher copies per transaction: 1 merchant, 2 + cardholder (default), 3 + bank. */
  voucherCopies?: 1 | 2 | 3;
  /** Named conformant profile (emulator/profiles.ts; default 'reference'): how this terminal behaves where conformant terminals differ. */
  profile?: string;
  /** Operator number printed on vouchers and sent in F63 of sign-on / settlement. */
  operator?: string;
  /** Sign on automatically after power-on when not signed on (default true). */
  autoSignOn?: boolean;
  /** How many times a pending reversal is tried before a fault slip is printed (default 3). */
  reversalRetries?: number;
  /** Mark the terminal tampered (persisted), as a tamper switch would. */
  tampered?: boolean;
  /** One line per notable happening (no PAN, no keys). */
  log?: (line: string) => void;
  /** TTP ACK timeout in ms (default from the protocol). */
  ttpAckTimeoutMs?: number;
  /**
   * The host address is set in the terminal's own menu only, as on many production-like test
   * firmwares: TTP `config` of `host` is answered not-supported (detail.field 'host'). Default false.
   */
  hostLocked?: boolean;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  hostResponseMs: 30000,
  hostConnectMs: 5000,
  cardMs: 60000,
  pinMs: 60000,
  idleMs: 60000,
};

/** A key or card reply waits at most this long for the screen it causes (TTP: reply within 2 s). */
const KEY_SETTLE_MS = 1500;

const PACKAGE_VERSION: string = (() => {
  try { return (require('../package.json') as { version: string }).version; } catch { return '0.0.0'; }
})();

function requireMatch(option: string, value: string | undefined, re: RegExp, what: string): void {
  if (value !== undefined && !re.test(value)) throw new EmulatorConfigError(option, `${JSON.stringify(value)} is not ${what}`);
}

/** Checks option values once, so that a typo fails at start-up, not in the middle of a test. */
function validateOptions(o: EmulatorOptions): void {
  if (!o || typeof o !== 'object') throw new EmulatorConfigError('options', 'missing');
  parseHostUrl(o.hostUrl ?? '');
  if (!o.statePath) throw new EmulatorConfigError('statePath', 'is required (one state file per terminal)');
  requireMatch('terminalId', o.terminalId, /^[\x20-\x7e]{8}$/, '8 characters');
  requireMatch('merchantId', o.merchantId, /^[\x20-\x7e]{15}$/, '15 characters');
  requireMatch('tmk', o.tmk, /^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/, '16, 32 or 48 hex digits');
  requireMatch('tpdu', o.tpdu, /^[0-9A-Fa-f]{10}$/, '10 hex digits');
  requireMatch('operator', o.operator, /^\d{2}$/, '2 digits');
  if (o.keyScheme && o.keyScheme !== 'tdes' && o.keyScheme !== 'sm4') throw new EmulatorConfigError('keyScheme', `${o.keyScheme} is not tdes or sm4`);
  if (o.keyScheme === 'sm4' && o.tmk && o.tmk.length !== 32) throw new EmulatorConfigError('tmk', 'an SM4 TMK is 32 hex digits');
  for (const [k, v] of Object.entries(o.timeouts ?? {})) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new EmulatorConfigError(`timeouts.${k}`, `${v} is not a positive number of ms`);
  }
}

export class EmulatedTerminal {
  readonly defects: ReadonlySet<DefectName>;
  readonly identity: EmulatorIdentity;
  readonly capabilities: TtpCapabilities;
  readonly profile: EmulatorProfile;
  private readonly store: TerminalStateStore;
  private readonly timeouts: Timeouts;
  private link?: ByteLink;
  private channel?: TtpChannel;
  private readonly linkListeners: { data: (b: Buffer) => void; close: () => void } = {
    data: (b) => this.channel?.receive(b),
    close: () => { this.channel?.linkDown(); },
  };
  private session?: TerminalSession;
  private sessionRun?: Promise<void>;
  private screenLines: string[] = [];
  private screenId = 'off';
  private currentState: TtpTerminalState = 'off';
  private readonly pendingEcr = new Map<number, TtpRequest>();
  private readonly cardCounters = new Map<string, number>();
  private powerTransition: Promise<void> = Promise.resolve();
  private optionsApplied = false;
  private cardLeftInSlot?: TtpCardImage;
  private stopped = false;
  /** A card was inserted over TTP and not removed: it is physically in the slot (survives power and a read error). */
  private slotOccupied = false;
  /** The outcome of the final screen now shown (TTP 1.1 §7.6), if the screen is one. */
  private screenOutcome?: TtpOutcome;

  constructor(private readonly opts: EmulatorOptions) {
    validateOptions(opts);
    this.defects = parseDefects(opts.defects as string[] | undefined);
    this.profile = emulatorProfile(opts.profile);
    this.store = new TerminalStateStore(opts.statePath);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...stripUndefined(opts.timeouts ?? {}) };
    this.identity = {
      vendor: opts.identity?.vendor ?? 'poscert',
      model: opts.identity?.model ?? 'EMU-UP1',
      serialNumber: opts.identity?.serialNumber ?? `EMU${(opts.terminalId ?? '00000001').replace(/\W/g, '')}`,
      firmwareVersion: opts.identity?.firmwareVersion ?? `${PACKAGE_VERSION}-emu`,
    };
    this.capabilities = {
      magstripe: true, contact: true, contactless: true, printer: true, pinpad: true,
      sm4: opts.keyScheme === 'sm4',
      // TTP 1.1 flags: the emulator takes injected PIN digits, free text, key loading and the tamper switch.
      pinInjection: true, textEntry: true, keyLoading: true, tamperSimulation: true,
      ...stripUndefined(opts.capabilities ?? {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // link and TTP

  /**
   * Serve TTP on this link (already open). A second attach replaces the first. Each link gets a
   * fresh channel: TTP state (last accepted frame, queued frames) never carries over from a closed
   * link to a reopened one (TTP §3.2).
   */
  attach(link: ByteLink): void {
    this.detach();
    this.link = link;
    this.newChannel();
    link.on('data', this.linkListeners.data);
    link.on('close', this.linkListeners.close);
  }

  private detach(): void {
    if (this.link) {
      this.link.off('data', this.linkListeners.data);
      this.link.off('close', this.linkListeners.close);
    }
    this.channel?.close();
    this.channel = undefined;
    this.link = undefined;
  }

  private newChannel(): void {
    const link = this.link!;
    const channel = new TtpChannel({
      write: (bytes) => link.write(bytes),
      scheduler: {
        setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref?.(); return t; },
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        now: () => Date.now(),
      },
      name: `terminal@${link.url}`,
      ...(this.opts.ttpAckTimeoutMs ? { ackTimeoutMs: this.opts.ttpAckTimeoutMs } : {}),
    });
    channel.on('request', (req) => { void this.handleRequest(req); });
    // TTP §3.2: the channel resets its duplicate detection on every new hello; the link outlives
    // harness connections (serial line, ser2net), so this is where a new harness is recognised.
    channel.on('session', ({ session }) => this.log(`TTP: new harness session${session !== undefined ? ` ${session}` : ' (hello without session)'} on ${link.url}`));
    channel.on('link-broken', () => {
      // The harness went away (or the line is too noisy): keep serving on a fresh channel.
      if (this.channel === channel && this.link === link && link.isOpen && !this.stopped) this.newChannel();
    });
    this.channel = channel;
  }

  private emit(event: TtpEvent): void {
    void this.channel?.emitEvent(event).catch(() => undefined);
  }

  private reply(req: TtpRequest, result?: unknown): void {
    void this.channel?.reply(req, result).catch(() => undefined);
  }

  private fail(req: TtpRequest, code: TtpErrorBody['code'], message: string, detail?: Record<string, unknown>): void {
    void this.channel?.replyError(req, { code, message, ...(detail ? { detail } : {}) }).catch(() => undefined);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private async handleRequest(req: TtpRequest): Promise<void> {
    try {
      await this.dispatch(req);
    } catch (e) {
      this.fail(req, 'internal', (e as Error).message);
    }
  }

  private get powered(): boolean {
    return this.session !== undefined;
  }

  /** The profile as hello reports it: the named one, with the copies and key scheme now configured. */
  private declaredProfile(): TerminalProfile {
    const p = this.profile.profile;
    let state: TerminalState | undefined;
    try { state = this.store.load() ?? undefined; } catch { state = undefined; }
    const copies = state?.config.voucherCopies ?? this.opts.voucherCopies ?? p.vouchers.copies;
    const scheme = state?.ped.keyScheme ?? this.opts.keyScheme ?? p.keys.scheme;
    return {
      ...p,
      vouchers: { copies, signatureOn: p.vouchers.signatureOn },
      keys: { scheme, signOnCode: '004' },
    };
  }

  private async dispatch(req: TtpRequest): Promise<void> {
    const r = req as TtpRequest & Record<string, unknown>;
    switch (req.cmd) {
      case 'hello': {
        const major = String(r.ttp ?? '').split('.')[0];
        if (major !== TTP_VERSION.split('.')[0]) {
          this.fail(req, 'unsupported-version', `this terminal speaks TTP ${TTP_VERSION}, not ${String(r.ttp)}`, { supported: [TTP_VERSION] });
          return;
        }
        const result: TtpHelloResult = {
          ttp: TTP_VERSION, ...this.identity, capabilities: this.capabilities, languages: ['zh', 'en'],
          testMode: true, powerProfile: 'simulated',
          profile: this.declaredProfile(),
        };
        this.reply(req, result);
        return;
      }
      case 'screen':
        this.reply(req, { lines: this.screenLines, state: this.currentState, screen: this.screenId, ...(this.screenOutcome ? { outcome: this.screenOutcome } : {}) });
        return;
      case 'power': {
        // The reply goes out BEFORE the terminal acts: a cut stops everything at once.
        const action = r.action;
        if (action !== 'cut' && action !== 'on' && action !== 'cycle') {
          this.fail(req, 'bad-request', `power action must be cut, on or cycle, got ${JSON.stringify(action)}`, { field: 'action' });
          return;
        }
        if (action === 'cut' && !this.powered) { this.fail(req, 'invalid-state', 'the terminal is already off'); return; }
        if (action === 'on' && this.powered) { this.fail(req, 'invalid-state', 'the terminal is already on; use cycle to restart it'); return; }
        this.reply(req, { state: action === 'cut' ? 'off' : 'booting' });
        if (action === 'cut' || action === 'cycle') await this.powerCut();
        if (action === 'on' || action === 'cycle') await this.powerOn();
        return;
      }
      case 'reset': {
        if (!this.powered) { this.fail(req, 'powered-off', 'the terminal is off; send power on first'); return; }
        if (r.factory !== undefined && typeof r.factory !== 'boolean') { this.fail(req, 'bad-request', 'factory must be a boolean', { field: 'factory' }); return; }
        await this.softReset(r.factory === true);
        this.reply(req, {});
        return;
      }
      case 'clock': {
        if (r.set !== undefined) {
          const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(String(r.set));
          if (!m) { this.fail(req, 'bad-request', `clock set must be YYYY-MM-DDTHH:mm:ss, got ${JSON.stringify(r.set)}`); return; }
          const wanted = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
          this.mutateState((s) => { s.clockOffsetMs = wanted - Date.now(); });
        }
        const offset = this.readState().clockOffsetMs;
        this.reply(req, { now: new Date(Date.now() + offset).toISOString().slice(0, 19) });
        return;
      }
      case 'config': {
        if (r.set !== undefined && this.session?.isBusy) {
          this.fail(req, 'invalid-state', 'a transaction is running; set parameters from the idle screen');
          return;
        }
        if (r.set !== undefined && this.opts.hostLocked && typeof r.set === 'object' && r.set !== null && 'host' in r.set) {
          this.fail(req, 'not-supported', 'the host address is set in the terminal\'s own menu (管理), not over TTP; nothing was changed', { field: 'host' });
          return;
        }
        if (r.set !== undefined) {
          try {
            this.applyConfig(r.set as TtpTerminalConfig & Record<string, unknown>);
          } catch (e) {
            this.fail(req, 'bad-request', (e as Error).message);
            return;
          }
        }
        this.reply(req, this.configView());
        return;
      }
      default:
        break;
    }
    if (!this.powered) {
      if (['key', 'card', 'ecr'].includes(req.cmd)) {
        this.fail(req, 'powered-off', 'the terminal is off; send power on (or cycle) first');
        return;
      }
      this.fail(req, 'unknown-command', `unknown command ${JSON.stringify(req.cmd)}`);
      return;
    }
    const session = this.session!;
    switch (req.cmd) {
      case 'key': {
        // `text` / `x-text` types a whole string in the keypad's alpha mode (payee names in Chinese).
        const keys = r.keys === undefined ? [] : r.keys;
        const text = r['x-text'] ?? r.text;
        if (!Array.isArray(keys)) { this.fail(req, 'bad-request', 'keys must be an array of key names', { field: 'keys' }); return; }
        const bad = keys.filter((k) => !isTtpKey(k));
        if (bad.length > 0) { this.fail(req, 'bad-request', `unknown key(s) ${JSON.stringify(bad)}; known: ${TTP_KEYS.join(' ')}`, { field: 'keys' }); return; }
        if (text !== undefined && typeof text !== 'string') { this.fail(req, 'bad-request', 'x-text must be a string', { field: 'x-text' }); return; }
        if (keys.length === 0 && !text) { this.fail(req, 'bad-request', 'give keys (array of key names) or x-text', { field: 'keys' }); return; }
        const interval = typeof r.intervalMs === 'number' && r.intervalMs > 0 ? Math.min(r.intervalMs, 1000) : 0;
        if (text) {
          session.inputs.push({ kind: 'text', text });
          await session.inputs.whenSettled(KEY_SETTLE_MS);
        }
        for (const key of keys as string[]) {
          if (interval > 0) await new Promise((res) => setTimeout(res, interval));
          this.emit({ evt: 'beep', kind: 'key' });
          session.inputs.push({ kind: 'key', key });
          await session.inputs.whenSettled(KEY_SETTLE_MS);
        }
        this.reply(req, {});
        return;
      }
      case 'card': {
        if (r.action === 'remove') {
          // TTP §6.5: nothing to take out is invalid-state (the harness's "remove any leftover card" expects it).
          if (!this.slotOccupied && !session.cardInSlot) { this.fail(req, 'invalid-state', 'no card is in the reader', { state: this.currentState }); return; }
          this.slotOccupied = false;
          session.cardInserted(undefined);
          session.inputs.push({ kind: 'card-removed' });
          await session.inputs.whenSettled(KEY_SETTLE_MS);
          this.reply(req, {});
          return;
        }
        if (r.action !== 'present') { this.fail(req, 'bad-request', `card action must be present or remove, got ${JSON.stringify(r.action)}`); return; }
        const method = r.method as string;
        if (!(TTP_CARD_METHODS as readonly string[]).includes(method)) {
          this.fail(req, 'bad-request', `card method must be swipe, insert or tap, got ${JSON.stringify(method)}`, { field: 'method' });
          return;
        }
        const capability = method === 'swipe' ? 'magstripe' : method === 'insert' ? 'contact' : 'contactless';
        if (!this.capabilities[capability]) { this.fail(req, 'not-supported', `this terminal has no ${capability} reader`, { method }); return; }
        const problem = cardImageProblem(r.card);
        if (problem) { this.fail(req, 'bad-request', `card image: ${problem}`, { field: 'card' }); return; }
        const card = r.card as TtpCardImage;
        if (card.interfaces && !card.interfaces.includes(method as never)) {
          this.fail(req, 'not-supported', `card ${card.name ?? ''} cannot be read by ${method} (its interfaces: ${card.interfaces.join(', ')})`, { method });
          return;
        }
        if (method === 'insert') { session.cardInserted(card); this.slotOccupied = true; }
        session.inputs.push({ kind: 'card', method: method as 'swipe' | 'insert' | 'tap', card });
        await session.inputs.whenSettled(KEY_SETTLE_MS);
        this.reply(req, {});
        return;
      }
      case 'ecr': {
        const ecr = req as TtpEcrCommand;
        if (!(TTP_ECR_REQUESTS as readonly string[]).includes(ecr.request)) {
          this.fail(req, 'bad-request', `ecr request must be one of ${TTP_ECR_REQUESTS.join(', ')}`, { field: 'request' });
          return;
        }
        // TTP §6.9: amount is required for sale, bill-payment and refund (the cash register knows it; no keypad entry).
        const missing = ecrMissingField(ecr);
        if (missing) { this.fail(req, 'bad-request', `ecr ${ecr.request} needs ${missing}`, { field: missing }); return; }
        if (ecr.amount !== undefined && !/^\d{1,12}$/.test(ecr.amount)) { this.fail(req, 'bad-request', 'amount must be 1..12 digits (fen)', { field: 'amount' }); return; }
        if (ecr.request === 'bill-payment' && (!ecr.payee?.name || !/^\d{1,32}$/.test(ecr.payee?.account ?? ''))) {
          this.fail(req, 'bad-request', 'bill-payment needs payee.name and payee.account (digits)', { field: 'payee' });
          return;
        }
        if (session.isBusy || this.pendingEcr.size > 0) { this.fail(req, 'busy', 'a transaction is in progress'); return; }
        if (this.readState().tampered && !this.defects.has('tamper-ignored')) {
          this.fail(req, 'tampered', 'tamper detected: the terminal refuses to transact');
          return;
        }
        this.pendingEcr.set(req.id, req);
        session.inputs.push({ kind: 'ecr', request: ecr } as TerminalInput);
        return;
      }
      default:
        this.fail(req, 'unknown-command', `unknown command ${JSON.stringify((req as { cmd: string }).cmd)}; this terminal speaks ${['hello', 'reset', 'power', 'key', 'card', 'screen', 'config', 'clock', 'ecr'].join(', ')}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // configuration

  private readState(): TerminalState {
    return this.session ? this.session.state : this.store.load();
  }

  private mutateState(change: (s: TerminalState) => void): void {
    if (this.session) {
      change(this.session.state);
      this.session.persist();
    } else {
      const s = this.store.load();
      change(s);
      this.store.save(s);
    }
  }

  private configView(): TtpTerminalConfig & Record<string, unknown> {
    const s = this.readState();
    const host = s.config.hostUrl ? parseHostUrl(s.config.hostUrl) : undefined;
    return {
      ...(host ? { host: `${host.host}:${host.port}` } : {}),
      tpdu: s.config.tpdu,
      ...(s.config.merchantId ? { merchantId: s.config.merchantId } : {}),
      ...(s.config.terminalId ? { terminalId: s.config.terminalId } : {}),
      ...(s.config.merchantName ? { merchantName: s.config.merchantName } : {}),
      language: s.config.language === 'en' ? 'en' : 'zh',
      voucherCopies: s.config.voucherCopies,
      timeouts: { ...this.timeouts },
      // TTP 1.1 standard members (§6.7), and the 1.0 x- spellings beside them.
      keyScheme: s.ped.keyScheme,
      tmkLoaded: Boolean(s.ped.tmk),
      tampered: s.tampered,
      'x-keyScheme': s.ped.keyScheme,
      'x-tmkLoaded': Boolean(s.ped.tmk),
      'x-signedOn': s.signedOn,
      'x-batchNumber': s.counters.batchNumber,
      'x-stan': String(s.counters.stan).padStart(6, '0'),
      'x-batchCount': s.batch.length,
      'x-pendingReversal': s.pendingReversal ? { trace: s.pendingReversal.trace, reason: s.pendingReversal.reason } : null,
      'x-tampered': s.tampered,
      'x-defects': [...this.defects],
    };
  }

  /** TTP config set (test firmware): ids, host, TPDU, language, copies, timeouts, and x-tmk / x-keyScheme / x-tampered. */
  private applyConfig(set: TtpTerminalConfig & Record<string, unknown>): void {
    const str = (k: string): string | undefined => {
      const v = set[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw new EmulatorConfigError(k, 'must be a string');
      return v;
    };
    const host = str('host');
    const tpdu = str('tpdu');
    const merchantId = str('merchantId');
    const terminalId = str('terminalId');
    const merchantName = str('merchantName');
    const tmk = str('x-tmk') ?? str('tmk');
    const keyScheme = str('x-keyScheme') ?? str('keyScheme');
    requireMatch('tpdu', tpdu, /^[0-9A-Fa-f]{10}$/, '10 hex digits');
    requireMatch('merchantId', merchantId, /^[\x20-\x7e]{15}$/, '15 characters');
    requireMatch('terminalId', terminalId, /^[\x20-\x7e]{8}$/, '8 characters');
    requireMatch('x-tmk', tmk, /^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/, '16, 32 or 48 hex digits');
    if (host !== undefined) parseHostUrl(host);
    if (keyScheme !== undefined && keyScheme !== 'tdes' && keyScheme !== 'sm4') throw new EmulatorConfigError('x-keyScheme', 'must be tdes or sm4');
    if (set.language !== undefined && set.language !== 'zh' && set.language !== 'en') throw new EmulatorConfigError('language', 'must be zh or en');
    if (set.voucherCopies !== undefined && ![1, 2, 3].includes(set.voucherCopies as number)) throw new EmulatorConfigError('voucherCopies', 'must be 1, 2 or 3');
    const tampered = set['x-tampered'] ?? set.tampered;
    if (tampered !== undefined && typeof tampered !== 'boolean') throw new EmulatorConfigError('x-tampered', 'must be true or false');
    if (set.timeouts !== undefined) {
      for (const [k, v] of Object.entries(set.timeouts)) {
        if (!(k in this.timeouts)) throw new EmulatorConfigError(`timeouts.${k}`, `unknown timeout (known: ${Object.keys(this.timeouts).join(', ')})`);
        if (!Number.isInteger(v) || (v as number) <= 0) throw new EmulatorConfigError(`timeouts.${k}`, 'must be a positive number of ms');
      }
    }
    this.mutateState((s) => {
      const identityChanged = (terminalId !== undefined && terminalId !== s.config.terminalId)
        || (merchantId !== undefined && merchantId !== s.config.merchantId)
        || (tmk !== undefined && tmk.toUpperCase() !== s.ped.tmk)
        || (keyScheme !== undefined && keyScheme !== s.ped.keyScheme);
      const ids = { terminalId: s.config.terminalId, merchantId: s.config.merchantId };
      if (host !== undefined) s.config.hostUrl = `tcp://${host.replace(/^tcp:\/\//, '')}`;
      if (tpdu !== undefined) s.config.tpdu = tpdu.toUpperCase();
      if (merchantId !== undefined) s.config.merchantId = merchantId;
      if (terminalId !== undefined) s.config.terminalId = terminalId;
      switchBatchIdentity(s, ids);
      if (merchantName !== undefined) s.config.merchantName = merchantName;
      if (set.language !== undefined) s.config.language = set.language === 'en' ? 'en' : 'zh-CN';
      if (set.voucherCopies !== undefined) s.config.voucherCopies = set.voucherCopies;
      if (tmk !== undefined) s.ped.tmk = tmk.toUpperCase();
      if (keyScheme !== undefined) s.ped.keyScheme = keyScheme as 'tdes' | 'sm4';
      if (tampered !== undefined) s.tampered = tampered as boolean;
      if (identityChanged) {
        // New identity or master key: the old working keys are useless, sign on again.
        s.signedOn = false;
        delete s.ped.workingKeys;
      }
    });
    if (set.timeouts) Object.assign(this.timeouts, set.timeouts);
  }

  /**
   * Options given at construction win over the state file at the first power-on (the lab says
   * what this terminal is); TTP config changes made afterwards persist across power cycles.
   */
  private applyOptions(s: TerminalState): void {
    const o = this.opts;
    const before = JSON.stringify([s.config.terminalId, s.config.merchantId, s.ped.tmk, s.ped.keyScheme]);
    s.config.hostUrl = o.hostUrl;
    if (o.terminalId !== undefined) s.config.terminalId = o.terminalId;
    if (o.merchantId !== undefined) s.config.merchantId = o.merchantId;
    if (o.merchantName !== undefined) s.config.merchantName = o.merchantName;
    if (o.tmk !== undefined) s.ped.tmk = o.tmk.toUpperCase();
    if (o.keyScheme !== undefined) s.ped.keyScheme = o.keyScheme;
    if (o.tpdu !== undefined) s.config.tpdu = o.tpdu.toUpperCase();
    if (o.language !== undefined) s.config.language = o.language;
    const copies = o.voucherCopies ?? (o.profile !== undefined ? this.profile.profile.vouchers.copies : undefined);
    if (copies !== undefined) s.config.voucherCopies = copies;
    if (o.tampered !== undefined) s.tampered = o.tampered;
    if (JSON.stringify([s.config.terminalId, s.config.merchantId, s.ped.tmk, s.ped.keyScheme]) !== before) {
      s.signedOn = false;
      delete s.ped.workingKeys;
    }
  }

  // -------------------------------------------------------------------------------------------
  // power

  /** Boots the terminal; resolves once it is idle (or stuck at sign-on / tamper / a fault screen). */
  powerOn(): Promise<void> {
    const step = this.powerTransition.then(() => this.doPowerOn());
    this.powerTransition = step.catch(() => undefined);
    return step;
  }

  private async doPowerOn(): Promise<void> {
    if (this.session || this.stopped) return;
    const state = this.store.load();
    if (!this.optionsApplied) {
      // Once per EmulatedTerminal: later TTP config changes survive power cycles, as in firmware.
      this.applyOptions(state);
      this.optionsApplied = true;
    }
    this.store.save(state);
    this.channel?.resetEventSequence();
    // A card left in the chip reader is still there after the power comes back.
    await this.startSession(state, false, this.cardLeftInSlot);
  }

  /**
   * TTP reset: abandon the running flow as if CANCEL were pressed until idle, without power loss
   * (the in-memory state is kept; a transaction at the host keeps its pending reversal). factory:
   * erase the state file too (the construction options are applied again) and boot.
   */
  private async softReset(factory: boolean): Promise<void> {
    const step = this.powerTransition.then(async () => {
      const old = this.session;
      if (!old) return;
      this.session = undefined;
      old.kill();
      for (const [, req] of this.pendingEcr) this.fail(req, 'cancelled', 'terminal reset');
      this.pendingEcr.clear();
      await this.sessionRun?.catch(() => undefined);
      if (factory) {
        const fresh = initialState();
        this.applyOptions(fresh);
        this.store.save(fresh);
        await this.startSession(fresh, false, undefined);
      } else {
        await this.startSession(old.state, true, old.cardInSlot);
      }
    });
    this.powerTransition = step.catch(() => undefined);
    return step;
  }

  private async startSession(state: TerminalState, skipBoot: boolean, cardInSlot: TtpCardImage | undefined): Promise<void> {
    const self = this;
    const host: SessionHost = {
      defects: this.defects,
      timeouts: this.timeouts,
      realisticTiming: this.opts.realisticTiming ?? false,
      operator: this.opts.operator ?? '01',
      autoSignOn: this.opts.autoSignOn ?? true,
      reversalRetries: this.opts.reversalRetries ?? 3,
      profile: this.profile,
      serialNumber: this.identity.serialNumber,
      capabilities: this.capabilities,
      cardCounters: this.cardCounters,
      display(lines, screen, st, detail) {
        if (self.session !== session) return;
        const from = self.currentState;
        // TTP 1.1 §11: the idle screen of a terminal in test mode says so; §7.6: final screens carry outcome.
        const shown = (screen === 'idle' || st === 'sign-on-required') && st !== 'result' ? [...lines, TEST_MARK_SCREEN] : lines;
        const same = from === st && screen === self.screenId && shown.length === self.screenLines.length
          && shown.every((l, i) => l === self.screenLines[i]);
        if (same) return; // one display per distinct screen (TTP 7.1)
        const outcome = st === 'result' ? finalScreenOutcome(screen, lines, detail) : undefined;
        self.screenLines = shown;
        self.screenId = screen;
        self.currentState = st;
        self.screenOutcome = outcome;
        if (from !== st) self.emit({ evt: 'state', state: st, from, ...(detail ? { detail } : {}) });
        self.emit({ evt: 'display', lines: shown, screen, ...(outcome ? { outcome } : {}) });
      },
      print(copy: TtpPrintCopy, lines, reprint, trace) {
        if (self.session !== session) return;
        // TTP 1.1 §11: every voucher printed in test mode carries the TEST line.
        self.emit({ evt: 'print', copy, lines: [...lines, TEST_MARK_VOUCHER], reprint, ...(trace ? { trace } : {}) });
      },
      beep(kind) {
        if (self.session !== session) return;
        self.emit({ evt: 'beep', kind });
      },
      log: (line) => this.log(line),
      ecrDone(id, outcome) {
        const req = self.pendingEcr.get(id);
        if (!req) return;
        self.pendingEcr.delete(id);
        if (outcome.error) self.fail(req, outcome.error.code, outcome.error.message);
        else self.reply(req, outcome.result ? { ...outcome.result, outcome: ecrOutcome(outcome.result, self.screenOutcome) } : outcome.result);
      },
    };
    const session = new TerminalSession(host, this.store, state, skipBoot);
    if (cardInSlot) session.cardInserted(cardInSlot);
    this.session = session;
    this.sessionRun = session.run();
    await Promise.race([session.booted, this.sessionRun]);
    // Boot is over; the idle (or sign-on-required / tampered) screen comes right after.
    await session.inputs.whenSettled(KEY_SETTLE_MS);
  }

  /** Simulated power loss: the running flow stops where it is; only what was saved survives. */
  powerCut(): Promise<void> {
    const step = this.powerTransition.then(() => this.doPowerCut());
    this.powerTransition = step.catch(() => undefined);
    return step;
  }

  private async doPowerCut(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    this.cardLeftInSlot = session.cardInSlot;
    session.kill();
    for (const [, req] of this.pendingEcr) this.fail(req, 'cancelled', 'terminal lost power');
    this.pendingEcr.clear();
    const from = this.currentState;
    this.screenLines = [];
    this.screenId = 'off';
    this.currentState = 'off';
    if (from !== 'off') this.emit({ evt: 'state', state: 'off', from });
    await this.sessionRun?.catch(() => undefined);
    this.sessionRun = undefined;
  }

  /** Power off and stop serving TTP; the link itself belongs to whoever opened it. */
  async shutdown(): Promise<void> {
    await this.powerCut();
    this.stopped = true;
    this.detach();
  }

  /** Current screen, for in-process callers and tests. */
  get screen(): { lines: string[]; state: TtpTerminalState; screen: string } {
    return { lines: [...this.screenLines], state: this.currentState, screen: this.screenId };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Why a TTP card image cannot be read, or undefined when it is fine. */
export function cardImageProblem(card: unknown): string | undefined {
  if (typeof card !== 'object' || card === null) return 'missing (give the card image object)';
  const c = card as Record<string, unknown>;
  if (typeof c.pan !== 'string' || !/^\d{12,19}$/.test(c.pan)) return 'pan must be 12 to 19 digits';
  if (typeof c.expiry !== 'string' || !/^\d{2}(0[1-9]|1[0-2])$/.test(c.expiry)) return 'expiry must be YYMM';
  if (typeof c.serviceCode !== 'string' || !/^\d{3}$/.test(c.serviceCode)) return 'serviceCode must be 3 digits';
  if (c.track2 !== undefined && (typeof c.track2 !== 'string' || !/^\d{12,19}=\d{4,20}$/.test(c.track2))) return 'track2 must be PAN=digits';
  if (c.psn !== undefined && (typeof c.psn !== 'string' || !/^\d{1,3}$/.test(c.psn))) return 'psn must be digits';
  if (c.emv !== undefined) {
    const e = c.emv as Record<string, unknown>;
    if (typeof e !== 'object' || e === null) return 'emv must be an object';
    if (typeof e.aid !== 'string' || !/^([0-9A-Fa-f]{2}){5,16}$/.test(e.aid)) return 'emv.aid must be 10..32 hex digits';
    if (typeof e.atc !== 'number' || !Number.isInteger(e.atc)) return 'emv.atc must be an integer';
    if (e.imk === undefined && e.iccMasterKey === undefined) return 'emv needs imk or iccMasterKey';
    if (typeof e.applicationLabel !== 'string') return 'emv.applicationLabel must be a string';
  }
  return undefined;
}

/** The parameter an `ecr` request lacks (TTP §6.9), if any. */
function ecrMissingField(ecr: TtpEcrCommand): string | undefined {
  const needsAmount = ecr.request === 'sale' || ecr.request === 'bill-payment' || ecr.request === 'refund';
  if (needsAmount && ecr.amount === undefined) return 'amount';
  if (ecr.request === 'void' && ecr.originalTrace === undefined) return 'originalTrace';
  if (ecr.request === 'refund' && ecr.originalRrn === undefined) return 'originalRrn';
  if (ecr.request === 'refund' && ecr.originalDate === undefined) return 'originalDate';
  return undefined;
}

/** TTP 1.1 §11: the marker line a terminal in test mode adds to its idle screen, and to every voucher copy. */
export const TEST_MARK_SCREEN = 'TEST 测试';
export const TEST_MARK_VOUCHER = '**测试 TEST**';

/** Failure texts of a final screen (both languages) and the §7.6 outcome they stand for. */
const FAILURE_OUTCOMES: Array<[Bilingual, TtpOutcome['result']]> = [
  [T.hostTimeout, 'comm-error'], [T.commError, 'comm-error'], [T.macMismatch, 'mac-error'],
  [T.responseMismatch, 'reply-mismatch'], [T.arpcFailed, 'issuer-auth-failed'], [T.cardExpired, 'expired-card'],
  [T.signOnFailed, 'not-signed-on'], [T.timeout, 'timeout'], [T.cancelled, 'cancelled'],
];

/**
 * The outcome of a final screen (state result), from what the flow showed: the screen id and the
 * detail the flow gave (transaction, response code), else the failure line it shows.
 */
export function finalScreenOutcome(screen: string | undefined, lines: readonly string[], detail?: Record<string, unknown>): TtpOutcome {
  const transaction = typeof detail?.transaction === 'string' ? detail.transaction : undefined;
  const responseCode = typeof detail?.responseCode === 'string' && detail.responseCode ? detail.responseCode : undefined;
  const base = { ...(responseCode ? { responseCode } : {}), ...(transaction ? { transaction } : {}) };
  if (screen === 'approved') return { result: 'approved', ...base };
  if (screen === 'aborted') return { result: lines.some((l) => l === T.timeout.zh || l === T.timeout.en) ? 'timeout' : 'cancelled', ...base };
  if (screen === 'declined') {
    if (detail?.reason === 'card-expired') return { result: 'expired-card', ...base };
    for (const [text, result] of FAILURE_OUTCOMES) if (lines.some((l) => l === text.zh || l === text.en)) return { result, ...base, ...(lines.some((l) => l === T.willReverse.zh || l === T.willReverse.en) ? { reversal: true } : {}) };
    return { result: responseCode ? 'declined' : 'failed', ...base };
  }
  if (screen !== undefined && /-(failed)$|^fault$/.test(screen)) return { result: 'failed', ...base };
  return { result: 'done', ...base };
}

/** The outcome of an ecr result: the final screen's when there is one, else from the result itself. */
function ecrOutcome(result: TtpEcrResult, shown: TtpOutcome | undefined): TtpOutcome {
  if (shown && (shown.result !== 'done' || result.approved)) return shown;
  if (result.approved) return { result: 'approved', ...(result.responseCode ? { responseCode: result.responseCode } : {}) };
  return { result: result.responseCode ? 'declined' : 'failed', ...(result.responseCode ? { responseCode: result.responseCode } : {}) };
}
