import { PoscertError, broken, type DeclaredOutcome } from '../errors';

/**
 * Typed errors of the payment cryptography. Every one names what was wrong (which key, which
 * argument, which length) so that a QA engineer can fix the input without reading the source.
 */

/** A key of a length the algorithm does not accept (e.g. a 12-byte DES key). */
export class KeyLengthError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(what: string, actual: number, allowed: readonly number[]) {
    super(
      'CRYPTO_KEY_LENGTH',
      `${what}: key is ${actual} bytes, expected ${allowed.join(' or ')} bytes (${allowed.map((n) => n * 2).join(' or ')} hex digits)`,
      { what, actual, allowed: [...allowed] },
    );
  }
}

/** Data that is not a whole number of cipher blocks when padding is off (we never pad silently). */
export class BlockLengthError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(what: string, actual: number, blockSize: number) {
    super(
      'CRYPTO_BLOCK_LENGTH',
      `${what}: data is ${actual} bytes, not a multiple of the ${blockSize}-byte block; pad it first (e.g. ISO 9797-1 method 1 or 2)`,
      { what, actual, blockSize },
    );
  }
}

/** Any other argument out of range: an IV of the wrong size, a PIN with letters, a bad KSN... */
export class CryptoInputError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(what: string, reason: string, context: Record<string, unknown> = {}) {
    super('CRYPTO_INPUT', `${what}: ${reason}`, { what, reason, ...context });
  }
}

/**
 * A working key whose check value does not match the one sent with it (sign-on field 62).
 * Never carries the clear key: only the key name and the two check values.
 */
export class KeyCheckValueError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  readonly keyName: string;
  constructor(keyName: string, expected: string, actual: string, context: Record<string, unknown> = {}) {
    super(
      'CRYPTO_KCV_MISMATCH',
      `${keyName}: check value mismatch (field 62 says ${expected}, the decrypted key gives ${actual}); ` +
        'the terminal master key (TMK) is probably not the one the host used: re-inject the TMK and sign on again',
      { keyName, expected, actual, ...context },
    );
    this.keyName = keyName;
  }
}

/** A PIN block that does not decode: wrong format nibble, bad length, non-decimal PIN digits, bad fill. */
export class PinBlockError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super('CRYPTO_PIN_BLOCK', `PIN block: ${reason}`, context);
  }
}
