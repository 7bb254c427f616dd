// The supervisor (主管) password of voids and refunds, judged by the terminal's declared profile
// (drivers/supervisor.ts): one attempt with a wrong password, judged; then the transaction again with
// the declared password where the first was refused. Thin: parse, call the driver, assert.
import { expect } from 'chai';
import { step } from './support/define';
import { approvedRequests, judgeWrongSupervisorPassword, requestsOf, type SupervisorGuarded } from '../drivers';
import type { EntryMode } from './support/parse';
import type { PoscertWorld } from './support/world';

step(
  [
    'the operator voids the last transaction with card {card} by {entry}, giving a wrong supervisor password',
    '操作员用卡 {card} {entry}撤销上一笔交易，输入错误的主管密码',
  ],
  async function (alias: string, entry: EntryMode) {
    await this.voidLast(alias, entry, { supervisor: 'wrong' });
  },
);

step(
  ['the operator refunds {amount} of the last transaction with card {card} by {entry}, giving a wrong supervisor password'],
  async function (fen: number, alias: string, entry: EntryMode) {
    await this.refundLast(fen, alias, entry, { supervisor: 'wrong' });
  },
);

step(['the supervisor password was asked and checked as the terminal declares', '主管密码按终端声明被询问和校验'], async function () {
  const kind = guardedKind(this);
  await this.afterTransaction();
  const attempt = {
    kind,
    asked: this.lastPrompts.includes('supervisor-password'),
    requestsSent: requestsOf(await this.messages(), kind).length,
    screens: this.screens(this.lastActionAt),
  };
  const problems = judgeWrongSupervisorPassword(attempt, this.profile);
  expect(problems, `${kind} with a wrong supervisor password; screens:\n  ${this.describeScreens(attempt.screens).join('\n  ')}`).to.deep.equal([]);
});

// Where the wrong password was refused, the same transaction with the declared one (the original must still be there to void or refund).
step(
  [
    'the operator voids it again with card {card} by {entry} unless the host approved its void',
    '主机未批准撤销时，操作员用卡 {card} {entry}再次撤销',
  ],
  async function (alias: string, entry: EntryMode) {
    if (!approvedRequests(await this.messages(), 'void').length) await this.voidLast(alias, entry);
  },
);

step(
  ['the operator refunds {amount} of it again with card {card} by {entry} unless the host approved its refund'],
  async function (fen: number, alias: string, entry: EntryMode) {
    if (!approvedRequests(await this.messages(), 'refund').length) await this.refundLast(fen, alias, entry);
  },
);

step(['the host approved exactly one {txn}', '主机恰好批准了一笔{txn}'], async function (kind: SupervisorGuarded) {
  const approved = approvedRequests(await this.messages(), kind);
  expect(
    approved.length,
    `${kind} requests the host approved (screens: ${this.describeScreens(this.screens(this.lastActionAt)).join(' / ')})`,
  ).to.equal(1);
  this.current = approved[0];
});

/** The void or refund the scenario attempted last. */
function guardedKind(world: PoscertWorld): SupervisorGuarded {
  const kind = world.txns[world.txns.length - 1]?.kind;
  expect(kind, 'the step judges a void or refund: one must come first').to.be.oneOf(['void', 'refund']);
  return kind as SupervisorGuarded;
}
