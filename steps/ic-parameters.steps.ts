// IC parameters and public keys (cup8583.md §3.5, issue 13 item 1): the host announces new lists or
// refuses their download (host-side, so the cases run on a real terminal too); the download and the
// chip sale made while the download is refused are judged by drivers/ic-parameters (the latter by the
// profile's supersededIcLists). A scenario that refused downloads signs the
// terminal on again afterwards, so that the next scenario finds it holding its lists.
import { After } from '@cucumber/cucumber';
import { expect } from 'chai';
import { judgeIcDownload, judgeSaleOnSupersededIcLists, type IcListsExpected } from '../drivers/ic-parameters';
import type { TransactionKind } from '../protocol/iso8583';
import { step } from './support/define';
import type { PoscertWorld } from './support/world';

/** Scenarios in which the host refused the downloads: the terminal may be left without its lists. */
const refused = new WeakSet<PoscertWorld>();

function expectedLists(w: PoscertWorld): IcListsExpected {
  const { capks, aids } = w.lab.config.icParameters;
  return { capks: capks.map((k) => ({ rid: k.rid, index: k.index })), aids: aids.map((a) => a.aid) };
}

step(['the host has new IC parameters and public keys for the terminal', '主机为终端更新了IC卡参数和公钥'], function () {
  expect(
    this.lab.config.icParameters.capks.length + this.lab.config.icParameters.aids.length,
    'IC lists in the host configuration (scenarios/ic-parameters.yaml)',
  ).to.be.greaterThan(0);
  this.host.requestIcDownload(this.lab.terminalId);
});

step(['the host refuses IC parameter downloads', '主机拒绝IC卡参数下载'], function () {
  refused.add(this);
  // Every query (0820) of this terminal answered 96 until the scenario ends (faults are cleared after it).
  this.host.injectFault({ match: { mti: '0820', terminalId: this.lab.terminalId }, action: 'force-response-code', responseCode: '96', count: 50 });
});

step(['the terminal downloaded every IC public key and IC parameter', '终端下载了全部IC卡公钥和参数'], async function () {
  const { problems } = judgeIcDownload(await this.messages(), expectedLists(this));
  expect(problems, `the IC parameter and public-key download (cup8583.md §3.5): ${problems.join('; ')}`).to.deep.equal([]);
});

step(['the terminal downloaded them before its last {txn} request', '终端在最后一笔{txn}请求之前完成了下载'], async function (kind: TransactionKind) {
  const { lastEndId } = judgeIcDownload(await this.messages(), expectedLists(this));
  const last = await this.lastRequest(kind);
  expect(lastEndId, 'an IC list download that ended').to.not.equal(undefined);
  expect(
    lastEndId! < last.id,
    `the IC lists were downloaded only after the last ${kind} request (STAN ${last.stan}): the chip was read on superseded lists`,
  ).to.equal(true);
});

step(['the chip sale is handled as the terminal declares for superseded IC lists', '终端按其声明处理被取代IC卡参数下的芯片消费'], async function () {
  const declared = this.profile.supersededIcLists;
  const problems = judgeSaleOnSupersededIcLists(declared, {
    messages: await this.messages(),
    saleStartedAt: this.lastActionAt,
    screens: this.screens(this.lastActionAt).map((s) => s.lines),
  });
  expect(
    problems,
    `chip sale while the new IC lists are refused (profile: supersededIcLists ${declared}): ${problems.join('; ')}; screens: ${this.describeScreens(this.screens(this.lastActionAt))}`,
  ).to.deep.equal([]);
});

After(async function (this: PoscertWorld) {
  if (!refused.has(this)) return;
  this.host.clearFaults();
  // Signing on again loads the lists the refused download left out (a terminal downloads them after sign-on).
  await this.driver.toIdle().catch(() => undefined);
  await this.driver.signOn();
  await this.driver.toIdle();
});
