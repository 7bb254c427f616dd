/**
 * serial:/dev/... — a local serial device (USB-serial cable, or a PTY in tests) through
 * node-serialport. Failures to open are diagnosed from the file system, never with
 * SerialPort.list() (it spawns udevadm, absent on lab PCs and CI images).
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SerialPort } from 'serialport';
import { LinkBusyError, LinkDownError, LinkError, LinkNotFoundError, LinkPermissionError, LinkUrlError } from './errors';
import { BaseLink, ByteLink, LinkListener } from './types';
import type { LinkAddress, LinkKind } from './registry';
import { SerialSettings, parseSerialQuery, splitQuery } from './url';

/** Serial devices a user may have meant: /dev/serial/by-id/* (with targets), /dev/tty{USB,ACM,S}*. */
export function listSerialCandidates(devDir = '/dev'): string[] {
  const out: string[] = [];
  const byId = path.join(devDir, 'serial', 'by-id');
  try {
    for (const name of fs.readdirSync(byId).sort()) {
      const p = path.join(byId, name);
      let target = '';
      try {
        target = fs.realpathSync(p);
      } catch {
        /* dangling */
      }
      out.push(target ? `${p} -> ${target}` : p);
    }
  } catch {
    /* no by-id directory: no udev, or no USB serial devices */
  }
  try {
    const names = fs.readdirSync(devDir).filter((n) => /^tty(USB|ACM|S)\d+$/.test(n));
    names.sort((a, b) => {
      const ka = a.replace(/\d+$/, '');
      const kb = b.replace(/\d+$/, '');
      return ka === kb ? Number(a.slice(ka.length)) - Number(b.slice(kb.length)) : ka.localeCompare(kb);
    });
    for (const n of names) out.push(path.join(devDir, n));
  } catch {
    /* unreadable /dev */
  }
  return out;
}

function groupName(gid: number, groupFile = '/etc/group'): string | undefined {
  try {
    for (const line of fs.readFileSync(groupFile, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && Number(id) === gid) return name;
    }
  } catch {
    /* no /etc/group */
  }
  return undefined;
}

/** Processes holding `device` open, from /proc (Linux); empty when it cannot be told. */
export function findDeviceHolders(device: string): Array<{ pid: number; command: string }> {
  let real: string;
  try {
    real = fs.realpathSync(device);
  } catch {
    return [];
  }
  const holders: Array<{ pid: number; command: string }> = [];
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target === real) {
        let command = '?';
        try {
          command = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          /* gone */
        }
        holders.push({ pid: Number(pid), command });
        break;
      }
    }
  }
  return holders;
}

/**
 * Turn an open() failure into the error that tells the user what to do. `err` is what
 * serialport (or fs) reported.
 */
export function diagnoseSerialOpenError(url: string, device: string, err: Error & { code?: string }): LinkError {
  const text = `${err.code ?? ''} ${err.message}`;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(device);
  } catch {
    /* missing or dangling link */
  }
  if (!st || /ENOENT|No such file/i.test(text)) {
    const candidates = listSerialCandidates();
    const dangling = (() => {
      try {
        return fs.lstatSync(device).isSymbolicLink();
      } catch {
        return false;
      }
    })();
    return new LinkNotFoundError(
      url,
      `serial device ${device} does not exist${dangling ? ' (it is a symbolic link whose target is gone: was the adapter unplugged, or did socat exit?)' : ''}; ` +
        (candidates.length
          ? `serial devices present: ${candidates.slice(0, 12).join(', ')}${candidates.length > 12 ? `, ... (${candidates.length} in all)` : ''}`
          : 'no serial devices found under /dev/serial/by-id or /dev/tty{USB,ACM,S}*: is the USB-serial adapter plugged in?'),
      candidates,
      { device },
    );
  }
  if (/EACCES|EPERM|Permission denied/i.test(text)) {
    const group = groupName(st.gid);
    const user = process.env.USER ?? process.env.LOGNAME ?? 'this user';
    return new LinkPermissionError(
      url,
      `permission denied opening ${device} (owner uid ${st.uid}, group ${group ?? st.gid}, mode ${(st.mode & 0o777).toString(8)}); ` +
        (group
          ? `add ${user} to group '${group}' (sudo usermod -aG ${group} ${user}) and log in again`
          : 'give this user read/write access to the device'),
      group,
      { device, gid: st.gid, mode: st.mode & 0o777 },
    );
  }
  if (/lock|EBUSY|busy|Resource temporarily unavailable|EAGAIN/i.test(text)) {
    const holders = findDeviceHolders(device);
    return new LinkBusyError(
      url,
      `serial device ${device} is in use` +
        (holders.length ? ` by ${holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')}` : ' by another program (or another poscert worker)') +
        '; close it there, or give each worker its own terminal',
      { device, holders },
    );
  }
  if (!st.isCharacterDevice()) {
    return new LinkNotFoundError(url, `${device} is not a serial device (not a character device); check the path`, [], { device });
  }
  return new LinkDownError(url, `cannot open ${device}: ${err.message}`, { device, errno: err.code });
}

/** How often an open serial link checks that its device node still exists. */
export const SERIAL_WATCHDOG_MS = 250;

export class SerialLink extends BaseLink {
  private port?: SerialPort;
  private closing = false;
  private lostDevice = false;

  constructor(
    url: string,
    readonly device: string,
    readonly settings: SerialSettings,
  ) {
    super(url);
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const s = this.settings;
    // Fail fast with a precise message when the path is missing, before the native binding tries.
    if (!fs.existsSync(this.device))
      throw diagnoseSerialOpenError(this.url, this.device, Object.assign(new Error('No such file or directory'), { code: 'ENOENT' }));
    const port = new SerialPort({
      path: this.device,
      baudRate: s.baudRate,
      dataBits: s.dataBits,
      parity: s.parity,
      stopBits: s.stopBits,
      rtscts: s.rtscts,
      autoOpen: false,
      lock: true,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(diagnoseSerialOpenError(this.url, this.device, err)) : resolve()));
    });
    this.port = port;
    this.closing = false;
    port.on('data', (b: Buffer) => this.deliver(b));
    let lastError: Error | undefined;
    port.on('error', (err: Error) => {
      lastError = err;
    });
    // A PTY whose socat exited, or an idle unplugged adapter, may never raise an error on the
    // open descriptor until the next write: watch the device node itself.
    const real = fs.realpathSync(this.device);
    const watchdog = setInterval(() => {
      fs.stat(real, (err) => {
        if (!err || this.closing || this.port !== port) return;
        clearInterval(watchdog);
        this.lostDevice = true;
        port.close(() => undefined);
      });
    }, SERIAL_WATCHDOG_MS);
    watchdog.unref();
    this.lostDevice = false;
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      clearInterval(watchdog);
      this.port = undefined;
      if (this.closing) {
        this.markClosed();
        return;
      }
      const cause: (Error & { disconnected?: boolean }) | undefined = err ?? lastError;
      this.markClosed(
        new LinkDownError(
          this.url,
          this.lostDevice || cause?.disconnected || /bad file descriptor|EIO|disconnected/i.test(cause?.message ?? '')
            ? `serial device ${this.device} disappeared (adapter unplugged, or the PTY's socat exited)`
            : `serial device ${this.device} closed: ${cause?.message ?? 'no reason given'}`,
          { device: this.device },
        ),
      );
    });
    this.markOpen();
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.assertOpen('write');
    const port = this.port!;
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => {
        if (err) reject(new LinkDownError(this.url, `write to ${this.device} failed: ${err.message}`, { device: this.device }));
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port || !this.isOpen) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      port.close(() => resolve());
    });
    this.markClosed();
  }
}

/** Terminal side of a serial device: opens it and offers it as the one connection. */
export class SerialLinkListener extends EventEmitter implements LinkListener {
  private link?: SerialLink;
  constructor(
    readonly url: string,
    private readonly device: string,
    private readonly settings: SerialSettings,
  ) {
    super();
  }

  async listen(): Promise<void> {
    const link = new SerialLink(this.url, this.device, this.settings);
    await link.open();
    this.link = link;
    // Emit after the caller had a chance to attach its 'connection' listener.
    setImmediate(() => this.emit('connection', link as ByteLink));
  }

  async close(): Promise<void> {
    await this.link?.close();
    this.link = undefined;
  }
}

export interface SerialAddress extends LinkAddress {
  kind: 'serial';
  path: string;
  settings: SerialSettings;
}

/** serial:/dev/... — the harness opens the device; on the terminal side the emulator listens on it. */
const serialKind: LinkKind<SerialAddress> = {
  name: 'serial',
  listOrder: 10,
  schemes: ['serial'],
  forms: ['serial:/dev/ttyUSB0?baud=115200&parity=none&databits=8&stopbits=1&rtscts=false'],
  parse(url, rest) {
    const [device, query] = splitQuery(rest);
    if (!device.startsWith('/')) throw new LinkUrlError(url, `serial device path must be absolute, e.g. serial:/dev/ttyUSB0 (got '${device}')`);
    return { kind: 'serial', url, path: device, settings: parseSerialQuery(url, query, ['baud', 'parity', 'databits', 'stopbits', 'rtscts']) };
  },
  open: (a) => new SerialLink(a.url, a.path, a.settings),
  async listen(a) {
    const l = new SerialLinkListener(a.url, a.path, a.settings);
    await l.listen();
    return l;
  },
};

export const serialLinkKinds: readonly LinkKind[] = [serialKind];
