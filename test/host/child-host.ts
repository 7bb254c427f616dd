/**
 * Runs `poscert host` as a child process that can be SIGKILLed, quickly: the sources the command
 * needs are transpiled once (TypeScript's transpileModule, as ts-node does) into a temporary folder,
 * so each (re)start costs a plain `node` start instead of loading the TypeScript compiler again.
 * The code run is the same cli/commands/host.ts, host/, protocol/ and crypto/ of the checkout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const SOURCES = ['errors.ts', 'host', 'protocol', 'crypto', path.join('cli', 'commands', 'host.ts')];

let compiled: string | undefined;

function transpile(rel: string, outRoot: string): void {
  const abs = path.join(ROOT, rel);
  if (fs.statSync(abs).isDirectory()) {
    for (const e of fs.readdirSync(abs)) transpile(path.join(rel, e), outRoot);
    return;
  }
  if (!rel.endsWith('.ts') || rel.endsWith('.d.ts')) return;
  const out = ts.transpileModule(fs.readFileSync(abs, 'utf8'), {
    fileName: abs,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
  });
  const dest = path.join(outRoot, rel.replace(/\.ts$/, '.js'));
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, out.outputText);
}

/** The transpiled tree (made once per test process, removed at exit). */
export function compiledHostEntry(): string {
  if (!compiled) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-host-js-'));
    for (const s of SOURCES) transpile(s, dir);
    // config.ts defaults the config folder relative to itself: point it at the checkout's scenarios/.
    fs.symlinkSync(path.join(ROOT, 'scenarios'), path.join(dir, 'scenarios'));
    const entry = path.join(dir, 'host-main.js');
    fs.writeFileSync(
      entry,
      "require('./cli/commands/host').run(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 3; });\n",
    );
    compiled = dir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return path.join(compiled, 'host-main.js');
}

export interface HostProcess {
  child: ChildProcess;
  port: number;
  adminPort?: number;
  stdout: string[];
  stderr: string[];
}

/** Starts the standalone host on an ephemeral port; resolves when it prints `ready port=N`. */
export function startHostProcess(args: string[], options: { viaCli?: boolean; timeoutMs?: number } = {}): Promise<HostProcess> {
  return new Promise((resolve, reject) => {
    const argv = options.viaCli ? [path.join(ROOT, 'bin', 'poscert.js'), 'host', ...args] : [compiledHostEntry(), ...args];
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`host did not start in time: ${stderr.join('')}`));
    }, options.timeoutMs ?? 30_000);
    child.stderr!.on('data', (d) => stderr.push(String(d)));
    child.stdout!.on('data', (d) => {
      stdout.push(String(d));
      out += String(d);
      const m = /ready port=(\d+)(?: admin=(\d+))?/.exec(out);
      if (m && timer) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), adminPort: m[2] ? Number(m[2]) : undefined, stdout, stderr });
        out = '';
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${code ?? signal}) before it was ready: ${stderr.join('')}`));
    });
  });
}

export function killHard(p: HostProcess): Promise<void> {
  return stopProcess(p, 'SIGKILL');
}

export function stopProcess(p: HostProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.removeAllListeners('exit');
    p.child.once('exit', () => resolve());
    p.child.kill(signal);
  });
}
