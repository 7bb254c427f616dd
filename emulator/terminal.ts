/**
 * EmulatedTerminal: the reference implementation of the terminal side of the Terminal Test
 * Protocol. It serves TTP on one byte link (commands in, replies and display / print / state /
 * beep events out) and runs a TerminalSession per power-on. Power is modelled: `power cut` kills
 * the session at once (nothing more saved), `power on` boots a new one from the state file.
 */
import type { ByteLink } from '../links';
import {
  TTP_COMMANDS,
  TTP_VERSION,
  TtpCapabilities,
  TtpCardImage,
  TtpChannel,
  TtpErrorBody,
  TtpEvent,
  TtpHelloResult,
  TtpPrintCopy,
  TtpRequest,
  TtpTerminalConfig,
  TtpTerminalState,
  type TtpOutcome,
} from '../protocol/ttp';
import { DefectName, parseDefects } from './defects';
import { EmulatorProfile, emulatorProfile } from './profiles';
import type { TerminalProfile } from '../protocol/ttp/profile';
import { SessionHost, TerminalSession, Timeouts } from './session';
import { TerminalState, TerminalStateStore, initialState } from './state-store';
import { handleCardCommand, handleKeyCommand } from './ttp/card-keys';
import { handleSignCommand } from './ttp/sign';
import { applyConfigSet, applyOptions, configView } from './ttp/config';
import { KEY_SETTLE_MS, type TtpCommandContext } from './ttp/context';
import { handleEcrCommand } from './ttp/ecr';
import { DEFAULT_TIMEOUTS, type EmulatorIdentity, type EmulatorOptions, validateOptions } from './ttp/options';
import { TEST_MARK_SCREEN, TEST_MARK_VOUCHER, ecrOutcome, finalScreenOutcome } from './ttp/outcome';

// Moved by concern into ttp/ (issue 11); re-exported so every import of this module keeps working.
export { DEFAULT_TIMEOUTS, type EmulatorIdentity, type EmulatorOptions } from './ttp/options';
export { cardImageProblem } from './ttp/card-keys';
export { TEST_MARK_SCREEN, TEST_MARK_VOUCHER, finalScreenOutcome } from './ttp/outcome';

const PACKAGE_VERSION: string = (() => {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

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
    close: () => {
      this.channel?.linkDown();
    },
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
      magstripe: true,
      contact: true,
      contactless: true,
      printer: true,
      pinpad: true,
      sm4: opts.keyScheme === 'sm4',
      // TTP 1.1 flags: the emulator takes injected PIN digits, free text, key loading and the tamper switch.
      pinInjection: true,
      textEntry: true,
      keyLoading: true,
      tamperSimulation: true,
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
        setTimeout: (fn, ms) => {
          const t = setTimeout(fn, ms);
          t.unref?.();
          return t;
        },
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        now: () => Date.now(),
      },
      name: `terminal@${link.url}`,
      ...(this.opts.ttpAckTimeoutMs ? { ackTimeoutMs: this.opts.ttpAckTimeoutMs } : {}),
    });
    channel.on('request', (req) => {
      void this.handleRequest(req);
    });
    // TTP §3.2: the channel resets its duplicate detection on every new hello; the link outlives
    // harness connections (serial line, ser2net), so this is where a new harness is recognised.
    channel.on('session', ({ session }) =>
      this.log(`TTP: new harness session${session !== undefined ? ` ${session}` : ' (hello without session)'} on ${link.url}`),
    );
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
    try {
      state = this.store.load() ?? undefined;
    } catch {
      state = undefined;
    }
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
          ttp: TTP_VERSION,
          ...this.identity,
          capabilities: this.capabilities,
          languages: ['zh', 'en'],
          testMode: true,
          powerProfile: 'simulated',
          profile: this.declaredProfile(),
        };
        this.reply(req, result);
        return;
      }
      case 'screen':
        this.reply(req, {
          lines: this.screenLines,
          state: this.currentState,
          screen: this.screenId,
          ...(this.screenOutcome ? { outcome: this.screenOutcome } : {}),
        });
        return;
      case 'power': {
        // The reply goes out BEFORE the terminal acts: a cut stops everything at once.
        const action = r.action;
        if (action !== 'cut' && action !== 'on' && action !== 'cycle') {
          this.fail(req, 'bad-request', `power action must be cut, on or cycle, got ${JSON.stringify(action)}`, { field: 'action' });
          return;
        }
        if (action === 'cut' && !this.powered) {
          this.fail(req, 'invalid-state', 'the terminal is already off');
          return;
        }
        if (action === 'on' && this.powered) {
          this.fail(req, 'invalid-state', 'the terminal is already on; use cycle to restart it');
          return;
        }
        this.reply(req, { state: action === 'cut' ? 'off' : 'booting' });
        if (action === 'cut' || action === 'cycle') await this.powerCut();
        if (action === 'on' || action === 'cycle') await this.powerOn();
        return;
      }
      case 'reset': {
        if (!this.powered) {
          this.fail(req, 'powered-off', 'the terminal is off; send power on first');
          return;
        }
        if (r.factory !== undefined && typeof r.factory !== 'boolean') {
          this.fail(req, 'bad-request', 'factory must be a boolean', { field: 'factory' });
          return;
        }
        await this.softReset(r.factory === true);
        this.reply(req, {});
        return;
      }
      case 'clock': {
        if (r.set !== undefined) {
          const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(String(r.set));
          if (!m) {
            this.fail(req, 'bad-request', `clock set must be YYYY-MM-DDTHH:mm:ss, got ${JSON.stringify(r.set)}`);
            return;
          }
          const wanted = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
          this.mutateState((s) => {
            s.clockOffsetMs = wanted - Date.now();
          });
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
          this.fail(req, 'not-supported', "the host address is set in the terminal's own menu (管理), not over TTP; nothing was changed", {
            field: 'host',
          });
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
      if (['key', 'card', 'ecr', 'sign'].includes(req.cmd)) {
        this.fail(req, 'powered-off', 'the terminal is off; send power on (or cycle) first');
        return;
      }
      this.fail(req, 'unknown-command', `unknown command ${JSON.stringify(req.cmd)}`);
      return;
    }
    const session = this.session!;
    switch (req.cmd) {
      case 'key':
        await handleKeyCommand(this.commandContext(session), req);
        return;
      case 'card':
        await handleCardCommand(this.commandContext(session), req);
        return;
      case 'ecr':
        handleEcrCommand(this.commandContext(session), req);
        return;
      case 'sign':
        await handleSignCommand(this.commandContext(session), req, this.profile.profile.electronicSignature);
        return;
      default:
        this.fail(
          req,
          'unknown-command',
          `unknown command ${JSON.stringify((req as { cmd: string }).cmd)}; this terminal speaks ${[...TTP_COMMANDS].join(', ')}`,
        );
    }
  }

  /** What the command handlers of ttp/ may touch of this terminal (read live, not copied). */
  private commandContext(session: TerminalSession): TtpCommandContext {
    const self = this;
    return {
      session,
      capabilities: this.capabilities,
      defects: this.defects,
      pendingEcr: this.pendingEcr,
      get currentState() {
        return self.currentState;
      },
      get slotOccupied() {
        return self.slotOccupied;
      },
      set slotOccupied(v: boolean) {
        self.slotOccupied = v;
      },
      readState: () => this.readState(),
      reply: (r, result) => this.reply(r, result),
      fail: (r, code, message, detail) => this.fail(r, code, message, detail),
      emit: (event) => this.emit(event),
    };
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
    return configView(this.readState(), this.timeouts, this.defects);
  }

  /** TTP config set (test firmware): ids, host, TPDU, language, copies, timeouts, and x-tmk / x-keyScheme / x-tampered. */
  private applyConfig(set: TtpTerminalConfig & Record<string, unknown>): void {
    applyConfigSet(set, this.timeouts, (change) => this.mutateState(change));
  }

  /**
   * Options given at construction win over the state file at the first power-on (the lab says
   * what this terminal is); TTP config changes made afterwards persist across power cycles.
   */
  private applyOptions(s: TerminalState): void {
    applyOptions(s, this.opts, this.profile);
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
        const same =
          from === st && screen === self.screenId && shown.length === self.screenLines.length && shown.every((l, i) => l === self.screenLines[i]);
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
