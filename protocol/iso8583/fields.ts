/**
 * Sub-fields and code meanings of the CUP POS dialect (cup8583.md §2.3–2.6, §3.9, §5.4).
 * Positional layouts (F60, F61, F53, F54, F48 sides) are data in subfields.ts; the typed views here
 * add code meanings and numbers on top of the one generic parse / format. Parsers take the field value as IsoMessage holds it (digit string / text) and throw
 * FieldContentError with the field and the offending part when the content does not fit the layout.
 */
import * as iconv from 'iconv-lite';
import { FieldContentError } from './errors';
import {
  FIELD48_SETTLEMENT_SIDE_LAYOUT,
  FIELD53_LAYOUT,
  FIELD54_LAYOUT,
  FIELD60_LAYOUT,
  FIELD61_LAYOUT,
  formatSubFields,
  parseSubFields,
} from './subfields';

const DIGITS_RE = /^[0-9]*$/;

function digits(field: string, part: string, value: string | undefined, length: number): string {
  if (typeof value !== 'string' || value.length !== length || !DIGITS_RE.test(value)) {
    throw new FieldContentError(field, `${part} must be ${length} digit(s), got ${JSON.stringify(value)}`, { part });
  }
  return value;
}

function requireDigits(field: string, value: string): void {
  if (typeof value !== 'string' || !DIGITS_RE.test(value)) {
    throw new FieldContentError(field, `must be a digit string, got ${JSON.stringify(value)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Field 60 (自定义域): 60.1 n2 + 60.2 n6 + 60.3 n3 [+ 60.4 n1 + 60.5 n1 + 60.6 n1 + 60.7 n3]

export interface Field60 {
  /** 60.1 交易类型码: 22 sale, 23 void, 25 refund, 01 balance, 10/11/20/21/24 pre-auth family, 00 management. */
  transactionType: string;
  /** 60.2 批次号, 6 digits. */
  batchNumber: string;
  /** 60.3 网络管理信息码: 000 financial, 001/003/004 sign-on, 201 settlement ... */
  networkCode: string;
  /** 60.4 终端读取能力: 5 contact IC capable, 6 contactless capable. */
  readCapability?: string;
  /** 60.5 IC卡条件代码: 0 normal, 2 fallback. */
  icCondition?: string;
  /** 60.6 部分扣款和返回余额标志: 1 = partial approval supported. */
  partialApproval?: string;
  /** 60.7 账户类型标志, 3 digits (048, 065 loyalty). */
  accountType?: string;
}

export function parseField60(value: string): Field60 {
  return parseSubFields(FIELD60_LAYOUT, value) as Field60;
}

/** Digits of F60 the dialect defines (60.1–60.7). PAX sends up to 19 (cup8583.md §2.2); no source says what the last two mean. */
export const FIELD60_DEFINED_DIGITS = 17;

/**
 * F60 as far as the dialect defines it, and the digits after 60.7 (PAX's F60 of up to 19 digits);
 * every other content error is a FieldContentError, as parseField60's.
 */
export function parseField60Extended(value: string): { field60: Field60; beyond: string } {
  if (typeof value === 'string' && value.length > FIELD60_DEFINED_DIGITS && value.length <= FIELD60_DEFINED_DIGITS + 2 && DIGITS_RE.test(value)) {
    return { field60: parseField60(value.slice(0, FIELD60_DEFINED_DIGITS)), beyond: value.slice(FIELD60_DEFINED_DIGITS) };
  }
  return { field60: parseField60(value), beyond: '' };
}

export function formatField60(f: Field60): string {
  return formatSubFields(FIELD60_LAYOUT, f);
}

/** Meaning of 60.3 (网络管理信息码). */
export function networkCodeMeaning(code: string): string {
  return NETWORK_CODES[code] ?? `unknown network management code ${code}`;
}

const NETWORK_CODES: Record<string, string> = {
  '000': 'financial transaction (金融交易)',
  '001': 'sign-on, single-length keys (签到, 单倍长密钥)',
  '002': 'sign-off (签退)',
  '003': 'sign-on, double-length keys (签到, 双倍长密钥)',
  '004': 'sign-on, double-length keys with TDK (签到, 双倍长密钥含磁道密钥)',
  '201': 'settlement / magstripe batch upload (批结算 / 磁条卡批上送)',
  '202': 'batch upload end, unbalanced (批上送结束)',
  '203': 'IC batch upload, TC / offline (IC卡批上送)',
  '204': 'failed IC batch upload (IC卡失败交易批上送)',
  '205': 'IC TC upload after unbalanced settlement (对账不平IC卡批上送)',
  '206': 'failed IC upload after unbalanced settlement (对账不平失败交易批上送)',
  '207': 'batch upload end, balanced (批上送结束, 对账平)',
  '301': 'echo test (回响测试)',
  '360': 'parameter download (参数下载)',
  '362': 'status upload (状态上送)',
  '370': 'IC public key download (IC卡公钥下载)',
  '371': 'IC public key download end (IC卡公钥下载结束)',
  '372': 'IC public key status query (IC卡公钥状态上送)',
  '380': 'IC parameter download (IC卡参数下载)',
  '381': 'IC parameter download end (IC卡参数下载结束)',
  '382': 'IC parameter status query (IC卡参数状态上送)',
  '390': 'blacklist download (黑名单下载)',
  '391': 'blacklist download end (黑名单下载结束)',
  '394': 'contactless parameter download (非接参数下载)',
  '395': 'contactless parameter download end (非接参数下载结束)',
  '396': 'card BIN list B download (卡BIN B表下载)',
  '397': 'card BIN list B download end',
  '398': 'card BIN list C download (卡BIN C表下载)',
  '399': 'card BIN list C download end',
  '401': 'loyalty sign-on (积分签到)',
  '800': 'electronic signature upload (电子签名上送)',
  '951': 'IC script result notice (IC卡脚本结果通知)',
};

/** Meaning of 60.1 (交易类型码). */
export function transactionTypeMeaning(code: string): string {
  return TRANSACTION_TYPES[code] ?? `unknown transaction type ${code}`;
}

const TRANSACTION_TYPES: Record<string, string> = {
  '00': 'management / settlement / batch (管理类)',
  '01': 'balance inquiry (余额查询)',
  '10': 'pre-authorisation (预授权)',
  '11': 'pre-authorisation void (预授权撤销)',
  '20': 'pre-authorisation completion (预授权完成请求)',
  '21': 'pre-authorisation completion void (预授权完成撤销)',
  '22': 'sale / bill payment (消费 / 缴费)',
  '23': 'sale void (消费撤销)',
  '24': 'pre-authorisation completion advice (预授权完成通知)',
  '25': 'refund (退货)',
  '30': 'offline sale (离线结算)',
  '32': 'adjust (结算调整)',
  '34': 'tip adjust (追加小费)',
  '36': 'IC offline sale (IC卡脱机消费)',
  '07': 'electronic signature (电子签名)',
};

// ---------------------------------------------------------------------------------------------------
// Field 61 (原始信息域): 61.1 n6 + 61.2 n6 [+ 61.3 n4 + 61.4 n2 + 61.5 n11]

export interface Field61 {
  originalBatch: string;
  originalTrace: string;
  /** MMDD; `0000` when unknown. */
  originalDate?: string;
  /** 00 POS, 01 phone, 02 小额代授权. */
  authMethod?: string;
  /** 11 digits, the authorising institution for phone authorisations. */
  authInstitution?: string;
}

export function parseField61(value: string): Field61 {
  return parseSubFields(FIELD61_LAYOUT, value) as Field61;
}

export function formatField61(f: Field61): string {
  return formatSubFields(FIELD61_LAYOUT, f);
}

// ---------------------------------------------------------------------------------------------------
// Field 63 in responses: 63.1 an3 card organisation + 63.2 issuer / centre / acquirer texts (20 GBK bytes each)

/**
 * 63.1 of a domestic card (内卡, cup8583.md §2.6); any other code names a foreign card (外卡), which
 * the settlement counts on its own side (§3.9) and the batch upload flags 01 (§3.10).
 */
export const DOMESTIC_CARD_ORGANISATION = 'CUP';

/**
 * The card-organisation flag of a batch-upload record (cup8583.md §3.10: `00` a CUP card, `01` a
 * foreign one; the 201 list items and the F62 of IC records alike) for an original answered with 63.1 `org`.
 */
export function organisationFlag(org: string): '00' | '01' {
  return org === DOMESTIC_CARD_ORGANISATION ? '00' : '01';
}

/** 63.1 of a refund or upload whose original's card organisation the terminal does not know (§2.6: LY, PAX). */
export const UNKNOWN_CARD_ORGANISATION = '000';

/**
 * 63.1 (the card organisation) of field 63 as a journal or dump shows it: text, or hex when the field
 * was shown as bytes; undefined when it holds fewer than 3 characters.
 */
export function cardOrganisationOfField63(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 3) return undefined;
  if (/^[0-9A-F]+$/.test(value) && value.length >= 6 && !/^[A-Z]{3}/.test(value)) return Buffer.from(value.slice(0, 6), 'hex').toString('latin1');
  return value.slice(0, 3);
}

export interface Field63Response {
  /** CUP for domestic cards; VIS, MCC, JCB ... for foreign cards. */
  cardOrganisation: string;
  issuerText?: string;
  centreText?: string;
  acquirerText?: string;
}

const F63_TEXTS: (keyof Field63Response)[] = ['issuerText', 'centreText', 'acquirerText'];

export function parseField63Response(value: string): Field63Response {
  if (typeof value !== 'string') throw new FieldContentError('63', 'must be a string');
  // Offsets are GBK byte offsets (LY SaveRspPackData), so slice the wire bytes, not the characters.
  const bytes = iconv.encode(value, 'gbk');
  if (bytes.length < 3) throw new FieldContentError('63', `63.1 needs 3 characters, got ${JSON.stringify(value)}`);
  const out: Field63Response = { cardOrganisation: bytes.toString('latin1', 0, 3) };
  for (let i = 0; i < 3; i++) {
    const start = 3 + i * 20;
    if (start >= bytes.length) break;
    const text = iconv.decode(bytes.subarray(start, Math.min(start + 20, bytes.length)), 'gbk').trimEnd();
    if (text) out[F63_TEXTS[i]] = text;
  }
  return out;
}

/** Truncates to at most n GBK bytes without splitting a character, then space-pads to n bytes. */
function gbkField(text: string, n: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const len = iconv.encode(ch, 'gbk').length;
    if (used + len > n) break;
    out += ch;
    used += len;
  }
  return out + ' '.repeat(n - used);
}

export function formatField63Response(f: Field63Response): string {
  if (typeof f.cardOrganisation !== 'string' || !/^[\x20-\x7e]{3}$/.test(f.cardOrganisation)) {
    throw new FieldContentError('63', `63.1 cardOrganisation must be 3 ASCII characters, got ${JSON.stringify(f.cardOrganisation)}`);
  }
  let s = f.cardOrganisation;
  const lastText = F63_TEXTS.reduce((last, key, i) => (f[key] ? i : last), -1);
  for (let i = 0; i <= lastText; i++) s += gbkField(f[F63_TEXTS[i]] ?? '', 20);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Field 22 (服务点输入方式码): 2 digits PAN entry + 1 digit PIN capability

export type PanEntryMode =
  'unspecified' | 'manual' | 'magstripe' | 'qr' | 'contact' | 'contactless' | 'fallback' | 'reservation' | 'mobile' | 'contactless-pboc';
export type PinEntry = 'unspecified' | 'entered' | 'not-entered';

export interface PosEntryMode {
  panEntry: PanEntryMode;
  pin: PinEntry;
}

const PAN_ENTRY: [string, PanEntryMode][] = [
  ['00', 'unspecified'],
  ['01', 'manual'],
  ['02', 'magstripe'],
  ['03', 'qr'],
  ['05', 'contact'],
  ['07', 'contactless'],
  ['80', 'fallback'],
  ['92', 'reservation'],
  ['96', 'mobile'],
  ['98', 'contactless-pboc'],
];
const PIN_ENTRY: [string, PinEntry][] = [
  ['0', 'unspecified'],
  ['1', 'entered'],
  ['2', 'not-entered'],
];

export function parsePosEntryMode(value: string): PosEntryMode {
  digits('22', 'entry mode', value, 3);
  const pan = PAN_ENTRY.find(([c]) => c === value.slice(0, 2));
  const pin = PIN_ENTRY.find(([c]) => c === value[2]);
  if (!pan) throw new FieldContentError('22', `unknown PAN entry mode ${value.slice(0, 2)} (known: ${PAN_ENTRY.map(([c]) => c).join(', ')})`);
  if (!pin) throw new FieldContentError('22', `unknown PIN entry capability ${value[2]} (known: 0, 1, 2)`);
  return { panEntry: pan[1], pin: pin[1] };
}

export function formatPosEntryMode(m: PosEntryMode): string {
  const pan = PAN_ENTRY.find(([, v]) => v === m.panEntry);
  const pin = PIN_ENTRY.find(([, v]) => v === m.pin);
  if (!pan) throw new FieldContentError('22', `unknown panEntry ${JSON.stringify(m.panEntry)}`);
  if (!pin) throw new FieldContentError('22', `unknown pin ${JSON.stringify(m.pin)}`);
  return pan[0] + pin[0];
}

// ---------------------------------------------------------------------------------------------------
// Field 25 (服务点条件码)

const CONDITION_CODES: Record<string, string> = {
  '00': 'normal presentment (正常提交)',
  '06': 'pre-authorisation family (预授权类)',
  '08': 'mail / telephone order (邮购/电话订购)',
  '18': 'mail / telephone order (MOTO)',
  '60': 'pre-authorisation add (追加预授权)',
  '64': 'instalment (分期付款)',
  '65': 'loyalty (积分)',
  '67': 'reservation (预约)',
  '91': 'e-cash / e-purse load (电子现金/电子钱包圈存)',
};

export function conditionCodeMeaning(code: string): string {
  return CONDITION_CODES[code] ?? `unknown POS condition code ${code}`;
}

// ---------------------------------------------------------------------------------------------------
// Field 53 (安全控制信息) n16: 53.1 PIN format, 53.2 encryption, 53.3 track encryption, 13 zeros

export type F53PinFormat = 'none' | 'x98-with-pan' | 'x98-without-pan';
export interface SecurityControl {
  pinFormat: F53PinFormat;
  encryption: 'des' | 'tdes' | 'sm4';
  trackEncrypted: boolean;
}

const PIN_FORMATS: [string, F53PinFormat][] = [
  ['0', 'none'],
  ['1', 'x98-without-pan'],
  ['2', 'x98-with-pan'],
];
const ENCRYPTIONS: [string, SecurityControl['encryption']][] = [
  ['0', 'des'],
  ['6', 'tdes'],
  ['3', 'sm4'],
];

export function parseSecurityControl(value: string): SecurityControl {
  const p = parseSubFields(FIELD53_LAYOUT, value);
  const pin = PIN_FORMATS.find(([c]) => c === p.pinFormat);
  const enc = ENCRYPTIONS.find(([c]) => c === p.encryption);
  if (!pin) throw new FieldContentError('53', `53.1 PIN format ${p.pinFormat} is not 0, 1 or 2`);
  if (!enc) throw new FieldContentError('53', `53.2 encryption ${p.encryption} is not 0 (DES), 6 (3DES) or 3 (SM4)`);
  return { pinFormat: pin[1], encryption: enc[1], trackEncrypted: p.trackEncrypted === '1' };
}

export function formatSecurityControl(s: SecurityControl): string {
  const pin = PIN_FORMATS.find(([, v]) => v === s.pinFormat);
  const enc = ENCRYPTIONS.find(([, v]) => v === s.encryption);
  if (!pin) throw new FieldContentError('53', `unknown pinFormat ${JSON.stringify(s.pinFormat)}`);
  if (!enc) throw new FieldContentError('53', `unknown encryption ${JSON.stringify(s.encryption)}`);
  return formatSubFields(FIELD53_LAYOUT, {
    pinFormat: pin[0],
    encryption: enc[0],
    trackEncrypted: s.trackEncrypted ? '1' : '0',
    reserved: '0'.repeat(13),
  });
}

// ---------------------------------------------------------------------------------------------------
// Field 54 (余额): 账户类型 2 + 余额类型 2 + 货币代码 3 + 符号 C/D + 余额 12

export interface Balance {
  accountType: string;
  amountType: string;
  currency: string;
  /** Amount in minor units (fen), negative when the sign is D. */
  amount: number;
}

export function parseBalance(value: string): Balance {
  const p = parseSubFields(FIELD54_LAYOUT, value);
  return {
    accountType: p.accountType!,
    amountType: p.amountType!,
    currency: p.currency!,
    amount: (p.sign === 'D' ? -1 : 1) * Number(p.amount),
  };
}

export function formatBalance(b: Balance): string {
  if (!Number.isSafeInteger(b.amount) || Math.abs(b.amount) > 999_999_999_999) {
    throw new FieldContentError('54', `amount must be an integer of at most 12 digits (fen), got ${b.amount}`);
  }
  return formatSubFields(FIELD54_LAYOUT, {
    accountType: b.accountType,
    amountType: b.amountType,
    currency: b.currency,
    sign: b.amount < 0 ? 'D' : 'C',
    amount: String(Math.abs(b.amount)).padStart(12, '0'),
  });
}

// ---------------------------------------------------------------------------------------------------
// Field 48 of 0500/0510 (settlement totals, 62 digits)

/** 对账应答代码: 0 sent by the terminal, 1 balanced, 2 unbalanced, 3 error. */
export type SettlementResult = '0' | '1' | '2' | '3';

export interface SettlementSide {
  debitAmount: number;
  debitCount: number;
  creditAmount: number;
  creditCount: number;
  result: SettlementResult;
}

export interface SettlementTotals {
  domestic: SettlementSide;
  foreign: SettlementSide;
}

export function settlementResultMeaning(result: string): string {
  return (
    (
      {
        '0': 'not reconciled yet (终端上送)',
        '1': 'balanced (对账平)',
        '2': 'unbalanced (对账不平)',
        '3': 'reconciliation error (对账出错)',
      } as Record<string, string>
    )[result] ?? `unknown settlement result ${result}`
  );
}

function decodeSide(v: string, side: string): SettlementSide {
  let p;
  try {
    p = parseSubFields(FIELD48_SETTLEMENT_SIDE_LAYOUT, v);
  } catch (err) {
    if (err instanceof FieldContentError) throw new FieldContentError('48', `${side} side: ${err.message.replace(/^field 48: /, '')}`);
    throw err;
  }
  return {
    debitAmount: Number(p.debitAmount),
    debitCount: Number(p.debitCount),
    creditAmount: Number(p.creditAmount),
    creditCount: Number(p.creditCount),
    result: p.result as SettlementResult,
  };
}

export function decodeSettlementTotals(value: string): SettlementTotals {
  requireDigits('48', value);
  if (value.length !== 62) throw new FieldContentError('48', `settlement totals are 62 digits, got ${value.length}`);
  return { domestic: decodeSide(value.slice(0, 31), 'domestic'), foreign: decodeSide(value.slice(31), 'foreign') };
}

function encodeSide(s: SettlementSide, side: string): string {
  const num = (what: string, v: number, width: number): string => {
    if (!Number.isSafeInteger(v) || v < 0 || String(v).length > width) {
      throw new FieldContentError('48', `${side} ${what} must be a non-negative integer of at most ${width} digits, got ${v}`);
    }
    return String(v).padStart(width, '0');
  };
  if (!['0', '1', '2', '3'].includes(s.result)) throw new FieldContentError('48', `${side} result must be 0-3, got ${JSON.stringify(s.result)}`);
  return formatSubFields(FIELD48_SETTLEMENT_SIDE_LAYOUT, {
    debitAmount: num('debitAmount', s.debitAmount, 12),
    debitCount: num('debitCount', s.debitCount, 3),
    creditAmount: num('creditAmount', s.creditAmount, 12),
    creditCount: num('creditCount', s.creditCount, 3),
    result: s.result,
  });
}

export function encodeSettlementTotals(t: SettlementTotals): string {
  return encodeSide(t.domestic, 'domestic') + encodeSide(t.foreign, 'foreign');
}
