// Magstripe fallback (磁条降级, issue 13 item 5): a card presented with a chip that does not answer,
// the terminal's invitation to swipe it, its refusal of a chip card swiped first (请插卡), and the
// fallback markers of the request; judged by drivers/fallback. On an operator terminal (no TTP) the
// person presents the card's dead-chip test copy and says what the screen asked.
import { expect } from 'chai';
import {
  awaitCardPromptAgain,
  awaitSwipeInvitation,
  awaitUseChipRefusal,
  fallbackInvitations,
  fallbackMarkerProblems,
  withDeadChip,
} from '../drivers/fallback';
import { byHand, observedByHarness } from './support/by-hand';
import { step } from './support/define';
import type { PoscertWorld } from './support/world';

const view = (w: PoscertWorld) => ({
  screens: () => w.screens(w.lastActionAt),
  get cardInSlot() {
    return w.driver.cardInSlot;
  },
  removeCard: () => w.driver.removeCard(),
});

step(['the cardholder inserts card {card} whose chip does not answer', '持卡人插入芯片无响应的卡 {card}'], async function (alias: string) {
  this.action();
  await this.rememberBalance(alias);
  await this.waitForState(['card-wait']);
  this.lastCard = alias;
  this.lastEntry = 'insert';
  this.deadChipCards.add(alias);
  await this.driver.presentCard(withDeadChip(this.cardImage(alias)), 'insert');
});

step(['the cardholder taps card {card} whose chip does not answer', '持卡人挥芯片无响应的卡 {card}'], async function (alias: string) {
  this.action();
  await this.waitForState(['card-wait']);
  this.deadChipCards.add(alias);
  await this.driver.presentCard(withDeadChip(this.cardImage(alias)), 'tap');
  await awaitCardPromptAgain(view(this), this.lab.settings.screenTimeoutMs);
});

step(['the terminal asks for the card to be swiped instead', '终端提示改为刷卡'], async function () {
  const { problems } = await awaitSwipeInvitation(view(this), this.lab.settings.screenTimeoutMs);
  expect(problems, `the invitation to swipe after the failed chip read: ${problems.join('; ')}`).to.deep.equal([]);
});

step(['the terminal refuses the swipe and asks for the chip', '终端拒绝刷卡并提示插卡'], async function () {
  const { problems } = await awaitUseChipRefusal(view(this), this.lab.settings.screenTimeoutMs);
  expect(problems, `a chip card swiped before its chip was tried: ${problems.join('; ')}`).to.deep.equal([]);
});

// No chip read failed in this scenario: a screen saying it did and offering the swipe misleads the cardholder.
step(['no screen invited a fallback swipe', '屏幕从未提示降级刷卡'], function () {
  expect(fallbackInvitations(this.screens()), 'screens inviting a fallback swipe while no chip read had failed').to.deep.equal([]);
});

step(['it is marked as a fallback', '该请求标明为降级交易'], async function () {
  const req = await this.focus();
  const problems = fallbackMarkerProblems(req.fields);
  expect(problems, `the fallback markers of the ${req.kind} (STAN ${req.stan}): ${problems.join('; ')}`).to.deep.equal([]);
});

// ------------------------------------------------------------------ by hand (operator terminals, steps/support/by-hand.ts)

observedByHarness('it is marked as a fallback');

byHand('the cardholder inserts card {card} whose chip does not answer', async function (alias: string) {
  this.action();
  this.lastCard = alias;
  this.lastEntry = 'insert';
  await this.rememberBalance(alias);
  await this.lab.person!.instruct(
    `Insert the dead-chip test copy of card ${alias} (card number ${this.redact(this.card(alias).pan)}; its chip does not answer) into the chip reader.`,
  );
});

byHand('the terminal asks for the card to be swiped instead', async function () {
  const q =
    'Did the terminal say the chip could not be read and ask for the card to be swiped (请刷卡 / 降级交易)? If so, take the card out of the chip reader.';
  expect(
    await this.lab.person!.confirm(q),
    `no invitation to swipe after the failed chip read (the person at the terminal answered no to: ${q})`,
  ).to.equal(true);
});

byHand('the terminal refuses the swipe and asks for the chip', async function () {
  const q = 'Did the terminal refuse the swipe and ask for the card to be inserted (请插卡 / 请使用芯片), without asking for a PIN?';
  expect(await this.lab.person!.confirm(q), `the swiped chip card was not refused (the person at the terminal answered no to: ${q})`).to.equal(true);
});

byHand('no screen invited a fallback swipe', async function () {
  const q = 'Did any screen of this sale say the card could not be read and invite a swipe (读卡失败 / 降级 … 请刷卡)?';
  expect(await this.lab.person!.confirm(q), `a screen invited a fallback swipe (the person at the terminal answered yes to: ${q})`).to.equal(false);
});

byHand('the cardholder taps card {card} whose chip does not answer', async function (alias: string) {
  this.action();
  await this.lab.person!.instruct(
    `Tap the dead-chip test copy of card ${alias} (card number ${this.redact(this.card(alias).pan)}; its chip does not answer) on the contactless reader.`,
  );
});
