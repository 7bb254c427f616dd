/**
 * What reaches the terminal from outside while it runs: key presses, text typed on the keypad's
 * alpha mode (payee names), cards presented or removed, cash-register (ECR) requests, and the
 * cardholder's signature drawn on the screen (电签, TTP `sign`).
 * Flows wait for the inputs they accept; others are dropped with an error beep, as a keypad
 * ignores keys a screen does not use.
 */
import type { TtpCardImage, TtpCardMethod, TtpEcrCommand } from '../protocol/ttp';

export type TerminalInput =
  | { kind: 'key'; key: string }
  | { kind: 'text'; text: string }
  | { kind: 'card'; method: TtpCardMethod; card: TtpCardImage }
  | { kind: 'card-removed' }
  | { kind: 'ecr'; request: TtpEcrCommand }
  | { kind: 'signature'; image: Buffer };

/** Why a flow stopped before its end. */
export class FlowAbort extends Error {
  constructor(
    readonly reason: 'cancelled' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/** The terminal lost power (or was reset) while this code ran: nothing more may be shown or saved. */
export class PowerLost extends Error {
  constructor() {
    super('terminal powered off');
  }
}

interface Waiter {
  pick: (input: TerminalInput) => boolean;
  resolve: (input: TerminalInput) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

export class InputQueue {
  private readonly queue: TerminalInput[] = [];
  private waiter?: Waiter;
  private dead?: Error;
  /** The flow is busy with something long (host exchange, printing) and takes no input now. */
  private blocked = false;
  private settledWaiters: Array<() => void> = [];

  constructor(private readonly onDropped: (input: TerminalInput) => void) {}

  push(input: TerminalInput): void {
    if (this.dead) return;
    this.queue.push(input);
    this.drain();
  }

  /**
   * Resolves once every queued input was taken (or dropped) and the flow is waiting for the next
   * one or busy elsewhere: what TTP means by "the key was processed" (the reply to `key` and `card`
   * comes after the display they caused). At most timeoutMs.
   */
  whenSettled(timeoutMs: number): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.settledWaiters = self.settledWaiters.filter((w) => w !== done);
        resolve();
      }
      this.settledWaiters.push(done);
    });
  }

  /** The flow starts something long (dialling the host, printing): pending key replies may go. */
  markBlocked(): void {
    this.blocked = true;
    this.notifySettled();
  }

  private isSettled(): boolean {
    return this.dead !== undefined || (this.queue.length === 0 && (this.waiter !== undefined || this.blocked));
  }

  private notifySettled(): void {
    if (!this.isSettled()) return;
    for (const w of [...this.settledWaiters]) w();
  }

  /** Forget inputs typed ahead (on entering a screen that must not take stale keys). */
  flush(): void {
    this.queue.length = 0;
  }

  /**
   * The next input `pick` accepts. Inputs before it that it does not accept are dropped.
   * timeoutMs <= 0 waits forever.
   */
  next(pick: (input: TerminalInput) => boolean, timeoutMs: number, what: string): Promise<TerminalInput> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.waiter) return Promise.reject(new Error(`internal: two flows wait for input (${what})`));
    return new Promise<TerminalInput>((resolve, reject) => {
      const waiter: Waiter = { pick, resolve, reject };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          if (this.waiter !== waiter) return;
          this.waiter = undefined;
          reject(new FlowAbort('timeout', `no input within ${timeoutMs} ms at ${what}`));
        }, timeoutMs);
      }
      this.waiter = waiter;
      this.blocked = false;
      this.drain();
      this.notifySettled();
    });
  }

  /** Power cut: every waiter fails with PowerLost, later inputs are ignored. */
  kill(err: Error): void {
    this.dead = err;
    this.queue.length = 0;
    const w = this.waiter;
    this.waiter = undefined;
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
    this.notifySettled();
  }

  private drain(): void {
    while (this.waiter && this.queue.length > 0) {
      const input = this.queue.shift()!;
      const w = this.waiter;
      if (w.pick(input)) {
        this.waiter = undefined;
        if (w.timer) clearTimeout(w.timer);
        w.resolve(input);
      } else {
        this.onDropped(input);
      }
    }
    this.notifySettled();
  }
}
