/**
 * Base of every typed error poscert throws, and what an error means for a scenario.
 *
 * `code` is stable and machine-readable; `context` says where (file, field, offset, terminal id,
 * ...) so the message can tell the user what to do. Each error class declares its outcome
 * (DESIGN.md "Outcomes"): *failed* when the terminal violated a requirement, *broken* (with the
 * kind of harness problem) when the harness could not judge. `classifyOutcome` is the one place
 * that turns an error into an outcome: the step wrapper, the drivers, the certificate and the
 * Allure categories all read it, so a new error class only has to say what it means.
 */

/** Why the harness could not judge a scenario; each kind is one Allure category. */
export type BrokenKind = 'link' | 'terminal-timeout' | 'harness' | 'undefined-step' | 'missing' | 'run-aborted';

export type DeclaredOutcome = { readonly outcome: 'failed' } | { readonly outcome: 'broken'; readonly brokenKind: BrokenKind };

/** The terminal violated a requirement of the case. */
export const FAILED: DeclaredOutcome = Object.freeze({ outcome: 'failed' });

/** The harness could not judge the terminal, for this kind of reason. */
export function broken(brokenKind: BrokenKind): DeclaredOutcome {
  return Object.freeze({ outcome: 'broken', brokenKind });
}

export class PoscertError extends Error {
  /**
   * What an error of this class means for the scenario. Subclasses override it; the default is a
   * harness problem (bad configuration, host error, a bug in poscert), never the terminal's fault.
   */
  static readonly outcome: DeclaredOutcome = broken('harness');

  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }

  /** The outcome declared by this error's class. */
  get outcome(): DeclaredOutcome {
    return (this.constructor as typeof PoscertError).outcome;
  }
}

// Node's socket errors (a host control call or a TCP link refused/reset outside our link classes).
const SOCKET_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * The outcome of a scenario whose step threw `err`. Our errors say it themselves (their class's
 * declared outcome). Errors we do not own: an assertion error (chai's or node:assert's, raised by a
 * step's expect()) is *failed*; a Node socket error is a *broken* link; anything else is *broken*
 * as a harness problem.
 */
export function classifyOutcome(err: unknown): DeclaredOutcome {
  if (err instanceof PoscertError) return err.outcome;
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    if (e.name === 'AssertionError') return FAILED;
    if (typeof e.code === 'string' && SOCKET_ERROR_CODES.has(e.code)) return broken('link');
  }
  return broken('harness');
}

/**
 * The outcome when only the serialised error's class name is known (a cucumber message stream
 * without the step wrapper's marker): only an assertion error is recognisable by name.
 */
export function classifySerialisedError(errorType: string | undefined): DeclaredOutcome {
  return errorType === 'AssertionError' ? FAILED : broken('harness');
}
