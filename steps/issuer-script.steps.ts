// Issuer scripts (cup8583.md §3.1, §3.8, §3.11): the host's chip reply carried a 71 / 72 script (the
// card book's emv.issuerScript); the terminal must report the card's result (DF31) in a 0620 the host
// links to the transaction, or in the reversal's F55. Judged by drivers/issuer-scripts.ts.
import { expect } from 'chai';
import { step } from './support/define';
import { judgeReversalScriptResult, judgeScriptResultNotice, lastReversedOf, noticesFor } from '../drivers/issuer-scripts';
import type { HostMessage } from '../drivers';
import type { TransactionKind } from '../protocol/iso8583';
import type { PoscertWorld } from './support/world';

/** The last request of the kind and the journal; the notice may follow the result screen, so it is awaited. */
async function lastOf(w: PoscertWorld, kind: TransactionKind): Promise<{ msgs: HostMessage[]; original: HostMessage }> {
  const deadline = Date.now() + w.lab.settings.screenTimeoutMs;
  for (;;) {
    const msgs = await w.messages();
    const original = msgs.filter((m) => m.direction === 'in' && m.kind === kind).pop();
    expect(original, `no ${kind} request reached the host in this scenario`).to.not.equal(undefined);
    if (noticesFor(msgs, original!).length || Date.now() > deadline) return { msgs, original: original! };
    await new Promise((r) => setTimeout(r, 50));
  }
}

step(
  ['the terminal reported the issuer script result of the {txn} to the host', '终端向主机上送了{txn}的发卡行脚本结果'],
  async function (kind: TransactionKind) {
    const { msgs, original } = await lastOf(this, kind);
    const problems = judgeScriptResultNotice(msgs, original);
    if (problems.length) expect.fail(`script-result notice (0620, cup8583.md §3.1, §3.11): ${problems.join('; ')}`);
  },
);

step(['the reversal of the {txn} reported the issuer script result', '{txn}的冲正上送了发卡行脚本结果'], async function (kind: TransactionKind) {
  const msgs = await this.messages();
  const original = lastReversedOf(msgs, kind);
  expect(original, `no ${kind} request reached the host in this scenario`).to.not.equal(undefined);
  const problems = judgeReversalScriptResult(msgs, original!);
  if (problems.length) expect.fail(`reversal F55 DF31 (cup8583.md §3.8): ${problems.join('; ')}`);
});
