/**
 * The prompt table: what a terminal is asking for, read from its TTP state and its screen, and
 * which of a transaction's answers (amount, payee, original trace, card, PIN, confirmation, …)
 * answers it. Pure — no driver, no clock — so every row is unit-tested with screen snapshots
 * (test/drivers/prompts.test.ts); runTransaction (drivers/interaction.ts) walks a transaction
 * with it. Texts follow what UnionPay terminals show in 简体中文 or English; a terminal whose
 * wording differs gets a row here, not a branch in a step.
 */

/** What a screen may carry (a ScreenSnapshot, or a screen in a unit test). */
export interface PromptScreen {
  lines: readonly string[];
  state?: string;
  /** The terminal's name for the screen, when it names them (the emulator does). */
  screen?: string;
}

/** States in which the terminal has finished a transaction (or cannot start one). */
export const END_STATES: readonly string[] = ['result', 'idle', 'printing', 'sign-on-required', 'error', 'tampered', 'off'];
/** States in which the terminal waits for the operator or the cardholder. */
export const ASKING_STATES: readonly string[] = ['menu', 'input', 'confirm', 'card-wait', 'pin-entry'];
/** States after which the terminal is back where a new transaction can start (or refuses to). */
export const AT_REST_STATES: readonly string[] = ['idle', 'sign-on-required', 'tampered'];

/** What a prompt asks for. */
export type PromptKind =
  | 'pin'
  | 'card'
  | 'confirm'
  | 'amount'
  | 'payee-name'
  | 'payee-account'
  | 'original-trace'
  | 'original-rrn'
  | 'original-date'
  | 'original-auth-code'
  | 'supervisor-password'
  | 'operator-number'
  | 'operator-password';

export interface PromptRow {
  kind: PromptKind;
  /** The TTP state the terminal reports while asking. */
  state: string;
  /** Text the screen shows (lines joined by newlines); absent: the state alone says it. */
  shows?: RegExp;
  /** Text that rules the row out (原 = "original": 原交易金额 is no amount to type). */
  unless?: RegExp;
}

/** In order: the first row that matches names the prompt. */
export const PROMPT_TABLE: readonly PromptRow[] = [
  { kind: 'pin', state: 'pin-entry' },
  { kind: 'card', state: 'card-wait' },
  { kind: 'confirm', state: 'confirm' },
  { kind: 'amount', state: 'input', shows: /金额|AMOUNT/i, unless: /原/ },
  { kind: 'payee-name', state: 'input', shows: /收款方名称|PAYEE NAME/i },
  { kind: 'payee-account', state: 'input', shows: /收款方账号|PAYEE ACCOUNT/i },
  { kind: 'original-trace', state: 'input', shows: /原凭证号|VOUCHER NO/i },
  { kind: 'original-rrn', state: 'input', shows: /原参考号|REF NO/i },
  { kind: 'original-date', state: 'input', shows: /原交易日期|ORIGINAL DATE/i },
  { kind: 'original-auth-code', state: 'input', shows: /原授权码|AUTH CODE/i },
  { kind: 'supervisor-password', state: 'input', shows: /主管密码|SUPERVISOR/i },
  // 操作员签到 (operator logon) before a sign-on: answered by the menu sign-on (drivers/operator-logon.ts).
  { kind: 'operator-password', state: 'input', shows: /操作员密码|OPERATOR PASSWORD/i },
  { kind: 'operator-number', state: 'input', shows: /操作员号|OPERATOR NO/i },
];

/** Every prompt kind the screen matches, in table order (a terminal's wording may fit two rows). */
export function promptsOf(s: PromptScreen): PromptKind[] {
  const text = s.lines.join('\n');
  return PROMPT_TABLE.filter((r) => r.state === s.state && (!r.shows || r.shows.test(text)) && !(r.unless && r.unless.test(text))).map((r) => r.kind);
}

/** Where the terminal is in a transaction, by its state. */
export type TransactionPhase = 'asking' | 'ended' | 'working';

export function phaseOf(state: string | undefined): TransactionPhase {
  if (state !== undefined && END_STATES.includes(state)) return 'ended';
  if (state !== undefined && ASKING_STATES.includes(state)) return 'asking';
  return 'working';
}

/**
 * A prompt's identity: state + screen id, or state + the first line and the second without its
 * digits (the amount typed so far changes below a prompt; it is still the same prompt).
 */
export function promptKey(s: PromptScreen): string {
  return `${s.state ?? ''}|${s.screen ?? s.lines[0] ?? ''}|${s.screen ? '' : (s.lines[1] ?? '').replace(/[0-9.,*]/g, '')}`;
}

/**
 * The answers a transaction is walked with. Values are resolved (a card image, a PIN): the driver
 * knows no card book.
 */
export interface TransactionAnswers<Card = unknown> {
  amountFen?: number;
  payee?: { name: string; account: string };
  originalTrace?: string;
  originalRrn?: string;
  originalDate?: string;
  originalAuthCode?: string;
  /** The supervisor (主管) password the terminal's profile declares, for voids and refunds. */
  supervisorPassword?: string;
  /**
   * Which supervisor password the driver resolves when supervisorPassword is not given: the
   * declared one (default) or a wrong one (drivers/supervisor.ts), for one transaction.
   */
  supervisor?: 'declared' | 'wrong';
  /** The card to present when asked, and how. */
  card?: Card;
  /** The PIN to type when asked; 'none' confirms without one. */
  pin?: string | 'none';
  /**
   * 电签: the PNG the cardholder draws when the terminal shows its signature pad (TTP state
   * `signature`); 'none' declines (CANCEL). Absent: the driver draws the cardholder's signature. The
   * pad is answered by the driver whenever it shows (TerminalDriver.onSignaturePad), not as a prompt
   * of this table: the cardholder signs also in a case driven step by step or from the cash register.
   */
  signature?: Buffer | 'none';
}

/** One action at the keypad or the reader that answers a prompt. */
export type PromptAction<Card = unknown> =
  | { kind: 'pin'; pin: string }
  | { kind: 'keys'; keys: string[] }
  | { kind: 'card'; card: Card }
  | { kind: 'amount'; fen: number }
  | { kind: 'text'; text: string };

/**
 * The action answering the screen's prompt with the given answers, or undefined when the screen
 * asks for something the answers do not cover (the caller reports it with the screen).
 */
export function answerFor<Card>(s: PromptScreen, a: TransactionAnswers<Card>): { prompt: PromptKind; action: PromptAction<Card> } | undefined {
  for (const prompt of promptsOf(s)) {
    const action = actionFor(prompt, a);
    if (action) return { prompt, action };
  }
  return undefined;
}

function actionFor<Card>(prompt: PromptKind, a: TransactionAnswers<Card>): PromptAction<Card> | undefined {
  const text = (v: string | undefined): PromptAction<Card> | undefined => (v ? { kind: 'text', text: v } : undefined);
  switch (prompt) {
    case 'pin':
      if (a.pin === undefined) return undefined;
      return a.pin === 'none' ? { kind: 'keys', keys: ['ENTER'] } : { kind: 'pin', pin: a.pin };
    case 'card':
      return a.card !== undefined ? { kind: 'card', card: a.card } : undefined;
    case 'confirm':
      return { kind: 'keys', keys: ['ENTER'] };
    case 'amount':
      return a.amountFen !== undefined ? { kind: 'amount', fen: a.amountFen } : undefined;
    case 'payee-name':
      return text(a.payee?.name);
    case 'payee-account':
      return text(a.payee?.account);
    case 'original-trace':
      return text(a.originalTrace);
    case 'original-rrn':
      return text(a.originalRrn);
    case 'original-date':
      return text(a.originalDate);
    case 'original-auth-code':
      return text(a.originalAuthCode);
    case 'supervisor-password':
      return text(a.supervisorPassword);
    default:
      return undefined;
  }
}
