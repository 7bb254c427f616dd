// Operator terminals (--terminal operator:NAME?…): a terminal without TTP, driven by the person at it.
//
// Which steps make sense by hand is declared here, phrase by phrase: a step either has a by-hand
// implementation (steps/operator.steps.ts: tell the person what to do, ask what they see) or is
// observed by the harness itself (the host journal, the ledger) and runs unchanged. A scenario with
// any other step is not applicable to an operator terminal: its Before hook (this file sorts
// before hooks.ts, so nothing has been asked of the person yet) skips it with the reason.
//
// The person's console is the controlling terminal of the certify session (drivers/operator.ts
// PersonConsole.openTty), so the prompts reach them whatever process cucumber runs the step in.
import { After, Before } from '@cucumber/cucumber';
import { CucumberExpression, ParameterType, ParameterTypeRegistry } from '@cucumber/cucumber-expressions';
import { ReferenceHost, type HostConfig } from '../../drivers';
import { hostPlacement } from '../../drivers/lab';
import { PersonConsole, isOperatorTerminal, parseOperatorTerminal, type OperatorAnswer } from '../../drivers/operator';
import type { TerminalDriver, TerminalIdentity } from '../../drivers/terminal';
import { skipWith } from './skip';
import { AMOUNT_PATTERN, CARD_ALIAS_PATTERN, COPY_PATTERN, ENTRY_PATTERN, QUOTED_PATTERNS, TXN_PATTERN } from './parse';
import type { RunSettings } from './settings';
import type { WorkerLab } from './lab';
import type { PoscertWorld } from './world';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type StepFn = (this: PoscertWorld, ...args: any[]) => Promise<void> | void;

/** Every phrase of every step → the step's first (English) phrase, its key. */
const PHRASE_KEY = new Map<string, string>();
/** Key → how the step runs by hand: its own implementation, or 'harness' (unchanged). */
const BY_HAND = new Map<string, StepFn | 'harness'>();

/** Called by step() (define.ts) for every definition: in an operator run the by-hand version runs. */
export function byHandOr(phrases: readonly string[], fn: StepFn): StepFn {
  for (const p of phrases) PHRASE_KEY.set(p, phrases[0]);
  const wrapped = function (this: PoscertWorld, ...args: unknown[]) {
    const how = this.lab?.person ? BY_HAND.get(phrases[0]) : 'harness';
    if (how === undefined) throw new Error(`"${phrases[0]}" has no by-hand form; the Before hook should have skipped this scenario`);
    return (how === 'harness' ? fn : how).apply(this, args);
  };
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  return wrapped;
}

/** Declares the by-hand implementation of a step, by its English phrase. */
export function byHand(phrase: string, fn: StepFn): void {
  BY_HAND.set(phrase, fn);
}

/** Declares steps that look only at what the harness sees itself (host, ledger): they run unchanged. */
export function observedByHarness(...phrases: string[]): void {
  for (const p of phrases) BY_HAND.set(p, 'harness');
}

// Steps that look only at what the harness sees itself run unchanged on an operator terminal.
observedByHarness(
  'the host received a(n) {txn} request',
  'the host received {int} {txn} requests',
  'the host received no {txn}',
  'the host received no financial request',
  'no request named an incomplete original reference',
  'the terminal downloaded the card blacklist before its next {txn} request',
  'the host approved it',
  'the host answered it with {text}',
  'its amount is {amount}',
  'its entry mode is {text}',
  'its card was read by {entry}',
  'its MAC is present and valid',
  'it carries an encrypted PIN block',
  'it carries no PIN block',
  'it carries IC data',
  'it carries no IC data',
  'it carries the card number in field 2',
  'it carries no card number in field 2',
  'it names the payee {text} with account {text}',
  'it identifies this terminal and its merchant',
  'the card {card} is debited {amount}',
  'the card {card} is credited {amount}',
  'the balance of card {card} is unchanged',
);

let registry: ParameterTypeRegistry | undefined;
let expressions: Array<{ expr: CucumberExpression; key: string }> | undefined;

/** The key of the step definition a step text matches (same parameter types as parameter-types.ts). */
function keyOf(text: string): string | undefined {
  if (!registry) {
    registry = new ParameterTypeRegistry();
    const types: Array<[string, RegExp | RegExp[]]> = [
      ['amount', AMOUNT_PATTERN],
      ['card', CARD_ALIAS_PATTERN],
      ['text', QUOTED_PATTERNS],
      ['entry', ENTRY_PATTERN],
      ['txn', TXN_PATTERN],
      ['copy', COPY_PATTERN],
    ];
    for (const [name, re] of types) registry.defineParameterType(new ParameterType(name, re, null, (s: string | null) => s, false, false));
  }
  expressions ??= [...PHRASE_KEY].map(([phrase, key]) => ({ expr: new CucumberExpression(phrase, registry!), key }));
  return expressions.find((e) => e.expr.match(text))?.key;
}

/** Why a scenario cannot be run by hand (the first step that needs the terminal's test interface), or undefined. */
export function notByHand(stepTexts: readonly string[]): string | undefined {
  for (const text of stepTexts) {
    const key = keyOf(text);
    if (!key || !BY_HAND.has(key)) {
      return `not applicable to an operator terminal (no TTP): "${text}" needs the terminal's test interface, it cannot be done or judged by hand`;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ the worker's operator lab

/**
 * What hooks.ts and the World ask of a terminal driver, for a terminal that has none: the person
 * is asked in the Before hook below; the "transcript" is what was said to and answered by them.
 */
class PersonTerminal {
  private readonly notes: Array<{ at: string; text: string }> = [];
  constructor(
    private readonly identity: TerminalIdentity,
    readonly answers: OperatorAnswer[],
  ) {}
  hello(): Promise<TerminalIdentity> {
    return Promise.resolve(this.identity);
  }
  removeCard(): Promise<void> {
    return Promise.resolve();
  }
  ensureSignedOnIdle(): Promise<void> {
    return Promise.resolve();
  }
  toIdle(): Promise<void> {
    return Promise.resolve();
  }
  waitUntilQuiet(): Promise<void> {
    return Promise.resolve();
  }
  note(text: string): void {
    this.notes.push({ at: new Date().toISOString(), text });
  }
  transcript(): Array<Record<string, unknown>> {
    const rows = [
      ...this.notes.map((n) => ({ at: n.at, note: n.text })),
      ...this.answers.map((a) => ({ at: a.at, note: `operator ${a.kind === 'do' ? 'did' : 'answered'}: ${a.text} → ${a.answer}` })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    return rows.map((r, i) => ({ seq: i + 1, at: r.at, tMs: 0, dir: '--', kind: 'note', note: r.note }));
  }
  recentScreens(): [] {
    return [];
  }
  receipts(): [] {
    return [];
  }
  receiptsSince(): [] {
    return [];
  }
  markReceipts(): void {
    /* the person reads the vouchers */
  }
  configure(): Promise<void> {
    return Promise.reject(new Error('an operator terminal takes no configuration from the harness'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export async function startOperatorLab(settings: RunSettings, config: HostConfig): Promise<WorkerLab> {
  const spec = parseOperatorTerminal(settings.terminal);
  const env = process.env;
  const placement = hostPlacement({ listen: env.POSCERT_HOST_LISTEN, address: env.POSCERT_HOST_ADDRESS, bind: env.POSCERT_HOST_BIND });
  const reference = await ReferenceHost.start({ config, port: placement.port, bind: placement.bind });
  const caps = Object.fromEntries(['magstripe', 'contact', 'contactless', 'printer', 'pinpad', 'sm4'].map((c) => [c, spec.capabilities.includes(c)]));
  const identity = {
    vendor: spec.vendor,
    model: spec.model,
    serialNumber: spec.serialNumber,
    firmwareVersion: spec.firmware,
    ttp: 'none (operator)',
    capabilities: caps,
  } as unknown as TerminalIdentity;
  let person: PersonConsole;
  try {
    person = PersonConsole.openTty();
  } catch (err) {
    await reference.stop();
    throw err;
  }
  const answers: OperatorAnswer[] = [];
  const terminal = new PersonTerminal(identity, answers);
  const terminalId = spec.terminalId ?? settings.terminalId;
  return {
    settings,
    driver: terminal as unknown as TerminalDriver,
    host: reference.control,
    config,
    terminalId,
    identity,
    person,
    hostAddress: `${placement.address ?? `127.0.0.1:${reference.port}`}`,
    operatorAnswers: answers,
    stop: async () => {
      await person.close();
      await reference.stop();
    },
  } as WorkerLab;
}

export { isOperatorTerminal };

// ------------------------------------------------------------------ per scenario

Before({ name: 'operator terminal: only what makes sense by hand' }, async function (this: PoscertWorld, { pickle }) {
  if (!isOperatorTerminal(process.env.POSCERT_TERMINAL ?? '')) return undefined;
  const reason = notByHand(pickle.steps.map((s) => s.text));
  if (reason) {
    return skipWith(this, reason);
  }
  const { workerLab } = require('./lab') as typeof import('./lab');
  this.lab = await workerLab(this.parameters);
  const caseId =
    pickle.tags
      .map((t) => t.name)
      .find((t) => /^@CUP-/.test(t))
      ?.slice(1) ?? '';
  const person = this.lab.person!;
  person.begin(`${caseId} ${pickle.name}`);
  await person.instruct(
    `Bring terminal ${this.lab.terminalId} to its idle screen, signed on (签到), no card in any reader; its host is ${this.lab.hostAddress}.`,
  );
  return undefined;
});

After({ name: "operator terminal: the person's answers as evidence" }, function (this: PoscertWorld) {
  const person = this.lab?.person;
  if (!person) return;
  const said = person.take();
  this.lab.operatorAnswers?.push(...said);
  if (said.length) {
    this.attach(this.redact(said.map((a) => `${a.at} ${a.kind === 'do' ? 'DO ' : 'ASK'} ${a.text}\n    → ${a.answer}`).join('\n')), {
      mediaType: 'text/plain',
      fileName: 'operator-answers.txt',
    });
  }
});
