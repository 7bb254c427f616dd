/**
 * The reference host's public-network front (银联"公网接入", cup8583.md §1.2): the same 8583 frames as
 * on TCP, each carried in an HTTP/1.1 POST over TLS with the host's own certificate. The request body
 * is the length-prefixed frame of §1.1 (LEN 2B + TPDU + header + message) with Content-Type
 * `x-ISO-TPDU/x-auth`; the reply is `200 OK` with the same content type and the reply frame as body.
 *
 * The front only unwraps and wraps: every frame goes through the host's one frame pipeline (group
 * commit, journal, faults), so a message booked over HTTPS is booked exactly as over TCP. What each
 * arrival looked like on the wire (TLS version, method, path, content type, the certificate the host
 * presented) is kept as the host's view of the link, and so is a TLS handshake a terminal broke off.
 * Anything that is not the §1.2 wrapper gets an HTTP error and a warning in the log, never a crash.
 */
import * as https from 'node:https';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import type { FrameOutcome, HostLogger } from './engine';
import { HostStartError } from './errors';

/** The content type of §1.2, both ways. */
export const PUBLIC_NETWORK_CONTENT_TYPE = 'x-ISO-TPDU/x-auth';
/** The path of the §1.2 sample (DJ); an acquirer configures its own. */
export const PUBLIC_NETWORK_DEFAULT_PATH = '/unp/webtrans/WPOS';

/** The host's certificate and key (PEM), and a name for it that arrivals record. */
export interface TlsIdentity {
  cert: string;
  key: string;
  /** What the certificate is, e.g. "lab CA" or "untrusted": recorded with every arrival it served. */
  label: string;
}

/** One thing that reached the HTTPS port, as the host saw it. */
export interface PublicNetworkArrival {
  at: string;
  remote: string;
  /** served: a §1.2 request handed to the frame pipeline; refused: an HTTP error; tls-failed: no TLS session. */
  outcome: 'served' | 'refused' | 'tls-failed';
  /** The label of the certificate the host presented. */
  certificate: string;
  tlsProtocol?: string;
  method?: string;
  path?: string;
  contentType?: string;
  /** HTTP status answered (none when the host withheld its reply: a fault, or the frame closed the link). */
  status?: number;
  /** Bytes of the 8583 frame in the body (length prefix included). */
  frameBytes?: number;
  /** MTI of the frame (4 digits) when readable. */
  mti?: string;
  /** Why it was refused, or the TLS error. */
  reason?: string;
}

export interface PublicNetworkFrontOptions {
  identity: TlsIdentity;
  port?: number;
  bind?: string;
  /** The path requests are POSTed to (default PUBLIC_NETWORK_DEFAULT_PATH). */
  path?: string;
  /** Largest body accepted, in bytes (default 4098: the host's largest frame plus its length prefix). */
  maxBodyBytes?: number;
  /** A request must arrive complete within this long (default 10 000 ms). */
  requestTimeoutMs?: number;
  logger: HostLogger;
  /** Hands one frame (length prefix included) to the host's pipeline; resolves with what to answer. */
  submit: (frame: Buffer, remote: string) => Promise<FrameOutcome>;
  /** Open HTTPS connections at most (default 1024); more are dropped at once, with a warning. */
  maxConnections?: number;
  /** Arrivals kept, newest last (default 1000). */
  keepArrivals?: number;
}

export class PublicNetworkFront {
  readonly port: number;
  readonly path: string;
  private identity: TlsIdentity;
  private readonly list: PublicNetworkArrival[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<net.Socket>();
  private stopped = false;

  private constructor(
    private readonly server: https.Server,
    private readonly opts: PublicNetworkFrontOptions,
  ) {
    this.port = (server.address() as net.AddressInfo).port;
    this.path = opts.path ?? PUBLIC_NETWORK_DEFAULT_PATH;
    this.identity = opts.identity;
  }

  static async start(opts: PublicNetworkFrontOptions): Promise<PublicNetworkFront> {
    const bind = opts.bind ?? '127.0.0.1';
    let server: https.Server;
    try {
      server = https.createServer({ cert: opts.identity.cert, key: opts.identity.key, requestTimeout: opts.requestTimeoutMs ?? 10_000 });
    } catch (err) {
      throw new HostStartError(`the HTTPS certificate "${opts.identity.label}" or its key is not usable: ${(err as Error).message}`, {
        certificate: opts.identity.label,
      });
    }
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, bind, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new HostStartError(`cannot listen for HTTPS on ${bind}:${opts.port ?? 0}: ${e.message}`, { port: opts.port, bind, errno: e.code });
    }
    const front = new PublicNetworkFront(server, opts);
    server.maxConnections = opts.maxConnections ?? 1024;
    server.on('drop', (d?: { remoteAddress?: string; remotePort?: number }) =>
      opts.logger.warn(
        `${new Date().toISOString()} ${d?.remoteAddress}:${d?.remotePort} HTTPS refused: ${server.maxConnections} connections open, the limit (maxConnections)`,
      ),
    );
    server.on('connection', (s: net.Socket) => {
      front.sockets.add(s);
      s.once('close', () => front.sockets.delete(s));
    });
    server.on('request', (req, res) => front.serve(req, res));
    server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => front.tlsFailed(err, socket));
    server.on('clientError', (err: Error & { code?: string }, socket: net.Socket) => front.badHttp(err, socket));
    server.on('error', (err) => opts.logger.error(`HTTPS listener error: ${err.message}`));
    return front;
  }

  /** Presents another certificate from the next TLS handshake on (connections open keep theirs). */
  useCertificate(identity: TlsIdentity): void {
    this.server.setSecureContext({ cert: identity.cert, key: identity.key });
    this.identity = identity;
    this.opts.logger.info(`${new Date().toISOString()} HTTPS front now presents the certificate "${identity.label}"`);
  }

  get certificate(): string {
    return this.identity.label;
  }

  /** What reached the HTTPS port at or after `since` (ISO time), oldest first. */
  arrivals(since?: string): PublicNetworkArrival[] {
    return this.list.filter((a) => since === undefined || a.at >= since).map((a) => ({ ...a }));
  }

  private record(a: Omit<PublicNetworkArrival, 'at' | 'certificate'>): void {
    this.list.push({ at: new Date().toISOString(), certificate: this.identity.label, ...a });
    const keep = this.opts.keepArrivals ?? 1000;
    if (this.list.length > keep) this.list.splice(0, this.list.length - keep);
  }

  private tlsFailed(err: Error & { code?: string }, socket: tls.TLSSocket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const reason = `${err.code ?? 'TLS'}: ${err.message}`;
    this.opts.logger.warn(`${new Date().toISOString()} ${remote} HTTPS: TLS handshake failed (${reason}); nothing received`);
    this.record({ remote, outcome: 'tls-failed', reason });
  }

  /** Bytes that are not HTTP at all (or a broken request line): 400, a warning, the connection closed. */
  private badHttp(err: Error & { code?: string }, socket: net.Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // A client that hung up (reset, closed mid-way) sent nothing wrong: nothing to answer or record.
    if (!(err.code ?? '').startsWith('HPE_') && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.destroy();
      return;
    }
    const reason = `not an HTTP request (${err.code ?? err.message})`;
    this.opts.logger.warn(`${new Date().toISOString()} ${remote} HTTPS: ${reason}: answered 400, connection closed`);
    this.record({ remote, outcome: 'refused', status: 400, reason });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  }

  private serve(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const socket = req.socket as tls.TLSSocket;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const seen = {
      remote,
      tlsProtocol: socket.getProtocol?.() ?? undefined,
      method: req.method,
      path: req.url,
      contentType: req.headers['content-type'],
    };
    const refuse = (status: number, reason: string, extra: Record<string, string> = {}) => {
      this.opts.logger.warn(`${new Date().toISOString()} ${remote} HTTPS ${req.method} ${req.url}: ${reason}: answered ${status}`);
      this.record({ ...seen, outcome: 'refused', status, reason });
      if (res.headersSent) return;
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...extra });
      res.end(`${reason}\n`);
    };
    if (req.method !== 'POST')
      return refuse(405, `method ${req.method}: the public-network wrapper is POST only (cup8583.md §1.2)`, { Allow: 'POST' });
    if (req.url !== this.path) return refuse(404, `path ${req.url} is not this host's (${this.path})`);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type.toLowerCase() !== PUBLIC_NETWORK_CONTENT_TYPE.toLowerCase())
      return refuse(415, `Content-Type "${req.headers['content-type'] ?? ''}" is not ${PUBLIC_NETWORK_CONTENT_TYPE} (cup8583.md §1.2)`);
    const max = this.opts.maxBodyBytes ?? 4098;
    const declared = req.headers['content-length'];
    if (declared === undefined) return refuse(411, 'no Content-Length: the body is one length-prefixed frame of known size');
    if (Number(declared) > max) return refuse(413, `body of ${declared} bytes is over the limit of ${max}`);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('error', (err) => this.opts.logger.warn(`${new Date().toISOString()} ${remote} HTTPS request error: ${err.message}`));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (size > max) return refuse(413, `body of ${size} bytes is over the limit of ${max}`);
      if (body.length < 2 || body.readUInt16BE(0) !== body.length - 2)
        return refuse(
          400,
          `the body is not one length-prefixed 8583 frame (${body.length} bytes, LEN ${body.length >= 2 ? body.readUInt16BE(0) : 'missing'})`,
        );
      const mti = body.length >= 15 ? body.toString('hex', 13, 15) : undefined;
      this.opts
        .submit(body, `https ${remote}`)
        .then((outcome) => this.answer(res, outcome, { ...seen, frameBytes: body.length, mti }))
        .catch((err: Error) => {
          this.opts.logger.error(`${new Date().toISOString()} ${remote} HTTPS: the host could not process the frame: ${err.message}`);
          refuse(503, 'the host could not process the frame');
        });
    });
  }

  private answer(
    res: import('node:http').ServerResponse,
    outcome: FrameOutcome,
    seen: Omit<PublicNetworkArrival, 'at' | 'certificate' | 'outcome'>,
  ): void {
    const send = () => {
      if (this.stopped || res.socket?.destroyed) return;
      if (!outcome.reply) {
        this.record({ ...seen, outcome: 'served', reason: outcome.reason ?? 'no reply' });
        if (outcome.close) res.socket?.destroy();
        return; // withheld (a fault): the terminal's own timeout decides
      }
      this.record({ ...seen, outcome: 'served', status: 200 });
      res.writeHead(200, {
        'Content-Type': PUBLIC_NETWORK_CONTENT_TYPE,
        'Content-Length': outcome.reply.length,
        'Cache-Control': 'no-cache',
        ...(outcome.close ? { Connection: 'close' } : {}),
      });
      res.end(outcome.reply);
    };
    if (outcome.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, outcome.delayMs);
      this.timers.add(timer);
    } else send();
  }

  /** Closes the listener and every connection. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
