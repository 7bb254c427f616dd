/**
 * Voucher (签购单) and slip layouts of cup8583.md §6, bilingual as LY prints them. Pure functions
 * from a stored transaction to printed lines; the defects that touch printing are applied here so
 * that the rest of the terminal stays correct.
 */
import { maskPan } from '../crypto';
import { defect, type DefectName } from './defects';
import { quickPassMark, tapWithoutSignature, type QuickPassLimits } from './quickpass';
import type { StoredTransaction } from './state-store';
import { formatAmount } from './texts';

export type VoucherCopy = 'merchant' | 'bank' | 'cardholder';

export interface VoucherContext {
  merchantName: string;
  merchantId: string;
  terminalId: string;
  operator: string;
  reprint: boolean;
  defects: ReadonlySet<DefectName>;
  /** Reference number the terminal would print under the voucher-rrn-not-host defect. */
  terminalMadeRrn?: string;
  /** The profile's QuickPass limits: a tapped sale under them prints no signature block and says 免密 / 免签. */
  quickPass?: QuickPassLimits;
}

const RULE = '-'.repeat(32);

const COPY_LABEL: Record<VoucherCopy, string> = {
  merchant: '商户存根            MERCHANT COPY',
  bank: '银行存根                BANK COPY',
  cardholder: '持卡人存根        CARDHOLDER COPY',
};

const KIND_LABEL: Record<StoredTransaction['kind'], string> = {
  sale: '消费(SALE)',
  'bill-payment': '缴费(BILL PAYMENT)',
  void: '消费撤销(VOID)',
  refund: '退货(REFUND)',
  preauth: '预授权(AUTH)',
  'preauth-add': '追加预授权(ADD-AUTH)',
  'preauth-void': '预授权撤销(CANCEL)',
  'preauth-completion': '预授权完成请求(AUTH COMPLETE)',
};

const ENTRY_LETTER: Record<StoredTransaction['entry'], string> = { swipe: 'S', insert: 'I', tap: 'C', manual: 'M' };

export const REPRINT_MARK = '****重打印/DUPLICATED****';
export const SIGNATURE_LINE = '持卡人签名(CARDHOLDER SIGNATURE):';
/** The line under SIGNATURE_LINE of an electronically signed purchase, followed by the first 16 hex digits of the image's SHA-256. */
export const E_SIGNATURE_MARK = '电子签名(E-SIGNATURE):';

/** The copies a transaction prints, in order (ucTicketNum: 1 merchant, 2 + cardholder, 3 all). */
export function voucherCopies(count: 1 | 2 | 3, defects: ReadonlySet<DefectName>): VoucherCopy[] {
  const copies: VoucherCopy[] = count === 1 ? ['merchant'] : count === 2 ? ['merchant', 'cardholder'] : ['merchant', 'bank', 'cardholder'];
  return defects.has('cardholder-copy-missing') ? copies.filter((c) => c !== 'cardholder') : copies;
}

export function renderVoucher(tx: StoredTransaction, copy: VoucherCopy, ctx: VoucherContext): string[] {
  const d = ctx.defects;
  const lines: string[] = [];
  lines.push('银联POS签购单/POS SALES SLIP', COPY_LABEL[copy], RULE);
  lines.push('商户名称(MERCHANT NAME):', ctx.merchantName);
  lines.push('商户编号(MERCHANT NO):', ctx.merchantId);
  lines.push('终端编号(TERMINAL NO):', ctx.terminalId);
  lines.push(`操作员号(OPERATOR NO): ${ctx.operator}`);
  lines.push(RULE);
  if (tx.issuerId) lines.push(`发卡行(ISSUER):${tx.issuerId}`);
  if (tx.cardOrganisation && tx.cardOrganisation !== 'CUP') lines.push(`外卡组织:${tx.cardOrganisation}`);
  lines.push('卡号(CARD NO):');
  const pan = d.has('full-pan-on-voucher') ? tx.pan : maskPan(tx.pan);
  lines.push(`${pan} /${ENTRY_LETTER[tx.entry]}`);
  if (tx.acquirerId) lines.push(`收单行(ACQ):${tx.acquirerId}`);
  lines.push('交易类型(TXN. TYPE):', KIND_LABEL[tx.kind]);
  if (tx.expiry && tx.expiry !== '0000') lines.push(`卡有效期(EXP. DATE): 20${tx.expiry.slice(0, 2)}/${tx.expiry.slice(2, 4)}`);
  lines.push(RULE);
  lines.push(`批次号(BATCH NO):${tx.batch}`);
  lines.push(`凭证号(VOUCHER NO):${tx.trace}`);
  lines.push(`授权码(AUTH NO):${tx.authCode}`);
  lines.push('日期/时间(DATE/TIME):', `${tx.date.replace(/-/g, '/')} ${tx.time}`);
  const rrn = d.has('voucher-rrn-not-host') && ctx.terminalMadeRrn ? ctx.terminalMadeRrn : tx.rrn;
  lines.push(`交易参考号(REF. NO):${rrn}`);
  if (tx.payee) {
    lines.push(`收款方(PAYEE):${tx.payee.name}`);
    lines.push(`收款账号(PAYEE ACCOUNT):${tx.payee.account}`);
    if (tx.payee.reference) lines.push(`账单号(BILL REF):${tx.payee.reference}`);
  }
  const printed = d.has('voucher-amount-mismatch') ? tx.amount + 1 : tx.amount;
  const sign = tx.kind === 'void' || tx.kind === 'refund' || tx.kind === 'preauth-void' ? '-' : '';
  lines.push('金额(AMOUNT):', `RMB:${sign}${formatAmount(printed)}`);
  if (tx.kind === 'preauth-add' && tx.preAuthTotal !== undefined) lines.push('累计金额(TOTAL):', `RMB:${formatAmount(tx.preAuthTotal)}`);
  lines.push(RULE);
  lines.push('备注/REFERENCE');
  if (tx.kind === 'void' && tx.original?.trace) lines.push(`原凭证号(VOUCHER):${tx.original.trace}`);
  if (tx.kind === 'refund') {
    if (tx.original?.rrn) lines.push(`原参考号(REFER NO):${tx.original.rrn}`);
    if (tx.original?.date) lines.push(`原交易日期(DATE):${tx.original.date}`);
  }
  if (tx.kind === 'preauth-completion' && tx.original?.authCode) lines.push(`预授权码(AUTH NO):${tx.original.authCode}`);
  if (tx.kind === 'preauth-add' && tx.original?.authCode) lines.push(`原预授权码(AUTH NO):${tx.original.authCode}`);
  if (tx.kind === 'preauth-void' && tx.original?.authCode) lines.push(`原预授权码(AUTH NO):${tx.original.authCode}`);
  if (tx.emv) {
    lines.push(`ARQC:${tx.emv.arqc}`, `TVR:${tx.emv.tvr}`, `AID:${tx.emv.aid}`);
    lines.push(`PAN SN:${tx.psn ?? '00'} TSI:${tx.emv.tsi} ATC:${tx.emv.atc}`);
    lines.push(`APPLAB:${tx.emv.applicationLabel}`);
  }
  if (ctx.reprint && !d.has('reprint-not-marked')) lines.push(REPRINT_MARK);
  // 小额免密免签: a tapped sale that went without a PIN (F22 …2) / under the no-signature limit says so.
  // Defect tapped-refund-unsigned: a tapped refund or pre-authorization under the limits waived like a 消费. The
  // defect call goes first so that, with defects off, nothing after it is evaluated.
  const purchase = defect(d, 'tapped-refund-unsigned')
    ? ['sale', 'bill-payment', 'refund', 'preauth'].includes(tx.kind)
    : tx.kind === 'sale' || tx.kind === 'bill-payment';
  const noPin = purchase && tx.entry === 'tap' && tx.entryMode.endsWith('2');
  const noSignature = purchase && !!ctx.quickPass && tapWithoutSignature(tx.entry, tx.amount, ctx.quickPass, d);
  const mark = d.has('qps-limit-ignored') ? undefined : quickPassMark(noPin, noSignature);
  if (mark) lines.push(mark);
  if (copy !== 'cardholder' && !noSignature && !d.has('signature-line-missing')) {
    // 电签: the block holds the electronic signature (named by its hash) instead of space to sign.
    if (tx.eSignature) lines.push(SIGNATURE_LINE, `${E_SIGNATURE_MARK}${tx.eSignature.sha256.slice(0, 16)}`);
    else lines.push(SIGNATURE_LINE, '', '');
  }
  lines.push(RULE);
  lines.push('本人确认以上交易,同意将其计入本卡账户');
  lines.push('I ACKNOWLEDGE SATISFACTORY RECEIPT OF RELATIVE GOODS/SERVICE');
  return lines;
}

export interface SettlementTotalsView {
  debitCount: number;
  debitAmount: number;
  creditCount: number;
  creditAmount: number;
}

export interface SettlementSlipInput {
  merchantName: string;
  merchantId: string;
  terminalId: string;
  operator: string;
  batch: string;
  dateTime: string;
  /** '1' balanced, '2' not balanced, '3' error (F48[30] of the 0510). */
  domesticResult: string;
  foreignResult: string;
  domestic: SettlementTotalsView;
  foreign: SettlementTotalsView;
  /** Per kind and side, for the body lines (§6: the 内卡 rows, then the same for 外卡). */
  byKind: { domestic: SlipKindRows; foreign: SlipKindRows };
  batchUploaded: number;
}

/** A settlement slip's rows by kind: [count, amount in fen]. */
export interface SlipKindRows {
  sale: [number, number];
  billPayment: [number, number];
  completion: [number, number];
  void: [number, number];
  refund: [number, number];
}

const RESULT_TEXT: Record<string, string> = { '1': '对帐平', '2': '对帐不平', '3': '对帐出错' };

export function renderSettlementSlip(s: SettlementSlipInput): string[] {
  const row = (label: string, [count, amount]: [number, number]) =>
    `${label.padEnd(14)}${String(count).padStart(4)}  ${formatAmount(amount).padStart(12)}`;
  const kindRows = (k: SlipKindRows) => [
    row('消费/SALE', k.sale),
    row('缴费/BILL PAY', k.billPayment),
    row('完成/AUTH COMPLETE', k.completion),
    row('撤销/VOID', k.void),
    row('退货/REFUND', k.refund),
  ];
  const lines = [
    '结算总计单/SETTLEMENT',
    RULE,
    '商户名称(MERCHANT NAME):',
    s.merchantName,
    '商户编号(MERCHANT NO):',
    s.merchantId,
    '终端编号(TERMINAL NO):',
    s.terminalId,
    `操作员号(OPERATOR NO): ${s.operator}`,
    `批次号(BATCH NO):${s.batch}`,
    '日期/时间(DATE/TIME):',
    s.dateTime,
    RULE,
    '类型/TYPE        笔数/SUM    金额/AMOUNT',
    `内卡: ${RESULT_TEXT[s.domesticResult] ?? `对帐结果[${s.domesticResult}]`}`,
    ...kindRows(s.byKind.domestic),
    row('借记合计/DEBIT', [s.domestic.debitCount, s.domestic.debitAmount]),
    row('贷记合计/CREDIT', [s.domestic.creditCount, s.domestic.creditAmount]),
    `外卡: ${RESULT_TEXT[s.foreignResult] ?? `对帐结果[${s.foreignResult}]`}`,
    ...kindRows(s.byKind.foreign),
    row('借记合计/DEBIT', [s.foreign.debitCount, s.foreign.debitAmount]),
    row('贷记合计/CREDIT', [s.foreign.creditCount, s.foreign.creditAmount]),
  ];
  if (s.batchUploaded > 0) lines.push(`批上送笔数/UPLOADED: ${s.batchUploaded}`);
  lines.push(RULE);
  return lines;
}

/** The fault slip printed when a reversal finally fails (LY flag 2). */
export function renderFaultSlip(
  tx: { kind: string; trace: string; batch: string; maskedPan?: string; amount: string; dateTime: string },
  ctx: { merchantName: string; merchantId: string; terminalId: string },
): string[] {
  return [
    '***故障报告单,非凭证联***',
    RULE,
    '商户名称(MERCHANT NAME):',
    ctx.merchantName,
    '商户编号(MERCHANT NO):',
    ctx.merchantId,
    '终端编号(TERMINAL NO):',
    ctx.terminalId,
    ...(tx.maskedPan ? ['卡号(CARD NO):', tx.maskedPan] : []),
    `交易类型(TXN. TYPE):${tx.kind}`,
    `批次号(BATCH NO):${tx.batch}`,
    `凭证号(VOUCHER NO):${tx.trace}`,
    '日期/时间(DATE/TIME):',
    tx.dateTime,
    '金额(AMOUNT):',
    `RMB:${tx.amount}`,
    RULE,
    '冲正不成功,请人工处理',
    '***故障单,非凭证联***',
  ];
}
