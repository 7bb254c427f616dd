// Magstripe fallback (磁条降级, issue 13 item 5): a card presented with a chip that does not answer,
// the terminal's invitation to swipe it, its refusal of a chip card swiped first (请插卡), and the
// fallback markers of the request; judged by drivers/fallback.
import { expect } from 'chai';
import { awaitSwipeInvitation, awaitUseChipRefusal, fallbackMarkerProblems, withDeadChip } from '../drivers/fallback';
import { step } from './support/define';
import type { PoscertWorld } from './support/world';

const view = (w: PoscertWorld) => ({
  screens: () => w.screens(w.lastActionAt),
  get cardInSlot() { return w.driver.cardInSlot; },
  removeCard: () => w.driver.removeCard(),
});

step(['the cardholder inserts card {card} whose chip does not answer', '持卡人插入芯片无响应的卡 {card}'], async function (alias: string) {
  this.action();
  await this.rememberBalance(alias);
  await this.waitForState(['card-wait']);
  this.lastCard = alias;
  this.lastEntry = 'insert';
  await this.driver.presentCard(withDeadChip(this.cardImage(alias)), 'insert');
});

step(['the terminal asks for the card to be swiped instead', '终端提示改为刷卡'], async function () {
  const { problems } = await awaitSwipeInvitation(view(this), this.lab.settings.screenTimeoutMs);
  expect(problems, `the invitation to swipe after the failed chip read: ${problems.join('; ')}`).to.deep.equal([]);
});

step(['the terminal refuses the swipe and asks for the chip', '终端拒绝刷卡并提示插卡'], async function () {
  const { problems } = await awaitUseChipRefusal(view(this), this.lab.settings.screenTimeoutMs);
  expect(problems, `a chip card swiped before its chip was tried: ${problems.join('; ')}`).to.deep.equal([]);
});

step(['it is marked as a fallback', '该请求标明为降级交易'], async function () {
  const req = await this.focus();
  const problems = fallbackMarkerProblems(req.fields);
  expect(problems, `the fallback markers of the ${req.kind} (STAN ${req.stan}): ${problems.join('; ')}`).to.deep.equal([]);
});
