/**
 * Errors of the certification layer. Each says what went wrong, where (file, option, case id) and
 * what to do; `poscert certify` turns them into a clear message and exit code 2 (the harness could
 * not judge the terminal, so the outcome is *broken*, never blamed on the terminal).
 */
import { PoscertError, broken, type DeclaredOutcome } from '../errors';

/** No plan file for the name given to --plan. */
export class PlanNotFoundError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('PLAN_NOT_FOUND', message, context);
  }
}

/** The plan file is not valid YAML or does not have the plan shape (name, version, cases). */
export class PlanInvalidError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('PLAN_INVALID', message, context);
  }
}

/** A cucumber message stream (NDJSON) that cannot be read: bad JSON line, truncated run. */
export class MessageStreamError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('MESSAGE_STREAM_INVALID', message, context);
  }
}

/** A bad command-line option of `poscert certify` / `poscert merge`. */
export class CertifyOptionError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CERTIFY_OPTION_INVALID', message, context);
  }
}

/** The terminal could not be reached or did not say hello before the run. */
export class TerminalUnreachableError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('TERMINAL_UNREACHABLE', message, context);
  }
}

/** A run directory given to `poscert merge` lacks what a certify run writes. */
export class RunDirectoryError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('RUN_DIRECTORY_INVALID', message, context);
  }
}

/** scenarios/cards.yaml or merchants.yaml could not be read for the sensitive-data scan. */
export class SecretSourceError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SECRET_SOURCE_INVALID', message, context);
  }
}

/** Cucumber could not be started or died without finishing the run. */
export class CucumberRunError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CUCUMBER_RUN_FAILED', message, context);
  }
}
