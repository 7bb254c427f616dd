// The end-of-chip-transaction judgement (drivers/card-removal.ts): any known removal wording is
// accepted, a silent return to idle with the card in is not, and each missing part is named.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { judgeCardLeftInReader, observeCardLeft, removalWordingOn } from '../../drivers/card-removal';

describe('card removal reminder', () => {
  test('each wording terminals use means "remove the card", whatever the spacing or case', () => {
    expect(removalWordingOn(['消费', '请拔卡'])).to.equal('请拔卡');
    expect(removalWordingOn(['请 取 卡'])).to.equal('请取卡');
    expect(removalWordingOn(['交易成功', '请取走卡片!'])).to.equal('请取走卡片');
    expect(removalWordingOn(['SALE', 'Please remove card'])).to.equal('REMOVE CARD');
    expect(removalWordingOn(['交易成功', '请撕下凭条'])).to.equal(undefined);
  });

  test('a reminder with beeps and no idle while the card stays is conformant', () => {
    const v = judgeCardLeftInReader({
      screens: [
        { state: 'result', lines: ['交易成功'] },
        { state: 'result', lines: ['请取卡'] },
      ],
      beeps: 3,
    });
    expect(v).to.deep.equal({ ok: true, problems: [], wording: '请取卡' });
  });

  test('a silent return to idle with the card in names all three failures', () => {
    const v = judgeCardLeftInReader({
      screens: [
        { state: 'result', lines: ['交易成功'] },
        { state: 'idle', lines: ['欢迎使用'] },
      ],
      beeps: 0,
    });
    expect(v.ok).to.equal(false);
    expect(v.problems).to.have.length(3);
    expect(v.problems[0]).to.match(/no screen asked to remove the card/);
    expect(v.problems[1]).to.match(/no beep/);
    expect(v.problems[2]).to.match(/returned to idle with the card still in the reader/);
  });

  test('a reminder without beeps is not enough', () => {
    const v = judgeCardLeftInReader({ screens: [{ state: 'result', lines: ['请拔卡'] }], beeps: 0 });
    expect(v.ok).to.equal(false);
    expect(v.problems).to.deep.equal(['no beep while the card stayed in the reader']);
  });
});

describe('observing a card left in the reader from the transcript', () => {
  test('screens and non-key beeps after the mark are collected; earlier frames, key echoes and sent frames are not', () => {
    const frames = [
      { seq: 1, dir: 'rx' as const, message: { evt: 'beep', kind: 'alert' } },
      { seq: 2, dir: 'rx' as const, message: { evt: 'display', state: 'result', lines: ['交易成功', '请拔卡'] } },
      { seq: 3, dir: 'rx' as const, message: { evt: 'beep', kind: 'alert' } },
      { seq: 4, dir: 'rx' as const, message: { evt: 'beep', kind: 'key' } },
      { seq: 5, dir: 'tx' as const, message: { cmd: 'screen' } },
      { seq: 6, dir: 'rx' as const, message: { evt: 'state', state: 'idle' } },
    ];
    const seen = observeCardLeft(frames, 1);
    expect(seen.beeps).to.equal(1);
    expect(seen.screens).to.deep.equal([
      { state: 'result', lines: ['交易成功', '请拔卡'] },
      { state: 'idle', lines: [] },
    ]);
    expect(judgeCardLeftInReader(seen).problems).to.have.length(1);
  });
});
