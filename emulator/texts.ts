/**
 * Everything the terminal says on its screen, in 简体中文 (the default a merchant sees) and in
 * English. Response-code texts follow the recommended terminal display of Q/CUP 006.6 (cup8583.md §7).
 * The names of transactions (menu entries and flow titles) come from the transaction catalogue.
 */
import { TransactionKind, transactionSpec } from '../protocol/iso8583';

export type Language = 'zh-CN' | 'en';

export interface Bilingual {
  readonly zh: string;
  readonly en: string;
}

export function pick(text: Bilingual, language: Language): string {
  return language === 'en' ? text.en : text.zh;
}

/** A kind's menu label from the transaction catalogue (the last step of its menu path: 预授权/预授权完成 → 预授权完成). */
export function kindLabel(kind: TransactionKind): Bilingual {
  const menu = transactionSpec(kind).menu;
  if (!menu) throw new TypeError(`transaction kind ${kind} has no menu label in the catalogue`);
  const last = (path: string) => path.split('/').pop()!;
  return { zh: last(menu.zh), en: last(menu.en) };
}

/** Screen texts, keyed by what they mean. */
export const T = {
  title: { zh: '银联POS', en: 'UNIONPAY POS' },
  welcome: { zh: '欢迎使用', en: 'WELCOME' },
  pressEnterForMenu: { zh: '按[确认]键进入菜单', en: 'PRESS ENTER FOR MENU' },
  notSignedOn: { zh: '未签到', en: 'NOT SIGNED ON' },
  selfTest: { zh: '开机自检中...', en: 'SELF TEST...' },
  selfTestOk: { zh: '自检通过', en: 'SELF TEST OK' },
  selfTestNoTmk: { zh: '未下载主密钥', en: 'NO MASTER KEY LOADED' },
  selfTestNoIds: { zh: '未设置商户号/终端号', en: 'MERCHANT/TERMINAL ID NOT SET' },
  mainMenu: { zh: '主菜单', en: 'MAIN MENU' },
  preAuthMenu: { zh: '预授权', en: 'PRE-AUTH' },
  reprint: { zh: '重打印', en: 'REPRINT' },
  manage: { zh: '管理', en: 'MANAGEMENT' },
  summary: { zh: '交易汇总', en: 'BATCH TOTALS' },
  downloading: { zh: '下载中...', en: 'DOWNLOADING...' },
  paramOk: { zh: '参数下载成功', en: 'PARAMETERS LOADED' },
  paramFailed: { zh: '参数下载失败', en: 'PARAMETER DOWNLOAD FAILED' },
  icDownloading: { zh: 'IC卡参数下载', en: 'IC PARAMETER DOWNLOAD' },
  capkDownloading: { zh: 'IC卡公钥下载', en: 'IC PUBLIC KEY DOWNLOAD' },
  icDownloadFailed: { zh: 'IC卡参数下载失败', en: 'IC PARAMETER DOWNLOAD FAILED' },
  icParamsMissing: { zh: 'IC卡参数未下载', en: 'NO IC PARAMETERS' },
  icParamsHint: { zh: '请签到下载后重试', en: 'SIGN ON TO LOAD, RETRY' },
  blacklistDownloading: { zh: '黑名单下载', en: 'BLACKLIST DOWNLOAD' },
  listDownloadFailed: { zh: '黑名单/非接参数下载失败', en: 'BLACKLIST/CONTACTLESS DOWNLOAD FAILED' },
  contactlessDownloading: { zh: '非接参数下载', en: 'CONTACTLESS PARAMETER DOWNLOAD' },
  // A card on the downloaded blacklist: refused at the terminal, nothing sent (§7 62's recommended display).
  cardBlacklisted: { zh: '受限制的卡', en: 'RESTRICTED CARD' },
  cardBlacklistedHint: { zh: '此卡已列入黑名单', en: 'CARD IS ON THE BLACKLIST' },
  echoOk: { zh: '通讯正常', en: 'COMMUNICATION OK' },
  signingOff: { zh: '签退中...', en: 'SIGNING OFF...' },
  signOffOk: { zh: '签退成功', en: 'SIGN OFF OK' },
  signOffFailed: { zh: '签退失败', en: 'SIGN OFF FAILED' },
  language: { zh: '语言/LANGUAGE', en: 'LANGUAGE/语言' },
  reprintLast: { zh: '重打印最后一笔', en: 'REPRINT LAST' },
  reprintAny: { zh: '重打印任意一笔', en: 'REPRINT BY VOUCHER NO' },
  reprintSettlement: { zh: '重打印结算单', en: 'REPRINT SETTLEMENT' },
  enterAmount: { zh: '请输入金额:', en: 'ENTER AMOUNT:' },
  enterPayeeName: { zh: '请输入收款方名称:', en: 'ENTER PAYEE NAME:' },
  enterPayeeAccount: { zh: '请输入收款方账号:', en: 'ENTER PAYEE ACCOUNT:' },
  confirmBill: { zh: '请确认缴费信息', en: 'CONFIRM BILL PAYMENT' },
  payee: { zh: '收款方:', en: 'PAYEE:' },
  payeeAccount: { zh: '收款账号:', en: 'ACCOUNT:' },
  amount: { zh: '金额:', en: 'AMOUNT:' },
  enterConfirmCancel: { zh: '[确认]继续 [取消]退出', en: 'ENTER=OK CANCEL=QUIT' },
  presentCard: { zh: '请刷卡/插卡/挥卡', en: 'SWIPE/INSERT/TAP CARD' },
  useChip: { zh: '请插入IC卡', en: 'PLEASE INSERT CHIP' },
  chipReadFailed: { zh: 'IC卡读卡失败', en: 'CHIP READ ERROR' },
  fallbackSwipe: { zh: '降级交易 请刷卡', en: 'FALLBACK: PLEASE SWIPE' },
  enterPin: { zh: '请输入密码:', en: 'ENTER PIN:' },
  pinHint: { zh: '无密码请按[确认]', en: 'NO PIN: PRESS ENTER' },
  processing: { zh: '处理中...', en: 'PROCESSING...' },
  connecting: { zh: '联机中,请稍候', en: 'CONNECTING, PLEASE WAIT' },
  sendingReversal: { zh: '正在冲正...', en: 'SENDING REVERSAL...' },
  reversalFailed: { zh: '冲正不成功', en: 'REVERSAL FAILED' },
  contactSupport: { zh: '请与客服联系', en: 'CONTACT SUPPORT' },
  signingOn: { zh: '签到中...', en: 'SIGNING ON...' },
  signOnOk: { zh: '签到成功', en: 'SIGN ON OK' },
  signOnFailed: { zh: '签到失败', en: 'SIGN ON FAILED' },
  kcvMismatch: { zh: '解包密钥验证不符', en: 'KEY CHECK VALUE MISMATCH' },
  checkTmk: { zh: '请确认主密钥下载', en: 'CHECK MASTER KEY' },
  success: { zh: '交易成功', en: 'APPROVED' },
  failed: { zh: '交易失败', en: 'DECLINED' },
  printing: { zh: '正在打印...', en: 'PRINTING...' },
  tearOff: { zh: '请撕下凭条', en: 'TEAR OFF RECEIPT' },
  signHere: { zh: '请持卡人签名', en: 'CARDHOLDER PLEASE SIGN' },
  signOnScreen: { zh: '请在屏幕上签名', en: 'SIGN ON THE SCREEN' },
  signatureUploading: { zh: '电子签名上送中...', en: 'UPLOADING SIGNATURE...' },
  hostTimeout: { zh: '交易超时', en: 'HOST TIMEOUT' },
  commError: { zh: '通讯失败', en: 'COMMUNICATION ERROR' },
  willReverse: { zh: '将自动冲正', en: 'WILL BE REVERSED' },
  macMismatch: { zh: '解包校验不符', en: 'RESPONSE MAC MISMATCH' },
  responseMismatch: { zh: '解包数据不符', en: 'RESPONSE DOES NOT MATCH' },
  arpcFailed: { zh: '发卡行认证失败', en: 'ISSUER AUTHENTICATION FAILED' },
  cardExpired: { zh: '该卡已过期', en: 'CARD EXPIRED' },
  cardUnreadable: { zh: '读卡失败', en: 'CARD READ ERROR' },
  removeCard: { zh: '请拔卡', en: 'REMOVE CARD' },
  timeout: { zh: '操作超时', en: 'TIMEOUT' },
  cancelled: { zh: '交易取消', en: 'CANCELLED' },
  enterVoucherNo: { zh: '请输入原凭证号:', en: 'ORIGINAL VOUCHER NO:' },
  supervisorPassword: { zh: '请输入主管密码:', en: 'SUPERVISOR PASSWORD:' },
  supervisorWrong: { zh: '主管密码错误', en: 'WRONG SUPERVISOR PASSWORD' },
  operatorNumber: { zh: '请输入操作员号:', en: 'OPERATOR NO:' },
  operatorPassword: { zh: '请输入操作员密码:', en: 'OPERATOR PASSWORD:' },
  operatorWrong: { zh: '操作员密码错误', en: 'WRONG OPERATOR PASSWORD' },
  cardMismatch: { zh: '卡号与原交易不符', en: 'CARD DIFFERS FROM ORIGINAL' },
  voucherNotFound: { zh: '无此交易', en: 'TRANSACTION NOT FOUND' },
  alreadyVoided: { zh: '该交易已撤销', en: 'ALREADY VOIDED' },
  cannotVoid: { zh: '该交易不能撤销', en: 'CANNOT BE VOIDED' },
  confirmVoid: { zh: '请确认撤销', en: 'CONFIRM VOID' },
  originalVoucher: { zh: '原凭证号:', en: 'VOUCHER NO:' },
  enterOrigRrn: { zh: '请输入原参考号:', en: 'ORIGINAL REF NO:' },
  enterOrigDate: { zh: '请输入原交易日期(MMDD):', en: 'ORIGINAL DATE (MMDD):' },
  enterAuthCode: { zh: '请输入原授权码:', en: 'ORIGINAL AUTH CODE:' },
  balanceOk: { zh: '查询成功', en: 'BALANCE' },
  availableBalance: { zh: '可用余额:', en: 'AVAILABLE:' },
  confirmSettle: { zh: '确认结算?', en: 'SETTLE NOW?' },
  settling: { zh: '结算中...', en: 'SETTLING...' },
  batchNo: { zh: '批次号:', en: 'BATCH:' },
  debit: { zh: '借记', en: 'DEBIT' },
  credit: { zh: '贷记', en: 'CREDIT' },
  domestic: { zh: '内卡:', en: 'DOMESTIC:' },
  batchUploading: { zh: '批上送中...', en: 'BATCH UPLOAD...' },
  settleOk: { zh: '结算成功', en: 'SETTLEMENT DONE' },
  settleFailed: { zh: '结算失败', en: 'SETTLEMENT FAILED' },
  balanced: { zh: '对账平', en: 'BALANCED' },
  unbalanced: { zh: '对账不平', en: 'NOT BALANCED' },
  reconcileError: { zh: '对账出错', en: 'RECONCILE ERROR' },
  batchEmpty: { zh: '无交易', en: 'NO TRANSACTIONS' },
  count: { zh: '笔数', en: 'COUNT' },
  noTransaction: { zh: '无交易记录', en: 'NO TRANSACTION' },
  tamperWarning: { zh: '警告:终端已被拆机', en: 'WARNING: TAMPER DETECTED' },
  tamperBlocked: { zh: '禁止交易', en: 'TRANSACTIONS BLOCKED' },
  tamperContact: { zh: '请联系收单机构', en: 'CONTACT YOUR ACQUIRER' },
  contactBank: { zh: '请联系银行', en: 'PLEASE CONTACT YOUR BANK' },
  batchFull: { zh: '批次已满,请先结算', en: 'BATCH FULL, SETTLE FIRST' },
  powerOff: { zh: '', en: '' },
} as const satisfies Record<string, Bilingual>;

export interface ResponseText {
  readonly zh: string;
  readonly en: string;
  /** Treated as an approval (00, 10, 11, A2, A4–A6). */
  readonly success: boolean;
  /** Decline that asks the cardholder to contact the bank (card to be retained at the POS). */
  readonly contactBank?: boolean;
}

/** cup8583.md §7, column "Recommended display (QCUP)". */
export const RESPONSE_TEXTS: Readonly<Record<string, ResponseText>> = {
  '00': { zh: '交易成功', en: 'APPROVED', success: true },
  '01': { zh: '请持卡人与发卡银行联系', en: 'REFER TO CARD ISSUER', success: false },
  '03': { zh: '无效商户', en: 'INVALID MERCHANT', success: false },
  '04': { zh: '此卡为无效卡(POS)', en: 'PICK UP CARD', success: false, contactBank: true },
  '05': { zh: '持卡人认证失败', en: 'CARDHOLDER NOT AUTHENTICATED', success: false },
  '10': { zh: '交易成功 但为部分承兑', en: 'PARTIAL APPROVAL', success: true },
  '11': { zh: '此为VIP客户', en: 'APPROVED (VIP)', success: true },
  '12': { zh: '无效交易', en: 'INVALID TRANSACTION', success: false },
  '13': { zh: '无效金额', en: 'INVALID AMOUNT', success: false },
  '14': { zh: '无效卡号', en: 'INVALID CARD NUMBER', success: false },
  '15': { zh: '此卡无对应发卡方', en: 'NO SUCH ISSUER', success: false },
  '21': { zh: '该卡未初始化或睡眠卡', en: 'CARD NOT INITIALISED', success: false },
  '22': { zh: '操作有误,或超出交易允许天数', en: 'SUSPECTED MALFUNCTION', success: false },
  '25': { zh: '没有原始交易,请联系发卡方', en: 'ORIGINAL NOT FOUND', success: false },
  '30': { zh: '请重试', en: 'FORMAT ERROR, RETRY', success: false },
  '34': { zh: '作弊卡,吞卡', en: 'SUSPECTED FRAUD, PICK UP', success: false, contactBank: true },
  '38': { zh: '密码错误次数超限,请与发卡方联系', en: 'PIN TRIES EXCEEDED, CALL ISSUER', success: false },
  '40': { zh: '发卡方不支持的交易', en: 'FUNCTION NOT SUPPORTED', success: false },
  '41': { zh: '挂失卡(POS)', en: 'LOST CARD', success: false, contactBank: true },
  '43': { zh: '被窃卡(POS)', en: 'STOLEN CARD', success: false, contactBank: true },
  '45': { zh: '请使用芯片', en: 'PLEASE USE CHIP', success: false },
  '51': { zh: '可用余额不足', en: 'INSUFFICIENT FUNDS', success: false },
  '54': { zh: '该卡已过期', en: 'EXPIRED CARD', success: false },
  '55': { zh: '密码错', en: 'INCORRECT PIN', success: false },
  '57': { zh: '不允许此卡交易', en: 'NOT PERMITTED TO CARDHOLDER', success: false },
  '58': { zh: '发卡方不允许该卡在本终端进行此交易', en: 'NOT PERMITTED ON THIS TERMINAL', success: false },
  '59': { zh: '卡片校验错', en: 'CARD VERIFICATION ERROR', success: false },
  '61': { zh: '交易金额超限', en: 'AMOUNT LIMIT EXCEEDED', success: false },
  '62': { zh: '受限制的卡', en: 'RESTRICTED CARD', success: false },
  '64': { zh: '交易金额与原交易不匹配', en: 'ORIGINAL AMOUNT INCORRECT', success: false },
  '65': { zh: '超出消费次数限制', en: 'FREQUENCY LIMIT EXCEEDED', success: false },
  '68': { zh: '交易超时,请重试', en: 'ISSUER TIMEOUT, RETRY', success: false },
  '75': { zh: '密码错误次数超限', en: 'PIN TRIES EXCEEDED', success: false },
  '90': { zh: '系统日切,请稍后重试', en: 'CUTOFF IN PROGRESS, RETRY LATER', success: false },
  '91': { zh: '发卡方状态不正常,请稍后重试', en: 'ISSUER UNAVAILABLE, RETRY LATER', success: false },
  '92': { zh: '发卡方线路异常,请稍后重试', en: 'ISSUER UNREACHABLE, RETRY LATER', success: false },
  '94': { zh: '拒绝,重复交易,请稍后重试', en: 'DUPLICATE TRANSACTION', success: false },
  '96': { zh: '拒绝,交换中心异常,请稍后重试', en: 'SYSTEM MALFUNCTION, RETRY LATER', success: false },
  '97': { zh: '终端号未登记', en: 'TERMINAL NOT REGISTERED', success: false },
  '98': { zh: '发卡方超时', en: 'ISSUER TIMEOUT', success: false },
  '99': { zh: 'PIN格式错,请重新签到', en: 'PIN FORMAT ERROR, SIGN ON AGAIN', success: false },
  A0: { zh: 'MAC校验错,请重新签到', en: 'MAC ERROR, SIGN ON AGAIN', success: false },
  A1: { zh: '转账货币不一致', en: 'CURRENCY MISMATCH', success: false },
  A2: { zh: '交易成功,请向发卡行确认', en: 'APPROVED, CONFIRM WITH ISSUER', success: true },
  A3: { zh: '资金到账行账号不正确', en: 'BENEFICIARY ACCOUNT INCORRECT', success: false },
  A4: { zh: '交易成功,请向发卡行确认', en: 'APPROVED, CONFIRM WITH ISSUER', success: true },
  A5: { zh: '交易成功,请向发卡行确认', en: 'APPROVED, CONFIRM WITH ISSUER', success: true },
  A6: { zh: '交易成功,请向发卡行确认', en: 'APPROVED, CONFIRM WITH ISSUER', success: true },
  A7: { zh: '安全处理失败', en: 'SECURITY FAILURE', success: false },
};

/** Unknown codes: "交易失败 错误码:[xx]" as LY shows them. */
export function responseText(code: string): ResponseText {
  return RESPONSE_TEXTS[code] ?? { zh: `交易失败 错误码:[${code}]`, en: `DECLINED CODE [${code}]`, success: false };
}

/** 1234 fen → "12.34". */
export function formatAmount(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
