/**
 * TtpChannel: one end of a TTP conversation, on either side (harness or terminal).
 *
 * Reliability (stop-and-wait): one frame outstanding per direction; the receiver answers every
 * frame with ACK or NAK; the sender retransmits on NAK or when no ACK came within ackTimeoutMs,
 * at most maxRetransmissions times, then declares the link broken. A frame identical to the last
 * accepted one, arriving within the retransmission window, is a retransmission whose ACK was lost:
 * ACKed again, delivered once.
 * Sessions (TTP §3.2): a `hello` whose bytes differ from the last accepted frame opens a new harness
 * session and resets duplicate detection, so a harness that connects again is never taken for a
 * retransmission; a `hello` without `session` (a TTP 1.0 harness) is always executed.
 * Correlation: request() assigns an id (from `firstId`, which the harness draws at random per
 * connection) and resolves with the reply carrying the same id.
 *
 * Pure: bytes go out through the injected `write`, time comes from the injected scheduler.
 */
import {
  TtpChannelClosedError, TtpLinkBrokenError, TtpRemoteError, TtpResponseTimeoutError,
} from './errors';
import { TTP_ACK_BYTE, TTP_NAK_BYTE, TtpDecodeErrorReason, TtpFrameDecoder, encodeTtpFrame } from './frame';
import {
  TTP_DEFAULT_ACK_TIMEOUT_MS, TTP_DEFAULT_FRAME_TIMEOUT_MS, TTP_DEFAULT_RESPONSE_TIMEOUT_MS,
  TTP_MAX_PAYLOAD, TTP_MAX_RETRANSMISSIONS, TtpCommand, TtpCommandName, TtpErrorBody, TtpEvent,
  TtpMessage, TtpRequest, TtpResponse, TtpResultByCommand,
  isTtpEvent, isTtpRequest, isTtpResponse,
} from './messages';

export interface TtpScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, for transcript timestamps only. */
  now(): number;
}

export interface TtpChannelOptions {
  /** Sends bytes to the peer, in order. A rejected promise breaks the channel. */
  write: (bytes: Buffer) => void | Promise<void>;
  scheduler: TtpScheduler;
  ackTimeoutMs?: number;
  maxRetransmissions?: number;
  /**
   * A started frame that gets no more bytes for this long is abandoned (NAK, resync). Default
   * 300 ms, or 60 % of ackTimeoutMs when that is shorter.
   */
  frameTimeoutMs?: number;
  /** Default wait for the reply to request(); per call override in request options. */
  responseTimeoutMs?: number;
  maxPayload?: number;
  /** Names the channel in error messages, e.g. the link URL. */
  name?: string;
  /**
   * Id of the first request. The harness draws it at random per connection (TTP §3.2), so that a
   * new connection's frames differ from the last one's even where the peer outlives connections.
   * Default 1. Injected, as the channel uses no randomness of its own.
   */
  firstId?: number;
  /**
   * A frame identical to the last accepted one is a duplicate only when it arrives within this
   * many ms of it (TTP §3.1): retransmissions come within (maxRetransmissions + 1) × the peer's
   * ACK timeout. Default twice that, with this side's ACK timeout.
   */
  duplicateWindowMs?: number;
  /**
   * Terminal side: after the retransmission limit, fail what was pending (and report
   * 'link-broken') but keep serving, so a harness that comes back is answered. Default false:
   * the harness side stays broken until the owner builds a new channel.
   */
  resumeAfterBreak?: boolean;
}

/** One line of the transcript: every byte-level happening, in order. Payloads are NOT masked here. */
export type TtpTraceEntry =
  | { at: number; dir: 'tx' | 'rx'; kind: 'frame'; message: TtpMessage; attempt?: number; duplicate?: boolean }
  | { at: number; dir: 'tx' | 'rx'; kind: 'ack' | 'nak' }
  | { at: number; dir: 'rx'; kind: 'error'; reason: TtpDecodeErrorReason; detail: string }
  | { at: number; dir: 'tx'; kind: 'timeout'; attempt: number }
  | { at: number; dir: 'rx'; kind: 'session'; session?: number };

export interface TtpChannelStats {
  framesSent: number;
  framesReceived: number;
  retransmissions: number;
  naksSent: number;
  naksReceived: number;
  ackTimeouts: number;
  duplicatesDropped: number;
  garbageBytes: number;
  decodeErrors: number;
  unexpectedAcks: number;
  /** Late answers to extra copies of an already acknowledged frame, absorbed (not credited to the next frame). */
  strayAcks: number;
  /** Harness sessions opened by a `hello` (terminal side). */
  sessions: number;
}

export interface TtpProtocolError {
  reason: TtpDecodeErrorReason | 'unexpected-response';
  detail: string;
}

interface Listeners {
  request: (req: TtpRequest) => void;
  event: (evt: TtpEvent) => void;
  trace: (entry: TtpTraceEntry) => void;
  'protocol-error': (err: TtpProtocolError) => void;
  'link-broken': (err: TtpLinkBrokenError) => void;
  /** A `hello` opened a new harness session (duplicate detection was reset); `session` as sent. */
  session: (info: { session?: number }) => void;
}

interface Outgoing {
  bytes: Buffer;
  message: TtpMessage;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface PendingRequest {
  cmd: string;
  resolve: (r: TtpResponse) => void;
  reject: (e: Error) => void;
  timer?: unknown;
}

const MAX_ID = 0x7fffffff;

export class TtpChannel {
  readonly stats: TtpChannelStats = {
    framesSent: 0, framesReceived: 0, retransmissions: 0, naksSent: 0, naksReceived: 0,
    ackTimeouts: 0, duplicatesDropped: 0, garbageBytes: 0, decodeErrors: 0, unexpectedAcks: 0, strayAcks: 0, sessions: 0,
  };

  private readonly opts: Required<Omit<TtpChannelOptions, 'name' | 'firstId' | 'duplicateWindowMs'>> & { name: string; duplicateWindowMs: number };
  private readonly decoder: TtpFrameDecoder;
  private readonly listeners: { [K in keyof Listeners]: Array<Listeners[K]> } = {
    request: [], event: [], trace: [], 'protocol-error': [], 'link-broken': [], session: [],
  };
  private readonly queue: Outgoing[] = [];
  private inFlight?: Outgoing;
  private attempt = 0;
  /** ACK/NAK received for the frame in flight (one per copy that reached the peer). */
  private responses = 0;
  /** After an ACK, answers still owed for other copies of the same frame. */
  private drain?: { remaining: number; timer: unknown };
  private ackTimer?: unknown;
  private frameTimer?: unknown;
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;
  private eventSeq = 0;
  private lastAccepted?: Buffer;
  private lastAcceptedAt = 0;
  private failure?: Error;
  private readonly inbox: Buffer[] = [];
  private receiving = false;
  private sendLimit?: number;

  constructor(options: TtpChannelOptions) {
    this.opts = {
      ackTimeoutMs: TTP_DEFAULT_ACK_TIMEOUT_MS,
      maxRetransmissions: TTP_MAX_RETRANSMISSIONS,
      frameTimeoutMs: TTP_DEFAULT_FRAME_TIMEOUT_MS,
      responseTimeoutMs: TTP_DEFAULT_RESPONSE_TIMEOUT_MS,
      maxPayload: TTP_MAX_PAYLOAD,
      name: 'ttp',
      resumeAfterBreak: false,
      ...stripUndefined(options),
    } as TtpChannel['opts'];
    delete (this.opts as { firstId?: number }).firstId;
    if (options.firstId !== undefined) {
      if (!Number.isInteger(options.firstId) || options.firstId < 1 || options.firstId > MAX_ID) {
        throw new RangeError(`TtpChannel firstId must be an integer 1..${MAX_ID}, got ${options.firstId}`);
      }
      this.nextId = options.firstId;
    }
    if (options.duplicateWindowMs === undefined) {
      this.opts.duplicateWindowMs = 2 * (this.opts.maxRetransmissions + 1) * this.opts.ackTimeoutMs;
    }
    // The receiver must NAK a stalled frame before the sender's ACK timer fires (§4 of the
    // document); with a short ACK timeout and no explicit frame timeout, scale the latter down.
    if (options.frameTimeoutMs === undefined) {
      this.opts.frameTimeoutMs = Math.max(1, Math.min(TTP_DEFAULT_FRAME_TIMEOUT_MS, Math.floor(this.opts.ackTimeoutMs * 0.6)));
    }
    this.decoder = new TtpFrameDecoder({ maxPayload: this.opts.maxPayload });
  }

  on<K extends keyof Listeners>(event: K, listener: Listeners[K]): this {
    this.listeners[event].push(listener);
    return this;
  }

  off<K extends keyof Listeners>(event: K, listener: Listeners[K]): this {
    const list = this.listeners[event] as Array<Listeners[K]>;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  /** True once the link was declared broken or the channel closed. */
  get isBroken(): boolean {
    return this.failure !== undefined;
  }

  /** Requests sent and not yet answered. */
  get outstandingRequests(): number {
    return this.pending.size;
  }

  /** Feed bytes received from the link. */
  receive(bytes: Uint8Array): void {
    if (this.failure) return;
    // A synchronous write function may feed the peer, which answers into receive() before we
    // finished the previous chunk: queue such re-entrant input so frames stay in order.
    this.inbox.push(Buffer.from(bytes));
    if (this.receiving) return;
    this.receiving = true;
    try {
      for (let chunk = this.inbox.shift(); chunk && !this.failure; chunk = this.inbox.shift()) {
        this.handleDecoded(this.decoder.push(chunk));
      }
    } finally {
      this.receiving = false;
      this.inbox.length = 0;
    }
    this.armFrameTimer();
  }

  /**
   * Send a command and wait for its reply. Resolves with `result` of an ok reply; rejects with
   * TtpRemoteError (ok:false), TtpResponseTimeoutError, TtpLinkBrokenError or TtpChannelClosedError.
   */
  async request<K extends TtpCommandName>(
    command: Extract<TtpCommand, { cmd: K }>,
    options: { timeoutMs?: number } = {},
  ): Promise<TtpResultByCommand[K]> {
    const response = await this.requestRaw(command, options);
    if (!response.ok) {
      throw new TtpRemoteError(command.cmd, response.id, response.error.code, response.error.message, response.error.detail);
    }
    return (response.result ?? {}) as TtpResultByCommand[K];
  }

  /** Like request() but resolves with the whole reply, ok or not. */
  requestRaw(command: TtpCommand, options: { timeoutMs?: number } = {}): Promise<TtpResponse> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.allocateId();
    const message = { ...command, id } as TtpRequest;
    const timeoutMs = options.timeoutMs ?? this.opts.responseTimeoutMs;
    return new Promise<TtpResponse>((resolve, reject) => {
      const entry: PendingRequest = { cmd: command.cmd, resolve, reject };
      this.pending.set(id, entry);
      this.send(message).then(
        () => {
          // The response timer starts once the terminal has the command (ACK received).
          if (this.pending.get(id) !== entry) return;
          entry.timer = this.opts.scheduler.setTimeout(() => {
            if (this.pending.get(id) !== entry) return;
            this.pending.delete(id);
            reject(new TtpResponseTimeoutError(command.cmd, id, timeoutMs));
          }, timeoutMs);
        },
        (err: Error) => {
          if (this.pending.get(id) === entry) this.pending.delete(id);
          reject(err);
        },
      );
    });
  }

  /** Terminal side: answer a request. */
  respond(response: TtpResponse): Promise<void> {
    return this.send(response);
  }

  /** Terminal side: answer a request with ok:true. */
  reply(request: TtpRequest, result?: unknown): Promise<void> {
    return this.send(result === undefined ? { id: request.id, ok: true } : { id: request.id, ok: true, result });
  }

  /** Terminal side: answer a request with ok:false. */
  replyError(request: TtpRequest, error: TtpErrorBody): Promise<void> {
    return this.send({ id: request.id, ok: false, error });
  }

  /** Terminal side: send an unsolicited event; `seq` is assigned when absent. */
  emitEvent(event: TtpEvent): Promise<void> {
    const withSeq = event.seq === undefined ? { ...event, seq: this.nextEventSeq() } : event;
    return this.send(withSeq);
  }

  /**
   * Forget the last accepted frame: the next frame is never a duplicate. For a terminal whose link
   * was closed and reopened by other means than a new channel (TTP §3.2).
   */
  resetDuplicateDetection(): void {
    this.lastAccepted = undefined;
  }

  /**
   * The peer's declared receive limit (`maxPayload` in its hello result, TTP §2.3): frames larger
   * than it are refused here, before sending, instead of ending as a broken link. What this side
   * accepts stays as constructed.
   */
  limitSendPayload(maxPayload: number): void {
    if (!Number.isInteger(maxPayload) || maxPayload < 2) throw new RangeError(`maxPayload must be an integer >= 2, got ${maxPayload}`);
    this.sendLimit = Math.min(maxPayload, this.opts.maxPayload);
  }

  /** Largest payload this channel sends (the peer's declared limit, else its own maximum). */
  get sendPayloadLimit(): number {
    return this.sendLimit ?? this.opts.maxPayload;
  }

  /** Restart event numbering (after a simulated power cycle). */
  resetEventSequence(): void {
    this.eventSeq = 0;
  }

  /** Send any message; resolves when the peer acknowledged it. */
  send(message: TtpMessage): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let bytes: Buffer;
    try {
      bytes = encodeTtpFrame(message, this.sendPayloadLimit);
    } catch (e) {
      return Promise.reject(e);
    }
    const sent = new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, message, resolve, reject });
      this.pump();
    });
    // Replies and events are often sent fire-and-forget; a link failure is reported through
    // 'link-broken', so an unobserved rejection here must not crash the process.
    sent.catch(() => undefined);
    return sent;
  }

  /** Stop: reject everything pending, clear every timer. Idempotent. */
  close(): void {
    if (this.failure) return;
    this.fail(new TtpChannelClosedError('operations were pending'), false);
  }

  /**
   * Declare the link broken from outside (the byte link reported a disconnect). Rejects pending
   * work with a TtpLinkBrokenError whose cause is `cause`.
   */
  linkDown(cause?: Error): void {
    if (this.failure) return;
    const err = new TtpLinkBrokenError(
      `${this.opts.name}: byte link went down${cause ? `: ${cause.message}` : ''}`,
      { channel: this.opts.name, cause: cause?.message, causeCode: (cause as { code?: string } | undefined)?.code });
    (err as { cause?: unknown }).cause = cause;
    this.fail(err, true);
  }

  // ------------------------------------------------------------------------------------------

  private allocateId(): number {
    let id = this.nextId;
    while (this.pending.has(id)) id = id >= MAX_ID ? 1 : id + 1;
    this.nextId = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  private nextEventSeq(): number {
    this.eventSeq = this.eventSeq >= MAX_ID ? 1 : this.eventSeq + 1;
    return this.eventSeq;
  }

  private trace(entry: TtpTraceEntry): void {
    for (const l of this.listeners.trace) l(entry);
  }

  private writeRaw(bytes: Buffer): void {
    let result: void | Promise<void>;
    try {
      result = this.opts.write(bytes);
    } catch (e) {
      this.linkDown(e as Error);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, (e: Error) => this.linkDown(e));
    }
  }

  private startDrain(remaining: number): void {
    const timer = this.opts.scheduler.setTimeout(() => this.endDrain(), this.opts.ackTimeoutMs);
    this.drain = { remaining, timer };
  }

  private endDrain(): void {
    const d = this.drain;
    if (!d) return;
    this.drain = undefined;
    this.opts.scheduler.clearTimeout(d.timer);
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.drain || this.failure) return;
    const next = this.queue.shift();
    if (!next) return;
    this.inFlight = next;
    this.attempt = 0;
    this.responses = 0;
    this.transmit();
  }

  private transmit(): void {
    const out = this.inFlight;
    if (!out) return;
    this.stats.framesSent++;
    if (this.attempt > 0) this.stats.retransmissions++;
    this.trace({ at: this.opts.scheduler.now(), dir: 'tx', kind: 'frame', message: out.message, attempt: this.attempt });
    this.clearAckTimer();
    this.ackTimer = this.opts.scheduler.setTimeout(() => {
      this.ackTimer = undefined;
      this.stats.ackTimeouts++;
      this.trace({ at: this.opts.scheduler.now(), dir: 'tx', kind: 'timeout', attempt: this.attempt });
      this.retransmitOrBreak('no ACK within ' + this.opts.ackTimeoutMs + ' ms');
    }, this.opts.ackTimeoutMs);
    this.writeRaw(out.bytes);
  }

  private retransmitOrBreak(why: string): void {
    const out = this.inFlight;
    if (!out || this.failure) return;
    if (this.attempt >= this.opts.maxRetransmissions) {
      const what = 'cmd' in out.message ? `command '${out.message.cmd}'` : 'evt' in out.message ? `event '${out.message.evt}'` : 'reply';
      this.fail(new TtpLinkBrokenError(
        `${this.opts.name}: ${what} not acknowledged after ${this.attempt + 1} transmissions (last: ${why}); the terminal is not answering TTP: check cable, baud rate and that test mode is on`,
        { channel: this.opts.name, transmissions: this.attempt + 1, lastFailure: why }), true);
      if (this.opts.resumeAfterBreak) this.failure = undefined;
      return;
    }
    this.attempt++;
    this.transmit();
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== undefined) {
      this.opts.scheduler.clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
  }

  private armFrameTimer(): void {
    if (this.frameTimer !== undefined) {
      this.opts.scheduler.clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
    if (!this.decoder.inFrame || this.failure) return;
    this.frameTimer = this.opts.scheduler.setTimeout(() => {
      this.frameTimer = undefined;
      if (this.failure) return;
      this.handleDecoded(this.decoder.expire());
      this.armFrameTimer();
    }, this.opts.frameTimeoutMs);
  }

  private handleDecoded(events: ReturnType<TtpFrameDecoder['push']>): void {
    for (const ev of events) {
      if (this.failure) return;
      const at = this.opts.scheduler.now();
      switch (ev.kind) {
        case 'ack':
        case 'nak': {
          this.trace({ at, dir: 'rx', kind: ev.kind });
          if (ev.kind === 'nak') this.stats.naksReceived++;
          if (this.drain) {
            // The answer to another copy of a frame already acknowledged: not about the next frame.
            this.stats.strayAcks++;
            if (--this.drain.remaining <= 0) this.endDrain();
            break;
          }
          const out = this.inFlight;
          if (!out) { this.stats.unexpectedAcks++; break; }
          this.responses++;
          this.clearAckTimer();
          if (ev.kind === 'nak') { this.retransmitOrBreak('NAK'); break; }
          this.inFlight = undefined;
          out.resolve();
          // ACK/NAK carry no sequence number: when the frame went out more often than it was
          // answered, the missing answers may still come, and must not be taken for the next
          // frame's. Wait for them, or for one ACK timeout, before sending the next frame.
          const copies = this.attempt + 1;
          if (this.responses < copies) this.startDrain(copies - this.responses);
          else this.pump();
          break;
        }
        case 'error': {
          if (ev.reason === 'garbage') {
            this.stats.garbageBytes += ev.bytes;
          } else {
            this.stats.decodeErrors++;
          }
          this.trace({ at, dir: 'rx', kind: 'error', reason: ev.reason, detail: ev.detail });
          if (ev.reason === 'garbage') break;
          // An intact envelope around a payload that is not a message is NAKed too: the 8-bit
          // LRC misses two flips in the same bit column, and a conforming sender only ever sends
          // valid JSON, so such a frame is most likely line damage that a retransmission repairs.
          if (ev.intact) this.emitProtocolError({ reason: ev.reason, detail: ev.detail });
          this.stats.naksSent++;
          this.writeRaw(TTP_NAK_BYTE);
          this.trace({ at, dir: 'tx', kind: 'nak' });
          break;
        }
        case 'frame': {
          this.writeRaw(TTP_ACK_BYTE);
          const identical = this.lastAccepted !== undefined && this.lastAccepted.equals(ev.raw)
            && at - this.lastAcceptedAt <= this.opts.duplicateWindowMs;
          const hello = isTtpRequest(ev.payload) && ev.payload.cmd === 'hello' ? ev.payload : undefined;
          // A hello without a session (TTP 1.0 harness) cannot be told from a new connection's: always executed.
          const duplicate = identical && !(hello && typeof hello.session !== 'number');
          this.trace({ at, dir: 'rx', kind: 'frame', message: ev.payload, duplicate });
          this.trace({ at, dir: 'tx', kind: 'ack' });
          if (duplicate) {
            this.stats.duplicatesDropped++;
            this.lastAcceptedAt = at; // the next copy may come one more ACK timeout later
            break;
          }
          this.stats.framesReceived++;
          this.lastAccepted = ev.raw;
          this.lastAcceptedAt = at;
          if (hello) {
            // A new harness session: nothing before this hello can be retransmitted any more.
            this.stats.sessions++;
            const session = typeof hello.session === 'number' ? hello.session : undefined;
            this.trace({ at, dir: 'rx', kind: 'session', ...(session !== undefined ? { session } : {}) });
            for (const l of this.listeners.session) l(session !== undefined ? { session } : {});
          }
          this.dispatch(ev.payload);
          break;
        }
      }
    }
  }

  private dispatch(message: TtpMessage): void {
    if (isTtpResponse(message)) {
      const entry = this.pending.get(message.id);
      if (!entry) {
        this.emitProtocolError({ reason: 'unexpected-response', detail: `reply with id ${message.id} matches no outstanding request (late reply after a timeout?)` });
        return;
      }
      this.pending.delete(message.id);
      if (entry.timer !== undefined) this.opts.scheduler.clearTimeout(entry.timer);
      entry.resolve(message);
    } else if (isTtpRequest(message)) {
      if (this.listeners.request.length === 0) {
        void this.replyError(message, { code: 'unknown-command', message: `this end (${this.opts.name}) serves no commands` }).catch(() => undefined);
        return;
      }
      for (const l of this.listeners.request) l(message);
    } else if (isTtpEvent(message)) {
      for (const l of this.listeners.event) l(message);
    }
  }

  private emitProtocolError(err: TtpProtocolError): void {
    for (const l of this.listeners['protocol-error']) l(err);
  }

  private fail(err: Error, notify: boolean): void {
    this.failure = err;
    this.clearAckTimer();
    if (this.drain) {
      this.opts.scheduler.clearTimeout(this.drain.timer);
      this.drain = undefined;
    }
    if (this.frameTimer !== undefined) {
      this.opts.scheduler.clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
    const out = this.inFlight;
    this.inFlight = undefined;
    out?.reject(err);
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const [, p] of this.pending) {
      if (p.timer !== undefined) this.opts.scheduler.clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    if (notify && err instanceof TtpLinkBrokenError) {
      for (const l of this.listeners['link-broken']) l(err);
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
