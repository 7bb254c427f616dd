// The ledger effect on the cardholder's account, read from the reference host: a case must show
// the money moved exactly once, or not at all.
import { expect } from 'chai';
import { step } from './support/define';
import { formatFen } from './support/parse';
import type { PoscertWorld } from './support/world';

async function change(w: PoscertWorld, alias: string): Promise<number> {
  await w.driver.toIdle().catch(() => undefined); // a reversal the terminal sends on its way back counts
  return w.balanceChange(alias);
}

step(['the card {card} is debited {amount}', '卡 {card} 被借记 {amount}'], async function (alias: string, fen: number) {
  const delta = await change(this, alias);
  expect(formatFen(-delta), `net debit of ${alias} in this scenario (元)`).to.equal(formatFen(fen));
});

step(['the card {card} is credited {amount}', '卡 {card} 被贷记 {amount}'], async function (alias: string, fen: number) {
  const delta = await change(this, alias);
  expect(formatFen(delta), `net credit of ${alias} in this scenario (元)`).to.equal(formatFen(fen));
});

step(['the balance of card {card} is unchanged', '卡 {card} 的余额不变'], async function (alias: string) {
  const delta = await change(this, alias);
  expect(delta, `balance change of ${alias} in this scenario (分)`).to.equal(0);
});
