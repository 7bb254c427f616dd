// What a screen shows (drivers/screens.ts), as the terminal steps judge it: text with padding
// ignored, an amount with or without thousands separators, never a part of a longer number; and the
// TTP config members a step sets to switch a terminal's identity or key (drivers/terminal-settings.ts).
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { amountOnScreen, screenContains, screenMatches, screenShowsAmount } from '../../drivers/screens';
import { flippedKey, identitySettings, keyHex } from '../../drivers/terminal-settings';

const screen = (...lines: string[]) => ({ lines });

describe('screen contents', () => {
  test('text once spaces are removed: a PIN, its asterisks', () => {
    expect(screenContains(screen('请输入密码', '  * * * * * *  '), '******')).to.equal(true);
    expect(screenContains(screen('请输入密码', '****'), '******')).to.equal(false);
    expect(screenContains(screen('密码 1 2 3 4 5 6'), '123456')).to.equal(true);
    expect(screenMatches(screen('  消费  '), '消费')).to.equal(true);
  });

  test('an amount with or without separators; the pattern refuses a longer number', () => {
    expect(screenShowsAmount(screen('余额: 12,345.67'), '12345.67')).to.equal(true);
    expect(screenShowsAmount(screen('余额: 2345.67'), '12345.67')).to.equal(false);
    expect(amountOnScreen('345.67').test('余额 345.67 元')).to.equal(true);
    expect(amountOnScreen('345.67').test('余额 12345.67')).to.equal(false);
    expect(amountOnScreen('345.67').test('余额 345.678')).to.equal(false);
    expect(amountOnScreen('345.67').test('345067')).to.equal(false);
  });
});

describe('terminal settings', () => {
  const tmk = Buffer.from('0123456789abcdeffedcba9876543210', 'hex');
  const terminal = { terminalId: '10000009', merchantId: '898310048990009', tmk: { reveal: () => tmk } };

  test('identity and TMK as config members, the key in upper-case hex', () => {
    expect(identitySettings(terminal as never, 'sm4')).to.deep.equal({
      terminalId: '10000009',
      merchantId: '898310048990009',
      'x-tmk': '0123456789ABCDEFFEDCBA9876543210',
      'x-keyScheme': 'sm4',
    });
    expect(keyHex(Buffer.from([0x0a, 0xff]))).to.equal('0AFF');
  });

  test('a wrong key has every bit flipped and leaves the original alone', () => {
    expect(keyHex(flippedKey(Buffer.from([0x00, 0x0f, 0xff])))).to.equal('FFF000');
    expect(flippedKey(tmk).equals(tmk)).to.equal(false);
    expect(keyHex(tmk)).to.equal('0123456789ABCDEFFEDCBA9876543210');
  });
});
