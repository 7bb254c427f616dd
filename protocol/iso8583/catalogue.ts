/**
 * The CUP POS transaction catalogue: one row per kind of message a terminal sends to the acquirer,
 * with what identifies it on the wire (MTI + F3 + F25 + 60.1 + 60.3, cup8583.md §3.1) and the rules
 * that follow from the kind (reversible, PIN policy, settlement side, voidable, menu path, fields).
 *
 * This is the one transaction vocabulary of poscert: host, emulator, drivers and steps name a
 * transaction by its TransactionKind and read its rules here, as jPOS keeps a dialect in a packager
 * table. Adding a kind is one row (plus its handler / flow); the functions below never change.
 */
import { formatField60, parseField60Extended } from './fields';
import { IsoMessage } from './message';

export const TRANSACTION_KINDS = [
  'sale',
  'bill-payment',
  'void',
  'refund',
  'balance',
  'preauth',
  'preauth-add',
  'preauth-void',
  'preauth-completion',
  'preauth-completion-void',
  'preauth-completion-advice',
  'reversal',
  'sign-on',
  'sign-off',
  'echo',
  'parameter-download',
  'status-upload',
  'settlement',
  'batch-upload',
  'batch-upload-end',
  'script-result',
  'capk-query',
  'capk-download',
  'capk-download-end',
  'ic-parameter-query',
  'ic-parameter-download',
  'ic-parameter-download-end',
  'blacklist-download',
  'blacklist-download-end',
  'contactless-parameter-download',
  'contactless-parameter-download-end',
  'e-signature',
] as const;

export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** PIN policy of a request: the host declines 55 when a `required` kind arrives without a PIN block. */
export type PinPolicy = 'required' | 'optional' | 'none';
/** Where an approved transaction counts in the settlement totals of F48 (cup8583.md §3.9). */
export type SettlementEffect = 'debit' | 'credit' | 'none';

export interface TransactionSpec {
  readonly kind: TransactionKind;
  /** Request MTI; the response is this + 10 (responseMtiOf). */
  readonly mti: string;
  /** F3 the request carries; undefined when the kind has none or takes the original's (reversal). */
  readonly processingCode?: string;
  /** F25 (服务点条件码); undefined when the kind has none or takes the original's. */
  readonly conditionCode?: string;
  /** 60.1 (交易类型码); undefined when not used for identification (reversal, batch upload). */
  readonly transactionType?: string;
  /** 60.3 (网络管理信息码) a request template carries. */
  readonly networkCode?: string;
  /** Every 60.3 that identifies this kind (default: [networkCode]); empty = 60.3 not used to identify. */
  readonly networkCodes?: readonly string[];
  /** A reversal record is saved before sending and a 0400 sent if no valid reply comes (cup8583.md §3.1, §3.8). */
  readonly reversible: boolean;
  readonly pin: PinPolicy;
  readonly settlement: SettlementEffect;
  /** An approved transaction of this kind can be voided, by a request of voidKind. */
  readonly voidable: boolean;
  readonly voidKind?: TransactionKind;
  /** Moves or may move the cardholder's money (and so carries a MAC and card data). */
  readonly financial: boolean;
  /** Menu path on the terminal, as UnionPay terminals label it ('预授权/预授权完成'); none for kinds the terminal sends on its own. */
  readonly menu?: { readonly zh: string; readonly en: string };
  /**
   * Fields of the request: must carry, may carry (conditional: card data by entry mode, PIN data when
   * a PIN was entered, chip data for IC), must not carry. A field in none of the lists is not used by
   * the kind: a conformant terminal does not send it, but the reference does not forbid it.
   */
  readonly fields: { readonly must: readonly number[]; readonly may: readonly number[]; readonly mustNot: readonly number[] };
  /** Kinds of the original transaction this kind's F61 names (61.1 batch + 61.2 trace, cup8583.md §2.5). */
  readonly references?: readonly TransactionKind[];
  /** The list a download message belongs to and its step (query, then the download of each item or page, then the end). */
  readonly listDownload?: { readonly list: DownloadedList; readonly step: ListDownloadStep };
}

/**
 * The lists a terminal downloads from the acquirer in several messages: IC public keys and IC
 * parameters (AIDs, §3.5), the card blacklist and the contactless parameters (§2.4). Each has a header
 * digit 6 that asks for it (§1.1): 4, 5, 7, 9 (ic-parameters.ts, terminal-lists.ts).
 */
export type DownloadedList = 'capk' | 'aid' | 'blacklist' | 'contactless';
export type ListDownloadStep = 'query' | 'download' | 'end';

// Card data by entry mode (F2/F14 manual or IC, F35/F36 magstripe, F23/F55 IC), PIN data when a
// PIN was entered (F26, F52 or F59 tag A1 for SM4, F53), cup8583.md §3.6.
const CARD = [2, 14, 23, 35, 36, 55];
const PIN = [26, 52, 53, 59];
const MANAGEMENT = { reversible: false, pin: 'none', settlement: 'none', voidable: false, financial: false } as const;

/** The rows. Sources: cup8583.md §3.1 (identification, reversal, MAC), §3.2–3.12 (fields), §3.9 (settlement sides). */
export const TRANSACTION_CATALOGUE: readonly TransactionSpec[] = Object.freeze([
  // §3.6 消费 sale; F12 / F13 (local time and date) sent by some terminals (the whty sample).
  {
    kind: 'sale',
    mti: '0200',
    processingCode: '000000',
    conditionCode: '00',
    transactionType: '22',
    networkCode: '000',
    reversible: true,
    pin: 'required',
    settlement: 'debit',
    voidable: true,
    voidKind: 'void',
    financial: true,
    menu: { zh: '消费', en: 'SALE' },
    fields: { must: [3, 4, 11, 22, 25, 41, 42, 49, 60, 64], may: [...CARD, ...PIN, 12, 13], mustNot: [37, 38, 61] },
  },
  // §3.12 缴费: no public CUP POS source; poscert's layout (bill-payment.ts): a sale with F3 500000 and the payee in F62.
  {
    kind: 'bill-payment',
    mti: '0200',
    processingCode: '500000',
    conditionCode: '00',
    transactionType: '22',
    networkCode: '000',
    reversible: true,
    pin: 'required',
    settlement: 'debit',
    voidable: true,
    voidKind: 'void',
    financial: true,
    menu: { zh: '缴费', en: 'BILL PAYMENT' },
    fields: { must: [3, 4, 11, 22, 25, 41, 42, 49, 60, 62, 64], may: [...CARD, ...PIN], mustNot: [37, 38, 61] },
  },
  // §3.7 消费撤销: void of a sale or a bill payment; F37 original RRN (zeros if unknown), F61 original batch + trace.
  {
    kind: 'void',
    mti: '0200',
    processingCode: '200000',
    conditionCode: '00',
    transactionType: '23',
    networkCode: '000',
    reversible: true,
    pin: 'optional',
    settlement: 'credit',
    voidable: false,
    financial: true,
    menu: { zh: '撤销', en: 'VOID' },
    fields: { must: [3, 4, 11, 22, 25, 37, 41, 42, 49, 60, 61, 64], may: [...CARD, ...PIN, 38], mustNot: [] },
    references: ['sale', 'bill-payment'],
  },
  // §3.7 退货: 0220 advice, not reversed (P31, LY); F37 original RRN, F61 batch + trace + date, F63 card organisation.
  {
    kind: 'refund',
    mti: '0220',
    processingCode: '200000',
    conditionCode: '00',
    transactionType: '25',
    networkCode: '000',
    reversible: false,
    pin: 'optional',
    settlement: 'credit',
    voidable: false,
    financial: true,
    menu: { zh: '退货', en: 'REFUND' },
    fields: { must: [3, 4, 11, 22, 25, 37, 41, 42, 49, 60, 61, 63, 64], may: [...CARD, ...PIN, 38], mustNot: [] },
    references: ['sale', 'bill-payment'],
  },
  // §3.7 余额查询: no amount; the balance comes back in F54. Not reversed.
  {
    kind: 'balance',
    mti: '0200',
    processingCode: '310000',
    conditionCode: '00',
    transactionType: '01',
    networkCode: '000',
    reversible: false,
    pin: 'required',
    settlement: 'none',
    voidable: false,
    financial: true,
    menu: { zh: '余额查询', en: 'BALANCE' },
    fields: { must: [3, 11, 22, 25, 41, 42, 49, 60, 64], may: [...CARD, ...PIN], mustNot: [37, 38, 61] },
  },
  // §3.7 预授权: holds funds; not counted in settlement (§3.9).
  {
    kind: 'preauth',
    mti: '0100',
    processingCode: '030000',
    conditionCode: '06',
    transactionType: '10',
    networkCode: '000',
    reversible: true,
    pin: 'required',
    settlement: 'none',
    voidable: true,
    voidKind: 'preauth-void',
    financial: true,
    menu: { zh: '预授权/预授权', en: 'PRE-AUTH/PRE-AUTH' },
    fields: { must: [3, 4, 11, 22, 25, 41, 42, 49, 60, 64], may: [...CARD, ...PIN], mustNot: [37, 61] },
  },
  // §3.1 追加预授权 (LY TrTable, LY only): the pre-authorization's MTI, F3 and 60.1 with F25 = 60; reversed
  // when no reply comes, MAC (§3.1). Its F61 is 16 zeros (§2.5), so it names its original the way the
  // pre-auth family does when F61 cannot: F38 = the original authorization code, with the card (poscert's
  // reading, §2.2 F38). It raises the original's hold; not counted in settlement (§3.9, pre-auth family).
  {
    kind: 'preauth-add',
    mti: '0100',
    processingCode: '030000',
    conditionCode: '60',
    transactionType: '10',
    networkCode: '000',
    reversible: true,
    pin: 'required',
    settlement: 'none',
    voidable: false,
    financial: true,
    menu: { zh: '预授权/追加预授权', en: 'PRE-AUTH/ADD-AUTH' },
    fields: { must: [3, 4, 11, 22, 25, 38, 41, 42, 49, 60, 64], may: [...CARD, ...PIN, 61], mustNot: [37] },
  },
  // §3.7 预授权撤销: F38 original auth code, F61 batch + trace + date.
  {
    kind: 'preauth-void',
    mti: '0100',
    processingCode: '200000',
    conditionCode: '06',
    transactionType: '11',
    networkCode: '000',
    reversible: true,
    pin: 'optional',
    settlement: 'none',
    voidable: false,
    financial: true,
    menu: { zh: '预授权/预授权撤销', en: 'PRE-AUTH/AUTH CANCEL' },
    fields: { must: [3, 4, 11, 22, 25, 38, 41, 42, 49, 60, 61, 64], may: [...CARD, ...PIN, 37], mustNot: [] },
    references: ['preauth'],
  },
  // §3.7 预授权完成(请求), online: F38 + F61.
  {
    kind: 'preauth-completion',
    mti: '0200',
    processingCode: '000000',
    conditionCode: '06',
    transactionType: '20',
    networkCode: '000',
    reversible: true,
    pin: 'optional',
    settlement: 'debit',
    voidable: true,
    voidKind: 'preauth-completion-void',
    financial: true,
    menu: { zh: '预授权/预授权完成', en: 'PRE-AUTH/AUTH COMPLETE' },
    fields: { must: [3, 4, 11, 22, 25, 38, 41, 42, 49, 60, 61, 64], may: [...CARD, ...PIN, 37], mustNot: [] },
    references: ['preauth'],
  },
  // §3.7 预授权完成撤销: F37, F38, F61 (+ date). Terminals offer it under 撤销 (the void menu finds the original).
  {
    kind: 'preauth-completion-void',
    mti: '0200',
    processingCode: '200000',
    conditionCode: '06',
    transactionType: '21',
    networkCode: '000',
    reversible: true,
    pin: 'optional',
    settlement: 'credit',
    voidable: false,
    financial: true,
    menu: { zh: '撤销', en: 'VOID' },
    fields: { must: [3, 4, 11, 22, 25, 37, 38, 41, 42, 49, 60, 61, 64], may: [...CARD, ...PIN], mustNot: [] },
    references: ['preauth-completion', 'preauth-completion-advice'],
  },
  // §3.7 预授权完成通知, offline advice 0220: no PIN, not reversed; counted as debit (§3.9).
  {
    kind: 'preauth-completion-advice',
    mti: '0220',
    processingCode: '000000',
    conditionCode: '06',
    transactionType: '24',
    networkCode: '000',
    reversible: false,
    pin: 'none',
    settlement: 'debit',
    voidable: true,
    voidKind: 'preauth-completion-void',
    financial: true,
    fields: { must: [3, 4, 11, 22, 25, 38, 41, 42, 49, 60, 61, 64], may: [...CARD, 37], mustNot: [26, 52] },
    references: ['preauth'],
  },
  // §3.8 冲正: a copy of the original request (same F3, F4, F11, F22, F25, F60) with F39 = reason; track data,
  // PIN data and F37 removed (LY MakeReversalPack). F4, F22 and F49 are in every reversible original and
  // in the PAX and CLJ reversal sets: must. F53 is removed by LY, kept by PAX and CLJ: may.
  {
    kind: 'reversal',
    mti: '0400',
    networkCodes: [],
    reversible: false,
    pin: 'none',
    settlement: 'none',
    voidable: false,
    financial: true,
    fields: { must: [3, 4, 11, 22, 25, 39, 41, 42, 49, 60, 64], may: [2, 14, 23, 38, 53, 55, 61], mustNot: [26, 35, 36, 37, 52] },
  },
  // §3.2 签到: 60.3 001 single-length keys, 003 double-length, 004 double-length with TDK; 005 / 006 are
  // SM4 variants seen in samples (whty, BP host), identified here though the reference host serves 001/003/004.
  {
    kind: 'sign-on',
    mti: '0800',
    transactionType: '00',
    networkCode: '003',
    networkCodes: ['001', '003', '004', '005', '006'],
    ...MANAGEMENT,
    menu: { zh: '管理/签到', en: 'MANAGEMENT/SIGN ON' },
    fields: { must: [11, 41, 42, 60], may: [12, 13, 62, 63], mustNot: [64] },
  },
  // §3.3 签退 and 回响测试: F11, F41, F42, F60; no MAC.
  {
    kind: 'sign-off',
    mti: '0820',
    transactionType: '00',
    networkCode: '002',
    ...MANAGEMENT,
    menu: { zh: '管理/签退', en: 'MANAGEMENT/SIGN OFF' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  {
    kind: 'echo',
    mti: '0820',
    transactionType: '00',
    networkCode: '301',
    ...MANAGEMENT,
    menu: { zh: '管理/回响测试', en: 'MANAGEMENT/ECHO TEST' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  // §3.4 参数下载 (reply F62 = parameter list) and 状态上送 (request F62 = status list).
  {
    kind: 'parameter-download',
    mti: '0800',
    transactionType: '00',
    networkCode: '360',
    ...MANAGEMENT,
    menu: { zh: '管理/参数下载', en: 'MANAGEMENT/PARAMETER DOWNLOAD' },
    fields: { must: [11, 41, 42, 60], may: [63], mustNot: [64] },
  },
  {
    kind: 'status-upload',
    mti: '0820',
    transactionType: '00',
    networkCode: '362',
    ...MANAGEMENT,
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  // §3.9 批结算: F48 totals, F63 operator; no F3, no MAC.
  {
    kind: 'settlement',
    mti: '0500',
    transactionType: '00',
    networkCode: '201',
    ...MANAGEMENT,
    menu: { zh: '结算', en: 'SETTLEMENT' },
    fields: { must: [11, 41, 42, 48, 49, 60], may: [63], mustNot: [3, 64] },
  },
  // §3.10 批上送: magstripe list (201), IC records (203-206), one-record uploads of offline / refund /
  // advice (000, with the original's F3 and 60.1). 60.1 is the original's, so only 60.3 identifies.
  {
    kind: 'batch-upload',
    mti: '0320',
    networkCode: '201',
    networkCodes: ['000', '201', '203', '204', '205', '206'],
    ...MANAGEMENT,
    fields: { must: [11, 41, 42, 60], may: [2, 3, 4, 14, 22, 23, 25, 37, 38, 48, 49, 55, 61, 62, 63], mustNot: [64] },
  },
  // §3.10 批上送结束: F48 = count uploaded (n4); 202 after an unbalanced settlement, 207 balanced.
  {
    kind: 'batch-upload-end',
    mti: '0320',
    transactionType: '00',
    networkCode: '207',
    networkCodes: ['202', '207'],
    ...MANAGEMENT,
    fields: { must: [11, 41, 42, 48, 60], may: [], mustNot: [3, 64] },
  },
  // §3.1 IC卡脚本结果通知 0620 (951): the original's F3 / F25 (60.1 not used to identify), F55 with the
  // §3.11 script-result tags and DF31; MAC (§3.1 MAC column: yes, LY HaveMacData). F61 names the chip
  // transaction whose reply carried the scripts (§3.11: online sale / balance / pre-auth) so the host links it.
  {
    kind: 'script-result',
    mti: '0620',
    networkCode: '951',
    ...MANAGEMENT,
    fields: { must: [3, 11, 25, 41, 42, 55, 60, 64], may: [2, 4, 14, 22, 23, 32, 37, 38, 49, 61], mustNot: [] },
    references: ['sale', 'bill-payment', 'balance', 'preauth'],
  },
  // §3.5 IC卡公钥 / IC卡参数: query 0820 (F62 = '1' + count received), download 0800 of one item (F62 = its
  // 9F06 / 9F22), end 0800; no MAC (§3.1 MAC column: no). F62 layouts: ic-parameters.ts.
  {
    kind: 'capk-query',
    mti: '0820',
    transactionType: '00',
    networkCode: '372',
    ...MANAGEMENT,
    listDownload: { list: 'capk', step: 'query' },
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  {
    kind: 'capk-download',
    mti: '0800',
    transactionType: '00',
    networkCode: '370',
    ...MANAGEMENT,
    listDownload: { list: 'capk', step: 'download' },
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  {
    kind: 'capk-download-end',
    mti: '0800',
    transactionType: '00',
    networkCode: '371',
    ...MANAGEMENT,
    listDownload: { list: 'capk', step: 'end' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  {
    kind: 'ic-parameter-query',
    mti: '0820',
    transactionType: '00',
    networkCode: '382',
    ...MANAGEMENT,
    listDownload: { list: 'aid', step: 'query' },
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  {
    kind: 'ic-parameter-download',
    mti: '0800',
    transactionType: '00',
    networkCode: '380',
    ...MANAGEMENT,
    listDownload: { list: 'aid', step: 'download' },
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  {
    kind: 'ic-parameter-download-end',
    mti: '0800',
    transactionType: '00',
    networkCode: '381',
    ...MANAGEMENT,
    listDownload: { list: 'aid', step: 'end' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  // §2.4 / §3.1 黑名单下载 / 结束 (LY) 0800 390 / 391 and the contactless (QuickPass) parameters 394 / 395:
  // network management like §3.5, no MAC. The reference gives no F62 layout; poscert's (a paged list
  // like §3.5, a TLV reply) is in terminal-lists.ts.
  {
    kind: 'blacklist-download',
    mti: '0800',
    transactionType: '00',
    networkCode: '390',
    ...MANAGEMENT,
    listDownload: { list: 'blacklist', step: 'download' },
    fields: { must: [11, 41, 42, 60, 62], may: [], mustNot: [64] },
  },
  {
    kind: 'blacklist-download-end',
    mti: '0800',
    transactionType: '00',
    networkCode: '391',
    ...MANAGEMENT,
    listDownload: { list: 'blacklist', step: 'end' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  {
    kind: 'contactless-parameter-download',
    mti: '0800',
    transactionType: '00',
    networkCode: '394',
    ...MANAGEMENT,
    listDownload: { list: 'contactless', step: 'download' },
    fields: { must: [11, 41, 42, 60], may: [62], mustNot: [64] },
  },
  {
    kind: 'contactless-parameter-download-end',
    mti: '0800',
    transactionType: '00',
    networkCode: '395',
    ...MANAGEMENT,
    listDownload: { list: 'contactless', step: 'end' },
    fields: { must: [11, 41, 42, 60], may: [], mustNot: [64] },
  },
  // §3.1 电子签名上送 (PAX): 0820, F25 07, 60.1 07, 60.3 800. The reference gives only the
  // identification; the rest is poscert's choice (docs/host.md, e-signature): F62 = the signature image
  // (PNG, the field's 512 bytes at most), F61 (batch + trace) and F37 (RRN) name the approved purchase
  // it signs, F4 its amount, and a MAC like every message that refers to a cardholder's transaction.
  {
    kind: 'e-signature',
    mti: '0820',
    conditionCode: '07',
    transactionType: '07',
    networkCode: '800',
    ...MANAGEMENT,
    fields: { must: [4, 11, 25, 37, 41, 42, 60, 61, 62, 64], may: [], mustNot: [2, 35, 36, 52, 55] },
    references: ['sale', 'bill-payment'],
  },
] satisfies TransactionSpec[]);

const BY_KIND = new Map<TransactionKind, TransactionSpec>(TRANSACTION_CATALOGUE.map((s) => [s.kind, s]));

export function isTransactionKind(s: unknown): s is TransactionKind {
  return typeof s === 'string' && BY_KIND.has(s as TransactionKind);
}

/** The catalogue row of a kind (every TransactionKind has one). */
export function transactionSpec(kind: TransactionKind): TransactionSpec {
  const spec = BY_KIND.get(kind);
  if (!spec) throw new TypeError(`unknown transaction kind ${JSON.stringify(kind)} (known: ${TRANSACTION_KINDS.join(', ')})`);
  return spec;
}

/** The kind of one step of a list's download (capk + end → capk-download-end); throws for a step the list has not (the blacklist has no query). */
export function listDownloadKind(list: DownloadedList, step: ListDownloadStep): TransactionKind {
  const spec = TRANSACTION_CATALOGUE.find((s) => s.listDownload?.list === list && s.listDownload.step === step);
  if (!spec) throw new TypeError(`the ${list} download has no ${step} message (cup8583.md §2.4, §3.5)`);
  return spec.kind;
}

/** Kinds whose spec satisfies a predicate, in catalogue order (e.g. every settlement debit). */
export function transactionKinds(where: (spec: TransactionSpec) => boolean): TransactionKind[] {
  return TRANSACTION_CATALOGUE.filter(where).map((s) => s.kind);
}

/** Response MTI of a request MTI: third digit + 1 (0200 → 0210, 0820 → 0830). */
export function responseMtiOf(mti: string): string {
  return mti.slice(0, 2) + String((Number(mti[2]) + 1) % 10) + mti[3];
}

/** Request MTI of a request or a response MTI (0210 → 0200; 0200 stays). */
export function requestMtiOf(mti: string): string {
  return /^\d{4}$/.test(mti) && Number(mti[2]) % 2 === 1 ? `${mti.slice(0, 2)}${Number(mti[2]) - 1}${mti[3]}` : mti;
}

/** A message as IsoMessage, or as a journal shows it (field number → text / hex). */
export type IdentifiableMessage = IsoMessage | { readonly mti: string; readonly fields: Readonly<Record<number, string | undefined>> };

function fieldOf(msg: IdentifiableMessage, n: number): string | undefined {
  return msg instanceof IsoMessage ? msg.getString(n) : msg.fields[n];
}

function matches(spec: TransactionSpec, f3: string | undefined, f25: string, type: string | undefined, network: string | undefined): boolean {
  if (spec.processingCode !== undefined && f3 !== spec.processingCode) return false;
  if (spec.conditionCode !== undefined && f25 !== spec.conditionCode) return false;
  if (spec.transactionType !== undefined && type !== spec.transactionType) return false;
  const codes = spec.networkCodes ?? (spec.networkCode !== undefined ? [spec.networkCode] : []);
  if (codes.length > 0 && (network === undefined || !codes.includes(network))) return false;
  return true;
}

function field60Of(msg: IdentifiableMessage): { transactionType?: string; networkCode?: string } {
  const v = fieldOf(msg, 60);
  if (v === undefined) return {};
  try {
    return parseField60Extended(v).field60;
  } catch {
    return {};
  }
}

/**
 * The kind of a request or of a response (a response maps to its request's kind: 0210 → the 0200 row).
 * F25 absent counts as 00. Undefined when no row matches (an MTI / F3 / F25 / 60.1 / 60.3 combination
 * the dialect does not define, cup8583.md §3.1).
 */
export function identify(msg: IdentifiableMessage): TransactionKind | undefined {
  const mti = requestMtiOf(msg.mti);
  const f3 = fieldOf(msg, 3);
  const f25 = fieldOf(msg, 25) ?? '00';
  const f60 = field60Of(msg);
  for (const spec of TRANSACTION_CATALOGUE) {
    if (spec.mti === mti && matches(spec, f3, f25, f60.transactionType, f60.networkCode)) return spec.kind;
  }
  return undefined;
}

/**
 * The kind a reversal (0400) undoes: the reversible row with the reversal's F3, F25 and 60.1 (CLJ
 * identifies reversals so, cup8583.md §3.1). Undefined for anything else.
 */
export function reversedKind(msg: IdentifiableMessage): TransactionKind | undefined {
  if (requestMtiOf(msg.mti) !== '0400') return undefined;
  const f3 = fieldOf(msg, 3);
  const f25 = fieldOf(msg, 25) ?? '00';
  const f60 = field60Of(msg);
  const spec = TRANSACTION_CATALOGUE.find((s) => s.reversible && matches(s, f3, f25, f60.transactionType, f60.networkCode));
  return spec?.kind;
}

/**
 * A request of the kind with what identifies it preset: MTI, F3, F25 and F60 = 60.1 + batch + 60.3
 * (the caller adds 60.4 / 60.5 for financial requests with formatField60). A reversal has no template
 * of its own (it is a copy of the original): its template carries only the MTI.
 */
export function requestTemplate(kind: TransactionKind, batchNumber = '000000'): IsoMessage {
  const spec = transactionSpec(kind);
  const msg = new IsoMessage(spec.mti);
  if (spec.processingCode !== undefined) msg.set(3, spec.processingCode);
  if (spec.conditionCode !== undefined) msg.set(25, spec.conditionCode);
  if (spec.networkCode !== undefined) {
    msg.set(60, formatField60({ transactionType: spec.transactionType ?? '00', batchNumber, networkCode: spec.networkCode }));
  }
  return msg;
}
