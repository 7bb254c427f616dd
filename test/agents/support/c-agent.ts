/**
 * Test support for the C agent: build it with make (into agents/c/build, git-ignored) and run one
 * of its demo firmware binaries on a PTY end, stopping it by pid afterwards.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stopProcess, waitFor } from '../../../links/testbeds';
import { missingBinaries } from '../../drivers/support/lab-processes';

const root = path.join(__dirname, '..', '..', '..');
export const AGENT_DIR = path.join(root, 'agents', 'c');
export const AGENT_BUILD = path.join(AGENT_DIR, 'build');

/** Why the C agent cannot be built and run here (undefined when it can). .ci/run installs cc and make; flock is util-linux (always on Debian). */
export const agentSkip = missingBinaries(['cc', 'make', 'flock', 'socat']);

/**
 * make -C agents/c into agents/c/build; throws with the compiler's output on failure. The test
 * files run in parallel and both build: flock(1) makes the second wait for the first, whose
 * build it then finds up to date.
 */
export function buildAgent(): void {
  fs.mkdirSync(AGENT_BUILD, { recursive: true });
  const r = spawnSync('flock', [path.join(AGENT_BUILD, '.build-lock'), 'make', '-s', '-j2', '-C', AGENT_DIR, `BUILD=${AGENT_BUILD}`], {
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`cannot run make (via flock) for agents/c: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`make -C agents/c failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export interface RunningDemo {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a demo firmware binary (ttp-demo, ttp-demo-broken-lrc, ...) on `tty`; resolves once it serves TTP. */
export async function startDemo(binary: string, tty: string): Promise<RunningDemo> {
  const proc = spawn(path.join(AGENT_BUILD, binary), [tty], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const stop = () => stopProcess(proc);
  try {
    await waitFor(
      () => out.includes('serving TTP'),
      5000,
      binary,
      proc,
      () => out,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { proc, output: () => out, stop };
}
