/**
 * `poscert ttp check`: a conformance suite for a terminal's TTP implementation. It opens the link,
 * runs the checks of framing.ts, link.ts and commands.ts against the terminal, judges what it saw
 * (observed.ts), and reports one result per requirement of requirements.ts with the section of
 * docs/terminal-test-protocol.md it comes from.
 *
 * Exit code: 0 when every MUST requirement passed (or could not apply), 1 when one failed,
 * 2 when the check could not run (link down, nothing answered at all).
 */
import { EmulatedLab, startEmulatedLab } from '../lab';
import { ByteLink, openLink } from '../../links';
import { CheckContext, RequirementResult } from './context';
import { checkCommands, checkHello, checkPower } from './commands';
import { checkNaks, checkResync } from './framing';
import { checkLink } from './link';
import { judgeObserved } from './observed';
import { RawProbe, TtpCheckLinkError, delay } from './probe';

export { REQUIREMENTS } from './requirements';
export type { Requirement, RequirementLevel } from './requirements';
export type { RequirementResult, RequirementStatus } from './context';
export { TtpCheckLinkError } from './probe';

export interface TtpCheckOptions {
  /** serial:/dev/…, tcp://host:port, rfc2217://…, emu:NAME, or emu: (the built-in emulator, started here). */
  terminal: string;
  /** The ACK timeout the terminal is expected to use (default 500 ms, §8). */
  ackTimeoutMs?: number;
  /** Wait for a reply (default 3000 ms). */
  replyTimeoutMs?: number;
  /**
   * The terminal sees the link close and reopen (it listens on TCP itself, USB CDC-ACM): judge
   * LINK-REOPEN. Always on for emu: links (the in-process emulator accepts each connection).
   */
  reopenVisible?: boolean;
  /** Progress lines (one per group). */
  log?: (line: string) => void;
}

export interface TtpCheckReport {
  terminal: string;
  identity?: {
    vendor?: unknown;
    model?: unknown;
    serialNumber?: unknown;
    firmwareVersion?: unknown;
    ttp?: unknown;
    capabilities?: unknown;
    maxPayload?: unknown;
  };
  startedAt: string;
  durationMs: number;
  verdict: 'conformant' | 'not conformant' | 'could not run';
  exitCode: 0 | 1 | 2;
  summary: { passed: number; failed: number; mandatoryFailed: number; notApplicable: number; notObserved: number; notJudged: number };
  results: RequirementResult[];
  notes: string[];
  /** Why the check could not run (exit code 2). */
  error?: string;
}

export async function runTtpCheck(opts: TtpCheckOptions): Promise<TtpCheckReport> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  let lab: EmulatedLab | undefined;
  let link: ByteLink | undefined;
  let probe: RawProbe | undefined;
  const base = { terminal: opts.terminal, startedAt: new Date(started).toISOString() };
  try {
    let url = opts.terminal;
    if (url === 'emu:') {
      // The built-in emulator in this process, with the reference host, as a reference run.
      lab = await startEmulatedLab({ terminals: 1, connect: false });
      url = lab.terminals[0]?.url ?? url;
    }
    try {
      link = await openLink(url, { connectTimeoutMs: 5000 });
    } catch (e) {
      return couldNotRun(base, started, `cannot open ${opts.terminal}: ${(e as Error).message}`);
    }
    probe = new RawProbe(link, 1 + Math.floor(Math.random() * 0x3fffffff));
    const theProbe = probe;
    const reopen = async (): Promise<void> => {
      await link?.close().catch(() => undefined);
      link = await openLink(url, { connectTimeoutMs: 5000 });
      theProbe.swapLink(link);
    };
    const ctx = new CheckContext(probe, {
      ackTimeoutMs: opts.ackTimeoutMs ?? 500,
      replyTimeoutMs: opts.replyTimeoutMs ?? 3000,
      ...(opts.reopenVisible || url.startsWith('emu:') ? { reopen } : {}),
    });
    const session = 1 + Math.floor(Math.random() * 0x7ffffffe);
    log('hello');
    const helloOk = await checkHello(ctx, session);
    if (!helloOk && probe.bytesReceived === 0) {
      throw new TtpCheckLinkError(`nothing answered on ${opts.terminal}: is the terminal on, in test mode, and is it the right port and baud rate?`, {
        terminal: opts.terminal,
      });
    }
    log('framing: ACK, NAK, frame timeout');
    await checkNaks(ctx);
    if (helloOk) {
      log('framing: resynchronisation, payload size');
      await checkResync(ctx);
      log('commands');
      await checkCommands(ctx);
      log('reliability: retransmission, duplicates, sessions');
      await checkLink(ctx);
      log('power');
      await checkPower(ctx);
    } else {
      ctx.notes.push('hello got no usable reply: only the checks that need no reply were run');
    }
    await delay(100);
    judgeObserved(ctx);
    const results = ctx.finalResults();
    const summary = {
      passed: results.filter((r) => r.status === 'passed').length,
      failed: results.filter((r) => r.status === 'failed').length,
      mandatoryFailed: results.filter((r) => r.status === 'failed' && r.level === 'MUST').length,
      notApplicable: results.filter((r) => r.status === 'not-applicable').length,
      notObserved: results.filter((r) => r.status === 'not-observed').length,
      notJudged: results.filter((r) => r.status === 'not-judged').length,
    };
    const exitCode = summary.mandatoryFailed > 0 ? 1 : 0;
    return {
      ...base,
      ...(ctx.hello ? { identity: pick(ctx.hello as Record<string, unknown>) } : {}),
      durationMs: Date.now() - started,
      verdict: exitCode === 0 ? 'conformant' : 'not conformant',
      exitCode,
      summary,
      results,
      notes: ctx.notes,
    };
  } catch (e) {
    if (e instanceof TtpCheckLinkError) return couldNotRun(base, started, e.message);
    throw e;
  } finally {
    probe?.detach();
    await link?.close().catch(() => undefined);
    await lab?.stop().catch(() => undefined);
  }
}

function couldNotRun(base: { terminal: string; startedAt: string }, started: number, error: string): TtpCheckReport {
  return {
    ...base,
    durationMs: Date.now() - started,
    verdict: 'could not run',
    exitCode: 2,
    summary: { passed: 0, failed: 0, mandatoryFailed: 0, notApplicable: 0, notObserved: 0, notJudged: 0 },
    results: [],
    notes: [],
    error,
  };
}

function pick(h: Record<string, unknown>): TtpCheckReport['identity'] {
  const { vendor, model, serialNumber, firmwareVersion, ttp, capabilities, maxPayload } = h;
  return { vendor, model, serialNumber, firmwareVersion, ttp, capabilities, maxPayload };
}

/** The report as a table per group, one line per requirement. */
export function formatTtpCheckReport(report: TtpCheckReport): string {
  const out: string[] = [];
  out.push(`TTP conformance check of ${report.terminal}`);
  if (report.identity) {
    const id = report.identity;
    out.push(
      `terminal: ${String(id.vendor)} ${String(id.model)}, serial number ${String(id.serialNumber)}, firmware ${String(id.firmwareVersion)}, TTP ${String(id.ttp)}`,
    );
  }
  if (report.error) {
    out.push(`COULD NOT RUN: ${report.error}`);
    return out.join('\n');
  }
  const mark: Record<string, string> = {
    passed: 'PASS',
    failed: 'FAIL',
    'not-applicable': 'N/A',
    'not-observed': 'NOT SEEN',
    'not-judged': 'NOT JUDGED',
  };
  const groups = [...new Set(report.results.map((r) => r.group))];
  const w = { id: Math.max(...report.results.map((r) => r.id.length)), sec: Math.max(...report.results.map((r) => r.section.length)) };
  for (const g of groups) {
    out.push('', `${g.toUpperCase()}`);
    out.push(`  ${'requirement'.padEnd(w.id)}  ${'section'.padEnd(w.sec)}  level   result      detail`);
    for (const r of report.results.filter((x) => x.group === g)) {
      out.push(`  ${r.id.padEnd(w.id)}  ${r.section.padEnd(w.sec)}  ${r.level.padEnd(6)}  ${mark[r.status].padEnd(10)}  ${r.title}`);
      out.push(`  ${''.padEnd(w.id)}  ${''.padEnd(w.sec)}                      ${r.detail}`);
    }
  }
  const s = report.summary;
  out.push(
    '',
    `${s.passed} passed, ${s.failed} failed (${s.mandatoryFailed} MUST), ${s.notApplicable} not applicable, ${s.notObserved} not observed, ${s.notJudged} not judged in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  const failedMust = report.results.filter((r) => r.status === 'failed' && r.level === 'MUST').map((r) => r.id);
  out.push(
    report.exitCode === 0
      ? 'verdict: CONFORMANT (every MUST requirement that could be judged passed)'
      : `verdict: NOT CONFORMANT: ${failedMust.join(', ')}`,
  );
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
