// answerPrompts / startEcr (drivers/interaction.ts) against a scripted terminal: a unit-test double
// of the driver that moves from screen to screen as it is answered.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { InteractionControl, answerPrompts, startEcr } from '../../drivers/interaction';
import { TerminalExpectationError, classifyError } from '../../drivers/errors';
import { promptKey } from '../../drivers/prompts';
import type { ScreenSnapshot } from '../../drivers/screens';

type Step = { state: string; lines: string[] };

/** A terminal that shows `flow[i]` and moves to `flow[i + 1]` on any answer. */
function scripted(flow: Step[], opts: { stuck?: boolean } = {}) {
  let i = 0;
  let at = 1;
  const actions: string[] = [];
  const screen = (): ScreenSnapshot => ({ ...flow[i], at });
  const advance = (what: string) => {
    actions.push(what);
    if (!opts.stuck && i < flow.length - 1) {
      i++;
      at++;
    }
  };
  const control: InteractionControl = {
    lastScreen: screen,
    recentScreens: () => [screen()],
    waitForState: async (states) => {
      if (states.includes(flow[i].state)) return screen();
      throw new TerminalExpectationError(`not ${states.join('|')}`);
    },
    waitUntilQuiet: async () => undefined,
    waitForPromptChange: async (key) => {
      if (promptKey(screen()) !== key) return screen();
      throw new TerminalExpectationError('no change');
    },
    pressKeys: async (...keys) => advance(keys.join(',')),
    enterAmount: async (fen) => advance(`amount ${fen}`),
    enterText: async (text) => advance(`text ${text}`),
    enterPin: async (pin) => advance(`pin ${pin}`),
    presentCard: async (card, method) => advance(`card ${card.pan} ${method}`),
    ecr: async () => ({ approved: true }) as never,
    maskScreen: (lines, state) => lines.map((l) => (state === 'pin-entry' ? l.replace(/[0-9]/g, '*') : l)),
    screenTimeoutMs: () => 50,
  };
  return { control, actions };
}

const card = { image: { pan: '6222000000000047' } as never, method: 'insert' as const };

describe('answerPrompts', () => {
  test('a 缴费 from the menu: every prompt answered in the order the terminal asks, until the result', async () => {
    const t = scripted([
      { state: 'input', lines: ['缴费', '请输入收款方名称:', ''] },
      { state: 'input', lines: ['缴费', '请输入收款方账号:', ''] },
      { state: 'input', lines: ['缴费', '请输入金额:', '0.00'] },
      { state: 'confirm', lines: ['请确认缴费信息', '[确认]继续 [取消]退出'] },
      { state: 'card-wait', lines: ['缴费', '请刷卡/插卡/挥卡'] },
      { state: 'pin-entry', lines: ['缴费', '请输入密码:'] },
      { state: 'result', lines: ['缴费', '交易成功'] },
    ]);
    const ctl = t.control;
    const prompts: string[] = [];
    const end = await answerPrompts(
      ctl,
      { amountFen: 10000, payee: { name: '国网上海市电力公司', account: '310000123456' }, card, pin: '123456' },
      { onAnswer: (p) => prompts.push(p) },
    );
    expect(end.state).to.equal('result');
    expect(prompts).to.deep.equal(['payee-name', 'payee-account', 'amount', 'confirm', 'card', 'pin']);
    expect(t.actions).to.deep.equal([
      'text 国网上海市电力公司',
      'text 310000123456',
      'amount 10000',
      'ENTER',
      'card 6222000000000047 insert',
      'pin 123456',
    ]);
  });

  test('a card prompt the step has no card for fails with the screen', async () => {
    const t = scripted([{ state: 'card-wait', lines: ['消费', '请刷卡/插卡/挥卡'] }]);
    const err = await answerPrompts(t.control, { amountFen: 100 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TerminalExpectationError);
    expect(classifyError(err)).to.equal('failed');
    expect((err as Error).message).to.include('asks for a card, but this step presents none');
  });

  test('a terminal that stays on an answered prompt fails, without repeating the PIN typed', async () => {
    const t = scripted([{ state: 'pin-entry', lines: ['消费', '请输入密码:', '123456'] }], { stuck: true });
    const err = await answerPrompts(t.control, { card, pin: '123456' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message)
      .to.include('stayed on the same screen')
      .and.not.include('123456');
  });
  test('an entry the case may see refused: the terminal staying on it is cancelled and told, not failed', async () => {
    const t = scripted([
      { state: 'input', lines: ['退货', '请输入原参考号:', ''] },
      { state: 'result', lines: ['退货', '交易取消'] },
    ]);
    t.control.enterText = async (text) => void t.actions.push(`text ${text}`); // stays on the prompt
    let stayed = 0;
    const end = await answerPrompts(
      t.control,
      { originalRrn: '11223344556' },
      { mayStayOn: { prompt: 'original-rrn', waitMs: 10, onStayed: () => stayed++ } },
    );
    expect(end.state).to.equal('result');
    expect(t.actions).to.deep.equal(['text 11223344556', 'CANCEL']);
    expect(stayed).to.equal(1);
  });

  test('mayStayOn names one prompt: staying on another still fails', async () => {
    const t = scripted([{ state: 'input', lines: ['退货', '请输入原交易日期:', ''] }], { stuck: true });
    const err = await answerPrompts(t.control, { originalDate: '1204' }, { mayStayOn: { prompt: 'original-rrn', waitMs: 10 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.include('stayed on the same screen');
  });
});

describe('startEcr', () => {
  test('resolves once the terminal asks for something; the result settles at the end', async () => {
    const t = scripted([{ state: 'card-wait', lines: ['消费', '请刷卡/插卡/挥卡'] }]);
    const { result } = await startEcr(t.control, { request: 'sale', amount: '100' } as never);
    expect(await result).to.deep.equal({ approved: true });
  });

  test('a refusal surfaces at once', async () => {
    const t = scripted([{ state: 'idle', lines: ['银联POS'] }]);
    t.control.ecr = async () => {
      throw new Error('terminal is busy');
    };
    const err = await startEcr(t.control, { request: 'sale', amount: '100' } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.equal('terminal is busy');
  });
});
