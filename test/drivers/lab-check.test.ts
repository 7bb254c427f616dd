/**
 * `poscert lab check` against real ports: a working one (the emulator serving TTP on one end of a
 * socat PTY pair), a missing one, and a busy one (held by another process).
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runLab } from '../../cli/commands/lab';
import { freeTcpPort, makeTempDir, missingBinaries, PtyPair, startSocatPty } from './support/lab-processes';
import { EmulatedLab, startEmulatedLab } from '../../drivers/lab';

const root = path.join(__dirname, '..', '..');

async function labCheck(labText: string, dir: string, ...names: string[]): Promise<{ code: number; out: string; err: string }> {
  const file = path.join(dir, `lab-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, labText);
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => {
    o += d;
  });
  err.on('data', (d) => {
    e += d;
  });
  const code = await runLab(['check', '--lab', file, '--timeout', '1500', ...names], out, err);
  return { code, out: o, err: e };
}

/** node --test marks its children with NODE_TEST_CONTEXT; a helper process must not act as a test file. */
function plainNodeEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Another program holding the port (like minicom would): a child node process with the port open and locked. */
async function holdPort(device: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const { SerialPort } = require('serialport');
    const p = new SerialPort({ path: ${JSON.stringify(device)}, baudRate: 115200, lock: true }, (err) => {
      if (err) { console.log('error ' + err.message); process.exit(1); }
      console.log('HOLDING');
    });
    const keepAlive = setInterval(() => undefined, 1000); // an open port alone does not keep node running
    process.on('SIGTERM', () => { clearInterval(keepAlive); p.close(() => process.exit(0)); });
  `,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: plainNodeEnv() },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => (String(d).includes('HOLDING') ? resolve() : reject(new Error(String(d)))));
    child.once('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return child;
}

const skip = missingBinaries(['socat']);

describe('poscert lab check', { skip }, () => {
  let dir: string;
  let pty: PtyPair;
  before(async () => {
    dir = makeTempDir('labcheck');
    pty = await startSocatPty(dir);
  });
  after(async () => {
    await pty?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a working port: identity, firmware, capabilities and round-trip time (emulator on the other end of the PTY pair)', async () => {
    let lab: EmulatedLab | undefined;
    try {
      lab = await startEmulatedLab({ terminals: 1, terminalLinks: [`serial:${pty.b}`], harnessUrls: [`serial:${pty.a}`], connect: false });
      const r = await labCheck(
        `terminals:\n  counter-1:\n    link: serial:${pty.a}?baud=115200\n    vendor: poscert\n    capabilities: [contact, contactless, printer]\n`,
        dir,
      );
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.match(/OK\s+poscert EMU-\S+, serial number \S+/);
      expect(r.out).to.match(/firmware \S+, TTP 1\.\d/);
      expect(r.out).to.match(/capabilities: magstripe contact contactless printer pinpad/);
      expect(r.out).to.match(/round trip \(TTP screen\): median \d+(\.\d+)? ms/);
      expect(r.out).to.include('1 terminal(s) ready.');
    } finally {
      await lab?.stop();
    }
  });

  test('capabilities the lab file expects but the terminal lacks: reported, exit 1', async () => {
    let lab: EmulatedLab | undefined;
    try {
      lab = await startEmulatedLab({
        terminals: 1,
        terminalLinks: [`serial:${pty.b}`],
        harnessUrls: [`serial:${pty.a}`],
        connect: false,
        emulator: { capabilities: { contactless: false } },
      });
      const r = await labCheck(`terminals:\n  counter-1:\n    link: serial:${pty.a}\n    capabilities: [contactless]\n    model: X-900\n`, dir);
      expect(r.code).to.equal(1);
      expect(r.out).to.include('MISSING capabilities the lab file expects: contactless');
      expect(r.out).to.match(/MISMATCH: model is "EMU-\S+", the lab file says "X-900"/);
    } finally {
      await lab?.stop();
    }
  });

  test('the shipped emulator entry works (the emulator is started in-process)', async () => {
    const out = new PassThrough();
    let o = '';
    out.on('data', (d) => {
      o += d;
    });
    const code = await runLab(['check', 'emulator'], out, new PassThrough());
    expect(code, o).to.equal(0);
    expect(o).to.match(/^emulator {2}emu:lab-emulator/);
    expect(o).to.match(/OK\s+poscert/);
  });

  test('a missing port: the exact error, the candidates present and what to do', async () => {
    const r = await labCheck(`terminals:\n  bench-7:\n    link: serial:${dir}/ttyUSB9?baud=115200\n`, dir);
    expect(r.code).to.equal(1);
    expect(r.out).to.include('bench-7');
    expect(r.out).to.include(`serial device ${dir}/ttyUSB9 does not exist`);
    expect(r.out).to.match(/serial devices present: .*\/dev\/ttyS0|no serial devices found/);
    expect(r.out).to.include('what to do:');
    expect(r.out).to.include('0 of 1 terminal(s)'.replace('0 of', '1 of'));
  });

  test('a busy port: names the process holding it', async () => {
    const holder = await holdPort(pty.a);
    try {
      const r = await labCheck(`terminals:\n  counter-2:\n    link: serial:${pty.a}\n`, dir);
      expect(r.code).to.equal(1);
      expect(r.out).to.include(`serial device ${pty.a} is in use by`);
      expect(r.out).to.include(`pid ${holder.pid}`);
      expect(r.out).to.include('Close the program named above');
    } finally {
      const exited = new Promise((r) => holder.once('exit', r));
      holder.kill('SIGTERM');
      await exited;
    }
  });

  test('a port where nothing answers TTP: says so and what to check', async () => {
    const r = await labCheck(`terminals:\n  silent:\n    link: serial:${pty.a}\n`, dir);
    expect(r.code).to.equal(1);
    expect(r.out).to.include('not acknowledged');
    expect(r.out).to.include('test mode');
  });

  test('a ser2net port where nothing listens: refused, and what to check', async () => {
    const port = await freeTcpPort();
    const r = await labCheck(`terminals:\n  rack-a-3:\n    link: tcp://127.0.0.1:${port}\n`, dir);
    expect(r.code).to.equal(1);
    expect(r.out).to.include(`127.0.0.1:${port} refused`);
    expect(r.out).to.include('check that ser2net runs on that host');
  });

  test('an unknown name or a broken lab file is a usage error (exit 2)', async () => {
    const r = await labCheck(`terminals:\n  a:\n    link: emu:a\n`, dir, 'zz');
    expect(r.code).to.equal(2);
    expect(r.err).to.include('has no terminal "zz"; it lists: a');
    const bad = await labCheck(`terminals:\n  a:\n    link: ftp://x\n`, dir);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include('terminal "a" field link');
  });
});
