/**
 * Fault injection around any ByteLink: bit errors, dropped bytes, delays and a disconnect after N
 * bytes. Randomness comes from the injected `random` so a failing run can be replayed exactly.
 */
import { EventEmitter } from 'node:events';
import { LinkDownError, LinkUrlError } from './errors';
import { ByteLink } from './types';

export interface FaultOptions {
  /** Probability that any one bit is flipped, 0..1 (e.g. 1e-4). */
  bitErrorRate?: number;
  /** Probability that any one byte is dropped, 0..1. */
  dropRate?: number;
  /** Extra latency added to every chunk, ms (order is kept). */
  delayMs?: number;
  /** Simulate a pulled cable after this many bytes crossed the link (both directions counted). */
  disconnectAfterBytes?: number;
  /** Which traffic to disturb (default both). */
  direction?: 'both' | 'rx' | 'tx';
  /** Uniform [0,1) source; default seededRandom(1) so runs are reproducible. */
  random?: () => number;
}

export interface FaultStats {
  bytesPassed: number;
  bitsFlipped: number;
  bytesDropped: number;
  disconnected: boolean;
}

/** mulberry32: small, fast, good enough for fault injection; same seed, same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class FaultyLink extends EventEmitter implements ByteLink {
  readonly stats: FaultStats = { bytesPassed: 0, bitsFlipped: 0, bytesDropped: 0, disconnected: false };
  private readonly random: () => number;
  private down = false;
  private closedEmitted = false;

  constructor(
    private readonly inner: ByteLink,
    private readonly faults: FaultOptions,
  ) {
    super();
    this.random = faults.random ?? seededRandom(1);
    inner.on('data', (b) => this.onInnerData(b));
    inner.on('close', (err) => this.emitClose(err));
  }

  get url(): string {
    return this.inner.url;
  }

  get isOpen(): boolean {
    return this.inner.isOpen && !this.down;
  }

  open(): Promise<void> {
    this.down = false;
    this.closedEmitted = false;
    return this.inner.open();
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.down) throw new LinkDownError(this.url, `fault injection: disconnected after ${this.faults.disconnectAfterBytes} bytes`);
    const applies = this.faults.direction !== 'rx';
    let out: Buffer = Buffer.from(bytes);
    let cut = false;
    if (applies) {
      ({ out, cut } = this.limit(out));
      out = this.corrupt(out);
      if (this.faults.delayMs) await sleep(this.faults.delayMs);
    } else {
      ({ out, cut } = this.limit(out));
    }
    if (out.length) await this.inner.write(out);
    if (cut) {
      this.disconnect();
      throw new LinkDownError(this.url, `fault injection: disconnected after ${this.faults.disconnectAfterBytes} bytes`);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private onInnerData(bytes: Buffer): void {
    if (this.down) return;
    const applies = this.faults.direction !== 'tx';
    let { out, cut } = this.limit(bytes);
    if (applies) out = this.corrupt(out);
    const deliver = (): void => {
      if (out.length) this.emit('data', out);
      if (cut) this.disconnect();
    };
    if (applies && this.faults.delayMs) setTimeout(deliver, this.faults.delayMs);
    else deliver();
  }

  /** Apply disconnectAfterBytes: the part that still gets through, and whether the link dies now. */
  private limit(bytes: Buffer): { out: Buffer; cut: boolean } {
    const max = this.faults.disconnectAfterBytes;
    if (max === undefined) {
      this.stats.bytesPassed += bytes.length;
      return { out: bytes, cut: false };
    }
    const room = max - this.stats.bytesPassed;
    if (bytes.length < room) {
      this.stats.bytesPassed += bytes.length;
      return { out: bytes, cut: false };
    }
    const out = bytes.subarray(0, Math.max(0, room));
    this.stats.bytesPassed += out.length;
    return { out, cut: true };
  }

  private corrupt(bytes: Buffer): Buffer {
    const ber = this.faults.bitErrorRate ?? 0;
    const drop = this.faults.dropRate ?? 0;
    if (ber <= 0 && drop <= 0) return bytes;
    const out: number[] = [];
    for (let b of bytes) {
      if (drop > 0 && this.random() < drop) {
        this.stats.bytesDropped++;
        continue;
      }
      if (ber > 0) {
        for (let bit = 0; bit < 8; bit++) {
          if (this.random() < ber) {
            b ^= 1 << bit;
            this.stats.bitsFlipped++;
          }
        }
      }
      out.push(b);
    }
    return Buffer.from(out);
  }

  private disconnect(): void {
    if (this.down) return;
    this.down = true;
    this.stats.disconnected = true;
    this.emitClose(
      new LinkDownError(this.url, `fault injection: disconnected after ${this.faults.disconnectAfterBytes} bytes`, { faultInjected: true }),
    );
    void this.inner.close().catch(() => undefined);
  }

  private emitClose(err?: LinkDownError): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.emit('close', err);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function checkRate(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new LinkUrlError('faults', `${name} must be between 0 and 1 (got ${v})`);
}

/** Wrap `link` so traffic suffers the given faults. The wrapper exposes `stats`. */
export function withFaults(link: ByteLink, faults: FaultOptions): ByteLink & { readonly stats: FaultStats } {
  checkRate('bitErrorRate', faults.bitErrorRate);
  checkRate('dropRate', faults.dropRate);
  if (faults.delayMs !== undefined && !(faults.delayMs >= 0)) throw new LinkUrlError('faults', `delayMs must be >= 0 (got ${faults.delayMs})`);
  if (faults.disconnectAfterBytes !== undefined && !(Number.isInteger(faults.disconnectAfterBytes) && faults.disconnectAfterBytes >= 0)) {
    throw new LinkUrlError('faults', `disconnectAfterBytes must be a non-negative integer (got ${faults.disconnectAfterBytes})`);
  }
  return new FaultyLink(link, faults);
}
