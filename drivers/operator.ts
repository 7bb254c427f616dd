/**
 * Operator mode: for terminals whose PIN pad takes no injected keys (a production PED) or whose
 * card reader has no robot, the console asks a person to act, then waits until the terminal
 * reacts (a new screen or state over TTP) — or until the person confirms on the console, for
 * firmware that reports nothing while it waits.
 */
import * as readline from 'node:readline';
import { PoscertError } from '../errors';

/** The person did not act in time (or the console closed). → broken: the harness could not drive the case. */
export class OperatorTimeoutError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('OPERATOR_TIMEOUT', message, context);
  }
}

export interface OperatorConsoleOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** How long a person gets per action. Default 120 s. */
  timeoutMs?: number;
}

export interface OperatorRequest {
  /** What to do, one short sentence ("Insert card UP-DEBIT-IC into the chip reader"). */
  instruction: string;
  /**
   * Shown only on an interactive console (a PIN the person must type); never written to a
   * non-TTY output, a log or the transcript.
   */
  secret?: string;
  /** Resolves when the terminal reacted; its rejection is ignored (the person may confirm instead). */
  terminalReaction: Promise<unknown>;
}

export class OperatorConsole {
  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly timeoutMs: number;

  constructor(opts: OperatorConsoleOptions = {}) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stdout;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  get interactive(): boolean {
    return this.output.isTTY === true;
  }

  /** Asks the person, resolves with how the action was confirmed. */
  async ask(req: OperatorRequest): Promise<'terminal' | 'operator'> {
    if (req.secret !== undefined && !this.interactive) {
      throw new OperatorTimeoutError(
        'Operator mode needs an interactive console to show the PIN to type; run poscert from a terminal (not with output redirected), or bind a PIN entry that injects keys.',
        { instruction: req.instruction },
      );
    }
    const rl = readline.createInterface({ input: this.input, terminal: false });
    this.output.write(`\n>>> OPERATOR: ${req.instruction}\n`);
    if (req.secret !== undefined) this.output.write(`>>> PIN to type: ${req.secret}\n`);
    this.output.write('>>> (continues when the terminal reacts; press Enter here to confirm manually)\n');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        req.terminalReaction.then(() => 'terminal' as const, () => new Promise<never>(() => undefined)),
        new Promise<'operator'>((resolve) => rl.once('line', () => resolve('operator'))),
        new Promise<never>((_, reject) => rl.once('close', () => reject(new OperatorTimeoutError('The operator console closed before the action was confirmed.', { instruction: req.instruction })))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new OperatorTimeoutError(
            `Nobody performed "${req.instruction}" within ${Math.round(this.timeoutMs / 1000)} s and the terminal did not react.`,
            { instruction: req.instruction, timeoutMs: this.timeoutMs },
          )), this.timeoutMs);
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
      rl.removeAllListeners('close');
      rl.close();
      this.output.write('>>> ok\n');
    }
  }
}
