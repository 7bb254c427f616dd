/**
 * Field 39 response codes (cup8583.md §7): CUP meaning, the terminal action and the recommended
 * terminal display text of Q/CUP 006.6-2014 A.2, and whether the code is a success.
 */

export interface ResponseCodeInfo {
  code: string;
  /** CUP meaning (中文). */
  meaning: string;
  /** Recommended terminal display text (中文). */
  display: string;
  /** Approved (the terminal completes the transaction). */
  success: boolean;
  /** Terminal action: approve, decline, or retain the card (吞卡). */
  action: 'approve' | 'decline' | 'retain-card';
}

type Row = [code: string, meaning: string, display: string, action: ResponseCodeInfo['action']];

const ROWS: Row[] = [
  ['00', '承兑或交易成功', '交易成功', 'approve'],
  ['01', '查发卡方', '请持卡人与发卡银行联系', 'decline'],
  ['03', '无效商户', '无效商户', 'decline'],
  ['04', '没收卡', '此卡为无效卡（POS）', 'retain-card'],
  ['05', '身份认证失败', '持卡人认证失败', 'decline'],
  ['10', '部分金额批准', '显示部分批准金额，提示操作员', 'approve'],
  ['11', '重要人物批准(VIP)', '此为VIP客户', 'approve'],
  ['12', '无效的关联交易', '无效交易', 'decline'],
  ['13', '无效金额', '无效金额', 'decline'],
  ['14', '无效卡号(无此账号)', '无效卡号', 'decline'],
  ['15', '无此发卡方', '此卡无对应发卡方', 'decline'],
  ['21', '卡未初始化', '该卡未初始化或睡眠卡', 'decline'],
  ['22', '故障怀疑，关联交易错误', '操作有误，或超出交易允许天数', 'decline'],
  ['25', '找不到原始交易', '没有原始交易，请联系发卡方', 'decline'],
  ['30', '报文格式错误', '请重试', 'decline'],
  ['34', '有作弊嫌疑', '作弊卡,吞卡', 'retain-card'],
  ['38', '超过允许的PIN试输入', '密码错误次数超限，请与发卡方联系', 'decline'],
  ['40', '请求的功能尚不支持', '发卡方不支持的交易', 'decline'],
  ['41', '挂失卡', '挂失卡（POS）', 'retain-card'],
  ['43', '被窃卡', '被窃卡（POS）', 'retain-card'],
  ['45', '不允许降级交易', '请使用芯片', 'decline'],
  ['51', '资金不足', '可用余额不足', 'decline'],
  ['54', '过期的卡', '该卡已过期', 'decline'],
  ['55', '不正确的PIN', '密码错', 'decline'],
  ['57', '不允许持卡人进行的交易', '不允许此卡交易', 'decline'],
  ['58', '不允许终端进行的交易', '发卡方不允许该卡在本终端进行此交易', 'decline'],
  ['59', '有作弊嫌疑 (CVN验证失败)', '卡片校验错', 'decline'],
  ['61', '超出金额限制', '交易金额超限', 'decline'],
  ['62', '受限制的卡', '受限制的卡', 'decline'],
  ['64', '原始金额错误', '交易金额与原交易不匹配', 'decline'],
  ['65', '超出取款/消费次数限制', '超出取款次数限制', 'decline'],
  ['68', '发卡行响应超时', '交易超时，请重试', 'decline'],
  ['75', '允许的输入PIN次数超限', '密码错误次数超限', 'decline'],
  ['90', '正在日终处理', '系统日切，请稍后重试', 'decline'],
  ['91', '发卡方不能操作', '发卡方状态不正常，请稍后重试', 'decline'],
  ['92', '金融机构或中间网络设施找不到或无法达到', '发卡方线路异常，请稍后重试', 'decline'],
  ['94', '重复交易', '拒绝，重复交易，请稍后重试', 'decline'],
  ['96', '银联处理中心系统异常、失效', '拒绝，交换中心异常，请稍后重试', 'decline'],
  ['97', 'ATM/POS终端号找不到', '终端号未登记', 'decline'],
  ['98', '银联处理中心收不到发卡方应答', '发卡方超时', 'decline'],
  ['99', 'PIN格式错', 'PIN格式错，请重新签到', 'decline'],
  ['A0', 'MAC鉴别失败', 'MAC校验错，请重新签到', 'decline'],
  ['A1', '转账货币不一致', '转账货币不一致', 'decline'],
  ['A2', '有缺陷的成功', '交易成功，请向资金转入行确认', 'approve'],
  ['A3', '资金到账行无此账户', '资金到账行账号不正确', 'decline'],
  ['A4', '有缺陷的成功', '交易成功，请向资金到账行确认', 'approve'],
  ['A5', '有缺陷的成功', '交易成功，请向资金到账行确认', 'approve'],
  ['A6', '有缺陷的成功', '交易成功，请向资金到账行确认', 'approve'],
  ['A7', '安全处理失败', '安全处理失败', 'decline'],
  ['B1', '无欠费（收据未打）', '无欠费', 'decline'],
];

export const RESPONSE_CODES: ReadonlyMap<string, ResponseCodeInfo> = new Map(
  ROWS.map(([code, meaning, display, action]) => [code, Object.freeze({ code, meaning, display, action, success: action === 'approve' })]),
);

/** Info for an F39 code; unknown codes are declines shown as LY does ("交易失败 错误码:[xx]"). */
export function responseCodeInfo(code: string): ResponseCodeInfo {
  const key = typeof code === 'string' ? code.toUpperCase() : String(code);
  return RESPONSE_CODES.get(key) ?? { code: key, meaning: '未知应答码', display: `交易失败 错误码:[${key}]`, success: false, action: 'decline' };
}
