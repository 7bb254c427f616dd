/**
 * `poscert ttp check` against real implementations over real links: the C agent's demo firmware
 * on a socat PTY (conformant), the built-in emulator (in process), each deliberately broken build
 * of the demo (named by the requirement it violates), and a link with nothing behind it (exit 2).
 */
import { test, describe, before, after } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runTtp } from '../../cli/commands/ttp';
import { TtpCheckReport } from '../../drivers/ttp-check';
import { PtyPair, startPtyPair } from '../../links/testbeds';
import { agentSkip, buildAgent, startDemo } from '../agents/support/c-agent';

interface CliRun {
  code: number;
  out: string;
  err: string;
  report?: TtpCheckReport;
}

async function ttpCheck(terminal: string, dir: string): Promise<CliRun> {
  const json = path.join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
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
  const code = await runTtp(['check', '--terminal', terminal, '--json', json, '--quiet'], out, err);
  const report = fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, 'utf8')) as TtpCheckReport) : undefined;
  return { code, out: o, err: e, report };
}

function failed(r: CliRun): string[] {
  return (r.report?.results ?? []).filter((x) => x.status === 'failed').map((x) => x.id);
}

/** A SHOULD timing row (ACK delay on a loaded machine) is a measured figure, not a verdict these tests judge. */
function measuredOnly(r: CliRun, id: string): boolean {
  return (r.report?.results ?? []).some((x) => x.id === id && x.group === 'timing' && x.level === 'SHOULD');
}

/** Runs the check against a demo binary on its own PTY pair. */
async function checkDemo(binary: string, dir: string): Promise<CliRun> {
  const pty: PtyPair = await startPtyPair();
  const demo = await startDemo(binary, pty.b).catch(async (e) => {
    await pty.stop();
    throw e;
  });
  try {
    return await ttpCheck(`serial:${pty.a}?baud=115200`, dir);
  } finally {
    await demo.stop();
    await pty.stop();
  }
}

const VARIANTS: Array<[string, string[]]> = [
  ['ttp-demo-broken-lrc', ['FRAME-LRC']],
  ['ttp-demo-no-retransmit', ['LINK-RETRANSMIT-NAK', 'LINK-RETRANSMIT-TIMEOUT']],
  ['ttp-demo-wrong-state-names', ['EVT-STATE']],
  ['ttp-demo-no-dup-suppress', ['LINK-DUPLICATE', 'LINK-SESSION']],
];

describe('poscert ttp check', { skip: agentSkip }, () => {
  let dir: string;
  // The checks mostly wait on the terminals' timers, so they all run side by side, each on its own
  // link; the tests below judge their reports.
  let demoRun: Promise<CliRun>;
  let emulatorRun: Promise<CliRun>;
  let variantRuns: Promise<CliRun[]>;
  before(() => {
    buildAgent();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-ttpcheck-'));
    demoRun = checkDemo('ttp-demo', dir);
    emulatorRun = ttpCheck('emu:', dir);
    variantRuns = Promise.all(VARIANTS.map(([binary]) => checkDemo(binary, dir)));
    // Unobserved until a test awaits them; a rejection is reported there.
    for (const p of [demoRun, emulatorRun, variantRuns]) p.catch(() => undefined);
  });
  after(async () => {
    await Promise.allSettled([demoRun, emulatorRun, variantRuns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the C agent demo conforms: every MUST requirement passes, exit 0, a table row per requirement with its section, JSON written', async () => {
    const r = await demoRun;
    expect(
      failed(r).filter((id) => !measuredOnly(r, id)),
      r.out,
    ).to.deep.equal([]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.match(/FRAME-LRC\s+§2, §2\.2\s+MUST\s+PASS/);
    expect(r.out).to.match(/LINK-RETRANSMIT-LIMIT\s+§3 item 4\s+MUST\s+PASS\s+.*\n\s+sent 4 times/);
    expect(r.out).to.include('verdict: CONFORMANT');
    expect(r.report!.verdict).to.equal('conformant');
    expect(r.report!.identity).to.include({ vendor: 'poscert', model: 'DEMO-C' });
    expect(r.report!.results.length).to.be.greaterThan(40);
    for (const x of r.report!.results) expect(x.section, x.id).to.match(/^§/);
    // The demo approves the check's test sale: its vouchers are judged, not merely "not seen".
    expect(r.report!.results.find((x) => x.id === 'EVT-PRINT')!.status).to.equal('passed');
    // The agent speaks TTP 1.0: the 1.1 rows are not applicable to it, never failed.
    expect(r.report!.results.find((x) => x.id === 'CMD-HELLO-11')!.status).to.equal('not-applicable');
    expect(r.report!.results.find((x) => x.id === 'EVT-OUTCOME')!.status).to.equal('not-applicable');
  });

  test('the emulator (emu:, in process with the reference host) conforms: no requirement fails (timing SHOULDs are figures), exit 0', async () => {
    const r = await emulatorRun;
    // The reference terminal has no tolerated deviations: `card remove` with no card is
    // invalid-state (§6.5) and an ECR sale without amount is bad-request naming it (§6.9). Only the
    // SHOULD timing figures (ACK delay under a loaded machine) are measurements, not judged here.
    expect(
      failed(r).filter((id) => !measuredOnly(r, id)),
      r.out,
    ).to.deep.equal([]);
    expect(r.code, r.out).to.equal(0);
    expect(r.report!.verdict).to.equal('conformant');
    expect(r.report!.identity).to.include({ vendor: 'poscert' });
    // TTP 1.1 rows: the emulator speaks 1.1 (hello members, outcome on final screens and ecr results).
    for (const id of ['LINK-DUPLICATE', 'EVT-STATE', 'CMD-CARD-STATE', 'CMD-ECR-PARAMS', 'EXT-CAPABILITIES', 'CMD-HELLO-11', 'EVT-OUTCOME']) {
      expect(r.report!.results.find((x) => x.id === id)!.status, id).to.equal('passed');
    }
  });

  test('each broken agent is named by the requirement it violates (exit 1)', async () => {
    const runs = await variantRuns;
    VARIANTS.forEach(([binary, named], i) => {
      const r = runs[i];
      expect(r.code, `${binary}\n${r.out}`).to.equal(1);
      expect(failed(r), binary).to.include.members(named);
      expect(r.out, binary).to.match(new RegExp(`verdict: NOT CONFORMANT: .*${named[0]}`));
    });
    // The defects that leave the rest of the protocol intact are named alone (a retransmitted
    // hello with session is a duplicate too: §3.2 item 3).
    const judged = (r: CliRun) => failed(r).filter((id) => !measuredOnly(r, id));
    expect(judged(runs[3])).to.deep.equal(['LINK-DUPLICATE', 'LINK-SESSION']);
    expect(judged(runs[1])).to.deep.equal(['LINK-RETRANSMIT-NAK', 'LINK-RETRANSMIT-TIMEOUT']);
  });

  test('nothing behind the link, or no such port: the check could not run (exit 2)', async () => {
    const missing = await ttpCheck(`serial:${path.join(dir, 'ttyUSB9')}`, dir);
    expect(missing.code).to.equal(2);
    expect(missing.out).to.match(/COULD NOT RUN: cannot open serial:.*ttyUSB9/);
    expect(missing.report!.verdict).to.equal('could not run');
    const pty = await startPtyPair();
    try {
      const silent = await ttpCheck(`serial:${pty.a}`, dir);
      expect(silent.code).to.equal(2);
      expect(silent.out).to.include('COULD NOT RUN: nothing answered');
    } finally {
      await pty.stop();
    }
  });
});
