/**
 * TtpSender: the sending half of a TtpChannel (stop-and-wait). One frame in flight; it is
 * retransmitted on NAK or when no ACK came within the ACK timeout, at most maxRetransmissions
 * times, then the channel is told to give up. After an ACK, answers still owed for other copies of
 * the same frame are drained before the next frame goes out (ACK/NAK carry no sequence number).
 * Split out of channel.ts (issue 11: no source file over 500 lines). Pure: time comes from the
 * injected scheduler, bytes go out through the channel.
 */
import type { TtpChannelStats, TtpScheduler, TtpTraceEntry } from './channel-types';
import type { TtpMessage } from './messages';

/** What the sender needs of its channel. */
export interface TtpSenderHost {
  readonly scheduler: TtpScheduler;
  readonly ackTimeoutMs: number;
  readonly maxRetransmissions: number;
  /** The channel's counters (the sender counts frames, retransmissions, ACK timeouts, stray and unexpected ACKs). */
  readonly stats: TtpChannelStats;
  /** True once the channel has failed: nothing more is sent. */
  isFailed(): boolean;
  trace(entry: TtpTraceEntry): void;
  writeRaw(bytes: Buffer): void;
  /** The frame was not acknowledged after `transmissions` transmissions (last failure `why`): break the link. */
  giveUp(message: TtpMessage, transmissions: number, why: string): void;
}

interface Outgoing {
  bytes: Buffer;
  message: TtpMessage;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class TtpSender {
  private readonly queue: Outgoing[] = [];
  private inFlight?: Outgoing;
  private attempt = 0;
  /** ACK/NAK received for the frame in flight (one per copy that reached the peer). */
  private responses = 0;
  /** After an ACK, answers still owed for other copies of the same frame. */
  private drain?: { remaining: number; timer: unknown };
  private ackTimer?: unknown;

  constructor(private readonly host: TtpSenderHost) {}

  /** Queue an encoded frame; resolves when the peer acknowledged it, rejects when the channel fails. */
  enqueue(bytes: Buffer, message: TtpMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, message, resolve, reject });
      this.pump();
    });
  }

  /** An ACK or NAK arrived (already traced and counted as received by the channel). */
  onAnswer(kind: 'ack' | 'nak'): void {
    if (this.drain) {
      // The answer to another copy of a frame already acknowledged: not about the next frame.
      this.host.stats.strayAcks++;
      if (--this.drain.remaining <= 0) this.endDrain();
      return;
    }
    const out = this.inFlight;
    if (!out) {
      this.host.stats.unexpectedAcks++;
      return;
    }
    this.responses++;
    this.clearAckTimer();
    if (kind === 'nak') {
      this.retransmitOrBreak('NAK');
      return;
    }
    this.inFlight = undefined;
    out.resolve();
    // ACK/NAK carry no sequence number: when the frame went out more often than it was
    // answered, the missing answers may still come, and must not be taken for the next
    // frame's. Wait for them, or for one ACK timeout, before sending the next frame.
    const copies = this.attempt + 1;
    if (this.responses < copies) this.startDrain(copies - this.responses);
    else this.pump();
  }

  /** The channel failed: stop every timer, reject the frame in flight and everything queued. */
  failAll(err: Error): void {
    this.clearAckTimer();
    if (this.drain) {
      this.host.scheduler.clearTimeout(this.drain.timer);
      this.drain = undefined;
    }
    const out = this.inFlight;
    this.inFlight = undefined;
    out?.reject(err);
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  private startDrain(remaining: number): void {
    const timer = this.host.scheduler.setTimeout(() => this.endDrain(), this.host.ackTimeoutMs);
    this.drain = { remaining, timer };
  }

  private endDrain(): void {
    const d = this.drain;
    if (!d) return;
    this.drain = undefined;
    this.host.scheduler.clearTimeout(d.timer);
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || this.drain || this.host.isFailed()) return;
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
    this.host.stats.framesSent++;
    if (this.attempt > 0) this.host.stats.retransmissions++;
    this.host.trace({ at: this.host.scheduler.now(), dir: 'tx', kind: 'frame', message: out.message, attempt: this.attempt });
    this.clearAckTimer();
    this.ackTimer = this.host.scheduler.setTimeout(() => {
      this.ackTimer = undefined;
      this.host.stats.ackTimeouts++;
      this.host.trace({ at: this.host.scheduler.now(), dir: 'tx', kind: 'timeout', attempt: this.attempt });
      this.retransmitOrBreak('no ACK within ' + this.host.ackTimeoutMs + ' ms');
    }, this.host.ackTimeoutMs);
    this.host.writeRaw(out.bytes);
  }

  private retransmitOrBreak(why: string): void {
    const out = this.inFlight;
    if (!out || this.host.isFailed()) return;
    if (this.attempt >= this.host.maxRetransmissions) {
      this.host.giveUp(out.message, this.attempt + 1, why);
      return;
    }
    this.attempt++;
    this.transmit();
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== undefined) {
      this.host.scheduler.clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    }
  }
}
