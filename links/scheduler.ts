/**
 * The wall-clock scheduler links-side code hands to pure components (TtpChannel takes any object
 * with this shape). Lives here because links/ is where I/O and real time are allowed.
 */
export interface RealTimeScheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export function systemScheduler(): RealTimeScheduler {
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  };
}
