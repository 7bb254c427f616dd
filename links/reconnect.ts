/**
 * Reconnect policy: how often and how patiently to (re)open a link. Only transient failures are
 * retried (refused, busy, timeout, down); a wrong URL or a permission problem fails at once.
 */
import { LinkBusyError, LinkDownError, LinkError, LinkNotFoundError, LinkRefusedError, LinkTimeoutError } from './errors';
import { ByteLink } from './types';

export interface ReconnectPolicy {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** Delay before the second attempt, ms. */
  initialDelayMs: number;
  /** Each further delay is multiplied by this. */
  factor: number;
  /** Upper bound for a delay, ms. */
  maxDelayMs: number;
  /** Also retry "not found" (a USB adapter re-enumerating after a power cycle). Default false. */
  retryNotFound?: boolean;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = { attempts: 3, initialDelayMs: 200, factor: 2, maxDelayMs: 2000 };
export const NO_RECONNECT: ReconnectPolicy = { attempts: 1, initialDelayMs: 0, factor: 1, maxDelayMs: 0 };

/** Delays between attempts: attempts - 1 numbers. */
export function backoffDelays(policy: ReconnectPolicy): number[] {
  const out: number[] = [];
  let d = policy.initialDelayMs;
  for (let i = 1; i < policy.attempts; i++) {
    out.push(Math.min(d, policy.maxDelayMs));
    d *= policy.factor;
  }
  return out;
}

export function isTransientLinkError(err: unknown, policy: ReconnectPolicy): boolean {
  if (err instanceof LinkNotFoundError) return policy.retryNotFound === true;
  return err instanceof LinkRefusedError || err instanceof LinkBusyError || err instanceof LinkTimeoutError || err instanceof LinkDownError;
}

/**
 * Open `link`, retrying transient failures per `policy`. The final error is the last one, with
 * the number of attempts in its context; `onRetry` sees each failure (for logs).
 */
export async function openWithRetry(
  link: ByteLink,
  policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY,
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void,
): Promise<void> {
  const delays = backoffDelays(policy);
  for (let attempt = 1; ; attempt++) {
    try {
      await link.open();
      return;
    } catch (err) {
      const delay = delays[attempt - 1];
      if (delay === undefined || !isTransientLinkError(err, policy)) {
        if (err instanceof LinkError && attempt > 1) (err.context as Record<string, unknown>).attempts = attempt;
        throw err;
      }
      onRetry?.(attempt, err, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
