/**
 * `poscert calc`: real processes (`node bin/poscert.js calc ...`) for the reference values of
 * cup8583.md §5.3 (MAC) and §5.2 (KCVs) and the exit code on bad input; the option handling in
 * process through run() (same code, no process start-up cost).
 */
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../cli/commands/calc';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'poscert.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function poscert(args: string[], stdin?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code !== 'number' && (err as { killed?: boolean }).killed) {
        reject(err);
        return;
      }
      resolve({ code: child.exitCode ?? 1, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
    else child.stdin!.end();
  });
}

async function calc(...args: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, stdout: out.map((l) => `${l}\n`).join(''), stderr: err.map((l) => `${l}\n`).join('') };
}

const frame = Buffer.from(
  fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'samples', 'sale_0200_req_ic_qps_easy8583.hex'), 'utf8').replace(/\s+/g, ''),
  'hex',
);
const MAC_INPUT = frame.subarray(13, frame.length - 8).toString('hex');

describe('poscert calc (processes)', { concurrency: true }, () => {
  test('§5.3 worked MAC: lower-case, spaced hex in, B7133B57 out', async () => {
    const spaced = MAC_INPUT.toLowerCase().replace(/(.{16})/g, '$1 ');
    const r = await poscert(['calc', 'mac', '--alg', 'cup-ecb', '--key', '313215fd a2c4ab4c', '--data', spaced]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('B7133B57\n');
  });

  test('§5.3 MAC input from stdin (--data -), F64 wire bytes with --wire', async () => {
    const r = await poscert(['calc', 'mac', '--key', '313215FDA2C4AB4C', '--data', '-', '--wire'], MAC_INPUT);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('4237313333423537\n');
  });

  test('§5.2 KCVs of the GOH PIK, MAK and TDK: 00962B60, ADC67D84, E2F24340 (one per line)', async () => {
    const r = await poscert([
      'calc',
      'kcv',
      '--key',
      '2222222222222222 2222222222222222',
      '--key',
      '3333333333333333',
      '--key',
      '44444444444444444444444444444444',
    ]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal('00962B60\nADC67D84\nE2F24340\n');
  });

  test('odd hex: a clear message on stderr and exit code 2', async () => {
    const r = await poscert(['calc', 'kcv', '--key', '333']);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/poscert calc kcv: --key: odd number of hex digits \(3\)/);
  });
});

describe('poscert calc (options, in process)', () => {
  test('wrong key length: exit code 2 and nothing on stdout', async () => {
    const r = await calc('encrypt', '--alg', 'des', '--key', '0123456789ABCDEFFEDCBA9876543210', '--data', '0000000000000000');
    expect(r.code).to.equal(2);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/poscert calc encrypt: --alg des: key is 16 bytes, expected 8 bytes/);
    const partial = await calc('kcv', '--key', '3333333333333333', '--key', '33333333333333');
    expect(partial.code).to.equal(2);
    expect(partial.stdout).to.equal('');
  });

  test('kcv: lengths and SM4', async () => {
    expect((await calc('kcv', '--key', '0123456789ABCDEFFEDCBA9876543210', '--length', '2')).stdout).to.equal('08D7\n');
    expect((await calc('kcv', '--key', '0123456789ABCDEF', '--alg', 'des', '--length', '3')).stdout).to.equal('D5D44F\n');
    expect((await calc('kcv', '--key', 'F351D490994603795C6EBEE8FAEBB481', '--alg', 'sm4', '--length', '8')).stdout).to.equal('861E83E31FAEBF10\n');
    const bad = await calc('kcv', '--key', '0123456789ABCDEF', '--length', '9');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/length must be 1\.\.8/);
  });

  test('encrypt / decrypt: DES (FIPS 81), TDES CBC round trip, SM4 (GB/T 32907)', async () => {
    expect((await calc('encrypt', '--alg', 'des', '--key', '0123456789abcdef', '--data', '4e6f772069732074')).stdout).to.equal('3FA40E8A984D4815\n');
    expect((await calc('decrypt', '--alg', 'des', '--key', '0123456789ABCDEF', '--data', '3FA40E8A984D4815')).stdout).to.equal('4E6F772069732074\n');
    const key = '0123456789ABCDEFFEDCBA9876543210';
    const enc = await calc(
      'encrypt',
      '--alg',
      '3des',
      '--mode',
      'cbc',
      '--key',
      key,
      '--iv',
      '0102030405060708',
      '--data',
      '00112233445566778899AABBCCDDEEFF',
    );
    expect(enc.code).to.equal(0);
    const dec = await calc('decrypt', '--alg', '3des', '--mode', 'cbc', '--key', key, '--iv', '0102030405060708', '--data', enc.stdout.trim());
    expect(dec.stdout).to.equal('00112233445566778899AABBCCDDEEFF\n');
    expect((await calc('encrypt', '--alg', 'sm4', '--key', key, '--data', key)).stdout).to.equal('681EDF34D206965E86B3E94F536E4246\n');
    expect((await calc('encrypt', '--alg', 'sm4', '--key', key, '--data', '00')).code).to.equal(2);
    expect((await calc('encrypt', '--alg', 'des', '--key', '0123456789ABCDEF', '--data', '0000000000000000', '--iv', '00')).stderr).to.match(
      /--iv only applies/,
    );
    expect((await calc('encrypt', '--alg', 'rc4', '--key', '00', '--data', '00')).code).to.equal(2);
    expect((await calc('encrypt', '--alg', 'des', '--key', '0123456789ABCDEG', '--data', '00')).stderr).to.match(/"G" at hex digit 16/);
  });

  test('mac: x9.9 (FIPS 113), x9.19, sm4-ecb', async () => {
    expect(
      (await calc('mac', '--alg', 'x9.9', '--key', '0123456789ABCDEF', '--data', '37363534333231204E6F77206973207468652074696D6520666F7220')).stdout,
    ).to.equal('F1D30F6849312CA4\n');
    expect(
      (await calc('mac', '--alg', 'x9.19', '--key', 'AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB', '--data', '68656C6C6F20776F726C64', '--padding', '2')).stdout,
    ).to.equal('2BC2D9EDE0CF31F6\n');
    expect((await calc('mac', '--alg', 'x9.19', '--key', '313215FDA2C4AB4C', '--data', MAC_INPUT)).code).to.equal(2);
    const sm4 = await calc(
      'mac',
      '--alg',
      'sm4-ecb',
      '--key',
      '0123456789ABCDEFFEDCBA9876543210',
      '--data',
      Buffer.from('0200 sale MAC input that is not block aligned').toString('hex'),
    );
    expect(sm4.stdout).to.equal('2C46C8E6\n');
  });

  test('pinblock: build clear / encrypted, decrypt formats 0, 1, 3, SM4', async () => {
    expect((await calc('pinblock', '--format', '0', '--pin', '1234', '--pan', '4012345678909')).stdout).to.equal('041274EDCBA9876F\n');
    const pik = '042666B49184CF5C68DE9628D0397B36';
    const enc = await calc('pinblock', '--pin', '1234', '--pan', '4012345678909', '--key', pik);
    expect(enc.stdout).to.equal('1B9C1845EB993A7A\n'); // only the encrypted block, not the clear one
    expect((await calc('pinblock', '--decrypt', '--block', '1B9C1845EB993A7A', '--pan', '4012345678909', '--key', pik)).stdout).to.equal('1234\n');
    expect((await calc('pinblock', '--decrypt', '--format', '1', '--block', '1C123456789012FF')).stdout).to.equal('123456789012\n');
    expect((await calc('pinblock', '--decrypt', '--format', '3', '--block', '341261AAAAEDCBA9', '--pan', '5555555551234567')).stdout).to.equal(
      '1234\n',
    );
    const sm4 = await calc('pinblock', '--pin', '123654', '--pan', '6230606601007726888', '--alg', 'sm4');
    expect(sm4.stdout).to.equal('06123654FFFFFFFFFFFF99FEFF88D977\n');
    const sm4enc = await calc(
      'pinblock',
      '--pin',
      '123654',
      '--pan',
      '6230606601007726888',
      '--key',
      'F351D490994603795C6EBEE8FAEBB481',
      '--alg',
      'sm4',
    );
    const back = await calc(
      'pinblock',
      '--decrypt',
      '--block',
      sm4enc.stdout.trim(),
      '--pan',
      '6230606601007726888',
      '--key',
      'F351D490994603795C6EBEE8FAEBB481',
      '--alg',
      'sm4',
    );
    expect(back.stdout).to.equal('123654\n');
    const wrongPan = await calc('pinblock', '--decrypt', '--block', '1B9C1845EB993A7A', '--pan', '4012345678917', '--key', pik);
    expect(wrongPan.code).to.equal(2);
    expect(wrongPan.stderr).to.match(/PIN block:/);
    expect((await calc('pinblock', '--pin', '12', '--pan', '4012345678909')).code).to.equal(2);
    expect((await calc('pinblock', '--format', '3', '--pin', '1234', '--pan', '4012345678909')).stderr).to.match(/only format 0 can be built/);
    expect((await calc('pinblock', '--decrypt', '--block', '041274EDCBA9876F')).stderr).to.match(/--pan is required/);
  });

  test('arqc: derivation chain (emv_flow row 1) and direct session key with ARPC method 2', async () => {
    const chain = await calc(
      'arqc',
      '--imk',
      '0123456789ABCDEFFEDCBA9876543210',
      '--pan',
      '12345678901234567',
      '--psn',
      '45',
      '--atc',
      '1234567890123456',
      '--data',
      '0123456789ABCDEF0123456789ABCDEF',
      '--arc',
      '0000',
      '--arpc-key',
      'mk',
    );
    expect(chain.stdout).to.equal('19C1FBC83EBDC0D5\n78A372523FA35A03\n');
    const direct = await calc(
      'arqc',
      '--session-key',
      '29B33180E567CE38EA4CBC9D753B0E61',
      '--data',
      '0123456789ABCDEF0123456789ABCDEF',
      '--csu',
      '00000000',
    );
    expect(direct.stdout).to.equal('FA624250B008B59A\nCB56FA40\n');
    const optionB = await calc(
      'arqc',
      '--imk',
      '0123456789ABCDEFFEDCBA9876543210',
      '--pan',
      '123456789012345679',
      '--psn',
      '00',
      '--option',
      'B',
      '--atc',
      '1234567890123456',
      '--data',
      '0123456789ABCDEF0123456789ABCDEF',
      '--csu',
      '00000000',
    );
    expect(optionB.stdout).to.equal('DC95BCE3EBBE0296\nECCA0C4B\n');
    expect((await calc('arqc', '--data', '00')).stderr).to.match(/exactly one of --session-key, --mk or --imk/);
    expect((await calc('arqc', '--session-key', '00', '--data', '00')).code).to.equal(2);
  });

  test('dukpt: X9.24-1 A.4 keys for KSN ...E00001 (8-byte KSN left-padded with FFFF)', async () => {
    const r = await calc('dukpt', '--bdk', '0123456789ABCDEFFEDCBA9876543210', '--ksn', 'FFFF9876543210E00001');
    const lines = r.stdout.trim().split('\n');
    expect(lines).to.have.length(7);
    expect(lines[0]).to.equal('6AC292FAA1315B4D858AB3A3D7D5933A');
    expect(lines[1]).to.equal('042666B49184CFA368DE9628D0397BC9');
    expect(lines[2]).to.equal('042666B49184CF5C68DE9628D0397B36');
    expect((await calc('dukpt', '--bdk', '0123456789ABCDEFFEDCBA9876543210', '--ksn', '9876543210E00001', '--key', 'pin')).stdout).to.equal(
      '042666B49184CF5C68DE9628D0397B36\n',
    );
    expect((await calc('dukpt', '--bdk', '0123456789ABCDEF', '--ksn', 'FFFF9876543210E00001')).stderr).to.match(/--bdk: key is 8 bytes/);
    expect((await calc('dukpt', '--bdk', '0123456789ABCDEFFEDCBA9876543210', '--ksn', 'E00001')).stderr).to.match(/KSN.*10 bytes/);
  });

  test('no sub-command, unknown sub-command, missing option: exit 2; --help: exit 0', async () => {
    expect((await calc()).code).to.equal(2);
    const unknown = await calc('foo');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/unknown command 'foo'/);
    const missing = await calc('mac', '--data', '00');
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.match(/poscert calc mac: required option '--key <hex>'/);
    expect((await calc('mac', '--help')).code).to.equal(0);
  });
});
