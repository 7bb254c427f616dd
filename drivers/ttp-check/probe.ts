/**
 * RawProbe: the checker's end of the link. Unlike TtpChannel (which hides the byte layer, as a
 * harness should) it lets a check send any bytes (damaged frames, noise, duplicates), withhold or
 * refuse ACKs, and see every byte the terminal sends with its arrival time, so that framing,
 * retransmission and timing can be judged rather than assumed.
 */
import { DeclaredOutcome, PoscertError, broken } from '../../errors';
import { ByteLink } from '../../links';
import { TTP_ACK, TTP_NAK, TtpDecodeErrorReason, TtpFrameDecoder, TtpMessage, encodeTtpFrameBytes } from '../../protocol/ttp';

/** What the terminal sent, in order. `at` in ms (performance.now()). */
export type ProbeItem =
  | { at: number; kind: 'ack' | 'nak' }
  | { at: number; kind: 'frame'; message: TtpMessage; raw: Buffer }
  | { at: number; kind: 'error'; reason: TtpDecodeErrorReason; detail: string };

/** The terminal never answered at all: the check cannot run (exit code 2). */
export class TtpCheckLinkError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('ttp-check-link', message, context);
  }
}

export interface ProbeRequestResult {
  /** The reply, or undefined when none came in time. */
  reply?: Record<string, unknown> & { id: number; ok: boolean };
  /** ms from the frame's last byte written to the ACK. */
  ackDelayMs?: number;
  /** ms from the frame written to the reply. */
  replyMs?: number;
  /** Transmissions needed until ACK (1 = first time). 0 = never acknowledged. */
  transmissions: number;
  /** Events received between sending and the reply. */
  events: Array<Extract<ProbeItem, { kind: 'frame' }>>;
}

export class RawProbe {
  readonly items: ProbeItem[] = [];
  /** ACK good frames and NAK damaged ones, as a conformant receiver does. Checks switch it off to withhold answers. */
  autoAnswer: 'ack' | 'none' = 'ack';
  private readonly decoder = new TtpFrameDecoder({ maxPayload: 0xffff });
  private frameTimer?: NodeJS.Timeout;
  private readonly waiters = new Set<() => void>();
  private nextId: number;
  private readonly onData = (b: Buffer): void => this.receive(b);
  /** Bytes the terminal sent in total (for "did it answer at all"). */
  bytesReceived = 0;

  constructor(
    public link: ByteLink,
    firstId: number,
  ) {
    this.nextId = firstId;
    link.on('data', this.onData);
  }

  /** Continue on a new link (the old one was closed and the port reopened); the decoder starts afresh. */
  swapLink(link: ByteLink): void {
    this.link.off('data', this.onData);
    this.decoder.reset();
    this.link = link;
    link.on('data', this.onData);
  }

  detach(): void {
    this.link.off('data', this.onData);
    if (this.frameTimer) clearTimeout(this.frameTimer);
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  allocateId(): number {
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** Index of the next item to arrive (pass it to waitFor to look only at what comes after). */
  get mark(): number {
    return this.items.length;
  }

  async write(bytes: Uint8Array): Promise<number> {
    await this.link.write(bytes);
    return performance.now();
  }

  frameOf(message: unknown): Buffer {
    return encodeTtpFrameBytes(Buffer.from(JSON.stringify(message), 'utf8'), 0xffff);
  }

  /** Resolves with the first item at or after `from` that matches, or undefined after timeoutMs. */
  waitFor(pred: (item: ProbeItem) => boolean, timeoutMs: number, from = this.items.length): Promise<ProbeItem | undefined> {
    return new Promise((resolve) => {
      let i = from;
      const check = (): boolean => {
        for (; i < this.items.length; i++) {
          if (pred(this.items[i])) {
            done(this.items[i]);
            return true;
          }
        }
        return false;
      };
      const done = (item?: ProbeItem): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(item);
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }

  /** Items from `from` on, after waiting `ms` (to see what else came). */
  async collect(from: number, ms: number): Promise<ProbeItem[]> {
    await delay(ms);
    return this.items.slice(from);
  }

  /**
   * Send a request as a harness would (retransmitting on NAK or ACK timeout, at most 3 times) and
   * wait for its reply. Never throws for the terminal's behaviour: what happened is in the result.
   */
  async request(
    command: Record<string, unknown>,
    opts: { timeoutMs?: number; ackTimeoutMs?: number; id?: number } = {},
  ): Promise<ProbeRequestResult> {
    const id = opts.id ?? this.allocateId();
    const frame = this.frameOf({ ...command, id });
    return this.requestFrame(frame, id, opts);
  }

  async requestFrame(frame: Buffer, id: number, opts: { timeoutMs?: number; ackTimeoutMs?: number } = {}): Promise<ProbeRequestResult> {
    const from = this.mark;
    const ackTimeoutMs = opts.ackTimeoutMs ?? 500;
    const result: ProbeRequestResult = { transmissions: 0, events: [] };
    let sentAt = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const before = this.mark;
      sentAt = await this.write(frame);
      result.transmissions = attempt + 1;
      const answer = await this.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeoutMs, before);
      if (answer?.kind === 'ack') {
        result.ackDelayMs = answer.at - sentAt;
        break;
      }
      if (attempt === 3) {
        result.transmissions = 0;
        return result;
      }
    }
    const reply = await this.waitFor((it) => it.kind === 'frame' && isReply(it.message) && it.message.id === id, opts.timeoutMs ?? 5000, from);
    if (reply && reply.kind === 'frame') {
      result.reply = reply.message as ProbeRequestResult['reply'];
      result.replyMs = reply.at - sentAt;
    }
    result.events = this.items
      .slice(from, reply ? this.items.indexOf(reply) : undefined)
      .filter((it): it is Extract<ProbeItem, { kind: 'frame' }> => it.kind === 'frame' && 'evt' in it.message);
    return result;
  }

  private receive(bytes: Buffer): void {
    this.bytesReceived += bytes.length;
    this.handle(this.decoder.push(bytes));
    if (this.frameTimer) clearTimeout(this.frameTimer);
    if (this.decoder.inFrame) {
      this.frameTimer = setTimeout(() => {
        this.frameTimer = undefined;
        this.handle(this.decoder.expire());
      }, 300);
    }
  }

  private handle(events: ReturnType<TtpFrameDecoder['push']>): void {
    const at = performance.now();
    for (const ev of events) {
      if (ev.kind === 'ack' || ev.kind === 'nak') {
        this.items.push({ at, kind: ev.kind });
      } else if (ev.kind === 'frame') {
        this.items.push({ at, kind: 'frame', message: ev.payload, raw: ev.raw });
        if (this.autoAnswer === 'ack') void this.link.write(Buffer.from([TTP_ACK])).catch(() => undefined);
      } else {
        this.items.push({ at, kind: 'error', reason: ev.reason, detail: ev.detail });
        if (ev.reason !== 'garbage' && this.autoAnswer === 'ack') void this.link.write(Buffer.from([TTP_NAK])).catch(() => undefined);
      }
    }
    for (const w of [...this.waiters]) w();
  }
}

export function isReply(m: TtpMessage): m is TtpMessage & { id: number; ok: boolean } {
  return typeof (m as { ok?: unknown }).ok === 'boolean' && typeof (m as { id?: unknown }).id === 'number' && !('cmd' in m);
}

export function isEvent(m: TtpMessage): m is TtpMessage & { evt: string; seq?: number } {
  return typeof (m as { evt?: unknown }).evt === 'string';
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
