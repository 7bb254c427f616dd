/**
 * What the terminal shows, followed from `display` and `state` events (and `screen` replies),
 * and waiting for a text or pattern to appear. A wait that times out is a terminal behaviour
 * mismatch (*failed*), and its error lists the recent screens so the report shows what the
 * terminal did instead.
 */
import { TerminalExpectationError } from './errors';

export interface ScreenSnapshot {
  lines: string[];
  state?: string;
  screen?: string;
  /** Wall-clock time the screen appeared (ms since epoch). */
  at: number;
}

export type ScreenMatcher = string | RegExp;

/** Text of a screen for matching: lines joined by newlines (a pattern may span lines). */
export function screenText(s: Pick<ScreenSnapshot, 'lines'>): string {
  return s.lines.join('\n');
}

export function screenMatches(s: Pick<ScreenSnapshot, 'lines'>, m: ScreenMatcher): boolean {
  const text = screenText(s);
  if (typeof m === 'string') {
    // Terminals pad lines and may wrap a label; compare ignoring runs of whitespace.
    const squash = (x: string) => x.replace(/\s+/g, ' ').trim();
    return text.includes(m) || squash(text).includes(squash(m)) || s.lines.some((l) => squash(l).includes(squash(m)));
  }
  m.lastIndex = 0;
  return m.test(text);
}

interface Waiter {
  predicate: (s: ScreenSnapshot) => boolean;
  resolve: (s: ScreenSnapshot) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface QuietWaiter {
  quietMs: number;
  deadline: number;
  resolve: (s: ScreenSnapshot) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ScreenTrackerOptions {
  /** Screens kept for error messages and evidence. Default 50. */
  historySize?: number;
  /** Masks PAN / PIN digits in the texts put into error messages (a screen's state says PIN entry). */
  maskForReport?: (text: string, state?: string) => string;
  now?: () => number;
}

export class ScreenTracker {
  private current: ScreenSnapshot = { lines: [], at: 0 };
  private state: string | undefined;
  private readonly history: Array<ScreenSnapshot & { change: number }> = [];
  private readonly waiters = new Set<Waiter>();
  private readonly quietWaiters = new Set<QuietWaiter>();
  private readonly historySize: number;
  private readonly mask: (t: string, state?: string) => string;
  private readonly now: () => number;
  private changeCount = 0;

  constructor(opts: ScreenTrackerOptions = {}) {
    this.historySize = opts.historySize ?? 50;
    this.mask = opts.maskForReport ?? ((t) => t);
    this.now = opts.now ?? Date.now;
  }

  /** A `display` event or a `screen` reply. */
  onDisplay(lines: string[], screen?: string, state?: string): void {
    if (state) this.state = state;
    const snap: ScreenSnapshot = { lines: lines.slice(), state: this.state, screen, at: this.now() };
    const same = screenText(snap) === screenText(this.current) && snap.state === this.current.state;
    this.current = snap;
    if (!same) {
      this.changeCount++;
      this.history.push({ ...snap, change: this.changeCount });
      if (this.history.length > this.historySize) this.history.shift();
    }
    this.check();
  }

  /** A `state` event. */
  onState(state: string): void {
    this.state = state;
    this.current = { ...this.current, state };
    this.changeCount++;
    this.check();
  }

  currentScreen(): ScreenSnapshot {
    return { ...this.current, lines: this.current.lines.slice() };
  }

  currentState(): string | undefined {
    return this.state;
  }

  /** Increases on every new screen or state; lets callers wait for "any reaction". */
  get changes(): number {
    return this.changeCount;
  }

  recentScreens(n = 8): ScreenSnapshot[] {
    return this.history.slice(-n).map(({ change: _change, ...s }) => ({ ...s, lines: s.lines.slice() }));
  }

  /**
   * The first screen shown after change number `since` (see `changes`) that matches, if any:
   * a screen the terminal passed through quickly (a card already in the reader skips the card
   * prompt) still counts for the step that caused it.
   */
  seenSince(since: number, matcher: ScreenMatcher): ScreenSnapshot | undefined {
    const hit = this.history.find((h) => h.change > since && screenMatches(h, matcher));
    if (!hit) return undefined;
    const { change: _change, ...s } = hit;
    return { ...s, lines: s.lines.slice() };
  }

  /** Resolves with the first screen (current or later) that matches; rejects after timeoutMs. */
  waitForScreen(matcher: ScreenMatcher, timeoutMs: number): Promise<ScreenSnapshot> {
    return this.waitFor((s) => screenMatches(s, matcher), timeoutMs, `a screen showing ${describeMatcher(matcher)}`);
  }

  /** Resolves when the terminal reports one of `states`. */
  waitForState(states: string[], timeoutMs: number): Promise<ScreenSnapshot> {
    return this.waitFor((s) => s.state !== undefined && states.includes(s.state), timeoutMs, `terminal state ${states.join(' or ')}`);
  }

  /** Resolves at the next screen or state change after the call. */
  waitForChange(timeoutMs: number): Promise<ScreenSnapshot> {
    const start = this.changeCount;
    return this.waitFor(() => this.changeCount > start, timeoutMs, 'any reaction of the terminal (a new screen or state)');
  }

  waitFor(predicate: (s: ScreenSnapshot) => boolean, timeoutMs: number, what: string): Promise<ScreenSnapshot> {
    if (predicate(this.current)) return Promise.resolve(this.currentScreen());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(this.expectationError(what, timeoutMs));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Resolves once the terminal has sent no display or state event for `quietMs` (a redraw of the
   * same screen counts), or at `maxMs` whatever it shows: a terminal passes through transient
   * screens (签到成功 → idle) and may drop keys typed while it redraws. Never rejects on time.
   */
  waitForQuiet(quietMs: number, maxMs: number): Promise<ScreenSnapshot> {
    return new Promise((resolve, reject) => {
      const waiter: QuietWaiter = { quietMs, deadline: Date.now() + maxMs, resolve, reject, timer: undefined as unknown as NodeJS.Timeout };
      this.armQuiet(waiter);
      this.quietWaiters.add(waiter);
    });
  }

  /** Rejects every pending wait (link down, driver closed): the caller's error wins over a timeout. */
  failAll(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
    for (const q of this.quietWaiters) {
      clearTimeout(q.timer);
      q.reject(err);
    }
    this.quietWaiters.clear();
  }

  private armQuiet(q: QuietWaiter): void {
    clearTimeout(q.timer);
    const left = q.deadline - Date.now();
    q.timer = setTimeout(
      () => {
        this.quietWaiters.delete(q);
        q.resolve(this.currentScreen());
      },
      Math.max(0, Math.min(q.quietMs, left)),
    );
  }

  /** The recent screens as text for an error message or evidence, masked. */
  describeRecent(n = 8): string {
    const recent = this.recentScreens(n);
    if (recent.length === 0) return '  (the terminal showed no screen yet)';
    return recent
      .map((s, i) => {
        const head = `  [${i + 1}] ${new Date(s.at).toISOString().slice(11, 23)}${s.state ? ` state=${s.state}` : ''}${s.screen ? ` screen=${s.screen}` : ''}`;
        const body = s.lines.map((l) => `      | ${this.mask(l, s.state)}`).join('\n');
        return `${head}\n${body || '      | (blank)'}`;
      })
      .join('\n');
  }

  private expectationError(what: string, timeoutMs: number): TerminalExpectationError {
    return new TerminalExpectationError(
      `The terminal did not show ${what} within ${timeoutMs} ms. Recent screens (oldest first):\n${this.describeRecent()}`,
      {
        expected: what,
        timeoutMs,
        state: this.state,
        recentScreens: this.recentScreens().map((s) => ({ ...s, lines: s.lines.map((l) => this.mask(l, s.state)) })),
      },
    );
  }

  private check(): void {
    // Every event restarts the quiet period (until the waiter's deadline).
    for (const q of this.quietWaiters) if (Date.now() < q.deadline) this.armQuiet(q);
    for (const w of [...this.waiters]) {
      if (w.predicate(this.current)) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(this.currentScreen());
      }
    }
  }
}

export function describeMatcher(m: ScreenMatcher): string {
  return typeof m === 'string' ? `"${m}"` : String(m);
}

/** Does a line of the screen hold the text once its spaces are removed (a PIN, its asterisks, an amount)? */
export function screenContains(s: Pick<ScreenSnapshot, 'lines'>, text: string): boolean {
  return s.lines.some((l) => l.replace(/\s/g, '').includes(text));
}

/** Does the screen show the amount (元 text such as 1234.50), thousands separators ignored? */
export function screenShowsAmount(s: Pick<ScreenSnapshot, 'lines'>, yuan: string): boolean {
  return s.lines.some((l) => l.replace(/[,\s]/g, '').includes(yuan));
}

/** The amount as a screen pattern: not part of a longer number. */
export function amountOnScreen(yuan: string): RegExp {
  return new RegExp(`(^|[^0-9.])${yuan.replace('.', '\\.')}($|[^0-9])`, 'm');
}
