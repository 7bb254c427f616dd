// Operator and cardholder actions as a person at the terminal performs them: wait until the
// terminal asks (its TTP state), then answer. Used by the step definitions one action at a time,
// and by `runTransaction` for the composite steps ("a sale of 10.00 is made with card X by
// inserting") that set up a case without being its subject: it answers whatever the terminal
// asks (amount, payee, original voucher number, card, PIN, confirmation) until the transaction ends.
import type { ScreenSnapshot } from '../../drivers/screens';
import type { TtpEcrCommand, TtpEcrResult } from '../../protocol/ttp';
import { TerminalExpectationError } from '../../drivers/errors';
import type { PoscertWorld } from './world';
import type { EntryMode, TxnKind } from './parse';

/** States in which the terminal has finished a transaction (or cannot start one). */
export const END_STATES = ['result', 'idle', 'printing', 'sign-on-required', 'error', 'tampered', 'off'];
/** States in which the terminal waits for the operator or the cardholder. */
export const ASKING_STATES = ['menu', 'input', 'confirm', 'card-wait', 'pin-entry'];

/** Menu labels of the transactions (as UnionPay terminals label them). */
export const MENU_OF: Partial<Record<TxnKind, string>> = {
  sale: '消费', 'bill-payment': '缴费', void: '撤销', refund: '退货', balance: '余额查询',
  preauth: '预授权/预授权', 'preauth-completion': '预授权/预授权完成', settlement: '结算', 'sign-on': '管理/签到',
};

export interface TxnAnswers {
  amountFen?: number;
  payee?: { name: string; account: string };
  originalTrace?: string;
  originalRrn?: string;
  originalDate?: string;
  originalAuthCode?: string;
  card?: string;
  entry?: EntryMode;
  /** 'correct' (default) types the card's PIN when asked; 'wrong' a wrong one; 'none' confirms without. */
  pin?: 'correct' | 'wrong' | 'none';
}

function text(s: ScreenSnapshot): string {
  return s.lines.join('\n');
}

/** A prompt's identity: state + screen id, or state + the first line (amount digits change below it). */
function promptKey(s: ScreenSnapshot): string {
  return `${s.state ?? ''}|${s.screen ?? s.lines[0] ?? ''}|${s.screen ? '' : (s.lines[1] ?? '').replace(/[0-9.,*]/g, '')}`;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Waits until the terminal leaves the prompt it showed (or reaches an end state). */
async function waitForPromptChange(w: PoscertWorld, from: string, timeoutMs: number): Promise<ScreenSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = w.driver.lastScreen();
    if (promptKey(s) !== from) return s;
    if (Date.now() > deadline) {
      throw new TerminalExpectationError(`The terminal stayed on the same screen for ${timeoutMs} ms after it was answered. Recent screens:\n` +
        w.redact(w.driver.recentScreens(6).map((x) => `  [${x.state ?? '?'}] ${x.lines.join(' | ')}`).join('\n')), { prompt: from });
    }
    await sleep(5);
  }
}

export async function waitForState(w: PoscertWorld, states: string[]): Promise<ScreenSnapshot> {
  return w.driver.waitForState(states, { timeoutMs: w.lab.settings.screenTimeoutMs });
}

export async function presentCard(w: PoscertWorld, alias: string, entry: EntryMode): Promise<void> {
  w.lastCard = alias;
  w.lastEntry = entry;
  if (entry === 'insert') w.cardInSlot = true;
  await w.rememberBalance(alias);
  await waitForState(w, ['card-wait']);
  await w.driver.presentCard(w.cardImage(alias), entry);
}

export async function enterPin(w: PoscertWorld, pin: string): Promise<void> {
  await waitForState(w, ['pin-entry']);
  w.pinsTyped.add(pin);
  await w.driver.enterPin(pin);
}

/**
 * Answers the terminal's prompts until the transaction ends. Returns the end screen. A prompt the
 * answers do not cover is a terminal behaviour the case did not expect (failed, with the screens).
 */
export async function answerPrompts(w: PoscertWorld, a: TxnAnswers): Promise<ScreenSnapshot> {
  const timeoutMs = w.lab.settings.screenTimeoutMs;
  const deadline = Date.now() + 4 * timeoutMs;
  for (;;) {
    let s = await w.driver.waitForState([...ASKING_STATES, ...END_STATES], { timeoutMs });
    if (END_STATES.includes(s.state ?? '')) {
      // A terminal may pass through an at-rest state inside a flow (an automatic sign-on before
      // the transaction): the transaction has ended only if the terminal stays there.
      await waitUntilQuiet(w);
      s = w.driver.lastScreen();
      if (END_STATES.includes(s.state ?? '')) return s;
      continue;
    }
    if (Date.now() > deadline) throw new TerminalExpectationError('The transaction did not end', { lastScreen: s.lines });
    // The state event may come before the screen it belongs to: read the prompt once it is drawn.
    await waitUntilQuiet(w);
    s = w.driver.lastScreen();
    if (END_STATES.includes(s.state ?? '')) continue;
    const key = promptKey(s);
    const t = text(s);
    const ask = (re: RegExp) => re.test(t);
    if (s.state === 'pin-entry') {
      if (a.pin === 'none') {
        await w.driver.pressKeys('ENTER');
      } else {
        const pin = a.pin === 'wrong' ? w.wrongPinOf(a.card!) : w.pinOf(a.card!);
        w.pinsTyped.add(pin);
        await w.driver.enterPin(pin);
      }
    } else if (s.state === 'card-wait') {
      if (!a.card || !a.entry) throw new TerminalExpectationError(w.redact(`The terminal asks for a card, but this step presents none: ${t}`), { state: s.state });
      w.lastCard = a.card;
      w.lastEntry = a.entry;
      if (a.entry === 'insert') w.cardInSlot = true;
      await w.rememberBalance(a.card);
      await w.driver.presentCard(w.cardImage(a.card), a.entry);
    } else if (s.state === 'confirm') {
      await w.driver.pressKeys('ENTER');
    } else if (ask(/金额|AMOUNT/i) && a.amountFen !== undefined && !ask(/原/)) {
      await w.driver.enterAmount(a.amountFen);
    } else if (ask(/收款方名称|PAYEE NAME/i) && a.payee) {
      await w.driver.enterText(a.payee.name);
    } else if (ask(/收款方账号|PAYEE ACCOUNT/i) && a.payee) {
      await w.driver.enterText(a.payee.account);
    } else if (ask(/原凭证号|VOUCHER NO/i) && a.originalTrace) {
      await w.driver.enterText(a.originalTrace);
    } else if (ask(/原参考号|REF NO/i) && a.originalRrn) {
      await w.driver.enterText(a.originalRrn);
    } else if (ask(/原交易日期|ORIGINAL DATE/i) && a.originalDate) {
      await w.driver.enterText(a.originalDate);
    } else if (ask(/原授权码|AUTH CODE/i) && a.originalAuthCode) {
      await w.driver.enterText(a.originalAuthCode);
    } else {
      throw new TerminalExpectationError(w.redact(`The terminal asks for something this step cannot answer (state ${s.state}):\n  ${s.lines.join('\n  ')}`),
        { state: s.state });
    }
    await waitForPromptChange(w, key, timeoutMs);
  }
}

/** States after which the terminal is back where a new transaction can start. */
const AT_REST = ['idle', 'sign-on-required', 'tampered'];

/**
 * Brings the terminal back to idle after a transaction, as the operator does: wait for printing
 * to finish, acknowledge the result screen with a key, and take an inserted card out of the slot.
 */
export async function backToIdle(w: PoscertWorld): Promise<void> {
  // Nothing happened since the terminal was last seen at rest: no need to look again.
  if (w.restingScreenAt !== undefined && w.driver.lastScreen().at === w.restingScreenAt && !w.cardInSlot) return;
  const timeoutMs = w.lab.settings.screenTimeoutMs;
  const deadline = Date.now() + 2 * timeoutMs;
  let acknowledged = false;
  for (;;) {
    await waitUntilQuiet(w);
    const s = await w.driver.waitForState([...AT_REST, 'result', ...ASKING_STATES, 'error', 'off'], { timeoutMs });
    // A result shown with state idle (the emulator's 签到成功 screen) still waits for a key: a
    // terminal that names its screens says so by a screen id other than its idle screen's.
    const transient = (s.state === 'idle' || s.state === 'sign-on-required') && s.screen !== undefined && s.screen !== 'idle' && !acknowledged;
    if ((AT_REST.includes(s.state ?? '') && !transient) || s.state === 'off') break;
    if (Date.now() > deadline) {
      throw new TerminalExpectationError(w.redact(`The terminal did not return to idle within ${2 * timeoutMs} ms; it shows (${s.state}):\n  ${s.lines.join('\n  ')}`), { state: s.state });
    }
    const before = w.driver.lastScreen();
    if (transient) acknowledged = true;
    // result: any key leaves it; a prompt or menu left over from an aborted step: CANCEL.
    await w.driver.pressKeys(s.state === 'result' || transient ? 'ENTER' : 'CANCEL');
    await waitForPromptChange(w, promptKey(before), timeoutMs).catch(() => undefined);
  }
  if (w.cardInSlot) {
    w.cardInSlot = false;
    await w.driver.removeCard();
  }
  await waitUntilQuiet(w);
  const rest = w.driver.lastScreen();
  w.restingScreenAt = AT_REST.includes(rest.state ?? '') ? rest.at : undefined;
}

/**
 * Waits until the screen has not changed for `quietMs`: a terminal passes through transient
 * at-rest screens (签到成功 → idle) and may drop keys typed while it redraws.
 */
export async function waitUntilQuiet(w: PoscertWorld, quietMs = 25): Promise<void> {
  const deadline = Date.now() + w.lab.settings.screenTimeoutMs;
  let last = w.driver.lastScreen();
  for (;;) {
    await sleep(quietMs);
    const now = w.driver.lastScreen();
    if (now.at === last.at && now.state === last.state) return;
    if (Date.now() > deadline) return;
    last = now;
  }
}

/**
 * A 缴费 started by the cash register (ECR `bill-payment` with the payee), the card and PIN given
 * at the terminal: how billing systems hand a payee name to a terminal without an alpha keypad.
 */
export async function runBillPaymentFromEcr(w: PoscertWorld, a: TxnAnswers & { payee: { name: string; account: string }; amountFen: number }): Promise<unknown> {
  if (a.card) await w.rememberBalance(a.card);
  const { result } = await startEcr(w, { request: 'bill-payment', amount: String(a.amountFen), payee: a.payee });
  await answerPrompts(w, a);
  w.txns.push({ kind: 'bill-payment', card: a.card ?? '', amountFen: a.amountFen });
  return result.catch((err: unknown) => err);
}

/**
 * Sends a cash-register request from idle and waits until the terminal takes it up (asks for
 * something). The request's own promise settles when the transaction ends; a refusal (busy,
 * tampered, bad request) surfaces here at once.
 */
export async function startEcr(w: PoscertWorld, req: Omit<TtpEcrCommand, 'id' | 'cmd' | 'ecrReference'>): Promise<{ result: Promise<TtpEcrResult> }> {
  w.action();
  w.restingScreenAt = undefined;
  await backToIdle(w);
  w.newVoucherWindow();
  if (req.amount) w.lastAmountFen = Number(req.amount);
  const pending = w.driver.ecr({ ...req, ecrReference: w.caseId || 'poscert' });
  let refused: unknown;
  pending.catch((err: unknown) => { refused = err; });
  const asking = waitForState(w, ASKING_STATES).then(() => undefined, (err: unknown) => { refused ??= err; });
  await Promise.race([asking, pending.then(() => undefined, () => undefined)]);
  if (refused) throw refused;
  // Wrapped: an async function returning the promise itself would wait for the whole transaction.
  return { result: pending };
}

/** The operator's sign-on (签到): from the sign-on prompt, or 管理 → 签到 on a signed-on terminal. */
export async function signOn(w: PoscertWorld): Promise<void> {
  await backToIdle(w).catch(() => undefined);
  const s = await w.driver.currentScreen();
  if (s.state === 'sign-on-required') {
    // Some firmware signs on at 确认 on the 未签到 screen; others open the menu.
    await w.driver.pressKeys('ENTER');
    await waitUntilQuiet(w);
    if (w.driver.lastScreen().state === 'menu') await w.driver.selectMenu('管理/签到');
  } else {
    await w.driver.selectMenu('管理/签到');
  }
  await waitForState(w, ['idle', 'sign-on-required', 'error', 'result']);
  await backToIdle(w);
}

/** Selects the transaction's menu entry and answers every prompt until it ends. */
export async function runTransaction(w: PoscertWorld, kind: TxnKind, a: TxnAnswers): Promise<ScreenSnapshot> {
  const menu = MENU_OF[kind];
  if (!menu) throw new Error(`no menu entry known for ${kind}`);
  if (a.card) await w.rememberBalance(a.card);
  if (a.amountFen !== undefined) w.lastAmountFen = a.amountFen;
  w.action();
  await backToIdle(w);
  w.newVoucherWindow();
  await w.driver.selectMenu(menu);
  const end = await answerPrompts(w, a);
  w.txns.push({ kind, card: a.card ?? '', amountFen: a.amountFen });
  return end;
}
