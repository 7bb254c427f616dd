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
 *
 * The driver is layered, one concern per file: ttp-endpoint.ts (link + channel), terminal-session.ts
 * (hello, identity, commands, events, screen waiters, evidence), terminal-keypad.ts (keys, menus,
 * amounts, text), terminal-options.ts (options and identity types), and this file (recovery, cards
 * and PINs, transactions, power, ECR, configuration).
 */
import * as links from '../links';
import { TtpCardImage, TtpCardMethod, TtpEcrCommand, TtpEcrResult, TtpPowerAction, TtpTerminalConfig } from '../protocol/ttp';
import { DriverUsageError, TerminalCommandError } from './errors';
import { sensitiveField } from '../crypto/masking';
import { OperatorConsole } from './operator';
import { CardPresenter, DeviceCardPresenter, OperatorCardPresenter, OperatorPinEntry, PinEntry, TtpCardPresenter, TtpPinEntry } from './presenters';
import { ScreenSnapshot } from './screens';
import { SignOnControl, StrategyTarget, TerminalStrategy, signOnFromMenu } from './strategy';
import { DriverAnswers, TransactionRunOptions, answerPrompts, startEcr } from './interaction';
import { transactionSpec, type TransactionKind } from '../protocol/iso8583';
import { TerminalKeypad } from './terminal-keypad';
import type { TerminalDriverOptions } from './terminal-options';
import { TtpEndpoint } from './ttp-endpoint';
import { supervisorPasswordToGive } from './supervisor';
import { cardholderSignature } from './e-signature';
import { signatureHash, TtpRemoteError } from '../protocol/ttp';

export type { TerminalIdentity, CardBinding, PinBinding, TerminalDriverOptions } from './terminal-options';

// The sign-on entry and the menu that holds it, in both languages: the catalogue's menu path (管理/签到).
const SIGN_ON_PATH = transactionSpec('sign-on').menu ?? { zh: '管理/签到', en: 'MANAGEMENT/SIGN ON' };

export class TerminalDriver extends TerminalKeypad {
  private readonly strategy: TerminalStrategy;
  private readonly cardPresenter: CardPresenter;
  private readonly pinEntry: PinEntry;
  private cardPresented = false;
  /** The label of the last card presented: whose signature the driver draws when the case gives none. */
  private lastCardLabel = 'cardholder';
  /** 电签: the signatures the cardholder gave on the terminal's screen, oldest first (evidence for the report). */
  readonly signaturesGiven: { image: Buffer; sha256: string; at: number }[] = [];
  /** 电签: what the cardholder does at the pad in the transaction being walked (answers.signature); absent: signs. */
  private signaturePolicy: Buffer | 'none' | undefined;
  /** A card inserted (not swiped or tapped) stays in the slot until removeCard(). */
  private slotHoldsCard = false;

  private constructor(url: string, endpoint: TtpEndpoint, opts: TerminalDriverOptions, presenters: { card: CardPresenter | undefined }) {
    super(url, endpoint, opts);
    this.strategy = new TerminalStrategy(
      {
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
      },
      {
        ...opts.recovery,
        log: (l) => {
          this.transcriptLog.note(`recovery: ${l}`);
          this.log(l);
        },
      },
      {
        lastScreen: () => this.screens.currentScreen(),
        waitForQuiet: async () => {
          await this.waitUntilQuiet();
        },
        waitForState: (states, timeoutMs) => this.waitForState(states, { timeoutMs }),
        waitForPromptChange: async (key, timeoutMs) => {
          await this.waitForPromptChange(key, timeoutMs);
        },
        pressKeys: (keys) => this.pressKeys(...keys),
        cardInSlot: () => this.slotHoldsCard,
        removeCard: () => this.removeCard(),
        maskScreen: (lines, state) => this.masker.maskScreenLines(lines, state),
        timeoutMs: () => this.screenTimeout(),
      },
    );

    const operatorConsole = new OperatorConsole(opts.operator);
    const reaction = (timeoutMs: number) => this.waitForReaction(timeoutMs);
    const card = opts.card ?? 'ttp';
    this.cardPresenter =
      presenters.card ??
      (card === 'ttp'
        ? new TtpCardPresenter({ card: (a, m, c) => this.endpointCard(a, m, c) })
        : card === 'operator'
          ? new OperatorCardPresenter(operatorConsole, reaction)
          : (card as CardPresenter));
    const pin = opts.pin ?? 'ttp';
    this.pinEntry =
      pin === 'ttp'
        ? new TtpPinEntry({ pressPinKeys: (keys) => this.pressPinKeys(keys) })
        : pin === 'operator'
          ? new OperatorPinEntry(operatorConsole, reaction)
          : pin;
  }

  /**
   * Opens the link named by `url` (serial:…, tcp://…, rfc2217://…, emu:…) and the TTP channel on
   * it. It does not say hello: call hello() (or ensureSignedOnIdle()) next.
   */
  static async connect(url: string, opts: TerminalDriverOptions = {}): Promise<TerminalDriver> {
    const name = opts.name ?? url;
    const endpoint = await TtpEndpoint.open(url, {
      link: opts.link,
      wrapLink: opts.wrapLink,
      linkOptions: opts.linkOptions,
      ackTimeoutMs: opts.ackTimeoutMs,
      responseTimeoutMs: opts.responseTimeoutMs,
      name,
    });
    let card: CardPresenter | undefined;
    if (opts.card && typeof opts.card === 'object' && 'device' in opts.card) {
      try {
        const device = await TtpEndpoint.open(opts.card.device, {
          linkOptions: opts.linkOptions,
          ackTimeoutMs: opts.ackTimeoutMs,
          responseTimeoutMs: opts.responseTimeoutMs,
          name: `${name} card simulator`,
        });
        card = new DeviceCardPresenter(device, opts.card.device);
      } catch (err) {
        await endpoint.close();
        throw err;
      }
    }
    return new TerminalDriver(url, endpoint, opts, { card });
  }

  // ------------------------------------------------------------------ recovery

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

  protected assertNotGivenUp(): void {
    this.strategy.assertUsable();
  }

  /** The TerminalBrokenError once the terminal was given up on. */
  get brokenError(): Error | undefined {
    return this.strategy.broken;
  }
  // ------------------------------------------------------------------ card and PIN

  async presentCard(card: TtpCardImage, method: TtpCardMethod): Promise<void> {
    this.masker.rememberPan(card.pan);
    this.cardPresented = true;
    this.lastCardLabel = card.name ?? 'cardholder';
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
    // Read only when the terminal asks 主管密码, so a case depends on the declared password only if
    // it met the prompt (steps/support/profile-reads.ts records what a case read of the profile).
    const withPassword: DriverAnswers = { ...answers };
    if (answers.supervisorPassword === undefined) {
      Object.defineProperty(withPassword, 'supervisorPassword', {
        enumerable: true,
        get: () => supervisorPasswordToGive(this.profile?.supervisor.password, answers.supervisor),
      });
    }
    this.signaturePolicy = answers.signature;
    return answerPrompts(this.interaction(), withPassword, opts).finally(() => {
      this.signaturePolicy = undefined;
    });
  }

  /**
   * 电签: whenever the terminal shows its signature pad the cardholder signs, as a person at a
   * paperless terminal does whatever the case is about (a case walked step by step, a cash-register
   * sale); a transaction walked with answers.signature 'none' declines instead (CANCEL).
   */
  protected override onSignaturePad(): void {
    const policy = this.signaturePolicy;
    const act = policy === 'none' ? this.pressKeys('CANCEL') : this.sign(policy);
    act.catch((err: unknown) => this.noteInTranscript(`the cardholder's signature could not be given: ${(err as Error).message}`));
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
  private interaction() {
    return {
      lastScreen: () => this.lastScreen(),
      recentScreens: (n: number) => this.recentScreens(n),
      waitForState: (states: string[], o: { timeoutMs?: number }) => this.waitForState(states, o),
      waitUntilQuiet: () => this.waitUntilQuiet(),
      waitForPromptChange: (key: string, timeoutMs: number) => this.waitForPromptChange(key, timeoutMs),
      pressKeys: (...keys: string[]) => this.pressKeys(...keys),
      enterAmount: (fen: number) => this.enterAmount(fen),
      // Every text / digit entry of a walked transaction starts with a mistyped key taken back by CLEAR
      // (TTP §6.4): the value the host then receives proves CLEAR works in each entry kind the plan drives.
      enterText: (text: string) => this.enterText(text, { correction: true }),
      enterPin: (pin: string) => this.enterPin(pin),
      presentCard: (card: TtpCardImage, method: TtpCardMethod) => this.presentCard(card, method),
      ecr: (req: Omit<TtpEcrCommand, 'id' | 'cmd'>) => this.ecr(req),
      maskScreen: (lines: readonly string[], state: string | undefined) => this.masker.maskScreenLines(lines, state),
      screenTimeoutMs: () => this.screenTimeout(),
    };
  }

  /**
   * 电签: the cardholder signs on the terminal's signature pad (TTP `sign`, profile electronicSignature);
   * without an image, the signature of the last card's holder is drawn. Remembered in signaturesGiven.
   */
  async sign(image: Buffer = cardholderSignature(this.lastCardLabel)): Promise<void> {
    try {
      await this.call({ cmd: 'sign', image: image.toString('base64') });
    } catch (err) {
      if (err instanceof TtpRemoteError) {
        throw new TerminalCommandError(`Terminal ${this.name} did not take the cardholder's signature over TTP (sign): ${err.message}`, {
          terminal: this.name,
          ttpCode: err.ttpCode,
        });
      }
      throw err;
    }
    this.signaturesGiven.push({ image, sha256: signatureHash(image), at: Date.now() });
  }

  /** Types the PIN on the PIN pad and confirms (digits are masked in the transcript). */
  async enterPin(pin: string): Promise<void> {
    if (!/^[0-9]{0,12}$/.test(pin)) {
      throw new DriverUsageError('A PIN is 0 to 12 digits', { length: pin.length });
    }
    // TTP 1.1 §6.4: PIN digits go over TTP only to a PED that accepts injection; else bind the PIN to an operator.
    if (this.pinEntry.kind === 'ttp' && pin.length > 0)
      this.requireCapability('pinInjection', 'typing the PIN over TTP (bind the PIN to an operator instead)');
    await this.pinEntry.enterPin(pin);
  }

  get cardBinding(): string {
    return this.cardPresenter.kind;
  }

  get pinBinding(): string {
    return this.pinEntry.kind;
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
      if (std === undefined) {
        out[field] = value;
        continue;
      }
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
      operatorLogon: () => this.profile?.operatorLogon,
    };
  }
}

/** TTP 1.0 vendor spellings of the config members TTP 1.1 made standard (§6.7). */
const CONFIG_STANDARD_NAMES: Record<string, string> = { 'x-tmk': 'tmk', 'x-keyScheme': 'keyScheme', 'x-tampered': 'tampered' };
