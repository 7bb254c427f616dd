/**
 * Voucher copies collected from `print` events. A UnionPay sale prints a merchant copy (with the
 * signature line) and a cardholder copy; steps wait for N copies and then check their contents.
 */
import { iccValues, type TransactionKind } from '../protocol/iso8583';
import { TerminalExpectationError } from './errors';
import { FINANCIAL_KINDS, replyTo, type HostMessage } from './host-view';

export interface VoucherCopy {
  /** 'merchant' | 'cardholder' | 'bank' | 'settlement' | 'fault' (vendor values pass through). */
  copy: string;
  lines: string[];
  reprint: boolean;
  trace?: string;
  /** Wall-clock time of the print event. */
  at: number;
}

interface Waiter {
  count: number;
  resolve: (v: VoucherCopy[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class VoucherCollector {
  private readonly copies: VoucherCopy[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Copies before this index belong to earlier steps (see mark()). */
  private base = 0;

  constructor(
    private readonly mask: (t: string) => string = (t) => t,
    private readonly now: () => number = Date.now,
  ) {}

  onPrint(evt: { copy?: unknown; lines?: unknown; reprint?: unknown; trace?: unknown }): void {
    const copy: VoucherCopy = {
      copy: typeof evt.copy === 'string' ? evt.copy : 'unknown',
      lines: Array.isArray(evt.lines) ? evt.lines.map((l) => String(l)) : [],
      reprint: evt.reprint === true,
      trace: typeof evt.trace === 'string' ? evt.trace : undefined,
      at: this.now(),
    };
    this.copies.push(copy);
    for (const w of [...this.waiters]) {
      if (this.copies.length - this.base >= w.count) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(this.since());
      }
    }
  }

  /** Starts a new collection window: receipts() and waitFor() only count copies printed later. */
  mark(): void {
    this.base = this.copies.length;
  }

  /** Copies printed since the last mark() (by default: since the driver connected). */
  since(): VoucherCopy[] {
    return this.copies.slice(this.base).map((c) => ({ ...c, lines: c.lines.slice() }));
  }

  /** Every copy printed since connect, marks ignored. */
  all(): VoucherCopy[] {
    return this.copies.map((c) => ({ ...c, lines: c.lines.slice() }));
  }

  waitFor(count: number, timeoutMs: number): Promise<VoucherCopy[]> {
    if (this.copies.length - this.base >= count) return Promise.resolve(this.since());
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          const got = this.since();
          reject(
            new TerminalExpectationError(
              `The terminal printed ${got.length} voucher cop${got.length === 1 ? 'y' : 'ies'} within ${timeoutMs} ms, expected ${count}` +
                (got.length ? `: ${got.map((c) => c.copy + (c.reprint ? ' (reprint)' : '')).join(', ')}` : ''),
              {
                expected: count,
                printed: got.map((c) => ({ copy: c.copy, reprint: c.reprint, trace: c.trace, lines: c.lines.map(this.mask) })),
                timeoutMs,
              },
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  failAll(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}

/** Voucher text with layout spacing removed, for finding values wherever the layout puts them. */
export function voucherText(c: Pick<VoucherCopy, 'lines'>): string {
  return c.lines.join('\n').replace(/[ \t\u3000]+/g, '');
}

/** An amount in fen as vouchers print it: 元 with two decimals, thousands grouped or not (1,234.50 / 1234.50). */
export function amountPattern(fen: number): RegExp {
  const yuan = String(Math.trunc(fen / 100));
  const cents = String(fen % 100).padStart(2, '0');
  const grouped = yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ',?');
  return new RegExp(`(^|[^0-9.,])${grouped}\\.${cents}(?![0-9])`, 'm');
}

// ------------------------------------------------------------------ what a copy shows (steps judge copies with these)

/** The copies of a transaction voucher (a settlement slip or a fault print is not one). */
export const TRANSACTION_COPIES: readonly string[] = ['merchant', 'cardholder', 'bank'];

/** How each transaction copy names itself, in Chinese or English. */
export const COPY_LABELS: Readonly<Record<string, RegExp>> = {
  merchant: /商户存根|MERCHANT COPY/i,
  bank: /银行存根|BANK COPY/i,
  cardholder: /持卡人存根|CARDHOLDER COPY/i,
};

const SIGNATURE_LINE = /持卡人签名|CARDHOLDER SIGNATURE|CARD HOLDER SIGNATURE/i;

/** The transaction copies among the printed ones, in print order. */
export function transactionCopies(printed: readonly VoucherCopy[]): VoucherCopy[] {
  return printed.filter((c) => TRANSACTION_COPIES.includes(c.copy));
}

/** A copy as a failure message shows it (its lines; the caller masks card numbers). */
export function describeCopy(c: Pick<VoucherCopy, 'copy' | 'lines'>): string {
  return `${c.copy} copy:\n    ${c.lines.join('\n    ')}`;
}

/** Does the copy print the text, wherever the layout puts spaces? */
export function showsText(c: Pick<VoucherCopy, 'lines'>, text: string): boolean {
  return voucherText(c).includes(text.replace(/\s+/g, ''));
}

export function showsAmount(c: Pick<VoucherCopy, 'lines'>, fen: number): boolean {
  return amountPattern(fen).test(c.lines.join('\n'));
}

/**
 * Is the amount printed negated on some line: a minus before it, with the currency between or not
 * (-58.00, RMB:-58.00, RMB -58.00, -RMB 58.00, ¥-58.00)? §6 prints RMB:<amount>; a terminal may print
 * what goes back to the card negated (see givesBackToCard), a charge never.
 */
export function showsAmountNegated(c: Pick<VoucherCopy, 'lines'>, fen: number): boolean {
  const amount = new RegExp(amountPattern(fen).source, 'g');
  const negated = /-[ \t]*(?:¥|￥|RMB|CNY)?[ \t]*[:：]?[ \t]*$/i;
  return c.lines.some((line) => [...line.matchAll(amount)].some((m) => negated.test(line.slice(0, m.index + m[1].length))));
}

/**
 * Does a request with this processing code (F3) give money back to the card? §3.1: 20xxxx is a void,
 * a refund, a pre-auth void or a completion void; 00xxxx / 03xxxx charge the card or hold its funds.
 */
export function givesBackToCard(processingCode: string | undefined): boolean {
  return processingCode?.startsWith('20') ?? false;
}

/** §6's issuer line, 发卡行(ISSUER) (WIZ: 发卡行号(ISS NO)), not the 备注 line 发卡行返回 (the issuer's 63.2 text). */
const ISSUER_LABEL = /发卡行(?!返回)|ISSUER|ISS\.? ?NO/i;

/**
 * Does the copy name the card's issuer (§6: 发卡行(ISSUER):<bank name from 44.1>)? The label with a
 * value after it, on its line or alone on the next: a terminal prints the bank's name or its code.
 */
export function showsIssuer(c: Pick<VoucherCopy, 'lines'>): boolean {
  const value = (text: string) => text.replace(/[(（][^)）]*[)）]/g, '').replace(/[\s:：]/g, '');
  return c.lines.some((line, i) => {
    const m = ISSUER_LABEL.exec(line);
    if (!m) return false;
    if (value(line.slice(m.index + m[0].length)) !== '') return true;
    const next = c.lines[i + 1]?.trim() ?? '';
    return next !== '' && !/^-+$/.test(next) && !/[:：]$/.test(next);
  });
}

/**
 * A figure row of a slip (§6: 类型 笔数 金额, e.g. 消费/SALE): the type label, the count and the
 * amount on one line, or the label and count on the line just above the amount (a two-line layout).
 */
export function showsFigures(c: Pick<VoucherCopy, 'lines'>, label: RegExp, count: number, fen: number): boolean {
  // Neither the count nor the amount may be negative: a row of -2 / -20.00 is not the host's 2 / 20.00.
  const amount = new RegExp(amountPattern(fen).source.replace('(^|[^0-9.,])', '(^|[^0-9.,-])'), 'm');
  const countOn = (line: string | undefined) => line !== undefined && new RegExp(`(^|[^0-9.,-])${count}(?![0-9.,])`).test(line.replace(amount, ' '));
  const labelled = (line: string | undefined) => line !== undefined && label.test(line);
  // Two lines: a label line with no figures of its own, then a line of figures with no label (no 汉字).
  const labelLine = (line: string | undefined) => labelled(line) && !/\d\.\d{2}/.test(line!);
  return c.lines.some(
    (line, i) =>
      amount.test(line) &&
      ((labelled(line) && countOn(line)) ||
        (labelLine(c.lines[i - 1]) && !/[\u4e00-\u9fff]/.test(line) && (countOn(line) || countOn(c.lines[i - 1])))),
  );
}

/** §6's label of the sales row of a settlement slip (消费/SALE), not a void of a sale (消费撤销 / 撤销). */
export const SLIP_SALE_ROW = /^(?!.*撤销)(?!.*VOID).*(消费|SALE)/i;

export function hasSignatureLine(c: Pick<VoucherCopy, 'lines'>): boolean {
  return c.lines.some((l) => SIGNATURE_LINE.test(l));
}

/** Is the copy labelled as the copy it claims to be (商户存根 for the merchant copy …)? */
export function isLabelledAs(c: Pick<VoucherCopy, 'lines'>, copy: string): boolean {
  const label = COPY_LABELS[copy];
  return label !== undefined && c.lines.some((l) => label.test(l));
}

/** A card number as a voucher must print it: first 6, the middle as asterisks, last 4. */
export function maskedPanShape(pan: string): string {
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

export function showsMaskedPan(c: Pick<VoucherCopy, 'lines'>, pan: string): boolean {
  return voucherText(c).includes(maskedPanShape(pan));
}

/**
 * The card's expiry (YYMM) as §6 prints it, 卡有效期 YYYY/MM ("50".."99" → 19xx); MM/YY is accepted
 * too. A bare YYYYMM is not: it cannot be told from other digits on the copy.
 */
export function showsExpiry(c: Pick<VoucherCopy, 'lines'>, yymm: string): boolean {
  const yy = yymm.slice(0, 2);
  const mm = yymm.slice(2, 4);
  const yyyy = `${Number(yy) >= 50 ? '19' : '20'}${yy}`;
  return new RegExp(`(^|\\D)(${yyyy}[/.-]${mm}|${mm}/${yy})(\\D|$)`, 'm').test(voucherText(c));
}

/** The merchant's name, in Chinese or (where the merchant has one) in English. */
export function showsMerchantName(c: Pick<VoucherCopy, 'lines'>, merchant: { name: string; nameEn?: string }): boolean {
  return showsText(c, merchant.name) || (merchant.nameEn !== undefined && showsText(c, merchant.nameEn));
}

/** A transaction date and time (2024-05-01 12:30[:45], slashes or dashes). */
export function showsDateTime(c: Pick<VoucherCopy, 'lines'>): boolean {
  return /\d{4}[/-]\d{2}[/-]\d{2}\s*\d{2}:\d{2}(:\d{2})?/.test(c.lines.join('\n'));
}

/** Which copies these are (merchant, cardholder …), in print order. */
export function copyNames(copies: readonly Pick<VoucherCopy, 'copy'>[]): string[] {
  return copies.map((c) => c.copy);
}

/** Each copy that fails the check, described with what is wrong (empty when every copy passes). */
export function copiesFailing(copies: readonly VoucherCopy[], ok: (c: VoucherCopy) => boolean, problem: string): string[] {
  return copies.filter((c) => !ok(c)).map((c) => `${describeCopy(c)}\n${problem}`);
}

// ------------------------------------------------------------------ every figure and name of a copy against the host's records

/**
 * The amounts (fen) the host holds for the transactions of these messages: F4 of every financial
 * request and reply (a reply's F4 is a partially approved amount), and a pre-authorization's hold after
 * each approved pre-authorization and addition (§6 prints 累计金额(TOTAL) on an ADD-AUTH voucher).
 */
export function bookedAmounts(messages: readonly HostMessage[]): number[] {
  const booked = new Set<number>();
  let hold = 0;
  for (const m of messages) {
    if (!FINANCIAL_KINDS.includes(m.kind as TransactionKind)) continue;
    if (/^\d+$/.test(m.fields[4] ?? '')) booked.add(Number(m.fields[4]));
    if (m.direction !== 'in' || (m.kind !== 'preauth' && m.kind !== 'preauth-add')) continue;
    if (replyTo(messages, m)?.responseCode !== '00') continue;
    hold = (m.kind === 'preauth' ? 0 : hold) + Number(m.fields[4] ?? 0);
    booked.add(hold);
  }
  return [...booked];
}

/** §6's amount labels: 金额(AMOUNT) (WIZ: AMOUT), 累计金额 / 总计(TOTAL), 承兑金额, 小费(TIPS). */
const AMOUNT_LABEL = /金额|AMOUNT|AMOUT|TOTAL|总计|小费|TIPS/gi;
const PARENTHESISED = /[(（][^)）]*[)）]/g;
/** What is left of an amount value once the currency, signs and separators are gone: blank means space left to write in. */
const blankValue = (v: string) => v.replace(/RMB|CNY|[¥￥元:：\s_\-.,]/gi, '') === '';

/**
 * The amount lines of a copy whose value is none of the booked amounts: each labelled line's value,
 * on its line after the label or alone on the next. A value left blank (a tip to write in) passes;
 * anything else must read as one of the figures the host holds for the transaction.
 */
export function amountLinesNotBooked(c: Pick<VoucherCopy, 'lines'>, booked: readonly number[]): string[] {
  const bad: string[] = [];
  c.lines.forEach((line, i) => {
    const at = line.search(new RegExp(AMOUNT_LABEL.source, 'i'));
    if (at < 0) return;
    let value = line.slice(at).replace(PARENTHESISED, '').replace(AMOUNT_LABEL, '');
    if (blankValue(value) && c.lines[i + 1] !== undefined && !/^-+$/.test(c.lines[i + 1].trim()) && c.lines[i + 1].search(AMOUNT_LABEL) < 0) {
      value = c.lines[i + 1];
    }
    if (blankValue(value)) return;
    if (!booked.some((fen) => amountPattern(fen).test(value))) bad.push(`${line.trim()} ${value === c.lines[i + 1] ? value.trim() : ''}`.trim());
  });
  return bad;
}

/**
 * The words of §6's transaction types (消费, 消费撤销, 退货, 预授权, 预授权撤销, 预授权完成, 追加预授权 …) that set
 * the kinds apart, and those each kind's own type contains (a void, 消费撤销, shows 撤销).
 */
const KIND_WORDS = ['撤销', '退货', '预授权', '追加'] as const;
const OWN_WORDS: Partial<Record<TransactionKind, readonly string[]>> = {
  void: ['撤销'],
  refund: ['退货'],
  preauth: ['预授权'],
  'preauth-add': ['追加', '预授权'],
  'preauth-void': ['预授权', '撤销'],
  'preauth-completion': ['预授权'],
  'preauth-completion-void': ['预授权', '撤销'],
};

/**
 * A word of another kind's transaction type that the copy of this kind prints (a void voucher that
 * speaks of a pre-authorization, a sale voucher that says 退货), or undefined. Chinese only: the English
 * parts (AUTH NO …) are shared by every kind.
 */
export function otherKindNamed(c: Pick<VoucherCopy, 'lines'>, kind: TransactionKind): string | undefined {
  return otherKindWords(kind).find((w) => showsText(c, w));
}

/** The transactions that print a voucher (a 预授权撤销 too, the last one's copies are judged by kind). */
export const VOUCHER_KINDS: readonly TransactionKind[] = [
  'sale',
  'bill-payment',
  'void',
  'refund',
  'preauth',
  'preauth-add',
  'preauth-completion',
  'preauth-void',
];

/** The type words of other kinds that a copy of this kind must not print (asked of a person by hand). */
export function otherKindWords(kind: TransactionKind): string[] {
  const own = OWN_WORDS[kind] ?? [];
  return KIND_WORDS.filter((w) => !own.includes(w));
}

// ------------------------------------------------------------------ the IC block (§6 备注)

/** The EMV values an IC block prints (cup8583.md §6 备注: ARQC or TC, TVR, AID, TSI, ATC) and their length in hex digits (EMV: b8, b5, b5-16, b2, b2). */
const IC_BLOCK_LABELS: Readonly<Record<string, readonly [number, number]>> = {
  ARQC: [16, 16],
  TC: [16, 16],
  TVR: [10, 10],
  AID: [10, 32],
  TSI: [4, 4],
  ATC: [4, 4],
};
const IC_BLOCK_VALUE = /(?<![A-Za-z])(ARQC|TC|TVR|AID|TSI|ATC)[ \t]*[:：][ \t]*([0-9A-Fa-f]*)(?=\s|$)/g;

/** The labelled EMV values of a copy's IC block, label → value as printed (empty when the label has none); absent labels are not listed. */
export function icBlockOf(c: Pick<VoucherCopy, 'lines'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of c.lines) for (const m of line.matchAll(IC_BLOCK_VALUE)) if (!out.has(m[1])) out.set(m[1], m[2].toUpperCase());
  return out;
}

/** F55 of a journal message, tag → value hex (protocol/iso8583/icc-data.ts iccValues: words or BER-TLV). */
function f55Tags(m: Pick<HostMessage, 'fields'> | undefined): Map<string, string> {
  const v = m?.fields[55];
  return (v && iccValues(v)) || new Map();
}

/**
 * What a copy's IC block gets wrong against the chip data the request carried (cup8583.md §6 备注, the
 * IC contact sale / pre-auth line; §3.11): a value it labels but prints empty or in another length than
 * its EMV one, an ARQC other than the request's 9F26, an ATC other than its 9F36, an AID other than its
 * 84. Only the labels a copy prints are judged (terminals lay the block out differently; the TVR and a
 * TC may change after the second GENERATE AC, so they are judged by form). Returns the problems.
 */
export function icBlockProblems(c: Pick<VoucherCopy, 'lines'>, request?: Pick<HostMessage, 'fields'>): string[] {
  const block = icBlockOf(c);
  const sent = f55Tags(request);
  const out: string[] = [];
  for (const [label, value] of block) {
    const [min, max] = IC_BLOCK_LABELS[label];
    if (value.length < min || value.length > max || value.length % 2) {
      out.push(`${label} is printed as "${value}", not the ${min === max ? min : `${min}–${max}`} hex digits of its EMV value`);
      continue;
    }
    const tag = label === 'ARQC' ? '9F26' : label === 'ATC' ? '9F36' : label === 'AID' ? '84' : undefined;
    if (tag && sent.has(tag) && !sent.get(tag)!.includes('*') && sent.get(tag) !== value) {
      out.push(`${label} ${value} is not the ${tag} ${sent.get(tag)} the request carried in F55`);
    }
  }
  return out;
}

/** The last request of a voucher kind in `messages` that carried chip data (F55), the one a copy's IC block speaks of. */
export function lastChipRequest(messages: readonly HostMessage[]): HostMessage | undefined {
  return messages.filter((m) => m.direction === 'in' && VOUCHER_KINDS.includes(m.kind as TransactionKind) && m.fields[55]).pop();
}
