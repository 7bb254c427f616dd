// What the acquirer received and answered (the reference host's journal), and the faults the
// host is told to commit. "it" / "its" / 该请求 is the request the last "the host received …" step found.
import { expect } from 'chai';
import { step } from './support/define';
import { expectAllPinTriesLeft, expectReversal, hostFault, originalOf, pansUsed } from './support/host-journal';
import {
  batchOf,
  clearPinBlocks,
  describeMessages,
  entryMode,
  financialRequests,
  incompleteReferences,
  missingIccTags,
  nextAfterReversed,
  payeeOf,
  pinLeaks,
  requestsOf,
  securityControl,
  stansOf,
  tracesAdvance,
  type HostMessage,
  type TransactionKind,
} from '../drivers';
import type { EntryMode } from './support/parse';
import { spoiledReplies } from '../drivers/untrusted-reply';
import { commFailureProblem, pointAtUnreachableHost } from '../drivers/host-unreachable';
import type { PoscertWorld } from './support/world';

// ------------------------------------------------------------------ what arrived

step(['the host received a(n) {txn} request', '主机收到{txn}请求'], async function (kind: TransactionKind) {
  this.current = await this.lastRequest(kind);
});

step(['the host received {int} {txn} requests', '主机收到 {int} 笔{txn}请求'], async function (n: number, kind: TransactionKind) {
  expect((await this.requests(kind)).length, `${kind} requests received`).to.equal(n);
});

step(['the host received a(n) {txn}', '主机收到{txn}'], async function (kind: TransactionKind) {
  this.current = await this.lastRequest(kind);
});

step(['the host received no {txn}', '主机未收到{txn}'], async function (kind: TransactionKind) {
  expect(stansOf(await this.requests(kind)), `the host received ${kind} messages`).to.deep.equal([]);
});

step(['the host received no financial request', '主机未收到任何金融交易请求'], async function () {
  expect(describeMessages(financialRequests(await this.messages())), 'financial requests the host received').to.deep.equal([]);
});

step(['the host received no financial request since the sale', '消费之后主机未收到任何金融交易请求'], async function () {
  const { reply } = await this.lastApproved(['sale']);
  expect(describeMessages(financialRequests(await this.messages(), reply.id)), 'financial requests after the sale').to.deep.equal([]);
});

step(['the host has received the {txn} request', '主机已收到{txn}请求'], async function (kind: TransactionKind) {
  await this.waitForRequest(kind);
});

// ------------------------------------------------------------------ the host's answer

step(['the host approved it', '主机批准了该请求'], async function () {
  const req = await this.focus();
  expect((await this.replyOf(req)).responseCode, `F39 of the reply to the ${req.kind} (STAN ${req.stan})`).to.equal('00');
});

step(['the host answered it with {text}', '主机应答码为{text}'], async function (code: string) {
  const req = await this.focus();
  expect((await this.replyOf(req)).responseCode, `F39 of the reply to the ${req.kind} (STAN ${req.stan})`).to.equal(code);
});

step(['the host approved the last {txn} request', '主机批准了最后一笔{txn}请求'], async function (kind: TransactionKind) {
  const req = await this.lastRequest(kind);
  this.current = req;
  expect((await this.replyOf(req)).responseCode, `F39 of the reply to the last ${kind}`).to.equal('00');
});

step(['the host approved every {txn} request', '主机批准了每笔{txn}请求'], async function (kind: TransactionKind) {
  const answered = async (r: HostMessage) => `${r.stan}:${(await this.replyTo(r))?.responseCode ?? 'none'}`;
  const codes = await Promise.all((await this.requests(kind)).map(answered));
  const refused = codes.filter((c) => !c.endsWith(':00'));
  expect(refused, `${kind} requests not approved (STAN:F39)`).to.deep.equal([]);
});

step(['the acquirer verified the PIN', '收单机构验证了PIN'], async function () {
  const req = await this.focus();
  const code = (await this.replyOf(req)).responseCode;
  expect(code, 'the acquirer could not verify the PIN (55 = wrong PIN, 99 = PIN block format)').to.not.be.oneOf(['55', '99', '75']);
  expect(code, 'F39').to.equal('00');
});

// ------------------------------------------------------------------ fields of "it"

step(['its amount is {amount}', '该请求金额为 {amount}'], async function (fen: number) {
  const req = await this.focus();
  expect(Number(req.fields[4]), `F4 of the ${req.kind} (fen)`).to.equal(fen);
});

step(['its entry mode is {text}', '该请求的输入方式为{text}'], async function (mode: string) {
  const req = await this.focus();
  expect(req.fields[22], `F22 (entry mode) of the ${req.kind}`).to.equal(mode);
});

step(['its card was read by {entry}', '该请求的卡片读取方式为{entry}'], async function (entry: EntryMode) {
  const req = await this.focus();
  const expected = { swipe: ['magstripe'], insert: ['contact'], tap: ['contactless', 'contactless-pboc'] }[entry];
  expect(entryMode(req)?.panEntry, `F22 ${req.fields[22]}`).to.be.oneOf(expected);
});

step(['its field {int} is present', '该请求带有第 {int} 域'], async function (n: number) {
  const req = await this.focus();
  expect(req.fields[n], `F${n} of the ${req.kind}`).to.not.equal(undefined);
});

step(['its MAC is present and valid', '该请求的MAC存在且正确'], async function () {
  const req = await this.focus();
  expect(req.fields[64], `the ${req.kind} carries no MAC (F64)`).to.match(/\S/);
  const reply = await this.replyOf(req);
  expect(reply.responseCode, 'the host answered A0: MAC verification failed').to.not.equal('A0');
});

step(['it carries no MAC', '该请求不带MAC'], async function () {
  const req = await this.focus();
  expect(req.fields[64], `F64 of the ${req.kind}`).to.equal(undefined);
});

step(['the PIN appears nowhere in the host journal', '主机日志中没有PIN'], async function () {
  expect(this.pinsTyped.size, 'no PIN was typed in this scenario').to.be.greaterThan(0);
  expect(pinLeaks(await this.messages(), this.pinsTyped, pansUsed(this)), 'the PIN in clear in the host journal').to.deep.equal([]);
});

step(['it carries an encrypted PIN block', '该请求带有加密的PIN块'], async function () {
  const req = await this.focus();
  const block = req.fields[52];
  expect(block, `the ${req.kind} carries no PIN block (F52)`).to.match(/^[0-9A-F]{16}([0-9A-F]{16})?$/);
  expect(clearPinBlocks(this.pinsTyped, pansUsed(this)), 'F52 is the PIN block in clear').to.not.include(block);
  expect(req.fields[53], 'F53 (security control) must accompany a PIN block').to.not.equal(undefined);
  expect(req.fields[22]?.[2], 'F22 third digit must say a PIN was entered').to.equal('1');
});

step(['it carries no PIN block', '该请求不带PIN块'], async function () {
  const req = await this.focus();
  expect(req.fields[52], `F52 of the ${req.kind}`).to.equal(undefined);
});

// cup8583.md §2.2 / §3.6: F2 goes with manual entry and chip reads; a swiped card's PAN travels in track 2 (F35) only.
step(['it carries the card number in field 2', '该请求带有第2域主账号'], async function () {
  const req = await this.focus();
  expect(req.fields[2], `the ${req.kind} (F22 ${req.fields[22]}) carries no PAN in F2 (cup8583.md §2.2: sent for IC and manual entry)`).to.match(
    /\S/,
  );
});

step(['it carries no card number in field 2', '该请求不带第2域主账号'], async function () {
  const req = await this.focus();
  expect(req.fields[2], `F2 of the ${req.kind} (F22 ${req.fields[22]}): for magstripe the PAN comes from F35 (cup8583.md §2.2, §3.6)`).to.equal(
    undefined,
  );
});

step(['it carries IC data', '该请求带有IC卡数据'], async function () {
  const req = await this.focus();
  expect(req.fields[55], `the ${req.kind} carries no IC data (F55)`).to.not.equal(undefined);
  const missing = missingIccTags(req);
  expect(missing, `F55 lacks tag(s) ${missing.join(', ')}`).to.deep.equal([]);
});

step(['it carries no IC data', '该请求不带IC卡数据'], async function () {
  const req = await this.focus();
  expect(req.fields[55], `F55 of the ${req.kind}`).to.equal(undefined);
});

step(['its security control says PIN format {text}', '该请求的安全控制信息PIN格式为{text}'], async function (format: string) {
  const req = await this.focus();
  expect(req.fields[53]?.[0], `53.1 of F53 ${req.fields[53]}`).to.equal(format);
});

step(['its PIN block is encrypted with {text}', '该请求的PIN块以{text}加密'], async function (algorithm: string) {
  const req = await this.focus();
  expect(securityControl(req)?.encryption, `F53 ${req.fields[53]}`).to.equal(algorithm.toLowerCase());
});

step(['it names the payee {text} with account {text}', '该请求的收款方为{text}，账号{text}'], async function (name: string, account: string) {
  const req = await this.focus();
  const payee = payeeOf(req);
  expect(payee, `the ${req.kind} carries no payee (F62)`).to.not.equal(undefined);
  expect(payee!.name).to.equal(name);
  expect(payee!.account).to.equal(account);
});

step(['it identifies this terminal and its merchant', '该请求带有本终端和商户的标识'], async function () {
  const req = await this.focus();
  expect(req.fields[41], 'F41').to.equal(this.lab.terminalId);
  expect(req.fields[42], 'F42').to.equal(this.terminalConfig().terminal.merchantId);
});

// ------------------------------------------------------------------ references to the original

step(['it refers to the original transaction', '该请求指向原交易'], async function () {
  const req = await this.focus();
  const { request } = await originalOf(this, ['sale', 'bill-payment']);
  expect(req.fields[61]?.slice(0, 12), `F61 (original batch + trace) of the ${req.kind}`).to.equal(`${batchOf(request)}${request.stan}`);
});

// A refund names the original by its reference number and date (61.3); the batch and trace of an
// original from another terminal or day are unknown to the terminal (61.1 / 61.2 may be zeros).
step(['it refers to the original reference number', '该请求指向原参考号'], async function () {
  const req = await this.focus();
  const { reply } = await originalOf(this, ['sale']);
  expect(req.fields[37], `F37 of the ${req.kind}`).to.equal(reply.fields[37]);
  expect(req.fields[61]?.slice(12, 16), `61.3 (original date MMDD) of the ${req.kind}`).to.equal(reply.fields[13]);
});

// F37 of a void or refund is the original RRN, an12 (cup8583.md §2): a terminal may refuse an incomplete
// reference or send it to be declined, but never as something no acquirer could have issued.
step(['no request named an incomplete original reference', '没有请求带着不完整的原参考号'], async function () {
  expect(incompleteReferences(await this.messages()).join('; '), 'F37 of the requests the host received').to.equal('');
});

step(['it refers to the original authorization', '该请求指向原授权'], async function () {
  const req = await this.focus();
  const { request, reply } = this.namedPreauth ?? (await originalOf(this, ['preauth']));
  expect(req.fields[38], `F38 (original authorization code) of the ${req.kind}`).to.equal(reply.fields[38]);
  expect(req.fields[61]?.slice(0, 12), `F61 of the ${req.kind}`).to.equal(`${batchOf(request)}${request.stan}`);
});

step(['each {txn} request carries a new trace number', '每笔{txn}请求的流水号都不同'], async function (kind: TransactionKind) {
  const stans = (await this.requests(kind)).map((r) => r.stan);
  expect(new Set(stans).size, `trace numbers (F11) of the ${kind} requests: ${stans.join(', ')}`).to.equal(stans.length);
  // The trace number only moves forward (wrapping 999999 → 000001), across power cycles too.
  const { ok, traces } = tracesAdvance(await this.messages());
  expect(ok, `F11 must advance with every message (${traces.join(', ')})`).to.equal(true);
});

step(['its batch number is one more than the settled batch', '该请求的批次号比已结算批次大一'], async function () {
  const req = await this.focus();
  expect(this.settledBatch, 'no settlement ran in this scenario').to.be.a('string');
  expect(batchOf(req), `60.2 of the ${req.kind}`).to.equal(String(Number(this.settledBatch) + 1).padStart(6, '0'));
});

// ------------------------------------------------------------------ sign-on keys

step(["the host's reply carried working keys with check values", '主机应答带有工作密钥及校验值'], async function () {
  const req = await this.focus();
  const reply = await this.replyOf(req);
  const bytes = (reply.fields[62] ?? '').length / 2;
  const sizes = '24 (single DES), 40 (double) or 60 (double + TDK) with 4-byte check values';
  expect(bytes, `F62 of the 0810 (${bytes} bytes): ${sizes}`).to.be.oneOf([24, 40, 56, 60, 84]);
});

step(['the two sign-on replies carried different working keys', '两次签到应答的工作密钥不同'], async function () {
  const signOns = await this.requests('sign-on');
  expect(signOns.length).to.be.at.least(2);
  const keys = await Promise.all(signOns.slice(-2).map(async (r) => (await this.replyOf(r)).fields[62]));
  expect(keys[0], 'the second sign-on got the same working keys as the first').to.not.equal(keys[1]);
});

// ------------------------------------------------------------------ reversals

step(
  ['the host received a reversal of the first {txn} with reason {text}', '主机收到第一笔{txn}的冲正，原因码{text}'],
  async function (kind: TransactionKind, reason: string) {
    await expectReversal(this, 'first', kind, reason);
  },
);
step(
  ['the host received a reversal of the last {txn} with reason {text}', '主机收到最后一笔{txn}的冲正，原因码{text}'],
  async function (kind: TransactionKind, reason: string) {
    await expectReversal(this, 'last', kind, reason);
  },
);
step(
  ['the host received a reversal of the {txn} with reason {text}', '主机收到{txn}的冲正，原因码{text}'],
  async function (kind: TransactionKind, reason: string) {
    await expectReversal(this, 'last', kind, reason);
  },
);

step(['the host received exactly {int} reversal(s)', '主机恰好收到 {int} 笔冲正'], async function (n: number) {
  const revs = requestsOf(await this.messages(), 'reversal');
  expect(stansOf(revs), 'reversals (0400) received').to.have.length(n);
});

step(
  [
    'the reversal reached the host before the next {txn} request',
    'the reversal reached the host before the {txn} request',
    '冲正在下一笔{txn}请求之前到达主机',
    '冲正在{txn}请求之前到达主机',
  ],
  async function (kind: TransactionKind) {
    const rev = this.it();
    expect(rev.kind, 'the message in focus is not a reversal').to.equal('reversal');
    const next = nextAfterReversed(await this.messages(), rev, kind);
    expect(next, `no ${kind} request after the reversed transaction`).to.not.equal(undefined);
    expect(rev.id, `the reversal (journal #${rev.id}) arrived after the next ${kind} (#${next!.id})`).to.be.lessThan(next!.id);
  },
);

// Every other way the terminal reads a card: each such sale, its reply spoiled, is judged by transact
// (drivers/untrusted-reply.ts: not approved, the outcome that says why, reversed before the next request);
// here the host must have seen each spoiled and no card of them is charged in the end.
async function spoiledByEveryEntry(w: PoscertWorld, fault: 'corrupt-mac' | 'wrong-mti'): Promise<void> {
  const tried = await w.spoiledSaleByEveryEntry(fault, 'insert');
  const spoiled = spoiledReplies(await w.messages()).filter((s) => s.fault === fault);
  expect(spoiled.length, `replies the host spoiled (${fault}) for the sales by ${tried.map((t) => t.entry).join(', ')}`).to.be.greaterThan(
    tried.length,
  );
  for (const t of tried) expect(await w.balanceChange(t.card), `balance change of ${t.card} (${t.entry}), reversed (分)`).to.equal(0);
}
step(['a sale by each other entry method the terminal offers, its reply with a corrupted MAC, is not approved and is reversed'], async function () {
  await spoiledByEveryEntry(this, 'corrupt-mac');
});
step(
  ['a sale by each other entry method the terminal offers, its reply of the wrong message type, is not approved and is reversed'],
  async function () {
    await spoiledByEveryEntry(this, 'wrong-mti');
  },
);

// An acquirer the terminal cannot reach (drivers/host-unreachable.ts); the After hook puts the address back.
step(['the terminal is given a host address where nothing listens', '终端被配置到无人监听的主机地址'], async function () {
  const put = await pointAtUnreachableHost(this.driver);
  this.restoreConfig = { ...put.restore, ...this.restoreConfig };
  this.driver.note(`host address now ${put.address} (nothing listens)`);
});
step(['the terminal reports that it could not reach the host', '终端报告无法连接主机'], async function () {
  const screens = this.screens(this.lastActionAt).map((s) => s.lines);
  expect(commFailureProblem(this.lastTransactionOutcomes(), screens), 'the transaction with no host to reach').to.equal('');
});

// ------------------------------------------------------------------ faults the host commits

step(['the host will not answer the next {txn} request', '主机将不应答下一笔{txn}请求'], async function (kind: TransactionKind) {
  hostFault(this, kind, { action: 'no-response' });
});
step(['the host will close the connection on the next {txn} request', '主机将在下一笔{txn}请求时断开连接'], async function (kind: TransactionKind) {
  hostFault(this, kind, { action: 'close' });
});
step(
  ['the host will corrupt the MAC of its reply to the next {txn} request', '主机将破坏下一笔{txn}应答的MAC'],
  async function (kind: TransactionKind) {
    hostFault(this, kind, { action: 'corrupt-mac' });
  },
);
step(
  ['the host will answer the next {txn} request with the wrong message type', '主机将以错误的消息类型应答下一笔{txn}请求'],
  async function (kind: TransactionKind) {
    hostFault(this, kind, { action: 'wrong-mti' });
  },
);
step(['the host will answer the next {txn} request with response code {text}'], async function (kind: TransactionKind, code: string) {
  hostFault(this, kind, { action: 'force-response-code', responseCode: code });
});
step(['主机将以应答码{text}拒绝下一笔{txn}请求'], async function (code: string, kind: TransactionKind) {
  hostFault(this, kind, { action: 'force-response-code', responseCode: code });
});
// Booked as the host decides; an approval carries one of §7's other approval codes (11, A2, A4–A6) instead of 00.
step(['the host will approve the next {txn} request with response code {text}'], async function (kind: TransactionKind, code: string) {
  hostFault(this, kind, { action: 'approve-with-response-code', responseCode: code });
});
step(['主机将以应答码{text}批准下一笔{txn}请求'], async function (code: string, kind: TransactionKind) {
  hostFault(this, kind, { action: 'approve-with-response-code', responseCode: code });
});
// Every one for the rest of the scenario: a terminal that retries a refused reversal meets the same refusal.
step(['the host will refuse every {txn} request with response code {text}'], async function (kind: TransactionKind, code: string) {
  hostFault(this, kind, { action: 'force-response-code', responseCode: code, count: 1000 });
});
step(['主机将以应答码{text}拒绝每一笔{txn}请求'], async function (code: string, kind: TransactionKind) {
  hostFault(this, kind, { action: 'force-response-code', responseCode: code, count: 1000 });
});
step(['the host will report the next settlement as unbalanced', '主机将把下一次结算应答为对账不平'], async function () {
  hostFault(this, 'settlement', { action: 'settlement-unbalanced' });
});
step(['the host will send wrong key check values in its next sign-on reply', '主机将在下一次签到应答中发送错误的密钥校验值'], async function () {
  hostFault(this, 'sign-on', { action: 'corrupt-kcv' });
});

step(['the card {card} has all its PIN tries left', '卡 {card} 的密码尝试次数已重置'], async function (alias: string) {
  expectAllPinTriesLeft(this, alias);
});
