// Magstripe fallback as the harness judges it (drivers/fallback.ts): the request's fallback markers
// (both spellings of the reference), the wordings by meaning, and the waits that read the terminal's
// reaction to a dead chip (swipe invited, card taken out) or to a chip card swiped first (请插卡).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  awaitCardPromptAgain,
  awaitSwipeInvitation,
  awaitUseChipRefusal,
  fallbackInvitations,
  fallbackMarkerProblems,
  swipeWordingOn,
  useChipWordingOn,
  withDeadChip,
  type SeenScreen,
} from '../../drivers/fallback';

const TRACK2 = '6200000000000047=31122200000000000000';

describe('fallback markers of a request (cup8583.md §2.3, §2.4)', () => {
  test('F22 80x, or 02x with 60.5 = 2, with track 2 and no F55, says fallback', () => {
    expect(fallbackMarkerProblems({ 22: '801', 35: TRACK2, 60: '2200000100052' })).to.deep.equal([]);
    expect(fallbackMarkerProblems({ 22: '021', 35: TRACK2, 60: '2200000100052' })).to.deep.equal([]);
  });

  test('a plain swipe (021, 60.5 = 0) does not, and names what it lacks', () => {
    const problems = fallbackMarkerProblems({ 22: '021', 35: TRACK2, 60: '2200000100050' });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/F22 021 with 60\.5 0 does not say fallback/);
  });

  test('chip data or a missing track 2 is wrong for a fallback swipe', () => {
    const problems = fallbackMarkerProblems({ 22: '801', 55: '9F2608…', 60: '2200000100052' });
    expect(problems.join('; '))
      .to.match(/track 2 \(F35\)/)
      .and.to.match(/F55 is present/);
  });

  test('an undecodable F60 is named', () => {
    expect(fallbackMarkerProblems({ 22: '021', 35: TRACK2, 60: 'XX' })[0]).to.match(/F60 "XX" does not decode/);
  });
});

describe('wordings and the dead-chip card image', () => {
  test('swipe and use-chip wordings are found whatever the spacing', () => {
    expect(swipeWordingOn(['消费', 'IC卡读卡失败', '降级交易 请刷卡'])).to.equal('请刷卡');
    expect(swipeWordingOn(['SALE', 'Fallback: please swipe'])).to.equal('SWIPE');
    expect(useChipWordingOn(['消费', '请插入IC卡'])).to.equal('请插入IC卡');
    expect(useChipWordingOn(['请 插 卡'])).to.equal('请插卡');
    expect(useChipWordingOn(['交易成功'])).to.equal(undefined);
  });

  test('the generic card prompt is neither a swipe invitation nor a refusal, unless it says the read failed', () => {
    expect(swipeWordingOn(['消费', '金额:66.00', '请刷卡/插卡/挥卡'])).to.equal(undefined);
    expect(useChipWordingOn(['消费', '金额:66.00', '请刷卡/插卡/挥卡'])).to.equal(undefined);
    expect(swipeWordingOn(['SWIPE/INSERT/TAP CARD'])).to.equal(undefined);
    expect(swipeWordingOn(['读卡失败', '请刷卡/插卡/挥卡'])).to.equal('请刷卡');
    expect(useChipWordingOn(['降级交易 请刷卡'])).to.equal(undefined);
  });

  test('withDeadChip marks the image mute and keeps the rest', () => {
    const image = { pan: '6200000000000047', expiry: '3112', serviceCode: '220' };
    expect(withDeadChip(image)).to.deep.equal({ ...image, chipFault: 'mute' });
    expect(image).to.not.have.property('chipFault');
  });
});

/** A terminal seen through a list of screens that grows, with a card slot. */
function fakeTerminal(screens: SeenScreen[], inSlot = true) {
  const view = {
    cardInSlot: inSlot,
    removed: 0,
    screens: () => screens,
    removeCard: async () => {
      view.cardInSlot = false;
      view.removed++;
    },
  };
  return view;
}

describe('waiting for the reaction to the card', () => {
  test('a swipe invitation with the card still in: the card is taken out to swipe', async () => {
    const t = fakeTerminal([
      { state: 'card-read', lines: ['处理中'] },
      { state: 'card-wait', lines: ['消费', '降级交易 请刷卡'] },
    ]);
    const v = await awaitSwipeInvitation(t, 1000);
    expect(v).to.deep.equal({ wording: '请刷卡', problems: [] });
    expect(t.removed).to.equal(1);
  });

  test('请拔卡 first: the card comes out, then the invitation that follows counts', async () => {
    const screens: SeenScreen[] = [{ state: 'card-wait', lines: ['读卡失败', '请拔卡'] }];
    const t = fakeTerminal(screens);
    setTimeout(() => screens.push({ state: 'card-wait', lines: ['PLEASE SWIPE'] }), 150);
    const v = await awaitSwipeInvitation(t, 2000);
    expect(v.wording).to.equal('SWIPE');
    expect(t.removed).to.equal(1);
  });

  test('going on to the PIN without inviting a swipe is a failure, named at once', async () => {
    const t = fakeTerminal([{ state: 'pin-entry', lines: ['请输入密码'] }]);
    const started = Date.now();
    const v = await awaitSwipeInvitation(t, 5000);
    expect(Date.now() - started).to.be.lessThan(1000);
    expect(v.problems[0]).to.match(/went to pin-entry without inviting a swipe/);
  });

  test('silence until the timeout is a failure that lists the screens', async () => {
    const v = await awaitSwipeInvitation(fakeTerminal([{ state: 'card-read', lines: ['处理中'] }]), 200);
    expect(v.problems[0]).to.match(/no screen invited a swipe.*\[card-read\] 处理中/);
  });

  test('a chip card swiped first: 请插卡 passes, going on to the PIN fails', async () => {
    expect(await awaitUseChipRefusal(fakeTerminal([{ state: 'card-wait', lines: ['消费', '请插入IC卡'] }]), 500)).to.deep.equal({
      wording: '请插入IC卡',
      problems: [],
    });
    const v = await awaitUseChipRefusal(fakeTerminal([{ state: 'pin-entry', lines: ['请输入密码'] }]), 500);
    expect(v.problems[0]).to.match(/the swiped chip card was taken \(the terminal went to pin-entry\)/);
    const silent = await awaitUseChipRefusal(fakeTerminal([]), 150);
    expect(silent.problems[0]).to.match(/no screen sent the cardholder to the chip/);
  });
});

describe('a person presenting the card (operator binding)', () => {
  test('a mute chip is asked for as the dead-chip test copy of the card; its swipe is an ordinary swipe', async () => {
    const { OperatorCardPresenter } = await import('../../drivers/presenters');
    const asked: string[] = [];
    const console = {
      ask: async (r: { instruction: string }) => {
        asked.push(r.instruction);
        return 'operator';
      },
    };
    const presenter = new OperatorCardPresenter(console as never, async () => undefined);
    const image = withDeadChip({ name: 'UP-DEBIT-IC', pan: '6200000000000047', expiry: '3112', serviceCode: '220' });
    await presenter.present(image, 'insert');
    await presenter.present(image, 'swipe');
    expect(asked[0]).to.equal('Insert card UP-DEBIT-IC (its dead-chip test copy: a card whose chip does not answer) into the chip reader.');
    expect(asked[1]).to.equal('Swipe card UP-DEBIT-IC through the magnetic stripe reader.');
  });
});

describe('screens inviting a fallback swipe while no chip read failed', () => {
  test('the generic card prompt and 请插卡 invite none; a failed read with 请刷卡 does', () => {
    const screens: SeenScreen[] = [
      { state: 'card-wait', lines: ['消费', '请刷卡/插卡/挥卡'] },
      { state: 'card-wait', lines: ['消费', '请插入IC卡'] },
    ];
    expect(fallbackInvitations(screens)).to.deep.equal([]);
    const invited = fallbackInvitations([...screens, { state: 'card-wait', lines: ['消费', 'IC卡读卡失败', '请刷卡/插卡/挥卡'] }]);
    expect(invited).to.have.length(1);
    expect(invited[0]).to.match(/IC卡读卡失败/);
  });

  // The test's own timeout guards against a wait that ignores the terminal's return to the prompt.
  test('awaitCardPromptAgain returns once the terminal left the card prompt and came back to one', { timeout: 10_000 }, async () => {
    const seen: SeenScreen[] = [{ state: 'card-wait', lines: ['请刷卡/插卡/挥卡'] }];
    setTimeout(() => seen.push({ state: 'card-read', lines: ['处理中'] }, { state: 'card-wait', lines: ['请插入IC卡'] }), 100);
    await awaitCardPromptAgain({ screens: () => seen }, 60_000);
    expect(seen.map((s) => s.state)).to.deep.equal(['card-wait', 'card-read', 'card-wait']);
  });
});
