/**
 * Errors of the harness side. The split matters for the verdict (DESIGN.md "Outcomes"):
 * a terminal that did not do what a case requires is *failed*; anything that stops the harness
 * from judging (link down, no TTP reply, bad lab file, a terminal we gave up on) is *broken*
 * and is never blamed on the terminal.
 */
import { PoscertError } from '../errors';

/** The terminal behaved differently from what the case expects (a screen never appeared, ...). → failed */
export class TerminalExpectationError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_EXPECTATION', message, context);
  }
}

/**
 * The terminal answered a TTP request with a typed error (unknown command, not possible in this
 * state, ...). The harness could not drive it, so the case cannot be judged. → broken
 */
export class TerminalCommandError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_COMMAND_REJECTED', message, context);
  }
}

/**
 * The recovery strategy gave up on this terminal after repeated failed attempts to bring it to
 * signed-on idle. Every later call fails fast with this error instead of cascading failures.
 */
export class TerminalBrokenError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_BROKEN', message, context);
  }
}

/** The driver was used after close(), or a call was not possible (no operator console, ...). */
export class DriverUsageError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('DRIVER_USAGE', message, context);
  }
}

/** scenarios/lab.yaml is missing, unreadable, or an entry is invalid. → broken (bad configuration) */
export class LabFileError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('LAB_FILE_INVALID', message, context);
  }
}

export type Outcome = 'failed' | 'broken';

/**
 * What a step's error means for the scenario. Only a mismatch in terminal behaviour (our
 * TerminalExpectationError, or a chai AssertionError raised by a step) is *failed*; everything
 * else — link errors (links' LinkError), TTP errors (protocol/ttp: no ACK, no reply in time —
 * TtpResponseTimeoutError —, a rejected command), a programming error in the harness — is
 * *broken*, because then the harness could not judge the terminal.
 */
export function classifyError(err: unknown): Outcome {
  if (err instanceof TerminalExpectationError) return 'failed';
  if (err instanceof PoscertError) return 'broken';
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    // chai's AssertionError (steps assert on screens, vouchers, host journal with expect()).
    if (e.name === 'AssertionError') return 'failed';
    if (e.code === 'TERMINAL_EXPECTATION') return 'failed';
  }
  return 'broken';
}
