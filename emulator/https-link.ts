/**
 * The terminal's public-network link to the acquirer (银联"公网接入", cup8583.md §1.2): each 8583
 * frame, length prefix included, is the body of an HTTP/1.1 POST with Content-Type
 * `x-ISO-TPDU/x-auth`, over TLS; the reply is the body of a `200 OK` with the same content type.
 *
 * The TLS session is set up before anything is built or sent, and the host's certificate must chain
 * to the CA the terminal was given (and name the host): a terminal that talks to a host it cannot
 * authenticate hands card data to whoever answers. A refused certificate is a connect failure, so
 * the flow shows its communication failure with nothing sent and nothing to reverse.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { CupFrame, decodeFrame, encodeFrame } from '../protocol/iso8583';
import { HostLinkError } from './errors';
import type { HostAddress, HostChannel } from './host-link';

/** The content type of §1.2, both ways. */
export const PUBLIC_NETWORK_CONTENT_TYPE = 'x-ISO-TPDU/x-auth';

export interface HttpsLinkOptions {
  /** The CA certificate(s) (PEM) the host's certificate must chain to. */
  caPem: string | undefined;
  /** Defect tls-verification-off: any certificate is taken. */
  verify: boolean;
  /** Content-Type sent (a defect may send another). */
  contentType?: string;
}

/** One TLS connection carrying one or more POSTs (the host may close it after a reply: re-dialled). */
export class HttpsHostSession implements HostChannel {
  private spoilt = false;

  private constructor(
    private readonly socket: tls.TLSSocket,
    private readonly address: HostAddress & { https: { path: string } },
    private readonly opts: HttpsLinkOptions,
  ) {
    socket.on('close', () => (this.spoilt = true));
    socket.on('error', () => (this.spoilt = true));
  }

  static connect(address: HostAddress, opts: HttpsLinkOptions, timeoutMs: number, track: (s: net.Socket) => () => void): Promise<HttpsHostSession> {
    const where = `https://${address.host}:${address.port}`;
    if (!address.https) return Promise.reject(new HostLinkError('connect', `${where}: not a public-network (https) address`));
    if (opts.verify && !opts.caPem)
      return Promise.reject(
        new HostLinkError('connect', `no CA configured to verify the host ${where} (TTP config hostCa, or the emulator's hostCaPem)`, { ...address }),
      );
    const https = address.https;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: address.host,
        port: address.port,
        ca: opts.caPem,
        rejectUnauthorized: opts.verify,
        // An IP address is checked against the certificate's IP SANs; SNI only takes names.
        ...(/^[\d.]+$|:/.test(address.host) ? {} : { servername: address.host }),
      });
      const untrack = track(socket);
      socket.once('close', untrack);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HostLinkError('connect', `no TLS session with the host ${where} within ${timeoutMs} ms`, { ...address }));
      }, timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.removeAllListeners('error');
        resolve(new HttpsHostSession(socket, { ...address, https }, opts));
      });
      socket.once('error', (e: Error & { code?: string }) => {
        clearTimeout(timer);
        socket.destroy();
        const tlsRefused = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME|ALTNAME/i.test(e.code ?? '');
        reject(
          new HostLinkError(
            'connect',
            tlsRefused
              ? `the host ${where} presented a certificate this terminal does not trust (${e.code}): nothing sent`
              : `cannot connect to the host ${where}: ${e.message}; is its HTTPS port open?`,
            { ...address, errno: e.code, tlsRefused },
          ),
        );
      });
    });
  }

  private where(): string {
    return `https://${this.address.host}:${this.address.port}${this.address.https.path}`;
  }

  async exchange(frame: CupFrame, timeoutMs: number): Promise<{ reply: CupFrame; raw: Buffer }> {
    const raw = await this.post(encodeFrame(frame), timeoutMs);
    try {
      return { reply: decodeFrame(raw), raw };
    } catch (e) {
      throw new HostLinkError('bad-reply', `host ${this.where()} sent an undecodable reply: ${(e as Error).message}`);
    }
  }

  private post(body: Buffer, timeoutMs: number): Promise<Buffer> {
    if (!this.usable) return Promise.reject(new HostLinkError('closed', `the TLS connection to ${this.where()} is closed`));
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      const fail = (err: HostLinkError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.spoilt = true;
        this.socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new HostLinkError('timeout', `no reply from the host ${this.where()} within ${timeoutMs} ms`, { timeoutMs })),
        timeoutMs,
      );
      const req = http.request({
        createConnection: () => this.socket,
        method: 'POST',
        path: this.address.https.path,
        headers: {
          Host: `${this.address.host}:${this.address.port}`,
          'User-Agent': 'poscert-emulator/1.0',
          'Cache-Control': 'no-cache',
          'Content-Type': this.opts.contentType ?? PUBLIC_NETWORK_CONTENT_TYPE,
          Accept: '*/*',
          'Content-Length': body.length,
        },
      });
      req.on('error', (e) => fail(new HostLinkError('closed', `host ${this.where()}: ${e.message}`)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => fail(new HostLinkError('closed', `host ${this.where()}: ${e.message}`)));
        res.on('end', () => {
          if (settled) return;
          const type = String(res.headers['content-type'] ?? '');
          if (res.statusCode !== 200)
            return fail(new HostLinkError('bad-reply', `host ${this.where()} answered HTTP ${res.statusCode}`, { status: res.statusCode }));
          if (type.split(';')[0].trim().toLowerCase() !== PUBLIC_NETWORK_CONTENT_TYPE.toLowerCase())
            return fail(new HostLinkError('bad-reply', `host ${this.where()} answered Content-Type "${type}", not ${PUBLIC_NETWORK_CONTENT_TYPE}`));
          const reply = Buffer.concat(chunks);
          if (reply.length < 2 || reply.readUInt16BE(0) !== reply.length - 2)
            return fail(
              new HostLinkError('bad-reply', `host ${this.where()} sent a body that is not one length-prefixed frame (${reply.length} bytes)`),
            );
          settled = true;
          clearTimeout(timer);
          if (res.headers.connection === 'close') this.spoilt = true;
          resolve(reply);
        });
      });
      req.end(body);
    });
  }

  /** False once the TLS connection failed, timed out or was closed: a new one is needed. */
  get usable(): boolean {
    return !this.spoilt && !this.socket.destroyed;
  }

  close(): void {
    this.spoilt = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 100).unref();
  }
}
