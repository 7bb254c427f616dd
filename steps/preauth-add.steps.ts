// 追加预授权 (additional pre-authorization, cup8583.md §3.1 F25 = 60, §6 ADD-AUTH): a case for terminals that
// declare it in their profile (additionalPreAuth); on any other terminal its first step skips it as not applicable.
import { expect } from 'chai';
import { skipWith } from './support/skip';
import { step } from './support/define';
import type { EntryMode } from './support/parse';
import { formatFen } from './support/parse';

step(['the terminal offers additional pre-authorization', '终端声明支持追加预授权'], function () {
  if (this.profile.additionalPreAuth) return;
  const reason = 'not applicable: the terminal does not declare additionalPreAuth in its profile (it offers no 追加预授权, F25 = 60)';
  return skipWith(this, reason) as unknown as void;
});

step(
  ['the operator adds {amount} to the pre-authorization with card {card} by {entry}'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.addToPreauth(fen, alias, entry);
  },
);
step(['操作员用卡 {card} {entry}追加预授权 {amount}'], async function (alias: string, entry: EntryMode, fen: number) {
  await this.addToPreauth(fen, alias, entry);
});

// Its F61 is 16 zeros (cup8583.md §2.5): the original is named by its authorization code, F38.
step(['it names the original authorization code', '该请求带有原预授权的授权码'], async function () {
  const req = await this.focus();
  const { reply } = await this.lastApproved(['preauth']);
  expect(req.fields[38], `F38 (original authorization code) of the ${req.kind} (STAN ${req.stan})`).to.equal(reply.fields[38]);
});

step(['the card {card} has {amount} more on hold', '卡 {card} 的预授权冻结金额增加 {amount}'], async function (alias: string, fen: number) {
  await this.driver.toIdle().catch(() => undefined); // a reversal sent on the way back counts
  expect(formatFen(this.holdChange(alias)), `pre-authorization holds of ${alias} added in this scenario (元)`).to.equal(formatFen(fen));
});

// 预授权撤销 (cup8583.md §3.7: 0100 200000, F38 = the original authorization code, F61; §6 原预授权码 on the voucher).
step(['the operator voids the pre-authorization with card {card} by {entry}'], async function (alias: string, entry: EntryMode) {
  await this.voidPreauth(alias, entry);
});
step(['操作员用卡 {card} {entry}撤销预授权'], async function (alias: string, entry: EntryMode) {
  await this.voidPreauth(alias, entry);
});
