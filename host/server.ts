/**
 * The TCP side of the reference host: 2-byte-length framing, many terminals at once, both
 * connection styles (one message per connection, or kept open), an idle timeout, a maximum
 * frame size, a deadline for finishing a frame once begun (a slow-loris sender that trickles a byte
 * now and then never trips the idle timeout) and a cap on open connections.
 *
 * Group commit: frames that arrive in the same turn of the event loop are processed in one SQLite
 * transaction, and their replies are written only after the commit (should one message hit a host
 * bug, the group is replayed with a savepoint per message so that it alone is lost). That is what makes the journal cheap at thousands of
 * authorisations per second and a killed host honest: what a terminal was told has been booked.
 */
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { FrameTooLargeError, IsoMessage, LengthPrefixedReader, encodeFrame, responseMtiOf, swapTpdu } from '../protocol/iso8583';
import type { HostConfig } from './config';
import { HostControl } from './control';
import { HostEngine, SILENT_LOGGER, readFrameHead, type FrameOutcome, type HostLogger } from './engine';
import { HostStartError } from './errors';
import { FaultSet } from './faults';
import { HostStore } from './store';
import { startAdminServer, type AdminServer } from './admin';
import { PublicNetworkFront, type TlsIdentity } from './public-network';

export interface ReferenceHostOptions {
  config: HostConfig;
  /** TCP port; 0 (default) = an ephemeral port, read it back from `host.port`. */
  port?: number;
  /** Address to bind; default 127.0.0.1 (loopback only). */
  bind?: string;
  /** SQLite file; default an in-memory database (nothing survives stop()). */
  dbPath?: string;
  /** Close a connection idle this long (default 60 000 ms). */
  idleTimeoutMs?: number;
  /** Largest frame accepted, excluding the 2-byte length (default 4096). Larger: the connection is closed. */
  maxFrameBytes?: number;
  /** A frame begun must be complete within this long (default 10 000 ms), else the connection is closed. */
  frameDeadlineMs?: number;
  /** Open terminal connections at most (default 1024); one more is closed at once, with a warning. */
  maxConnections?: number;
  logger?: HostLogger;
  /** Also serve the control API as HTTP JSON on 127.0.0.1:adminPort (0 = ephemeral). */
  adminPort?: number;
  /** Injected clock and randomness (tests); default the system clock and crypto.randomBytes. */
  clock?: () => Date;
  random?: (n: number) => Buffer;
  /** Minutes east of UTC for the host's local time (F12 / F13 / F15, expiry); default 480 (China). */
  utcOffsetMinutes?: number;
  /** SQLite page cache in MB (default 16); see HostStoreOptions.cacheMb. */
  sqliteCacheMb?: number;
}

/** One frame waiting for the group commit, and how its outcome reaches the terminal (TCP or HTTPS). */
interface QueuedFrame {
  remote: string;
  frame: Buffer;
  deliver: (outcome: FrameOutcome) => void;
  /** The commit failed: drop the terminal's link without an answer. */
  drop: () => void;
}

interface Connection {
  socket: net.Socket;
  remote: string;
  reader: LengthPrefixedReader;
  /** Runs while the reader holds part of a frame: the rest must come before it fires. */
  frameTimer?: NodeJS.Timeout;
}

export class ReferenceHost {
  readonly port: number;
  readonly bind: string;
  readonly control: HostControl;
  readonly dbPath: string;
  /** HTTP admin port when adminPort was given. */
  readonly adminPort?: number;
  private readonly connections = new Set<Connection>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: QueuedFrame[] = [];
  private front?: PublicNetworkFront;
  /** The certificate the lab started the front with (restorePublicNetwork goes back to it); none: the front is a case's own. */
  private frontBaseline?: TlsIdentity;
  private flushScheduled = false;
  private stopped = false;

  private constructor(
    private readonly server: net.Server,
    private readonly store: HostStore,
    private readonly engine: HostEngine,
    private readonly faults: FaultSet,
    private readonly logger: HostLogger,
    private readonly options: Required<Pick<ReferenceHostOptions, 'idleTimeoutMs' | 'maxFrameBytes' | 'frameDeadlineMs' | 'maxConnections'>>,
    control: HostControl,
    private readonly admin?: AdminServer,
  ) {
    const addr = server.address() as net.AddressInfo;
    this.port = addr.port;
    this.bind = addr.address;
    this.control = control;
    this.dbPath = store.path;
    this.adminPort = admin?.port;
    control.publicNetwork = {
      start: async (identity) => {
        const front = await this.startPublicNetwork(identity);
        return { host: this.bind, port: front.port, path: front.path };
      },
      arrivals: (since) => this.front?.arrivals(since) ?? [],
      restore: () => this.restorePublicNetwork(),
    };
  }

  static async start(opts: ReferenceHostOptions): Promise<ReferenceHost> {
    const logger = opts.logger ?? SILENT_LOGGER;
    const store = new HostStore(opts.dbPath ?? ':memory:', { cacheMb: opts.sqliteCacheMb });
    const faults = new FaultSet();
    let engine: HostEngine;
    try {
      engine = new HostEngine(opts.config, store, {
        clock: opts.clock ?? (() => new Date()),
        random: opts.random ?? randomBytes,
        logger,
        faults,
        utcOffsetMinutes: opts.utcOffsetMinutes,
      });
    } catch (err) {
      store.close();
      throw err;
    }
    const control = new HostControl(opts.config, store, engine, faults);
    const server = net.createServer();
    const bind = opts.bind ?? '127.0.0.1';
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 0, bind, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      store.close();
      const e = err as NodeJS.ErrnoException;
      throw new HostStartError(
        e.code === 'EADDRINUSE'
          ? `port ${opts.port} on ${bind} is already in use: stop the other host or give another --port (0 picks a free one)`
          : `cannot listen on ${bind}:${opts.port ?? 0}: ${e.message}`,
        { port: opts.port, bind, errno: e.code },
      );
    }
    let admin: AdminServer | undefined;
    if (opts.adminPort !== undefined) {
      try {
        admin = await startAdminServer(control, opts.adminPort, logger);
      } catch (err) {
        server.close();
        store.close();
        throw err;
      }
    }
    const host = new ReferenceHost(
      server,
      store,
      engine,
      faults,
      logger,
      {
        idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
        maxFrameBytes: opts.maxFrameBytes ?? 4096,
        frameDeadlineMs: opts.frameDeadlineMs ?? 10_000,
        maxConnections: opts.maxConnections ?? 1024,
      },
      control,
      admin,
    );
    server.on('connection', (socket) => host.accept(socket));
    server.on('error', (err) => logger.error(`host listener error: ${err.message}`));
    return host;
  }

  private accept(socket: net.Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.connections.size >= this.options.maxConnections) {
      this.logger.warn(
        `${new Date().toISOString()} ${remote} refused: ${this.connections.size} connections open, the limit (maxConnections / --max-connections)`,
      );
      socket.destroy();
      return;
    }
    const conn: Connection = { socket, remote, reader: new LengthPrefixedReader({ maxFrameSize: this.options.maxFrameBytes }) };
    this.connections.add(conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs, () => {
      this.logger.info(`${new Date().toISOString()} ${conn.remote} idle for ${this.options.idleTimeoutMs} ms: closing`);
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = conn.reader.push(chunk);
      } catch (err) {
        const why = err instanceof FrameTooLargeError ? err.message : `framing error: ${(err as Error).message}`;
        this.logger.warn(`${new Date().toISOString()} ${conn.remote} ${why}: closing the connection`);
        socket.destroy();
        return;
      }
      for (const frame of frames) this.enqueue(conn, frame);
      this.watchPartialFrame(conn);
    });
    socket.on('error', (err) => {
      this.logger.warn(`${new Date().toISOString()} ${conn.remote} socket error: ${err.message}`);
    });
    socket.on('close', () => {
      if (conn.frameTimer) clearTimeout(conn.frameTimer);
      this.connections.delete(conn);
    });
  }

  /** Starts the frame deadline when part of a frame is held, stops it when none is. */
  private watchPartialFrame(conn: Connection): void {
    if (conn.reader.bufferedBytes === 0) {
      if (conn.frameTimer) clearTimeout(conn.frameTimer);
      conn.frameTimer = undefined;
      return;
    }
    if (conn.frameTimer) return;
    conn.frameTimer = setTimeout(() => {
      const held = conn.reader.bufferedBytes;
      this.logger.warn(
        `${new Date().toISOString()} ${conn.remote} a frame begun ${this.options.frameDeadlineMs} ms ago is still incomplete (${held} bytes held): closing the connection`,
      );
      conn.socket.destroy();
    }, this.options.frameDeadlineMs);
  }

  private enqueue(conn: Connection, frame: Buffer): void {
    this.enqueueFrame({ remote: conn.remote, frame, deliver: (o) => this.deliver(conn, o), drop: () => conn.socket.destroy() });
  }

  private enqueueFrame(item: QueuedFrame): void {
    this.queue.push(item);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const batch = this.queue;
    this.queue = [];
    let outcomes: FrameOutcome[] | undefined;
    // Fast path: the whole group in one transaction. A message that throws (a host bug, never a
    // terminal's decline) rolls the group back; then every message is replayed in its own savepoint
    // so that only the faulty one is lost (answered 96).
    const faults = this.faults.snapshot();
    try {
      outcomes = this.store.transaction(() => {
        const out = batch.map(({ remote, frame }) => this.engine.handleFrame(frame, remote));
        this.engine.persistSequences();
        return out;
      });
    } catch {
      // Nothing of the group was committed: undo the in-memory side (faults taken, cached terminal
      // state) and replay. A failing commit (disk full) fails again in the replay and is reported there.
      this.faults.restore(faults);
      this.engine.forgetTerminals();
      outcomes = undefined;
    }
    if (!outcomes) {
      const replayed: FrameOutcome[] = [];
      try {
        this.store.transaction(() => {
          for (const { remote, frame } of batch) {
            try {
              replayed.push(this.store.transaction(() => this.engine.handleFrame(frame, remote)));
            } catch (err) {
              this.logger.error(`${new Date().toISOString()} ${remote} internal error, answered 96: ${(err as Error).stack ?? err}`);
              this.engine.forgetTerminals();
              replayed.push(this.systemErrorReply(frame));
            }
          }
          this.engine.persistSequences();
        });
      } catch (err) {
        return this.commitFailed(batch, err);
      }
      outcomes = replayed;
    }
    for (let i = 0; i < batch.length; i++) batch[i].deliver(outcomes[i]);
  }

  /** The commit itself failed (disk full, database locked): nothing was booked, tell no one anything. */
  private commitFailed(batch: QueuedFrame[], err: unknown): void {
    this.logger.error(
      `${new Date().toISOString()} host database commit failed, ${batch.length} request(s) dropped unanswered: ${(err as Error).message}`,
    );
    for (const item of batch) item.drop();
  }

  private systemErrorReply(frame: Buffer): FrameOutcome {
    const head = readFrameHead(frame);
    if (!head) return { close: true, delayMs: 0 };
    try {
      const reply = new IsoMessage(responseMtiOf(head.mti)).set(39, '96');
      return {
        reply: encodeFrame({ tpdu: swapTpdu(head.tpdu), header: { ...head.header, processingRequirement: '0' }, message: reply }),
        close: false,
        delayMs: 0,
      };
    } catch {
      return { close: true, delayMs: 0 };
    }
  }

  private deliver(conn: Connection, outcome: FrameOutcome): void {
    const send = () => {
      if (conn.socket.destroyed) return;
      if (outcome.reply) conn.socket.write(outcome.reply);
      if (outcome.close) {
        if (outcome.reply) conn.socket.end();
        else conn.socket.destroy();
      }
    };
    if (outcome.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, outcome.delayMs);
      this.timers.add(timer);
    } else {
      send();
    }
  }

  /**
   * Starts the public-network front (HTTPS, cup8583.md §1.2) beside the TCP port, presenting
   * `identity`; when it already runs, it presents `identity` from now on. `baseline`: the lab's own
   * front (restorePublicNetwork() keeps it and goes back to this certificate); else a case's, which
   * restorePublicNetwork() stops.
   */
  async startPublicNetwork(
    identity: TlsIdentity,
    opts: { port?: number; bind?: string; path?: string; baseline?: boolean } = {},
  ): Promise<PublicNetworkFront> {
    if (this.stopped) throw new HostStartError('the host is stopped: cannot start its HTTPS front', {});
    if (this.front) {
      this.front.useCertificate(identity);
    } else {
      this.front = await PublicNetworkFront.start({
        identity,
        port: opts.port,
        bind: opts.bind ?? this.bind,
        path: opts.path,
        logger: this.logger,
        maxBodyBytes: this.options.maxFrameBytes + 2,
        maxConnections: this.options.maxConnections,
        submit: (frame, remote) =>
          new Promise<FrameOutcome>((resolve, reject) =>
            this.enqueueFrame({ remote, frame, deliver: resolve, drop: () => reject(new Error('the host database commit failed')) }),
          ),
      });
    }
    if (opts.baseline) this.frontBaseline = identity;
    return this.front;
  }

  /** The HTTPS front when one runs. */
  get publicNetwork(): PublicNetworkFront | undefined {
    return this.front;
  }

  /** Back to the lab's baseline: its own front with its own certificate, or no front at all. */
  async restorePublicNetwork(): Promise<void> {
    if (!this.front) return;
    if (this.frontBaseline) {
      if (this.front.certificate !== this.frontBaseline.label) this.front.useCertificate(this.frontBaseline);
      return;
    }
    const front = this.front;
    this.front = undefined;
    await front.stop();
  }

  /** Number of open terminal connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Close the listener, every connection and the database. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.socket.destroy();
    this.connections.clear();
    await closed;
    if (this.front) await this.front.stop();
    this.front = undefined;
    if (this.admin) await this.admin.close();
    this.store.close();
  }
}
