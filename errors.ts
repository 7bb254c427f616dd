/**
 * Base of every typed error poscert throws. `code` is stable and machine-readable; `context` says
 * where (file, field, offset, terminal id, ...) so the message can tell the user what to do.
 */
export class PoscertError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}
