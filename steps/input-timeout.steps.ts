// A prompt left unanswered (TTP §7.6 outcome timeout, not cancelled): the lab shortens the terminal's
// card wait (TTP §6.7 timeouts.cardMs) and judges the flow's end by its outcome (drivers/input-timeout.ts).
// A terminal that does not let the lab set the wait is not judged by the case (skipped, not applicable).
import { expect } from 'chai';
import { skipWith } from './support/skip';
import { outcomesAfter } from '../drivers/flow-outcome';
import { judgeTimedOut, setCardTimeout } from '../drivers/input-timeout';
import { step } from './support/define';

step(['the terminal waits {int} second(s) for a card', '终端等卡时间被设置为 {int} 秒'], async function (seconds: number) {
  const before = await setCardTimeout(this.driver, seconds * 1000);
  this.cardTimeoutMs = seconds * 1000;
  if (before) return this.restoreLater({ timeouts: before });
  const reason = 'not applicable: the terminal does not let the lab set its card wait (TTP config timeouts.cardMs: not-supported)';
  return skipWith(this, reason) as unknown as void;
});

step(['nobody presents a card', '无人出示卡片'], async function () {
  const from = Math.max(0, ...this.driver.transcript({ all: true }).map((e) => e.seq));
  await this.driver.waitForState(['result', 'idle'], { timeoutMs: this.cardTimeoutMs + this.lab.settings.screenTimeoutMs });
  await this.driver.waitUntilQuiet();
  this.outcomesSeen = outcomesAfter(this.driver.transcript({ all: true }), from);
});

step(['the transaction ends as timed out', '交易以超时结束'], function () {
  const problem = judgeTimedOut(this.outcomesSeen, 'the transaction whose card prompt was left unanswered');
  if (problem) expect.fail(problem);
});
