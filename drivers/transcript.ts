/**
 * The TTP transcript: every frame, ACK and NAK that crossed the link, in both directions, with
 * timestamps, masked (drivers/masking.ts). It is the evidence attached to each scenario, so it is
 * recorded from the bytes on the wire (a tap on the link), not from what the driver meant to send:
 * retransmissions, NAKs and garbage show up as they happened. It follows the terminal's state from
 * the frames it records, so digits are masked exactly while the terminal takes a PIN.
 */
import type { TtpTraceEntry } from '../protocol/ttp';
import { maskPinEntry } from '../crypto/masking';
import { EvidenceMasker, PIN_ENTRY_STATE } from './masking';

export type TranscriptDirection = 'tx' | 'rx';
export type TranscriptKind = 'frame' | 'ack' | 'nak' | 'error' | 'note';

export interface TranscriptEntry {
  /** 1-based position in the transcript. */
  seq: number;
  /** Wall-clock time, ISO 8601 with milliseconds. */
  at: string;
  /** Milliseconds since the transcript started (monotonic). */
  tMs: number;
  /** tx = harness to terminal, rx = terminal to harness. */
  dir: TranscriptDirection;
  kind: TranscriptKind;
  /** The decoded JSON payload of a frame, masked. */
  message?: unknown;
  /** Decoder complaint (bad LRC, oversize, garbage) or a driver note. */
  note?: string;
}

export interface TranscriptOptions {
  /** Keep at most this many entries (oldest dropped, a note says so). Default 20,000. */
  maxEntries?: number;
  now?: () => number;
  monotonicNow?: () => number;
}

export class Transcript {
  private readonly entries: TranscriptEntry[] = [];
  private seq = 0;
  private dropped = 0;
  private markSeq = 0;
  private readonly startMono: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly mono: () => number;
  /** Set by the driver around a PIN it types (operator mode, a terminal that reports no state). */
  private pinEntry = false;
  /** The terminal's state as its frames report it (`state` events, `display` and `screen` states). */
  private terminalState: string | undefined;

  constructor(
    readonly masker: EvidenceMasker = new EvidenceMasker(),
    opts: TranscriptOptions = {},
  ) {
    this.maxEntries = opts.maxEntries ?? 20_000;
    this.now = opts.now ?? Date.now;
    this.mono = opts.monotonicNow ?? (() => performance.now());
    this.startMono = this.mono();
  }

  /**
   * Marks a span in which PIN digits travel (key presses) or may be shown (a defective echo), in
   * addition to the spans in which the terminal reports the PIN entry state itself.
   */
  setPinEntry(active: boolean): void {
    this.pinEntry = active;
  }

  /** True while digits are masked: the terminal is in PIN entry, or the driver said so. */
  get maskingPinEntry(): boolean {
    return this.pinEntry || this.terminalState === PIN_ENTRY_STATE;
  }

  /** One entry of TtpChannel's 'trace' listener. */
  record(entry: TtpTraceEntry): void {
    switch (entry.kind) {
      case 'frame': {
        const notes = [entry.attempt ? `retransmission ${entry.attempt}` : '', entry.duplicate ? 'duplicate, dropped' : '']
          .filter(Boolean)
          .join(', ');
        if (entry.dir === 'rx') this.followState(entry.message);
        this.push({
          dir: entry.dir,
          kind: 'frame',
          message: this.masker.maskTtpPayload(entry.dir, entry.message, this.maskingPinEntry),
          ...(notes ? { note: notes } : {}),
        });
        break;
      }
      case 'ack':
      case 'nak':
        this.push({ dir: entry.dir, kind: entry.kind });
        break;
      case 'error':
        this.push({ dir: 'rx', kind: 'error', note: `${entry.reason}: ${this.masker.maskText(entry.detail)}` });
        break;
      case 'timeout':
        this.push({ dir: 'tx', kind: 'error', note: `no ACK (transmission ${entry.attempt + 1})` });
        break;
    }
  }

  /** A driver note (step boundary, recovery step): masked, and its digits too while a PIN is entered. */
  note(text: string): void {
    const masked = this.masker.maskText(text);
    this.push({ dir: 'tx', kind: 'note', note: this.maskingPinEntry ? maskPinEntry(masked) : masked });
  }

  /** Starts a new evidence window (one scenario): list() and toText() show entries after it. */
  mark(): void {
    this.markSeq = this.seq;
  }

  /** A copy of the entries since the last mark() (all of them when `all`). */
  list(all = false): TranscriptEntry[] {
    return all ? this.entries.slice() : this.entries.filter((e) => e.seq > this.markSeq);
  }

  get length(): number {
    return this.entries.length;
  }

  /** One line per entry, for an Allure text attachment. */
  toText(all = false): string {
    const lines: string[] = [];
    if (this.dropped > 0 && (all || this.markSeq < this.dropped)) lines.push(`(${this.dropped} older entries dropped)`);
    for (const e of this.list(all)) {
      const arrow = e.dir === 'tx' ? 'H→T' : 'T→H';
      const t = `+${e.tMs.toFixed(1).padStart(9)} ms`;
      const body =
        e.kind === 'frame'
          ? JSON.stringify(e.message) + (e.note ? `  (${e.note})` : '')
          : e.kind === 'ack'
            ? 'ACK'
            : e.kind === 'nak'
              ? 'NAK'
              : `[${e.kind}] ${e.note ?? ''}`;
      lines.push(`${String(e.seq).padStart(5)} ${e.at} ${t} ${arrow} ${body}`);
    }
    return lines.join('\n') + '\n';
  }

  toJSON(): { dropped: number; entries: TranscriptEntry[] } {
    return { dropped: this.dropped, entries: this.list(true) };
  }

  /** The state a frame from the terminal reports, if any (a display before its state keeps the last). */
  private followState(message: unknown): void {
    if (!message || typeof message !== 'object') return;
    const m = message as { evt?: unknown; state?: unknown; ok?: unknown; result?: { state?: unknown } };
    const state =
      m.evt === 'state' || m.evt === 'display' ? m.state : m.ok === true && m.result && typeof m.result === 'object' ? m.result.state : undefined;
    if (typeof state === 'string') this.terminalState = state;
  }

  private push(e: Omit<TranscriptEntry, 'seq' | 'at' | 'tMs'>): void {
    const entry: TranscriptEntry = {
      seq: ++this.seq,
      at: new Date(this.now()).toISOString(),
      tMs: Math.round((this.mono() - this.startMono) * 10) / 10,
      ...e,
    };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) {
      this.entries.shift();
      this.dropped++;
    }
  }
}
