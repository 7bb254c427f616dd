// The real path end to end, as a lab runs it: standalone `poscert emulator` PROCESSES (stand-ins for
// real terminals, each with its --state file) that outlive every harness connection, behind socat
// PTY pairs and ser2net (raw and RFC 2217), certified by `poscert certify` processes twice in a row
// without restarting them: serial: with the full plan, tcp://, rfc2217:// and lab:NAME with a subset,
// --parallel 2 over two lab terminals, a catalogued defect in the standalone process (NOT CERTIFIED),
// a terminal whose host address is set in its own menu (host.listen from the lab file), and lab check
// reporting a terminal that cannot reach the host. Issue 10: before TTP sessions, the second
// connection to such a terminal got ACK and silence.
//
// Lean on purpose (npm test budget): --no-report, short timeouts (the emulator adds no delays), the
// full plan twice on the PTY only; terminal A's chain (serial full plan, tcp://) and terminals
// B/C/D's chain (host-locked, lab check, defect, --parallel 2, lab:NAME, rfc2217://) run side by side.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ser2netInstance, freeTcpPort } from '../../links/testbeds';
import { Run, StandaloneBench, StandaloneTerminal } from './support/standalone';

const SUBSET = '@CUP-PAY-001 or @CUP-VOU-001';
const DEFECT = { name: 'voucher-amount-mismatch', tags: '@CUP-VOU-001' };

interface Certificate {
  verdict: string;
  exitCode: number;
  counts: { total: number; passed: number; failed: number; broken: number; skipped: number };
  cases: Array<{ id: string; result: string; firstFailure?: { step?: string; message?: string } }>;
  terminal: { serialNumber?: string; units: Array<{ serialNumber?: string; terminalId?: string }> };
}

let bench: StandaloneBench;
let work: string;
const figures: string[] = [];

const poscert = (args: string[], timeoutMs = 240_000): Promise<Run> => bench.poscert(args, timeoutMs);
const startTerminal = (name: string, o: { terminalId: string; hostPort: number; extra?: string[] }) => bench.startTerminal(name, o);

function certificate(out: string): Certificate {
  return JSON.parse(fs.readFileSync(path.join(out, 'certificate.json'), 'utf8')) as Certificate;
}

async function certify(label: string, terminal: string, extra: string[] = []): Promise<{ run: Run; cert: Certificate }> {
  const out = path.join(work, `out-${label}`);
  const run = await poscert(['certify', '--terminal', terminal, '--no-report', '--out', out, ...extra]);
  figures.push(`${label}: exit ${run.code} in ${(run.ms / 1000).toFixed(1)} s`);
  expect(fs.existsSync(path.join(out, 'certificate.json')), `no certificate (${label}):\n${run.out.slice(-3000)}`).to.equal(true);
  return { run, cert: certificate(out) };
}

function expectCertified(label: string, r: { run: Run; cert: Certificate }): void {
  const problems = r.cert.cases
    .filter((c) => c.result !== 'passed' && c.result !== 'skipped')
    .map((c) => `${c.id} ${c.result}: ${c.firstFailure?.step ?? ''} ${c.firstFailure?.message?.split('\n')[0] ?? ''}`);
  expect(problems, `${label}: cases that did not pass:\n${problems.slice(0, 5).join('\n')}\n--- output:\n${r.run.out.slice(-1500)}`).to.deep.equal(
    [],
  );
  expect(r.cert.verdict, label).to.equal('CERTIFIED');
  expect(r.run.code, `${label} exit code`).to.equal(0);
}

/** A --tags subset cannot certify (the plan's other cases were not run), but every case it ran passed. */
function expectSubsetPassed(label: string, r: { run: Run; cert: Certificate }, ran: string[]): void {
  const judged = r.cert.cases
    .filter((c) => c.firstFailure?.step !== '(not run)' && c.result !== 'skipped')
    .map((c) => `${c.id} ${c.result}${c.firstFailure ? `: ${c.firstFailure.step} ${c.firstFailure.message?.split('\n')[0]}` : ''}`);
  expect(judged, `${label}: cases run:\n${judged.join('\n')}\n--- output:\n${r.run.out.slice(-1500)}`).to.have.members(
    ran.map((id) => `${id} passed`),
  );
  expect(r.cert.counts.failed, label).to.equal(0);
  expect(r.cert.verdict, `${label} (a subset is never CERTIFIED)`).to.equal('INCONCLUSIVE');
}

describe('certify standalone terminal processes over PTY, ser2net and a lab file (issue 10)', { concurrency: 2 }, () => {
  let hostA: number;
  let a: StandaloneTerminal;
  let raw: Ser2netInstance;
  let dRaw: Ser2netInstance;
  let dRfc2217: Ser2netInstance;
  let labFile: string;
  let b: { harnessEnd: string };
  let c: { harnessEnd: string };
  let d: { harnessEnd: string; log: () => string };
  let hostB: number;
  let hostD: number;

  before(async () => {
    bench = new StandaloneBench('poscert-real-path-');
    work = bench.work;
    [hostA, hostB, hostD] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    // A: a lab terminal configured once with the host's address (the run listens there or sets it).
    a = await startTerminal('a', { terminalId: '10000001', hostPort: hostA });
    // ser2net opens the device per TCP client, so it fronts A's cable between the serial runs.
    raw = await bench.ser2net(a.harnessEnd, 'raw');
    // B: its host address is set in its own menu only (TTP config of host refused).
    b = await startTerminal('b', { terminalId: '10000002', hostPort: hostB, extra: ['--host-locked'] });
    // C: firmware with a catalogued defect.
    c = await startTerminal('c', { terminalId: '10000003', hostPort: await freeTcpPort(), extra: ['--defect', DEFECT.name] });
    // D: a second clean terminal behind ser2net, raw and RFC 2217 (both accepters front its cable in turn).
    d = await startTerminal('d', { terminalId: '10000004', hostPort: hostD });
    dRaw = await bench.ser2net(d.harnessEnd, 'raw');
    dRfc2217 = await bench.ser2net(d.harnessEnd, 'rfc2217');
    labFile = path.join(work, 'lab.yaml');
    fs.writeFileSync(
      labFile,
      [
        'version: 1',
        'terminals:',
        '  pos-b:',
        `    link: serial:${b.harnessEnd}`,
        "    terminalId: '10000002'",
        `    host: {listen: '127.0.0.1:${hostB}'}`,
        '  pos-b-wrong-host:',
        `    link: serial:${b.harnessEnd}`,
        "    terminalId: '10000002'",
        `    host: {listen: '127.0.0.1:${await freeTcpPort()}'}`,
        '  pos-d:',
        `    link: tcp://127.0.0.1:${dRaw.port}`,
        "    terminalId: '10000004'",
        `    host: {listen: '127.0.0.1:${hostD}'}`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    // Everything this file started, also when a test failed: emulators, ser2net, socat; then the files.
    await bench?.stop();
    if (figures.length) console.log(`real-path certify runs:\n  ${figures.join('\n  ')}`);
  });

  describe('terminal A: the full plan over its serial cable, then ser2net', { concurrency: 1 }, () => {
    test('serial: (socat PTY) — the full plan, CERTIFIED twice in a row against the same running terminal', { timeout: 420_000 }, async () => {
      for (const n of [1, 2]) expectCertified(`serial full run ${n}`, await certify(`serial-full-${n}`, `serial:${a.harnessEnd}`));
      // Every run was a new TTP session on the same link.
      expect(a.log().match(/new harness session/g)?.length ?? 0).to.be.at.least(4);
    });

    test('tcp:// (ser2net raw) — a subset passes twice in a row', { timeout: 120_000 }, async () => {
      for (const n of [1, 2])
        expectSubsetPassed(`tcp run ${n}`, await certify(`tcp-${n}`, `tcp://127.0.0.1:${raw.port}`, ['--tags', SUBSET]), [
          'CUP-PAY-001',
          'CUP-VOU-001',
        ]);
    });
  });

  describe('terminals B, C and D', { concurrency: 1 }, () => {
    test(
      'a terminal whose host address is set in its own menu, with no fixed host address: INCONCLUSIVE, saying what to do',
      { timeout: 120_000 },
      async () => {
        const r = await certify('host-locked', `serial:${b.harnessEnd}`, ['--tags', DEFECT.tags]);
        expect(r.run.code).to.equal(2);
        expect(r.cert.counts.failed).to.equal(0);
        expect(r.run.out).to.include('does not let the harness set its host address');
        expect(r.run.out).to.include('--host-listen');
      },
    );

    test('lab check: reports the terminal that cannot reach the host, passes the one that can', { timeout: 120_000 }, async () => {
      const bad = await poscert(['lab', 'check', '--lab', labFile, '--pings', '1', 'pos-b-wrong-host']);
      figures.push(`lab check pos-b-wrong-host: exit ${bad.code} in ${(bad.ms / 1000).toFixed(1)} s`);
      expect(bad.code, bad.out).to.equal(1);
      expect(bad.out, bad.out).to.include('CANNOT REACH THE HOST').and.include(`it dials 127.0.0.1:${hostB}`);
      const good = await poscert(['lab', 'check', '--lab', labFile, '--pings', '1', 'pos-b', 'pos-d']);
      expect(good.code, good.out).to.equal(0);
      expect(good.out).to.include(`the terminal dials 127.0.0.1:${hostB}, where the run's host listens`);
    });

    test(`a catalogued defect (${DEFECT.name}) in the standalone process: NOT CERTIFIED, exit 1`, { timeout: 120_000 }, async () => {
      const r = await certify('defect', `serial:${c.harnessEnd}`, ['--tags', DEFECT.tags]);
      expect(r.cert.verdict).to.equal('NOT CERTIFIED');
      expect(r.run.code).to.equal(1);
      expect(r.cert.cases.find((x) => x.id === 'CUP-VOU-001')?.result).to.equal('failed');
    });

    test(
      '--parallel 2 over lab:pos-b,pos-d (serial and ser2net, each host on its lab address) — a subset passes twice in a row on both terminals',
      { timeout: 180_000 },
      async () => {
        for (const n of [1, 2]) {
          const r = await certify(`parallel-${n}`, 'lab:pos-b,pos-d', ['--lab', labFile, '--parallel', '2', '--tags', `${SUBSET} or @CUP-PAY-002`]);
          expectSubsetPassed(`parallel run ${n}`, r, ['CUP-PAY-001', 'CUP-PAY-002', 'CUP-VOU-001']);
          expect(r.cert.terminal.units.map((u) => u.terminalId).sort(), `parallel run ${n}: terminals used`).to.deep.equal(['10000002', '10000004']);
        }
      },
    );

    test(
      'lab:pos-d (ser2net raw; the host on the fixed address of the lab entry) — a subset passes twice in a row',
      { timeout: 120_000 },
      async () => {
        for (const n of [1, 2])
          expectSubsetPassed(`lab run ${n}`, await certify(`lab-${n}`, 'lab:pos-d', ['--lab', labFile, '--tags', SUBSET]), [
            'CUP-PAY-001',
            'CUP-VOU-001',
          ]);
      },
    );

    test('rfc2217:// (ser2net telnet RFC 2217, the same terminal D) — a subset passes twice in a row', { timeout: 120_000 }, async () => {
      for (const n of [1, 2])
        expectSubsetPassed(
          `rfc2217 run ${n}`,
          await certify(`rfc2217-${n}`, `rfc2217://127.0.0.1:${dRfc2217.port}?baud=115200`, ['--tags', SUBSET]),
          ['CUP-PAY-001', 'CUP-VOU-001'],
        );
    });
  });
});
