/**
 * Errors of the harness side. The split matters for the verdict (DESIGN.md "Outcomes"):
 * a terminal that did not do what a case requires is *failed*; anything that stops the harness
 * from judging (link down, no TTP reply, bad lab file, a terminal we gave up on) is *broken*
 * and is never blamed on the terminal.
 */
import { FAILED, PoscertError, broken, classifyOutcome, type DeclaredOutcome } from '../errors';

/** The terminal behaved differently from what the case expects (a screen never appeared, ...). → failed */
export class TerminalExpectationError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = FAILED;
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_EXPECTATION', message, context);
  }
}

/**
 * The terminal answered a TTP request with a typed error (unknown command, not possible in this
 * state, ...). The harness could not drive it, so the case cannot be judged. → broken
 */
export class TerminalCommandError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_COMMAND_REJECTED', message, context);
  }
}

/**
 * A case asked for something behind a TTP capability the terminal does not declare (TTP 1.1 §10:
 * text entry, key loading, tamper simulation, PIN injection). The case is not applicable to this
 * terminal; the plan skips it by requiring the capability. Run anyway, the harness could not judge. → broken
 */
export class TerminalCapabilityMissingError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_CAPABILITY_MISSING', message, context);
  }
}

/**
 * The recovery strategy gave up on this terminal after repeated failed attempts to bring it to
 * signed-on idle. Every later call fails fast with this error instead of cascading failures.
 */
export class TerminalBrokenError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_BROKEN', message, context);
  }
}

/** The driver was used after close(), or a call was not possible (no operator console, ...). */
export class DriverUsageError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('DRIVER_USAGE', message, context);
  }
}

/** scenarios/lab.yaml is missing, unreadable, or an entry is invalid. → broken (bad configuration) */
export class LabFileError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('LAB_FILE_INVALID', message, context);
  }
}

/**
 * The terminal cannot be pointed at poscert's reference host: it refuses TTP `config` of `host`
 * and the lab gave no fixed host address, or the fixed address cannot be listened on. → broken
 */
export class TerminalHostError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_HOST_UNREACHABLE', message, context);
  }
}

export type Outcome = 'failed' | 'broken';

/**
 * failed or broken for a step's error: the one classifier of errors.ts (each class declares its
 * outcome; chai's AssertionError is failed; the rest is broken).
 */
export function classifyError(err: unknown): Outcome {
  return classifyOutcome(err).outcome;
}
