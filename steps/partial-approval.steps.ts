// 部分承兑 (partial approval, cup8583.md §2.4 60.6, §7 10): a case for terminals that declare it in their
// profile (partialApproval); on any other terminal its first step skips it as not applicable.
import { expect } from 'chai';
import { skipWith } from './support/skip';
import { asksPartialApproval, partialApprovalWordings, screenShowsPartialApproval } from '../drivers/partial-approval';
import { showsAmount } from '../drivers';
import { step } from './support/define';
import { formatFen } from './support/parse';
import { expectEveryCopy } from './support/printed';

step(['the terminal declares partial approval', '终端声明支持部分承兑'], function () {
  if (this.profile.partialApproval) return;
  const reason = 'not applicable: the terminal does not declare partialApproval in its profile (it never asks for a partial approval, 60.6 = 1)';
  return skipWith(this, reason) as unknown as void;
});

step(['it asks for partial approval', '该请求表明终端支持部分承兑'], async function () {
  const req = await this.focus();
  expect(asksPartialApproval(req), `60.6 of the ${req.kind} (STAN ${req.stan}): F60 ${req.fields[60] ?? 'absent'}`).to.equal(true);
});

step(['the host approved it in part, for {amount}', '主机部分承兑该请求，批准金额 {amount}'], async function (fen: number) {
  const req = await this.focus();
  const reply = await this.replyOf(req);
  expect(reply.responseCode, `F39 of the reply to the ${req.kind} (STAN ${req.stan})`).to.equal('10');
  expect(Number(reply.fields[4]), `F4 of the reply (the amount approved, fen)`).to.equal(fen);
});

step(['the screen shows the amount {amount} as partially approved', '屏幕显示部分承兑金额 {amount}'], async function (fen: number) {
  const shows = (s: { lines: readonly string[] }) => screenShowsPartialApproval(s.lines, formatFen(fen), this.profile);
  if (!this.screens(this.lastActionAt).some(shows)) await this.afterTransaction();
  const seen = this.screens(this.lastActionAt);
  const meaning = `the amount ${formatFen(fen)} with ${partialApprovalWordings(this.profile).join(' / ')}`;
  expect(seen.some(shows), `no screen showed ${meaning}; screens:\n  ${this.describeScreens(seen).join('\n  ')}`).to.equal(true);
});

step(['no copy shows the amount {amount}', '任何一联都不显示金额 {amount}'], async function (fen: number) {
  await expectEveryCopy(this, (c) => !showsAmount(c, fen), `shows the amount ${formatFen(fen)}`);
});
