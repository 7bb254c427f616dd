// The card left in the reader after a chip transaction (issue 13 item 9): the harness leaves it in,
// watches what the terminal shows and how it beeps meanwhile, and judges by drivers/card-removal.
import { expect } from 'chai';
import { judgeCardLeftInReader } from '../drivers/card-removal';
import { step } from './support/define';
import { watchCardLeftInReader } from './support/at-terminal';

step(['the card is left in the reader for {int} seconds', '卡片留在读卡器中 {int} 秒'], async function (seconds: number) {
  expect(this.driver.cardInSlot, 'a card inserted by the transaction is still in the reader').to.equal(true);
  this.cardLeftInReader = await watchCardLeftInReader(this, seconds * 1000);
});

step(['the terminal asked for the card back with beeps and did not return to idle', '终端提示取回卡片并鸣响且未回到待机'], function () {
  const seen = this.cardLeftInReader;
  if (!seen) throw new Error('no card was left in the reader earlier in this scenario');
  const { problems } = judgeCardLeftInReader(seen);
  expect(problems, `the end of the chip transaction with the card left in: ${problems.join('; ')}`).to.deep.equal([]);
});

step(['the cardholder takes the card out', '持卡人拔出卡片'], async function () {
  await this.driver.removeCard();
});

step(['the terminal returns to idle', '终端回到待机'], async function () {
  const s = await this.driver.waitForState(['idle', 'sign-on-required'], { timeoutMs: this.lab.settings.screenTimeoutMs });
  expect(s.state, 'the terminal once the card is out').to.equal('idle');
});
