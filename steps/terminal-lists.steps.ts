// Card blacklist (390) and contactless QuickPass parameters (394), issue 13 item 1: the host announces
// a blacklist or changes the QuickPass limits (host-side, so the cases run on a real terminal too);
// the downloads and the refusal of a blacklisted card are judged by drivers/terminal-lists. A
// scenario that changed the limits puts the configured ones back and signs the terminal on again,
// so that the next scenario finds it holding the configured parameters.
import { After } from '@cucumber/cucumber';
import { expect } from 'chai';
import { judgeBlacklistedCardRefused, judgeListDownload, judgeListLoadedBetween } from '../drivers/terminal-lists';
import type { TransactionKind } from '../protocol/iso8583';
import { step } from './support/define';
import type { PoscertWorld } from './support/world';

/** Scenarios in which the host's QuickPass limits were changed. */
const changedLimits = new WeakSet<PoscertWorld>();

step(['the host has a new card blacklist for the terminal', '主机为终端更新了卡黑名单'], function () {
  expect(this.lab.config.terminalLists.blacklist.length, 'cards on the blacklist (scenarios/terminal-lists.yaml)').to.be.greaterThan(0);
  this.host.requestIcDownload(this.lab.terminalId, ['blacklist']);
});

step(['the host lowers the QuickPass limits to {amount}', '主机将免密免签限额调低为 {amount} 元'], function (fen: number) {
  const now = this.host.contactlessParameters();
  expect(now && fen < Math.min(now.noPinLimitFen, now.noSignatureLimitFen), `${fen} fen is below the configured QuickPass limits`).to.equal(true);
  changedLimits.add(this);
  this.host.setContactlessParameters({ noPinEnabled: true, noPinLimitFen: fen, noSignatureEnabled: true, noSignatureLimitFen: fen });
});

step(['the terminal downloaded the card blacklist', '终端下载了卡黑名单'], async function () {
  const problems = judgeListDownload(await this.messages(), 'blacklist');
  expect(problems, `the card blacklist download (60.3 390 / 391): ${problems.join('; ')}`).to.deep.equal([]);
});

step(['the terminal downloaded the contactless parameters', '终端下载了非接参数'], async function () {
  const problems = judgeListDownload(await this.messages(), 'contactless');
  expect(problems, `the contactless parameter download (60.3 394 / 395): ${problems.join('; ')}`).to.deep.equal([]);
});

// A reply that asks for the blacklist (digit 6 = 7) makes the terminal load it before its next transaction.
step(
  ['the terminal downloaded the card blacklist before its next {txn} request', '终端在下一笔{txn}请求之前下载了卡黑名单'],
  async function (kind: TransactionKind) {
    const problems = [...judgeListDownload(await this.messages(), 'blacklist'), ...judgeListLoadedBetween(await this.messages(), 'blacklist', kind)];
    expect(problems, `the card blacklist a reply asked for (header digit 6 = 7): ${problems.join('; ')}`).to.deep.equal([]);
  },
);

step(
  ['the terminal refused card {card} as blacklisted without going online', '终端以黑名单卡拒绝了卡 {card} 且未联机'],
  async function (alias: string) {
    const pan = this.lab.config.cards.find((c) => c.alias === alias)!.pan;
    const o = { messages: await this.messages(), startedAt: this.lastActionAt, screens: this.screens(this.lastActionAt).map((s) => s.lines), pan };
    const problems = judgeBlacklistedCardRefused(o);
    expect(problems, `${problems.join('; ')}; screens: ${this.describeScreens(this.screens(this.lastActionAt))}`).to.deep.equal([]);
  },
);

After(async function (this: PoscertWorld) {
  if (!changedLimits.has(this)) return;
  this.host.setContactlessParameters(undefined);
  // Signing on again loads the configured parameters back (the sign-on reply carries digit 9).
  await this.driver.toIdle().catch(() => undefined);
  await this.driver.signOn();
  await this.driver.toIdle();
});
