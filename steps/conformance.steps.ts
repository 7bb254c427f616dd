// Steps that accept every conformant variant: they read the terminal's declared profile and ask
// drivers/conformance for the judgement (copies, §7 wording or a declared synonym, expired swipe
// refused locally or sent for 54, uploads after a balanced settlement). Thin: parse, judge, assert.
import { expect } from 'chai';
import { step } from './support/define';
import { copies, expectFaithfulIcBlock } from './support/printed';
import {
  expectedCopies,
  judgeBalancedUpload,
  judgeCopyMarks,
  judgeExpiredSwipe,
  observeExpiredSwipe,
  screenShowsOutcome,
  wordingsFor,
} from '../drivers/conformance';
import { copyNames, settledBatchOf, uploadNetworkCodes, type ScreenSnapshot } from '../drivers';

step(['the declared voucher copies are printed', '打印了终端声明联数的签购单'], async function () {
  const want = expectedCopies(this.profile);
  const list = await copies(this, want.length);
  expect(copyNames(list), `voucher copies printed (the profile declares ${want.length}: ${want.join(', ')})`).to.deep.equal(want);
  await expectFaithfulIcBlock(this, list); // the IC block (§6 备注) of every copy, wherever copies are counted
});

step(['every copy is labelled and signed as the profile declares', '每联的存根名称和签名栏符合终端声明'], async function () {
  const list = await copies(this, expectedCopies(this.profile).length);
  const problems = judgeCopyMarks(list, this.profile);
  if (problems.length) expect.fail(this.redact(problems.join('\n\n')));
});

step(['the screen shows the message for response code {string}', '屏幕显示应答码{string}对应的提示'], async function (code: string) {
  const shows = (s: ScreenSnapshot) => screenShowsOutcome(s.lines, code, this.profile).found !== undefined;
  // The result screen may still be coming: wait for the end of the transaction, then judge.
  if (!this.screens(this.lastActionAt).some(shows)) await this.afterTransaction();
  const seen = this.screens(this.lastActionAt);
  const meaning = `what ${code} means (§7: ${wordingsFor(code, this.profile).join(' / ')})`;
  expect(seen.some(shows), `no screen showed ${meaning}; screens:\n  ${this.describeScreens(seen).join('\n  ')}`).to.equal(true);
});

step(['the expired card is refused as the terminal declares', '过期卡按终端声明的方式被拒绝'], async function () {
  await this.afterTransaction();
  const problem = judgeExpiredSwipe(observeExpiredSwipe(await this.messages(), this.screens(this.lastActionAt), this.profile), this.profile);
  if (problem) expect.fail(`expired swiped card (profile: magstripeExpiry ${this.profile.magstripeExpiry}): ${problem}`);
});

step(['any batch upload after the balanced settlement is one the profile allows', '对账平后的批上送符合终端声明'], async function () {
  const problems = judgeBalancedUpload(uploadNetworkCodes(await this.messages()), this.profile);
  if (problems.length) expect.fail(`batch upload after a balanced settlement (cup8583.md §3.10): ${problems.join('; ')}`);
});

// The reference prescribes no wording for the settlement result: judge the outcome. The terminal has
// ended the settlement (a result or idle screen, no error state) and the acquirer closed the batch
// the terminal settled (after the upload end, when there was one).
step(['the terminal completed the settlement', '终端完成了结算'], async function () {
  const end = await this.transactionEnd();
  const batch = settledBatchOf(await this.messages());
  expect(batch, 'the host received no settlement request (0500)').to.be.a('string');
  const ended = `terminal ended on: ${this.describeScreens([end]).join('')}`;
  expect(this.host.settlementTotals(this.lab.terminalId, batch!).state, `host state of the settled batch ${batch} (${ended})`).to.equal('closed');
});
