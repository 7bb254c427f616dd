/**
 * The terminal's link to the acquirer: TCP, 2-byte length framing (cup8583.md §1.1). One
 * connection per online session (a pending reversal and the transaction that follows it share it),
 * closed afterwards, as dial-up-era UnionPay terminals still behave. The public-network link (§1.2,
 * HTTPS) is in https-link.ts; both are a HostChannel to the flows.
 */
import * as net from 'node:net';
import { CupFrame, LengthPrefixedReader, decodeFrame, encodeFrame } from '../protocol/iso8583';
import { EmulatorConfigError, HostLinkError } from './errors';

export interface HostAddress {
  host: string;
  port: number;
  /** The public-network link (HTTPS, §1.2): the path frames are POSTed to. Absent: plain TCP. */
  https?: { path: string };
}

/** 'tcp://127.0.0.1:5000', '127.0.0.1:5000', or 'https://127.0.0.1:5443/unp/webtrans/WPOS' (public network, §1.2). */
export function parseHostUrl(url: string): HostAddress {
  const https = /^https:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})(\/[\x21-\x7e]*)?$/.exec(url.trim());
  const m = https ?? /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) throw new EmulatorConfigError('hostUrl', `"${url}" is not tcp://HOST:PORT nor https://HOST:PORT/PATH`, { url });
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new EmulatorConfigError('hostUrl', `port ${port} is outside 1..65535`, { url });
  const host = m[1].replace(/^\[|\]$/g, '');
  return https ? { host, port, https: { path: m[3] || '/' } } : { host, port };
}

/** The URL form of an address (what parseHostUrl reads back). */
export function formatHostUrl(a: HostAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return a.https ? `https://${host}:${a.port}${a.https.path}` : `tcp://${host}:${a.port}`;
}

/** One connection to the host, whatever carries it: what HostLine re-dials when it is spoilt. */
export interface HostChannel {
  exchange(frame: CupFrame, timeoutMs: number): Promise<{ reply: CupFrame; raw: Buffer }>;
  readonly usable: boolean;
  close(): void;
}

export class HostSession implements HostChannel {
  private readonly socket: net.Socket;
  private readonly reader = new LengthPrefixedReader({ maxFrameSize: 8192 });
  private readonly frames: Buffer[] = [];
  private waiter?: { resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private failure?: HostLinkError;

  private constructor(
    socket: net.Socket,
    private readonly address: HostAddress,
  ) {
    this.socket = socket;
    socket.on('data', (chunk) => {
      let got: Buffer[];
      try {
        got = this.reader.push(chunk);
      } catch (e) {
        this.fail(new HostLinkError('bad-reply', `host ${this.where()}: ${(e as Error).message}`));
        socket.destroy();
        return;
      }
      for (const f of got) this.frames.push(f);
      this.deliver();
    });
    socket.on('close', () => this.fail(new HostLinkError('closed', `host ${this.where()} closed the connection before replying`)));
    socket.on('error', (e) =>
      this.fail(new HostLinkError('closed', `host ${this.where()}: ${e.message}`, { errno: (e as NodeJS.ErrnoException).code })),
    );
  }

  static connect(address: HostAddress, timeoutMs: number, track: (s: net.Socket) => () => void): Promise<HostSession> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port });
      const untrack = track(socket);
      socket.once('close', untrack);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HostLinkError('connect', `no TCP connection to the host ${address.host}:${address.port} within ${timeoutMs} ms`, { ...address }));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.removeAllListeners('error');
        resolve(new HostSession(socket, address));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new HostLinkError('connect', `cannot connect to the host ${address.host}:${address.port}: ${e.message}; is the host running?`, {
            ...address,
            errno: (e as NodeJS.ErrnoException).code,
          }),
        );
      });
    });
  }

  private where(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  private fail(err: HostLinkError): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    this.waiter = undefined;
    if (w && this.frames.length === 0) w.reject(err);
  }

  private deliver(): void {
    if (!this.waiter || this.frames.length === 0) return;
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(this.frames.shift()!);
  }

  /** Sends a frame; with `expectReply`, waits for one frame back (decoded), at most timeoutMs. */
  async exchange(frame: CupFrame, timeoutMs: number): Promise<{ reply: CupFrame; raw: Buffer }> {
    const raw = await this.exchangeRaw(encodeFrame(frame), timeoutMs);
    try {
      return { reply: decodeFrame(raw), raw };
    } catch (e) {
      throw new HostLinkError('bad-reply', `host ${this.where()} sent an undecodable reply: ${(e as Error).message}`);
    }
  }

  exchangeRaw(bytes: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    this.frames.length = 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        // A late reply must not be taken for the answer to the next request: this connection is done.
        const err = new HostLinkError('timeout', `no reply from the host ${this.where()} within ${timeoutMs} ms`, { timeoutMs });
        this.failure ??= err;
        this.socket.destroy();
        reject(err);
      }, timeoutMs);
      this.waiter = {
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(bytes, (err) => {
        if (err) this.fail(new HostLinkError('closed', `cannot send to the host ${this.where()}: ${err.message}`));
      });
    });
  }

  /** False once the connection failed, timed out or was closed: a new one is needed. */
  get usable(): boolean {
    return this.failure === undefined && !this.socket.destroyed;
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 100).unref();
  }
}

/**
 * The terminal's line to the host for one online session: connected once up front (so an
 * unreachable host is known before anything is sent), and re-dialled when a timeout or a
 * disconnect spoilt the connection (a reversal retry, then the transaction, go on a fresh one).
 */
export class HostLine {
  private current?: HostChannel;
  private closed = false;

  private constructor(private readonly dial: () => Promise<HostChannel>) {}

  static async open(dial: () => Promise<HostChannel>): Promise<HostLine> {
    const line = new HostLine(dial);
    line.current = await dial();
    return line;
  }

  async exchange(frame: CupFrame, timeoutMs: number): Promise<{ reply: CupFrame; raw: Buffer }> {
    if (this.closed) throw new HostLinkError('closed', 'the host line was closed');
    if (!this.current || !this.current.usable) {
      this.current?.close();
      this.current = await this.dial();
    }
    return this.current.exchange(frame, timeoutMs);
  }

  close(): void {
    this.closed = true;
    this.current?.close();
    this.current = undefined;
  }
}
