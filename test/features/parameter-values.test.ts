import { test, describe } from 'node:test';
import { expect } from 'chai';
import {
  parseAmountFen,
  formatFen,
  AMOUNT_PATTERN,
  unquote,
  QUOTED_PATTERNS,
  parseEntryMode,
  ENTRY_PATTERN,
  parseTxnKind,
  TXN_PATTERN,
  parseVoucherCopy,
  StepValueError,
  CARD_ALIAS_PATTERN,
} from '../../steps/support/parse';

const whole = (re: RegExp, s: string) => new RegExp(`^(?:${re.source})$`).test(s);

describe('step parameter values', () => {
  test('amounts in 元 with two decimals become integer 分', () => {
    expect(parseAmountFen('1.00')).to.equal(100);
    expect(parseAmountFen('0.01')).to.equal(1);
    expect(parseAmountFen('1,000.00')).to.equal(100000);
    expect(parseAmountFen('12,345.67')).to.equal(1234567);
    expect(parseAmountFen('128.50 元')).to.equal(12850);
    expect(parseAmountFen('128.50元')).to.equal(12850);
    expect(parseAmountFen('¥5.00')).to.equal(500);
    expect(parseAmountFen('9999999999.99')).to.equal(999999999999);
    for (const s of ['1,000.00', '128.50 元', '0.01', '¥5.00']) expect(whole(AMOUNT_PATTERN, s), s).to.equal(true);
  });

  test('badly written amounts are refused with a typed error that says what is expected', () => {
    for (const bad of ['1', '1.0', '1.000', '1,00.00', '1000,000.00', '01.00', '10000000000.00']) {
      expect(() => parseAmountFen(bad), bad).to.throw(StepValueError, /cannot read amount/);
    }
    try {
      parseAmountFen('1,00.00');
    } catch (e) {
      expect((e as StepValueError).code).to.equal('STEP_VALUE');
    }
  });

  test('fen are formatted back with two decimals and no separators', () => {
    expect(formatFen(1)).to.equal('0.01');
    expect(formatFen(100000)).to.equal('1000.00');
    expect(formatFen(1234567)).to.equal('12345.67');
  });

  test('quotes may be ASCII or full-width', () => {
    const [ascii, full] = QUOTED_PATTERNS;
    expect(ascii.exec('"交易成功"')?.[1]).to.equal('交易成功');
    expect(full.exec('“交易成功”')?.[1]).to.equal('交易成功');
    expect(unquote(undefined, '国网上海市电力公司')).to.equal('国网上海市电力公司');
    expect(unquote('', undefined)).to.equal('');
  });

  test('card aliases, entry modes, transaction kinds and copies in both languages', () => {
    expect(whole(CARD_ALIAS_PATTERN, 'UP-DEBIT-IC')).to.equal(true);
    expect(whole(CARD_ALIAS_PATTERN, 'debit')).to.equal(false);
    expect(['swipes', 'inserting', '挥卡'].map(parseEntryMode)).to.deep.equal(['swipe', 'insert', 'tap']);
    expect(whole(ENTRY_PATTERN, 'taps')).to.equal(true);
    expect(parseTxnKind('缴费')).to.equal('bill-payment');
    expect(parseTxnKind('bill payment')).to.equal('bill-payment');
    expect(parseTxnKind('pre-authorization completion')).to.equal('preauth-completion');
    expect(parseTxnKind('预授权完成')).to.equal('preauth-completion');
    // The catalogue's kinds: a pre-authorization void (and the void of a completion) can be named.
    expect(parseTxnKind('预授权撤销')).to.equal('preauth-void');
    expect(parseTxnKind('pre-authorization void')).to.equal('preauth-void');
    expect(parseTxnKind('pre-authorization completion void')).to.equal('preauth-completion-void');
    expect(TXN_PATTERN.exec('预授权完成撤销')?.[0]).to.equal('预授权完成撤销');
    // the longest name wins, so "预授权完成" is not read as "预授权" + "完成"
    expect(TXN_PATTERN.exec('预授权完成')?.[0]).to.equal('预授权完成');
    expect(parseVoucherCopy('持卡人存根')).to.equal('cardholder');
    expect(() => parseTxnKind('payment')).to.throw(StepValueError);
  });
});
