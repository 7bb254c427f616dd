/**
 * What the checks share while they run: the probe on the link, the terminal's hello, the results
 * so far, and the figures measured on the way (ACK delays, reply times), which the timing
 * requirements judge at the end.
 */
import { Requirement, REQUIREMENTS, requirement } from './requirements';
import { ProbeRequestResult, RawProbe } from './probe';

export type RequirementStatus = 'passed' | 'failed' | 'not-applicable' | 'not-observed' | 'not-judged';

export interface RequirementResult extends Requirement {
  status: RequirementStatus;
  /** What was sent and seen, or why it could not be judged. */
  detail: string;
  measured?: Record<string, number | string>;
}

export interface CheckHello {
  ttp?: unknown;
  vendor?: unknown;
  model?: unknown;
  serialNumber?: unknown;
  firmwareVersion?: unknown;
  capabilities?: Record<string, unknown>;
  maxPayload?: unknown;
}

export interface CheckOptions {
  /** The ACK timeout the terminal is expected to use (default 500). */
  ackTimeoutMs: number;
  /** Default wait for a reply. */
  replyTimeoutMs: number;
  /**
   * Close the link and open it again, when the terminal itself sees that (its own TCP listener,
   * USB CDC-ACM, the in-process emulator); undefined when a reopen is invisible to it (a serial
   * line, ser2net in front of one).
   */
  reopen?: () => Promise<void>;
}

export class CheckContext {
  readonly results = new Map<string, RequirementResult>();
  hello?: CheckHello;
  /** ACK delays of requests acknowledged at the first transmission. */
  readonly ackDelays: number[] = [];
  /** Reply times of commands bound by the 2 s rule. */
  readonly replyTimes: Array<{ cmd: string; ms: number }> = [];
  /** Item indexes after which a gap in event seq is legitimate (the terminal dropped events when it declared the link broken). */
  readonly seqGapsAllowedAt: number[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly probe: RawProbe,
    readonly opts: CheckOptions,
  ) {}

  record(id: string, status: RequirementStatus, detail: string, measured?: Record<string, number | string>): void {
    const prev = this.results.get(id);
    // A requirement judged in several places keeps its first failure.
    if (prev && prev.status === 'failed' && status !== 'failed') return;
    if (prev && prev.status === 'passed' && (status === 'not-observed' || status === 'not-judged')) return;
    this.results.set(id, { ...requirement(id), status, detail, ...(measured ? { measured } : {}) });
  }

  pass(id: string, detail: string, measured?: Record<string, number | string>): void {
    this.record(id, 'passed', detail, measured);
  }
  fail(id: string, detail: string, measured?: Record<string, number | string>): void {
    this.record(id, 'failed', detail, measured);
  }

  /** Judge `ok`, with the detail saying what was seen either way. */
  expect(id: string, ok: boolean, detail: string, measured?: Record<string, number | string>): boolean {
    this.record(id, ok ? 'passed' : 'failed', detail, measured);
    return ok;
  }

  capability(name: string): boolean {
    return this.hello?.capabilities?.[name] === true;
  }

  maxPayload(): number {
    const m = this.hello?.maxPayload;
    return typeof m === 'number' && Number.isInteger(m) && m >= 2 ? Math.min(m, 16384) : 16384;
  }

  /** A request whose reply time counts for TIME-REPLY (and ACK delay for TIME-ACK-DELAY). */
  async request(command: Record<string, unknown>, opts: { timeoutMs?: number; timed?: boolean } = {}): Promise<ProbeRequestResult> {
    const r = await this.probe.request(command, { timeoutMs: opts.timeoutMs ?? this.opts.replyTimeoutMs, ackTimeoutMs: this.opts.ackTimeoutMs });
    if (r.transmissions === 1 && r.ackDelayMs !== undefined) this.ackDelays.push(r.ackDelayMs);
    if (opts.timed !== false && r.replyMs !== undefined) this.replyTimes.push({ cmd: String(command.cmd), ms: r.replyMs });
    return r;
  }

  /** Every requirement, judged or not (those never reached: not-judged). */
  finalResults(): RequirementResult[] {
    return REQUIREMENTS.map(
      (r) => this.results.get(r.id) ?? { ...r, status: 'not-judged' as const, detail: 'not reached: an earlier step could not be carried out' },
    );
  }
}

/** Short text of a reply for details: ok, or the error code. */
export function describeReply(r: ProbeRequestResult): string {
  if (r.transmissions === 0) return 'no ACK after 4 transmissions';
  if (!r.reply) return 'ACKed but no reply';
  if (r.reply.ok) return 'ok';
  const e = r.reply.error as { code?: unknown; detail?: unknown } | undefined;
  return `error ${String(e?.code)}${e?.detail ? ` ${JSON.stringify(e.detail)}` : ''}`;
}

export function errorOf(r: ProbeRequestResult): { code?: string; detail?: Record<string, unknown> } {
  if (!r.reply || r.reply.ok) return {};
  const e = r.reply.error as { code?: unknown; detail?: unknown } | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : undefined,
    detail: e?.detail && typeof e.detail === 'object' ? (e.detail as Record<string, unknown>) : undefined,
  };
}

export function resultOf(r: ProbeRequestResult): Record<string, unknown> | undefined {
  if (!r.reply?.ok) return undefined;
  const res = (r.reply as { result?: unknown }).result;
  return res && typeof res === 'object' ? (res as Record<string, unknown>) : {};
}
