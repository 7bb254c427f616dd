// What the operator and the cardholder do at the terminal beyond one driver call: choosing a menu
// entry (with the 预授权 submenu), retrying after a wrong PIN, typing wrong PINs until the issuer
// refuses the card, leaving the card in the reader and watching. Functions of the World (they keep
// its bookkeeping: last action, card in hand, voucher window), split from world.ts to keep it one concern.
import { findMenuEntry } from '../../drivers';
import { observeCardLeft, type CardLeftObservation } from '../../drivers/card-removal';
import type { PoscertWorld } from './world';

/** The operator chooses a menu entry from idle: a new transaction, a new voucher window. */
export async function chooseMenu(w: PoscertWorld, label: string): Promise<void> {
  w.action();
  w.newVoucherWindow();
  w.lastMenu = label;
  await w.driver.toIdle();
  await w.driver.selectMenu(label);
  // 预授权 opens a submenu whose first entry is 预授权 again: choosing "预授权" means that one.
  await w.driver.waitUntilQuiet();
  const s = w.driver.lastScreen();
  if (s.state === 'menu' && findMenuEntry(s.lines, label)) await w.driver.selectMenu(label);
}

/**
 * After a 55 a terminal either asks for the PIN again at once, or ends the transaction; then the
 * cardholder starts it again with the same card and amount, as at a real counter.
 */
export async function retryPin(w: PoscertWorld, pin: 'correct' | 'wrong'): Promise<void> {
  const alias = w.cardInHand();
  const s = await w.waitForState(['pin-entry', 'result', 'idle', 'printing', 'error']);
  if (s.state === 'pin-entry') {
    await w.enterPin(pin === 'correct' ? w.pinOf(alias) : w.wrongPinOf(alias));
    return;
  }
  const kind = w.txns.length ? w.txns[w.txns.length - 1].kind : 'sale';
  const again = kind === 'sale' || kind === 'bill-payment' ? kind : 'sale';
  await w.transact(again, { amountFen: w.lastAmountFen, card: alias, entry: w.lastEntry ?? 'insert', pin });
}

/** Leaves the card in the reader for `ms` and returns what the terminal showed (the screen on display first) and how it beeped. */
export async function watchCardLeftInReader(w: PoscertWorld, ms: number): Promise<CardLeftObservation> {
  const from = Math.max(0, ...w.driver.transcript({ all: true }).map((e) => e.seq));
  const now = w.driver.recentScreens(1).map((s) => ({ ...(s.state ? { state: s.state } : {}), lines: s.lines }));
  await new Promise((r) => setTimeout(r, ms));
  const seen = observeCardLeft(w.driver.transcript({ all: true }), from);
  return { beeps: seen.beeps, screens: [...now, ...seen.screens] };
}

/**
 * The cardholder types wrong PINs until the issuer refuses the card: the issuer counts wrong PINs,
 * and one more than its limit must end in 75 (or already has).
 */
export async function enterWrongPinsUntilRefused(w: PoscertWorld): Promise<void> {
  const limit = w.lab.config.rules.pinTryLimit;
  await w.enterPin(w.wrongPinOf(w.cardInHand()));
  for (let attempt = 1; attempt <= limit; attempt++) {
    await w.waitForState(['result', 'idle', 'printing', 'error', 'pin-entry']);
    const sales = await w.requests('sale');
    const reply = sales.length ? await w.replyTo(sales[sales.length - 1]) : undefined;
    if (reply?.responseCode === '75') return;
    await retryPin(w, 'wrong');
  }
}
