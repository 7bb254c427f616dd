// Whole transactions in one sentence: the set-up of a case ("a sale of 100.00 was approved for
// card X by inserting") or an action that is not the case's subject. The terminal's prompts are
// answered as an operator would (the driver's runTransaction and prompt table); "was approved" also
// checks the host's answer so that a case never builds on a transaction that did not happen.
import { expect } from 'chai';
import { step } from './support/define';
import type { EntryMode } from './support/parse';

// ------------------------------------------------------------------ sale

// The Chinese sentences put the card first; each phrasing maps its arguments onto one implementation.
step(['a sale of {amount} is made with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await this.sale(fen, alias, entry);
});
step(['用卡 {card} {entry}消费 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.sale(fen, alias, entry);
});
step(['a balance inquiry is made with card {card} by {entry}', '用卡 {card} {entry}查询余额'], async function (alias: string, entry: EntryMode) {
  await this.transact('balance', { card: alias, entry });
});
step(['a sale of {amount} was approved for card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await this.sale(fen, alias, entry, { approved: true });
});
step(['卡 {card} {entry}消费 {amount}已成功'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.sale(fen, alias, entry, { approved: true });
});

// An attempt the terminal may refuse before it starts (tamper): a menu it does not offer ends the attempt.
step(['the operator tries a sale of {amount} with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await this.sale(fen, alias, entry, { mayBeRefused: true });
});
step(['操作员尝试用卡 {card} {entry}消费 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.sale(fen, alias, entry, { mayBeRefused: true });
});

// ------------------------------------------------------------------ bill payment (缴费)

step(
  ['a bill payment of {amount} to {text} account {text} is made with card {card} by {entry}'],
  async function (fen: number, name: string, account: string, alias: string, entry: EntryMode) {
    await this.billPaymentFromEcr({ amountFen: fen, payee: { name, account }, card: alias, entry });
  },
);

step(
  ['a bill payment of {amount} to {text} account {text} was approved for card {card}'],
  async function (fen: number, name: string, account: string, alias: string) {
    await this.billPaymentFromEcr({ amountFen: fen, payee: { name, account }, card: alias, entry: 'insert' });
    await this.expectApproved('bill-payment', `set-up bill payment of card ${alias}`);
  },
);

// ------------------------------------------------------------------ void, refund

step(['the operator voids the last transaction with card {card} by {entry}'], async function (alias: string, entry: EntryMode) {
  await this.voidLast(alias, entry);
});

// Every prompt answered (a supervisor password where the terminal's profile asks one), no card.
step(['the operator voids voucher number {text}', '操作员撤销原凭证号{text}的交易'], async function (trace: string) {
  await this.transact('void', { originalTrace: trace });
});

step(
  ['the last transaction was voided with card {card} by {entry}', '最后一笔交易已用卡 {card} {entry}撤销'],
  async function (alias: string, entry: EntryMode) {
    await this.voidLast(alias, entry);
    await this.expectApproved('void', 'set-up void');
  },
);

step(
  ['the operator refunds {amount} of the last transaction with card {card} by {entry}'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.refundLast(fen, alias, entry);
  },
);

step(['操作员用卡 {card} {entry}退货上一笔交易 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.refundLast(fen, alias, entry);
});

// A set-up refund (退货) of the last approved sale: it must be approved, as the batch it enters is what the case judges next.
step(['the last transaction was refunded {amount} with card {card} by {entry}'], async function (fen: number, alias: string, entry: EntryMode) {
  await this.refundLast(fen, alias, entry);
  await this.expectApproved('refund', 'set-up refund');
});

step(['最后一笔交易已用卡 {card} {entry}退货 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.refundLast(fen, alias, entry);
  await this.expectApproved('refund', 'set-up refund');
});

step(
  ['the operator refunds {amount} of the last transaction with card {card} by {entry}, typing its reference number one character short'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.refundLast(fen, alias, entry, { referenceShort: true });
  },
);

// ------------------------------------------------------------------ pre-authorization

step(['a pre-authorization of {amount} was approved for card {card}'], async function (fen: number, alias: string) {
  await this.approvedPreauth(fen, alias);
});
step(['卡 {card} 预授权 {amount} 已成功'], async function (alias: string, fen: number) {
  await this.approvedPreauth(fen, alias);
});

step(
  ['the operator completes the pre-authorization with {amount} with card {card} by {entry}'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.completePreauth(fen, alias, entry);
  },
);
step(['操作员用卡 {card} {entry}完成预授权 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.completePreauth(fen, alias, entry);
});
// The first pre-authorization of the scenario, when a later one was voided or completed (cup8583.md §3.7).
step(
  ['the operator completes the first pre-authorization with {amount} with card {card} by {entry}'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.completePreauth(fen, alias, entry, 'first');
  },
);
step(['操作员用卡 {card} {entry}完成第一笔预授权 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.completePreauth(fen, alias, entry, 'first');
});

// ------------------------------------------------------------------ cash register (ECR)

step(['the cash register requests a sale of {amount}', '收银机发起消费 {amount}'], async function (fen: number) {
  this.ecrPending = (await this.startEcr({ request: 'sale', amount: String(fen) })).result;
});

step(['the cash register requests a bill payment of {amount} to {text} account {text}'], async function (fen: number, name: string, account: string) {
  this.ecrPending = (await this.startEcr({ request: 'bill-payment', amount: String(fen), payee: { name, account } })).result;
});
step(['收银机发起缴费 {amount}，收款方{text}，账号{text}'], async function (fen: number, name: string, account: string) {
  this.ecrPending = (await this.startEcr({ request: 'bill-payment', amount: String(fen), payee: { name, account } })).result;
});

// Settlement from the cash register (TTP §6.9 `settle`): its result says how it ended, as any other's.
step(['the cash register requests a settlement', '收银机发起结算'], async function () {
  await this.startEcrToEnd({ request: 'settle' });
});

step(['the cash register receives an approval', '收银机收到批准'], async function () {
  const { result, problems } = await this.ecrResult();
  expect(result.approved, `the terminal told the cash register: ${result.responseCode ?? ''} ${result.message ?? ''}`).to.equal(true);
  expect(problems.join('; '), 'the cash register was told otherwise than the flow ended and the host approved (TTP §6.9, §7.6)').to.equal('');
});

// A settlement whose batch upload the host left partly unanswered may end either way (a terminal may send the
// unanswered message again, cup8583.md §3.10 is silent): only that the result says how it ended is judged.
step(['the cash register is told how the settlement ended', '收银机收到结算结果'], async function () {
  const { problems } = await this.ecrResult();
  expect(problems.join('; '), 'the cash register was told otherwise than the flow ended (TTP §6.9, §7.6)').to.equal('');
});

// An unanswered or refused request is still a result (TTP §6.9: ok, approved false, its outcome), not an error.
step(['the cash register receives a failure', '收银机收到失败结果'], async function () {
  const { result, problems } = await this.ecrResult();
  expect(result.approved, `the terminal told the cash register: ${result.responseCode ?? ''} ${result.message ?? ''}`).to.equal(false);
  expect(result.outcome?.result, 'the outcome of a flow that did not end well (TTP §7.6)').to.not.be.oneOf(['approved', 'done']);
  expect(problems.join('; '), 'the cash register was told otherwise than the flow ended (TTP §6.9, §7.6)').to.equal('');
});
