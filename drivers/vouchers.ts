/**
 * Voucher copies collected from `print` events. A UnionPay sale prints a merchant copy (with the
 * signature line) and a cardholder copy; steps wait for N copies and then check their contents.
 */
import { TerminalExpectationError } from './errors';

export interface VoucherCopy {
  /** 'merchant' | 'cardholder' | 'bank' | 'settlement' | 'fault' (vendor values pass through). */
  copy: string;
  lines: string[];
  reprint: boolean;
  trace?: string;
  /** Wall-clock time of the print event. */
  at: number;
}

interface Waiter {
  count: number;
  resolve: (v: VoucherCopy[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class VoucherCollector {
  private readonly copies: VoucherCopy[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Copies before this index belong to earlier steps (see mark()). */
  private base = 0;

  constructor(private readonly mask: (t: string) => string = (t) => t, private readonly now: () => number = Date.now) {}

  onPrint(evt: { copy?: unknown; lines?: unknown; reprint?: unknown; trace?: unknown }): void {
    const copy: VoucherCopy = {
      copy: typeof evt.copy === 'string' ? evt.copy : 'unknown',
      lines: Array.isArray(evt.lines) ? evt.lines.map((l) => String(l)) : [],
      reprint: evt.reprint === true,
      trace: typeof evt.trace === 'string' ? evt.trace : undefined,
      at: this.now(),
    };
    this.copies.push(copy);
    for (const w of [...this.waiters]) {
      if (this.copies.length - this.base >= w.count) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(this.since());
      }
    }
  }

  /** Starts a new collection window: receipts() and waitFor() only count copies printed later. */
  mark(): void {
    this.base = this.copies.length;
  }

  /** Copies printed since the last mark() (by default: since the driver connected). */
  since(): VoucherCopy[] {
    return this.copies.slice(this.base).map((c) => ({ ...c, lines: c.lines.slice() }));
  }

  /** Every copy printed since connect, marks ignored. */
  all(): VoucherCopy[] {
    return this.copies.map((c) => ({ ...c, lines: c.lines.slice() }));
  }

  waitFor(count: number, timeoutMs: number): Promise<VoucherCopy[]> {
    if (this.copies.length - this.base >= count) return Promise.resolve(this.since());
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          const got = this.since();
          reject(new TerminalExpectationError(
            `The terminal printed ${got.length} voucher cop${got.length === 1 ? 'y' : 'ies'} within ${timeoutMs} ms, expected ${count}` +
              (got.length ? `: ${got.map((c) => c.copy + (c.reprint ? ' (reprint)' : '')).join(', ')}` : ''),
            { expected: count, printed: got.map((c) => ({ copy: c.copy, reprint: c.reprint, trace: c.trace, lines: c.lines.map(this.mask) })), timeoutMs },
          ));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  failAll(err: Error): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.waiters.clear();
  }
}

/** Voucher text with layout spacing removed, for finding values wherever the layout puts them. */
export function voucherText(c: Pick<VoucherCopy, 'lines'>): string {
  return c.lines.join('\n').replace(/[ \t\u3000]+/g, '');
}

/** An amount in fen as vouchers print it: 元 with two decimals, thousands grouped or not (1,234.50 / 1234.50). */
export function amountPattern(fen: number): RegExp {
  const yuan = String(Math.trunc(fen / 100));
  const cents = String(fen % 100).padStart(2, '0');
  const grouped = yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ',?');
  return new RegExp(`(^|[^0-9.,])${grouped}\\.${cents}(?![0-9])`, 'm');
}
