/**
 * tcp:// (ser2net raw ports, lab adapters) and tcp-listen: (terminal side: the emulator serves
 * TTP on a TCP port). Plain sockets, Nagle off: TTP frames are small and latency matters.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  LinkBusyError,
  LinkDownError,
  LinkError,
  LinkNotFoundError,
  LinkPermissionError,
  LinkRefusedError,
  LinkTimeoutError,
  LinkUrlError,
} from './errors';
import type { LinkAddress, LinkKind } from './registry';
import { BaseLink, ByteLink, LinkListener } from './types';
import { parseHostPort, parsePort, splitQuery, stripSlashes } from './url';

export interface TcpLinkOptions {
  /** Give up connecting after this long (default 5000 ms). */
  connectTimeoutMs?: number;
}

/** Map a socket error during connect to the typed error that says what to do. */
export function classifyConnectError(url: string, host: string, port: number, err: NodeJS.ErrnoException): LinkError {
  const where = `${host}:${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new LinkRefusedError(
        url,
        `connection to ${where} refused: nothing listens there. Is ser2net (or the lab adapter) running, and is ${port} the port of this terminal's accepter?`,
        { host, port, errno: err.code },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LinkNotFoundError(url, `host '${host}' not found (DNS ${err.code}); check the host name in the link URL or lab file`, [], {
        host,
        port,
        errno: err.code,
      });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new LinkRefusedError(url, `${where} unreachable (${err.code}); check network, VPN and firewall to the rack host`, {
        host,
        port,
        errno: err.code,
      });
    case 'ETIMEDOUT':
      return new LinkTimeoutError(url, `connecting to ${where} timed out; the host is up but does not answer on that port (firewall?)`, {
        host,
        port,
        errno: err.code,
      });
    default:
      return new LinkRefusedError(url, `cannot connect to ${where}: ${err.message}`, { host, port, errno: err.code });
  }
}

/** Open a TCP socket, resolving once connected; rejects with a typed LinkError. */
export function connectSocket(url: string, host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new LinkTimeoutError(
          url,
          `connecting to ${host}:${port} took longer than ${timeoutMs} ms; the host does not answer (firewall, wrong address?)`,
          { host, port, timeoutMs },
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifyConnectError(url, host, port, err as NodeJS.ErrnoException));
    });
  });
}

/** A link over an already connected socket (accepted or connected). */
export class SocketLink extends BaseLink {
  protected socket?: net.Socket;
  private closing = false;

  constructor(url: string, socket?: net.Socket) {
    super(url);
    if (socket) this.attach(socket);
  }

  async open(): Promise<void> {
    if (!this.socket) throw new LinkDownError(this.url, 'socket link without a socket');
  }

  protected attach(socket: net.Socket): void {
    this.socket = socket;
    this.closing = false;
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onSocketData(b));
    let lastError: Error | undefined;
    socket.on('error', (err) => {
      lastError = err;
    });
    socket.on('close', () => {
      if (this.closing) {
        this.markClosed();
        return;
      }
      this.markClosed(
        new LinkDownError(this.url, lastError ? `socket error: ${lastError.message}` : 'the peer closed the connection', {
          errno: (lastError as NodeJS.ErrnoException | undefined)?.code,
        }),
      );
    });
    this.markOpen();
  }

  protected onSocketData(bytes: Buffer): void {
    this.deliver(bytes);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen('write');
    await this.writeSocket(Buffer.from(bytes));
  }

  protected writeSocket(bytes: Buffer): Promise<void> {
    const socket = this.socket!;
    return new Promise<void>((resolve, reject) => {
      socket.write(bytes, (err) => {
        if (err) reject(new LinkDownError(this.url, `write failed: ${err.message}`, { errno: (err as NodeJS.ErrnoException).code }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket || !this.isOpen) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      // A peer that never answers FIN must not keep us waiting.
      setTimeout(() => socket.destroy(), 200).unref();
    });
  }
}

/** tcp://host:port — raw bytes, e.g. a ser2net `tcp` accepter. */
export class TcpLink extends SocketLink {
  constructor(
    url: string,
    readonly host: string,
    readonly port: number,
    private readonly options: TcpLinkOptions = {},
  ) {
    super(url);
  }

  override async open(): Promise<void> {
    if (this.isOpen) return;
    const socket = await connectSocket(this.url, this.host, this.port, this.options.connectTimeoutMs ?? 5000);
    this.attach(socket);
  }
}

/** tcp-listen:[HOST:]PORT — terminal side; each accepted connection is one link. */
export class TcpLinkListener extends EventEmitter implements LinkListener {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly url: string,
    private readonly host: string,
    private readonly port: number,
  ) {
    super();
  }

  /** The bound port (useful with tcp-listen:0). */
  get boundPort(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : this.port;
  }

  listen(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const server = net.createServer((socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        const link = new SocketLink(`${this.url}#${socket.remoteAddress}:${socket.remotePort}`, socket);
        this.emit('connection', link as ByteLink);
      });
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          reject(
            new LinkBusyError(this.url, `port ${this.port} on ${this.host} is already in use; stop the other process or choose another port`, {
              host: this.host,
              port: this.port,
            }),
          );
        else if (err.code === 'EACCES')
          reject(
            new LinkPermissionError(
              this.url,
              `not allowed to listen on port ${this.port} (ports below 1024 need privileges); choose a port above 1024`,
              undefined,
              { port: this.port },
            ),
          );
        else reject(new LinkRefusedError(this.url, `cannot listen on ${this.host}:${this.port}: ${err.message}`, { errno: err.code }));
      });
      server.listen(this.port, this.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.emit('error', err));
        this.server = server;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface TcpAddress extends LinkAddress {
  kind: 'tcp';
  host: string;
  port: number;
}
export interface TcpListenAddress extends LinkAddress {
  kind: 'tcp-listen';
  host: string;
  port: number;
}

/** tcp://HOST:PORT — the harness connects to a ser2net raw accepter or a lab adapter. */
const tcpKind: LinkKind<TcpAddress> = {
  name: 'tcp',
  listOrder: 20,
  schemes: ['tcp'],
  forms: ['tcp://HOST:PORT (ser2net raw)'],
  parse(url, rest) {
    const [hostPort, query] = splitQuery(stripSlashes(url, rest));
    if (query)
      throw new LinkUrlError(
        url,
        'tcp:// takes no parameters (serial settings are configured in ser2net for raw ports; use rfc2217:// to set them from here)',
      );
    const { host, port } = parseHostPort(url, hostPort, true);
    return { kind: 'tcp', url, host, port };
  },
  open: (a, options) => new TcpLink(a.url, a.host, a.port, { connectTimeoutMs: options.connectTimeoutMs }),
};

/** tcp-listen:[HOST:]PORT — the terminal side (the emulator) serves TTP on a TCP port (0: any free one). */
const tcpListenKind: LinkKind<TcpListenAddress> = {
  name: 'tcp-listen',
  listOrder: 90,
  schemes: ['tcp-listen'],
  forms: ['tcp-listen:PORT or tcp-listen:HOST:PORT (terminal side)'],
  parse(url, rest) {
    const spec = rest.replace(/^\/\//, '');
    if (/^\d+$/.test(spec)) return { kind: 'tcp-listen', url, host: '127.0.0.1', port: parsePort(url, spec, true) };
    const { host, port } = parseHostPort(url, spec, false);
    return { kind: 'tcp-listen', url, host, port };
  },
  async listen(a) {
    const l = new TcpLinkListener(a.url, a.host, a.port);
    await l.listen();
    return l;
  },
};

export const tcpLinkKinds: readonly LinkKind[] = [tcpKind, tcpListenKind];
