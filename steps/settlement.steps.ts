// Settlement (结算): what the terminal reported in 0500 field 48, what the acquirer answered, the
// batch upload that follows a mismatch, and the batch afterwards.
import { expect } from 'chai';
import { step } from './support/define';
import { approvedOfBatch, batchOf, settlementTotalsOf } from '../drivers';
import { formatFen } from './support/parse';
import type { PoscertWorld } from './support/world';

async function settle(w: PoscertWorld): Promise<void> {
  w.action();
  await w.driver.toIdle();
  w.newVoucherWindow();
  await w.driver.runTransaction('settlement', {});
  await w.driver.toIdle().catch(() => undefined);
  const settlements = await w.requests('settlement');
  if (settlements.length) w.settledBatch = batchOf(settlements[settlements.length - 1]);
}

step(['the operator settles the batch', '操作员结算'], async function () {
  await settle(this);
});

step(["the terminal's batch has been settled", '终端批次已结算'], async function () {
  await settle(this);
  // This settlement closes whatever earlier cases left in the batch; a clean terminal settles it
  // balanced like any other (cup8583.md §3.9), so it is judged before its traffic is set aside.
  await expectTotalsEqualHost(this);
  expect(await settlementResult(this), 'preparatory settlement: 0510 F48 domestic result (1 = 对账平)').to.equal('1');
  // The cases that follow judge their own batch: forget the traffic of this preparation.
  const msgs = await this.messages();
  if (msgs.length) this.journalCursor = msgs[msgs.length - 1].id;
  this.newVoucherWindow();
});

async function lastSettlement(w: PoscertWorld) {
  const req = await w.lastRequest('settlement');
  const totals = settlementTotalsOf(req);
  expect(totals, 'the 0500 carries no totals (F48)').to.not.equal(undefined);
  return { req, totals: totals! };
}

async function expectTotalsEqualHost(w: PoscertWorld): Promise<void> {
  const { req, totals } = await lastSettlement(w);
  const batch = batchOf(req);
  expect(batch, '0500 F60 carries no batch number (60.2)').to.be.a('string');
  const domestic = w.host.settlementTotals(w.lab.terminalId, batch!).domestic;
  const t = totals.domestic;
  expect({ debitCount: t.debitCount, debitAmount: t.debitAmount, creditCount: t.creditCount, creditAmount: t.creditAmount },
    'domestic totals of the terminal (0500 F48) vs the host ledger of the batch').to.deep.equal({
    debitCount: domestic.debitCount, debitAmount: domestic.debitAmount, creditCount: domestic.creditCount, creditAmount: domestic.creditAmount,
  });
}

step(["the settlement totals the terminal sent equal the host's totals", '终端上送的结算总额与主机一致'], async function () {
  await expectTotalsEqualHost(this);
});

step(['the settlement totals show {int} debit(s) totalling {amount}', '结算总额为借记 {int} 笔共 {amount}'], async function (count: number, fen: number) {
  const { totals } = await lastSettlement(this);
  expect({ count: totals.domestic.debitCount, amount: formatFen(totals.domestic.debitAmount) }, 'domestic debits in 0500 F48')
    .to.deep.equal({ count, amount: formatFen(fen) });
});

async function settlementResult(w: PoscertWorld): Promise<string> {
  const { req } = await lastSettlement(w);
  const reply = await w.replyTo(req);
  expect(reply, 'the host did not answer the settlement').to.not.equal(undefined);
  const totals = settlementTotalsOf(reply!);
  expect(totals, 'the 0510 carries no F48').to.not.equal(undefined);
  return totals!.domestic.result;
}

step(['the host answered the settlement as balanced', '主机应答对账平'], async function () {
  expect(await settlementResult(this), '0510 F48 domestic result (1 = 对账平)').to.equal('1');
});

step(['the host answered the settlement as unbalanced', '主机应答对账不平'], async function () {
  expect(await settlementResult(this), '0510 F48 domestic result (2 = 对账不平)').to.equal('2');
});

step(['the acquirer closed the settled batch with every uploaded record', '收单机构收齐上送记录并关闭了已结算批次'], async function () {
  const { req } = await lastSettlement(this);
  const batch = batchOf(req)!;
  const view = this.host.settlementTotals(this.lab.terminalId, batch);
  expect(view.state, `host state of batch ${batch}`).to.equal('closed');
  const end = (await this.messages()).filter((m) => m.direction === 'in' && m.kind === 'batch-upload-end').pop();
  expect(end, 'no batch upload end').to.not.equal(undefined);
  expect(view.uploadedRecords, `records the host received vs the count in the batch upload end (F48 ${end!.fields[48]})`).to.equal(Number(end!.fields[48]));
});

step(['the terminal uploaded every transaction of its batch', '终端批上送了本批次的全部交易'], async function () {
  const msgs = await this.messages();
  const { req } = await lastSettlement(this);
  const batch = batchOf(req);
  // Approved financial transactions of the settled batch, as the host journal shows them.
  const approved = approvedOfBatch(msgs, batch, ['sale', 'bill-payment', 'void', 'refund', 'preauth-completion']);
  const end = msgs.filter((m) => m.direction === 'in' && m.kind === 'batch-upload-end').pop();
  expect(end, 'no batch upload end (0320 with 60.3 = 202 / 207)').to.not.equal(undefined);
  expect(Number(end!.fields[48]), `count in the batch upload end (F48) vs the ${approved.length} approved transaction(s) of batch ${batch}`).to.equal(approved.length);
});
