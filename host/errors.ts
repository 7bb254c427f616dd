import { PoscertError, broken, type DeclaredOutcome } from '../errors';

/**
 * Typed errors of the reference bank host. A host error is always the harness's problem (bad
 * configuration, a port in use, a corrupt database), never the terminal's: the steps report it as
 * "broken", not "failed".
 */

/** One problem found in the host configuration: which file, which entry, what is wrong. */
export interface HostConfigProblem {
  file: string;
  /** e.g. `terminals[2] (10000003)` or `cards[UP-LOST]`; empty for a whole-file problem. */
  entry: string;
  /** Path inside the entry, e.g. `tmk`. */
  field?: string;
  line?: number;
  message: string;
}

/** The configuration under scenarios/ (or the files given) is missing, unreadable or inconsistent. */
export class HostConfigError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  readonly problems: readonly HostConfigProblem[];
  constructor(problems: HostConfigProblem[]) {
    const lines = problems.map((p) => {
      const where = `${p.file}${p.line ? `:${p.line}` : ''}`;
      const what = [p.entry, p.field].filter(Boolean).join(' ');
      return `  ${where}: ${what ? `${what}: ` : ''}${p.message}`;
    });
    super(
      'HOST_CONFIG',
      `host configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); fix the file(s) and start again:\n${lines.join('\n')}`,
      { problems },
    );
    this.problems = problems;
  }
}

/** The host could not start (port in use, bind refused, database unusable). */
export class HostStartError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HOST_START', message, context);
  }
}

/** The SQLite database belongs to another configuration or schema version, or is corrupt. */
export class HostDatabaseError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HOST_DATABASE', message, context);
  }
}

/** A control-API call with bad arguments (unknown card alias, bad fault, unknown terminal). */
export class HostControlError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('HOST_CONTROL', message, context);
  }
}
