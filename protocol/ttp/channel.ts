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
 * The sending half (queue, retransmission, ACK bookkeeping) is TtpSender (sender.ts); the public
 * shapes (options, scheduler, trace, stats) are in channel-types.ts, re-exported here.
 * Pure: bytes go out through the injected `write`, time comes from the injected scheduler.
 */
import { TtpChannelClosedError, TtpLinkBrokenError, TtpRemoteError, TtpResponseTimeoutError } from './errors';
import { TTP_ACK_BYTE, TTP_NAK_BYTE, TtpFrameDecoder, encodeTtpFrame } from './frame';
import {
  TTP_DEFAULT_ACK_TIMEOUT_MS,
  TTP_DEFAULT_FRAME_TIMEOUT_MS,
  TTP_DEFAULT_RESPONSE_TIMEOUT_MS,
  TTP_MAX_PAYLOAD,
  TTP_MAX_RETRANSMISSIONS,
  TtpCommand,
  TtpCommandName,
  TtpErrorBody,
  TtpEvent,
  TtpMessage,
  TtpRequest,
  TtpResponse,
  TtpResultByCommand,
  isTtpEvent,
  isTtpRequest,
  isTtpResponse,
} from './messages';
import type { TtpChannelOptions, TtpChannelStats, TtpProtocolError, TtpTraceEntry } from './channel-types';
import { TtpSender } from './sender';

// The channel's public shapes live in channel-types.ts (issue 11); re-exported so imports of this module keep working.
export type { TtpChannelOptions, TtpChannelStats, TtpProtocolError, TtpScheduler, TtpTraceEntry } from './channel-types';

interface Listeners {
  request: (req: TtpRequest) => void;
  event: (evt: TtpEvent) => void;
  trace: (entry: TtpTraceEntry) => void;
  'protocol-error': (err: TtpProtocolError) => void;
  'link-broken': (err: TtpLinkBrokenError) => void;
  /** A `hello` opened a new harness session (duplicate detection was reset); `session` as sent. */
  session: (info: { session?: number }) => void;
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
    framesSent: 0,
    framesReceived: 0,
    retransmissions: 0,
    naksSent: 0,
    naksReceived: 0,
    ackTimeouts: 0,
    duplicatesDropped: 0,
    garbageBytes: 0,
    decodeErrors: 0,
    unexpectedAcks: 0,
    strayAcks: 0,
    sessions: 0,
  };

  private readonly opts: Required<Omit<TtpChannelOptions, 'name' | 'firstId' | 'duplicateWindowMs'>> & { name: string; duplicateWindowMs: number };
  private readonly decoder: TtpFrameDecoder;
  private readonly listeners: { [K in keyof Listeners]: Array<Listeners[K]> } = {
    request: [],
    event: [],
    trace: [],
    'protocol-error': [],
    'link-broken': [],
    session: [],
  };
  private readonly sender: TtpSender;
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
    this.sender = new TtpSender({
      scheduler: this.opts.scheduler,
      ackTimeoutMs: this.opts.ackTimeoutMs,
      maxRetransmissions: this.opts.maxRetransmissions,
      stats: this.stats,
      isFailed: () => this.failure !== undefined,
      trace: (entry) => this.trace(entry),
      writeRaw: (bytes) => this.writeRaw(bytes),
      giveUp: (message, transmissions, why) => this.giveUp(message, transmissions, why),
    });
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
    const sent = this.sender.enqueue(bytes, message);
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
    const err = new TtpLinkBrokenError(`${this.opts.name}: byte link went down${cause ? `: ${cause.message}` : ''}`, {
      channel: this.opts.name,
      cause: cause?.message,
      causeCode: (cause as { code?: string } | undefined)?.code,
    });
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

  /** The frame in flight was not acknowledged after the last retransmission: the link is broken. */
  private giveUp(message: TtpMessage, transmissions: number, why: string): void {
    const what = 'cmd' in message ? `command '${message.cmd}'` : 'evt' in message ? `event '${message.evt}'` : 'reply';
    this.fail(
      new TtpLinkBrokenError(
        `${this.opts.name}: ${what} not acknowledged after ${transmissions} transmissions (last: ${why}); the terminal is not answering TTP: check cable, baud rate and that test mode is on`,
        { channel: this.opts.name, transmissions, lastFailure: why },
      ),
      true,
    );
    if (this.opts.resumeAfterBreak) this.failure = undefined;
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
          this.sender.onAnswer(ev.kind);
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
          const identical =
            this.lastAccepted !== undefined && this.lastAccepted.equals(ev.raw) && at - this.lastAcceptedAt <= this.opts.duplicateWindowMs;
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
        this.emitProtocolError({
          reason: 'unexpected-response',
          detail: `reply with id ${message.id} matches no outstanding request (late reply after a timeout?)`,
        });
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
    this.sender.failAll(err);
    if (this.frameTimer !== undefined) {
      this.opts.scheduler.clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
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
