/**
 * Bill payment (缴费) payee in field 62 (docs/dev/contracts.md): a list of
 * tag (2 ASCII digits) + length (3 ASCII digits, byte count) + value.
 * 01 payee name (GBK), 02 payee account (ASCII digits), 03 bill reference (optional, ASCII).
 * No public CUP POS source defines bill payment (cup8583.md §3.12); this layout is poscert's own.
 */
import * as iconv from 'iconv-lite';
import { FieldContentError } from './errors';

export interface BillPayee {
  name: string;
  account: string;
  reference?: string;
}

export const BILL_PAYMENT_PROCESSING_CODE = '500000';
export const BILL_PAYMENT_TRANSACTION_TYPE = '22';

function item(tag: string, value: Buffer): Buffer {
  if (value.length > 999) throw new FieldContentError('62', `payee tag ${tag} value is ${value.length} bytes, at most 999`);
  return Buffer.concat([Buffer.from(tag + String(value.length).padStart(3, '0'), 'ascii'), value]);
}

export function encodeBillPayee(p: BillPayee): Buffer {
  if (typeof p.name !== 'string' || p.name.length === 0) throw new FieldContentError('62', 'payee name is required');
  if (typeof p.account !== 'string' || !/^[0-9]{1,40}$/.test(p.account)) {
    throw new FieldContentError('62', `payee account must be 1 to 40 digits, got ${JSON.stringify(p.account)}`);
  }
  const parts = [item('01', iconv.encode(p.name, 'gbk')), item('02', Buffer.from(p.account, 'ascii'))];
  if (p.reference !== undefined) {
    if (typeof p.reference !== 'string' || !/^[\x20-\x7e]*$/.test(p.reference)) {
      throw new FieldContentError('62', `bill reference must be printable ASCII, got ${JSON.stringify(p.reference)}`);
    }
    parts.push(item('03', Buffer.from(p.reference, 'ascii')));
  }
  const out = Buffer.concat(parts);
  if (out.length > 512) throw new FieldContentError('62', `payee data is ${out.length} bytes, field 62 holds 512`);
  return out;
}

export function decodeBillPayee(buf: Buffer): BillPayee {
  if (!Buffer.isBuffer(buf)) throw new FieldContentError('62', 'payee data must be a Buffer');
  const seen = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    if (off + 5 > buf.length) throw new FieldContentError('62', `payee item header at byte ${off} is truncated`, { offset: off });
    const head = buf.toString('latin1', off, off + 5);
    if (!/^[0-9]{5}$/.test(head))
      throw new FieldContentError('62', `payee item header at byte ${off} is not 5 ASCII digits: ${JSON.stringify(head)}`, { offset: off });
    const tag = head.slice(0, 2);
    const len = Number(head.slice(2));
    if (off + 5 + len > buf.length) {
      throw new FieldContentError('62', `payee tag ${tag} at byte ${off} announces ${len} bytes, ${buf.length - off - 5} remain`, { offset: off });
    }
    if (!['01', '02', '03'].includes(tag))
      throw new FieldContentError('62', `unknown payee tag ${tag} at byte ${off} (01 name, 02 account, 03 reference)`, { offset: off });
    if (seen.has(tag)) throw new FieldContentError('62', `payee tag ${tag} appears twice (byte ${off})`, { offset: off });
    seen.set(tag, buf.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  const name = seen.get('01');
  const account = seen.get('02');
  if (!name) throw new FieldContentError('62', 'payee name (tag 01) is missing');
  if (!account) throw new FieldContentError('62', 'payee account (tag 02) is missing');
  const accountText = account.toString('latin1');
  if (!/^[0-9]+$/.test(accountText)) throw new FieldContentError('62', `payee account must be digits, got ${JSON.stringify(accountText)}`);
  const out: BillPayee = { name: iconv.decode(name, 'gbk'), account: accountText };
  const ref = seen.get('03');
  if (ref) out.reference = ref.toString('latin1');
  return out;
}
