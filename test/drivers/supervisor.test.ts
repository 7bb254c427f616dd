// The supervisor (主管) password judgement (drivers/supervisor.ts): judged by the declaration both
// ways (declared: asked, refused on screen, nothing sent; none declared: not asked), the wrong
// password the driver gives for one transaction, and the prompt table answering with it.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  approvedRequests,
  judgeWrongSupervisorPassword,
  showsPasswordRefused,
  supervisorPasswordToGive,
  wrongSupervisorPassword,
} from '../../drivers/supervisor';
import { answerFor } from '../../drivers/prompts';
import type { HostMessage } from '../../drivers/host-view';
import { REFERENCE_PROFILE, type TerminalProfile } from '../../protocol/ttp/profile';

const declaring: TerminalProfile = { ...REFERENCE_PROFILE, supervisor: { ...REFERENCE_PROFILE.supervisor, password: '2580' } };
const refusal = [{ lines: ['撤销', '交易失败', '主管密码错误'] }];
const attempt = (o: Partial<Parameters<typeof judgeWrongSupervisorPassword>[0]> = {}) => ({
  kind: 'void' as const,
  asked: true,
  requestsSent: 0,
  screens: refusal,
  ...o,
});

describe('supervisor password', () => {
  test('a wrong password differs in every digit and keeps the length; with none declared, 0000', () => {
    expect(wrongSupervisorPassword('2580')).to.equal('3691');
    expect(wrongSupervisorPassword('99999999')).to.equal('00000000');
    expect(wrongSupervisorPassword(undefined)).to.equal('0000');
    expect(supervisorPasswordToGive('2580')).to.equal('2580');
    expect(supervisorPasswordToGive('2580', 'declared')).to.equal('2580');
    expect(supervisorPasswordToGive('2580', 'wrong')).to.equal('3691');
    expect(supervisorPasswordToGive(undefined)).to.equal(undefined);
  });

  test('the 主管密码 prompt is answered with the wrong password the driver resolved', () => {
    const s = { state: 'input', lines: ['撤销', '请输入主管密码:'] };
    expect(answerFor(s, { supervisorPassword: supervisorPasswordToGive('2580', 'wrong') })).to.deep.equal({
      prompt: 'supervisor-password',
      action: { kind: 'text', text: '3691' },
    });
  });

  test('refusal wordings: 主管密码错误, §7 55 密码错, English; not a plain failure', () => {
    for (const l of ['主管密码错误', '密码错', 'WRONG SUPERVISOR PASSWORD', 'PASSWORD ERROR', 'INCORRECT PASSWORD'])
      expect(showsPasswordRefused([l]), l).to.equal(true);
    for (const l of ['交易失败', '请输入主管密码:', 'SUPERVISOR PASSWORD:']) expect(showsPasswordRefused([l]), l).to.equal(false);
  });

  test('declared: asked, refused on screen and nothing sent is conformant', () => {
    expect(judgeWrongSupervisorPassword(attempt(), declaring)).to.deep.equal([]);
    expect(
      judgeWrongSupervisorPassword(attempt({ kind: 'refund', screens: [{ lines: ['REFUND', 'WRONG SUPERVISOR PASSWORD'] }] }), declaring),
    ).to.deep.equal([]);
  });

  test('declared: not asked, or the transaction sent, or no refusal on screen is a failure, each said', () => {
    expect(judgeWrongSupervisorPassword(attempt({ asked: false }), declaring).join()).to.include('did not ask it');
    const accepted = judgeWrongSupervisorPassword(attempt({ requestsSent: 1, screens: [{ lines: ['撤销', '交易成功'] }] }), declaring);
    expect(accepted).to.have.length(2);
    expect(accepted[0]).to.include('sent 1 void request');
    expect(accepted[1]).to.include('no screen said');
  });

  test('none declared: not asked is conformant (what follows is judged by the case); asked is a failure', () => {
    expect(judgeWrongSupervisorPassword(attempt({ asked: false, requestsSent: 1, screens: [] }), REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeWrongSupervisorPassword(attempt({ asked: true }), REFERENCE_PROFILE).join()).to.include('declares none');
  });

  test('approved requests: a request whose reply is 00', () => {
    const m = (id: number, direction: 'in' | 'out', stan: string, responseCode?: string): HostMessage => ({
      id,
      at: '',
      direction,
      terminalId: 'T1',
      mti: direction === 'in' ? '0200' : '0210',
      stan,
      kind: 'void',
      fields: {},
      responseCode,
      hex: '',
      note: undefined,
    });
    const msgs = [m(1, 'in', '000001'), m(2, 'out', '000001', '55'), m(3, 'in', '000002'), m(4, 'out', '000002', '00')];
    expect(approvedRequests(msgs, 'void').map((r) => r.stan)).to.deep.equal(['000002']);
    expect(approvedRequests(msgs, 'refund')).to.deep.equal([]);
  });
});
