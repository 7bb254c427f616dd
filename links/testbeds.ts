/**
 * Real serial plumbing for tests and benches: a socat PTY pair, and ser2net in front of a PTY.
 * Both start real processes; stop() kills them by pid and waits for their exit.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PoscertError } from '../errors';

export class TestbedError extends PoscertError {}

/** Absolute path of an executable on PATH (plus sbin dirs, where Debian puts ser2net), or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string, proc?: ChildProcess, stderr?: () => string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (proc && proc.exitCode !== null)
      throw new TestbedError('testbed-exited', `${what}: process exited with ${proc.exitCode}: ${stderr?.() ?? ''}`);
    if (Date.now() - start > timeoutMs) throw new TestbedError('testbed-timeout', `${what} not ready within ${timeoutMs} ms: ${stderr?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** SIGTERM, SIGKILL after 1 s if still alive; resolves when the process has exited. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }, 1000);
  await exited;
  clearTimeout(timer);
}

export interface PtyPair {
  /** The two ends (symbolic links to /dev/pts/N). */
  a: string;
  b: string;
  pid: number;
  stop(): Promise<void>;
}

let counter = 0;
function uniqueBase(tag: string): string {
  return path.join(os.tmpdir(), `poscert-${tag}-${process.pid}-${Date.now().toString(36)}-${counter++}`);
}

/** socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B — a null-modem cable between two PTYs. */
export async function startPtyPair(options: { timeoutMs?: number } = {}): Promise<PtyPair> {
  const socat = findExecutable('socat');
  if (!socat) throw new TestbedError('testbed-missing', 'socat is not installed (apt-get install socat)');
  const base = uniqueBase('pty');
  const a = `${base}-a`;
  const b = `${base}-b`;
  for (const p of [a, b]) fs.rmSync(p, { force: true });
  const proc = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const stop = async (): Promise<void> => {
    await stopProcess(proc);
    for (const p of [a, b]) fs.rmSync(p, { force: true });
  };
  try {
    // socat logs "starting data transfer loop" once both PTYs exist.
    await waitFor(
      () => fs.existsSync(a) && fs.existsSync(b) && /starting data transfer loop/.test(err),
      options.timeoutMs ?? 5000,
      'socat PTY pair',
      proc,
      () => err,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { a, b, pid: proc.pid!, stop };
}

export interface Ser2netInstance {
  port: number;
  pid: number;
  configFile: string;
  stop(): Promise<void>;
}

/**
 * ser2net 4.x in front of `device`: `mode` 'raw' (tcp accepter) or 'rfc2217' (telnet(rfc2217)).
 * Writes a YAML config to a temp dir and runs `ser2net -n -d -u -c FILE -P PIDFILE`.
 */
export async function startSer2net(
  device: string,
  mode: 'raw' | 'rfc2217',
  options: { port?: number; timeoutMs?: number } = {},
): Promise<Ser2netInstance> {
  const bin = findExecutable('ser2net');
  if (!bin) throw new TestbedError('testbed-missing', 'ser2net is not installed (apt-get install ser2net)');
  const port = options.port ?? (await freeTcpPort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-ser2net-'));
  const configFile = path.join(dir, 'ser2net.yaml');
  const accepter = mode === 'raw' ? `tcp(nodelay),127.0.0.1,${port}` : `telnet(rfc2217),tcp(nodelay),127.0.0.1,${port}`;
  fs.writeFileSync(
    configFile,
    [
      '%YAML 1.1',
      '---',
      'connection: &poscert',
      `  accepter: ${accepter}`,
      `  connector: serialdev,${device},115200n81,local`,
      '  enable: on',
      '  options:',
      '    kickolduser: true',
      '',
    ].join('\n'),
  );
  const proc = spawn(bin, ['-n', '-d', '-u', '-c', configFile, '-P', path.join(dir, 'ser2net.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const stop = async (): Promise<void> => {
    await stopProcess(proc);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const start = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new TestbedError('testbed-exited', `ser2net exited with ${proc.exitCode}: ${out}`);
      if (await canConnect(port)) break;
      if (Date.now() - start > (options.timeoutMs ?? 5000)) throw new TestbedError('testbed-timeout', `ser2net did not listen on ${port}: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, pid: proc.pid!, configFile, stop };
}

async function canConnect(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A TCP port free right now on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
