// 小额免密免签 (QuickPass no-PIN / no-signature): amounts taken from the limits in force (the host's
// downloaded contactless parameters, else the terminal's declared limits),
// the PIN prompt that must not come, 9F34 and the voucher, judged by drivers/quickpass. On an
// operator terminal the person keys the amount and is asked what the terminal and voucher did.
import { expect } from 'chai';
import { tell } from '../drivers/operator-script';
import { byHand, observedByHarness } from './support/by-hand';
import { step } from './support/define';
import { formatFen } from './support/parse';
import { copies } from './support/printed';
import { expectedCopies } from '../drivers/conformance';
import { judgeCvmResults, judgeNoQuickPassMark, judgeSignatureFreeVoucher, quickPassAmounts, quickPassLimitsInForce } from '../drivers/quickpass';
import type { PoscertWorld } from './support/world';

/** The limits the terminal applies: the host's contactless parameters (downloaded at sign-on) over the profile's shipped ones. */
const limitsInForce = (w: PoscertWorld) => quickPassLimitsInForce(w.profile, w.host.contactlessParameters());

step(["the operator enters an amount at the terminal's QuickPass limits", '操作员输入终端声明的免密免签限额金额'], async function () {
  this.action();
  await this.waitForState(['input']);
  this.lastAmountFen = quickPassAmounts(limitsInForce(this)).atLimitFen;
  await this.driver.enterAmount(this.lastAmountFen);
});

step(["the operator enters an amount just over the terminal's QuickPass limits", '操作员输入刚超过终端免密免签限额的金额'], async function () {
  this.action();
  await this.waitForState(['input']);
  this.lastAmountFen = quickPassAmounts(limitsInForce(this)).overLimitFen;
  await this.driver.enterAmount(this.lastAmountFen);
});

step(['the terminal goes on without asking for a PIN', '终端不提示输入密码直接继续'], async function () {
  const s = await this.waitForState(['pin-entry', 'online', 'result', 'printing', 'idle', 'error']);
  const asked = s.state === 'pin-entry' ? [s] : this.screens(this.lastActionAt).filter((x) => x.state === 'pin-entry');
  if (asked.length)
    expect.fail(
      `the terminal asked for a PIN at ${this.lastAmountFen} fen, within the no-PIN limit in force (${limitsInForce(this).noPinLimitFen} fen):\n  ${this.describeScreens(asked).join('\n  ')}`,
    );
});

step(['its amount is the amount entered', '该请求金额为输入的金额'], async function () {
  const req = await this.focus();
  expect(Number(req.fields[4]), 'F4 (amount, fen)').to.equal(this.lastAmountFen);
});

step(['its CVM results \\(9F34) say no PIN and no signature', '该请求的9F34表明无需持卡人验证'], async function () {
  const problem = judgeCvmResults(await this.focus(), 'no-cvm');
  if (problem) expect.fail(problem);
});

step(['its CVM results \\(9F34) say online PIN', '该请求的9F34表明联机密码验证'], async function () {
  const problem = judgeCvmResults(await this.focus(), 'online-pin');
  if (problem) expect.fail(problem);
});

step(['the voucher asks for no signature and is marked 免密免签', '签购单无签名栏并标明免密免签'], async function () {
  const problems = judgeSignatureFreeVoucher(await copies(this, expectedCopies(this.profile).length));
  if (problems.length) expect.fail(this.redact(problems.join('\n\n')));
});

step(['no copy is marked 免密 or 免签', '签购单各联均未标明免密或免签'], async function () {
  const problems = judgeNoQuickPassMark(await copies(this, expectedCopies(this.profile).length));
  if (problems.length) expect.fail(this.redact(problems.join('\n\n')));
});

// ------------------------------------------------------------------ by hand (operator terminals)

observedByHarness(
  'its amount is the amount entered',
  'its CVM results \\(9F34) say no PIN and no signature',
  'its CVM results \\(9F34) say online PIN',
);

for (const [phrase, which] of [
  ["the operator enters an amount at the terminal's QuickPass limits", 'atLimitFen'],
  ["the operator enters an amount just over the terminal's QuickPass limits", 'overLimitFen'],
] as const) {
  byHand(phrase, async function () {
    this.action();
    this.lastAmountFen = quickPassAmounts(limitsInForce(this))[which];
    await this.lab.person!.instruct(tell.amount(formatFen(this.lastAmountFen)));
  });
}

byHand('the terminal goes on without asking for a PIN', async function () {
  const question = 'Did the terminal go on (online, 交易成功) without asking for a PIN (请输入密码)?';
  expect(
    await this.lab.person!.confirm(question),
    `the terminal asked for a PIN under the no-PIN limit (the person at the terminal answered no to: ${question})`,
  ).to.equal(true);
});

byHand('the voucher asks for no signature and is marked 免密免签', async function () {
  const question =
    "Is the merchant copy free of any line for the cardholder's signature (持卡人签名) and marked 免密 / 免签 (NO PIN / NO SIGNATURE)?";
  expect(
    await this.lab.person!.confirm(question),
    `the voucher asks for a signature or is not marked 免密免签 (the person at the terminal answered no to: ${question})`,
  ).to.equal(true);
});

byHand('no copy is marked 免密 or 免签', async function () {
  const question = 'Is every copy of this voucher free of a 免密 / 免签 (NO PIN / NO SIGNATURE) mark?';
  expect(
    await this.lab.person!.confirm(question),
    `a copy is marked 免密 / 免签 although the PIN was entered and a signature is due (the person at the terminal answered no to: ${question})`,
  ).to.equal(true);
});
