import { describe, test } from 'node:test';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { loadSamples } from '../../protocol/iso8583/samples';
import { Readable } from 'node:stream';
import { run, type CommandIo } from '../../../cli/commands/decode';

const ROOT = path.join(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'poscert.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function poscert(args: string[], stdin?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? '');
  });
}

const samples = loadSamples();

/** run() of the command in this process with captured output (spawning costs ~2 s per call under ts-node). */
async function runInProcess(args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdin: Readable.from([]) as CommandIo['stdin'],
    stdout: {
      write: (s: string) => {
        stdout += s;
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s;
      },
    },
  });
  return { code, stdout, stderr };
}

describe('poscert decode (spawned)', () => {
  test('every sample decodes completely with auto framing; framing reported; PAN masked (in-process run())', async () => {
    for (const s of samples) {
      const r = await runInProcess(['--json', s.bytes.toString('hex')]);
      expect(r.code, `${s.name}: ${r.stderr}`).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(Object.keys(j)).to.deep.equal(['framing', 'tpdu', 'header', 'mti', 'bitmap', 'fields', 'warnings']);
      expect(j.framing, s.name).to.equal(s.framing);
      expect(j.warnings, s.name).to.be.an('array');
      if (j.fields['2']) expect(j.fields['2']).to.match(/^\d{6}\*+\d{4}$/);
      if (j.fields['35']) expect(j.fields['35']).to.match(/^\d{6}\*+\d{4}=\*+$/);
    }
  });

  test('spawned: JSON of the contactless sale', async () => {
    const s = samples.find((x) => x.name === 'sale_0200_req_ic_qps_easy8583')!;
    const r = await poscert(['decode', '--json', s.bytes.toString('hex')]);
    expect(r.code, r.stderr).to.equal(0);
    const qps = JSON.parse(r.stdout);
    expect(qps).to.deep.include({ framing: 'length', tpdu: '6005010000', header: '613100311108', mti: '0200', bitmap: '7024068020C08211' });
    expect(qps.fields).to.include({ '2': '621081*********4940', '22': '072', '41': '73782214', '60': '2200075700060', '64': '4237313333423537' });
    expect(qps.warnings).to.deep.equal([]);
  });

  test('text dump from stdin with spaces and lower case; --unmask shows the PAN', async () => {
    const s = samples.find((x) => x.name === 'sale_0200_req_ic_scandemo')!;
    const spaced = s.bytes.toString('hex').replace(/(..)/g, '$1 ');
    const [masked, clear] = await Promise.all([poscert(['decode'], spaced), runInProcess(['--unmask', '--framing', 'tpdu', spaced.toUpperCase()])]);
    expect(masked.code).to.equal(0);
    expect(masked.stdout).to.match(/^framing: tpdu \(TPDU \+ header, no length prefix, detected\)/);
    expect(masked.stdout).to.match(/TPDU: 6000030000/);
    expect(masked.stdout).to.match(/\n02 .*621797\*{9}5090/);
    expect(masked.stdout).not.to.contain('6217973910000725090');
    expect(masked.stdout).to.match(/\n52 .*086BDB118D7AC25E/);
    expect(clear.stdout).to.contain('6217973910000725090');
  });

  test('a length prefix that disagrees is a warning and the message is still decoded', async () => {
    const s = samples.find((x) => x.name === 'signon_0800_req_ajsgn')!;
    const wrong = Buffer.from(s.bytes);
    wrong.writeUInt16BE(0xaa, 0);
    const r = await runInProcess(['--json', wrong.toString('hex')]);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.framing).to.equal('length');
    expect(j.mti).to.equal('0800');
    expect(j.warnings.join('\n')).to.match(/length prefix 00AA says 170 bytes follow, 65 do/);
  });

  test('bad input: exit 2 with a clear message', async () => {
    const truncated = samples
      .find((x) => x.name === 'settle_0500_req_bare')!
      .bytes.subarray(0, 40)
      .toString('hex');
    const [badHex, odd, empty, undecodable, badOption] = await Promise.all([
      poscert(['decode', '0200zz']),
      runInProcess(['020']),
      poscert(['decode'], '  \n'),
      runInProcess(['--framing', 'bare', truncated]),
      runInProcess(['--framing', 'serial', '00']),
    ]);
    expect(badHex.code).to.equal(2);
    expect(badHex.stderr).to.match(/not hex: character "z" at position 4/);
    expect(odd.code).to.equal(2);
    expect(odd.stderr).to.match(/odd number of hex digits/);
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.match(/no hex given/);
    expect(undecodable.code).to.equal(2);
    expect(undecodable.stderr).to.match(/truncated in field 48 at byte \d+/);
    expect(badOption.code).to.equal(2);
    for (const r of [badHex, odd, empty, undecodable, badOption]) expect(r.stderr).not.to.match(/internal error|at .*\.ts:\d+/);
  });
});

describe('decodeInput fuzz', () => {
  test('random inputs and mutated samples: a decode or a FramingDecodeError, nothing else', async () => {
    const { decodeInput, FramingDecodeError } = await import('../../../cli/commands/decode');
    const { seededRandom } = await import('../../protocol/iso8583/samples');
    const random = seededRandom(8583);
    for (let i = 0; i < 3000; i++) {
      const base = samples[i % samples.length].bytes;
      const bytes =
        i % 3 === 0
          ? Buffer.from(Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)))
          : Buffer.from(base.subarray(0, Math.floor(random() * (base.length + 1))));
      if (i % 3 === 2 && bytes.length) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
      for (const framing of ['auto', 'length', 'tpdu', 'bare'] as const) {
        try {
          decodeInput(bytes, framing);
        } catch (err) {
          if (framing === 'auto') expect(err).to.be.instanceOf(FramingDecodeError);
          else expect((err as Error).constructor.name).to.equal('Iso8583DecodeError');
        }
      }
    }
  });
});
