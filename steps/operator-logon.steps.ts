// 操作员签到 (operator logon, cup8583.md §2.6 63.1, §3.2): a case for terminals that declare it in their profile
// (operatorLogon); on any other terminal its first step skips it as not applicable. The menu sign-on answers
// the operator number and password from the profile (drivers/operator-logon.ts).
import { expect } from 'chai';
import { skipWith } from './support/skip';
import { operatorProblem } from '../drivers/operator-logon';
import { step } from './support/define';

step(['the terminal declares an operator logon', '终端声明操作员签到'], function () {
  if (this.profile.operatorLogon) return;
  const reason =
    'not applicable: the terminal does not declare operatorLogon in its profile (it asks no operator number and password before its sign-on)';
  return skipWith(this, reason) as unknown as void;
});

step(['it names the declared operator', '该请求带有声明的操作员号'], async function () {
  const req = await this.focus();
  const problem = operatorProblem(req, this.profile.operatorLogon!);
  expect(problem, problem).to.equal(undefined);
});

step(['the host journal shows the declared operator', '主机日志记录了声明的操作员号'], async function () {
  const req = await this.focus();
  expect(req.note ?? '', `the host's journal note of the ${req.kind} (STAN ${req.stan})`).to.include(
    `operator ${this.profile.operatorLogon!.operator}`,
  );
});
