// IC records of the batch upload (cup8583.md §3.10): TC and failed-IC records judged against the
// terminal's own chip transactions (drivers/ic-records.ts), the card declining at its second
// GENERATE AC, and a power cut in the middle of the upload. Thin: parse, act or judge, assert.
import { expect } from 'chai';
import { step } from './support/define';
import { batchOf, faultMatchFor, type HostMessage } from '../drivers';
import { judgeFailedIcRecords, judgeResumedUpload, judgeTcRecords, settlementBalanced } from '../drivers/ic-records';
import type { TransactionKind } from '../protocol/iso8583';
import type { PoscertWorld } from './support/world';

/** Per scenario: the last journal id before the power was cut during the batch upload. */
const cutDuringUpload = new WeakMap<PoscertWorld, number>();

async function settledBatch(w: PoscertWorld): Promise<{ msgs: HostMessage[]; batch: string; balanced: boolean }> {
  const msgs = await w.messages();
  const batch = w.settledBatch;
  expect(batch, 'no settlement (0500) in this scenario').to.be.a('string');
  const balanced = settlementBalanced(msgs, batch!);
  expect(balanced, `the host did not answer the settlement of batch ${batch}`).to.not.equal(undefined);
  return { msgs, batch: batch!, balanced: balanced! };
}

step(
  ['the host will corrupt the issuer authentication data of its reply to the next {txn} request', '主机将破坏下一笔{txn}应答的发卡行认证数据'],
  async function (kind: TransactionKind) {
    this.host.injectFault({ match: { ...faultMatchFor(kind), terminalId: this.lab.terminalId }, action: 'corrupt-arpc', count: 1 });
  },
);

step(['the host will answer the first batch upload message and not the second', '主机将应答第一笔批上送报文而不应答第二笔'], async function () {
  const match = { ...faultMatchFor('batch-upload'), terminalId: this.lab.terminalId };
  this.host.injectFault({ match, action: 'delay', delayMs: 0, count: 1 });
  this.host.injectFault({ match, action: 'no-response', count: 1 });
});

step(
  ['the power is cut during the settlement once the host has received {int} batch upload message(s)', '结算时主机收到 {int} 笔批上送报文后终端断电'],
  async function (n: number) {
    this.action();
    await this.driver.toIdle();
    const running = this.driver.runTransaction('settlement', {}).catch(() => undefined);
    const deadline = Date.now() + this.lab.settings.screenTimeoutMs;
    let msgs = await this.messages();
    while (msgs.filter((m) => m.direction === 'in' && m.kind === 'batch-upload').length < n) {
      expect(
        Date.now() < deadline,
        `the host received fewer than ${n} batch upload message(s) within ${this.lab.settings.screenTimeoutMs} ms`,
      ).to.equal(true);
      await new Promise((r) => setTimeout(r, 10));
      msgs = await this.messages();
    }
    cutDuringUpload.set(this, msgs[msgs.length - 1].id);
    const settlement = msgs.filter((m) => m.direction === 'in' && m.kind === 'settlement').pop();
    if (settlement) this.settledBatch = batchOf(settlement);
    await this.driver.powerCut();
    await Promise.race([running, new Promise((r) => setTimeout(r, 2000))]);
  },
);

step(
  [
    'the chip sales of the settled batch reached the host as TC records matched to their originals',
    '已结算批次的IC卡消费以TC记录上送且主机匹配到原交易',
  ],
  async function () {
    const { msgs, batch, balanced } = await settledBatch(this);
    const problems = judgeTcRecords(msgs, batch, balanced, this.profile);
    if (problems.length)
      expect.fail(`TC records of batch ${batch} (${balanced ? 'balanced' : 'unbalanced'}, cup8583.md §3.10): ${problems.join('; ')}`);
  },
);

step(
  ['the sale the card declined reached the host as a failed-IC record matched to its original', '卡片拒绝的消费以失败IC记录上送且主机匹配到原交易'],
  async function () {
    const { msgs, batch, balanced } = await settledBatch(this);
    const problems = judgeFailedIcRecords(msgs, batch, balanced, this.profile);
    if (problems.length)
      expect.fail(`failed-IC records of batch ${batch} (${balanced ? 'balanced' : 'unbalanced'}, cup8583.md §3.10): ${problems.join('; ')}`);
  },
);

step(
  ['after the restart the terminal resumed the upload without resending acknowledged records', '重启后终端续传批上送且未重发已确认的记录'],
  async function () {
    const cut = cutDuringUpload.get(this);
    expect(cut, 'the power was not cut during a batch upload in this scenario').to.be.a('number');
    const { msgs, batch } = await settledBatch(this);
    const problems = judgeResumedUpload(msgs, batch, cut!);
    if (problems.length) expect.fail(`batch upload of batch ${batch} resumed after the power cut: ${problems.join('; ')}`);
  },
);
