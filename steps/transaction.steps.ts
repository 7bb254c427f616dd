// Whole transactions in one sentence: the set-up of a case ("a sale of 100.00 was approved for
// card X by inserting") or an action that is not the case's subject. The terminal's prompts are
// answered as an operator would (the driver's runTransaction and prompt table); "was approved" also
// checks the host's answer so that a case never builds on a transaction that did not happen.
import { expect } from 'chai';
import { step } from './support/define';
import { TerminalExpectationError } from '../drivers';
import type { EntryMode } from './support/parse';
import type { PoscertWorld } from './support/world';

// ------------------------------------------------------------------ sale

// The Chinese sentences put the card first; each phrasing maps its arguments onto one implementation.
async function sale(w: PoscertWorld, fen: number, alias: string, entry: EntryMode, mustBeApproved: boolean): Promise<void> {
  await w.transact('sale', { amountFen: fen, card: alias, entry });
  if (mustBeApproved) await w.expectApproved('sale', `set-up sale of card ${alias}`);
}

step(['a sale of {amount} is made with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await sale(this, fen, alias, entry, false);
});
step(['用卡 {card} {entry}消费 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await sale(this, fen, alias, entry, false);
});
step(['a sale of {amount} was approved for card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await sale(this, fen, alias, entry, true);
});
step(['卡 {card} {entry}消费 {amount}已成功'], async function (alias: string, entry: EntryMode, fen: number) {
  await sale(this, fen, alias, entry, true);
});

/** An attempt the terminal may refuse before it starts (tamper): a menu it does not offer ends the attempt. */
async function trySale(w: PoscertWorld, fen: number, alias: string, entry: EntryMode): Promise<void> {
  try {
    await w.transact('sale', { amountFen: fen, card: alias, entry });
  } catch (err) {
    if (!(err instanceof TerminalExpectationError) || !/No menu entry/.test(err.message)) throw err;
  }
}
step(['the operator tries a sale of {amount} with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await trySale(this, fen, alias, entry);
});
step(['操作员尝试用卡 {card} {entry}消费 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await trySale(this, fen, alias, entry);
});

// ------------------------------------------------------------------ bill payment (缴费)

step(['a bill payment of {amount} to {text} account {text} is made with card {card} by {entry}'],
  async function (fen: number, name: string, account: string, alias: string, entry: EntryMode) {
    await this.billPaymentFromEcr({ amountFen: fen, payee: { name, account }, card: alias, entry });
  });

step(['a bill payment of {amount} to {text} account {text} was approved for card {card}'],
  async function (fen: number, name: string, account: string, alias: string) {
    await this.billPaymentFromEcr({ amountFen: fen, payee: { name, account }, card: alias, entry: 'insert' });
    await this.expectApproved('bill-payment', `set-up bill payment of card ${alias}`);
  });

// ------------------------------------------------------------------ void, refund

async function voidLast(w: PoscertWorld, alias: string, entry: EntryMode): Promise<void> {
  const { request } = await w.lastApproved(['sale', 'bill-payment']);
  await w.transact('void', { originalTrace: request.stan, card: alias, entry });
}

step(['the operator voids the last transaction with card {card} by {entry}'], async function (alias: string, entry: EntryMode) {
  await voidLast(this, alias, entry);
});

// Every prompt answered (a supervisor password where the terminal's profile asks one), no card.
step(['the operator voids voucher number {text}', '操作员撤销原凭证号{text}的交易'], async function (trace: string) {
  await this.transact('void', { originalTrace: trace });
});

step(['the last transaction was voided with card {card} by {entry}'], async function (alias: string, entry: EntryMode) {
  await voidLast(this, alias, entry);
  await this.expectApproved('void', 'set-up void');
});

step(['the operator refunds {amount} of the last transaction with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  const { reply } = await this.lastApproved(['sale']);
  await this.transact('refund', {
    amountFen: fen, card: alias, entry, originalRrn: reply.fields[37], originalDate: reply.fields[13],
  });
});

// ------------------------------------------------------------------ pre-authorization

step(['a pre-authorization of {amount} was approved for card {card}'], async function (fen: number, alias: string) {
  await this.transact('preauth', { amountFen: fen, card: alias, entry: 'insert' });
  await this.expectApproved('preauth', `set-up pre-authorization of card ${alias}`);
});

step(['the operator completes the pre-authorization with {amount} with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  const { reply } = await this.lastApproved(['preauth']);
  await this.transact('preauth-completion', {
    amountFen: fen, card: alias, entry, originalAuthCode: reply.fields[38], originalDate: reply.fields[13],
  });
});

// ------------------------------------------------------------------ cash register (ECR)

step(['the cash register requests a sale of {amount}', '收银机发起消费 {amount}'], async function (fen: number) {
  this.ecrPending = (await this.startEcr({ request: 'sale', amount: String(fen) })).result;
});

async function ecrBillPayment(w: PoscertWorld, fen: number, name: string, account: string): Promise<void> {
  w.ecrPending = (await w.startEcr({ request: 'bill-payment', amount: String(fen), payee: { name, account } })).result;
}
step(['the cash register requests a bill payment of {amount} to {text} account {text}'], async function (fen: number, name: string, account: string) {
  await ecrBillPayment(this, fen, name, account);
});
step(['收银机发起缴费 {amount}，收款方{text}，账号{text}'], async function (fen: number, name: string, account: string) {
  await ecrBillPayment(this, fen, name, account);
});

step(['the cash register receives an approval', '收银机收到批准'], async function () {
  expect(this.ecrPending, 'no cash-register request was made').to.not.equal(undefined);
  const result = await this.ecrPending as { approved: boolean; responseCode?: string; message?: string };
  this.ecrPending = undefined;
  expect(result.approved, `the terminal told the cash register: ${result.responseCode ?? ''} ${result.message ?? ''}`).to.equal(true);
});
