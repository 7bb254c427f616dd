// The prompt table (drivers/prompts.ts) against screen snapshots: what UnionPay terminals show in
// 简体中文 and English (the emulator's texts and other wordings), and which answer each one takes.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { PROMPT_TABLE, PromptScreen, answerFor, phaseOf, promptKey, promptsOf } from '../../drivers/prompts';

const screen = (state: string, ...lines: string[]): PromptScreen => ({ state, lines });

describe('prompt table', () => {
  const snapshots: Array<[PromptScreen, string]> = [
    [screen('input', '消费', '请输入金额:', '0.00'), 'amount'],
    [screen('input', 'SALE', 'ENTER AMOUNT:', '12.34'), 'amount'],
    [screen('input', '缴费', '请输入收款方名称:', ''), 'payee-name'],
    [screen('input', 'BILL PAYMENT', 'ENTER PAYEE NAME:', ''), 'payee-name'],
    [screen('input', '缴费', '请输入收款方账号:', '3100'), 'payee-account'],
    [screen('input', 'BILL PAYMENT', 'ENTER PAYEE ACCOUNT:', ''), 'payee-account'],
    [screen('input', '撤销', '请输入原凭证号:', ''), 'original-trace'],
    [screen('input', 'VOID', 'ORIGINAL VOUCHER NO:', '12'), 'original-trace'],
    [screen('input', '退货', '请输入原参考号:', ''), 'original-rrn'],
    [screen('input', 'REFUND', 'ORIGINAL REF NO:', ''), 'original-rrn'],
    [screen('input', '退货', '请输入原交易日期(MMDD):', ''), 'original-date'],
    [screen('input', 'REFUND', 'ORIGINAL DATE (MMDD):', ''), 'original-date'],
    [screen('input', '预授权完成', '请输入原授权码:', ''), 'original-auth-code'],
    [screen('input', 'AUTH CANCEL', 'ORIGINAL AUTH CODE:', ''), 'original-auth-code'],
    [screen('card-wait', '消费', '金额:12.34', '请刷卡/插卡/挥卡'), 'card'],
    [screen('card-wait', '消费', '读卡失败'), 'card'],
    [screen('pin-entry', '消费', '金额:12.34', '请输入密码:', '***', '无密码请按[确认]'), 'pin'],
    [screen('confirm', '请确认缴费信息', '收款方:国网上海市电力公司', '金额:100.00', '[确认]继续 [取消]退出'), 'confirm'],
    [screen('confirm', '结算', '确认结算?'), 'confirm'],
  ];
  for (const [s, kind] of snapshots) {
    test(`${s.state} "${s.lines.join(' / ')}" asks for ${kind}`, () => {
      expect(promptsOf(s)[0]).to.equal(kind);
    });
  }

  test('an amount shown beside an original value is not an amount to type (原)', () => {
    expect(promptsOf(screen('input', '撤销', '原交易金额:12.34', '请输入原凭证号:'))).to.deep.equal(['original-trace']);
  });

  test('a screen in another state, or an input the table does not know, asks for nothing it can name', () => {
    expect(promptsOf(screen('online', '消费', '联机中,请稍候'))).to.deep.equal([]);
    expect(promptsOf(screen('input', '管理', '请输入商户号:'))).to.deep.equal([]);
    expect(promptsOf(screen('result', '交易成功', '金额:12.34'))).to.deep.equal([]);
  });

  test('操作员签到: the operator number and the operator password, in Chinese and English', () => {
    expect(promptsOf(screen('input', '签到', '请输入操作员号:'))).to.deep.equal(['operator-number']);
    expect(promptsOf(screen('input', '签到', '请输入操作员密码:'))).to.deep.equal(['operator-password']);
    expect(promptsOf(screen('input', 'SIGN ON', 'OPERATOR NO:'))).to.deep.equal(['operator-number']);
    expect(promptsOf(screen('input', 'SIGN ON', 'OPERATOR PASSWORD:'))).to.deep.equal(['operator-password']);
  });

  test('every row names a distinct prompt', () => {
    expect(new Set(PROMPT_TABLE.map((r) => r.kind)).size).to.equal(PROMPT_TABLE.length);
  });
});

describe('answers', () => {
  const card = { alias: 'UP-DEBIT-IC' };

  test('each prompt takes its answer', () => {
    const a = {
      amountFen: 1234,
      payee: { name: '国网上海市电力公司', account: '310000123456' },
      originalTrace: '000012',
      originalRrn: '123456789012',
      originalDate: '1126',
      originalAuthCode: 'A1B2C3',
      card,
      pin: '123456',
    };
    expect(answerFor(screen('input', '消费', '请输入金额:', '0.00'), a)?.action).to.deep.equal({ kind: 'amount', fen: 1234 });
    expect(answerFor(screen('input', '缴费', '请输入收款方名称:'), a)?.action).to.deep.equal({ kind: 'text', text: '国网上海市电力公司' });
    expect(answerFor(screen('input', '缴费', '请输入收款方账号:'), a)?.action).to.deep.equal({ kind: 'text', text: '310000123456' });
    expect(answerFor(screen('input', '撤销', '请输入原凭证号:'), a)?.action).to.deep.equal({ kind: 'text', text: '000012' });
    expect(answerFor(screen('input', '退货', '请输入原参考号:'), a)?.action).to.deep.equal({ kind: 'text', text: '123456789012' });
    expect(answerFor(screen('input', '退货', '请输入原交易日期(MMDD):'), a)?.action).to.deep.equal({ kind: 'text', text: '1126' });
    expect(answerFor(screen('input', '预授权完成', '请输入原授权码:'), a)?.action).to.deep.equal({ kind: 'text', text: 'A1B2C3' });
    expect(answerFor(screen('card-wait', '请刷卡/插卡/挥卡'), a)?.action).to.deep.equal({ kind: 'card', card });
    expect(answerFor(screen('pin-entry', '请输入密码:'), a)).to.deep.equal({ prompt: 'pin', action: { kind: 'pin', pin: '123456' } });
    expect(answerFor(screen('confirm', '确认结算?'), {})?.action).to.deep.equal({ kind: 'keys', keys: ['ENTER'] });
  });

  test('"no PIN" confirms the PIN prompt without digits', () => {
    expect(answerFor(screen('pin-entry', '请输入密码:', '', '无密码请按[确认]'), { pin: 'none' })?.action).to.deep.equal({
      kind: 'keys',
      keys: ['ENTER'],
    });
  });

  test('a prompt the answers do not cover has no answer (the caller reports the screen)', () => {
    expect(answerFor(screen('card-wait', '请刷卡/插卡/挥卡'), { amountFen: 100 })).to.equal(undefined);
    expect(answerFor(screen('input', '消费', '请输入金额:'), { card })).to.equal(undefined);
    expect(answerFor(screen('pin-entry', '请输入密码:'), { card })).to.equal(undefined);
  });
});

describe('phases and prompt identity', () => {
  test('states say whether the terminal asks, works or has ended', () => {
    expect(['menu', 'input', 'confirm', 'card-wait', 'pin-entry'].map(phaseOf)).to.deep.equal(Array(5).fill('asking'));
    expect(['result', 'idle', 'printing', 'sign-on-required', 'error', 'tampered', 'off'].map(phaseOf)).to.deep.equal(Array(7).fill('ended'));
    expect(['online', 'card-read', 'reversal', undefined].map(phaseOf)).to.deep.equal(Array(4).fill('working'));
  });

  test('typing into a prompt keeps its identity; another prompt or a named screen changes it', () => {
    const empty = screen('input', '消费', '请输入金额:', '0.00');
    const typed = screen('input', '消费', '请输入金额:', '12.34');
    expect(promptKey(typed)).to.equal(promptKey(empty));
    expect(promptKey(screen('pin-entry', '消费', '金额:12.34', '请输入密码:'))).to.not.equal(promptKey(empty));
    expect(promptKey({ ...empty, screen: 'amount' })).to.equal('input|amount|');
  });
});
