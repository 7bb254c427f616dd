/**
 * Field 62 of the IC parameter (AID) and public-key (CAPK) downloads, cup8583.md §3.5: the query
 * (0820 382 / 372) and its paged list, the download of one item (0800 380 / 370) and its parameter
 * TLVs, the end (0800 381 / 371). Lists and parameters are BER-TLV (protocol/tlv). Pure: the host
 * and the emulator both speak it from here, so the two ends cannot drift apart.
 */
import { createHash } from 'node:crypto';
import { decodeTlv, encodeTlv, findTag, type TlvNode } from '../tlv';
import { listDownloadKind, transactionSpec, type ListDownloadStep } from './catalogue';
import { FieldContentError } from './errors';

/** The two lists: CAPKs (IC卡公钥, header digit 4) and AIDs with their parameters (IC卡参数, digit 5). */
export type IcListKind = 'capk' | 'aid';
export const IC_LIST_KINDS: readonly IcListKind[] = ['capk', 'aid'];

/** 60.3 of each message of a list's download (§2.4, §3.5), as the transaction catalogue has them. */
export const IC_NETWORK_CODES: Readonly<Record<IcListKind, { query: string; download: string; end: string }>> = {
  capk: networkCodesOf('capk'),
  aid: networkCodesOf('aid'),
};

function networkCodesOf(list: IcListKind): { query: string; download: string; end: string } {
  const code = (step: ListDownloadStep) => transactionSpec(listDownloadKind(list, step)).networkCode!;
  return { query: code('query'), download: code('download'), end: code('end') };
}

/** Header digit 6 (处理要求) that asks a terminal to download a list (§1.1): 4 public keys, 5 IC parameters. */
export const IC_REQUIREMENT_DIGITS: Readonly<Record<IcListKind, string>> = { capk: '4', aid: '5' };

/** One entry of a list: an AID, or a CAPK by RID + index (+ expiry YYYYMMDD). */
export type IcListEntry =
  { readonly kind: 'aid'; readonly aid: string } | { readonly kind: 'capk'; readonly rid: string; readonly index: string; readonly expiry?: string };

/** Control byte of a query reply: '2' = more entries follow (query again), '1' = the last page. */
export const MORE_FOLLOWS = '2';
export const LAST_PAGE = '1';
/** F62 is b...512 (§2.2): a page of list entries stays under this many bytes. */
const PAGE_BYTES = 400;

const HEX = /^(?:[0-9A-F]{2})+$/;

function f62Error(detail: string, context: Record<string, unknown> = {}): FieldContentError {
  return new FieldContentError(62, `IC parameter download (cup8583.md §3.5): ${detail}`, context);
}

function hex(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}

/** Query request F62: '1' + 2-digit count of entries already received (§3.5 step 1). */
export function encodeListQuery(received: number): Buffer {
  if (!Number.isInteger(received) || received < 0 || received > 99) throw f62Error(`received count must be 0..99, got ${received}`);
  return Buffer.from(`1${String(received).padStart(2, '0')}`, 'latin1');
}

/** The count a query says the terminal already holds. */
export function parseListQuery(f62: Buffer | undefined): number {
  const s = f62?.toString('latin1') ?? '';
  if (!/^1\d{2}$/.test(s)) throw f62Error(`a list query carries "1" + 2 digits (count already received), got ${JSON.stringify(s)}`);
  return Number(s.slice(1));
}

function entryNodes(e: IcListEntry): TlvNode[] {
  if (e.kind === 'aid') return [{ tag: '9F06', value: Buffer.from(e.aid, 'hex') }];
  const nodes: TlvNode[] = [
    { tag: '9F06', value: Buffer.from(e.rid, 'hex') },
    { tag: '9F22', value: Buffer.from(e.index, 'hex') },
  ];
  if (e.expiry) nodes.push({ tag: 'DF05', value: Buffer.from(e.expiry, 'latin1') });
  return nodes;
}

function checkEntry(e: IcListEntry): void {
  if (e.kind === 'aid') {
    if (!HEX.test(e.aid) || e.aid.length < 10 || e.aid.length > 32) throw f62Error(`an AID is 5..16 bytes of hex, got ${JSON.stringify(e.aid)}`);
  } else {
    if (!/^[0-9A-F]{10}$/.test(e.rid)) throw f62Error(`a RID is 5 bytes of hex, got ${JSON.stringify(e.rid)}`);
    if (!/^[0-9A-F]{2}$/.test(e.index)) throw f62Error(`a CAPK index is 1 byte of hex, got ${JSON.stringify(e.index)}`);
    if (e.expiry !== undefined && !/^\d{8}$/.test(e.expiry)) throw f62Error(`a CAPK expiry is YYYYMMDD, got ${JSON.stringify(e.expiry)}`);
  }
}

/**
 * The page of a query reply for a terminal that already received `received` entries: control
 * byte + the TLVs of as many entries as fit. The list is the whole current list, in order.
 */
export function encodeListPage(list: readonly IcListEntry[], received: number): Buffer {
  if (received > list.length) throw f62Error(`the terminal says it received ${received} entries of a list of ${list.length}`);
  const parts: Buffer[] = [];
  let size = 1;
  let i = received;
  for (; i < list.length; i++) {
    checkEntry(list[i]);
    const bytes = encodeTlv(entryNodes(list[i]));
    if (parts.length > 0 && size + bytes.length > PAGE_BYTES) break;
    parts.push(bytes);
    size += bytes.length;
  }
  return Buffer.concat([Buffer.from(i < list.length ? MORE_FOLLOWS : LAST_PAGE, 'latin1'), ...parts]);
}

/** A query reply's page: whether more follow, and its entries. */
export function parseListPage(kind: IcListKind, f62: Buffer | undefined): { more: boolean; entries: IcListEntry[] } {
  if (!f62 || f62.length === 0) throw f62Error('a query reply carries a control byte and a TLV list, F62 is empty');
  const control = f62.toString('latin1', 0, 1);
  if (control !== MORE_FOLLOWS && control !== LAST_PAGE)
    throw f62Error(`a query reply starts with "1" (last page) or "2" (more follow), got ${JSON.stringify(control)}`);
  const nodes = decodeTlv(f62.subarray(1), 1);
  const entries: IcListEntry[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.tag !== '9F06') throw f62Error(`a list entry starts with 9F06, found ${n.tag}`, { entry: entries.length });
    if (kind === 'aid') {
      entries.push({ kind: 'aid', aid: hex(n.value) });
      continue;
    }
    const index = nodes[i + 1];
    if (index?.tag !== '9F22')
      throw f62Error(`a CAPK entry is 9F06 RID + 9F22 index, found ${index?.tag ?? 'nothing'} after the RID`, { entry: entries.length });
    const expiry = nodes[i + 2]?.tag === 'DF05' ? nodes[i + 2].value.toString('latin1') : undefined;
    const entry: IcListEntry = { kind: 'capk', rid: hex(n.value), index: hex(index.value), ...(expiry ? { expiry } : {}) };
    checkEntry(entry);
    entries.push(entry);
    i += expiry ? 2 : 1;
  }
  return { more: control === MORE_FOLLOWS, entries };
}

/** Download request F62: 9F06 AID, or 9F06 RID + 9F22 index (§3.5 step 2). */
export function encodeItemRequest(entry: IcListEntry): Buffer {
  checkEntry(entry);
  return encodeTlv(entryNodes(entry).filter((n) => n.tag !== 'DF05'));
}

/** The entry a download request names. */
export function parseItemRequest(kind: IcListKind, f62: Buffer | undefined): IcListEntry {
  if (!f62 || f62.length === 0)
    throw f62Error(`a download request names its ${kind === 'aid' ? 'AID (9F06)' : 'CAPK (9F06 RID + 9F22 index)'}, F62 is empty`);
  const nodes = decodeTlv(f62);
  const rid = findTag(nodes, '9F06');
  if (!rid) throw f62Error('a download request carries 9F06');
  if (kind === 'aid') {
    const e: IcListEntry = { kind: 'aid', aid: hex(rid.value) };
    checkEntry(e);
    return e;
  }
  const index = findTag(nodes, '9F22');
  if (!index) throw f62Error('a CAPK download request carries 9F22 (index) beside 9F06 (RID)');
  const e: IcListEntry = { kind: 'capk', rid: hex(rid.value), index: hex(index.value) };
  checkEntry(e);
  return e;
}

/** Download reply F62: '1' + the item's parameter TLVs (LY accepts only F62[0] = '1'). */
export function encodeItemReply(params: readonly TlvNode[]): Buffer {
  return Buffer.concat([Buffer.from('1', 'latin1'), encodeTlv(params)]);
}

/** The parameter TLVs of a download reply. */
export function parseItemReply(f62: Buffer | undefined): TlvNode[] {
  if (!f62 || f62.length === 0 || f62[0] !== 0x31)
    throw f62Error(`a download reply starts with "1" + the parameter TLVs, got ${f62 ? JSON.stringify(f62.toString('latin1', 0, 1)) : 'no F62'}`);
  return decodeTlv(f62.subarray(1), 1);
}

/** A CAPK as its download carries it (EMV Book 2 §11.2.2 tags as the CUP terminals use them). */
export interface CapkParameters {
  rid: string;
  index: string;
  /** YYYYMMDD. */
  expiry: string;
  modulus: string;
  exponent: string;
  /** DF03: SHA-1 of RID + index + modulus + exponent. */
  checksum: string;
}

/** SHA-1 of RID ‖ index ‖ modulus ‖ exponent (EMV Book 2 §11.2.2): what DF03 carries and a terminal checks. */
export function capkChecksum(rid: string, index: string, modulus: string, exponent: string): string {
  return createHash('sha1')
    .update(Buffer.from(rid + index + modulus + exponent, 'hex'))
    .digest('hex')
    .toUpperCase();
}

/** The TLVs of a CAPK download reply: 9F06, 9F22, DF05, DF06 (01 SHA-1), DF07 (01 RSA), DF02, DF04, DF03. */
export function capkNodes(k: CapkParameters): TlvNode[] {
  return [
    { tag: '9F06', value: Buffer.from(k.rid, 'hex') },
    { tag: '9F22', value: Buffer.from(k.index, 'hex') },
    { tag: 'DF05', value: Buffer.from(k.expiry, 'latin1') },
    { tag: 'DF06', value: Buffer.from([1]) },
    { tag: 'DF07', value: Buffer.from([1]) },
    { tag: 'DF02', value: Buffer.from(k.modulus, 'hex') },
    { tag: 'DF04', value: Buffer.from(k.exponent, 'hex') },
    { tag: 'DF03', value: Buffer.from(k.checksum, 'hex') },
  ];
}

/** A CAPK from its download reply's TLVs; throws when a tag is missing or the checksum (DF03) does not match. */
export function capkFromNodes(nodes: readonly TlvNode[]): CapkParameters {
  const get = (tag: string, what: string) => {
    const n = findTag(nodes, tag);
    if (!n) throw f62Error(`a CAPK download reply lacks ${tag} (${what})`);
    return n.value;
  };
  const k: CapkParameters = {
    rid: hex(get('9F06', 'RID')),
    index: hex(get('9F22', 'index')),
    expiry: get('DF05', 'expiry').toString('latin1'),
    modulus: hex(get('DF02', 'modulus')),
    exponent: hex(get('DF04', 'exponent')),
    checksum: hex(get('DF03', 'checksum')),
  };
  const want = capkChecksum(k.rid, k.index, k.modulus, k.exponent);
  if (want !== k.checksum)
    throw f62Error(`CAPK ${k.rid}/${k.index}: checksum DF03 ${k.checksum} does not match SHA-1 of RID + index + modulus + exponent (${want})`, {
      rid: k.rid,
      index: k.index,
    });
  return k;
}
