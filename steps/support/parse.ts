// Pure parsing of the values step sentences carry: amounts in 元, card aliases, entry modes,
// transaction names and voucher copies, in English and 简体中文. No I/O: unit-tested on its own.
// Transactions are the catalogue's kinds (protocol/iso8583 catalogue, through drivers/): only the
// words a sentence uses for them are written here.
import { PoscertError, type TransactionKind } from '../../drivers';

export class StepValueError extends PoscertError {
  constructor(kind: string, text: string, expected: string) {
    super('STEP_VALUE', `cannot read ${kind} from "${text}": expected ${expected}`, { kind, text, expected });
  }
}

/** Matches what may be an amount; `parseAmountFen` then validates the digit grouping. */
export const AMOUNT_PATTERN = /(?:¥|￥|RMB ?|CNY ?)?\d[\d,]*\.\d{2}(?: ?元)?/;

/**
 * An amount in 元 written with exactly two decimals, optionally with thousands separators and a
 * currency mark (`1.00`, `1,000.00`, `¥12.50`, `128.50 元`), as integer 分 (fen).
 */
export function parseAmountFen(text: string): number {
  const m = /^(?:¥|￥|RMB ?|CNY ?)?(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})(?: ?元)?$/.exec(text.trim());
  if (!m) throw new StepValueError('amount', text, 'yuan with two decimals, e.g. 1.00 or 1,000.00');
  const yuan = m[1].replace(/,/g, '');
  if (yuan.length > 1 && yuan.startsWith('0')) throw new StepValueError('amount', text, 'no leading zeros');
  const fen = Number(yuan) * 100 + Number(m[2]);
  if (!Number.isSafeInteger(fen) || fen > 999_999_999_999) {
    throw new StepValueError('amount', text, 'at most 12 digits of fen (field 4 is n12)');
  }
  return fen;
}

/** 12345 fen → "123.45" (no separators), the form field 4 and vouchers are compared in. */
export function formatFen(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** Card aliases name entries of the card book (scenarios/cards.yaml), e.g. UP-DEBIT-IC. */
export const CARD_ALIAS_PATTERN = /[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+/;

/** Quoted text: ASCII double quotes or full-width “…” (Chinese input methods type the latter). */
export const QUOTED_PATTERNS = [/"([^"]*)"/, /“([^”]*)”/];
export function unquote(...groups: (string | undefined | null)[]): string {
  const value = groups.find((g) => g !== undefined && g !== null);
  if (value === undefined || value === null) throw new StepValueError('quoted text', '', '"…" or “…”');
  return value;
}

export type EntryMode = 'swipe' | 'insert' | 'tap';
const ENTRY_WORDS: Record<string, EntryMode> = {
  swipe: 'swipe',
  swipes: 'swipe',
  swiping: 'swipe',
  刷卡: 'swipe',
  insert: 'insert',
  inserts: 'insert',
  inserting: 'insert',
  插卡: 'insert',
  tap: 'tap',
  taps: 'tap',
  tapping: 'tap',
  挥卡: 'tap',
};
export const ENTRY_PATTERN = new RegExp(
  Object.keys(ENTRY_WORDS)
    .sort((a, b) => b.length - a.length)
    .join('|'),
);
export function parseEntryMode(text: string): EntryMode {
  const mode = ENTRY_WORDS[text];
  if (!mode) throw new StepValueError('card entry', text, Object.keys(ENTRY_WORDS).join(', '));
  return mode;
}

/** The English and Chinese names step sentences give the catalogue's transaction kinds. */
const TXN_WORDS: Record<string, TransactionKind> = {
  'sign-on': 'sign-on',
  'sign-off': 'sign-off',
  'echo test': 'echo',
  'parameter download': 'parameter-download',
  sale: 'sale',
  'bill payment': 'bill-payment',
  void: 'void',
  refund: 'refund',
  'balance inquiry': 'balance',
  'pre-authorization completion void': 'preauth-completion-void',
  'pre-authorization completion': 'preauth-completion',
  'pre-authorization void': 'preauth-void',
  'pre-authorization': 'preauth',
  'additional pre-authorization': 'preauth-add',
  reversal: 'reversal',
  settlement: 'settlement',
  'batch upload end': 'batch-upload-end',
  'batch upload': 'batch-upload',
  签到: 'sign-on',
  签退: 'sign-off',
  回响测试: 'echo',
  参数下载: 'parameter-download',
  消费: 'sale',
  缴费: 'bill-payment',
  撤销: 'void',
  退货: 'refund',
  余额查询: 'balance',
  预授权完成撤销: 'preauth-completion-void',
  预授权完成: 'preauth-completion',
  预授权撤销: 'preauth-void',
  预授权: 'preauth',
  追加预授权: 'preauth-add',
  冲正: 'reversal',
  结算: 'settlement',
  批上送结束: 'batch-upload-end',
  批上送: 'batch-upload',
};
export const TXN_PATTERN = new RegExp(
  Object.keys(TXN_WORDS)
    .sort((a, b) => b.length - a.length)
    .join('|'),
);
export function parseTxnKind(text: string): TransactionKind {
  const kind = TXN_WORDS[text];
  if (!kind) throw new StepValueError('transaction kind', text, Object.keys(TXN_WORDS).join(', '));
  return kind;
}

export type VoucherCopy = 'merchant' | 'cardholder' | 'bank';
const COPY_WORDS: Record<string, VoucherCopy> = {
  merchant: 'merchant',
  cardholder: 'cardholder',
  bank: 'bank',
  商户存根: 'merchant',
  持卡人存根: 'cardholder',
  银行存根: 'bank',
};
export const COPY_PATTERN = new RegExp(Object.keys(COPY_WORDS).join('|'));
export function parseVoucherCopy(text: string): VoucherCopy {
  const copy = COPY_WORDS[text];
  if (!copy) throw new StepValueError('voucher copy', text, Object.keys(COPY_WORDS).join(', '));
  return copy;
}
