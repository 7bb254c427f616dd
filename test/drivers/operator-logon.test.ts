// Operator logon (操作员签到): which keys answer the operator-number and password prompts of a menu sign-on,
// and how a sign-on's 63.1 is judged against the declared operator (cup8583.md §2.6, §3.2).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { operatorField63, operatorLogonKeys, operatorProblem } from '../../drivers/operator-logon';

const DECLARED = { operator: '03', password: '1357' };

describe('operator logon (操作员签到)', () => {
  test('the operator number and the password prompts are answered from the declaration, in Chinese and English', () => {
    expect(operatorLogonKeys({ state: 'input', lines: ['签到', '请输入操作员号:'] }, DECLARED)).to.deep.equal(['0', '3', 'ENTER']);
    expect(operatorLogonKeys({ state: 'input', lines: ['签到', '请输入操作员密码:', '**'] }, DECLARED)).to.deep.equal(['1', '3', '5', '7', 'ENTER']);
    expect(operatorLogonKeys({ state: 'input', lines: ['SIGN ON', 'OPERATOR NO:'] }, DECLARED)).to.deep.equal(['0', '3', 'ENTER']);
    expect(operatorLogonKeys({ state: 'input', lines: ['SIGN ON', 'OPERATOR PASSWORD:'] }, DECLARED)).to.deep.equal(['1', '3', '5', '7', 'ENTER']);
  });

  test('nothing to type without a declaration, on another prompt, or outside an input state', () => {
    expect(operatorLogonKeys({ state: 'input', lines: ['签到', '请输入操作员号:'] }, undefined)).to.equal(undefined);
    expect(operatorLogonKeys({ state: 'input', lines: ['撤销', '请输入主管密码:'] }, DECLARED)).to.equal(undefined);
    expect(operatorLogonKeys({ state: 'result', lines: ['签到', '操作员密码错误'] }, DECLARED)).to.equal(undefined);
  });

  test('63.1 must be the declared operator and a space', () => {
    expect(operatorField63('03')).to.equal('03 ');
    expect(operatorProblem({ stan: '000001', fields: { 63: '03 ' } }, DECLARED)).to.equal(undefined);
    expect(operatorProblem({ stan: '000001', fields: { 63: '01 ' } }, DECLARED)).to.match(/"01 ", not the operator who logged on, "03 "/);
    expect(operatorProblem({ stan: '000001', fields: {} }, DECLARED)).to.match(/carries no F63/);
    expect(operatorProblem({ stan: '000001', fields: { 63: 'CUP' } }, DECLARED)).to.match(/"CUP"/);
  });
});
