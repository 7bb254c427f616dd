/**
 * The UnionPay (CUP) POS ↔ acquirer dialect: fields 2–64, primary bitmap only.
 * Source: reference/cup8583.md §2.2 (LY st8583.c, PAX cup8583.xml, CLJ iso.c agree).
 * Fields not listed here are undefined in the dialect: a bitmap bit for one of them is a decode error.
 */
import type { Dialect, FieldSpec } from './types';

type Row = [
  id: number,
  name: string,
  nameZh: string,
  format: FieldSpec['format'],
  lengthType: FieldSpec['lengthType'],
  maxLength: number,
  extra?: Partial<Pick<FieldSpec, 'align' | 'padNibble' | 'charset' | 'sensitive'>>,
];

// maxLength: digits for n/z, bytes for an/ans/b.
const ROWS: Row[] = [
  [2, 'Primary account number', '主账号', 'n', 'LLVAR', 19, { sensitive: 'pan' }],
  [3, 'Processing code', '交易处理码', 'n', 'fixed', 6],
  [4, 'Amount, transaction', '交易金额', 'n', 'fixed', 12],
  [11, 'System trace audit number', '受卡方系统跟踪号', 'n', 'fixed', 6],
  [12, 'Time, local transaction', '受卡方所在地时间', 'n', 'fixed', 6],
  [13, 'Date, local transaction', '受卡方所在地日期', 'n', 'fixed', 4],
  [14, 'Date, expiration', '卡有效期', 'n', 'fixed', 4],
  [15, 'Date, settlement', '清算日期', 'n', 'fixed', 4],
  // CUP sends F22 left-aligned: 051 -> 05 10 (LY tranproc.c, PAX paddingpos="R").
  [22, 'Point of service entry mode', '服务点输入方式码', 'n', 'fixed', 3, { align: 'left' }],
  [23, 'Card sequence number', '卡序列号', 'n', 'fixed', 3],
  [25, 'Point of service condition code', '服务点条件码', 'n', 'fixed', 2],
  [26, 'Point of service PIN capture code', '服务点PIN获取码', 'n', 'fixed', 2],
  [32, 'Acquiring institution ID', '受理方标识码', 'n', 'LLVAR', 11],
  [35, 'Track 2 data', '2磁道数据', 'z', 'LLVAR', 37, { sensitive: 'track' }],
  [36, 'Track 3 data', '3磁道数据', 'z', 'LLLVAR', 104, { sensitive: 'track' }],
  [37, 'Retrieval reference number', '检索参考号', 'an', 'fixed', 12],
  [38, 'Authorization identification response', '授权标识应答码', 'an', 'fixed', 6],
  [39, 'Response code', '应答码', 'an', 'fixed', 2],
  [41, 'Terminal ID', '受卡机终端标识码', 'ans', 'fixed', 8],
  [42, 'Merchant ID', '受卡方标识码', 'ans', 'fixed', 15],
  [44, 'Additional response data', '附加响应数据', 'an', 'LLVAR', 25, { charset: 'gbk' }],
  [48, 'Additional data - private', '附加数据-私有', 'n', 'LLLVAR', 322],
  [49, 'Currency code, transaction', '交易货币代码', 'an', 'fixed', 3],
  [52, 'Personal identification number data', '个人标识码数据', 'b', 'fixed', 8, { sensitive: 'pin' }],
  [53, 'Security related control information', '安全控制信息', 'n', 'fixed', 16],
  [54, 'Additional amounts', '附加金额', 'an', 'LLLVAR', 20],
  [55, 'ICC system related data', 'IC卡数据域', 'b', 'LLLVAR', 255],
  [58, 'PBOC electronic purse data', 'PBOC电子钱包标准的交易信息', 'ans', 'LLLVAR', 100],
  [59, 'Private: device information', '自定义域', 'ans', 'LLLVAR', 999],
  // n...017 in the spec; PAX sends up to 19 (cup8583.md §2.2): decoded, the host warns (parseField60Extended).
  [60, 'Private: type, batch, network code', '自定义域', 'n', 'LLLVAR', 19],
  [61, 'Original message data', '原始信息域', 'n', 'LLLVAR', 29],
  [62, 'Private: keys, parameters, payee', '自定义域', 'b', 'LLLVAR', 512],
  [63, 'Private: card organisation, texts', '自定义域', 'ans', 'LLLVAR', 163, { charset: 'gbk' }],
  [64, 'Message authentication code', 'MAC', 'b', 'fixed', 8, { sensitive: 'mac' }],
];

function buildFields(rows: Row[]): ReadonlyMap<number, FieldSpec> {
  const fields = new Map<number, FieldSpec>();
  for (const [id, name, nameZh, format, lengthType, maxLength, extra] of rows) {
    fields.set(id, Object.freeze({ id, name, nameZh, format, lengthType, maxLength, ...extra }));
  }
  return fields;
}

export const CUP_POS_DIALECT: Dialect = Object.freeze({
  name: 'CUP POS (中国银联 POS 终端 ↔ 收单机构)',
  fields: buildFields(ROWS),
});
