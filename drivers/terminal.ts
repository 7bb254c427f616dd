/**
 * TerminalDriver: what the Gherkin steps call. It speaks TTP (protocol/ttp's TtpChannel) over a
 * byte link (links/), follows screens, state and print events, records the transcript, and
 * brings the terminal to signed-on idle before each scenario.
 *
 * Error contract (DESIGN.md "Outcomes"; classifyError() in drivers/errors.ts):
 *  - link problems surface as the links' typed LinkError / LinkDownError → broken;
 *  - no TTP reply in time, a rejected command, unacknowledged frames → broken (TtpError, Terminal*Error);
 *  - the terminal did not show / print what was expected → TerminalExpectationError → failed;
 *  - after repeated failed recoveries every call throws TerminalBrokenError at once.
 */
import { parseTerminalProfile, type TerminalProfile } from '../protocol/ttp/profile';
import { randomInt } from 'node:crypto';
import * as links from '../links';
import {
  TTP_VERSION, TtpCapabilities, TtpCardImage, TtpCardMethod, TtpChannel, TtpCommand, TtpCommandName,
  TtpEcrCommand, TtpEcrResult, TtpEvent, TtpHelloResult, TtpLinkBrokenError, TtpPowerAction, TtpRemoteError,
  TtpResultByCommand, TtpScreenResult, TtpTerminalConfig, TtpTraceEntry, isTtpKey, TTP_KEYS,
  effectiveCapabilities, speaksTtp11, type TtpCapabilityName, type TtpCapabilityName11, type TtpPowerProfile,
} from '../protocol/ttp';
import { DriverUsageError, TerminalCapabilityMissingError, TerminalCommandError, TerminalExpectationError } from './errors';
import { sensitiveField } from '../crypto/masking';
import { EvidenceMasker } from './masking';
import { OperatorConsole, OperatorConsoleOptions } from './operator';
import {
  CardPresenter, DeviceCardPresenter, OperatorCardPresenter, OperatorPinEntry, PinEntry, TtpCardPresenter, TtpPinEntry,
} from './presenters';
import { findMenuEntry } from './menu';
import { ScreenMatcher, ScreenSnapshot, ScreenTracker, describeMatcher, screenMatches } from './screens';
import { RecoveryOptions, SIGN_ON_REQUIRED_STATE, SignOnControl, StrategyTarget, TerminalStrategy, signOnFromMenu } from './strategy';
import { DriverAnswers, TransactionRunOptions, answerPrompts, startEcr } from './interaction';
import { promptKey } from './prompts';
import { transactionSpec, type TransactionKind } from '../protocol/iso8583';
import { Transcript, TranscriptEntry } from './transcript';
import { VoucherCollector, VoucherCopy } from './vouchers';

/** Commands that make the terminal act; screens after them belong to the step that sent them. */
const ACTION_COMMANDS: ReadonlySet<string> = new Set(['key', 'card', 'power', 'ecr', 'reset']);
// The sign-on entry and the menu that holds it, in both languages: the catalogue's menu path (管理/签到).
const SIGN_ON_PATH = transactionSpec('sign-on').menu ?? { zh: '管理/签到', en: 'MANAGEMENT/SIGN ON' };

const POSCERT_VERSION: string = (() => {
  try {
    return (require('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

export interface TerminalIdentity {
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  /** TTP version the terminal speaks. */
  ttp: string;
  /** Every capability, TTP 1.1 flags included (for a 1.0 terminal as the 1.1 compatibility notes say). */
  capabilities: TtpCapabilities & Record<TtpCapabilityName11, boolean>;
  maxPayload?: number;
  languages?: Array<'zh' | 'en'>;
  /** TTP 1.1: the terminal runs in test mode (§11). */
  testMode?: boolean;
  /** TTP 1.1: how `power` is implemented (§6.3). */
  powerProfile?: TtpPowerProfile;
  /** The profile the terminal declared in hello (validated), if it declares one. */
  profile?: TerminalProfile;
}

export type CardBinding = 'ttp' | 'operator' | { device: string } | CardPresenter;
export type PinBinding = 'ttp' | 'operator' | PinEntry;

export interface TerminalDriverOptions {
  /** Name in messages and evidence (the lab file entry name, or the URL). */
  name?: string;
  /** Options handed to links' openLink (serial parameters, reconnect policy, ...). */
  linkOptions?: links.OpenLinkOptions;
  /** An already created link (e.g. one end of createEmuLinkPair()); `url` is then only a label. */
  link?: links.ByteLink;
  /**
   * Wraps the link each time it is opened (connect and every reconnect), e.g. with the links'
   * fault injection: `wrapLink: (l) => withFaults(l, { bitErrorRate: 1e-5 })`.
   */
  wrapLink?: (link: links.ByteLink) => links.ByteLink;
  /** Wait for a TTP reply. Default 5 s (TTP default). */
  responseTimeoutMs?: number;
  /** Wait for an `ecr` reply (the terminal waits for card, PIN and host). Default 60 s. */
  ecrTimeoutMs?: number;
  /** TTP ACK timeout per frame. Default TTP's 500 ms. */
  ackTimeoutMs?: number;
  /** Default timeout of waitForScreen / waitForReceipts. Default 10 s. */
  screenTimeoutMs?: number;
  recovery?: RecoveryOptions;
  /** How cards reach the terminal. Default 'ttp'. */
  card?: CardBinding;
  /** How PINs are typed. Default 'ttp'. */
  pin?: PinBinding;
  /** Console for operator mode (defaults to stdin/stdout). */
  operator?: OperatorConsoleOptions;
  /** Receives one line per driver action (CLI verbose mode). */
  log?: (line: string) => void;
}

/** Largest TTP id / session value (TTP numbers are integers within ±2^31). */
const TTP_MAX_INT = 0x7fffffff;

/**
 * One TTP endpoint: a link and the channel on it, one harness session (TTP §3.2). A card-simulator
 * device is one too. Each open draws a new session nonce (sent in hello) and a random first request
 * id, so a terminal that outlives the connection (serial line, ser2net) never takes this
 * connection's frames for retransmissions of the previous one's, nor a stale reply for a new one.
 */
class TtpEndpoint {
  private constructor(readonly link: links.ByteLink, readonly channel: TtpChannel, readonly session: number, private readonly detach: () => void) {}

  static async open(url: string, opts: { link?: links.ByteLink; wrapLink?: (l: links.ByteLink) => links.ByteLink; linkOptions?: links.OpenLinkOptions; ackTimeoutMs?: number; responseTimeoutMs?: number; name: string }): Promise<TtpEndpoint> {
    const raw = opts.link ?? (await links.openLink(url, opts.linkOptions));
    const link = opts.wrapLink ? opts.wrapLink(raw) : raw;
    if (!link.isOpen) await link.open();
    const channel = new TtpChannel({
      name: opts.name,
      firstId: randomInt(1, TTP_MAX_INT),
      write: (bytes) => link.write(bytes),
      scheduler: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        now: () => performance.timeOrigin + performance.now(),
      },
      ackTimeoutMs: opts.ackTimeoutMs,
      responseTimeoutMs: opts.responseTimeoutMs,
    });
    const onData = (b: Buffer) => channel.receive(b);
    const onClose = (err?: links.LinkDownError) => channel.linkDown(err ?? new links.LinkDownError(link.url, 'closed'));
    link.on('data', onData);
    link.on('close', onClose);
    return new TtpEndpoint(link, channel, randomInt(1, TTP_MAX_INT), () => {
      link.off('data', onData);
      link.off('close', onClose);
    });
  }

  async close(): Promise<void> {
    this.detach();
    this.channel.close();
    if (this.link.isOpen) await this.link.close();
  }

  /** A card-simulator device only needs the `card` command. */
  async card(action: 'present' | 'remove', method?: TtpCardMethod, card?: TtpCardImage): Promise<void> {
    await request(this.channel, action === 'present' ? { cmd: 'card', action, method, card } : { cmd: 'card', action });
  }
}

/** Sends a request; a link that went down surfaces as the link's own LinkDownError. */
async function request<K extends TtpCommandName>(channel: TtpChannel, command: Extract<TtpCommand, { cmd: K }>, opts: { timeoutMs?: number } = {}): Promise<TtpResultByCommand[K]> {
  try {
    return await channel.request(command, opts);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof TtpLinkBrokenError && cause instanceof links.LinkError) throw cause;
    throw err;
  }
}

export class TerminalDriver {
  readonly url: string;
  readonly name: string;
  private endpoint: TtpEndpoint;
  private readonly opts: TerminalDriverOptions;
  private readonly masker = new EvidenceMasker();
  private readonly transcriptLog: Transcript;
  private readonly screens: ScreenTracker;
  private readonly vouchers: VoucherCollector;
  private readonly strategy: TerminalStrategy;
  private readonly cardPresenter: CardPresenter;
  private readonly pinEntry: PinEntry;
  private identity: TerminalIdentity | undefined;
  /** Screen change number when the last action (keys, card, PIN, ECR, power) was sent. */
  private actionMark = 0;
  private cardPresented = false;
  /** A card inserted (not swiped or tapped) stays in the slot until removeCard(). */
  private slotHoldsCard = false;
  /** Why the link went down (the links' LinkDownError when it has one); cleared by reconnect(). */
  private linkFailure: Error | undefined;
  private closed = false;
  private readonly log: (line: string) => void;

  private constructor(url: string, endpoint: TtpEndpoint, opts: TerminalDriverOptions, presenters: { card: CardPresenter | undefined }) {
    this.url = url;
    this.name = opts.name ?? url;
    this.opts = opts;
    this.endpoint = endpoint;
    this.log = opts.log ?? (() => undefined);
    this.transcriptLog = new Transcript(this.masker);
    this.screens = new ScreenTracker({ maskForReport: (t, state) => this.masker.maskScreenLine(t, state) });
    this.vouchers = new VoucherCollector((t) => this.masker.maskText(t));
    this.attach(endpoint);
    this.strategy = new TerminalStrategy({
      screen: async () => {
        const s = await this.refreshScreen();
        return { lines: s.lines, state: s.state };
      },
      pressKeys: (keys) => this.pressKeys(...keys),
      reset: async () => {
        await this.call({ cmd: 'reset' });
      },
      powerCycle: () => this.powerCycle(),
      waitForState: async (states, timeoutMs) => {
        const s = await this.screens.waitForState(states, timeoutMs);
        return { lines: s.lines, state: s.state };
      },
      signOn: () => signOnFromMenu(this.signOnControl(), SIGN_ON_PATH),
    }, { ...opts.recovery, log: (l) => { this.transcriptLog.note(`recovery: ${l}`); this.log(l); } }, {
      lastScreen: () => this.screens.currentScreen(),
      waitForQuiet: async () => { await this.waitUntilQuiet(); },
      waitForState: (states, timeoutMs) => this.waitForState(states, { timeoutMs }),
      waitForPromptChange: async (key, timeoutMs) => { await this.waitForPromptChange(key, timeoutMs); },
      pressKeys: (keys) => this.pressKeys(...keys),
      cardInSlot: () => this.slotHoldsCard,
      removeCard: () => this.removeCard(),
      maskScreen: (lines, state) => this.masker.maskScreenLines(lines, state),
      timeoutMs: () => this.screenTimeout(),
    });

    const operatorConsole = new OperatorConsole(opts.operator);
    const reaction = (timeoutMs: number) => this.waitForReaction(timeoutMs);
    const card = opts.card ?? 'ttp';
    this.cardPresenter = presenters.card
      ?? (card === 'ttp' ? new TtpCardPresenter({ card: (a, m, c) => this.endpointCard(a, m, c) })
        : card === 'operator' ? new OperatorCardPresenter(operatorConsole, reaction)
          : (card as CardPresenter));
    const pin = opts.pin ?? 'ttp';
    this.pinEntry = pin === 'ttp' ? new TtpPinEntry({ pressPinKeys: (keys) => this.pressPinKeys(keys) })
      : pin === 'operator' ? new OperatorPinEntry(operatorConsole, reaction)
        : pin;
  }

  /**
   * Opens the link named by `url` (serial:…, tcp://…, rfc2217://…, emu:…) and the TTP channel on
   * it. It does not say hello: call hello() (or ensureSignedOnIdle()) next.
   */
  static async connect(url: string, opts: TerminalDriverOptions = {}): Promise<TerminalDriver> {
    const name = opts.name ?? url;
    const endpoint = await TtpEndpoint.open(url, { link: opts.link, wrapLink: opts.wrapLink, linkOptions: opts.linkOptions, ackTimeoutMs: opts.ackTimeoutMs, responseTimeoutMs: opts.responseTimeoutMs, name });
    let card: CardPresenter | undefined;
    if (opts.card && typeof opts.card === 'object' && 'device' in opts.card) {
      try {
        const device = await TtpEndpoint.open(opts.card.device, { linkOptions: opts.linkOptions, ackTimeoutMs: opts.ackTimeoutMs, responseTimeoutMs: opts.responseTimeoutMs, name: `${name} card simulator` });
        card = new DeviceCardPresenter(device, opts.card.device);
      } catch (err) {
        await endpoint.close();
        throw err;
      }
    }
    return new TerminalDriver(url, endpoint, opts, { card });
  }

  // ------------------------------------------------------------------ identity and recovery

  /** TTP hello: identity, firmware, protocol version and capabilities. */
  async hello(): Promise<TerminalIdentity> {
    const r: TtpHelloResult = await this.call({ cmd: 'hello', ttp: TTP_VERSION, client: `poscert ${POSCERT_VERSION}`, session: this.endpoint.session });
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
      vendor: r.vendor, model: r.model, serialNumber: r.serialNumber, firmwareVersion: r.firmwareVersion,
      // Every capability, 1.1 flags included (a 1.0 terminal's follow the 1.0 rules: TTP 1.1 compatibility notes).
      ttp: r.ttp, capabilities: effectiveCapabilities(r), maxPayload: r.maxPayload, languages: r.languages,
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
  private requireCapability(capability: TtpCapabilityName | TtpCapabilityName11, what: string): void {
    if (!this.supports(capability)) {
      throw new TerminalCapabilityMissingError(
        `Terminal ${this.name} does not declare the TTP capability ${capability}, needed for ${what}: a case that needs it is not applicable to this terminal (its plan entry should require ${capability}).`,
        { terminal: this.name, capability },
      );
    }
  }

  /** 1.1 terminals take the standard member names, 1.0 terminals their x- spellings. */
  private get speaks11(): boolean {
    return speaksTtp11(this.identity?.ttp);
  }

  /** Identity from the last hello(), if any. */
  get terminalIdentity(): TerminalIdentity | undefined {
    return this.identity ? { ...this.identity } : undefined;
  }

  /**
   * Brings the terminal to signed-on idle from any state (cancel, reset, power cycle, sign-on).
   * Throws TerminalBrokenError after repeated failed recoveries; later calls then fail fast.
   * Also starts a new voucher window: receipts() returns copies printed after this call.
   */
  async ensureSignedOnIdle(): Promise<void> {
    this.assertOpen();
    if (this.endpoint.channel.isBroken) await this.reconnect();
    await this.removeLeftoverCard();
    await this.strategy.ensureSignedOnIdle();
    this.vouchers.mark();
  }

  /**
   * A card left in the reader by the previous scenario (a failed step never reached removeCard)
   * would be read by the next transaction. Through TTP a remove is cheap, so it is always sent;
   * a terminal that answers "no card" is fine. Operator mode only asks when we know of a card.
   */
  private async removeLeftoverCard(): Promise<void> {
    this.strategy.assertUsable();
    if (this.cardPresenter.kind === 'operator' && !this.cardPresented) return;
    try {
      await this.cardPresenter.remove();
    } catch (err) {
      // "No card" is fine; a terminal that does not answer is for the recovery strategy to judge.
      if (err instanceof links.LinkError) throw err;
    }
    this.cardPresented = false;
    this.slotHoldsCard = false;
  }

  /** The TerminalBrokenError once the terminal was given up on. */
  get brokenError(): Error | undefined {
    return this.strategy.broken;
  }

  /** Reopens the link and the TTP channel (after a link went down). */
  async reconnect(): Promise<void> {
    this.assertOpen();
    this.transcriptLog.note(`reconnecting ${this.url}`);
    await this.endpoint.close().catch(() => undefined);
    if (this.opts.link) {
      throw new DriverUsageError(`The link of ${this.name} was handed in by the caller and is gone; it cannot be reopened by the driver.`, { terminal: this.name });
    }
    // A link that dropped may come back (USB adapter re-enumerating, ser2net restarting): retry with backoff.
    const linkOptions = { ...this.opts.linkOptions, reconnect: this.opts.linkOptions?.reconnect ?? links.DEFAULT_RECONNECT_POLICY };
    this.linkFailure = undefined;
    this.endpoint = await TtpEndpoint.open(this.url, { linkOptions, wrapLink: this.opts.wrapLink, ackTimeoutMs: this.opts.ackTimeoutMs, responseTimeoutMs: this.opts.responseTimeoutMs, name: this.name });
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

  // ------------------------------------------------------------------ keypad and menus

  async pressKeys(...keys: string[]): Promise<void> {
    for (const k of keys) {
      if (!isTtpKey(k)) {
        throw new DriverUsageError(`"${k}" is not a TTP key; valid keys: ${TTP_KEYS.join(' ')}`, { key: k });
      }
    }
    if (keys.length === 0) return;
    await this.call({ cmd: 'key', keys: keys as never });
  }

  /**
   * Selects a menu entry by its label (e.g. 缴费 or SALE) on the current screen, by pressing the
   * entry's number key. From idle, the menu is opened first (ENTER). "管理/签到" walks a path.
   */
  async selectMenu(label: string | { zh: string; en: string }, opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.screenTimeout();
    const split = (l: string) => l.split(/\s*(?:\/|>|›)\s*/).filter(Boolean);
    // A bilingual path (the catalogue's menu): each step is found in whichever language the terminal shows.
    const paths = typeof label === 'string' ? [split(label)] : [split(label.zh), split(label.en)];
    for (let i = 0; i < paths[0].length; i++) {
      await this.selectOne(paths.map((p) => p[i]).filter((x): x is string => x !== undefined), timeoutMs);
    }
  }

  private async selectOne(labels: string[], timeoutMs: number): Promise<void> {
    const label = labels[0];
    const find = (lines: string[]) => labels.map((l) => findMenuEntry(lines, l)).find((e) => e !== undefined);
    let screen = await this.refreshScreen();
    if (!find(screen.lines) && (screen.state === 'idle' || screen.state === SIGN_ON_REQUIRED_STATE)) {
      const before = this.screens.changes;
      await this.pressKeys('ENTER');
      screen = await this.screens.waitFor(() => this.screens.changes > before && find(this.screens.currentScreen().lines) !== undefined, timeoutMs, `a menu with the entry "${label}"`).catch((e: unknown) => this.currentUnlessBroken(e));
    }
    // Long menus scroll: page down a few times looking for the entry.
    for (let page = 0; !find(screen.lines) && page < 4 && /menu/.test(screen.state ?? ''); page++) {
      const before = this.screens.changes;
      await this.pressKeys('DOWN');
      screen = await this.screens.waitFor(() => this.screens.changes > before, Math.min(timeoutMs, 1000), 'the next menu page').catch((e: unknown) => this.currentUnlessBroken(e));
    }
    const entry = find(screen.lines);
    if (!entry) {
      throw new TerminalExpectationError(
        `No menu entry "${label}" on the terminal's screen. Recent screens (oldest first):\n${this.screens.describeRecent()}`,
        { label, state: screen.state, lines: screen.lines.map((l) => this.masker.maskText(l)) },
      );
    }
    const before = this.screens.changes;
    await this.pressKeys(...entry.keys);
    await this.screens.waitFor(() => this.screens.changes > before, timeoutMs, `a reaction to menu entry "${label}"`);
  }

  /** Types an amount in fen (1234 = 12.34 元) on the amount screen, then ENTER unless confirm:false. */
  async enterAmount(fen: number, opts: { confirm?: boolean } = {}): Promise<void> {
    if (!Number.isSafeInteger(fen) || fen < 0) {
      throw new DriverUsageError(`Amount must be a whole number of fen (分), got ${fen}`, { fen });
    }
    const keys = String(fen).split('');
    if (opts.confirm !== false) keys.push('ENTER');
    await this.pressKeys(...keys);
  }

  /**
   * Types text on an input screen (voucher number, payee account, payee name, ...) and confirms
   * with ENTER unless confirm:false. Keypad characters (digits, '.', '*', '#') go as key presses;
   * anything else (a Chinese payee name) as the `x-text` extension of the TTP `key` command
   * (the keypad's alpha / 拼音 mode in test firmware). Firmware without it answers with an error,
   * which surfaces as TerminalCommandError naming the field.
   */
  async enterText(text: string, opts: { confirm?: boolean } = {}): Promise<void> {
    if (typeof text !== 'string' || text.length === 0) {
      throw new DriverUsageError('enterText needs a non-empty string', { text: typeof text });
    }
    const chars = [...text];
    if (chars.every((c) => isTtpKey(c))) {
      await this.pressKeys(...chars, ...(opts.confirm === false ? [] : ['ENTER']));
      return;
    }
    this.requireCapability('textEntry', 'free text entry');
    try {
      // TTP 1.1 §6.4: `text`; a 1.0 terminal knows it as the x-text extension.
      const command = this.speaks11 ? { cmd: 'key', text } : { cmd: 'key', keys: [], 'x-text': text };
      await this.call(command as unknown as Extract<TtpCommand, { cmd: 'key' }>);
    } catch (err) {
      if (err instanceof TtpRemoteError) {
        throw new TerminalCommandError(
          `Terminal ${this.name} cannot take free text over TTP (x-text): ${err.message}. Use ecr() with the payee, or enable text entry in the test firmware.`,
          { terminal: this.name, ttpCode: err.ttpCode },
        );
      }
      throw err;
    }
    if (opts.confirm !== false) await this.pressKeys('ENTER');
  }

  // ------------------------------------------------------------------ card and PIN

  async presentCard(card: TtpCardImage, method: TtpCardMethod): Promise<void> {
    this.masker.rememberPan(card.pan);
    this.cardPresented = true;
    if (method === 'insert') this.slotHoldsCard = true;
    await this.cardPresenter.present(card, method);
  }

  async removeCard(): Promise<void> {
    this.slotHoldsCard = false;
    await this.cardPresenter.remove();
    this.cardPresented = false;
  }

  /** An inserted card is in the slot (the cardholder has not taken it out yet). */
  get cardInSlot(): boolean {
    return this.slotHoldsCard;
  }

  // ------------------------------------------------------------------ transactions (interaction.ts, prompts.ts)

  /**
   * Brings the terminal to a strategy target: `idle` (back at rest after a transaction, as the
   * operator does: acknowledge, cancel, take the card out) or `signed-on idle` (recovery).
   * `look: true` looks again even when nothing happened since the terminal was last at rest.
   */
  async transition(target: StrategyTarget, opts: { look?: boolean } = {}): Promise<void> {
    if (target === 'signed-on idle') return this.ensureSignedOnIdle();
    this.assertUsable();
    await this.strategy.transition(target, opts);
  }

  /** transition('idle'). */
  async toIdle(opts: { look?: boolean } = {}): Promise<void> {
    await this.transition('idle', opts);
  }

  /**
   * A whole transaction of the catalogue's kind: back to idle, its menu entry, then every prompt
   * answered from `answers` until it ends. Returns the end screen.
   */
  async runTransaction(kind: TransactionKind, answers: DriverAnswers, opts: TransactionRunOptions = {}): Promise<ScreenSnapshot> {
    const menu = transactionSpec(kind).menu;
    if (!menu) throw new DriverUsageError(`A ${kind} is not started from the terminal's menu (the catalogue has no menu entry for it)`, { kind });
    await this.toIdle();
    await this.selectMenu(menu);
    return this.answerPrompts(answers, opts);
  }

  /** Answers the terminal's prompts (prompts.ts) until the transaction ends; returns the end screen. */
  answerPrompts(answers: DriverAnswers, opts: TransactionRunOptions = {}): Promise<ScreenSnapshot> {
    const password = this.profile?.supervisor.password;
    return answerPrompts(this.interaction(), password ? { supervisorPassword: password, ...answers } : answers, opts);
  }

  /** A cash-register request, once the terminal has taken it up; `result` settles when the transaction ends. */
  startEcr(req: Omit<TtpEcrCommand, 'id' | 'cmd'>): Promise<{ result: Promise<TtpEcrResult> }> {
    return startEcr(this.interaction(), req);
  }

  /**
   * The operator's sign-on (签到), from the sign-on prompt or, signed on already, through 管理 → 签到;
   * ends back at rest (the result acknowledged).
   */
  async signOn(): Promise<void> {
    await this.toIdle().catch(() => undefined);
    await signOnFromMenu(this.signOnControl(), SIGN_ON_PATH);
    await this.toIdle();
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

  private interaction() {
    return {
      lastScreen: () => this.lastScreen(),
      recentScreens: (n: number) => this.recentScreens(n),
      waitForState: (states: string[], o: { timeoutMs?: number }) => this.waitForState(states, o),
      waitUntilQuiet: () => this.waitUntilQuiet(),
      waitForPromptChange: (key: string, timeoutMs: number) => this.waitForPromptChange(key, timeoutMs),
      pressKeys: (...keys: string[]) => this.pressKeys(...keys),
      enterAmount: (fen: number) => this.enterAmount(fen),
      enterText: (text: string) => this.enterText(text),
      enterPin: (pin: string) => this.enterPin(pin),
      presentCard: (card: TtpCardImage, method: TtpCardMethod) => this.presentCard(card, method),
      ecr: (req: Omit<TtpEcrCommand, 'id' | 'cmd'>) => this.ecr(req),
      maskScreen: (lines: readonly string[], state: string | undefined) => this.masker.maskScreenLines(lines, state),
      screenTimeoutMs: () => this.screenTimeout(),
    };
  }

  /** Types the PIN on the PIN pad and confirms (digits are masked in the transcript). */
  async enterPin(pin: string): Promise<void> {
    if (!/^[0-9]{0,12}$/.test(pin)) {
      throw new DriverUsageError('A PIN is 0 to 12 digits', { length: pin.length });
    }
    // TTP 1.1 §6.4: PIN digits go over TTP only to a PED that accepts injection; else bind the PIN to an operator.
    if (this.pinEntry.kind === 'ttp' && pin.length > 0) this.requireCapability('pinInjection', 'typing the PIN over TTP (bind the PIN to an operator instead)');
    await this.pinEntry.enterPin(pin);
  }

  get cardBinding(): string {
    return this.cardPresenter.kind;
  }

  get pinBinding(): string {
    return this.pinEntry.kind;
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
      return this.screens.waitFor((s) => this.screens.changes > start && screenMatches(s, matcher), opts.timeoutMs ?? this.screenTimeout(), `a new screen showing ${describeMatcher(matcher)}`);
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

  /** Waits until at least `count` copies were printed since the last ensureSignedOnIdle(). */
  waitForReceipts(count: number, opts: { timeoutMs?: number } = {}): Promise<VoucherCopy[]> {
    this.assertUsable();
    return this.vouchers.waitFor(count, opts.timeoutMs ?? this.screenTimeout());
  }

  /** Starts a new voucher window (a step that prints twice, e.g. sale then reprint). */
  markReceipts(): void {
    this.vouchers.mark();
  }

  // ------------------------------------------------------------------ power, ECR, configuration

  /** Simulated power loss and restart; resolves once the terminal answers again. */
  async powerCycle(): Promise<void> {
    await this.power('cycle');
  }

  /** Simulated power loss; the terminal stays off until powerOn() (or powerCycle()). */
  async powerCut(): Promise<void> {
    await this.power('cut');
  }

  async powerOn(): Promise<void> {
    await this.power('on');
  }

  private async power(action: TtpPowerAction): Promise<void> {
    await this.call({ cmd: 'power', action });
  }

  /** A cash-register request; resolves with the terminal's result when the transaction ended. */
  async ecr(req: Omit<TtpEcrCommand, 'id' | 'cmd'>, opts: { timeoutMs?: number } = {}): Promise<TtpEcrResult> {
    return this.call({ cmd: 'ecr', ...req }, { timeoutMs: opts.timeoutMs ?? this.opts.ecrTimeoutMs ?? 60_000 });
  }

  /** Sets terminal parameters (test firmware); resolves with the whole configuration after the change. */
  async configure(settings: TtpTerminalConfig): Promise<TtpTerminalConfig> {
    // A key set here (x-tmk) is masked by field in the transcript; remembered, it is masked too
    // wherever the terminal repeats it (a screen, an error message).
    for (const [field, value] of Object.entries(settings)) {
      if (typeof value === 'string' && sensitiveField(field) === 'key') this.masker.rememberKey(value);
    }
    return this.call({ cmd: 'config', set: this.configSpelling(settings) });
  }

  /**
   * The 1.1 standard members tmk / keyScheme / tampered (1.0: x-tmk / x-keyScheme / x-tampered),
   * spelled as this terminal's TTP version knows them, and only when it declares the capability.
   */
  private configSpelling(settings: TtpTerminalConfig): TtpTerminalConfig {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(settings)) {
      const std = CONFIG_STANDARD_NAMES[field] ?? (Object.values(CONFIG_STANDARD_NAMES).includes(field) ? field : undefined);
      if (std === undefined) { out[field] = value; continue; }
      this.requireCapability(std === 'tampered' ? 'tamperSimulation' : 'keyLoading', `config ${std}`);
      out[this.speaks11 ? std : `x-${std}`] = value;
    }
    return out as TtpTerminalConfig;
  }

  async readConfiguration(): Promise<TtpTerminalConfig> {
    return this.call({ cmd: 'config' });
  }

  /** Sets ('YYYY-MM-DDTHH:mm:ss') or reads the terminal clock. */
  async clock(set?: string): Promise<string> {
    const r = await this.call(set ? { cmd: 'clock', set } : { cmd: 'clock' });
    return r.now;
  }

  /** Round trip of a `screen` request in ms (lab check, benchmarks). */
  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.refreshScreen();
    return performance.now() - t0;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new DriverUsageError(`Driver for ${this.name} was closed`, { terminal: this.name });
    this.screens.failAll(err);
    this.vouchers.failAll(err);
    await this.endpoint.close().catch(() => undefined);
    await this.cardPresenter.close?.().catch(() => undefined);
  }

  // ------------------------------------------------------------------ internals

  private attach(endpoint: TtpEndpoint): void {
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
        break;
      case 'print':
        this.vouchers.onPrint(e);
        break;
      default:
        break;
    }
  }

  private async refreshScreen(): Promise<ScreenSnapshot> {
    const r: TtpScreenResult = await this.call({ cmd: 'screen' });
    this.screens.onDisplay(r.lines ?? [], r.screen, r.state);
    return this.screens.currentScreen();
  }

  private async pressPinKeys(keys: string[]): Promise<void> {
    this.transcriptLog.setPinEntry(true);
    try {
      await this.pressKeys(...keys);
    } finally {
      // Digits typed; the '*' echo and the next screens no longer carry PIN digits.
      this.transcriptLog.setPinEntry(false);
    }
  }

  private async endpointCard(action: 'present' | 'remove', method?: TtpCardMethod, card?: TtpCardImage): Promise<void> {
    await this.call(action === 'present' ? { cmd: 'card', action, method, card } : { cmd: 'card', action });
  }

  /** Waits until the terminal's state differs from the state at the call (operator mode). */
  private waitForReaction(timeoutMs: number): Promise<ScreenSnapshot> {
    const startState = this.screens.currentState();
    const startChanges = this.screens.changes;
    return this.screens.waitFor(
      (s) => this.screens.changes > startChanges && (startState === undefined || s.state !== startState),
      timeoutMs,
      'a reaction to the operator',
    );
  }

  private signOnControl(): SignOnControl {
    return {
      screen: () => this.refreshScreen(),
      lastScreen: () => this.screens.currentScreen(),
      pressKeys: (keys) => this.pressKeys(...keys),
      pressKeysAndWait: async (keys, predicate, timeoutMs, what) => {
        const before = this.screens.changes;
        await this.pressKeys(...keys);
        return this.screens.waitFor((x) => this.screens.changes > before && predicate(x), timeoutMs, what);
      },
      waitForScreen: (predicate, timeoutMs, what) => this.screens.waitFor(predicate, timeoutMs, what),
      selectMenu: (label, timeoutMs) => this.selectMenu(label, { timeoutMs }),
      describeRecent: () => this.screens.describeRecent(),
      timeoutMs: () => this.screenTimeout(),
    };
  }

  /** A wait that merely timed out yields the current screen; a link or driver error propagates. */
  private currentUnlessBroken(err: unknown): ScreenSnapshot {
    if (err instanceof TerminalExpectationError) return this.screens.currentScreen();
    throw err;
  }

  private screenTimeout(): number {
    return this.opts.screenTimeoutMs ?? 10_000;
  }

  private assertOpen(): void {
    if (this.closed) throw new DriverUsageError(`Driver for ${this.name} was closed`, { terminal: this.name });
  }

  /** Closed driver, terminal given up on, or link down: fail now instead of waiting for a timeout. */
  private assertUsable(): void {
    this.assertOpen();
    this.strategy.assertUsable();
    if (this.linkFailure) throw this.linkFailure;
  }

  private async call<K extends TtpCommandName>(command: Extract<TtpCommand, { cmd: K }>, opts: { timeoutMs?: number } = {}): Promise<TtpResultByCommand[K]> {
    this.assertUsable();
    if (ACTION_COMMANDS.has(command.cmd)) this.actionMark = this.screens.changes;
    return request(this.endpoint.channel, command, opts);
  }
}

/** TTP 1.0 vendor spellings of the config members TTP 1.1 made standard (§6.7). */
const CONFIG_STANDARD_NAMES: Record<string, string> = { 'x-tmk': 'tmk', 'x-keyScheme': 'keyScheme', 'x-tampered': 'tampered' };
