import { inspect } from 'node:util';

/**
 * Clear key material held in memory (test TMKs, issuer master keys, working keys). It never prints:
 * `JSON.stringify`, `console.log` and template strings show only its length, so a configuration
 * object or an error context can be logged without leaking a key.
 */
export class SecretBytes {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = Buffer.from(bytes);
  }
  /** The clear bytes; only crypto calls should see them. */
  reveal(): Buffer {
    return this.#bytes;
  }
  get length(): number {
    return this.#bytes.length;
  }
  toJSON(): string {
    return `<secret ${this.#bytes.length} bytes>`;
  }
  toString(): string {
    return this.toJSON();
  }
  [inspect.custom](): string {
    return this.toJSON();
  }
}
