/**
 * Whole transactions at the terminal, as an operator and a cardholder do them: choose the
 * transaction's menu entry (the catalogue's menu path), then answer whatever the terminal asks
 * (the prompt table, prompts.ts) until the transaction ends. Everything waits on the driver's
 * screen events (state, display), never by polling. TerminalDriver.runTransaction / answerPrompts
 * / startEcr call these; a unit test can hand in any InteractionControl.
 */
import type { TtpCardImage, TtpCardMethod, TtpEcrCommand, TtpEcrResult } from '../protocol/ttp';
import { TerminalExpectationError } from './errors';
import { ASKING_STATES, END_STATES, PromptKind, TransactionAnswers, answerFor, phaseOf, promptKey } from './prompts';
import type { ScreenSnapshot } from './screens';

/** A card as the driver presents it: the image (scenarios/ card book) and how. */
export interface PresentedCard {
  image: TtpCardImage;
  method: TtpCardMethod;
}

export type DriverAnswers = TransactionAnswers<PresentedCard>;

export interface TransactionRunOptions {
  /** Told before each answer is given (the scenario notes which card and PIN it used). */
  onAnswer?: (prompt: PromptKind) => void;
  /**
   * An entry the case answers with a value the terminal may refuse by staying on it (an incomplete
   * original reference): still shown `waitMs` after it was answered, CANCEL ends the transaction
   * (told through `onStayed`) instead of the case failing on a terminal that would not go on.
   */
  mayStayOn?: { prompt: PromptKind; waitMs: number; onStayed?: () => void };
}

/** What the interaction needs from the driver: its event waiters and keypad / reader actions. */
export interface InteractionControl {
  lastScreen(): ScreenSnapshot;
  recentScreens(n: number): ScreenSnapshot[];
  waitForState(states: string[], opts: { timeoutMs?: number }): Promise<ScreenSnapshot>;
  waitUntilQuiet(): Promise<void>;
  /** Resolves when the screen's prompt (promptKey) is no longer `key`; rejects on timeout. */
  waitForPromptChange(key: string, timeoutMs: number): Promise<ScreenSnapshot>;
  pressKeys(...keys: string[]): Promise<void>;
  enterAmount(fen: number): Promise<void>;
  enterText(text: string): Promise<void>;
  enterPin(pin: string): Promise<void>;
  presentCard(card: TtpCardImage, method: TtpCardMethod): Promise<void>;
  ecr(req: Omit<TtpEcrCommand, 'id' | 'cmd'>): Promise<TtpEcrResult>;
  /** A screen's lines for an error message, masked by meaning (card numbers; every digit on a PIN entry screen). */
  maskScreen(lines: readonly string[], state: string | undefined): string[];
  screenTimeoutMs(): number;
}

/**
 * Answers the terminal's prompts until the transaction ends; returns the end screen. A prompt the
 * answers do not cover is a terminal behaviour the case did not expect (failed, with the screens).
 */
export async function answerPrompts(d: InteractionControl, a: DriverAnswers, opts: TransactionRunOptions = {}): Promise<ScreenSnapshot> {
  const timeoutMs = d.screenTimeoutMs();
  const deadline = Date.now() + 4 * timeoutMs;
  // A PIN never reaches an error message, even from a terminal that echoes it: masked where it is typed.
  const shown = (x: ScreenSnapshot) => d.maskScreen(x.lines, x.state);
  for (;;) {
    let s = await d.waitForState([...ASKING_STATES, ...END_STATES], { timeoutMs });
    if (phaseOf(s.state) === 'ended') {
      // A terminal may pass through an at-rest state inside a flow (an automatic sign-on before
      // the transaction): the transaction has ended only if the terminal stays there.
      await d.waitUntilQuiet();
      s = d.lastScreen();
      if (phaseOf(s.state) === 'ended') return s;
      continue;
    }
    if (Date.now() > deadline) throw new TerminalExpectationError('The transaction did not end', { lastScreen: shown(s) });
    // The state event may come before the screen it belongs to: read the prompt once it is drawn.
    await d.waitUntilQuiet();
    s = d.lastScreen();
    if (phaseOf(s.state) === 'ended') continue;
    const key = promptKey(s);
    const answer = answerFor(s, a);
    if (!answer) {
      if (s.state === 'card-wait') {
        throw new TerminalExpectationError(`The terminal asks for a card, but this step presents none: ${shown(s).join('\n')}`, { state: s.state });
      }
      throw new TerminalExpectationError(`The terminal asks for something this step cannot answer (state ${s.state}):\n  ${shown(s).join('\n  ')}`, {
        state: s.state,
      });
    }
    opts.onAnswer?.(answer.prompt);
    const act = answer.action;
    switch (act.kind) {
      case 'pin':
        await d.enterPin(act.pin);
        break;
      case 'keys':
        await d.pressKeys(...act.keys);
        break;
      case 'card':
        await d.presentCard(act.card.image, act.card.method);
        break;
      case 'amount':
        await d.enterAmount(act.fen);
        break;
      case 'text':
        await d.enterText(act.text);
        break;
    }
    const stay = opts.mayStayOn?.prompt === answer.prompt ? opts.mayStayOn : undefined;
    await d.waitForPromptChange(key, stay ? stay.waitMs : timeoutMs).catch(async (err: unknown) => {
      if (!(err instanceof TerminalExpectationError)) throw err;
      if (stay) {
        stay.onStayed?.();
        await d.pressKeys('CANCEL');
        return;
      }
      throw new TerminalExpectationError(
        `The terminal stayed on the same screen for ${timeoutMs} ms after it was answered. Recent screens:\n` +
          d
            .recentScreens(6)
            .map((x) => `  [${x.state ?? '?'}] ${shown(x).join(' | ')}`)
            .join('\n'),
        { prompt: key },
      );
    });
  }
}

/**
 * Sends a cash-register request and waits until the terminal takes it up (asks for something).
 * The request's own promise settles when the transaction ends; a refusal (busy, tampered, bad
 * request) surfaces here at once.
 */
export async function startEcr(d: InteractionControl, req: Omit<TtpEcrCommand, 'id' | 'cmd'>): Promise<{ result: Promise<TtpEcrResult> }> {
  const pending = d.ecr(req);
  let refused: unknown;
  pending.catch((err: unknown) => {
    refused = err;
  });
  const asking = d.waitForState([...ASKING_STATES], { timeoutMs: d.screenTimeoutMs() }).then(
    () => undefined,
    (err: unknown) => {
      refused ??= err;
    },
  );
  await Promise.race([
    asking,
    pending.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  if (refused) throw refused;
  // Wrapped: an async function returning the promise itself would wait for the whole transaction.
  return { result: pending };
}
