/**
 * TerminalSession: the TTP session layer under TerminalDriver (drivers/terminal.ts). It owns the
 * endpoint (link + channel), says hello and keeps the terminal's identity, profile and capabilities,
 * sends every TTP command (call), turns display / state / print events into screens, vouchers and
 * the masked transcript, and offers the screen waiters and the evidence. Split out of
 * drivers/terminal.ts (issue 11: no file over 500 lines); TerminalDriver extends it, so the
 * driver's public API is unchanged.
 *
 * Errors: a link that went down surfaces as the links' LinkError / LinkDownError; a closed driver
 * as DriverUsageError; a terminal given up on as the strategy's TerminalBrokenError (assertUsable).
 */
import { parseTerminalProfile, type TerminalProfile } from '../protocol/ttp/profile';
import * as links from '../links';
import {
  TTP_VERSION,
  TtpCommand,
  TtpCommandName,
  TtpEvent,
  TtpHelloResult,
  TtpResponseTimeoutError,
  TtpResultByCommand,
  TtpScreenResult,
  TtpTraceEntry,
  effectiveCapabilities,
  speaksTtp11,
  type TtpCapabilityName,
  type TtpCapabilityName11,
} from '../protocol/ttp';
import { DriverUsageError, TerminalCapabilityMissingError, TerminalCommandError, TerminalExpectationError } from './errors';
import { EvidenceMasker } from './masking';
import { promptKey } from './prompts';
import { ScreenMatcher, ScreenSnapshot, ScreenTracker, describeMatcher, screenMatches } from './screens';
import type { TerminalDriverOptions, TerminalIdentity } from './terminal-options';
import { Transcript, TranscriptEntry } from './transcript';
import { TtpEndpoint, request } from './ttp-endpoint';
import { VoucherCollector, VoucherCopy } from './vouchers';

/** Commands that make the terminal act; screens after them belong to the step that sent them. */
const ACTION_COMMANDS: ReadonlySet<string> = new Set(['key', 'card', 'power', 'ecr', 'reset', 'sign']);

const POSCERT_VERSION: string = (() => {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

export abstract class TerminalSession {
  readonly url: string;
  readonly name: string;
  protected endpoint: TtpEndpoint;
  protected readonly opts: TerminalDriverOptions;
  protected readonly masker = new EvidenceMasker();
  protected readonly transcriptLog: Transcript;
  protected readonly screens: ScreenTracker;
  protected readonly vouchers: VoucherCollector;
  protected identity: TerminalIdentity | undefined;
  /** Screen change number when the last action (keys, card, PIN, ECR, power) was sent. */
  private actionMark = 0;
  /** Why the link went down (the links' LinkDownError when it has one); cleared by reconnect(). */
  private linkFailure: Error | undefined;
  protected closed = false;
  protected readonly log: (line: string) => void;

  protected constructor(url: string, endpoint: TtpEndpoint, opts: TerminalDriverOptions) {
    this.url = url;
    this.name = opts.name ?? url;
    this.opts = opts;
    this.endpoint = endpoint;
    this.log = opts.log ?? (() => undefined);
    this.transcriptLog = new Transcript(this.masker);
    this.screens = new ScreenTracker({ maskForReport: (t, state) => this.masker.maskScreenLine(t, state) });
    this.vouchers = new VoucherCollector((t) => this.masker.maskText(t));
    this.attach(endpoint);
  }

  /** Throws the TerminalBrokenError once the recovery strategy gave the terminal up (TerminalDriver). */
  protected abstract assertNotGivenUp(): void;

  // ------------------------------------------------------------------ identity and capabilities

  /**
   * TTP hello: identity, firmware, protocol version and capabilities. A terminal still booting when
   * the run starts may acknowledge the first hello and answer it too late; hello changes nothing on
   * the terminal, so one unanswered hello is asked again before the run is given up as broken.
   */
  async hello(): Promise<TerminalIdentity> {
    const ask = () =>
      this.call({
        cmd: 'hello',
        ttp: TTP_VERSION,
        client: `poscert ${POSCERT_VERSION}`,
        session: this.endpoint.session,
      });
    let r: TtpHelloResult;
    try {
      r = await ask();
    } catch (err) {
      if (!(err instanceof TtpResponseTimeoutError)) throw err;
      this.log(`terminal ${this.name} did not answer hello in time (${err.message}); asking once more`);
      r = await ask();
    }
    const major = (v: string) => String(v).split('.')[0];
    if (typeof r.ttp !== 'string' || major(r.ttp) !== major(TTP_VERSION)) {
      throw new TerminalCommandError(
        `Terminal ${this.name} speaks TTP ${String(r.ttp)}, poscert speaks ${TTP_VERSION}; a different major version cannot be driven. Update the terminal's test firmware or poscert.`,
        { terminal: this.name, terminalTtp: r.ttp, ttp: TTP_VERSION },
      );
    }
    // TTP 1.1 §2.3: nothing larger than the terminal's declared receive limit is sent to it.
    if (Number.isInteger(r.maxPayload)) this.endpoint.channel.limitSendPayload(r.maxPayload!);
    this.identity = {
      vendor: r.vendor,
      model: r.model,
      serialNumber: r.serialNumber,
      firmwareVersion: r.firmwareVersion,
      // Every capability, 1.1 flags included (a 1.0 terminal's follow the 1.0 rules: TTP 1.1 compatibility notes).
      ttp: r.ttp,
      capabilities: effectiveCapabilities(r),
      maxPayload: r.maxPayload,
      languages: r.languages,
      ...(r.testMode !== undefined ? { testMode: r.testMode } : {}),
      ...(r.powerProfile !== undefined ? { powerProfile: r.powerProfile } : {}),
      ...(r.profile !== undefined ? { profile: parseTerminalProfile(r.profile, `hello of terminal ${this.name}`) } : {}),
    };
    this.profile ??= this.identity.profile;
    return { ...this.identity };
  }

  /**
   * The profile the harness judges this terminal by: declared in hello, else set by the lab
   * (useProfile, from the lab file entry or POSCERT_PROFILE). Its supervisor password answers 主管密码.
   */
  profile: TerminalProfile | undefined;

  /** The lab's declaration of the profile, for a terminal whose hello does not carry one. */
  useProfile(profile: TerminalProfile): void {
    this.profile = profile;
  }

  /**
   * Whether the terminal declared a capability (TTP §10, 1.1 flags included). Before hello nothing
   * is known and the harness tries (true). A case needing an undeclared one is not applicable.
   */
  supports(capability: TtpCapabilityName | TtpCapabilityName11): boolean {
    return this.identity ? this.identity.capabilities[capability] === true : true;
  }

  /** Refuses to use a member behind a capability the terminal does not declare (TTP 1.1 §10). */
  protected requireCapability(capability: TtpCapabilityName | TtpCapabilityName11, what: string): void {
    if (!this.supports(capability)) {
      throw new TerminalCapabilityMissingError(
        `Terminal ${this.name} does not declare the TTP capability ${capability}, needed for ${what}: a case that needs it is not applicable to this terminal (its plan entry should require ${capability}).`,
        { terminal: this.name, capability },
      );
    }
  }

  /** 1.1 terminals take the standard member names, 1.0 terminals their x- spellings. */
  protected get speaks11(): boolean {
    return speaksTtp11(this.identity?.ttp);
  }

  /** Identity from the last hello(), if any. */
  get terminalIdentity(): TerminalIdentity | undefined {
    return this.identity ? { ...this.identity } : undefined;
  }
  /** Reopens the link and the TTP channel (after a link went down). */
  async reconnect(): Promise<void> {
    this.assertOpen();
    this.transcriptLog.note(`reconnecting ${this.url}`);
    await this.endpoint.close().catch(() => undefined);
    if (this.opts.link) {
      throw new DriverUsageError(`The link of ${this.name} was handed in by the caller and is gone; it cannot be reopened by the driver.`, {
        terminal: this.name,
      });
    }
    // A link that dropped may come back (USB adapter re-enumerating, ser2net restarting): retry with backoff.
    const linkOptions = { ...this.opts.linkOptions, reconnect: this.opts.linkOptions?.reconnect ?? links.DEFAULT_RECONNECT_POLICY };
    this.linkFailure = undefined;
    this.endpoint = await TtpEndpoint.open(this.url, {
      linkOptions,
      wrapLink: this.opts.wrapLink,
      ackTimeoutMs: this.opts.ackTimeoutMs,
      responseTimeoutMs: this.opts.responseTimeoutMs,
      name: this.name,
    });
    this.attach(this.endpoint);
    // A reopened link is a new session (TTP §3.2): say hello first. A terminal that does not answer
    // is for the recovery strategy to judge; a link that fails again surfaces here.
    if (this.identity) {
      await this.hello().catch((err: unknown) => {
        if (err instanceof links.LinkError) throw err;
        this.transcriptLog.note(`hello after reconnect not answered: ${(err as Error).message}`);
      });
    }
  }

  // ------------------------------------------------------------------ screens and vouchers

  /**
   * Resolves with the first screen showing the text or matching the pattern: the current one, one
   * shown since the last driver action began (the terminal may pass a screen faster than the step
   * starts waiting), or a later one. `{ onlyNew: true }` ignores the screens already shown.
   */
  async waitForScreen(matcher: ScreenMatcher, opts: { timeoutMs?: number; onlyNew?: boolean } = {}): Promise<ScreenSnapshot> {
    this.assertUsable();
    if (!opts.onlyNew) {
      const s = this.screens.currentScreen();
      if (screenMatches(s, matcher)) return s;
      const seen = this.screens.seenSince(this.actionMark, matcher);
      if (seen) return seen;
    } else {
      const start = this.screens.changes;
      return this.screens.waitFor(
        (s) => this.screens.changes > start && screenMatches(s, matcher),
        opts.timeoutMs ?? this.screenTimeout(),
        `a new screen showing ${describeMatcher(matcher)}`,
      );
    }
    return this.screens.waitForScreen(matcher, opts.timeoutMs ?? this.screenTimeout());
  }

  /** Resolves when the terminal reports one of the states (e.g. 'idle'). */
  async waitForState(states: string | string[], opts: { timeoutMs?: number } = {}): Promise<ScreenSnapshot> {
    this.assertUsable();
    return this.screens.waitForState(Array.isArray(states) ? states : [states], opts.timeoutMs ?? this.screenTimeout());
  }

  /** Asks the terminal for its screen (TTP `screen`) and returns it. */
  async currentScreen(): Promise<ScreenSnapshot> {
    return this.refreshScreen();
  }

  /** The last screen seen from events, without asking the terminal. */
  lastScreen(): ScreenSnapshot {
    return this.screens.currentScreen();
  }

  recentScreens(n = 20): ScreenSnapshot[] {
    return this.screens.recentScreens(n);
  }

  /** Voucher copies printed since the last ensureSignedOnIdle() (or connect). */
  receipts(): VoucherCopy[] {
    return this.vouchers.since();
  }

  /** Every copy printed at or after `at` (ms since epoch), whatever the voucher windows. */
  receiptsSince(at: number): VoucherCopy[] {
    return this.vouchers.all().filter((c) => c.at >= at);
  }

  /** Waits until at least `count` copies were printed since the last ensureSignedOnIdle(). */
  waitForReceipts(count: number, opts: { timeoutMs?: number } = {}): Promise<VoucherCopy[]> {
    this.assertUsable();
    return this.vouchers.waitFor(count, opts.timeoutMs ?? this.screenTimeout());
  }

  /** Starts a new voucher window (a step that prints twice, e.g. sale then reprint). */
  markReceipts(): void {
    this.vouchers.mark();
  }

  /** Resolves once the terminal has sent no screen or state event for `quietMs` (at most one screen timeout). */
  async waitUntilQuiet(quietMs = 25): Promise<void> {
    this.assertUsable();
    await this.screens.waitForQuiet(quietMs, this.screenTimeout());
  }

  /** Resolves when the terminal has left the prompt `key` (prompts.ts promptKey) for another screen. */
  waitForPromptChange(key: string, timeoutMs = this.screenTimeout()): Promise<ScreenSnapshot> {
    this.assertUsable();
    return this.screens.waitFor((s) => promptKey(s) !== key, timeoutMs, 'the terminal to leave the prompt it showed');
  }

  // ------------------------------------------------------------------ evidence

  /**
   * Every frame, ACK and NAK since the last markEvidence() (or connect) with timestamps; PAN
   * masked, PIN digits masked. `{ all: true }`: since connect.
   */
  transcript(opts: { all?: boolean } = {}): TranscriptEntry[] {
    return this.transcriptLog.list(opts.all);
  }

  /** The transcript as text, one line per entry (an Allure attachment). */
  transcriptText(opts: { all?: boolean } = {}): string {
    return this.transcriptLog.toText(opts.all);
  }

  /**
   * Starts the evidence of a new scenario: transcript() and receipts() then cover only what
   * happens after this call. A Before hook calls it, then ensureSignedOnIdle().
   */
  markEvidence(): void {
    this.transcriptLog.mark();
    this.vouchers.mark();
  }

  /** Adds a line to the transcript (step boundaries, for reading the evidence). */
  note(text: string): void {
    this.transcriptLog.note(text);
  }

  /**
   * Raw (unmasked!) trace of the TTP channel, for benchmarks and diagnostics inside the process;
   * never write it anywhere — transcript() is the masked evidence. Returns an unsubscribe function.
   */
  onTrace(listener: (entry: TtpTraceEntry) => void): () => void {
    const channel = this.endpoint.channel;
    channel.on('trace', listener);
    return () => channel.off('trace', listener);
  }

  /** Reliability counters of the TTP channel (retransmissions, NAKs, garbage bytes, ...). */
  channelStats(): Readonly<Record<string, number>> {
    return { ...this.endpoint.channel.stats };
  }

  // ------------------------------------------------------------------ internals

  protected attach(endpoint: TtpEndpoint): void {
    const ch = endpoint.channel;
    ch.on('trace', (e: TtpTraceEntry) => this.transcriptLog.record(e));
    ch.on('event', (e: TtpEvent) => this.onEvent(e));
    ch.on('link-broken', (err) => {
      const cause = (err as { cause?: unknown }).cause;
      const surfaced = cause instanceof links.LinkError ? cause : err;
      this.linkFailure = surfaced;
      this.transcriptLog.note(`link broken: ${surfaced.message}`);
      this.screens.failAll(surfaced);
      this.vouchers.failAll(surfaced);
    });
    ch.on('protocol-error', (e) => this.transcriptLog.note(`protocol error: ${e.reason}: ${e.detail}`));
  }

  private onEvent(e: TtpEvent): void {
    switch (e.evt) {
      case 'display':
        this.screens.onDisplay(e.lines, e.screen);
        break;
      case 'state':
        this.screens.onState(e.state);
        if (e.state !== 'pin-entry') this.transcriptLog.setPinEntry(false);
        if (e.state === 'signature') this.onSignaturePad();
        break;
      case 'print':
        this.vouchers.onPrint(e);
        break;
      default:
        break;
    }
  }

  /** The terminal shows its signature pad (电签): the cardholder's turn; TerminalDriver signs. */
  protected onSignaturePad(): void {}

  /** A driver note in the transcript (what the harness did on its own, and why it failed). */
  protected noteInTranscript(note: string): void {
    this.transcriptLog.note(note);
  }

  protected async refreshScreen(): Promise<ScreenSnapshot> {
    const r: TtpScreenResult = await this.call({ cmd: 'screen' });
    this.screens.onDisplay(r.lines ?? [], r.screen, r.state);
    return this.screens.currentScreen();
  }

  /** Waits until the terminal's state differs from the state at the call (operator mode). */
  protected waitForReaction(timeoutMs: number): Promise<ScreenSnapshot> {
    const startState = this.screens.currentState();
    const startChanges = this.screens.changes;
    return this.screens.waitFor(
      (s) => this.screens.changes > startChanges && (startState === undefined || s.state !== startState),
      timeoutMs,
      'a reaction to the operator',
    );
  }

  /** A wait that merely timed out yields the current screen; a link or driver error propagates. */
  protected currentUnlessBroken(err: unknown): ScreenSnapshot {
    if (err instanceof TerminalExpectationError) return this.screens.currentScreen();
    throw err;
  }

  protected screenTimeout(): number {
    return this.opts.screenTimeoutMs ?? 10_000;
  }

  protected assertOpen(): void {
    if (this.closed) throw new DriverUsageError(`Driver for ${this.name} was closed`, { terminal: this.name });
  }

  /** Closed driver, terminal given up on, or link down: fail now instead of waiting for a timeout. */
  protected assertUsable(): void {
    this.assertOpen();
    this.assertNotGivenUp();
    if (this.linkFailure) throw this.linkFailure;
  }

  protected async call<K extends TtpCommandName>(
    command: Extract<TtpCommand, { cmd: K }>,
    opts: { timeoutMs?: number } = {},
  ): Promise<TtpResultByCommand[K]> {
    this.assertUsable();
    if (ACTION_COMMANDS.has(command.cmd)) this.actionMark = this.screens.changes;
    return request(this.endpoint.channel, command, opts);
  }
}
