/** Errors of the emulated terminal (its state file, options, host link and card images). */
import { PoscertError, broken, type DeclaredOutcome } from '../errors';

/** The terminal's state file cannot be read or written (the emulated terminal's non-volatile memory). */
export class TerminalStateError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(path: string, reason: string, hint: string, context: Record<string, unknown> = {}) {
    super('EMULATOR_STATE', `terminal state file ${path}: ${reason}; ${hint}`, { path, reason, ...context });
  }
}

/** Bad emulator options (CLI flags, EmulatorOptions, TTP config values). */
export class EmulatorConfigError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(option: string, reason: string, context: Record<string, unknown> = {}) {
    super('EMULATOR_CONFIG', `emulator option ${option}: ${reason}`, { option, ...context });
  }
}

/** The link to the bank host failed: refused, closed mid-exchange, or an unreadable reply. */
export class HostLinkError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  readonly kind: 'connect' | 'closed' | 'timeout' | 'bad-reply';
  constructor(kind: 'connect' | 'closed' | 'timeout' | 'bad-reply', message: string, context: Record<string, unknown> = {}) {
    super(`EMULATOR_HOST_${kind.toUpperCase().replace('-', '_')}`, message, { kind, ...context });
    this.kind = kind;
  }
}

/** A card image the terminal cannot read (missing PAN, malformed track 2, chip without keys...). */
export class CardImageError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super('EMULATOR_CARD_IMAGE', `card image: ${reason}`, context);
  }
}
