/**
 * `poscert lab check [NAME...]`: opens each terminal of the lab file, says hello and prints what
 * it is (identity, firmware, capabilities, round-trip time) — or the exact error and what to do —
 * and whether the terminal can reach poscert's reference host where a run will put it (the entry's
 * host.listen or --host-listen: the address it dials, or TTP config of host).
 * Exit code 0 when every checked terminal answered, declared what the lab file expects and can
 * reach the host, 1 when one did not, 2 for a usage or lab-file error.
 */
import { Command } from 'commander';
import { runSubcommands } from '../subcommands';
import * as path from 'node:path';
import {
  LinkBusyError,
  LinkDownError,
  LinkError,
  LinkNotFoundError,
  LinkPermissionError,
  LinkRefusedError,
  LinkTimeoutError,
  LinkUrlError,
} from '../../links';
import { TtpLinkBrokenError, TtpRemoteError, TtpResponseTimeoutError } from '../../protocol/ttp';
import { PoscertError } from '../../errors';
import { LabFileError, TerminalCommandError } from '../../drivers/errors';
import { DEFAULT_LAB_FILE, LabTerminal, driverOptionsForLabTerminal, findLabTerminal, loadLabFile, missingCapabilities } from '../../drivers/labfile';
import { TerminalDriver, TerminalIdentity } from '../../drivers/terminal';
import { HostPlacement, hostPlacement } from '../../drivers/lab';

export interface LabCheckResult {
  name: string;
  link: string;
  ok: boolean;
  identity?: TerminalIdentity;
  roundTripMs?: { min: number; median: number; max: number; samples: number };
  missingCapabilities?: string[];
  mismatches?: string[];
  error?: { code: string; message: string; advice: string };
  /** Can the terminal reach the reference host where a run puts it? */
  host?: HostReach;
}

export interface HostReach {
  ok: boolean;
  /** Where the run's host listens ('HOST:PORT', or 'a free port per run'). */
  listen: string;
  /** The address the terminal dials, as it reports it (TTP config), if it does. */
  dials?: string;
  /** Whether the terminal accepts TTP config of host (probed by setting the value it has). */
  settable?: boolean;
  message: string;
}

export interface LabCheckOptions {
  labFile: string;
  names: string[];
  timeoutMs: number;
  pings: number;
  /** As certify --host-listen: where the run's host will listen (overrides the entries' host.listen). */
  hostListen?: string;
}

export async function run(args: string[]): Promise<number> {
  return runLab(args, process.stdout, process.stderr);
}

/** The command with its output streams injectable (tests). */
export async function runLab(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const write = (s = '') => out.write(s + '\n');
  const program = new Command('poscert lab')
    .description('check the terminals of the lab file (scenarios/lab.yaml)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  let result = 0;
  program
    .command('check')
    .description('open each terminal, say hello, print identity, firmware, capabilities and round-trip time')
    .argument('[names...]', 'lab file entries to check (default: all)')
    .option('--lab <file>', 'lab file', DEFAULT_LAB_FILE)
    .option('--timeout <ms>', 'wait this long for a TTP reply', '3000')
    .option('--pings <n>', 'screen requests timed for the round trip', '5')
    .option('--json', 'print the results as JSON')
    .option('--host-listen <host:port>', "check against this host address (as certify --host-listen) instead of the entries' host.listen")
    .action(async (names: string[], o: { lab: string; timeout: string; pings: string; json?: boolean; hostListen?: string }) => {
      const timeoutMs = Number(o.timeout);
      const pings = Number(o.pings);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || !Number.isInteger(pings) || pings < 1) {
        err.write('poscert lab check: --timeout and --pings take positive whole numbers\n');
        result = 2;
        return;
      }
      let results: LabCheckResult[];
      try {
        results = await labCheck(
          { labFile: path.resolve(o.lab), names, timeoutMs, pings, ...(o.hostListen ? { hostListen: o.hostListen } : {}) },
          o.json ? undefined : (r) => printResult(r, write),
        );
      } catch (e) {
        if (e instanceof LabFileError) {
          err.write(`poscert lab check: ${e.message}\n`);
          result = 2;
          return;
        }
        throw e;
      }
      if (o.json) write(JSON.stringify(results, null, 2));
      else {
        const bad = results.filter((r) => !r.ok).length;
        write(bad === 0 ? `${results.length} terminal(s) ready.` : `${bad} of ${results.length} terminal(s) not ready.`);
      }
      result = results.every((r) => r.ok) ? 0 : 1;
    });
  return runSubcommands(program, args, out, () => result);
}

/** Checks the named entries (all when none named); `onResult` sees each result as it comes. */
export async function labCheck(opts: LabCheckOptions, onResult?: (r: LabCheckResult) => void): Promise<LabCheckResult[]> {
  const lab = loadLabFile(opts.labFile);
  const entries = opts.names.length ? opts.names.map((n) => findLabTerminal(lab, n)) : lab.terminals;
  const results: LabCheckResult[] = [];
  for (const entry of entries) {
    const r = await checkOne(entry, opts);
    onResult?.(r);
    results.push(r);
  }
  return results;
}

async function checkOne(entry: LabTerminal, opts: LabCheckOptions): Promise<LabCheckResult> {
  const result: LabCheckResult = { name: entry.name, link: entry.link, ok: false };
  let stopEmulator: (() => Promise<void>) | undefined;
  let driver: TerminalDriver | undefined;
  try {
    if (entry.link.startsWith('emu:')) {
      // The built-in emulator lives in this process: start it on the entry's emu: name first.
      const { startLabEmulator } = await import('../../drivers/lab');
      stopEmulator = await startLabEmulator(entry);
    }
    driver = await TerminalDriver.connect(entry.link, {
      ...driverOptionsForLabTerminal(entry),
      responseTimeoutMs: opts.timeoutMs,
      linkOptions: { connectTimeoutMs: opts.timeoutMs, negotiationTimeoutMs: opts.timeoutMs },
      card: 'ttp', // lab check presents no card; do not open a card simulator or prompt anyone
      pin: 'ttp',
    });
    const identity = await driver.hello();
    result.identity = identity;
    const samples: number[] = [];
    for (let i = 0; i < opts.pings; i++) samples.push(await driver.ping());
    samples.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    result.roundTripMs = {
      min: round(samples[0]),
      median: round(samples[Math.floor(samples.length / 2)]),
      max: round(samples[samples.length - 1]),
      samples: samples.length,
    };
    result.missingCapabilities = missingCapabilities(entry, identity.capabilities as unknown as Record<string, boolean>);
    result.mismatches = [];
    if (entry.model && entry.model !== identity.model) result.mismatches.push(`model is "${identity.model}", the lab file says "${entry.model}"`);
    if (entry.vendor && entry.vendor !== identity.vendor)
      result.mismatches.push(`vendor is "${identity.vendor}", the lab file says "${entry.vendor}"`);
    if (!entry.link.startsWith('emu:')) result.host = await checkHostReach(driver, hostPlacement({ listen: opts.hostListen, entry }));
    result.ok = result.missingCapabilities.length === 0 && result.mismatches.length === 0 && result.host?.ok !== false;
  } catch (e) {
    result.error = { code: (e as PoscertError).code ?? 'error', message: (e as Error).message, advice: advise(e, entry) };
  } finally {
    await driver?.close().catch(() => undefined);
    await stopEmulator?.().catch(() => undefined);
  }
  return result;
}

/**
 * Whether the terminal can reach the host a run starts for it: the host must be able to listen
 * there, and the terminal must dial that address or accept it over TTP config (probed by setting
 * the host address it already has, which changes nothing).
 */
export async function checkHostReach(driver: TerminalDriver, placement: HostPlacement): Promise<HostReach> {
  const listen = placement.fixed ? `${placement.bind}:${placement.port}` : 'a free port per run';
  if (placement.fixed) {
    const bindError = await tryListen(placement.bind, placement.port);
    if (bindError) return { ok: false, listen, message: `the reference host cannot listen on ${listen} (${placement.source}): ${bindError}` };
  }
  let dials: string | undefined;
  try {
    dials = (await driver.readConfiguration()).host;
  } catch (e) {
    return {
      ok: true,
      listen,
      message: `cannot read the terminal's host address (TTP config: ${(e as Error).message}); make sure it dials ${placement.address ?? listen}`,
    };
  }
  let settable: boolean | undefined;
  if (dials !== undefined) {
    try {
      await driver.configure({ host: dials });
      settable = true;
    } catch (e) {
      if (!(e instanceof TtpRemoteError)) throw e;
      settable = false;
    }
  }
  const base = { listen, ...(dials !== undefined ? { dials } : {}), ...(settable !== undefined ? { settable } : {}) };
  const target = placement.address;
  if (target && dials === target)
    return { ok: true, ...base, message: `the terminal dials ${target}, where the run's host listens (${placement.source})` };
  if (settable)
    return { ok: true, ...base, message: `the terminal dials ${dials}; the run points it at ${target ?? `its host on ${listen}`} over TTP config` };
  if (!placement.fixed) {
    return {
      ok: false,
      ...base,
      message: `the terminal does not accept TTP config of host${dials ? ` (it dials ${dials})` : ''} and the lab entry gives no host.listen: the run's host would listen on a free port the terminal cannot know. Give the entry "host: {listen: ${dials ?? 'HOST:PORT'}}"`,
    };
  }
  if (!target)
    return {
      ok: true,
      ...base,
      message: `the host listens on ${listen}; the terminal dials ${dials ?? '(unknown)'}: check it is an address of this machine`,
    };
  return {
    ok: false,
    ...base,
    message:
      `the terminal cannot reach the host: it dials ${dials ?? '(unknown)'} but the run's host listens on ${target} (${placement.source}), and it does not accept TTP config of host. Set ${target} in the terminal's own menu, or give the entry host.listen ${dials ?? ''}`.trim(),
  };
}

async function tryListen(host: string, port: number): Promise<string | undefined> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === 'EADDRINUSE'
          ? `port ${port} is in use (another host or program listens there)`
          : e.code === 'EADDRNOTAVAIL'
            ? `${host} is not an address of this machine`
            : e.message,
      ),
    );
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

/** What to do about an error, in one or two sentences. */
export function advise(e: unknown, entry: LabTerminal): string {
  if (e instanceof LinkUrlError) return `Fix the link URL of "${entry.name}" in the lab file.`;
  if (e instanceof LinkNotFoundError) {
    if (/^(tcp|rfc2217|telnet):/.test(entry.link)) return 'Check the host name in "link:" (typo? DNS? is the rack host in /etc/hosts?).';
    return e.candidates.length
      ? `Plug the adapter in, or point "link:" of "${entry.name}" at one of the devices present (prefer /dev/serial/by-id/ paths: they survive reboots).`
      : entry.link.startsWith('emu:')
        ? 'Start the emulator in this process, or use a serial:/tcp:// link.'
        : 'Plug the USB-serial adapter in and check `dmesg` for the device it got.';
  }
  if (e instanceof LinkBusyError)
    return 'Close the program named above (a terminal emulator like minicom/screen, another poscert run, or a ser2net holding the port), then check again.';
  if (e instanceof LinkPermissionError)
    return e.group
      ? `Add your user to group '${e.group}' (sudo usermod -aG ${e.group} $USER), log out and back in.`
      : 'Give your user read/write access to the device.';
  if (e instanceof LinkRefusedError)
    return 'Nothing listens there: check that ser2net runs on that host, that its config has an accepter on this port, and that no firewall blocks it.';
  if (e instanceof LinkTimeoutError) return 'The host did not answer in time: check the host name, the network path and firewalls.';
  if (e instanceof LinkDownError) return 'The link dropped while checking: check the cable / network and run the check again.';
  if (e instanceof LinkError) return 'Check the link settings in the lab file.';
  if (e instanceof TtpLinkBrokenError) {
    return 'The port opened but nothing answered in TTP: is the terminal powered on and in test mode, is the baud rate right (serial: ?baud=, ser2net: its config), and is it the right cable (null-modem for DB9)?';
  }
  if (e instanceof TtpResponseTimeoutError)
    return 'The terminal acknowledged the hello frame but never answered it: its test firmware may be busy or faulty; power-cycle it and check again.';
  if (e instanceof TtpRemoteError) return 'The terminal refused the hello request: update its test firmware to TTP 1.x.';
  if (e instanceof TerminalCommandError) return 'Use test firmware and a poscert release that speak the same TTP major version.';
  return 'Unexpected error: run again with the same lab file and report this message.';
}

function printResult(r: LabCheckResult, write: (s?: string) => void): void {
  write(`${r.name}  ${r.link}`);
  if (r.identity) {
    const id = r.identity;
    const caps = Object.entries(id.capabilities ?? {})
      .filter(([, v]) => v)
      .map(([k]) => k);
    write(`  ${r.ok ? 'OK  ' : 'WARN'}  ${id.vendor} ${id.model}, serial number ${id.serialNumber}`);
    write(`        firmware ${id.firmwareVersion}, TTP ${id.ttp}`);
    write(`        capabilities: ${caps.join(' ') || '(none declared)'}`);
    if (r.roundTripMs)
      write(
        `        round trip (TTP screen): median ${r.roundTripMs.median} ms, min ${r.roundTripMs.min} ms, max ${r.roundTripMs.max} ms over ${r.roundTripMs.samples}`,
      );
    if (r.missingCapabilities?.length)
      write(`        MISSING capabilities the lab file expects: ${r.missingCapabilities.join(' ')} (cases needing them will be skipped or fail)`);
    for (const m of r.mismatches ?? []) write(`        MISMATCH: ${m}`);
    if (r.host) write(`        host: ${r.host.ok ? '' : 'CANNOT REACH THE HOST: '}${r.host.message}`);
    if (r.roundTripMs && r.roundTripMs.median > 30 && /^(tcp|rfc2217|telnet):/.test(r.link)) {
      write('        hint: round trips near 40 ms over ser2net are Nagle + delayed ACK; give the accepter nodelay,');
      write('              e.g. "accepter: tcp(nodelay=true),3003" or "telnet(rfc2217),tcp(nodelay=true),4004" (measured: 48 ms -> 1 ms)');
    }
  } else if (r.error) {
    write(`  FAIL  ${r.error.message}`);
    write(`        what to do: ${r.error.advice}`);
  }
  write();
}
