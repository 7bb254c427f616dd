// The TTP §7.6 outcome read from recorded frames (drivers/flow-outcome.ts), the list of menu financial
// kinds a case tries (drivers/host-view.ts menuFinancialKinds), and the judgement that a terminal whose
// sign-on failed refuses each of them as not signed on.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { firstOutcomeAfter, notRefusedForSignOn } from '../../drivers/flow-outcome';
import { menuFinancialKinds } from '../../drivers/host-view';

const display = (seq: number, outcome?: unknown) => ({
  seq,
  dir: 'rx' as const,
  message: { evt: 'display', lines: ['x'], ...(outcome ? { outcome } : {}) },
});

describe('flow outcome', () => {
  test('the first final screen after the mark gives the outcome; earlier frames and harness frames do not count', () => {
    const frames = [
      display(1, { result: 'approved', responseCode: '00' }),
      { seq: 2, dir: 'tx' as const, message: { evt: 'display', outcome: { result: 'done' } } },
      display(3),
      display(4, { result: 'not-signed-on', transaction: 'preauth-void' }),
      display(5, { result: 'done' }),
    ];
    expect(firstOutcomeAfter(frames, 1)).to.deep.equal({ result: 'not-signed-on', transaction: 'preauth-void' });
    expect(firstOutcomeAfter(frames, 5)).to.equal(undefined);
    expect(firstOutcomeAfter([display(1, { result: 7 })], 0)).to.equal(undefined);
  });

  test('each kind that did not end not-signed-on is named, with how it ended', () => {
    expect(
      notRefusedForSignOn([
        { kind: 'sale', outcome: { result: 'not-signed-on' } },
        { kind: 'preauth-void', outcome: { result: 'failed' } },
        { kind: 'refund', outcome: undefined },
      ]),
    ).to.deep.equal([
      'preauth-void: ended with outcome failed, not not-signed-on',
      'refund: ended without a final screen carrying an outcome, not not-signed-on',
    ]);
    expect(notRefusedForSignOn([{ kind: 'sale', outcome: { result: 'not-signed-on' } }])).to.deep.equal([]);
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
