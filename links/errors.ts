/**
 * Errors of the byte links. A link that fails under a scenario is *broken* (kind link): the
 * harness lost the terminal; a wrong link URL or a link used before open() is a harness problem.
 */
import { PoscertError, broken, type DeclaredOutcome } from '../errors';

/** Base of every link error. `url` names the link as the user wrote it. */
export class LinkError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  readonly url: string;
  constructor(code: string, url: string, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { url, ...context });
    this.url = url;
  }
}

/** The link URL itself is wrong (unknown scheme, bad parameter). A configuration error. */
export class LinkUrlError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(url: string, problem: string, context: Record<string, unknown> = {}) {
    super('link-url-invalid', url, `link URL '${url}': ${problem}`, context);
  }
}

/** The serial device (or in-process endpoint, or host name) does not exist. */
export class LinkNotFoundError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  readonly candidates: string[];
  constructor(url: string, message: string, candidates: string[] = [], context: Record<string, unknown> = {}) {
    super('link-not-found', url, message, { candidates, ...context });
    this.candidates = candidates;
  }
}

/** The device exists but this user may not open it; `group` names the group to join. */
export class LinkPermissionError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  readonly group?: string;
  constructor(url: string, message: string, group?: string, context: Record<string, unknown> = {}) {
    super('link-permission-denied', url, message, { group, ...context });
    this.group = group;
  }
}

/** The device is open elsewhere (lock held), or the in-process endpoint is taken. */
export class LinkBusyError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(url: string, message: string, context: Record<string, unknown> = {}) {
    super('link-busy', url, message, context);
  }
}

/** Nobody accepts connections at the TCP address (ser2net not running, wrong port). */
export class LinkRefusedError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(url: string, message: string, context: Record<string, unknown> = {}) {
    super('link-refused', url, message, context);
  }
}

/** Opening or negotiating took longer than allowed. */
export class LinkTimeoutError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(url: string, message: string, context: Record<string, unknown> = {}) {
    super('link-timeout', url, message, context);
  }
}

/**
 * An open link stopped working (cable pulled, socat/ser2net gone, peer closed, write failed).
 * The harness lost the terminal: the scenario is *broken*, never *failed*.
 */
export class LinkDownError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(url: string, reason: string, context: Record<string, unknown> = {}) {
    super('link-down', url, `link ${url} went down: ${reason}`, { reason, ...context });
  }
}

/** Writing to or reading from a link that is not open (a harness bug, not a terminal fault). */
export class LinkNotOpenError extends LinkError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(url: string, operation: string) {
    super('link-not-open', url, `cannot ${operation}: link ${url} is not open (call open() first, or it was closed)`, { operation });
  }
}
