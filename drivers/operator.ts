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
        req.terminalReaction.then(
          () => 'terminal' as const,
          () => new Promise<never>(() => undefined),
        ),
        new Promise<'operator'>((resolve) => rl.once('line', () => resolve('operator'))),
        new Promise<never>((_, reject) =>
          rl.once('close', () =>
            reject(new OperatorTimeoutError('The operator console closed before the action was confirmed.', { instruction: req.instruction })),
          ),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new OperatorTimeoutError(
                  `Nobody performed "${req.instruction}" within ${Math.round(this.timeoutMs / 1000)} s and the terminal did not react.`,
                  { instruction: req.instruction, timeoutMs: this.timeoutMs },
                ),
              ),
            this.timeoutMs,
          );
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

// ---------------------------------------------------------------------------------------------
// Operator terminals: a terminal with no TTP at all. The person at it is the only link: poscert
// tells them what to do (PersonConsole.instruct) and asks what they see (confirm, count); what the
// host received and the ledger poscert checks itself. The console is the controlling terminal
// (/dev/tty) of the `poscert certify` session: cucumber runs in a child (and worker) processes
// whose stdout is a pipe, but they share the session's terminal, as ssh and gpg do for passwords.

/** One thing said to or answered by the person, in order: evidence of the run. */
export interface OperatorAnswer {
  at: string;
  /** 'do': an instruction the person confirmed; 'ask': a question and its answer. */
  kind: 'do' | 'ask';
  text: string;
  /** 'done', 'yes', 'no', a number, or what they typed. Never a PIN (instructions with a secret show it only on the console). */
  answer: string;
}

/** The person said the terminal did not do what the case requires, or answered something unusable. */
export class OperatorAnswerError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('OPERATOR_ANSWER', message, context);
  }
}

/** `operator:NAME?terminalId=…&capabilities=a,b&vendor=…&model=…&serial=…&firmware=…`: a terminal without TTP, run by a person. */
export interface OperatorTerminalSpec {
  name: string;
  terminalId?: string;
  capabilities: string[];
  vendor: string;
  model: string;
  serialNumber: string;
  firmware: string;
  /** Voucher copies the terminal declares it prints per transaction (its profile value; default 2). */
  copies: number;
}

export const OPERATOR_CAPABILITIES = ['magstripe', 'contact', 'contactless', 'printer', 'pinpad', 'sm4'];

export function isOperatorTerminal(spec: string): boolean {
  return spec.startsWith('operator:');
}

export function parseOperatorTerminal(spec: string): OperatorTerminalSpec {
  if (!isOperatorTerminal(spec)) throw new OperatorAnswerError(`${spec} is not an operator terminal (operator:NAME?…)`, { spec });
  const rest = spec.slice('operator:'.length);
  const [name, query = ''] = rest.split('?', 2);
  const q = new URLSearchParams(query);
  const known = new Set(['terminalId', 'capabilities', 'vendor', 'model', 'serial', 'firmware', 'copies']);
  const unknown = [...q.keys()].filter((k) => !known.has(k));
  if (unknown.length) {
    throw new OperatorAnswerError(`operator terminal ${spec}: unknown parameter ${unknown.join(', ')}; known: ${[...known].join(', ')}`, {
      spec,
      unknown,
    });
  }
  const capabilities = (q.get('capabilities') ?? 'contact,printer,pinpad')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = capabilities.filter((c) => !OPERATOR_CAPABILITIES.includes(c));
  if (bad.length) {
    throw new OperatorAnswerError(`operator terminal ${spec}: unknown capability ${bad.join(', ')}; known: ${OPERATOR_CAPABILITIES.join(', ')}`, {
      spec,
      bad,
    });
  }
  const terminalId = q.get('terminalId') ?? undefined;
  if (terminalId !== undefined && !/^[0-9A-Za-z]{8}$/.test(terminalId)) {
    throw new OperatorAnswerError(`operator terminal ${spec}: terminalId must be the 8-character id the terminal is provisioned with`, {
      spec,
      terminalId,
    });
  }
  const copies = Number(q.get('copies') ?? '2');
  if (!Number.isInteger(copies) || copies < 1 || copies > 3)
    throw new OperatorAnswerError(`operator terminal ${spec}: copies must be 1, 2 or 3`, { spec });
  return {
    name: name || 'operator',
    terminalId,
    copies,
    capabilities: capabilities.sort(),
    vendor: q.get('vendor') ?? '(declared by the operator)',
    model: q.get('model') ?? '(declared by the operator)',
    serialNumber: q.get('serial') ?? '(declared by the operator)',
    firmware: q.get('firmware') ?? '(declared by the operator)',
  };
}

export interface PersonConsoleOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** How long a person gets per prompt. Default 300 s (POSCERT_OPERATOR_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Closes input/output at close() (a /dev/tty opened for the session). */
  owned?: boolean;
}

/**
 * The console a person answers on. Prompts are numbered ([#n]) so a person (or a script reading the
 * screen) can tell a new question from an old one; every line typed answers the oldest open prompt.
 */
export class PersonConsole {
  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream;
  private readonly timeoutMs: number;
  private readonly rl: readline.Interface;
  private readonly lines: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private closed = false;
  private seq = 0;
  /** Everything said and answered since the last take(). */
  private log: OperatorAnswer[] = [];
  /** The case the prompts belong to (shown in the heading of its first prompt). */
  private heading: string | undefined;

  constructor(private readonly opts: PersonConsoleOptions = {}) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stdout;
    this.timeoutMs = opts.timeoutMs ?? (Number(process.env.POSCERT_OPERATOR_TIMEOUT_MS) || 300_000);
    this.rl = readline.createInterface({ input: this.input, terminal: false });
    this.rl.on('line', (line) => {
      const w = this.waiting;
      if (w) {
        this.waiting = undefined;
        w(line);
      } else this.lines.push(line);
    });
    this.rl.on('close', () => {
      this.closed = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.(undefined);
    });
  }

  /** The controlling terminal of this session (/dev/tty): where a person running `poscert certify` sits. */
  static openTty(opts: Omit<PersonConsoleOptions, 'input' | 'output' | 'owned'> = {}): PersonConsole {
    // Required lazily: only an operator run needs a terminal.
    const fs = require('node:fs') as typeof import('node:fs');
    const tty = require('node:tty') as typeof import('node:tty');
    let fd: number;
    try {
      fd = fs.openSync('/dev/tty', 'r+');
    } catch (err) {
      throw new OperatorTimeoutError(
        `operator mode needs the console of a person: run poscert certify from a terminal (${(err as Error).message})`,
        {},
      );
    }
    return new PersonConsole({ ...opts, input: new tty.ReadStream(fd), output: new tty.WriteStream(fd), owned: true });
  }

  /** Starts the prompts of a new case (shown once above its first prompt). */
  begin(heading: string): void {
    this.heading = heading;
  }

  /** What was said and answered since the last call (the evidence of one scenario). */
  take(): OperatorAnswer[] {
    const out = this.log;
    this.log = [];
    return out;
  }

  /** Tells the person what to do and waits for Enter. `secret` (a PIN) is shown on the console only, never logged. */
  async instruct(text: string, secret?: string): Promise<void> {
    await this.prompt('do', text, secret ? `${text}\n         PIN to type: ${secret}` : text, 'press Enter when done', () => 'done');
  }

  /** A yes/no question about what the person sees. */
  async confirm(question: string): Promise<boolean> {
    const a = await this.prompt('ask', question, question, 'y/n', (line) => {
      const s = line.trim().toLowerCase();
      return ['y', 'yes', '是', '对'].includes(s) ? 'yes' : ['n', 'no', '否', '不'].includes(s) ? 'no' : undefined;
    });
    return a === 'yes';
  }

  /** A count the person reads off the terminal (voucher copies). */
  async count(question: string): Promise<number> {
    return Number(
      await this.prompt('ask', question, question, 'a number', (line) => (/^\s*\d{1,3}\s*$/.test(line) ? String(Number(line)) : undefined)),
    );
  }

  async close(): Promise<void> {
    this.rl.close();
    if (this.opts.owned) {
      (this.input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      (this.output as NodeJS.WritableStream & { destroy?: () => void }).destroy?.();
    }
  }

  private async prompt(
    kind: OperatorAnswer['kind'],
    logged: string,
    shown: string,
    expects: string,
    accept: (line: string) => string | undefined,
  ): Promise<string> {
    const n = ++this.seq;
    if (this.heading) {
      this.output.write(`\n=== poscert operator: ${this.heading}\n`);
      this.heading = undefined;
    }
    this.output.write(`[#${n}] ${kind === 'do' ? 'DO ' : 'ASK'}  ${shown}\n`);
    for (;;) {
      this.output.write(`[#${n}] (${expects}) > `);
      const line = await this.nextLine(logged);
      const answer = accept(line);
      if (answer !== undefined) {
        this.log.push({ at: new Date().toISOString(), kind, text: logged, answer });
        return answer;
      }
      this.output.write(`[#${n}] please answer ${expects}\n`);
    }
  }

  private nextLine(what: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new OperatorTimeoutError('the operator console closed before the person answered', { prompt: what }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(
          new OperatorTimeoutError(`nobody answered "${what}" within ${Math.round(this.timeoutMs / 1000)} s`, {
            prompt: what,
            timeoutMs: this.timeoutMs,
          }),
        );
      }, this.timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        if (line === undefined) reject(new OperatorTimeoutError('the operator console closed before the person answered', { prompt: what }));
        else resolve(line);
      };
    });
  }
}
