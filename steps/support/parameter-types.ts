// Cucumber parameter types shared by the English and the 简体中文 phrasings.
import { defineParameterType } from '@cucumber/cucumber';
import {
  AMOUNT_PATTERN,
  CARD_ALIAS_PATTERN,
  COPY_PATTERN,
  ENTRY_PATTERN,
  QUOTED_PATTERNS,
  TXN_PATTERN,
  parseAmountFen,
  parseEntryMode,
  parseTxnKind,
  parseVoucherCopy,
  unquote,
} from './parse';

/** {amount}: 元 with two decimals (1.00, 1,000.00, 128.50 元) → integer 分. */
defineParameterType({ name: 'amount', regexp: AMOUNT_PATTERN, transformer: (s: string) => parseAmountFen(s) });

/** {card}: an alias of the card book (scenarios/cards.yaml), resolved by the World. */
defineParameterType({ name: 'card', regexp: CARD_ALIAS_PATTERN, transformer: (s: string) => s });

/** {text}: "ASCII quotes" or “full-width quotes” (what Chinese input methods type). */
defineParameterType({
  name: 'text',
  regexp: QUOTED_PATTERNS,
  transformer: (...groups: (string | undefined)[]) => unquote(...groups),
});

/** {entry}: swipes / inserts / taps (and -ing forms), 刷卡 / 插卡 / 挥卡 → 'swipe' | 'insert' | 'tap'. */
defineParameterType({ name: 'entry', regexp: ENTRY_PATTERN, transformer: (s: string) => parseEntryMode(s) });

/** {txn}: a transaction kind by its English or Chinese name (sale / 消费, bill payment / 缴费, …). */
defineParameterType({ name: 'txn', regexp: TXN_PATTERN, transformer: (s: string) => parseTxnKind(s) });

/** {copy}: merchant / cardholder / bank, 商户存根 / 持卡人存根 / 银行存根. */
defineParameterType({ name: 'copy', regexp: COPY_PATTERN, transformer: (s: string) => parseVoucherCopy(s) });
