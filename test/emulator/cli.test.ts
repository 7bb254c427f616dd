/** poscert emulator as a process: --list-defects, bad arguments, and serving TTP on a TCP port until SIGTERM. */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFECT_CATALOGUE } from '../../emulator';
import { ReferenceHost } from '../../host';
import { openLink } from '../../links';
import { startEmulator } from '../../emulator';
import { MERCHANT_ID, TEST_TMK, TtpTestClient, testHostConfig } from './harness';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'poscert.js');

describe('poscert emulator (CLI)', () => {
  let host: ReferenceHost;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-emu-cli-'));
  before(async () => {
    host = await ReferenceHost.start({ config: testHostConfig(), port: 0 });
  });
  after(async () => {
    await host.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the sub-command in this process (spawning ts-node per case is slow), capturing its output. */
  async function runInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { run } = await import('../../cli/commands/emulator');
    let out = '';
    let err = '';
    const log = console.log;
    const error = console.error;
    const write = process.stderr.write.bind(process.stderr);
    console.log = (...a: unknown[]) => {
      out += a.join(' ') + '\n';
    };
    console.error = (...a: unknown[]) => {
      err += a.join(' ') + '\n';
    };
    (process.stderr as { write: unknown }).write = (chunk: string | Uint8Array) => {
      err += chunk.toString();
      return true;
    };
    try {
      const code = await run(args);
      return { code, out, err };
    } finally {
      console.log = log;
      console.error = error;
      (process.stderr as { write: unknown }).write = write;
    }
  }

  test('--list-defects prints every defect with its area and description', async () => {
    const r = await runInProcess(['--list-defects']);
    expect(r.code).to.equal(0);
    for (const d of DEFECT_CATALOGUE) expect(r.out).to.include(d.name).and.include(d.description);
  });

  test('an unknown defect or a missing --link is exit code 2 with a message', async () => {
    const bad = await runInProcess(['--defect', 'no-such-bug', '--link', 'tcp-listen:0', '--host', 'tcp://127.0.0.1:1']);
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include('unknown defect "no-such-bug"');
    const missing = await runInProcess(['--host', 'tcp://127.0.0.1:1']);
    expect(missing.code).to.equal(2);
    expect(missing.err).to.include('--link');
    const badHost = await runInProcess(['--link', 'tcp-listen:0', '--host', 'nonsense', '--state', path.join(tmp, 'x.json')]);
    expect(badHost.code).to.equal(2);
    expect(badHost.err).to.include('tcp://HOST:PORT');
  });

  test('startEmulator on emu: (returned pair) and emu:NAME (openLink) serves TTP in-process', async () => {
    const common = { hostUrl: `tcp://127.0.0.1:${host.port}`, merchantId: MERCHANT_ID, tmk: TEST_TMK };
    const pair = await startEmulator({ link: 'emu:', statePath: path.join(tmp, 'emu1.json'), terminalId: 'EMU00058', ...common });
    const named = await startEmulator({ link: 'emu:lane-7', statePath: path.join(tmp, 'emu2.json'), terminalId: 'EMU00057', ...common });
    try {
      const a = new TtpTestClient(pair.harnessLink!);
      const screenA = await a.cmd<{ state: string }>({ cmd: 'screen' });
      expect(screenA.state).to.equal('idle');
      a.close();
      const link = await openLink('emu:lane-7');
      const b = new TtpTestClient(link);
      const configB = await b.cmd<Record<string, unknown>>({ cmd: 'config' });
      expect(configB).to.include({ terminalId: 'EMU00057', 'x-signedOn': true });
      b.close();
      await link.close();
    } finally {
      await pair.close();
      await named.close();
    }
  });

  test('serves TTP on tcp-listen:0, signs on at the host, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'emulator',
        '--link',
        'tcp-listen:0',
        '--host',
        `tcp://127.0.0.1:${host.port}`,
        '--state',
        path.join(tmp, 'cli.json'),
        '--terminal-id',
        'EMU00060',
        '--merchant-id',
        MERCHANT_ID,
        '--tmk',
        TEST_TMK,
        '--defect',
        'wrong-mac',
        '--quiet',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no "serving" line; stdout: ${out}`)), 20000);
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /serving TTP on tcp-listen:(\d+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        });
        child.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`emulator exited with ${code}: ${out}`));
        });
      });
      expect(out).to.include('defects: wrong-mac');
      const link = await openLink(`tcp://127.0.0.1:${port}`);
      const client = new TtpTestClient(link);
      try {
        const hello = await client.cmd<{ vendor: string; ttp: string }>({ cmd: 'hello', ttp: '1.0' });
        expect(hello.ttp).to.equal('1.1');
        const config = await client.cmd<Record<string, unknown>>({ cmd: 'config' });
        expect(config).to.include({ terminalId: 'EMU00060', 'x-signedOn': true });
        expect(config['x-defects']).to.deep.equal(['wrong-mac']);
      } finally {
        client.close();
        await link.close();
      }
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    }
  });
});
