/**
 * Bringing a terminal to signed-on idle from whatever state the previous scenario left it in.
 *
 * Escalation, cheapest first: look (maybe it is idle already) → CANCEL a few times → TTP `reset`
 * → power cycle; after each step, sign on when the terminal asks for it. One pass through the
 * ladder is one *recovery*. When `maxRecoveries` passes in a row end without signed-on idle, the
 * terminal is marked broken: this call and every later one throw TerminalBrokenError at once, so a
 * dead terminal costs one broken scenario's worth of time instead of a timeout in every scenario.
 */
import { TerminalBrokenError, TerminalExpectationError } from './errors';

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

export const IDLE_STATE = 'idle';
export const SIGN_ON_REQUIRED_STATE = 'sign-on-required';
/** States in which the terminal is still starting; wait, do not poke. */
const STARTING_STATES = ['off', 'booting', 'self-test', 'signing-on', 'online', 'reversal', 'printing', 'settling'];

export interface RecoveryAttempt {
  step: string;
  outcome: string;
}

export class SignedOnIdleStrategy {
  private consecutiveFailures = 0;
  private brokenError: TerminalBrokenError | undefined;
  private lastState: string | undefined;
  private readonly maxRecoveries: number;
  private readonly cancelPresses: number;
  private readonly settleMs: number;
  private readonly bootMs: number;
  private readonly signOnMs: number;
  private readonly log: (line: string) => void;

  constructor(private readonly control: RecoveryControl, opts: RecoveryOptions = {}) {
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

  async ensureSignedOnIdle(): Promise<void> {
    this.assertUsable();
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
    const summary = history
      .map((a, i) => `  recovery ${i + 1}: ${a.map((x) => `${x.step} → ${x.outcome}`).join('; ')}`)
      .join('\n');
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
}

function describe(s: ObservedScreen): string {
  const text = s.lines.filter((l) => l.trim()).join(' / ');
  return `state=${s.state ?? '?'}${text ? ` "${text.slice(0, 60)}"` : ''}`;
}

function isLinkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('link-');
}
