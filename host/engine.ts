/**
 * The acquirer's frame pipeline: one request frame in, one reply frame (or a close) out, with every
 * effect written to the store. Synchronous; the server calls it inside a SQLite transaction and
 * writes the reply only after the commit (see server.ts).
 *
 *   decode → fault filters → handler (handlers/, by MTI) → MAC → encode → journal
 *
 * Message identification is the transaction catalogue's (protocol/iso8583/catalogue.ts, cup8583.md
 * §3.1); response codes §7; checklist §9. Decisions the reference leaves open are in docs/host.md.
 */
import { maskPan } from '../crypto';
import {
  applyMac,
  decodeFrame,
  encodeFrame,
  IsoMessage,
  parseHeader,
  responseMtiOf,
  swapTpdu,
  type CupFrame,
  type CupHeader,
  type IcListKind,
} from '../protocol/iso8583';
import type { HostConfig, TerminalLists } from './config';
import {
  Decline,
  FINANCIAL_MTIS,
  formatFen,
  HostContext,
  type DownloadKind,
  type EngineOptions,
  type Request,
  type TerminalRuntime,
} from './context';
import { FAULT_FILTERS, type FrameOutcome } from './filters';
import { handlerTable, REQUEST_MTIS, type MessageHandler } from './handlers';
import { maskedFields, maskedFrameHex } from './redact';
import { salvageEchoFields } from './salvage';
import type { HostStore } from './store';

export { SILENT_LOGGER, formatFen } from './context';
export type { EngineOptions, HostLogger } from './context';
export type { FrameOutcome } from './filters';

/** Replies MACed when the request was (cup8583.md §3.1 MAC column): those of the financial kinds. */
const MAC_RESPONSE_MTIS: ReadonlySet<string> = new Set([...FINANCIAL_MTIS].map(responseMtiOf));

/** TPDU, header and MTI of a frame when they are readable (the MTI must be 4 BCD digits). */
export function readFrameHead(frame: Buffer): { tpdu: string; header: CupHeader; mti: string } | undefined {
  if (frame.length < 2 + 5 + 6 + 2) return undefined;
  const mti = frame.toString('hex', 13, 15);
  if (!/^\d{4}$/.test(mti)) return undefined;
  return { tpdu: frame.toString('hex', 2, 7).toUpperCase(), header: parseHeader(frame.subarray(7, 13)), mti };
}

interface JournalEntry {
  terminalId?: string;
  mti?: string;
  processingCode?: string;
  stan?: string;
  amount?: string;
  inHex: string;
  inFields?: Record<string, string>;
  outMti?: string;
  responseCode?: string;
  outHex?: string;
  outFields?: Record<string, string>;
  note?: string;
}

export class HostEngine {
  private readonly ctx: HostContext;
  private readonly handlers: ReadonlyMap<string, MessageHandler>;

  constructor(
    config: HostConfig,
    private readonly store: HostStore,
    private readonly opts: EngineOptions,
    handlers: readonly MessageHandler[] | undefined = undefined,
  ) {
    this.ctx = new HostContext(config, store, opts);
    this.handlers = handlerTable(handlers);
    store.ensureAccounts(config, maskPan);
  }

  handleFrame(frame: Buffer, remote: string): FrameOutcome {
    const now = this.opts.clock();
    const head = readFrameHead(frame);
    if (!head) {
      this.opts.logger.warn(
        `${now.toISOString()} ${remote} unreadable frame of ${frame.length} bytes (no TPDU + header + BCD MTI): closing the connection`,
      );
      this.journal(now, remote, { inHex: `<${frame.length} bytes, header or MTI unreadable: not kept>`, note: 'unreadable: connection closed' });
      return { close: true, delayMs: 0, reason: 'unreadable header or MTI' };
    }
    let decoded: CupFrame;
    try {
      decoded = decodeFrame(frame);
    } catch (err) {
      return this.undecodable(now, remote, frame, head, err);
    }

    const msg = decoded.message;
    const terminalId = msg.getString(41)?.trimEnd();
    const fault = this.opts.faults.take(msg.mti, msg.getString(3), terminalId);
    const filter = fault ? FAULT_FILTERS[fault.action] : undefined;
    const req: Request = { frame: decoded, msg, remote, now, fault, warnings: [] };
    const inHex = maskedFrameHex(frame, msg);
    const inFields = maskedFields(msg);
    this.opts.logger.info(this.logLine(now, 'in ', terminalId, msg.mti, msg.getString(3), msg.getString(11), msg.getString(4), '--'));

    let response: IsoMessage;
    try {
      const handler = this.handlers.get(msg.mti);
      if (!handler) throw new Decline('30', `MTI ${msg.mti} is not a request this host serves`);
      const work = handler.prepare(req, this.ctx);
      if (work instanceof IsoMessage) response = work;
      else response = fault && filter?.decide ? filter.decide(fault, work) : work.apply();
    } catch (err) {
      if (!(err instanceof Decline)) {
        const why = err instanceof Error ? err.message : String(err);
        this.opts.logger.error(`${now.toISOString()} ${remote} internal error on ${msg.mti} from ${terminalId ?? '?'}: ${why}`);
        throw err;
      }
      response = this.ctx.baseResponse(req).set(39, err.code);
      req.note = err.why;
    }
    if (req.replyMak && MAC_RESPONSE_MTIS.has(response.mti)) {
      applyMac(response, req.replyMak.key, req.replyMak.scheme);
      if (fault) filter?.afterMac?.(fault, response);
    }
    const rc = response.getString(39);
    const bytes = encodeFrame({
      tpdu: swapTpdu(decoded.tpdu),
      header: { ...decoded.header, processingRequirement: this.ctx.replyRequirement(req, rc) },
      message: response,
    });
    const why = [req.note, ...req.warnings].filter(Boolean).join('; ') || undefined;
    this.journal(now, remote, {
      terminalId,
      mti: msg.mti,
      processingCode: msg.getString(3),
      stan: msg.getString(11),
      amount: msg.getString(4),
      inHex,
      inFields,
      outMti: response.mti,
      responseCode: rc,
      outHex: maskedFrameHex(bytes, response),
      outFields: maskedFields(response),
      note:
        [fault ? `fault ${fault.action} #${fault.id}` : undefined, why, fault ? filter?.note?.(fault) : undefined].filter(Boolean).join('; ') ||
        undefined,
    });
    this.opts.logger.info(
      this.logLine(now, 'out', terminalId, response.mti, response.getString(3), response.getString(11), response.getString(4), rc ?? '--') +
        (why ? ` ${why}` : '') +
        (fault ? ` [fault ${fault.action}]` : ''),
    );
    return (fault && filter?.deliver?.(fault, bytes)) || { reply: bytes, close: false, delayMs: 0 };
  }

  /** Header and MTI readable, body not: a request MTI gets format error 30, anything else a close. */
  private undecodable(now: Date, remote: string, frame: Buffer, head: { tpdu: string; header: CupHeader; mti: string }, err: unknown): FrameOutcome {
    const why = err instanceof Error ? err.message : String(err);
    // The body is not kept (it may hold card data): only length prefix, TPDU, header and MTI.
    const headHex = frame.toString('hex', 0, 15).toUpperCase() + '…';
    if (!REQUEST_MTIS.has(head.mti)) {
      this.opts.logger.warn(
        `${now.toISOString()} ${remote} undecodable frame with MTI ${head.mti} (not a request this host serves): closing. ${why}`,
      );
      this.journal(now, remote, { mti: head.mti, inHex: headHex, note: `undecodable, not a request: ${why}` });
      return { close: true, delayMs: 0, reason: 'undecodable frame, not a request MTI' };
    }
    // Whatever the terminal matches a reply on (F3, F4, F11, F41, F42) is echoed when it can be read.
    const echo = salvageEchoFields(frame.subarray(13));
    const reply = new IsoMessage(responseMtiOf(head.mti));
    for (const [n, v] of echo) reply.set(n, v);
    reply.set(39, '30');
    const terminalId = echo.get(41)?.trimEnd();
    const rt = terminalId ? this.ctx.terminalRuntime(terminalId) : undefined;
    const requirement = this.ctx.replyRequirement(
      {
        frame: { tpdu: head.tpdu, header: head.header, message: reply },
        msg: reply,
        remote,
        now,
        warnings: [],
        ...(rt && rt.config.merchantId === echo.get(42)?.trimEnd() ? { terminal: rt } : {}),
      },
      '30',
    );
    const bytes = encodeFrame({ tpdu: swapTpdu(head.tpdu), header: { ...head.header, processingRequirement: requirement }, message: reply });
    const read = echo.size
      ? ` (read from the raw bytes: ${[...echo.keys()].map((n) => `F${n}`).join(', ')})`
      : ' (F11 / F41 unreadable: the terminal cannot match this reply)';
    this.journal(now, remote, {
      terminalId,
      mti: head.mti,
      processingCode: echo.get(3),
      stan: echo.get(11),
      amount: echo.get(4),
      inHex: headHex,
      outMti: reply.mti,
      responseCode: '30',
      outHex: bytes.toString('hex').toUpperCase(),
      outFields: maskedFields(reply),
      note: `format error: ${why}${read}`,
    });
    this.opts.logger.info(this.logLine(now, 'in ', terminalId, head.mti, echo.get(3), echo.get(11), echo.get(4), '--') + ` format error: ${why}`);
    this.opts.logger.info(this.logLine(now, 'out', terminalId, reply.mti, echo.get(3), echo.get(11), echo.get(4), '30') + read);
    return { reply: bytes, close: false, delayMs: 0 };
  }

  private logLine(
    now: Date,
    dir: string,
    terminalId: string | undefined,
    mti: string,
    pcode: string | undefined,
    stan: string | undefined,
    amount: string | undefined,
    rc: string,
  ): string {
    const amt = amount && /^\d+$/.test(amount) ? formatFen(Number(amount)) : '-';
    return `${now.toISOString()} ${dir} ${(terminalId ?? '--------').padEnd(8)} ${mti} ${(pcode ?? '------').padEnd(6)} ${(stan ?? '------').padEnd(6)} ${amt.padStart(12)} ${rc}`;
  }

  /** One journal row per exchange: the request and the reply (if any). */
  private journal(now: Date, remote: string, e: JournalEntry): void {
    this.store.insertJournal({
      at: now.toISOString(),
      remote,
      terminal_id: e.terminalId ?? null,
      stan: e.stan ?? null,
      mti: e.mti ?? null,
      processing_code: e.processingCode ?? null,
      amount: e.amount && /^\d+$/.test(e.amount) ? Number(e.amount) : null,
      in_hex: e.inHex,
      in_fields: e.inFields ? JSON.stringify(e.inFields) : null,
      out_mti: e.outMti ?? null,
      response_code: e.responseCode ?? null,
      out_hex: e.outHex ?? null,
      out_fields: e.outFields ? JSON.stringify(e.outFields) : null,
      note: e.note ?? null,
    });
  }

  /** Writes the RRN / auth-code counters (once per group transaction, before its commit). */
  persistSequences(): void {
    this.ctx.persistSequences();
  }

  /** Ask the terminal to sign on again (header digit 3 on every reply until its next sign-on). */
  requestSignOn(terminalId: string): boolean {
    const rt = this.ctx.terminalRuntime(terminalId);
    if (!rt) return false;
    this.ctx.signOnRequested.add(terminalId);
    return true;
  }

  /** Ask the terminal to download IC lists again (header digit 4 / 5 on its replies until it has). */
  requestIcDownload(terminalId: string, lists: readonly DownloadKind[]): boolean {
    if (!this.ctx.terminalRuntime(terminalId)) return false;
    for (const l of lists) this.ctx.icLoaded(terminalId, l, undefined);
    return true;
  }

  icLoadedVersion(terminalId: string, list: DownloadKind): string | undefined {
    return this.ctx.icLoadedVersion(terminalId, list);
  }

  /** The blacklist and contactless parameters served now (configuration, or as control replaced them). */
  get terminalLists(): TerminalLists {
    return this.ctx.terminalLists;
  }

  /** Serve other lists from now on: a changed version asks every terminal to download it again (digit 7 / 9). */
  setTerminalLists(lists: TerminalLists): void {
    this.ctx.terminalLists = lists;
  }

  /** Forget cached terminal state; it is read again from the database (after a rolled-back transaction). */
  forgetTerminals(): void {
    this.ctx.forgetTerminals();
  }

  terminalRuntimeFor(terminalId: string): TerminalRuntime | undefined {
    return this.ctx.terminalRuntime(terminalId);
  }
}
