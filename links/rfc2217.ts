/**
 * rfc2217://host:port — a serial port exported over telnet with the COM-PORT-OPTION (RFC 2217),
 * as ser2net's `telnet(rfc2217)` accepter and labgrid export it. Data bytes 0xFF are doubled
 * (IAC IAC) both ways; the client sets baud rate, data bits, parity, stop bits and flow control
 * and waits for the server to confirm each before open() resolves.
 */
import { LinkError, LinkTimeoutError } from './errors';
import type { LinkAddress, LinkKind } from './registry';
import { SocketLink, TcpLinkOptions, connectSocket } from './tcp';
import { SerialSettings, parseHostPort, parseSerialQuery, splitQuery, stripSlashes } from './url';

export const TELNET = {
  IAC: 255,
  DONT: 254,
  DO: 253,
  WONT: 252,
  WILL: 251,
  SB: 250,
  GA: 249,
  NOP: 241,
  SE: 240,
  OPT_BINARY: 0,
  OPT_SGA: 3,
  OPT_COM_PORT: 44,
} as const;

/** RFC 2217 client-to-server command codes; the server answers with code + 100. */
export const COM_PORT = {
  SIGNATURE: 0,
  SET_BAUDRATE: 1,
  SET_DATASIZE: 2,
  SET_PARITY: 3,
  SET_STOPSIZE: 4,
  SET_CONTROL: 5,
  NOTIFY_LINESTATE: 6,
  NOTIFY_MODEMSTATE: 7,
  FLOWCONTROL_SUSPEND: 8,
  FLOWCONTROL_RESUME: 9,
  SET_LINESTATE_MASK: 10,
  SET_MODEMSTATE_MASK: 11,
  PURGE_DATA: 12,
  SERVER_OFFSET: 100,
} as const;

const PARITY_CODE: Record<SerialSettings['parity'], number> = { none: 1, odd: 2, even: 3, mark: 4, space: 5 };
const STOPSIZE_CODE: Record<string, number> = { '1': 1, '2': 2, '1.5': 3 };

/** Escape data for the telnet stream: every 0xFF becomes 0xFF 0xFF. */
export function telnetEscape(bytes: Uint8Array): Buffer {
  let count = 0;
  for (const b of bytes) if (b === TELNET.IAC) count++;
  if (count === 0) return Buffer.from(bytes);
  const out = Buffer.alloc(bytes.length + count);
  let j = 0;
  for (const b of bytes) {
    out[j++] = b;
    if (b === TELNET.IAC) out[j++] = b;
  }
  return out;
}

export type TelnetItem =
  | { kind: 'data'; bytes: Buffer }
  | { kind: 'negotiation'; verb: number; option: number }
  | { kind: 'subnegotiation'; option: number; payload: Buffer }
  | { kind: 'command'; code: number };

/** Push parser for a telnet byte stream (data split anywhere, including inside IAC sequences). */
export class TelnetParser {
  private state: 'data' | 'iac' | 'verb' | 'sb-option' | 'sb' | 'sb-iac' = 'data';
  private verb = 0;
  private sbOption = 0;
  private sb: number[] = [];

  push(chunk: Uint8Array): TelnetItem[] {
    const out: TelnetItem[] = [];
    let data: number[] = [];
    const flush = (): void => {
      if (data.length) {
        out.push({ kind: 'data', bytes: Buffer.from(data) });
        data = [];
      }
    };
    for (const b of chunk) {
      switch (this.state) {
        case 'data':
          if (b === TELNET.IAC) this.state = 'iac';
          else data.push(b);
          break;
        case 'iac':
          if (b === TELNET.IAC) {
            data.push(b);
            this.state = 'data';
          } else if (b === TELNET.DO || b === TELNET.DONT || b === TELNET.WILL || b === TELNET.WONT) {
            this.verb = b;
            this.state = 'verb';
          } else if (b === TELNET.SB) {
            this.state = 'sb-option';
          } else {
            flush();
            out.push({ kind: 'command', code: b });
            this.state = 'data';
          }
          break;
        case 'verb':
          flush();
          out.push({ kind: 'negotiation', verb: this.verb, option: b });
          this.state = 'data';
          break;
        case 'sb-option':
          this.sbOption = b;
          this.sb = [];
          this.state = 'sb';
          break;
        case 'sb':
          if (b === TELNET.IAC) this.state = 'sb-iac';
          else this.sb.push(b);
          break;
        case 'sb-iac':
          if (b === TELNET.IAC) {
            this.sb.push(b);
            this.state = 'sb';
          } else if (b === TELNET.SE) {
            flush();
            out.push({ kind: 'subnegotiation', option: this.sbOption, payload: Buffer.from(this.sb) });
            this.state = 'data';
          } else {
            this.sb.push(b);
            this.state = 'sb';
          } // malformed; keep the byte, RFC 854 says be lenient
          break;
      }
    }
    flush();
    return out;
  }
}

/** Encode IAC SB COM-PORT-OPTION <command> <value (IAC-escaped)> IAC SE. */
export function comPortSubnegotiation(command: number, value: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([TELNET.IAC, TELNET.SB, TELNET.OPT_COM_PORT, command]),
    telnetEscape(value),
    Buffer.from([TELNET.IAC, TELNET.SE]),
  ]);
}

export interface Rfc2217Options extends TcpLinkOptions {
  /** Wait this long for the server to accept COM-PORT-OPTION and confirm each setting (default 3000 ms). */
  negotiationTimeoutMs?: number;
}

/** The server answered, but not what we asked (it refused RFC 2217 or set another baud rate). */
export class LinkNegotiationError extends LinkError {
  constructor(url: string, message: string, context: Record<string, unknown> = {}) {
    super('link-negotiation-failed', url, message, context);
  }
}

const LOCAL_OPTIONS = new Set<number>([TELNET.OPT_BINARY, TELNET.OPT_SGA, TELNET.OPT_COM_PORT]);
const REMOTE_OPTIONS = new Set<number>([TELNET.OPT_BINARY, TELNET.OPT_SGA]);

export class Rfc2217Link extends SocketLink {
  private parser = new TelnetParser();
  private readonly weWill = new Set<number>();
  private readonly theyWill = new Set<number>();
  private readonly refused = new Set<string>();
  /** Settings the server confirmed, keyed by the server's command code (code + 100). */
  readonly confirmed = new Map<number, Buffer>();
  private waiter?: () => void;
  private comPortRefused = false;

  constructor(
    url: string,
    readonly host: string,
    readonly port: number,
    readonly settings: SerialSettings,
    private readonly options: Rfc2217Options = {},
  ) {
    super(url);
  }

  override async open(): Promise<void> {
    if (this.isOpen) return;
    const socket = await connectSocket(this.url, this.host, this.port, this.options.connectTimeoutMs ?? 5000);
    this.parser = new TelnetParser();
    this.weWill.clear();
    this.theyWill.clear();
    this.refused.clear();
    this.confirmed.clear();
    this.comPortRefused = false;
    this.attach(socket);
    try {
      await this.negotiate();
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  private async negotiate(): Promise<void> {
    const { IAC, WILL, DO, OPT_BINARY, OPT_SGA, OPT_COM_PORT } = TELNET;
    for (const o of [OPT_BINARY, OPT_SGA, OPT_COM_PORT]) this.weWill.add(o);
    for (const o of [OPT_BINARY, OPT_SGA]) this.theyWill.add(o);
    await this.writeSocket(Buffer.from([IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY, IAC, WILL, OPT_SGA, IAC, DO, OPT_SGA, IAC, WILL, OPT_COM_PORT]));
    const s = this.settings;
    const baud = Buffer.alloc(4);
    baud.writeUInt32BE(s.baudRate);
    const requests: Array<[number, Buffer]> = [
      [COM_PORT.SET_BAUDRATE, baud],
      [COM_PORT.SET_DATASIZE, Buffer.from([s.dataBits])],
      [COM_PORT.SET_PARITY, Buffer.from([PARITY_CODE[s.parity]])],
      [COM_PORT.SET_STOPSIZE, Buffer.from([STOPSIZE_CODE[String(s.stopBits)]])],
      [COM_PORT.SET_CONTROL, Buffer.from([s.rtscts ? 3 : 1])],
    ];
    await this.writeSocket(Buffer.concat(requests.map(([c, v]) => comPortSubnegotiation(c, v))));
    const timeoutMs = this.options.negotiationTimeoutMs ?? 3000;
    const done = (): boolean => this.comPortRefused || requests.every(([c]) => this.confirmed.has(c + COM_PORT.SERVER_OFFSET));
    if (!done()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          const missing = requests.filter(([c]) => !this.confirmed.has(c + COM_PORT.SERVER_OFFSET)).map(([c]) => c);
          reject(
            new LinkTimeoutError(
              this.url,
              `telnet server at ${this.host}:${this.port} did not confirm the RFC 2217 serial settings within ${timeoutMs} ms (missing commands ${missing.join(', ')}); is this a telnet(rfc2217) accepter? For a raw ser2net port use tcp:// instead`,
              { missing },
            ),
          );
        }, timeoutMs);
        this.waiter = () => {
          if (done()) {
            clearTimeout(timer);
            this.waiter = undefined;
            resolve();
          }
        };
        this.once('close', () => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(
            new LinkNegotiationError(
              this.url,
              `telnet server at ${this.host}:${this.port} closed the connection during RFC 2217 negotiation (port in use by another client?)`,
            ),
          );
        });
      });
    }
    if (this.comPortRefused) {
      throw new LinkNegotiationError(
        this.url,
        `telnet server at ${this.host}:${this.port} refuses COM-PORT-OPTION (RFC 2217), so baud rate and framing cannot be set; enable it (ser2net: accepter telnet(rfc2217),...) or use tcp:// for a raw port`,
      );
    }
    // The server answers each setting with the value now in force; anything else means the
    // port runs with other framing than the URL says, and every byte would be garbled.
    const names: Record<number, string> = {
      [COM_PORT.SET_BAUDRATE]: 'baud rate',
      [COM_PORT.SET_DATASIZE]: 'data bits',
      [COM_PORT.SET_PARITY]: 'parity',
      [COM_PORT.SET_STOPSIZE]: 'stop bits',
      [COM_PORT.SET_CONTROL]: 'flow control',
    };
    for (const [command, wanted] of requests) {
      const got = this.confirmed.get(command + COM_PORT.SERVER_OFFSET);
      if (!got || got.equals(wanted)) continue;
      const show = (b: Buffer): number => (b.length >= 4 ? b.readUInt32BE(0) : b[0]);
      throw new LinkNegotiationError(
        this.url,
        `server set ${names[command]} to ${show(got)} instead of the requested ${show(wanted)}; the serial adapter behind ${this.host}:${this.port} may not support it`,
        { setting: names[command], requested: show(wanted), got: show(got) },
      );
    }
  }

  protected override onSocketData(bytes: Buffer): void {
    for (const item of this.parser.push(bytes)) {
      switch (item.kind) {
        case 'data':
          this.deliver(item.bytes);
          break;
        case 'negotiation':
          this.onNegotiation(item.verb, item.option);
          break;
        case 'subnegotiation':
          if (item.option === TELNET.OPT_COM_PORT && item.payload.length >= 1) {
            this.confirmed.set(item.payload[0], item.payload.subarray(1));
            this.waiter?.();
          }
          break;
        case 'command':
          break; // NOP, GA, ...: nothing to do
      }
    }
  }

  private onNegotiation(verb: number, option: number): void {
    const { IAC, DO, DONT, WILL, WONT } = TELNET;
    const send = (v: number): void => {
      const key = `${v}:${option}`;
      if ((v === WONT || v === DONT) && this.refused.has(key)) return; // refuse once, avoid loops
      if (v === WONT || v === DONT) this.refused.add(key);
      void this.writeSocket(Buffer.from([IAC, v, option])).catch(() => undefined);
    };
    if (verb === DO) {
      if (LOCAL_OPTIONS.has(option)) {
        if (!this.weWill.has(option)) {
          this.weWill.add(option);
          send(WILL);
        }
      } else send(WONT);
    } else if (verb === DONT) {
      if (option === TELNET.OPT_COM_PORT) {
        this.comPortRefused = true;
        this.waiter?.();
      }
      if (this.weWill.delete(option)) send(WONT);
    } else if (verb === WILL) {
      if (REMOTE_OPTIONS.has(option)) {
        if (!this.theyWill.has(option)) {
          this.theyWill.add(option);
          send(DO);
        }
      } else send(DONT);
    } else if (verb === WONT) {
      if (this.theyWill.delete(option)) send(DONT);
    }
  }

  override async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen('write');
    await this.writeSocket(telnetEscape(bytes));
  }
}

export interface Rfc2217Address extends LinkAddress {
  kind: 'rfc2217';
  host: string;
  port: number;
  settings: SerialSettings;
}

/** rfc2217://HOST:PORT?baud=… (telnet:// too) — the harness connects and sets the serial line. */
const rfc2217Kind: LinkKind<Rfc2217Address> = {
  name: 'rfc2217',
  listOrder: 30,
  schemes: ['rfc2217', 'telnet'],
  forms: ['rfc2217://HOST:PORT?baud=115200&parity=none&databits=8&stopbits=1 (telnet / RFC 2217)'],
  parse(url, rest) {
    const [hostPort, query] = splitQuery(stripSlashes(url, rest));
    const { host, port } = parseHostPort(url, hostPort, true);
    return { kind: 'rfc2217', url, host, port, settings: parseSerialQuery(url, query, ['baud', 'parity', 'databits', 'stopbits', 'rtscts']) };
  },
  open: (a, options) =>
    new Rfc2217Link(a.url, a.host, a.port, a.settings, {
      connectTimeoutMs: options.connectTimeoutMs,
      negotiationTimeoutMs: options.negotiationTimeoutMs,
    }),
};

export const rfc2217LinkKinds: readonly LinkKind[] = [rfc2217Kind];
