/**
 * Real processes for link tests and benchmarks: a socat PTY pair (the serial cable) and Debian's
 * ser2net in front of a PTY (the rack host). Every start has a stop that kills by PID and waits
 * for the exit; nothing is left behind. A missing binary is reported, not papered over.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable, freeTcpPort, startPtyPair, stopProcess, waitFor, type PtyPair } from '../../../links/testbeds';

export { freeTcpPort, type PtyPair };
/** Absolute path of a program (PATH plus the sbin directories, where Debian puts ser2net). */
export const findBinary = findExecutable;

/** Why a link kind cannot be tested here, or undefined when it can. */
export function missingBinaries(names: string[]): string | undefined {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return undefined;
  return `${missing.join(' and ')} not installed on this machine (apt-get install ${missing.join(' ')}; .ci/run installs them so CI never skips)`;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `poscert-${prefix}-`));
}

/** A socat PTY pair (links/testbeds startPtyPair); `dir` is kept for callers that group their files. */
export function startSocatPty(_dir?: string): Promise<PtyPair> {
  return startPtyPair();
}

/** True when something listens on 127.0.0.1:port (from /proc/net/tcp: no connection is made). */
export function isListening(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 3 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') return true;
    }
  }
  return false;
}

export interface Ser2netInstance {
  rawPort: number;
  telnetPort: number;
  configFile: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * chardelay is off: by default ser2net holds serial input back for a few character times to
 * gather it into bigger TCP writes, which adds latency per TTP frame/ACK turn.
 *
 * ser2net 4 (YAML config written to `dir`) with two accepters on the same device: a raw TCP port
 * (tcp://) and a telnet RFC 2217 port (rfc2217://). Runs in the foreground (-n) so that it is our
 * child and dies with the test.
 */
export async function startSer2net(dir: string, device: string, opts: { baud?: number } = {}): Promise<Ser2netInstance> {
  const ser2net = findBinary('ser2net');
  if (!ser2net) throw new Error(missingBinaries(['ser2net']));
  const rawPort = await freeTcpPort();
  let telnetPort = await freeTcpPort();
  while (telnetPort === rawPort) telnetPort = await freeTcpPort();
  const baud = opts.baud ?? 115200;
  const configFile = path.join(dir, 'ser2net.yaml');
  fs.writeFileSync(
    configFile,
    [
      '%YAML 1.1',
      '---',
      '# written by poscert tests; one device, two accepters',
      'define: &dev serialdev,' + device + `,${baud}n81,local`,
      '',
      'connection: &raw',
      `  accepter: tcp(nodelay=true),127.0.0.1,${rawPort}`,
      '  connector: *dev',
      '  options:',
      '    kickolduser: true',
      '    chardelay: false',
      '',
      'connection: &rfc2217',
      `  accepter: telnet(rfc2217),tcp(nodelay=true),127.0.0.1,${telnetPort}`,
      '  connector: *dev',
      '  options:',
      '    kickolduser: true',
      '    chardelay: false',
      '',
    ].join('\n'),
  );
  const proc = spawn(ser2net, ['-n', '-d', '-c', configFile, '-P', path.join(dir, 'ser2net.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => {
    stderr += d;
  });
  await waitFor(
    () => isListening(rawPort) && isListening(telnetPort),
    5000,
    'ser2net',
    proc,
    () => stderr,
  );
  return { rawPort, telnetPort, configFile, pid: proc.pid!, stop: () => stopProcess(proc) };
}
