/**
 * The public shapes around TtpChannel: its options and injected scheduler, the transcript entries
 * it reports, its counters and its protocol-error report. Split out of channel.ts (issue 11: no
 * source file over 500 lines); channel.ts re-exports them. Pure types.
 */
import type { TtpDecodeErrorReason } from './frame';
import type { TtpMessage } from './messages';

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
