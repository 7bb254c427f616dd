/**
 * The fields cup8583.md §6 makes every slip carry, judged on every slip of every case against the
 * host's own records (issue 14: a slip field missing, empty, mislabelled or present where it must not
 * be is one bug class, caught wherever a case happens to print one):
 *
 * - a transaction copy (merchant / bank / cardholder), tied to its request by its trace number
 *   (drivers/signature-waiver traceOfCopy): 商户编号 = F42, 终端编号 = F41, 批次号 = 60.2, 凭证号 = F11,
 *   授权码 = the reply's F38 (when it has one), 参考号 = the reply's F37, each under its label (Chinese, or
 *   the English / WIZ wording §6 gives), with the value on the label's line or alone on the next; the
 *   card number (卡号) of the request, its transaction type and no other's, a date and time, an amount
 *   (金额) that is one the host booked; 外卡组织 exactly when the reply's 63.1 is not CUP (§6:
 *   "only if 63.1 ≠ CUP"), naming that organisation; and, on the first print of a copy (no copy of that
 *   name and trace printed before it in the case), no reprint mark: §6 prints ****重打印/DUPLICATED****
 *   "reprint only", and TTP §7.2's `reprint` says whether a print event is one. A reprint itself must
 *   carry the mark (CUP-VOU-004);
 * - a settlement slip: 商户编号, 终端编号 and 批次号 of a 0500 of the case, and labelled counts and
 *   amounts. The 内卡 / 外卡 result it may state is judged with the screens' by
 *   drivers/settlement-result.ts (a terminal need not state it; what it states must be the 0510's).
 *   A 退货/REFUND row of its 内卡 part (§6, LY PrtTransTotal), when it prints one with figures, shows the
 *   count and total of the refunds the host approved in that batch (whole batch, earlier cases too): a
 *   terminal need not print the row, but a row it prints may not misstate the batch (issue 14, seed 18).
 *
 * A fault slip (printed when a reversal finally fails) is not judged: it is LY's practice (§3.8), not a
 * slip every terminal prints. Layout, spacing, grouping and the bilingual parts are the terminal's;
 * only a labelled value is required. A copy that names no request the host saw is not judged. Pure.
 */
import { DOMESTIC_CARD_ORGANISATION, type TransactionKind } from '../protocol/iso8583';
import { approvedOfBatch, batchOf, cardOrganisationOf, replyTo, FINANCIAL_KINDS, type HostMessage } from './host-view';
import { traceOfCopy } from './signature-waiver';
import {
  amountLinesNotBooked,
  bookedAmounts,
  describeCopy,
  otherKindNamed,
  showsDateTime,
  showsFigures,
  TRANSACTION_COPIES,
  voucherText,
  type VoucherCopy,
} from './vouchers';

/** A §6 field: what it is, and its label in the wordings §6 gives (LY bilingual, its Chinese-only mode, WIZ). */
interface SlipField {
  name: string;
  label: RegExp;
}

const MERCHANT_NO: SlipField = { name: '商户编号 (MERCHANT NO)', label: /商户编号|商户号|MERCHANT\s*(?:NO|ID|NUMBER)/i };
const TERMINAL_NO: SlipField = { name: '终端编号 (TERMINAL NO)', label: /终端编号|终端号|TERMINAL\s*(?:NO|ID|NUMBER)/i };
const BATCH_NO: SlipField = { name: '批次号 (BATCH NO)', label: /批次号|BATCH\s*(?:NO|NUMBER)/i };
/** Not the 备注 line 原凭证号 of what a void names. */
const VOUCHER_NO: SlipField = { name: '凭证号 (VOUCHER NO)', label: /(?<!原)凭证号|VOUCHER\s*(?:NO|NUMBER)|TRACE\s*NO/i };
/** Not the 备注 lines 预授权码 / 原预授权码 of what a completion or a void names (their English is AUTH NO too: any line may hold the value). */
const AUTH_NO: SlipField = { name: '授权码 (AUTH NO)', label: /(?<![预原])授权码|AUTH\.?\s*(?:NO|CODE)/i };
/** Not the 备注 line 原参考号 (REFER NO) of what a refund names. */
const REF_NO: SlipField = { name: '交易参考号 (REF. NO)', label: /(?<!原)参考号|REF\.?\s*NO/i };
const CARD_ORGANISATION = /外卡组织|CARD\s*ORG/i;
/** §6's reprint mark ****重打印/DUPLICATED****, in its Chinese or its English part. */
const REPRINT_MARK = /重打印|DUPLICATED/i;
/**
 * How a slip labels its counts and its amounts: §6's settlement header (笔数/SUM, 金额/AMOUNT), or a
 * unit beside each figure (2笔, RMB 100.00, 100.00元). Layout is the terminal's; unlabelled figures
 * are not, as nobody could tell a count from an amount.
 */
const COUNT_COLUMN = /笔|SUM|COUNT/i;
const AMOUNT_COLUMN = /金额|AMOUNT|AMOUT|RMB|CNY|[¥￥元]/i;

const PARENTHESISED = /[(（][^)）]*[)）]/g;
const RULE_LINE = /^[-=*_\s]*$/;

/** What follows a label on its line: the parenthesised English and the colon gone, spaces removed. */
function afterLabel(line: string, at: number, length: number): string {
  return line
    .slice(at + length)
    .replace(PARENTHESISED, '')
    .replace(/^[\s:：]+/, '')
    .replace(/\s+/g, '');
}

/** The values a copy prints under a label: after it on its line, else the next line when that is a bare value (no label of its own). */
export function labelledValues(c: Pick<VoucherCopy, 'lines'>, label: RegExp): string[] {
  const out: string[] = [];
  c.lines.forEach((line, i) => {
    const m = new RegExp(label.source, label.flags.replace('g', '')).exec(line);
    if (!m) return;
    const value = afterLabel(line, m.index, m[0].length);
    if (value !== '') return void out.push(value);
    const next = c.lines[i + 1];
    if (next !== undefined && !RULE_LINE.test(next) && !/[:：]\s*$/.test(next)) out.push(next.replace(/\s+/g, ''));
  });
  return out;
}

/** Does the value read as exactly `expected` (a token of its own: 000123 in "000123/I", not in 0001234)? */
function holds(value: string, expected: string): boolean {
  const e = expected.replace(/\s+/g, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^0-9A-Za-z])${e}([^0-9A-Za-z]|$)`).test(value);
}

/** The problem of a field the copy does not print under its label with the host's value, or undefined. */
function fieldProblem(c: Pick<VoucherCopy, 'lines'>, field: SlipField, expected: string | undefined, source: string): string | undefined {
  if (expected === undefined || expected.trim() === '') return undefined;
  const values = labelledValues(c, field.label);
  if (values.some((v) => holds(v, expected.trim()))) return undefined;
  return values.length
    ? `its ${field.name} reads ${values.map((v) => JSON.stringify(v)).join(' / ')}, not ${expected.trim()} (${source})`
    : `it has no ${field.name} line carrying ${expected.trim()} (${source}): the value is missing, empty or under another label`;
}

/** §6's 交易类型 of each kind that prints a voucher, in Chinese or English (缴费, not in §6, as the acquirer profile names it). */
const KIND_NAMED: Partial<Record<TransactionKind, RegExp>> = {
  sale: /消费|SALE/i,
  'bill-payment': /缴费|BILL/i,
  void: /撤销|VOID/i,
  refund: /退货|REFUND/i,
  preauth: /预授权|AUTH/i,
  'preauth-add': /追加|ADD-?AUTH/i,
  'preauth-void': /撤销|CANCEL/i,
  'preauth-completion': /完成|COMPLETE/i,
};

/**
 * The card number of a request as the journal shows it (F2, else the PAN of F35; masked: first 6, the
 * middle as asterisks, last 4), as a pattern a copy's 卡号 must match: the same first 6 and last 4 and
 * length, the middle masked or not (§6 leaves full printing of some kinds to the acquirer), grouping
 * spaces ignored.
 */
export function cardNumberPattern(request: Pick<HostMessage, 'fields'>): RegExp | undefined {
  const pan = request.fields[2] ?? request.fields[35]?.split(/[=D]/)[0];
  const m = pan ? /^(\d{6})(\*+)(\d{4})$/.exec(pan) : null;
  return m ? new RegExp(`(^|[^0-9*])${m[1]}[0-9*]{${m[2].length}}${m[3]}(?![0-9*])`, 'm') : undefined;
}

/** The financial request (not a reversal) with this trace number, the last one when several. */
function requestOf(trace: string, messages: readonly HostMessage[]): HostMessage | undefined {
  return messages
    .filter((m) => m.direction === 'in' && m.stan === trace && m.kind !== 'reversal' && FINANCIAL_KINDS.includes(m.kind as TransactionKind))
    .pop();
}

/** The problems of one transaction copy against its request and the host's reply. */
export function transactionCopyProblems(c: VoucherCopy, request: HostMessage, reply: HostMessage | undefined, booked: readonly number[]): string[] {
  const out = [
    fieldProblem(c, MERCHANT_NO, request.fields[42], 'F42'),
    fieldProblem(c, TERMINAL_NO, request.fields[41], 'F41'),
    fieldProblem(c, BATCH_NO, batchOf(request), '60.2'),
    fieldProblem(c, VOUCHER_NO, request.fields[11], 'F11'),
    fieldProblem(c, AUTH_NO, reply?.fields[38], "the host's F38"),
    fieldProblem(c, REF_NO, reply?.fields[37], "the host's F37"),
  ].filter((p): p is string => p !== undefined);
  if (!c.lines.some((l) => AMOUNT_COLUMN.test(l))) out.push('it has no 金额 (AMOUNT) line');
  const card = cardNumberPattern(request);
  if (card && !card.test(voucherText(c)))
    out.push(`it does not print the card number ${request.fields[2] ?? 'of F35'} (卡号, first 6 and last 4 of the card the request carried)`);
  const kind = request.kind as TransactionKind;
  if (KIND_NAMED[kind] && !c.lines.some((l) => KIND_NAMED[kind]!.test(l))) out.push(`it does not name its transaction type (交易类型 of a ${kind})`);
  const other = otherKindNamed(c, kind);
  if (other) out.push(`it names ${other}, a transaction type other than its own (${kind})`);
  if (!showsDateTime(c)) out.push('it has no transaction date and time (日期/时间)');
  const unbooked = amountLinesNotBooked(c, booked);
  if (unbooked.length) out.push(`it prints ${unbooked.join(' / ')}, an amount the host did not book`);
  const organisation = cardOrganisationOf(reply);
  const printed = labelledValues(c, CARD_ORGANISATION);
  const named = c.lines.some((l) => CARD_ORGANISATION.test(l));
  if (organisation === 'CUP' && named) {
    out.push(
      `it prints 外卡组织 (${printed.join(' / ') || 'empty'}) for a domestic card: the host's 63.1 is CUP, and §6 prints the line only when 63.1 is not CUP`,
    );
  } else if (organisation !== undefined && organisation !== 'CUP' && !printed.some((v) => holds(v, organisation))) {
    out.push(`it does not print 外卡组织:${organisation}, the card organisation the host answered in 63.1`);
  }
  return out;
}

/**
 * The problems of a transaction copy printed for the first time (the original, not a reprint) that
 * says it is a reprint: by TTP §7.2's `reprint` flag or by §6's mark. An original marked as a
 * duplicate tells the merchant and the cardholder that a first print was lost or is a copy.
 */
export function firstPrintReprintProblems(c: Pick<VoucherCopy, 'lines' | 'reprint'>): string[] {
  const out: string[] = [];
  if (c.reprint) out.push('its print event says reprint: true (TTP §7.2), but it is the first print of this copy');
  const mark = c.lines.find((l) => REPRINT_MARK.test(l));
  if (mark !== undefined)
    out.push(`it carries the reprint mark (${mark.trim()}), which §6 prints on a reprint only, but it is the first print of this copy`);
  return out;
}

/** A settlement slip's refund row: 退货 / REFUND, not a row that lumps voids in with them (撤销/退货). */
const SLIP_REFUND_ROW = /^(?!.*撤销)(?!.*VOID).*(退货|REFUND)/i;
/** Where a settlement slip's 外卡 (foreign card) part starts: the 内卡 rows are those above it. */
const FOREIGN_PART = /外卡|FOREIGN|INTERNATIONAL/i;
/** A minus before a figure: a terminal may print what went back to cards negated (drivers/vouchers.ts givesBackToCard). */
const MINUS_BEFORE_FIGURE = /-(?=[ \t]*(?:¥|￥|RMB|CNY)?[ \t]*[:：]?[ \t]*\d)/gi;

/**
 * The problem of a settlement slip's 内卡 退货/REFUND row against the refunds the host approved (and
 * that were not reversed) in the settled batch, domestic cards (63.1 CUP) only, or undefined. A slip
 * with no such row, or whose row carries no figures, is not judged: §6 gives LY's rows, not a layout
 * every terminal prints. `batchMessages` is the terminal's whole journal: a batch spans cases.
 */
export function refundRowProblem(c: Pick<VoucherCopy, 'lines'>, request: HostMessage, batchMessages: readonly HostMessage[]): string | undefined {
  const end = c.lines.findIndex((l) => FOREIGN_PART.test(l));
  const domestic = (end < 0 ? c.lines : c.lines.slice(0, end)).map((l) => l.replace(MINUS_BEFORE_FIGURE, ''));
  const figures = /\d\.\d{2}/;
  const printed = domestic.some(
    (l, i) =>
      SLIP_REFUND_ROW.test(l) &&
      (figures.test(l) || (domestic[i + 1] !== undefined && !/[\u4e00-\u9fff]/.test(domestic[i + 1]) && figures.test(domestic[i + 1]))),
  );
  if (!printed) return undefined;
  const batch = batchOf(request);
  const refunds = approvedOfBatch(batchMessages, batch, ['refund']).filter((m) => {
    const organisation = cardOrganisationOf(replyTo(batchMessages, m));
    return organisation === undefined || organisation === DOMESTIC_CARD_ORGANISATION;
  });
  const fen = refunds.reduce((sum, m) => sum + Number(m.fields[4] ?? 0), 0);
  if (showsFigures({ lines: domestic }, SLIP_REFUND_ROW, refunds.length, fen)) return undefined;
  return `its 退货/REFUND row does not show the ${refunds.length} refund(s) totalling ${(fen / 100).toFixed(2)} the host approved in batch ${batch ?? '?'}`;
}

/** The problems of a settlement slip against one settlement (its 0500); `batchMessages`: the terminal's whole journal. */
export function settlementSlipProblems(c: VoucherCopy, request: HostMessage, batchMessages: readonly HostMessage[] = []): string[] {
  const out = [
    fieldProblem(c, MERCHANT_NO, request.fields[42], "the 0500's F42"),
    fieldProblem(c, TERMINAL_NO, request.fields[41], "the 0500's F41"),
    fieldProblem(c, BATCH_NO, batchOf(request), "the 0500's 60.2"),
  ].filter((p): p is string => p !== undefined);
  if (!c.lines.some((l) => COUNT_COLUMN.test(l)) || !c.lines.some((l) => AMOUNT_COLUMN.test(l))) {
    out.push('it does not label its count and amount columns (a header 类型/TYPE 笔数/SUM 金额/AMOUNT, or units such as 笔 and 元 / RMB)');
  }
  const refunds = refundRowProblem(c, request, batchMessages);
  if (refunds) out.push(refunds);
  return out;
}

/** The copy name and trace a transaction copy is printed for (what tells a reprint from the first print). */
const printedKey = (c: Pick<VoucherCopy, 'copy' | 'trace' | 'lines'>): string => `${c.copy}/${traceOfCopy(c) ?? '?'}`;

/**
 * Every slip of `copies` against the host's records in `messages` (the case's journal): the
 * problems, each naming the slip; empty when every slip carries every field right. `earlier` are
 * the case's copies printed before these (already judged): a copy of a name and trace printed
 * before is a reprint, not a first print. `batchMessages`, for a settlement slip's rows, is the
 * terminal's whole journal: a batch spans cases.
 */
export function judgeSlipFields(
  copies: readonly VoucherCopy[],
  messages: readonly HostMessage[],
  { earlier = [], batchMessages = messages }: { earlier?: readonly VoucherCopy[]; batchMessages?: readonly HostMessage[] } = {},
): string[] {
  const problems: string[] = [];
  const booked = bookedAmounts(messages);
  const settlements = messages.filter((m) => m.direction === 'in' && m.kind === 'settlement');
  const printed = new Set(earlier.filter((c) => TRANSACTION_COPIES.includes(c.copy)).map(printedKey));
  for (const c of copies) {
    let found: string[] = [];
    if (TRANSACTION_COPIES.includes(c.copy)) {
      const trace = traceOfCopy(c);
      const request = trace ? requestOf(trace, messages) : undefined;
      const first = !printed.has(printedKey(c));
      printed.add(printedKey(c));
      if (!request) continue;
      found = [...transactionCopyProblems(c, request, replyTo(messages, request), booked), ...(first ? firstPrintReprintProblems(c) : [])].map(
        (p) => `the ${c.copy} copy of the ${request.kind} (STAN ${request.stan}): ${p}`,
      );
    } else if (c.copy === 'settlement') {
      if (!settlements.length) continue;
      // The slip belongs to one of the case's settlements: it must match one of them in full.
      const judged = settlements.map((s) => settlementSlipProblems(c, s, batchMessages));
      if (judged.some((p) => p.length === 0)) continue;
      const last = settlements[settlements.length - 1];
      found = judged[judged.length - 1].map((p) => `the settlement slip of batch ${batchOf(last) ?? '?'} (0500 STAN ${last.stan}): ${p}`);
    }
    if (found.length) problems.push(`${found.join('\n')}\n(cup8583.md §6)\n${describeCopy(c)}`);
  }
  return problems;
}
