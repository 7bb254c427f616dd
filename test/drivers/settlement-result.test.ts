// drivers/settlement-result.ts: the reconciliation result a terminal states on a screen or its settlement
// slip against the acquirer's 0510 (cup8583.md §3.9), in the wordings terminals use.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { reconciliationStatementProblems, statedResult } from '../../drivers/settlement-result';

describe('statedResult', () => {
  test('reads each result in LY and current spelling and in English, unbalanced before balanced', () => {
    expect(statedResult('内卡: 对帐平')).to.equal('1');
    expect(statedResult('内卡:对账平')).to.equal('1');
    expect(statedResult('内卡: 对帐不平')).to.equal('2');
    expect(statedResult('对账出错')).to.equal('3');
    expect(statedResult('DOMESTIC:NOT BALANCED')).to.equal('2');
    expect(statedResult('DOMESTIC:BALANCED')).to.equal('1');
    expect(statedResult('RECONCILE ERROR')).to.equal('3');
  });
  test('a line that states no result', () => {
    expect(statedResult('结算成功')).to.equal(undefined);
    expect(statedResult('批次号:000001')).to.equal(undefined);
    expect(statedResult('连接对账平台')).to.equal(undefined);
  });
});

describe('reconciliationStatementProblems', () => {
  const unbalanced = { domestic: '2', foreign: '1' };
  test('each side is judged against its own result', () => {
    const slip = { where: 'the settlement slip', lines: ['内卡: 对帐不平', '外卡: 对帐平'] };
    expect(reconciliationStatementProblems([slip], unbalanced)).to.deep.equal([]);
  });
  test('a domestic line stating the other side’s result fails', () => {
    const screen = { where: 'the settled screen', lines: ['结算成功', '内卡:对账平'] };
    const problems = reconciliationStatementProblems([screen], unbalanced);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/the settled screen says "内卡:对账平".*domestic result 2 \(对账不平\)/);
  });
  test('a line naming no side may state either side’s result, not a third', () => {
    expect(reconciliationStatementProblems([{ where: 's', lines: ['对账平'] }], unbalanced)).to.deep.equal([]);
    expect(reconciliationStatementProblems([{ where: 's', lines: ['对账出错'] }], unbalanced)).to.have.length(1);
  });
  test('a terminal that states nothing passes', () => {
    expect(reconciliationStatementProblems([{ where: 's', lines: ['结算成功'] }], { domestic: '3', foreign: '3' })).to.deep.equal([]);
  });
});
