// What the end-to-end tests of the real path share: `poscert` run as a user runs it (a child process,
// never rejecting: the exit code is the result), standalone `poscert emulator` processes on socat PTY
// pairs (the stand-in for a real terminal on a cable), and one teardown that stops everything started,
// also when a test failed.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PtyPair, Ser2netInstance, startPtyPair, startSer2net, stopProcess, waitFor } from '../../../links/testbeds';

export const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'poscert.js');
/**
 * As certify uses for the built-in emulator: it adds no delays, so a screen missing after 3 s will not
 * come. The TTP reply timeout is longer: the standalone terminal is a process of its own competing for
 * the CPU with the test files running beside it, and one reply late by more than 3 s (the first hello
 * of a run, once, in a loaded CI run) left every case of that run broken. A reply that comes is never
 * waited for, so this costs nothing when the terminal answers.
 */
export const SHORT_TIMEOUTS = { POSCERT_SCREEN_TIMEOUT_MS: '3000', POSCERT_HOST_TIMEOUT_MS: '1500', POSCERT_TTP_TIMEOUT_MS: '10000' };

export interface Run {
  code: number | null;
  out: string;
  ms: number;
}
export interface StandaloneTerminal {
  harnessEnd: string;
  proc: ChildProcess;
  log: () => string;
}

export class StandaloneBench {
  readonly work: string;
  private readonly processes: ChildProcess[] = [];
  private readonly pairs: PtyPair[] = [];
  private readonly ser2nets: Ser2netInstance[] = [];

  constructor(prefix: string) {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }

  /** Runs `poscert ARGS` with short timeouts; never rejects (the exit code is the result). */
  poscert(args: string[], timeoutMs: number): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: { ...process.env, ...SHORT_TIMEOUTS },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.processes.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const timer = setTimeout(() => {
        out += `\n(test: killed after ${timeoutMs} ms)`;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out, ms: Date.now() - started });
      });
    });
  }

  /** A standalone terminal: `poscert emulator` on one end of a fresh socat pair; the harness opens `harnessEnd`. */
  async startTerminal(name: string, o: { terminalId: string; hostPort: number; extra?: string[] }): Promise<StandaloneTerminal> {
    const pair = await startPtyPair();
    this.pairs.push(pair);
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'emulator',
        '--link',
        `serial:${pair.a}`,
        '--host',
        `tcp://127.0.0.1:${o.hostPort}`,
        '--state',
        path.join(this.work, `${name}.json`),
        '--terminal-id',
        o.terminalId,
        '--host-timeout',
        '1500',
        ...(o.extra ?? []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.processes.push(proc);
    let log = '';
    proc.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
    });
    await waitFor(
      () => /serving TTP on/.test(log),
      30_000,
      `poscert emulator ${name}`,
      proc,
      () => log,
    );
    return { harnessEnd: pair.b, proc, log: () => log };
  }

  /** ser2net exporting a serial end (raw or RFC 2217), stopped with the bench. */
  async ser2net(device: string, kind: Parameters<typeof startSer2net>[1]): Promise<Ser2netInstance> {
    const s = await startSer2net(device, kind);
    this.ser2nets.push(s);
    return s;
  }

  /** Everything this bench started: processes, ser2net, socat; then its files. */
  async stop(): Promise<void> {
    for (const p of this.processes) await stopProcess(p).catch(() => undefined);
    for (const s of this.ser2nets) await s.stop().catch(() => undefined);
    for (const p of this.pairs) await p.stop().catch(() => undefined);
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
