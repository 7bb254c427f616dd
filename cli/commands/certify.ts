/**
 * `poscert certify`: run a certification plan against a terminal and write the Allure report and
 * the certificate. Exit code = the verdict's: 0 CERTIFIED, 1 NOT CERTIFIED, 2 INCONCLUSIVE (also
 * for bad options, a missing plan, an unknown defect or an unreachable terminal: the harness could
 * not judge the terminal).
 *
 *   poscert certify [--terminal emulator|serial:…|tcp://…|rfc2217://…|lab:NAME[,NAME…]] [--plan unionpay-pos]
 *                   [--tags EXPR] [--lang en|zh-CN] [--parallel N] [--defect NAME…] [--out DIR]
 *                   [--shard i/n] [--no-report] [--bail] [--lab FILE] [--host-listen HOST:PORT]
 * A real terminal finds the reference host where the lab configured it: --host-listen for the
 * run, or the lab entry's host.listen; `--parallel N` drives N lab terminals (lab:A,B).
 */
import { Command, CommanderError, Option } from 'commander';
import * as path from 'node:path';
import { PoscertError } from '../../errors';
import { certify, parseShard, type CertifyOutcome } from '../../certification/certify';
import { CertifyOptionError, TerminalUnreachableError } from '../../certification/errors';
import { loadPlan } from '../../certification/plan';
import type { TerminalIdentity } from '../../certification/results';
import type { RunProfile } from '../../certification/profile';
import { describeFinding } from '../../certification/sensitive-scan';

const ROOT = path.join(__dirname, '..', '..');
const LAB_TERMINALS = /^lab:[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*$/;

/** --terminal: the built-in emulator, lab entries, or a URL of any link kind the harness can open (the link registry decides). */
function checkTerminalSpec(spec: string): void {
  if (spec === 'emulator' || LAB_TERMINALS.test(spec)) return;
  if (spec.startsWith('operator:')) {
    // A terminal without TTP, run by the person at it (steps/support/by-hand.ts): a bad spec stops here.
    (require('../../drivers/operator') as typeof import('../../drivers/operator')).parseOperatorTerminal(spec);
    return;
  }
  const { isHarnessLinkUrl, linkUrlForms } = require('../../links/registry') as typeof import('../../links/registry');
  if (isHarnessLinkUrl(spec)) return;
  throw new CertifyOptionError(`--terminal ${spec}: expected emulator, ${linkUrlForms('open').join(', ')} or lab:NAME (lab:A,B for --parallel 2)`, {
    terminal: spec,
  });
}
/**
 * Waits for the built-in emulator, which adds no artificial delays: a screen that has not appeared
 * after 3 s will not appear, and the terminal's host timeout (what the reversal cases wait for) can
 * be short. Real terminals keep the suite's defaults (or their lab file entry's). The environment
 * wins: set POSCERT_SCREEN_TIMEOUT_MS / POSCERT_HOST_TIMEOUT_MS / POSCERT_TTP_TIMEOUT_MS to change them.
 */
export const EMULATOR_TIMEOUTS: Readonly<Record<string, string>> = {
  POSCERT_SCREEN_TIMEOUT_MS: '3000',
  POSCERT_HOST_TIMEOUT_MS: '1500',
  POSCERT_TTP_TIMEOUT_MS: '3000',
};

/** EMULATOR_TIMEOUTS less what the environment already sets. */
export function emulatorTimeoutEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(EMULATOR_TIMEOUTS).filter(([k]) => !env[k]));
}

/** The reference host has emulator terminal ids for workers 0..7 (scenarios/merchants.yaml). */
const MAX_EMULATOR_WORKERS = 8;

export interface CertifyCliOptions {
  terminal: string;
  plan: string;
  tags?: string;
  lang: 'en' | 'zh-CN';
  parallel: number;
  defects: string[];
  out: string;
  shard?: string;
  report: boolean;
  /** Stop at the first failed mandatory case (with --no-report: the lean mode of mutation runs). */
  bail: boolean;
  helloTimeoutMs: number;
  /** Lab file for lab:NAME (default scenarios/lab.yaml). */
  labFile?: string;
  /** HOST:PORT the reference host listens on for the real terminal (overrides the lab entry's host.listen). */
  hostListen?: string;
  /** The terminal's link to the reference host: plain TCP (§1.1), or the public-network HTTPS wrapper (§1.2). */
  hostLink: 'tcp' | 'https';
}

export async function run(args: string[]): Promise<number> {
  return runCertify(args, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function parseCertifyArgs(args: string[], io: Io): CertifyCliOptions | number {
  const program = new Command('poscert certify')
    .description('run a certification plan against a terminal; write the Allure report, certificate.json/.html and junit.xml')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .option(
      '--terminal <spec>',
      'emulator (built in), serial:/dev/…, tcp://host:port (ser2net raw), rfc2217://host:port, or lab:NAME (scenarios/lab.yaml)',
      'emulator',
    )
    .option('--plan <name>', 'plan name (scenarios/plans/NAME.yaml) or path to a plan file', 'unionpay-pos')
    .option('--tags <expr>', 'cucumber tag expression to run a subset (a subset cannot certify: mandatory cases left out are reported as not run)')
    .addOption(new Option('--lang <lang>', "language of the cases and the terminal's texts").choices(['en', 'zh-CN']).default('en'))
    .option('--parallel <n>', 'cucumber workers, each with its own emulator (or lab terminal) and terminal id', '1')
    .option('--defect <names...>', 'switch on emulator firmware defects (see poscert emulator --list-defects); repeat or comma-separate')
    .option('--out <dir>', 'output folder', 'reports')
    .option('--shard <i/n>', 'run part i of n of the plan (cucumber sharding); combine the parts with poscert merge')
    .option('--no-report', 'lean mode: do not generate the Allure HTML report (results, certificate and scan still happen)')
    .option('--bail', 'stop at the first failed mandatory case (verdict NOT CERTIFIED); the cases not run are listed as not run')
    .option('--hello-timeout <ms>', 'how long to wait for the terminal to answer hello before the run', '5000')
    .option('--lab <file>', 'lab file for --terminal lab:NAME (default scenarios/lab.yaml)')
    .addOption(
      new Option(
        '--host-link <link>',
        "the terminal's link to the reference host: tcp (§1.1), or https — the public-network wrapper (公网接入, cup8583.md §1.2): the host listens with TLS under a test CA made for the run, and the terminal is configured (TTP config host https://…, hostCa) to reach it and verify it",
      )
        .choices(['tcp', 'https'])
        .default('tcp'),
    )
    .option(
      '--host-listen <host:port>',
      "real terminal: the reference host listens here for the whole run (the address the terminal is configured to dial; default: the lab entry's host.listen, else a free loopback port set in the terminal over TTP config)",
    );
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts<{
    terminal: string;
    plan: string;
    tags?: string;
    lang: 'en' | 'zh-CN';
    parallel: string;
    defect?: string[];
    out: string;
    shard?: string;
    report: boolean;
    bail?: boolean;
    helloTimeout: string;
    lab?: string;
    hostListen?: string;
    hostLink: 'tcp' | 'https';
  }>();
  if (program.args.length)
    throw new CertifyOptionError(`unexpected argument${program.args.length > 1 ? 's' : ''} ${program.args.join(' ')}; options start with --`, {
      args: program.args,
    });
  const parallel = Number(o.parallel);
  if (!Number.isInteger(parallel) || parallel < 1)
    throw new CertifyOptionError(`--parallel ${o.parallel}: expected a whole number ≥ 1`, { parallel: o.parallel });
  checkTerminalSpec(o.terminal);
  const labCount = o.terminal.startsWith('lab:') ? o.terminal.slice(4).split(',').length : 1;
  if (labCount > 1 && labCount !== parallel) {
    throw new CertifyOptionError(
      `--terminal ${o.terminal} names ${labCount} lab terminals: run them with --parallel ${labCount} (one worker per terminal)`,
      { terminal: o.terminal, parallel },
    );
  }
  const emulated = isEmulated(o.terminal);
  if (emulated) emulatorProfileOf(o.terminal); // an unknown emu:NAME stops here, listing the profiles
  if (emulated && parallel > MAX_EMULATOR_WORKERS) {
    throw new CertifyOptionError(
      `--parallel ${parallel}: the reference host has emulator terminals for ${MAX_EMULATOR_WORKERS} workers; use at most --parallel ${MAX_EMULATOR_WORKERS}`,
      { parallel },
    );
  }
  if (!emulated && parallel > 1 && labCount !== parallel) {
    throw new CertifyOptionError(
      `--parallel ${parallel} with --terminal ${o.terminal}: one physical terminal cannot serve several workers at once; ` +
        `name one lab terminal per worker (--terminal lab:A,B with --parallel 2), run with --parallel 1, or split the plan across terminals with --shard i/n and poscert merge`,
      { parallel, terminal: o.terminal },
    );
  }
  if (o.hostListen !== undefined) {
    if (emulated || o.terminal.startsWith('emu:'))
      throw new CertifyOptionError('--host-listen is for a real terminal; the built-in emulator finds its in-process host by itself', {
        hostListen: o.hostListen,
      });
    if (parallel > 1)
      throw new CertifyOptionError(
        `--host-listen ${o.hostListen} with --parallel ${parallel}: each worker's host needs an address of its own; give each lab entry its host.listen instead`,
        { hostListen: o.hostListen },
      );
    const m = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(o.hostListen);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
      throw new CertifyOptionError(`--host-listen ${o.hostListen}: expected HOST:PORT with a fixed port, e.g. 0.0.0.0:8583`, {
        hostListen: o.hostListen,
      });
  }
  if (o.lab !== undefined && !o.terminal.startsWith('lab:'))
    throw new CertifyOptionError(`--lab ${o.lab} is for --terminal lab:NAME`, { lab: o.lab });
  const defects = (o.defect ?? [])
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter(Boolean);
  if (defects.length && !emulated) {
    throw new CertifyOptionError(`--defect switches on defects of the built-in emulator; it cannot be used with --terminal ${o.terminal}`, {
      terminal: o.terminal,
      defects,
    });
  }
  if (o.shard) parseShard(o.shard);
  if (o.tags !== undefined) {
    try {
      // cucumber's own parser (a dependency of @cucumber/cucumber), so the run cannot fail on it later.
      (require('@cucumber/tag-expressions') as { default: (e: string) => unknown }).default(o.tags);
    } catch (e) {
      throw new CertifyOptionError(`--tags: ${(e as Error).message}`, { tags: o.tags });
    }
  }
  const helloTimeoutMs = Number(o.helloTimeout);
  if (!Number.isInteger(helloTimeoutMs) || helloTimeoutMs <= 0)
    throw new CertifyOptionError(`--hello-timeout ${o.helloTimeout}: expected milliseconds > 0`, {});
  return {
    terminal: o.terminal,
    plan: o.plan,
    tags: o.tags,
    lang: o.lang,
    parallel,
    defects,
    out: o.out,
    shard: o.shard,
    report: o.report,
    bail: o.bail === true,
    helloTimeoutMs,
    ...(o.lab ? { labFile: path.resolve(o.lab) } : {}),
    ...(o.hostListen ? { hostListen: o.hostListen } : {}),
    hostLink: o.hostLink,
  };
}

/** The built-in emulator: `emulator` (reference profile) or `emu:NAME` (its conformant profile NAME). */
export function isEmulated(terminal: string): boolean {
  return terminal === 'emulator' || terminal.startsWith('emu:');
}

/** The emulator profile `emu:NAME` names (`emulator`: the reference); an unknown name lists the known ones. */
export function emulatorProfileOf(terminal: string): import('../../emulator/profiles').EmulatorProfile {
  const { emulatorProfile } = require('../../emulator/profiles') as typeof import('../../emulator/profiles');
  const name = terminal.startsWith('emu:') ? terminal.slice('emu:'.length) || undefined : undefined;
  try {
    return emulatorProfile(name);
  } catch (e) {
    throw new CertifyOptionError(`--terminal ${terminal}: ${(e as Error).message}`, { terminal });
  }
}

/** Checks defect names against the emulator's catalogue; the message lists what exists. */
export function checkDefects(defects: string[]): void {
  if (defects.length === 0) return;
  // Loaded lazily: only a run with --defect needs the emulator's catalogue.
  const { DEFECT_CATALOGUE } = require('../../emulator/defects') as typeof import('../../emulator/defects');
  const known = new Set(DEFECT_CATALOGUE.map((d) => d.name as string));
  const unknown = defects.filter((d) => !known.has(d));
  if (unknown.length) {
    throw new CertifyOptionError(
      `unknown defect${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the emulator's catalogue has: ${[...known].join(', ')} ` +
        '(poscert emulator --list-defects describes each)',
      { unknown },
    );
  }
}

interface DriverIdentity {
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  ttp: string;
  capabilities: Record<string, boolean> | string[];
}

function toIdentity(id: DriverIdentity, link: string, terminalId?: string): TerminalIdentity {
  const caps = Array.isArray(id.capabilities)
    ? id.capabilities
    : Object.entries(id.capabilities)
        .filter(([, v]) => v)
        .map(([k]) => k);
  return {
    vendor: id.vendor,
    model: id.model,
    serialNumber: id.serialNumber,
    firmware: id.firmwareVersion,
    ttp: id.ttp,
    capabilities: caps.sort(),
    link,
    terminalId,
  };
}

/**
 * Says hello to the terminal before the run: its identity goes on the certificate, its capabilities
 * decide which cases apply, and an unreachable terminal stops here with a clear message instead of
 * failing every scenario.
 */
export async function identifyTerminal(
  terminal: string,
  timeoutMs: number,
  labFile?: string,
): Promise<{ identity: TerminalIdentity; profile: RunProfile }> {
  const { resolveProfile } = require('../../drivers/conformance') as typeof import('../../drivers/conformance');
  if (terminal.startsWith('operator:')) {
    // No TTP to say hello: the identity and capabilities are what the operator declared in the spec.
    const spec = (require('../../drivers/operator') as typeof import('../../drivers/operator')).parseOperatorTerminal(terminal);
    const identity: TerminalIdentity = {
      vendor: spec.vendor,
      model: spec.model,
      serialNumber: spec.serialNumber,
      firmware: spec.firmware,
      ttp: 'none (operator)',
      capabilities: spec.capabilities,
      link: terminal,
      terminalId: spec.terminalId,
    };
    return { identity, profile: resolveProfile({ env: process.env.POSCERT_PROFILE }) };
  }
  try {
    if (isEmulated(terminal)) {
      const { startEmulatedLab } = require('../../drivers/lab') as typeof import('../../drivers/lab');
      const named = emulatorProfileOf(terminal);
      const lab = await startEmulatedLab({ terminals: 1, emulator: { profile: named.name } });
      try {
        const hello = await lab.terminals[0].driver.hello();
        return {
          identity: toIdentity(hello as unknown as DriverIdentity, 'emulator (in-process)'),
          profile: { profile: hello.profile ?? named.profile, source: 'hello' },
        };
      } finally {
        await lab.stop();
      }
    }
    if (terminal.startsWith('lab:')) {
      // The lab file entry as the run will open it (bindings, timeouts; emu: entries in-process).
      const { findLabTerminal, labNames, loadLabFile } = require('../../drivers/labfile') as typeof import('../../drivers/labfile');
      const { openLabTerminal } = require('../../drivers/lab') as typeof import('../../drivers/lab');
      const lab = loadLabFile(labFile);
      // One terminal per worker (lab:A,B): each must answer; the plan applies what all of them declare.
      const identities: TerminalIdentity[] = [];
      let profile: RunProfile | undefined;
      for (const name of labNames(terminal)) {
        const entry = findLabTerminal(lab, name);
        const opened = await openLabTerminal(entry, {
          driver: { responseTimeoutMs: timeoutMs, linkOptions: { connectTimeoutMs: timeoutMs, negotiationTimeoutMs: timeoutMs } as never },
        });
        try {
          const hello = await opened.driver.hello();
          identities.push(toIdentity(hello as unknown as DriverIdentity, entry.link, entry.terminalId));
          profile ??= resolveProfile({
            hello: hello.profile,
            labEntry: { file: lab.file, name: entry.name, profile: entry.profile },
            env: process.env.POSCERT_PROFILE,
          });
        } finally {
          await opened.stop().catch(() => undefined);
        }
      }
      const common = (identities[0].capabilities ?? []).filter((c) => identities.every((i) => i.capabilities?.includes(c)));
      return { identity: { ...identities[0], capabilities: common }, profile: profile! };
    }
    const { TerminalDriver } = require('../../drivers/terminal') as typeof import('../../drivers/terminal');
    const driver = await TerminalDriver.connect(terminal, {
      name: terminal,
      responseTimeoutMs: timeoutMs,
      card: 'ttp',
      linkOptions: { connectTimeoutMs: timeoutMs, negotiationTimeoutMs: timeoutMs } as never,
    });
    try {
      const hello = await driver.hello();
      return {
        identity: toIdentity(hello as unknown as DriverIdentity, terminal),
        profile: resolveProfile({ hello: hello.profile, env: process.env.POSCERT_PROFILE }),
      };
    } finally {
      await driver.close().catch(() => undefined);
    }
  } catch (e) {
    // A bad lab file, an unknown entry name or an invalid declared profile is a configuration error: its own message says what to fix.
    if (
      e instanceof TerminalUnreachableError ||
      ['LAB_FILE_INVALID', 'TERMINAL_PROFILE_INVALID', 'EMULATOR_CONFIG'].includes((e as PoscertError).code)
    )
      throw e;
    const code = (e as PoscertError).code ? ` [${(e as PoscertError).code}]` : '';
    throw new TerminalUnreachableError(
      `terminal ${terminal} did not answer hello: ${(e as Error).message}${code}. ` +
        'Check the cable or ser2net, the port in the URL, and that the terminal runs its test firmware; `poscert lab check` diagnoses a lab terminal.',
      { terminal, cause: (e as PoscertError).code },
    );
  }
}

export function summary(r: CertifyOutcome, root: string): string {
  const d = r.certificate;
  const rel = (p: string) => path.relative(process.cwd(), path.resolve(root, p)) || p;
  const lines: string[] = [''];
  lines.push(`${d.verdict}${d.scope.partial ? ` (shard ${d.scope.shard}: partial, merge all shards)` : ''} — ${d.because}`);
  const serials = d.terminal.units.length > 1 ? d.terminal.units.map((u) => u.serialNumber ?? '?').join(', ') : (d.terminal.serialNumber ?? '?');
  lines.push(`  terminal  ${d.terminal.vendor ?? '?'} ${d.terminal.model ?? '?'} s/n ${serials} firmware ${d.terminal.firmware ?? '?'}`);
  lines.push(`  plan      ${d.plan.name} ${d.plan.version}   run ${d.runId}`);
  const c = d.counts;
  lines.push(
    `  cases     ${c.total}: ${c.passed} passed, ${c.failed} failed, ${c.broken} broken, ${c.skipped} skipped` +
      `   (mandatory applicable ${d.mandatoryCounts.total}: ${d.mandatoryCounts.passed} passed, ${d.mandatoryCounts.failed} failed, ${d.mandatoryCounts.broken} broken)`,
  );
  // Cases left out of a subset run are listed once, not one line each.
  const notRun = d.failures.filter((f) => f.step === '(not run)');
  const judged = d.failures.filter((f) => f.step !== '(not run)');
  for (const reason of new Set(notRun.map((f) => f.message))) {
    const ids = notRun.filter((f) => f.message === reason).map((f) => f.id);
    lines.push(`  not run   ${ids.length} case${ids.length > 1 ? 's' : ''} (${reason}): ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''}`);
  }
  if (judged.length) {
    lines.push('  failures  (first failing check)');
    for (const f of judged) {
      lines.push(`    ${f.result === 'failed' ? '✘' : '!'} ${f.id} ${f.result}${f.mandatory ? '' : ' (optional)'}: ${f.step}`);
      const msg = f.message.split('\n')[0];
      if (msg && msg !== f.step) lines.push(`        ${msg}`);
    }
  }
  const findings = d.dataProtection.findings;
  for (const f of findings.slice(0, 10)) lines.push(`  SENSITIVE DATA  ${describeFinding(f)}`);
  if (findings.length > 10) lines.push(`  SENSITIVE DATA  … and ${findings.length - 10} more (certificate.json lists them all)`);
  for (const e of d.runErrors.filter((x) => !x.startsWith('sensitive data'))) lines.push(`  run problem  ${e}`);
  lines.push(`  certificate  ${rel(r.paths.certificateJson)}  ${rel(r.paths.certificateHtml)}`);
  lines.push(`  junit        ${rel(r.paths.junit)}`);
  lines.push(
    r.reportGenerated
      ? `  report       ${rel(path.join(r.paths.allureReport, 'index.html'))} (serve it over http, e.g. npx allure open ${rel(r.paths.allureReport)})`
      : `  report       not generated${r.reportNote ? `: ${r.reportNote}` : ''}; allure-results in ${rel(r.paths.allureResults)}`,
  );
  lines.push(`  exit code ${d.exitCode}`);
  return lines.join('\n');
}

export async function runCertify(args: string[], io: Io, root = ROOT): Promise<number> {
  try {
    const parsed = parseCertifyArgs(args, io);
    if (typeof parsed === 'number') return parsed;
    const o = parsed;
    checkDefects(o.defects);
    const plan = loadPlan(o.plan, root); // fail fast on a missing or invalid plan, before the terminal
    io.out(
      `poscert certify: plan ${plan.name} ${plan.version} (${plan.cases.length} cases), terminal ${o.terminal}` +
        `${o.defects.length ? `, defects ${o.defects.join(', ')}` : ''}${o.parallel > 1 ? `, ${o.parallel} workers` : ''}${o.shard ? `, shard ${o.shard}` : ''}\n`,
    );
    // Every terminal is asked first, the built-in emulator too (one started for the question): an
    // unreachable one stops here, and its capabilities choose the applicable cases before the run, so
    // --bail never stops at a case the certificate would judge not applicable, and no such case runs.
    const said = await identifyTerminal(o.terminal, o.helloTimeoutMs, o.labFile);
    const identity: TerminalIdentity = said.identity;
    const profile: RunProfile = said.profile;
    io.out(
      `terminal: ${identity.vendor} ${identity.model} s/n ${identity.serialNumber} firmware ${identity.firmware}; ` +
        `capabilities ${identity.capabilities?.join(', ') || 'none'}; profile ${profile.profile.name} (${profile.source})` +
        `${isEmulated(o.terminal) ? '; one emulator per worker' : ''}\n`,
    );
    const result = await certify({
      root,
      outDir: o.out,
      plan: plan.source,
      terminal: o.terminal,
      identity,
      profile,
      hostLink: o.hostLink,
      env: isEmulated(o.terminal)
        ? emulatorTimeoutEnv()
        : {
            ...(o.labFile ? { POSCERT_LAB_FILE: o.labFile } : {}),
            ...(o.hostListen ? { POSCERT_HOST_LISTEN: o.hostListen } : {}),
            // Workers judge by the same profile (a terminal whose hello declares one reports it again).
            POSCERT_PROFILE: JSON.stringify(profile.profile),
          },
      tags: o.tags,
      lang: o.lang,
      parallel: o.parallel,
      defects: o.defects,
      shard: o.shard,
      skipReport: !o.report,
      bail: o.bail,
      log: (line) => io.out(`${line}\n`),
      onCucumberOutput: (t) => io.err(t),
    });
    io.out(`${summary(result, root)}\n`);
    return result.exitCode;
  } catch (e) {
    if (e instanceof PoscertError) {
      io.err(`poscert certify: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
