// 公网接入 (public-network access, cup8583.md §1.2): a case for terminals that declare it in their profile
// (publicNetwork: https). The scenario puts the terminal on the host's HTTPS front and the After hook puts it
// back on its own link; the host's record of what reached that port is what the steps judge.
import { expect } from 'chai';
import { skipWith } from './support/skip';
import {
  describeArrivals,
  judgeWrapper,
  labPki,
  putOnPublicNetwork,
  screenShowsCommunicationFailure,
  servedUnderImpostor,
} from '../drivers/public-network';
import { step } from './support/define';

step(['the terminal declares public-network access', '终端声明支持公网接入'], function () {
  if (this.profile.publicNetwork === 'https') return;
  return skipWith(this, "not applicable: the terminal does not declare publicNetwork: 'https' in its profile") as unknown as void;
});

step(['the terminal reaches the host over the public network, trusting the lab CA', '终端经公网接入主机，信任实验室CA'], async function () {
  const put = await putOnPublicNetwork(this.driver, this.host);
  this.restoreConfig = { ...this.restoreConfig, ...put.restore };
  this.driver.note(`public-network link: ${put.url}`);
});

step(['every request reached the host over TLS in the public-network wrapper', '每个请求都经TLS以公网报文格式到达主机'], function () {
  const arrivals = this.publicNetworkArrivals();
  expect(judgeWrapper(arrivals), `what reached the HTTPS port:\n${describeArrivals(arrivals)}`).to.deep.equal([]);
});

step(['the host presents a certificate that does not chain to the lab CA', '主机出示不属于实验室CA的证书'], async function () {
  await this.host.publicNetwork!.start(labPki().impostor);
});

step(['the terminal sent nothing to the host with that certificate', '终端未向出示该证书的主机发送任何报文'], function () {
  const arrivals = this.publicNetworkArrivals();
  expect(
    servedUnderImpostor(arrivals, labPki().impostor.label).map((a) => `${a.at} ${a.mti}`),
    describeArrivals(arrivals),
  ).to.deep.equal([]);
});

step(['the terminal shows a communication failure', '终端显示通讯失败'], async function () {
  const seen = this.screens(this.lastActionAt);
  expect(
    seen.some((s) => screenShowsCommunicationFailure(s.lines)),
    `screens:\n  ${this.describeScreens(seen).join('\n  ')}`,
  ).to.equal(true);
});
