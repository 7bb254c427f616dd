// The by-hand form of the steps that make sense on an operator terminal (no TTP; steps/support/
// by-hand.ts): the person at the terminal is told what to key and which card to present, and is
// asked what the screen and the vouchers show. A "no" is the terminal failing the case, recorded
// with the question; what the host received and the ledger the harness checks itself (the steps
// declared observedByHarness run unchanged).
import { expect } from 'chai';
import { byHand, observedByHarness } from './support/by-hand';
import { formatFen, type EntryMode, type VoucherCopy as CopyName } from './support/parse';
import type { PoscertWorld } from './support/world';

const person = (w: PoscertWorld) => w.lab.person!;

/** A test card as the person knows it: its label (alias) and its number masked (first 6 + last 4). */
const cardLabel = (w: PoscertWorld, alias: string) => `${alias} (card number ${w.redact(w.card(alias).pan)})`;

const READER: Record<EntryMode, string> = {
  swipe: 'Swipe test card {card} through the magnetic stripe reader',
  insert: 'Insert test card {card} into the chip reader (leave it in until the terminal says to remove it)',
  tap: 'Tap test card {card} on the contactless reader',
};

const COPY_WORDS: Record<string, string> = { merchant: 'merchant copy (商户存根)', cardholder: 'cardholder copy (持卡人存根)', bank: 'bank copy (银行存根)' };

async function sees(w: PoscertWorld, question: string, failure: string): Promise<void> {
  expect(await person(w).confirm(question), `${failure} (the person at the terminal answered no to: ${question})`).to.equal(true);
}

// ------------------------------------------------------------------ at the terminal

byHand('the operator selects {text}', async function (label: string) {
  this.action();
  this.lastMenu = label;
  await person(this).instruct(`On the terminal's main menu, choose “${label}”.`);
});

byHand('the operator enters the amount {amount}', async function (fen: number) {
  this.action();
  this.lastAmountFen = fen;
  await person(this).instruct(`Key the amount ${formatFen(fen)} and press ENTER (确认).`);
});

byHand('the operator confirms', async function () {
  this.action();
  await person(this).instruct('Press ENTER (确认) on the terminal.');
});

byHand('the operator cancels', async function () {
  this.action();
  await person(this).instruct('Press CANCEL (取消) on the terminal, and return it to its idle screen.');
});

byHand('the cardholder {entry} card {card}', async function (entry: EntryMode, alias: string) {
  this.action();
  this.lastCard = alias;
  this.lastEntry = entry;
  await this.rememberBalance(alias);
  await person(this).instruct(`${READER[entry].replace('{card}', cardLabel(this, alias))}.`);
});

byHand('the cardholder enters the correct PIN', async function () {
  this.action();
  expect(this.lastCard, 'no card was presented in this scenario yet').to.be.a('string');
  const pin = this.pinOf(this.lastCard!);
  this.pinsTyped.add(pin);
  // The PIN is shown on the console only; the evidence says that a PIN was typed, never which.
  await person(this).instruct(`When the terminal asks for the PIN of ${this.lastCard}, type it on the PIN pad and press ENTER (确认).`, pin);
});

byHand('the cardholder confirms without a PIN', async function () {
  this.action();
  await person(this).instruct('If the terminal asks for a PIN (or shows 无密码请按[确认]), press ENTER (确认) without typing one.');
});

// ------------------------------------------------------------------ cash register

async function ecrBillPayment(w: PoscertWorld, fen: number, name: string, account: string): Promise<void> {
  w.action();
  w.lastAmountFen = fen;
  w.ecrPending = Promise.resolve('operator');
  await person(w).instruct(`On the cash register connected to the terminal (or on the terminal's 缴费 menu where it has no cash register), start 缴费 (bill payment) of ${formatFen(fen)} to payee “${name}”, account “${account}”.`);
}
byHand('the cash register requests a bill payment of {amount} to {text} account {text}', async function (fen: number, name: string, account: string) {
  await ecrBillPayment(this, fen, name, account);
});
byHand('收银机发起缴费 {amount}，收款方{text}，账号{text}', async function (fen: number, name: string, account: string) {
  await ecrBillPayment(this, fen, name, account);
});

byHand('the cash register receives an approval', async function () {
  expect(this.ecrPending, 'no cash-register request was made').to.not.equal(undefined);
  this.ecrPending = undefined;
  await sees(this, 'Did the cash register (or the terminal, without one) report the transaction approved?', 'the cash register got no approval');
});

// ------------------------------------------------------------------ what the person sees

byHand('the screen shows {text}', async function (text: string) {
  await sees(this, `Does the terminal's screen show “${text}”? (wait for it if the terminal is still working)`, `the screen did not show "${text}"`);
});

async function copiesCounted(w: PoscertWorld, want: number, declared = ''): Promise<void> {
  const printed = await person(w).count('When the terminal has finished printing: how many voucher copies (签购单) did it print for this transaction? (0 if none)');
  expect(printed, `voucher copies printed (as counted by the person at the terminal${declared})`).to.equal(want);
}

byHand('{int} voucher copies are printed', async function (n: number) {
  await copiesCounted(this, n);
});

// The number of copies is the terminal's declared value; an operator terminal declares it in its spec (copies=N).
byHand('the declared voucher copies are printed', async function () {
  const { parseOperatorTerminal } = require('../drivers/operator') as typeof import('../drivers/operator');
  const declared = parseOperatorTerminal(this.lab.settings.terminal).copies;
  await copiesCounted(this, declared, `; the terminal declares ${declared}`);
});

byHand('no voucher is printed', async function () {
  await copiesCounted(this, 0);
});

byHand('every copy shows {text}', async function (text: string) {
  await sees(this, `Does every voucher copy of this transaction show “${text}”?`, `a voucher copy does not show "${text}"`);
});

byHand('every copy shows the amount {amount}', async function (fen: number) {
  await sees(this, `Does every voucher copy of this transaction show the amount ${formatFen(fen)}?`, `a voucher copy does not show the amount ${formatFen(fen)}`);
});

byHand('the {copy} copy shows {text}', async function (copy: CopyName, text: string) {
  await sees(this, `Does the ${COPY_WORDS[copy] ?? copy} show “${text}”?`, `the ${copy} copy does not show "${text}"`);
});

byHand('the {copy} copy has a signature line', async function (copy: CopyName) {
  await sees(this, `Does the ${COPY_WORDS[copy] ?? copy} have a line for the cardholder's signature (持卡人签名)?`, `the ${copy} copy has no signature line`);
});

byHand('the {copy} copy has no signature line', async function (copy: CopyName) {
  await sees(this, `Is the ${COPY_WORDS[copy] ?? copy} free of any line for the cardholder's signature (持卡人签名)?`, `the ${copy} copy asks for a signature`);
});

// ------------------------------------------------------------------ what the harness sees itself

observedByHarness(
  'the host received a(n) {txn} request', 'the host received {int} {txn} requests', 'the host received no {txn}', 'the host received no financial request',
  'the host approved it', 'the host answered it with {text}', 'its amount is {amount}', 'its entry mode is {text}', 'its card was read by {entry}',
  'its MAC is present and valid', 'it carries an encrypted PIN block', 'it carries no PIN block', 'it carries IC data', 'it carries no IC data',
  'it names the payee {text} with account {text}', 'it identifies this terminal and its merchant',
  'the card {card} is debited {amount}', 'the card {card} is credited {amount}', 'the balance of card {card} is unchanged',
);
