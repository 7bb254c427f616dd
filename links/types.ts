/** The byte link and listener interfaces every link kind implements, and their shared bookkeeping. */
import { EventEmitter } from 'node:events';
import { LinkDownError, LinkNotOpenError } from './errors';

/**
 * A bidirectional byte pipe to a terminal (or, on the terminal side, to the harness).
 * 'data' delivers bytes in order; 'close' fires once: without argument after close(), with a
 * LinkDownError when the link failed on its own.
 */
export interface ByteLink {
  readonly url: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  on(event: 'data', listener: (bytes: Buffer) => void): this;
  on(event: 'close', listener: (err?: LinkDownError) => void): this;
  once(event: 'data', listener: (bytes: Buffer) => void): this;
  once(event: 'close', listener: (err?: LinkDownError) => void): this;
  off(event: 'data', listener: (bytes: Buffer) => void): this;
  off(event: 'close', listener: (err?: LinkDownError) => void): this;
}

/** Terminal side: accepts links from harnesses (a TCP listen port, a serial device, an emu: name). */
export interface LinkListener {
  readonly url: string;
  /** Every accepted link is already open. */
  on(event: 'connection', listener: (link: ByteLink) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  close(): Promise<void>;
}

/** Shared bookkeeping for link implementations: state, one 'close' emission, typed listeners. */
export abstract class BaseLink extends EventEmitter implements ByteLink {
  private opened = false;
  private closed = false;

  constructor(readonly url: string) {
    super();
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  abstract open(): Promise<void>;
  abstract write(bytes: Uint8Array): Promise<void>;
  abstract close(): Promise<void>;

  protected markOpen(): void {
    this.opened = true;
    this.closed = false;
  }

  /** Emit 'close' exactly once per open. */
  protected markClosed(err?: LinkDownError): void {
    if (this.closed || !this.opened) return;
    this.closed = true;
    this.emit('close', err);
  }

  protected assertOpen(operation: string): void {
    if (!this.isOpen) throw new LinkNotOpenError(this.url, operation);
  }

  protected deliver(bytes: Buffer): void {
    if (this.isOpen) this.emit('data', bytes);
  }
}
