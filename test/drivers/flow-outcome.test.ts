// The TTP §7.6 outcome read from recorded frames (drivers/flow-outcome.ts), the list of menu financial
// kinds a case tries (drivers/host-view.ts menuFinancialKinds), and the judgement that a terminal whose
// sign-on failed refuses each of them as not signed on.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { flowShownAfter, notRefusedForSignOn, outcomesAfter } from '../../drivers/flow-outcome';
import { menuFinancialKinds } from '../../drivers/host-view';

const display = (seq: number, outcome?: unknown) => ({
  seq,
  dir: 'rx' as const,
  message: { evt: 'display', lines: ['x'], ...(outcome ? { outcome } : {}) },
});

describe('flow outcome', () => {
  test('a flow of its own shown after the mark: a display, or a state other than idle; a beep or an idle state is none', () => {
    const state = (seq: number, st: string) => ({ seq, dir: 'rx' as const, message: { evt: 'state', state: st } });
    const beep = { seq: 3, dir: 'rx' as const, message: { evt: 'beep', kind: 'error' } };
    expect(flowShownAfter([display(1), state(2, 'idle'), beep], 1)).to.equal(false);
    expect(flowShownAfter([display(1), state(2, 'online'), state(4, 'idle')], 1)).to.equal(true);
    expect(flowShownAfter([display(1), display(2)], 1)).to.equal(true);
    expect(flowShownAfter([{ seq: 2, dir: 'tx' as const, message: { evt: 'display' } }], 1)).to.equal(false);
  });

  test('the final screens after the mark give the outcomes; earlier frames and harness frames do not count', () => {
    const frames = [
      display(1, { result: 'approved', responseCode: '00' }),
      { seq: 2, dir: 'tx' as const, message: { evt: 'display', outcome: { result: 'done' } } },
      display(3),
      display(4, { result: 'not-signed-on', transaction: 'preauth-void' }),
      display(5, { result: 'done' }),
      display(6, { result: 7 }),
    ];
    expect(outcomesAfter(frames, 1)).to.deep.equal([{ result: 'not-signed-on', transaction: 'preauth-void' }, { result: 'done' }]);
    expect(outcomesAfter(frames, 5)).to.deep.equal([]);
  });

  test('a kind is named when it ended in success or showed no final screen; any refusal passes', () => {
    expect(
      notRefusedForSignOn([
        { kind: 'sale', outcomes: [{ result: 'not-signed-on' }] },
        { kind: 'void', outcomes: [{ result: 'failed' }] },
        { kind: 'refund', outcomes: [{ result: 'x-no-batch' }] },
        { kind: 'balance', outcomes: [{ result: 'not-signed-on' }, { result: 'approved' }] },
        { kind: 'preauth-void', outcomes: [{ result: 'done' }] },
        { kind: 'pre-auth', outcomes: [] },
      ]),
    ).to.deep.equal([
      'balance: final screens with outcome not-signed-on, approved, not a refusal',
      'preauth-void: final screens with outcome done, not a refusal',
      'pre-auth: no final screen carrying an outcome, not a refusal',
    ]);
    expect(notRefusedForSignOn([{ kind: 'sale', outcomes: [{ result: 'card-error' }] }])).to.deep.equal([]);
  });

  test('the menu financial kinds: one per menu entry, 追加预授权 only when offered, no advice or reversal', () => {
    expect(menuFinancialKinds(false)).to.deep.equal([
      'sale',
      'bill-payment',
      'void',
      'refund',
      'balance',
      'preauth',
      'preauth-void',
      'preauth-completion',
    ]);
    expect(menuFinancialKinds(true)).to.include('preauth-add');
  });
});
