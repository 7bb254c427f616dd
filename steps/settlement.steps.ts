// Settlement (结算): what the terminal reported in 0500 field 48, what the acquirer answered, the
// batch upload that follows a mismatch, and the batch afterwards.
import { expect } from 'chai';
import { step } from './support/define';
import {
  lastSettlement,
  refusedSettlementRepeated,
  settle,
  settlementCountsVsHost,
  settlementResults,
  setTrafficAside,
  uploadEndCount,
} from './support/host-journal';
import { approvedOfBatch } from '../drivers';
import { judgeBatchLists } from '../drivers/batch-lists';
import { settlementBalanced } from '../drivers/ic-records';
import { formatFen } from './support/parse';
import { skipWith } from './support/skip';

// 外卡: a terminal whose profile says it refuses foreign cards (a merchant not enabled for them) skips the case.
step(['the terminal accepts foreign cards', '终端声明受理外卡'], function () {
  if (this.profile.foreignCards !== 'refused') return;
  const reason =
    "not applicable: the terminal's profile declares foreignCards: refused (a merchant not enabled for 外卡; cup8583.md leaves it to the acquirer)";
  return skipWith(this, reason) as unknown as void;
});

step(['the operator settles the batch', '操作员结算'], async function () {
  await settle(this);
});

step(["the terminal's batch has been settled", '终端批次已结算'], async function () {
  await settle(this);
  // This settlement closes whatever earlier cases left in the batch; a clean terminal settles it
  // balanced like any other (cup8583.md §3.9), so it is judged before its traffic is set aside.
  const { terminal, host } = await settlementCountsVsHost(this);
  expect(terminal, 'domestic (内卡) and foreign (外卡) totals of the terminal (0500 F48) vs the host ledger of the batch').to.deep.equal(host);
  expect(await settlementResults(this), 'preparatory settlement: 0510 F48 results per side (1 = 对账平)').to.deep.equal({
    domestic: '1',
    foreign: '1',
  });
  // The cases that follow judge their own batch: forget the traffic of this preparation.
  await setTrafficAside(this);
});

step(["the settlement totals the terminal sent equal the host's totals", '终端上送的结算总额与主机一致'], async function () {
  const { terminal, host } = await settlementCountsVsHost(this);
  // Both sides (cup8583.md §3.9): a card the acquirer answered with a 63.1 other than CUP counts on the 外卡 side.
  expect(terminal, 'domestic (内卡) and foreign (外卡) totals of the terminal (0500 F48) vs the host ledger of the batch').to.deep.equal(host);
});

step(
  ['the settlement totals show {int} debit(s) totalling {amount}', '结算总额为借记 {int} 笔共 {amount}'],
  async function (count: number, fen: number) {
    const { domestic } = (await lastSettlement(this)).totals;
    expect({ count: domestic.debitCount, amount: formatFen(domestic.debitAmount) }, 'domestic debits in 0500 F48').to.deep.equal({
      count,
      amount: formatFen(fen),
    });
  },
);

step(['the host answered the settlement as balanced', '主机应答对账平'], async function () {
  // Balanced is both sides (§3.9: the 内卡 and 外卡 results), as the host compares each with its books.
  expect(await settlementResults(this), '0510 F48 results per side (1 = 对账平)').to.deep.equal({ domestic: '1', foreign: '1' });
});

step(['the host answered the settlement as unbalanced', '主机应答对账不平'], async function () {
  // Unbalanced on a side (§3.9): the side whose totals differ, 内卡 or 外卡; the batch upload follows either way (§3.10).
  const results = await settlementResults(this);
  expect([results.domestic, results.foreign], '0510 F48 results, domestic and foreign (2 = 对账不平 on one side)').to.include('2');
});

step(['the acquirer closed the settled batch with every uploaded record', '收单机构收齐上送记录并关闭了已结算批次'], async function () {
  const { batch } = await lastSettlement(this);
  const view = this.host.settlementTotals(this.lab.terminalId, batch!);
  expect(view.state, `host state of batch ${batch}`).to.equal('closed');
  const declared = await uploadEndCount(this);
  expect(view.uploadedRecords, `records the host received vs the count in the batch upload end (F48 ${declared})`).to.equal(declared);
});

step(['the terminal uploaded every transaction of its batch', '终端批上送了本批次的全部交易'], async function () {
  const msgs = await this.messages();
  const { batch } = await lastSettlement(this);
  // Approved financial transactions of the settled batch, as the host journal shows them.
  const approved = approvedOfBatch(msgs, batch, ['sale', 'bill-payment', 'void', 'refund', 'preauth-completion']);
  const declared = await uploadEndCount(this);
  expect(declared, `count in the batch upload end (F48) vs the ${approved.length} approved transaction(s) of batch ${batch}`).to.equal(
    approved.length,
  );
});

// A refused 0510 (F39 not 00) settles nothing (cup8583.md §3.9, §7): the terminal keeps the batch and
// settles it again, same batch number, same totals.
step(['the terminal settled the refused batch again with the same totals', '终端以相同总额重新结算了被拒绝的批次'], async function () {
  const { refused, again } = await refusedSettlementRepeated(this);
  expect(again, `the settlement after the one the acquirer refused with ${refused.code}`).to.deep.equal(refused.sent);
});

step(
  ['every record the terminal listed in its batch upload matches a transaction of the batch', '终端批上送清单的每条记录与本批次交易一致'],
  async function () {
    const [msgs, { batch }] = [await this.messages(), await lastSettlement(this)];
    const problems = judgeBatchLists(msgs, batch!, settlementBalanced(msgs, batch!) === true);
    if (problems.length) expect.fail(`magstripe lists (0320 60.3 201) of batch ${batch}, cup8583.md §3.10: ${problems.join('; ')}`);
  },
);
