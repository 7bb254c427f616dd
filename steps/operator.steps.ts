// The by-hand form of the steps that make sense on an operator terminal (no TTP; steps/support/
// by-hand.ts): the person at the terminal is told what to key and which card to present, and is
// asked what the screen and the vouchers show. A "no" is the terminal failing the case, recorded
// with the question; what the host received and the ledger the harness checks itself (the steps
// declared observedByHarness in support/by-hand.ts run unchanged).
import { expect } from 'chai';
import { bookedAmounts, otherKindWords, VOUCHER_KINDS, type TransactionKind } from '../drivers';
import { COUNT_COPIES, ask, tell, type Question } from '../drivers/operator-script';
import { byHand } from './support/by-hand';
import { formatFen, type EntryMode, type VoucherCopy as CopyName } from './support/parse';
import type { PoscertWorld } from './support/world';

const person = (w: PoscertWorld) => w.lab.person!;

async function sees(w: PoscertWorld, { question, failure }: Question): Promise<void> {
  expect(await person(w).confirm(question), `${failure} (the person at the terminal answered no to: ${question})`).to.equal(true);
}

async function copiesCounted(w: PoscertWorld, want: number, declared = ''): Promise<void> {
  const printed = await person(w).count(COUNT_COPIES);
  expect(printed, `voucher copies printed (as counted by the person at the terminal${declared})`).to.equal(want);
}

// ------------------------------------------------------------------ at the terminal

byHand('the operator selects {text}', async function (label: string) {
  this.action();
  this.lastMenu = label;
  await person(this).instruct(tell.selectMenu(label));
});

byHand('the operator enters the amount {amount}', async function (fen: number) {
  this.action();
  this.lastAmountFen = fen;
  await person(this).instruct(tell.amount(formatFen(fen)));
});

byHand('the operator confirms', async function () {
  this.action();
  await person(this).instruct(tell.confirm);
});

byHand('the operator cancels', async function () {
  this.action();
  await person(this).instruct(tell.cancel);
});

byHand('the cardholder {entry} card {card}', async function (entry: EntryMode, alias: string) {
  this.action();
  this.lastCard = alias;
  this.lastEntry = entry;
  await this.rememberBalance(alias);
  // The person knows a test card by its label (alias) and its number masked (first 6 + last 4).
  await person(this).instruct(tell.presentCard(entry, `${alias} (card number ${this.redact(this.card(alias).pan)})`));
});

byHand('the cardholder enters the correct PIN', async function () {
  this.action();
  const pin = this.pinOf(this.cardInHand());
  this.pinsTyped.add(pin);
  // The PIN is shown on the console only; the evidence says that a PIN was typed, never which.
  await person(this).instruct(tell.pin(this.lastCard!), pin);
});

byHand('the cardholder confirms without a PIN', async function () {
  this.action();
  await person(this).instruct(tell.noPin);
});

// ------------------------------------------------------------------ cash register

async function ecrBillPayment(w: PoscertWorld, fen: number, name: string, account: string): Promise<void> {
  w.action();
  w.lastAmountFen = fen;
  w.ecrPending = Promise.resolve('operator');
  await person(w).instruct(tell.ecrBillPayment(formatFen(fen), name, account));
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
  await sees(this, ask.ecrApproved());
});

// ------------------------------------------------------------------ what the person sees

byHand('the screen shows {text}', async function (text: string) {
  await sees(this, ask.screenShows(text));
});

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
  await sees(this, ask.everyCopyShows(text));
});

byHand('every copy shows the amount {amount}', async function (fen: number) {
  await sees(this, ask.everyCopyShowsAmount(formatFen(fen)));
});

// The amounts the host booked, and the type words of other transactions, are the harness's to give.
byHand('every amount on every copy is one the host booked', async function () {
  await sees(this, ask.everyAmountBooked(bookedAmounts(await this.messages()).map(formatFen)));
});

byHand('no copy names another kind of transaction', async function () {
  const { request } = await this.lastApproved([...VOUCHER_KINDS]);
  await sees(this, ask.noOtherKindNamed(otherKindWords(request.kind as TransactionKind)));
});

byHand("every copy shows the card's expiry date", async function () {
  const { expiry } = this.card(this.cardInHand());
  await sees(this, ask.everyCopyShowsExpiry(`20${expiry.slice(0, 2)}/${expiry.slice(2)}`));
});

byHand('no screen asked for a card', async function () {
  await sees(this, ask.noCardAsked());
});

byHand('the {copy} copy shows {text}', async function (copy: CopyName, text: string) {
  await sees(this, ask.copyShows(copy, text));
});

byHand('the {copy} copy has a signature line', async function (copy: CopyName) {
  await sees(this, ask.signatureLine(copy));
});

byHand('the {copy} copy has no signature line', async function (copy: CopyName) {
  await sees(this, ask.noSignatureLine(copy));
});
