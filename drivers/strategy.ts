/**
 * The terminal strategy (labgrid's): brings the terminal to a target state. Two targets:
 *
 * `idle` — back at rest after a transaction, as the operator does it (RestControl): wait for the
 * printing to end, acknowledge the result screen with a key, CANCEL a prompt left over from an
 * aborted step, take an inserted card out of the slot. No escalation: a terminal that does not come
 * back to rest this way did not behave (TerminalExpectationError, *failed*).
 *
 * `signed-on idle` — from whatever state the previous scenario left it in (RecoveryControl).
 * Escalation, cheapest first: look (maybe it is idle already) → CANCEL a few times → TTP `reset`
 * → power cycle; after each step, sign on when the terminal asks for it. One pass through the
 * ladder is one *recovery*. When `maxRecoveries` passes in a row end without signed-on idle, the
 * terminal is marked broken: this call and every later one throw TerminalBrokenError at once, so a
 * dead terminal costs one broken scenario's worth of time instead of a timeout in every scenario.
 */
import { TerminalBrokenError, TerminalExpectationError } from './errors';
import { findMenuEntry } from './menu';
import { removalWordingOn } from './card-removal';
import { ASKING_STATES, AT_REST_STATES, promptKey } from './prompts';
import { operatorLogonKeys, type OperatorLogon } from './operator-logon';

export type StrategyTarget = 'idle' | 'signed-on idle';

export interface ObservedScreen {
  lines: string[];
  state?: string;
}

/** What the strategy needs from the driver; a unit test gives a scripted terminal. */
export interface RecoveryControl {
  screen(): Promise<ObservedScreen>;
  pressKeys(keys: string[]): Promise<void>;
  reset(): Promise<void>;
  powerCycle(): Promise<void>;
  /** Resolves when one of the states is reached, rejects on timeout. */
  waitForState(states: string[], timeoutMs: number): Promise<ObservedScreen>;
  /** Starts the sign-on (签到) from the sign-on-required state. */
  signOn(): Promise<void>;
}

export interface RecoveryOptions {
  /** Full passes through the ladder before the terminal is declared broken. Default 2. */
  maxRecoveries?: number;
  /** CANCEL presses tried before escalating. Default 3. */
  cancelPresses?: number;
  /** Time for one CANCEL or reset to show an effect. Default 1500 ms. */
  settleMs?: number;
  /** Time for a power cycle to reach a usable state (boot + self test). Default 10 s. */
  bootMs?: number;
  /** Time for the sign-on to complete (host round trip included). Default 10 s. */
  signOnMs?: number;
  /** Receives one line per action, for the transcript / log. */
  log?: (line: string) => void;
}

/** A screen as the `idle` target reads it: with the terminal's screen id and the time it appeared. */
export interface RestScreen extends ObservedScreen {
  screen?: string;
  at: number;
}

/** What the `idle` target needs from the driver (all event-driven: no polling). */
export interface RestControl {
  lastScreen(): RestScreen;
  /** Resolves once the terminal has been quiet (no display or state event) for a moment. */
  waitForQuiet(): Promise<void>;
  /** Resolves when one of the states is reached, rejects (TerminalExpectationError) on timeout. */
  waitForState(states: string[], timeoutMs: number): Promise<RestScreen>;
  /** Resolves when the screen's prompt (prompts.ts promptKey) differs from `key`, rejects on timeout. */
  waitForPromptChange(key: string, timeoutMs: number): Promise<void>;
  pressKeys(keys: string[]): Promise<void>;
  /** An inserted card stays in the slot until taken out. */
  cardInSlot(): boolean;
  removeCard(): Promise<void>;
  /** A screen's lines for an error message, masked by meaning (card numbers; digits on a PIN entry screen). */
  maskScreen(lines: readonly string[], state: string | undefined): string[];
  /** The screen wait of one step (ms). */
  timeoutMs(): number;
}

/** What the menu sign-on needs from the driver. */
export interface SignOnControl {
  /** Asks the terminal for its screen. */
  screen(): Promise<ObservedScreen>;
  /** The screen as last seen, without asking. */
  lastScreen(): ObservedScreen;
  pressKeys(keys: string[]): Promise<void>;
  /** Presses the keys, then resolves at the first screen after them that satisfies the predicate; rejects (TerminalExpectationError) on timeout. */
  pressKeysAndWait(keys: string[], predicate: (s: ObservedScreen) => boolean, timeoutMs: number, what: string): Promise<ObservedScreen>;
  /** Resolves at the first screen (the current one or a later one) that satisfies the predicate. */
  waitForScreen(predicate: (s: ObservedScreen) => boolean, timeoutMs: number, what: string): Promise<ObservedScreen>;
  selectMenu(label: string, timeoutMs: number): Promise<void>;
  /** Recent screens for an error message, masked. */
  describeRecent(): string;
  timeoutMs(): number;
  /** The operator logon the terminal's profile declares (操作员号 + password asked before the sign-on), if any. */
  operatorLogon?(): OperatorLogon | undefined;
}

/**
 * The sign-on (签到) through the terminal's menu, from the sign-on-required screen or from idle (an
 * operator signing on again): the entry is on the screen, in the main menu, or under the menu that
 * holds it (`path`: the catalogue's 管理/签到), in Chinese or English. Returns once the attempt ended;
 * a 签到成功 result screen is acknowledged. The recovery ladder and the operator's sign-on both use it.
 */
export async function signOnFromMenu(c: SignOnControl, path: { zh: string; en: string }): Promise<void> {
  const s = await c.screen();
  if (s.state !== SIGN_ON_REQUIRED_STATE && s.state !== IDLE_STATE) return;
  const signOnLabels = [path.zh, path.en].map((p) => p.split('/').pop()!);
  const holderLabels = [path.zh, path.en].map((p) => p.split('/')[0]);
  const timeoutMs = c.timeoutMs();
  const visible = (labels: string[], lines = c.lastScreen().lines) => labels.find((l) => findMenuEntry(lines, l));
  const timedOut = (e: unknown) => {
    // A wait that merely timed out leaves the current screen to judge; a link or driver error propagates.
    if (e instanceof TerminalExpectationError) return c.lastScreen();
    throw e;
  };
  if (!visible(signOnLabels) && !visible(holderLabels)) {
    await c
      .pressKeysAndWait(
        ['ENTER'],
        (x) => (visible(signOnLabels, x.lines) ?? visible(holderLabels, x.lines)) !== undefined,
        timeoutMs,
        `a menu with ${signOnLabels[0]} or ${holderLabels[0]}`,
      )
      .catch(timedOut);
  }
  const holder = visible(signOnLabels) ? undefined : visible(holderLabels);
  if (holder) await c.selectMenu(holder, timeoutMs);
  const signOn = visible(signOnLabels);
  if (!signOn) {
    throw new TerminalExpectationError(
      `Found no ${signOnLabels[0]} (sign-on) entry on the terminal. Recent screens (oldest first):\n${c.describeRecent()}`,
      { state: c.lastScreen().state },
    );
  }
  await c.selectMenu(signOn, timeoutMs);
  const settled = (x: ObservedScreen) => x.state !== undefined && !['signing-on', 'online', 'menu'].includes(x.state);
  let end = await c.waitForScreen(settled, timeoutMs, 'the end of the sign-on');
  // 操作员签到: the operator number and password the profile declares, each prompt answered once.
  for (let keys = operatorLogonKeys(end, c.operatorLogon?.()); keys; keys = operatorLogonKeys(end, c.operatorLogon?.())) {
    const asked = promptKey(end);
    end = await c.pressKeysAndWait(keys, (x) => settled(x) && promptKey(x) !== asked, timeoutMs, 'the next sign-on screen');
  }
  // 签到成功 stays until a key is pressed.
  if (end.state === 'result') await c.pressKeys(['ENTER']);
}

export const IDLE_STATE = 'idle';
export const SIGN_ON_REQUIRED_STATE = 'sign-on-required';
/** States in which the terminal is still starting; wait, do not poke. */
const STARTING_STATES = ['off', 'booting', 'self-test', 'signing-on', 'online', 'reversal', 'printing', 'settling'];

export interface RecoveryAttempt {
  step: string;
  outcome: string;
}

export class TerminalStrategy {
  private consecutiveFailures = 0;
  /** When the terminal was last seen at rest by the `idle` target (its screen's time). */
  private restingAt: number | undefined;
  private brokenError: TerminalBrokenError | undefined;
  private lastState: string | undefined;
  private readonly maxRecoveries: number;
  private readonly cancelPresses: number;
  private readonly settleMs: number;
  private readonly bootMs: number;
  private readonly signOnMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly control: RecoveryControl,
    opts: RecoveryOptions = {},
    private readonly rest?: RestControl,
  ) {
    this.maxRecoveries = opts.maxRecoveries ?? 2;
    this.cancelPresses = opts.cancelPresses ?? 3;
    this.settleMs = opts.settleMs ?? 1500;
    this.bootMs = opts.bootMs ?? 10_000;
    this.signOnMs = opts.signOnMs ?? 10_000;
    this.log = opts.log ?? (() => undefined);
  }

  /** The error later calls fail with, once the terminal is marked broken. */
  get broken(): TerminalBrokenError | undefined {
    return this.brokenError;
  }

  /** Fails fast when the terminal has been marked broken. */
  assertUsable(): void {
    if (this.brokenError) throw this.brokenError;
  }

  /** Marks the terminal broken from outside (e.g. the link is gone for good). */
  markBroken(reason: string, context: Record<string, unknown> = {}): TerminalBrokenError {
    this.brokenError ??= new TerminalBrokenError(
      `Terminal marked broken: ${reason}. Later steps on this terminal are not attempted; check the terminal and its cable, then start a new run.`,
      context,
    );
    return this.brokenError;
  }

  /** Brings the terminal to the target; `look: true` looks again even when nothing changed since it was last at rest. */
  async transition(target: StrategyTarget, opts: { look?: boolean } = {}): Promise<void> {
    if (target === 'signed-on idle') return this.ensureSignedOnIdle();
    if (opts.look) this.restingAt = undefined;
    return this.toIdle();
  }

  async ensureSignedOnIdle(): Promise<void> {
    this.assertUsable();
    this.restingAt = undefined;
    const history: RecoveryAttempt[][] = [];
    while (this.consecutiveFailures < this.maxRecoveries) {
      const attempts: RecoveryAttempt[] = [];
      history.push(attempts);
      try {
        if (await this.recoverOnce(attempts)) {
          this.consecutiveFailures = 0;
          return;
        }
        if (this.lastState === 'tampered') {
          // No harness action clears a tamper: retrying would only cost time.
          throw this.markBroken(
            'it reports a tamper (拆机) and refuses to transact; only the acquirer or vendor can clear it (for the emulator: its tamper option / state file)',
            { recoveries: [...history, attempts], state: 'tampered' },
          );
        }
      } catch (err) {
        if (err === this.brokenError) throw err;
        // A link that is down is not the terminal's doing, and recovering it is the link's job
        // (reconnect policy): surface it as is instead of counting it against the terminal.
        if (isLinkError(err)) throw err;
        attempts.push({ step: 'error', outcome: (err as Error).message });
      }
      this.consecutiveFailures++;
      this.log(`recovery ${this.consecutiveFailures}/${this.maxRecoveries} did not reach signed-on idle`);
    }
    const summary = history.map((a, i) => `  recovery ${i + 1}: ${a.map((x) => `${x.step} → ${x.outcome}`).join('; ')}`).join('\n');
    throw this.markBroken(
      `${this.maxRecoveries} recoveries in a row did not bring it to signed-on idle (cancel, reset, power cycle, sign-on)\n${summary}`,
      { recoveries: history },
    );
  }

  /** One pass through the ladder; true when the terminal ends signed-on idle. */
  private async recoverOnce(attempts: RecoveryAttempt[]): Promise<boolean> {
    let s = await this.look(attempts, 'look');
    if (await this.settle(s, attempts)) return true;

    for (let i = 0; i < this.cancelPresses; i++) {
      await this.control.pressKeys(['CANCEL']);
      s = await this.waitQuietly([IDLE_STATE, SIGN_ON_REQUIRED_STATE], this.settleMs, attempts, `CANCEL ${i + 1}`);
      if (await this.settle(s, attempts)) return true;
    }

    await this.control.reset();
    s = await this.waitQuietly([IDLE_STATE, SIGN_ON_REQUIRED_STATE], this.settleMs, attempts, 'reset');
    if (await this.settle(s, attempts)) return true;

    await this.control.powerCycle();
    s = await this.waitQuietly([IDLE_STATE, SIGN_ON_REQUIRED_STATE, 'tampered', 'error'], this.bootMs, attempts, 'power cycle');
    return this.settle(s, attempts);
  }

  /** Idle → done; sign-on required → sign on; still starting → wait for it. */
  private async settle(s: ObservedScreen, attempts: RecoveryAttempt[]): Promise<boolean> {
    if (s.state !== undefined && STARTING_STATES.includes(s.state)) {
      s = await this.waitQuietly([IDLE_STATE, SIGN_ON_REQUIRED_STATE], this.bootMs, attempts, `wait (${s.state})`);
    }
    if (s.state === IDLE_STATE) return true;
    if (s.state === SIGN_ON_REQUIRED_STATE) {
      await this.control.signOn();
      const after = await this.waitQuietly([IDLE_STATE], this.signOnMs, attempts, 'sign-on');
      return after.state === IDLE_STATE;
    }
    return false;
  }

  private async look(attempts: RecoveryAttempt[], step: string): Promise<ObservedScreen> {
    const s = await this.control.screen();
    this.lastState = s.state;
    attempts.push({ step, outcome: describe(s) });
    this.log(`${step}: ${describe(s)}`);
    return s;
  }

  /** Waits for a state; on timeout reports what is shown now instead of throwing. */
  private async waitQuietly(states: string[], timeoutMs: number, attempts: RecoveryAttempt[], step: string): Promise<ObservedScreen> {
    try {
      const s = await this.control.waitForState(states, timeoutMs);
      this.lastState = s.state;
      attempts.push({ step, outcome: describe(s) });
      this.log(`${step}: ${describe(s)}`);
      return s;
    } catch (err) {
      if (!(err instanceof TerminalExpectationError)) throw err;
      return this.look(attempts, `${step} (no change in ${timeoutMs} ms)`);
    }
  }

  /**
   * The `idle` target: wait for printing to end, acknowledge the result (ENTER), CANCEL a prompt or
   * menu left over, then take an inserted card out of the slot (at once when the terminal asks for it).
   */
  private async toIdle(): Promise<void> {
    const c = this.rest;
    if (!c) throw new TypeError('the idle target needs a RestControl');
    // Nothing happened since the terminal was last seen at rest: no need to look again.
    if (this.restingAt !== undefined && c.lastScreen().at === this.restingAt && !c.cardInSlot()) return;
    const timeoutMs = c.timeoutMs();
    const deadline = Date.now() + 2 * timeoutMs;
    let acknowledged = false;
    for (;;) {
      await c.waitForQuiet();
      const s = await c.waitForState([...AT_REST_STATES, 'result', ...ASKING_STATES, 'error', 'off'], timeoutMs);
      // A result shown with state idle (a 签到成功 screen) still waits for a key: a terminal that
      // names its screens says so by a screen id other than its idle screen's.
      const transient =
        (s.state === IDLE_STATE || s.state === SIGN_ON_REQUIRED_STATE) && s.screen !== undefined && s.screen !== 'idle' && !acknowledged;
      if ((AT_REST_STATES.includes(s.state ?? '') && !transient) || s.state === 'off') break;
      if (Date.now() > deadline) {
        throw new TerminalExpectationError(
          `The terminal did not return to idle within ${2 * timeoutMs} ms; it shows (${s.state}):\n  ${c.maskScreen(s.lines, s.state).join('\n  ')}`,
          { state: s.state },
        );
      }
      // A conformant terminal keeps asking for an inserted card back (请拔卡 …) before idle: take it.
      if (c.cardInSlot() && removalWordingOn(s.lines)) {
        await c.removeCard();
        continue;
      }
      const before = c.lastScreen();
      if (transient) acknowledged = true;
      // result: any key leaves it; a prompt or menu left over from an aborted step: CANCEL.
      await c.pressKeys([s.state === 'result' || transient ? 'ENTER' : 'CANCEL']);
      await c.waitForPromptChange(promptKey(before), timeoutMs).catch(() => undefined);
    }
    if (c.cardInSlot()) await c.removeCard();
    await c.waitForQuiet();
    const rest = c.lastScreen();
    this.restingAt = AT_REST_STATES.includes(rest.state ?? '') ? rest.at : undefined;
  }
}

function describe(s: ObservedScreen): string {
  const text = s.lines.filter((l) => l.trim()).join(' / ');
  return `state=${s.state ?? '?'}${text ? ` "${text.slice(0, 60)}"` : ''}`;
}

function isLinkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('link-');
}
