/**
 * emu: links — in-process byte pipes between the harness and an emulator in the same process.
 * Bytes are delivered asynchronously (setImmediate) so that neither side re-enters the other.
 */
import { EventEmitter } from 'node:events';
import { LinkBusyError, LinkDownError, LinkNotFoundError, LinkUrlError } from './errors';
import type { LinkAddress, LinkKind } from './registry';
import { BaseLink, ByteLink, LinkListener } from './types';

export class EmuLink extends BaseLink {
  peer?: EmuLink;
  constructor(url: string) {
    super(url);
  }

  async open(): Promise<void> {
    this.markOpen();
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen('write');
    const peer = this.peer;
    if (!peer || !peer.isOpen) {
      const err = new LinkDownError(this.url, 'the in-process peer closed its end');
      this.markClosed(err);
      throw err;
    }
    const copy = Buffer.from(bytes);
    setImmediate(() => peer.deliver(copy));
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.markClosed();
    const peer = this.peer;
    if (peer?.isOpen) setImmediate(() => peer.peerClosed());
  }

  private peerClosed(): void {
    this.markClosed(new LinkDownError(this.url, 'the in-process peer closed its end'));
  }

  /** Open both ends at once (used by pairs that are handed out already connected). */
  static connectedPair(url: string): [EmuLink, EmuLink] {
    const a = new EmuLink(url);
    const b = new EmuLink(url);
    a.peer = b;
    b.peer = a;
    a.markOpen();
    b.markOpen();
    return [a, b];
  }

  protected override deliver(bytes: Buffer): void {
    super.deliver(bytes);
  }
}

/** Two connected, already open ends: [harness side, terminal side]. */
export function createEmuLinkPair(url = 'emu:'): [ByteLink, ByteLink] {
  return EmuLink.connectedPair(url);
}

class EmuListener extends EventEmitter implements LinkListener {
  constructor(
    readonly url: string,
    readonly name: string,
  ) {
    super();
  }
  async close(): Promise<void> {
    if (emuEndpoints.get(this.name) === this) emuEndpoints.delete(this.name);
  }
}

const emuEndpoints = new Map<string, EmuListener>();

/** Terminal side of emu:NAME. One listener per name in a process. */
export function listenEmu(url: string, name: string): LinkListener {
  if (emuEndpoints.has(name))
    throw new LinkBusyError(url, `in-process endpoint emu:${name} already has an emulator listening; give each emulator its own name (emu:NAME)`);
  const l = new EmuListener(url, name);
  emuEndpoints.set(name, l);
  return l;
}

/** Harness side of emu:NAME: a link whose open() connects to the listening emulator. */
export class EmuClientLink extends BaseLink {
  private inner?: EmuLink;
  constructor(
    url: string,
    private readonly name: string,
  ) {
    super(url);
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const listener = emuEndpoints.get(this.name);
    if (!listener) {
      throw new LinkNotFoundError(
        this.url,
        `no in-process emulator listens on emu:${this.name}; start one in this process (listenLink('emu:${this.name}')) or use a serial:/tcp:// link`,
        [...emuEndpoints.keys()].map((n) => `emu:${n}`),
      );
    }
    const [mine, theirs] = EmuLink.connectedPair(this.url);
    mine.on('data', (b) => this.deliver(b));
    mine.on('close', (err) => this.markClosed(err));
    this.inner = mine;
    this.markOpen();
    listener.emit('connection', theirs);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen('write');
    await this.inner!.write(bytes);
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.markClosed();
    await this.inner?.close();
  }
}

export interface EmuAddress extends LinkAddress {
  kind: 'emu';
  name: string;
}

/** emu: or emu:NAME — both sides in this process: the emulator listens, the harness opens. */
const emuKind: LinkKind<EmuAddress> = {
  name: 'emu',
  listOrder: 80,
  schemes: ['emu'],
  forms: ['emu: or emu:NAME (in-process emulator)'],
  parse(url, rest) {
    const name = rest.replace(/^\/\//, '') || 'default';
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new LinkUrlError(url, `emu: endpoint name may use letters, digits, '.', '_' and '-' (got '${name}')`);
    return { kind: 'emu', url, name };
  },
  open: (a) => new EmuClientLink(a.url, a.name),
  listen: async (a) => listenEmu(a.url, a.name),
};

export const emuLinkKinds: readonly LinkKind[] = [emuKind];
