/**
 * The acquirer's decisions: one request frame in, one reply frame (or a close) out, with every
 * effect written to the store. Synchronous; the server calls it inside a SQLite transaction and
 * writes the reply only after the commit (see server.ts).
 *
 * Message identification follows cup8583.md §3.1 (MTI + F3 + F25 + 60.1 + 60.3), response codes
 * §7, checklist §9. Decisions the reference leaves open are documented in docs/host.md.
 */
import {
  adjustKeyParity, decryptPinBlock, deriveCommonSessionKey, deriveIccMasterKeyOptionA, desEcbDecrypt,
  generateArpcMethod1, generateArqc, maskPan, recoverPin, unwrapWorkingKeys, wrapWorkingKeys,
  type KeyScheme, type MacScheme, type PinCipher, type WorkingKeyLayout,
} from '../crypto';
import {
  applyMac, decodeBillPayee, decodeFrame, decodeSettlementTotals, encodeFrame, encodeSettlementTotals,
  FieldContentError, formatBalance, formatField63Response, IsoMessage, parseField60,
  parseField61, parseHeader, parsePosEntryMode, parseSecurityControl, responseCodeInfo, swapTpdu, verifyMac,
  type BillPayee, type CupFrame, type CupHeader, type Field60, type SettlementSide, type SettlementTotals,
} from '../protocol/iso8583';
import * as iconv from 'iconv-lite';
import { decodeTlv, encodeTlv, TlvDecodeError, type TlvNode } from '../protocol/tlv';
import { ARQC_CDOL1_TAGS } from './cards';
import type { CardConfig, HostConfig, MerchantConfig, TerminalConfig } from './config';
import type { ActiveFault, FaultSet } from './faults';
import { maskedFields, maskedFrameHex } from './redact';
import type { AccountRow, HostStore, TerminalRow, TransactionKind, TransactionRow } from './store';

export interface HostLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const SILENT_LOGGER: HostLogger = { info() {}, warn() {}, error() {} };

export interface EngineOptions {
  clock: () => Date;
  random: (n: number) => Buffer;
  logger: HostLogger;
  faults: FaultSet;
  /** Minutes east of UTC for F12 / F13 / F15 and expiry checks (China: 480). */
  utcOffsetMinutes?: number;
}

/** What the server does with one frame. */
export interface FrameOutcome {
  reply?: Buffer;
  /** Close the connection (after writing the reply, if any). */
  close: boolean;
  /** Write the reply after this many ms (fault 'delay'). */
  delayMs: number;
  /** Why the connection is closed or the reply withheld, for the log. */
  reason?: string;
}

interface WorkingKeySet { pik: Buffer; mak: Buffer; tdk?: Buffer }

interface TerminalRuntime {
  config: TerminalConfig;
  merchant: MerchantConfig;
  row: TerminalRow;
  keys?: WorkingKeySet;
}

/** A decline or a format problem found while reading a request: its F39. */
class Decline extends Error {
  constructor(readonly code: string, readonly why: string) {
    super(why);
  }
}

const REQUEST_MTIS = new Set(['0100', '0200', '0220', '0320', '0400', '0500', '0620', '0800', '0820']);
const MAC_RESPONSE_MTIS = new Set(['0110', '0210', '0230', '0410']);
const PIN_REQUIRED_KINDS = new Set<TransactionKind>(['sale', 'bill-payment', 'balance', 'preauth']);

export function responseMti(mti: string): string {
  return mti.slice(0, 2) + String((Number(mti[2]) + 1) % 10) + mti[3];
}

export function formatFen(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** TPDU, header and MTI of a frame when they are readable (the MTI must be 4 BCD digits). */
export function readFrameHead(frame: Buffer): { tpdu: string; header: CupHeader; mti: string } | undefined {
  if (frame.length < 2 + 5 + 6 + 2) return undefined;
  const mti = frame.toString('hex', 13, 15);
  if (!/^\d{4}$/.test(mti)) return undefined;
  return { tpdu: frame.toString('hex', 2, 7).toUpperCase(), header: parseHeader(frame.subarray(7, 13)), mti };
}

/** Local adapter: crypto/ has no track decryption. TDB = the 8 bytes before the last byte (cup8583.md §5.6). */
export function decryptTrackData(tdk: Buffer, track: string): string {
  const nibbles = track.replace(/=/g, 'D').toUpperCase();
  const len = nibbles.length;
  if (len < 17) return track; // terminals leave tracks shorter than the TDB in clear
  const start = len % 2 === 1 ? len - 17 : len - 18;
  const clear = desEcbDecrypt(tdk, Buffer.from(nibbles.slice(start, start + 16), 'hex')).toString('hex').toUpperCase();
  return (nibbles.slice(0, start) + clear + nibbles.slice(start + 16)).replace(/D/g, '=');
}

/** The SM4 PIN block (16 bytes) travels in F59 as tag A1 + 3-digit length + 32 hex characters (F52 is only 8 bytes). */
export function sm4PinBlockFromF59(f59: string | undefined): Buffer | undefined {
  if (!f59) return undefined;
  let off = 0;
  while (off + 5 <= f59.length) {
    const tag = f59.slice(off, off + 2);
    const len = Number(f59.slice(off + 2, off + 5));
    if (!Number.isInteger(len) || !/^\d{3}$/.test(f59.slice(off + 2, off + 5)) || off + 5 + len > f59.length) {
      throw new Decline('30', `F59 is not a list of tag(2) + length(3) + value at position ${off}`);
    }
    const value = f59.slice(off + 5, off + 5 + len);
    if (tag === 'A1') {
      if (!/^[0-9A-Fa-f]{32}$/.test(value)) throw new Decline('30', 'F59 tag A1 (SM4 PIN block) must be 32 hex characters');
      return Buffer.from(value, 'hex');
    }
    off += 5 + len;
  }
  return undefined;
}

export function encodeSm4PinBlockF59(block: Buffer): string {
  return `A1032${block.toString('hex').toUpperCase()}`;
}

function flattenTlv(nodes: TlvNode[], out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const n of nodes) {
    if (n.children) flattenTlv(n.children, out);
    else if (!out.has(n.tag)) out.set(n.tag, n.value);
  }
  return out;
}

/** One request being processed. */
interface Request {
  frame: CupFrame;
  msg: IsoMessage;
  remote: string;
  fault?: ActiveFault;
  terminal?: TerminalRuntime;
  /** Processing-requirement digit for the reply header. */
  requirement: string;
  /** MAK to MAC the reply with (MAC-bearing responses only). */
  replyMak?: { key: Buffer; scheme: MacScheme };
  note?: string;
}

export class HostEngine {
  private readonly terminals = new Map<string, TerminalRuntime>();
  /** Terminals the control API asked to sign on again (header digit 3 until they do). */
  private readonly signOnRequested = new Set<string>();
  private rrnSeq: number;
  private authSeq: number;
  private savedRrn: number;
  private savedAuth: number;
  private readonly offsetMs: number;

  constructor(private readonly config: HostConfig, private readonly store: HostStore, private readonly opts: EngineOptions) {
    this.offsetMs = (opts.utcOffsetMinutes ?? 480) * 60_000;
    this.rrnSeq = this.savedRrn = store.getSequence('rrn');
    this.authSeq = this.savedAuth = store.getSequence('auth');
    store.ensureAccounts(config, maskPan);
  }

  // ------------------------------------------------------------------------------------------
  // Frame level

  handleFrame(frame: Buffer, remote: string): FrameOutcome {
    const now = this.opts.clock();
    const head = readFrameHead(frame);
    if (!head) {
      this.opts.logger.warn(`${now.toISOString()} ${remote} unreadable frame of ${frame.length} bytes (no TPDU + header + BCD MTI): closing the connection`);
      this.journal(now, remote, { inHex: `<${frame.length} bytes, header or MTI unreadable: not kept>`, note: 'unreadable: connection closed' });
      return { close: true, delayMs: 0, reason: 'unreadable header or MTI' };
    }
    let decoded: CupFrame;
    try {
      decoded = decodeFrame(frame);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      // The body is not kept (it may hold card data): only length prefix, TPDU, header and MTI.
      const headHex = frame.toString('hex', 0, 15).toUpperCase() + '…';
      if (!REQUEST_MTIS.has(head.mti)) {
        this.opts.logger.warn(`${now.toISOString()} ${remote} undecodable frame with MTI ${head.mti} (not a request this host serves): closing. ${why}`);
        this.journal(now, remote, { mti: head.mti, inHex: headHex, note: `undecodable, not a request: ${why}` });
        return { close: true, delayMs: 0, reason: 'undecodable frame, not a request MTI' };
      }
      // Header and MTI readable, body not: format error 30.
      const reply = new IsoMessage(responseMti(head.mti)).set(39, '30');
      const bytes = encodeFrame({ tpdu: swapTpdu(head.tpdu), header: { ...head.header, processingRequirement: '0' }, message: reply });
      this.journal(now, remote, {
        mti: head.mti, inHex: headHex, outMti: reply.mti, responseCode: '30', outHex: bytes.toString('hex').toUpperCase(),
        outFields: maskedFields(reply), note: `format error: ${why}`,
      });
      this.opts.logger.info(this.logLine(now, 'in ', undefined, head.mti, undefined, undefined, undefined, '--') + ` format error: ${why}`);
      this.opts.logger.info(this.logLine(now, 'out', undefined, reply.mti, undefined, undefined, undefined, '30'));
      return { reply: bytes, close: false, delayMs: 0 };
    }

    const msg = decoded.message;
    const terminalId = msg.getString(41)?.trimEnd();
    const fault = this.opts.faults.take(msg.mti, msg.getString(3), terminalId);
    const req: Request = { frame: decoded, msg, remote, fault, requirement: '0' };
    const inHex = maskedFrameHex(frame, msg);
    const inFields = maskedFields(msg);
    this.opts.logger.info(this.logLine(now, 'in ', terminalId, msg.mti, msg.getString(3), msg.getString(11), msg.getString(4), '--'));

    let response: IsoMessage;
    try {
      response = this.dispatch(req, now);
    } catch (err) {
      if (err instanceof Decline) {
        response = this.baseResponse(req, now);
        response.set(39, err.code);
        req.note = err.why;
      } else {
        const why = err instanceof Error ? err.message : String(err);
        this.opts.logger.error(`${now.toISOString()} ${remote} internal error on ${msg.mti} from ${terminalId ?? '?'}: ${why}`);
        throw err;
      }
    }
    if (req.replyMak && MAC_RESPONSE_MTIS.has(response.mti)) {
      applyMac(response, req.replyMak.key, req.replyMak.scheme);
      if (fault?.action === 'corrupt-mac') {
        const mac = Buffer.from(response.get(64) as Buffer);
        mac[0] = mac[0] === 0x30 ? 0x31 : 0x30; // still an ASCII hex digit, but the wrong one
        response.set(64, mac);
      }
    }
    if (req.terminal && this.signOnRequested.has(req.terminal.config.terminalId)) req.requirement = '3';
    const replyFrame: CupFrame = {
      tpdu: swapTpdu(decoded.tpdu),
      header: { ...decoded.header, processingRequirement: req.requirement },
      message: response,
    };
    const bytes = encodeFrame(replyFrame);
    const rc = response.getString(39);
    const withheld = fault?.action === 'no-response' || fault?.action === 'close';
    this.journal(now, remote, {
      terminalId, mti: msg.mti, processingCode: msg.getString(3), stan: msg.getString(11), amount: msg.getString(4),
      inHex, inFields, outMti: response.mti, responseCode: rc, outHex: maskedFrameHex(bytes, response), outFields: maskedFields(response),
      note: [fault ? `fault ${fault.action} #${fault.id}` : undefined, req.note, withheld ? `reply not sent (fault ${fault!.action})` : undefined,
        fault?.action === 'delay' ? `reply delayed ${fault.delayMs} ms (fault)` : undefined].filter(Boolean).join('; ') || undefined,
    });
    this.opts.logger.info(this.logLine(now, 'out', terminalId, response.mti, response.getString(3), response.getString(11), response.getString(4), rc ?? '--')
      + (req.note ? ` ${req.note}` : '') + (fault ? ` [fault ${fault.action}]` : ''));

    switch (fault?.action) {
      case 'no-response': return { close: false, delayMs: 0, reason: 'fault no-response' };
      case 'close': return { close: true, delayMs: 0, reason: 'fault close' };
      case 'delay': return { reply: bytes, close: false, delayMs: fault.delayMs };
      default: return { reply: bytes, close: false, delayMs: 0 };
    }
  }

  private logLine(now: Date, dir: string, terminalId: string | undefined, mti: string, pcode: string | undefined, stan: string | undefined,
    amount: string | undefined, rc: string): string {
    const amt = amount && /^\d+$/.test(amount) ? formatFen(Number(amount)) : '-';
    return `${now.toISOString()} ${dir} ${(terminalId ?? '--------').padEnd(8)} ${mti} ${(pcode ?? '------').padEnd(6)} ${(stan ?? '------').padEnd(6)} ${amt.padStart(12)} ${rc}`;
  }

  /** One journal row per exchange: the request and the reply (if any). */
  private journal(now: Date, remote: string, e: {
    terminalId?: string; mti?: string; processingCode?: string; stan?: string; amount?: string;
    inHex: string; inFields?: Record<string, string>; outMti?: string; responseCode?: string; outHex?: string; outFields?: Record<string, string>; note?: string;
  }): void {
    this.store.insertJournal({
      at: now.toISOString(), remote, terminal_id: e.terminalId ?? null, stan: e.stan ?? null, mti: e.mti ?? null,
      processing_code: e.processingCode ?? null, amount: e.amount && /^\d+$/.test(e.amount) ? Number(e.amount) : null,
      in_hex: e.inHex, in_fields: e.inFields ? JSON.stringify(e.inFields) : null, out_mti: e.outMti ?? null,
      response_code: e.responseCode ?? null, out_hex: e.outHex ?? null, out_fields: e.outFields ? JSON.stringify(e.outFields) : null,
      note: e.note ?? null,
    });
  }

  /** Writes the RRN / auth-code counters (once per group transaction, before its commit). */
  persistSequences(): void {
    if (this.rrnSeq !== this.savedRrn) { this.store.setSequence('rrn', this.rrnSeq); this.savedRrn = this.rrnSeq; }
    if (this.authSeq !== this.savedAuth) { this.store.setSequence('auth', this.authSeq); this.savedAuth = this.authSeq; }
  }

  // ------------------------------------------------------------------------------------------
  // Time, sequences, common reply fields

  private local(now: Date): Date {
    return new Date(now.getTime() + this.offsetMs);
  }
  private hhmmss(now: Date): string {
    const d = this.local(now);
    return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join('');
  }
  private mmdd(now: Date): string {
    const d = this.local(now);
    return String(d.getUTCMonth() + 1).padStart(2, '0') + String(d.getUTCDate()).padStart(2, '0');
  }
  private yymm(now: Date): string {
    const d = this.local(now);
    return String(d.getUTCFullYear() % 100).padStart(2, '0') + String(d.getUTCMonth() + 1).padStart(2, '0');
  }
  /** Host-unique 12-digit retrieval reference number; the counter is committed with the group transaction (persistSequences). */
  private nextRrn(): string {
    this.rrnSeq++;
    return String(this.rrnSeq).padStart(12, '0');
  }
  /** Host-unique 6-digit authorisation code: a bijection of the counter mod 10^6 (unique for a million approvals). */
  private nextAuthCode(): string {
    this.authSeq++;
    return String((this.authSeq * 7919 + 104729) % 1_000_000).padStart(6, '0');
  }

  private baseResponse(req: Request, now: Date): IsoMessage {
    const m = req.msg;
    const out = new IsoMessage(responseMti(m.mti));
    const financial = ['0100', '0200', '0220', '0400'].includes(m.mti);
    const echo = financial ? [2, 3, 4, 11, 14, 23, 25, 41, 42, 49, 60] : [3, 4, 11, 41, 42, 48, 49, 60];
    for (const n of echo) {
      const v = m.get(n);
      if (v !== undefined) out.set(n, v);
    }
    out.set(12, this.hhmmss(now)).set(13, this.mmdd(now));
    if (financial) {
      out.set(15, this.mmdd(now));
      out.set(32, this.config.host.acquirerId);
      if (!out.has(49)) out.set(49, '156');
    }
    return out;
  }

  private finishFinancial(_req: Request, out: IsoMessage, code: string, card?: CardConfig): IsoMessage {
    out.set(39, code);
    if (!out.has(37)) out.set(37, this.nextRrn());
    out.set(44, (card?.issuerInstitution ?? '').padEnd(11, ' ') + this.config.host.acquirerInstitution.padEnd(11, ' '));
    const info = responseCodeInfo(code);
    out.set(63, formatField63Response({
      cardOrganisation: 'CUP',
      issuerText: code === '00' ? '' : info.display,
      centreText: this.config.host.centreText,
    }).trimEnd());
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Terminals and keys

  private terminalRuntime(terminalId: string): TerminalRuntime | undefined {
    const cached = this.terminals.get(terminalId);
    if (cached) return cached;
    const config = this.config.terminals.find((t) => t.terminalId === terminalId);
    if (!config) return undefined;
    const merchant = this.config.merchants.find((m) => m.merchantId === config.merchantId)!;
    const row = this.store.terminal(terminalId) ?? {
      terminal_id: terminalId, signed_on: 0, batch: '000001', key_layout: null, keys_wrapped: null, signed_on_at: null, sign_on_count: 0, param_version: 0,
    };
    const rt: TerminalRuntime = { config, merchant, row };
    if (row.signed_on && row.keys_wrapped && row.key_layout) {
      try {
        rt.keys = unwrapWorkingKeys(config.tmk.reveal(), row.keys_wrapped, row.key_layout as WorkingKeyLayout, this.keyScheme(config));
      } catch (err) {
        // The TMK changed in the configuration since the keys were issued: the terminal must sign on again.
        this.opts.logger.warn(`terminal ${terminalId}: stored working keys do not unwrap under the configured TMK (${(err as Error).message}); it must sign on again`);
        rt.row = { ...row, signed_on: 0, keys_wrapped: null, key_layout: null };
      }
    }
    this.terminals.set(terminalId, rt);
    return rt;
  }

  private keyScheme(t: TerminalConfig): KeyScheme {
    return t.keyScheme === 'SM4' ? 'sm4' : 'tdes';
  }
  private macScheme(t: TerminalConfig): MacScheme {
    return t.keyScheme === 'SM4' ? 'sm4-ecb' : 'cup-ecb';
  }
  private pinCipher(rt: TerminalRuntime): PinCipher {
    if (rt.config.keyScheme === 'SM4') return 'sm4';
    return rt.keys && rt.keys.pik.length === 8 ? 'des' : 'tdes';
  }

  /** 97 unknown / unregistered terminal, 03 merchant mismatch or suspended terminal / merchant. */
  private checkTerminal(req: Request): TerminalRuntime {
    const tid = req.msg.getString(41)?.trimEnd();
    if (!tid) throw new Decline('30', 'F41 terminal id missing');
    const rt = this.terminalRuntime(tid);
    if (!rt || rt.config.status === 'unregistered') throw new Decline('97', `terminal ${tid} is not registered at this host`);
    const mid = req.msg.getString(42)?.trimEnd();
    if (mid !== rt.config.merchantId) throw new Decline('03', `F42 ${mid ?? '(missing)'} is not the merchant of terminal ${tid}`);
    if (rt.config.status === 'suspended') throw new Decline('03', `terminal ${tid} is suspended`);
    if (rt.merchant.status === 'suspended') throw new Decline('03', `merchant ${mid} is suspended`);
    req.terminal = rt;
    return rt;
  }

  private saveTerminal(rt: TerminalRuntime, row: TerminalRow, keys: WorkingKeySet | undefined): void {
    this.store.saveTerminal(row);
    rt.row = row;
    rt.keys = keys;
  }

  /** Ask the terminal to sign on again (header digit 3 on every reply until its next sign-on). */
  requestSignOn(terminalId: string): boolean {
    const rt = this.terminalRuntime(terminalId);
    if (!rt) return false;
    this.signOnRequested.add(terminalId);
    return true;
  }

  /** Forget cached terminal state; it is read again from the database (after a rolled-back transaction). */
  forgetTerminals(): void {
    this.terminals.clear();
  }

  terminalRuntimeFor(terminalId: string): TerminalRuntime | undefined {
    return this.terminalRuntime(terminalId);
  }

  // ------------------------------------------------------------------------------------------
  // Dispatch

  private field60(req: Request): Field60 {
    const v = req.msg.getString(60);
    if (v === undefined) throw new Decline('30', 'F60 missing');
    try {
      return parseField60(v);
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
  }

  private dispatch(req: Request, now: Date): IsoMessage {
    switch (req.msg.mti) {
      case '0800':
      case '0820':
        return this.networkManagement(req, now);
      case '0100':
      case '0200':
      case '0220':
      case '0400':
        return this.financial(req, now);
      case '0500':
        return this.settlement(req, now);
      case '0320':
        return this.batchUpload(req, now);
      case '0620':
        this.checkTerminal(req);
        return this.baseResponse(req, now).set(39, '00');
      default:
        throw new Decline('30', `MTI ${req.msg.mti} is not a request this host serves`);
    }
  }

  // ---- 0800 / 0820

  private networkManagement(req: Request, now: Date): IsoMessage {
    const rt = this.checkTerminal(req);
    const f60 = this.field60(req);
    const out = this.baseResponse(req, now);
    const code = f60.networkCode;
    if (req.msg.mti === '0800' && (code === '001' || code === '003' || code === '004')) {
      return this.signOn(req, rt, f60, out, now);
    }
    if (req.fault?.action === 'force-response-code') return out.set(39, req.fault.responseCode!);
    if (req.msg.mti === '0820' && code === '002') {
      this.saveTerminal(rt, { ...rt.row, signed_on: 0, keys_wrapped: null, key_layout: null }, undefined);
      return out.set(39, '00');
    }
    if (req.msg.mti === '0820' && (code === '301' || code === '362')) return out.set(39, '00');
    if (req.msg.mti === '0800' && code === '360') {
      out.set(62, this.parameterBlock(rt));
      this.saveTerminal(rt, { ...rt.row, param_version: this.config.parameters.version }, rt.keys);
      return out.set(39, '00');
    }
    req.note = `network management code ${code} not supported by the reference host`;
    return out.set(39, '40');
  }

  private signOn(req: Request, rt: TerminalRuntime, f60: Field60, out: IsoMessage, now: Date): IsoMessage {
    const layout = f60.networkCode as WorkingKeyLayout;
    const scheme = this.keyScheme(rt.config);
    if (scheme === 'sm4' && layout === '001') throw new Decline('30', 'SM4 terminals sign on with 60.3 = 003 or 004 (001 means single-DES keys)');
    if (req.fault?.action === 'force-response-code') return out.set(39, req.fault.responseCode!).set(37, this.nextRrn());
    const random = (n: number) => {
      const b = this.opts.random(n);
      return scheme === 'sm4' ? b : adjustKeyParity(b);
    };
    const keys: WorkingKeySet = {
      pik: random(layout === '001' ? 8 : 16),
      mak: random(scheme === 'sm4' ? 16 : 8),
      ...(layout === '004' ? { tdk: random(16) } : {}),
    };
    const f62 = wrapWorkingKeys(rt.config.tmk.reveal(), keys, layout, scheme);
    const requested = f60.batchNumber;
    const batch = rt.row.sign_on_count > 0 ? rt.row.batch : (requested !== '000000' ? requested : '000001');
    this.saveTerminal(rt, {
      ...rt.row, signed_on: 1, batch, key_layout: layout, keys_wrapped: f62, signed_on_at: now.toISOString(),
      sign_on_count: rt.row.sign_on_count + 1,
    }, keys);
    this.signOnRequested.delete(rt.config.terminalId);
    out.unset(4).unset(3);
    out.set(32, this.config.host.acquirerId).set(37, this.nextRrn()).set(39, '00');
    out.set(60, '00' + batch + layout).set(62, f62);
    if (rt.row.param_version < this.config.parameters.version) req.requirement = '1';
    return out;
  }

  /** 360 download: ASCII list of 2-digit parameter id + fixed-length value (cup8583.md §3.4). */
  private parameterBlock(rt: TerminalRuntime): Buffer {
    const p = this.config.parameters;
    const n = (v: number, w: number) => String(v).padStart(w, '0').slice(-w);
    const phone = (i: number) => (p.phones[i] ?? '').padEnd(14, ' ');
    const parts: Buffer[] = [
      Buffer.from(`12${n(p.timeoutSeconds, 2)}13${n(p.retries, 1)}14${phone(0)}15${phone(1)}16${phone(2)}17${phone(3)}`
        + `18${p.tipSupported ? 1 : 0}19${n(p.tipPercent, 2)}20${p.manualEntry ? 1 : 0}21${p.autoSignOff ? 1 : 0}22`, 'ascii'),
      gbkPadded(rt.merchant.name, 40),
      Buffer.from(`23${n(p.resendTimes, 1)}25${n(p.keyIndex, 1)}`, 'ascii'),
    ];
    return Buffer.concat(parts);
  }

  // ---- financial: 0100 / 0200 / 0220 / 0400

  private identify(req: Request, f60: Field60): TransactionKind | 'reversal' {
    const m = req.msg;
    if (m.mti === '0400') return 'reversal';
    const key = `${m.mti}/${m.getString(3) ?? ''}/${m.getString(25) ?? '00'}/${f60.transactionType}`;
    const kinds: Record<string, TransactionKind> = {
      '0200/000000/00/22': 'sale',
      '0200/500000/00/22': 'bill-payment',
      '0200/310000/00/01': 'balance',
      '0200/200000/00/23': 'void',
      '0200/000000/06/20': 'completion',
      '0200/200000/06/21': 'completion-void',
      '0220/200000/00/25': 'refund',
      '0220/000000/06/24': 'completion-advice',
      '0100/030000/06/10': 'preauth',
      '0100/200000/06/11': 'preauth-void',
    };
    const kind = kinds[key];
    if (!kind) throw new Decline('40', `no transaction is MTI/F3/F25/60.1 = ${key} (cup8583.md §3.1)`);
    return kind;
  }

  private financial(req: Request, now: Date): IsoMessage {
    const rt = this.checkTerminal(req);
    const out = this.baseResponse(req, now);
    if (!rt.row.signed_on || !rt.keys) {
      req.requirement = '3';
      req.note = 'terminal has not signed on: no MAK to check the MAC';
      return this.finishFinancial(req, out, 'A0');
    }
    const mak = { key: rt.keys.mak, scheme: this.macScheme(rt.config) };
    req.replyMak = mak;
    if (!verifyMac(req.msg, mak.key, mak.scheme)) {
      req.requirement = '3';
      req.note = req.msg.has(64) ? 'MAC does not verify under the current MAK' : 'F64 (MAC) missing';
      return this.finishFinancial(req, out, 'A0');
    }
    const f60 = this.field60(req);
    const stan = req.msg.getString(11);
    if (!stan || !/^\d{6}$/.test(stan)) throw new Decline('30', 'F11 (STAN) missing');
    const kind = this.identify(req, f60);
    if (kind === 'reversal') return this.reversal(req, rt, f60, stan, out, now);
    if (rt.row.param_version < this.config.parameters.version) req.requirement = '1';

    // Duplicate STAN in the batch (94); an advice (0220) sent again is answered as the first time.
    const existing = this.store.stanUse(rt.config.terminalId, f60.batchNumber, stan);
    if (existing) {
      if (req.msg.mti === '0220' && existing.mti === '0220' && existing.kind === kind && String(existing.amount) === String(Number(req.msg.getString(4) ?? '0'))) {
        req.note = `advice resent: answered as the first time (transaction ${existing.id})`;
        out.set(37, existing.rrn ?? this.nextRrn());
        if (existing.auth_code) out.set(38, existing.auth_code);
        return this.finishFinancial(req, out, existing.response_code);
      }
      req.note = `STAN ${stan} already used in batch ${f60.batchNumber} (transaction ${existing.id})`;
      return this.finishFinancial(req, out, '94');
    }

    const txn = new FinancialRequest(this, req, rt, f60, stan, kind, now);
    let code: string;
    try {
      code = txn.decide();
    } catch (err) {
      if (!(err instanceof Decline)) throw err;
      code = err.code;
      req.note = err.why;
    }
    txn.record(code);
    if (code === '00') txn.book();
    if (txn.authCode) out.set(38, txn.authCode);
    if (kind === 'balance' && code === '00' && txn.card) {
      const acct = this.store.account(txn.card.alias)!;
      out.set(54, formatBalance({ accountType: txn.card.account === 'credit' ? '30' : '10', amountType: '02', currency: '156', amount: acct.balance - acct.holds }));
      out.unset(4);
    }
    if (kind === 'bill-payment' && req.msg.has(62)) out.set(62, req.msg.get(62)!);
    if (txn.arpc) out.set(55, txn.arpc(code));
    out.set(37, txn.rrn);
    return this.finishFinancial(req, out, code, txn.card);
  }

  // ---- reversal 0400 / 0410

  private reversal(req: Request, rt: TerminalRuntime, f60: Field60, stan: string, out: IsoMessage, now: Date): IsoMessage {
    if (req.fault?.action === 'force-response-code') {
      req.note = 'forced by fault: nothing reversed';
      return this.finishFinancial(req, out, req.fault.responseCode!);
    }
    const orig = this.store.transactionByStan(rt.config.terminalId, f60.batchNumber, stan);
    if (!orig || orig.mti === '0220' || orig.kind === 'balance' || orig.processing_code !== req.msg.getString(3)) {
      req.note = `no reversible original with STAN ${stan} in batch ${f60.batchNumber}${orig ? ` (found ${orig.kind} ${orig.mti}/${orig.processing_code})` : ''}`;
      return this.finishFinancial(req, out, '25');
    }
    const card = orig.card_alias ? this.config.cards.find((c) => c.alias === orig.card_alias) : undefined;
    if (orig.rrn) out.set(37, orig.rrn);
    const at = now.toISOString();
    if (orig.reversed) {
      req.note = `transaction ${orig.id} already reversed at ${orig.reversed_at}: nothing to undo`;
      return this.finishFinancial(req, out, '00', card);
    }
    if (!orig.approved) {
      this.store.markReversed(orig.id, at);
      req.note = `original ${orig.id} was declined (${orig.response_code}): nothing to undo`;
      return this.finishFinancial(req, out, '00', card);
    }
    const blocker = this.reversalBlocker(orig);
    if (blocker) {
      req.note = blocker;
      return this.finishFinancial(req, out, '12', card);
    }
    this.undo(orig, at);
    this.store.markReversed(orig.id, at);
    req.note = `reversed transaction ${orig.id} (${orig.kind} ${formatFen(orig.amount)})`;
    return this.finishFinancial(req, out, '00', card);
  }

  /** Why an approved original cannot be reversed: a later transaction still depends on it. */
  private reversalBlocker(orig: TransactionRow): string | undefined {
    const active = (id: number | null) => {
      if (id === null) return undefined;
      const t = this.store.transactionById(id);
      return t && t.approved && !t.reversed ? t : undefined;
    };
    const dep = active(orig.voided_by) ?? active(orig.completed_by);
    if (dep) return `transaction ${orig.id} has a later ${dep.kind} (${dep.id}); reverse that first`;
    if (orig.refunded > 0) return `transaction ${orig.id} has been refunded (${formatFen(orig.refunded)})`;
    if (orig.kind === 'completion-void' || orig.kind === 'preauth-void') {
      // Undoing these re-establishes the completion / the hold: only if the pre-auth was not used since.
      const target = orig.original_id !== null ? this.store.transactionById(orig.original_id) : undefined;
      const preauth = orig.kind === 'completion-void' && target?.original_id != null ? this.store.transactionById(target.original_id) : target;
      if (preauth && (active(preauth.completed_by) || (preauth.voided_by !== null && preauth.voided_by !== orig.id && active(preauth.voided_by)))) {
        return `pre-authorisation ${preauth.id} has been used since`;
      }
    }
    return undefined;
  }

  private undo(orig: TransactionRow, at: string): void {
    const alias = orig.card_alias!;
    switch (orig.kind) {
      case 'sale':
      case 'bill-payment':
        this.store.book(orig.id, alias, orig.amount, 'reverse', at);
        break;
      case 'completion':
      case 'completion-advice': {
        this.store.book(orig.id, alias, orig.amount, 'reverse', at);
        if (orig.original_id !== null) this.reopenPreauth(orig.original_id);
        break;
      }
      case 'void':
        this.store.book(orig.id, alias, -orig.amount, 'reverse', at);
        if (orig.original_id !== null) this.store.setVoidedBy(orig.original_id, null);
        break;
      case 'completion-void': {
        this.store.book(orig.id, alias, -orig.amount, 'reverse', at);
        const completion = orig.original_id !== null ? this.store.transactionById(orig.original_id) : undefined;
        if (completion) {
          this.store.setVoidedBy(completion.id, null);
          if (completion.original_id !== null) this.closePreauth(completion.original_id, completion.id);
        }
        break;
      }
      case 'preauth':
        if (orig.hold > 0) {
          this.store.addHolds(alias, -orig.hold);
          this.store.setHold(orig.id, 0);
        }
        break;
      case 'preauth-void':
        if (orig.original_id !== null) {
          this.store.setVoidedBy(orig.original_id, null);
          this.reopenPreauth(orig.original_id);
        }
        break;
      default:
        break;
    }
  }

  /** The pre-authorisation holds its amount again (completion undone or its void undone). */
  reopenPreauth(preauthId: number): void {
    const p = this.store.transactionById(preauthId);
    if (!p || p.reversed || p.hold > 0) return;
    this.store.setCompletedBy(p.id, null);
    this.store.setHold(p.id, p.amount);
    this.store.addHolds(p.card_alias!, p.amount);
  }

  /** The pre-authorisation's hold ends (completed or voided). */
  closePreauth(preauthId: number, completionId: number | null): void {
    const p = this.store.transactionById(preauthId);
    if (!p) return;
    if (p.hold > 0) {
      this.store.addHolds(p.card_alias!, -p.hold);
      this.store.setHold(p.id, 0);
    }
    if (completionId !== null) this.store.setCompletedBy(p.id, completionId);
  }

  // ---- 0500 settlement

  private settlement(req: Request, now: Date): IsoMessage {
    const rt = this.checkTerminal(req);
    const f60 = this.field60(req);
    const out = this.baseResponse(req, now);
    if (req.fault?.action === 'force-response-code') return out.set(39, req.fault.responseCode!);
    const f48 = req.msg.getString(48);
    if (!f48) throw new Decline('30', 'F48 (settlement totals) missing');
    let terminalTotals: SettlementTotals;
    try {
      terminalTotals = decodeSettlementTotals(f48);
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
    const batch = f60.batchNumber;
    const side = (org: 'CUP' | 'foreign'): Omit<SettlementSide, 'result'> => {
      if (org === 'foreign') return { debitAmount: 0, debitCount: 0, creditAmount: 0, creditCount: 0 };
      const t = this.store.batchTotals(rt.config.terminalId, batch, 'CUP');
      return { debitAmount: t.debit_amount, debitCount: t.debit_count, creditAmount: t.credit_amount, creditCount: t.credit_count };
    };
    const same = (a: Omit<SettlementSide, 'result'>, b: SettlementSide) =>
      a.debitAmount === b.debitAmount && a.debitCount === b.debitCount && a.creditAmount === b.creditAmount && a.creditCount === b.creditCount;
    const hostDomestic = side('CUP');
    const hostForeign = side('foreign');
    const domesticOk = same(hostDomestic, terminalTotals.domestic);
    const foreignOk = same(hostForeign, terminalTotals.foreign);
    // Balanced side: the terminal's totals with 1; unbalanced: the host's own totals with 2 (BP host style).
    const reply: SettlementTotals = {
      domestic: domesticOk ? { ...terminalTotals.domestic, result: '1' } : { ...hostDomestic, result: '2' },
      foreign: foreignOk ? { ...terminalTotals.foreign, result: '1' } : { ...hostForeign, result: '2' },
    };
    const replyF48 = encodeSettlementTotals(reply);
    this.store.insertSettlement(rt.config.terminalId, batch, now.toISOString(), f48, replyF48, reply.domestic.result, reply.foreign.result);
    const prev = this.store.batchState(rt.config.terminalId, batch);
    this.store.saveBatch({
      terminal_id: rt.config.terminalId, batch, state: 'settled', settled_at: now.toISOString(),
      settle_result: reply.domestic.result + reply.foreign.result, closed_at: null, uploaded: prev?.uploaded ?? 0,
    });
    req.note = `settlement batch ${batch}: domestic ${domesticOk ? 'balanced' : 'NOT balanced'}, foreign ${foreignOk ? 'balanced' : 'NOT balanced'}`;
    return out.set(48, replyF48).set(39, '00');
  }

  // ---- 0320 batch upload

  private batchUpload(req: Request, now: Date): IsoMessage {
    const rt = this.checkTerminal(req);
    const f60 = this.field60(req);
    const out = this.baseResponse(req, now);
    if (req.fault?.action === 'force-response-code') return out.set(39, req.fault.responseCode!);
    const tid = rt.config.terminalId;
    const batch = f60.batchNumber;
    const stan = req.msg.getString(11) ?? '000000';
    const code = f60.networkCode;
    const at = now.toISOString();
    const prev = this.store.batchState(tid, batch);
    const saveBatch = (state: string, uploadedDelta: number, closed: boolean) => this.store.saveBatch({
      terminal_id: tid, batch, state, settled_at: null, settle_result: null, closed_at: closed ? at : null,
      uploaded: (prev?.uploaded ?? 0) + uploadedDelta,
    });
    if (code === '202' || code === '207') {
      const f48 = req.msg.getString(48);
      if (!f48 || !/^\d{4}$/.test(f48)) throw new Decline('30', 'F48 of the batch-upload end must be the 4-digit count of uploaded records');
      const uploaded = prev?.uploaded ?? 0;
      saveBatch('closed', 0, true);
      // The terminal starts its next batch: the host's batch for this terminal follows.
      const next = String((Number(batch) % 999999) + 1).padStart(6, '0');
      this.saveTerminal(rt, { ...rt.row, batch: next }, rt.keys);
      req.note = `batch ${batch} closed (${code}); terminal says ${Number(f48)} records, host received ${uploaded}`;
      return out.set(39, '00');
    }
    if (code === '201') {
      const f48 = req.msg.getString(48);
      if (!f48 || !/^\d{2}/.test(f48)) throw new Decline('30', 'F48 of a magstripe batch upload must start with the 2-digit item count');
      const count = Number(f48.slice(0, 2));
      if (count < 1 || count > 8 || f48.length !== 2 + count * 40) {
        throw new Decline('30', `F48 announces ${count} items (1..8, 40 digits each) but holds ${f48.length - 2} digits`);
      }
      let matched = 0;
      const items: { org: string; trace: string; pan: string; amount: number; matched: boolean }[] = [];
      for (let i = 0; i < count; i++) {
        const item = f48.slice(2 + i * 40, 2 + (i + 1) * 40);
        const trace = item.slice(2, 8);
        const pan = item.slice(8, 28).replace(/^0+/, '');
        const amount = Number(item.slice(28, 40));
        const t = this.store.transactionByStan(tid, batch, trace);
        const ok = !!t && t.approved === 1 && t.amount === amount;
        if (ok) matched++;
        items.push({ org: item.slice(0, 2), trace, pan: maskPan(pan), amount, matched: ok });
      }
      this.store.insertUpload(tid, batch, stan, code, count, matched, JSON.stringify(items), at);
      saveBatch('uploading', count, false);
      req.note = `batch upload of ${count} magstripe records, ${matched} match the host`;
      return out.set(39, '00');
    }
    // IC records (203-206) and one-record uploads (offline / refund / advice, 60.3 = 000).
    const pan = req.msg.getString(2);
    const amount = Number(req.msg.getString(4) ?? '0');
    this.store.insertUpload(tid, batch, stan, code, 1, 0, JSON.stringify([{ pan: pan ? maskPan(pan) : null, amount }]), at);
    saveBatch('uploading', 1, false);
    req.note = `batch upload record (60.3 = ${code})`;
    out.unset(48);
    return out.set(39, '00');
  }

  // ------------------------------------------------------------------------------------------
  // Helpers used by FinancialRequest

  /** @internal */ get hostConfig(): HostConfig { return this.config; }
  /** @internal */ get hostStore(): HostStore { return this.store; }
  /** @internal */ rrn(): string { return this.nextRrn(); }
  /** @internal */ authCode(): string { return this.nextAuthCode(); }
  /** @internal */ yearMonth(now: Date): string { return this.yymm(now); }
  /** @internal */ pinCipherFor(rt: TerminalRuntime): PinCipher { return this.pinCipher(rt); }
}

function gbkPadded(text: string, n: number): Buffer {
  let out = Buffer.alloc(0);
  for (const ch of text) {
    const b = iconv.encode(ch, 'gbk');
    if (out.length + b.length > n) break;
    out = Buffer.concat([out, b]);
  }
  return Buffer.concat([out, Buffer.alloc(n - out.length, 0x20)]);
}

/**
 * One financial request (not a reversal): reads the card, PIN and chip data, decides, records the
 * transaction row and books its effect.
 */
class FinancialRequest {
  card?: CardConfig;
  pan?: string;
  amount = 0;
  authCode?: string;
  rrn: string;
  arpc?: (code: string) => Buffer;
  private original?: TransactionRow;
  private payee?: BillPayee;
  private txnId = 0;
  private readonly store: HostStore;
  private readonly config: HostConfig;

  constructor(private readonly engine: HostEngine, private readonly req: Request, private readonly rt: TerminalRuntime,
    private readonly f60: Field60, private readonly stan: string, private readonly kind: TransactionKind, private readonly now: Date) {
    this.store = engine.hostStore;
    this.config = engine.hostConfig;
    this.rrn = engine.rrn();
  }

  private get msg(): IsoMessage { return this.req.msg; }

  decide(): string {
    const rules = this.config.rules;
    const forced = this.req.fault?.action === 'force-response-code' ? this.req.fault.responseCode! : undefined;
    const f4raw = this.msg.getString(4);
    if (f4raw !== undefined && /^\d+$/.test(f4raw)) this.amount = Number(f4raw);
    if (forced) {
      try { this.readCard(); } catch { /* the forced code wins */ }
      throw new Decline(forced, 'forced by fault: nothing booked');
    }

    if (this.kind !== 'balance') {
      const f4 = this.msg.getString(4);
      if (f4 === undefined) throw new Decline('30', 'F4 (amount) missing');
      this.amount = Number(f4);
      if (this.amount <= 0 || this.amount > rules.maxTransactionAmount) {
        throw new Decline('13', `amount ${formatFen(this.amount)} is outside 0.01..${formatFen(rules.maxTransactionAmount)}`);
      }
    }
    if (this.kind === 'bill-payment') {
      const f62 = this.msg.get(62);
      if (!Buffer.isBuffer(f62)) throw new Decline('30', 'bill payment without the payee (F62)');
      try {
        this.payee = decodeBillPayee(f62);
      } catch (err) {
        throw new Decline('30', (err as FieldContentError).message);
      }
    }
    this.readCard();
    const card = this.card!;

    if (card.status === 'lost') throw new Decline('41', 'card reported lost');
    if (card.status === 'stolen') throw new Decline('43', 'card reported stolen');
    if (card.status === 'expired' || card.expiry < this.engine.yearMonth(this.now)) throw new Decline('54', `card expired (${card.expiry})`);
    if (card.status === 'restricted') throw new Decline('62', 'restricted card');

    const acct = this.store.account(card.alias)!;
    this.checkPin(card, acct);
    this.checkChip(card);

    const available = acct.balance - acct.holds;
    const limit = card.limits.perTransaction;
    switch (this.kind) {
      case 'sale':
      case 'bill-payment':
      case 'preauth':
        if (limit !== undefined && this.amount > limit) throw new Decline('61', `amount over the card's per-transaction limit ${formatFen(limit)}`);
        if (this.amount > available) throw new Decline('51', 'insufficient funds');
        break;
      case 'balance':
        break;
      case 'void': {
        const o = this.findOriginal(['sale', 'bill-payment']);
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `transaction ${o.id} is already voided`);
        if (o.refunded > 0) throw new Decline('12', `transaction ${o.id} has been refunded`);
        if (o.amount !== this.amount) throw new Decline('64', `void amount ${formatFen(this.amount)} differs from the original ${formatFen(o.amount)}`);
        break;
      }
      case 'refund': {
        const o = this.findRefundOriginal();
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `transaction ${o.id} was voided`);
        if (o.refunded + this.amount > o.amount) {
          throw new Decline('13', `refund ${formatFen(this.amount)} exceeds what remains refundable (${formatFen(o.amount - o.refunded)})`);
        }
        break;
      }
      case 'preauth-void': {
        const o = this.findPreauth();
        if (o.amount !== this.amount) throw new Decline('64', `pre-authorisation void amount ${formatFen(this.amount)} differs from ${formatFen(o.amount)}`);
        break;
      }
      case 'completion':
      case 'completion-advice': {
        const o = this.findPreauth();
        const max = Math.floor(o.amount * (100 + rules.completionTolerancePercent) / 100);
        if (this.amount > max) throw new Decline('61', `completion ${formatFen(this.amount)} exceeds the pre-authorisation ${formatFen(o.amount)} + ${rules.completionTolerancePercent}%`);
        if (this.kind === 'completion' && this.amount > available + o.hold) throw new Decline('51', 'insufficient funds for the completion');
        break;
      }
      case 'completion-void': {
        const o = this.findOriginal(['completion', 'completion-advice']);
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `completion ${o.id} is already voided`);
        if (o.amount !== this.amount) throw new Decline('64', `completion void amount ${formatFen(this.amount)} differs from ${formatFen(o.amount)}`);
        break;
      }
      default:
        break;
    }
    if (this.kind !== 'balance') this.authCode = this.engine.authCode();
    return '00';
  }

  private active(id: number): boolean {
    const t = this.store.transactionById(id);
    return !!t && t.approved === 1 && t.reversed === 0;
  }

  /** PAN from F2, else from track 2 (decrypted with the TDK when 53.3 = 1); the card must be on file. */
  private readCard(): void {
    const f2 = this.msg.getString(2);
    let track2 = this.msg.getString(35);
    const f53 = this.msg.getString(53);
    let security: ReturnType<typeof parseSecurityControl> | undefined;
    if (f53) {
      try {
        security = parseSecurityControl(f53);
      } catch (err) {
        throw new Decline('30', (err as Error).message);
      }
    }
    if (track2 && security?.trackEncrypted) {
      if (!this.rt.keys?.tdk) throw new Decline('30', 'track data marked encrypted (53.3 = 1) but the terminal signed on without a TDK (60.3 = 004)');
      track2 = decryptTrackData(this.rt.keys.tdk, track2);
    }
    const trackPan = track2 ? track2.split('=')[0] : undefined;
    if (f2 && trackPan && f2 !== trackPan) throw new Decline('30', 'F2 and the PAN of track 2 differ');
    const pan = f2 ?? trackPan;
    if (!pan || !/^\d{12,19}$/.test(pan)) throw new Decline('30', 'no PAN: neither F2 nor track 2 (F35)');
    this.pan = pan;
    const card = this.config.cards.find((c) => c.onFile && c.pan === pan);
    if (!card) throw new Decline('14', `card ${maskPan(pan)} is not on file`);
    this.card = card;
  }

  private checkPin(card: CardConfig, acct: AccountRow): void {
    const cipher = this.engine.pinCipherFor(this.rt);
    let block: Buffer | undefined;
    if (cipher === 'sm4') block = sm4PinBlockFromF59(this.msg.getString(59));
    else {
      const f52 = this.msg.get(52);
      block = Buffer.isBuffer(f52) ? f52 : undefined;
    }
    const entry = this.msg.getString(22);
    let contactless = false;
    if (entry) {
      try {
        const mode = parsePosEntryMode(entry);
        contactless = mode.panEntry === 'contactless' || mode.panEntry === 'contactless-pboc';
      } catch (err) {
        throw new Decline('30', (err as Error).message);
      }
    }
    const rules = this.config.rules;
    if (!block) {
      const noPinOk = contactless && this.kind !== 'balance' && this.amount <= rules.contactlessNoPinLimit;
      if (card.requirePin && PIN_REQUIRED_KINDS.has(this.kind) && !noPinOk) throw new Decline('55', 'PIN required but no PIN block sent');
      return;
    }
    if (acct.pin_tries >= rules.pinTryLimit) throw new Decline('75', `PIN tries exhausted (${acct.pin_tries} of ${rules.pinTryLimit})`);
    let pin: string;
    try {
      const security = this.msg.getString(53) ? parseSecurityControl(this.msg.getString(53)!) : undefined;
      const clear = decryptPinBlock(this.rt.keys!.pik, block, cipher);
      pin = security?.pinFormat === 'x98-without-pan' ? recoverPin(clear, undefined, 1) : recoverPin(clear, this.pan, 0);
    } catch (err) {
      // Not a PIN block under this PIK in the announced format: PIN format error, the terminal must sign on again.
      throw new Decline('99', `PIN block does not decode: ${(err as Error).message}`);
    }
    if (card.pin === undefined || pin !== card.pin) {
      const tries = acct.pin_tries + 1;
      this.store.setPinTries(card.alias, tries);
      if (tries >= rules.pinTryLimit) throw new Decline('75', `wrong PIN, try ${tries} of ${rules.pinTryLimit}: tries exhausted`);
      throw new Decline('55', `wrong PIN (try ${tries} of ${rules.pinTryLimit})`);
    }
    if (acct.pin_tries !== 0) this.store.setPinTries(card.alias, 0);
  }

  /** ARQC in F55 verified with the card's keys (59 when wrong); the reply carries 91 = ARPC ‖ ARC. */
  private checkChip(card: CardConfig): void {
    const f55 = this.msg.get(55);
    if (!Buffer.isBuffer(f55)) return;
    let tags: Map<string, Buffer>;
    try {
      tags = flattenTlv(decodeTlv(f55));
    } catch (err) {
      throw new Decline('30', `F55 is not BER-TLV: ${(err as TlvDecodeError).message}`);
    }
    const arqc = tags.get('9F26');
    if (!arqc || !card.emv || !this.config.rules.verifyArqc) return;
    if (arqc.length !== 8) throw new Decline('30', 'F55 tag 9F26 (ARQC) must be 8 bytes');
    const atc = tags.get('9F36');
    if (!atc || atc.length !== 2) throw new Decline('30', 'F55 lacks tag 9F36 (ATC, 2 bytes)');
    const missing = ARQC_CDOL1_TAGS.filter((t) => !tags.has(t));
    if (missing.length) throw new Decline('30', `F55 lacks CDOL1 tag(s) ${missing.join(', ')} needed to verify the ARQC`);
    const cdol = Buffer.concat(ARQC_CDOL1_TAGS.map((t) => tags.get(t)!));
    const f23 = this.msg.getString(23);
    const psn = f23 ? f23.slice(-2) : card.psn;
    const mk = deriveIccMasterKeyOptionA(card.emv.imk.reveal(), card.pan, psn);
    const sk = deriveCommonSessionKey(mk, atc);
    const expected = generateArqc(sk, cdol, 2);
    this.store.setLastAtc(card.alias, atc.readUInt16BE(0));
    this.arpc = (code: string) => {
      const arc = Buffer.from(code.padEnd(2, '0').slice(0, 2), 'ascii');
      return encodeTlv([{ tag: '91', value: Buffer.concat([generateArpcMethod1(sk, arqc, arc), arc]) }]);
    };
    if (!expected.equals(arqc)) throw new Decline('59', 'ARQC does not verify (wrong card keys, PSN, ATC or CDOL1 data)');
  }

  private originalRef(): { batch: string; trace: string } {
    const f61 = this.msg.getString(61);
    if (!f61) throw new Decline('30', `${this.kind} needs F61 (original batch + trace)`);
    try {
      const p = parseField61(f61);
      return { batch: p.originalBatch, trace: p.originalTrace };
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
  }

  private findOriginal(kinds: TransactionKind[]): TransactionRow {
    const ref = this.originalRef();
    const o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
    if (!o || !kinds.includes(o.kind) || !o.approved || o.reversed || o.card_alias !== this.card!.alias) {
      throw new Decline('25', `no approved ${kinds.join('/')} with batch ${ref.batch} trace ${ref.trace} for this card`);
    }
    this.original = o;
    return o;
  }

  private findRefundOriginal(): TransactionRow {
    const rrn = this.msg.getString(37);
    let o: TransactionRow | undefined;
    if (rrn && !/^0+$/.test(rrn)) o = this.store.transactionByRrn(rrn);
    if (!o && this.msg.has(61)) {
      const ref = this.originalRef();
      o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
    }
    if (!o || !['sale', 'bill-payment', 'completion', 'completion-advice'].includes(o.kind) || !o.approved || o.reversed || o.card_alias !== this.card!.alias) {
      throw new Decline('25', `no approved original for the refund (RRN ${rrn ?? '-'}) with this card`);
    }
    this.original = o;
    return o;
  }

  private findPreauth(): TransactionRow {
    let o: TransactionRow | undefined;
    if (this.msg.has(61)) {
      const ref = this.originalRef();
      o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
      if (o && o.kind !== 'preauth') o = undefined;
    }
    const auth = this.msg.getString(38);
    if (!o && auth) o = this.store.transactionByAuthCode(this.rt.config.terminalId, auth, 'preauth');
    if (!o || !o.approved || o.reversed || o.card_alias !== this.card!.alias) throw new Decline('25', 'no approved pre-authorisation found (F61 / F38) for this card');
    if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `pre-authorisation ${o.id} was voided`);
    if (o.completed_by !== null && this.active(o.completed_by)) throw new Decline('12', `pre-authorisation ${o.id} is already completed`);
    this.original = o;
    return o;
  }

  record(code: string): void {
    const entry = this.msg.getString(22);
    this.txnId = this.store.insertTransaction({
      terminal_id: this.rt.config.terminalId,
      merchant_id: this.rt.config.merchantId,
      batch: this.f60.batchNumber,
      stan: this.stan,
      mti: this.msg.mti,
      processing_code: this.msg.getString(3) ?? '',
      kind: this.kind,
      card_alias: this.card?.alias ?? null,
      pan_masked: this.pan ? maskPan(this.pan) : null,
      amount: this.amount,
      response_code: code,
      auth_code: code === '00' ? this.authCode ?? null : null,
      rrn: this.rrn,
      at: this.now.toISOString(),
      approved: code === '00' ? 1 : 0,
      original_id: this.original?.id ?? null,
      hold: 0,
      payee_name: this.payee?.name ?? null,
      payee_account: this.payee?.account ?? null,
      payee_reference: this.payee?.reference ?? null,
      entry_mode: entry ?? null,
      card_org: 'CUP',
    });
    if (code !== '00') this.authCode = undefined;
  }

  book(): void {
    const alias = this.card!.alias;
    const at = this.now.toISOString();
    const id = this.txnId;
    const o = this.original;
    switch (this.kind) {
      case 'sale':
      case 'bill-payment':
        this.store.book(id, alias, -this.amount, 'book', at);
        break;
      case 'void':
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.setVoidedBy(o!.id, id);
        break;
      case 'refund':
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.addRefunded(o!.id, this.amount);
        break;
      case 'preauth':
        this.store.setHold(id, this.amount);
        this.store.addHolds(alias, this.amount);
        break;
      case 'preauth-void':
        this.engine.closePreauth(o!.id, null);
        this.store.setVoidedBy(o!.id, id);
        break;
      case 'completion':
      case 'completion-advice':
        this.store.book(id, alias, -this.amount, 'book', at);
        this.engine.closePreauth(o!.id, id);
        break;
      case 'completion-void': {
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.setVoidedBy(o!.id, id);
        if (o!.original_id !== null) this.engine.reopenPreauth(o!.original_id);
        break;
      }
      default:
        break;
    }
  }
}
