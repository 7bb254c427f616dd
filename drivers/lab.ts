/**
 * An emulated lab in this process: the reference bank host on an ephemeral port and N emulated
 * terminals, each with its own terminal id at the host, its own state file, its own emu: endpoint
 * and a connected TerminalDriver. Used by the driver's tests, the certification run (one lab per
 * cucumber worker) and `poscert lab check` for emu: entries of the lab file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostConfig, ReferenceHost, ReferenceHostOptions, TerminalConfig, loadHostConfig } from '../host';
import { RunningEmulator, startEmulator, StartEmulatorOptions } from '../emulator';
import { TtpRemoteError, TtpTerminalConfig } from '../protocol/ttp';
import { LabFileError, TerminalHostError } from './errors';
import { LabTerminal, driverOptionsForLabTerminal, parseHostAndPort } from './labfile';
import { TerminalDriver, TerminalDriverOptions } from './terminal';

export interface EmulatedLabOptions {
  /** Number of emulated terminals (default 1). */
  terminals?: number;
  /** Firmware defects switched on in every emulator (emulator/defects.ts names). */
  defects?: string[];
  /** Host configuration (default: scenarios/ merchants, cards, issuer rules). */
  hostConfig?: HostConfig;
  /** Terminal ids to use, in order (default: the first active terminals of the host config). */
  terminalIds?: string[];
  /** Emulator timeouts (host response, card, PIN, idle); tests use short ones. */
  emulatorTimeouts?: StartEmulatorOptions['timeouts'];
  /** Extra emulator options for every terminal (language, voucher copies, ...). */
  emulator?: Partial<Omit<StartEmulatorOptions, 'link' | 'hostUrl' | 'statePath' | 'terminalId' | 'merchantId' | 'tmk' | 'keyScheme'>>;
  /** Extra host options (idle timeout, logger, db path, ...). */
  host?: Partial<Omit<ReferenceHostOptions, 'config' | 'port'>>;
  /** Driver options for every terminal (timeouts, recovery). */
  driver?: TerminalDriverOptions;
  /** Where the state files go (default a fresh temp dir, removed by stop()). */
  stateDir?: string;
  /** Names of the emu: endpoints (default unique per lab). */
  emuNames?: string[];
  /**
   * Where each emulator serves TTP instead of an emu: endpoint: serial:/dev/pts/N (one end of a
   * socat pair), tcp-listen:PORT. Give `harnessUrls` too: what the drivers open (the other end of
   * the pair, or tcp://, rfc2217:// of a ser2net in front of it).
   */
  terminalLinks?: string[];
  harnessUrls?: string[];
  /** Open a driver per terminal (default true); false leaves `driver` undefined-free by skipping connect. */
  connect?: boolean;
}

export interface EmulatedLabTerminal {
  /** Link URL a driver opens (emu:NAME). */
  url: string;
  /** Connected driver (hello not yet said; call ensureSignedOnIdle()). */
  driver: TerminalDriver;
  terminalId: string;
  merchantId: string;
  emulator: RunningEmulator;
  statePath: string;
}

export interface EmulatedLab {
  host: ReferenceHost;
  hostConfig: HostConfig;
  terminals: EmulatedLabTerminal[];
  /** Closes drivers, powers off the emulators, stops the host, removes the temp state. Idempotent. */
  stop(): Promise<void>;
}

let labCounter = 0;

/** Active terminals of the host config whose key scheme the emulator supports, in file order. */
function usableTerminals(config: HostConfig): TerminalConfig[] {
  return config.terminals.filter((t) => t.status === 'active');
}

export async function startEmulatedLab(opts: EmulatedLabOptions = {}): Promise<EmulatedLab> {
  const count = opts.terminals ?? 1;
  if (!Number.isInteger(count) || count < 1)
    throw new LabFileError(`startEmulatedLab: terminals must be a whole number >= 1 (got ${count})`, { terminals: count });
  const hostConfig = opts.hostConfig ?? loadHostConfig();
  const candidates = usableTerminals(hostConfig);
  const chosen: TerminalConfig[] = [];
  if (opts.terminalIds) {
    for (const id of opts.terminalIds.slice(0, count)) {
      const t = hostConfig.terminals.find((x) => x.terminalId === id);
      if (!t)
        throw new LabFileError(
          `Terminal id ${id} is not in the host configuration (${hostConfig.sources.join(', ') || 'in-memory'}); known: ${hostConfig.terminals.map((x) => x.terminalId).join(', ')}`,
          { terminalId: id },
        );
      chosen.push(t);
    }
  } else {
    chosen.push(...candidates.slice(0, count));
  }
  if (chosen.length < count) {
    throw new LabFileError(`The host configuration has ${chosen.length} usable terminal(s), ${count} requested; add terminals to merchants.yaml`, {
      requested: count,
      available: chosen.length,
    });
  }

  const lab = ++labCounter;
  const ownStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-lab-'));
  const host = await ReferenceHost.start({ ...opts.host, config: hostConfig, port: 0 });
  const terminals: EmulatedLabTerminal[] = [];
  const emulators: RunningEmulator[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const t of terminals) await t.driver?.close().catch(() => undefined);
    for (const e of emulators) await e.close().catch(() => undefined);
    await host.stop().catch(() => undefined);
    if (ownStateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const t = chosen[i];
      const name = opts.emuNames?.[i] ?? `lab${process.pid}-${lab}-${i + 1}`;
      const terminalLink = opts.terminalLinks?.[i] ?? `emu:${name}`;
      const url = opts.harnessUrls?.[i] ?? (terminalLink.startsWith('emu:') ? terminalLink : undefined);
      if (!url)
        throw new LabFileError(
          `startEmulatedLab: terminal ${i + 1} serves on ${terminalLink}; give harnessUrls[${i}] (the link a driver opens to reach it)`,
          { terminalLink },
        );
      const statePath = path.join(stateDir, `terminal-${t.terminalId}.json`);
      const emulator = await startEmulator({
        ...opts.emulator,
        link: terminalLink,
        hostUrl: `tcp://127.0.0.1:${host.port}`,
        statePath,
        terminalId: t.terminalId,
        merchantId: t.merchantId,
        merchantName: hostConfig.merchants.find((m) => m.merchantId === t.merchantId)?.name,
        tmk: t.tmk.reveal().toString('hex').toUpperCase(),
        keyScheme: t.keyScheme === 'SM4' || (t.keyScheme as string) === 'sm4' ? 'sm4' : 'tdes',
        defects: opts.defects ?? [],
        timeouts: opts.emulatorTimeouts ?? opts.emulator?.timeouts,
      });
      emulators.push(emulator);
      const driver =
        opts.connect === false
          ? (undefined as unknown as TerminalDriver)
          : await TerminalDriver.connect(url, { name: `emulator ${t.terminalId}`, ...opts.driver });
      terminals.push({ url, driver, terminalId: t.terminalId, merchantId: t.merchantId, emulator, statePath });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, hostConfig, terminals, stop };
}

/**
 * `poscert lab check` for an emu: entry: starts the built-in emulator (and a reference host for it
 * to sign on with) on the entry's emu: endpoint. Returns the stop function.
 */
export async function startLabEmulator(entry: LabTerminal): Promise<() => Promise<void>> {
  const name = entry.link.slice('emu:'.length).replace(/^\/\//, '') || 'default';
  const lab = await startEmulatedLab({
    terminals: 1,
    emuNames: [name],
    terminalIds: entry.terminalId ? [entry.terminalId] : undefined,
    defects: entry.emulator?.defects ?? [],
    ...(entry.emulator?.profile ? { emulator: { profile: entry.emulator.profile } } : {}),
    connect: false,
  });
  return lab.stop;
}

export interface OpenedLabTerminal {
  entry: LabTerminal;
  driver: TerminalDriver;
  /** The in-process lab (host + emulator) when the entry is an emu: link. */
  lab?: EmulatedLab;
  /** Closes the driver (and the in-process emulator and host). */
  stop(): Promise<void>;
}

/**
 * Opens a lab file entry as `poscert certify --terminal lab:NAME` needs it: a real terminal is
 * connected with the entry's bindings and timeouts; an emu: entry gets the built-in emulator and
 * reference host started in this process first (with the entry's terminal id and defects).
 */
export async function openLabTerminal(
  entry: LabTerminal,
  opts: { driver?: TerminalDriverOptions; lab?: EmulatedLabOptions } = {},
): Promise<OpenedLabTerminal> {
  const driverOptions = driverOptionsForLabTerminal(entry, opts.driver);
  if (entry.link.startsWith('emu:')) {
    const name = entry.link.slice('emu:'.length).replace(/^\/\//, '') || 'default';
    const lab = await startEmulatedLab({
      ...opts.lab,
      terminals: 1,
      emuNames: [name],
      terminalIds: entry.terminalId ? [entry.terminalId] : opts.lab?.terminalIds,
      defects: [...(entry.emulator?.defects ?? []), ...(opts.lab?.defects ?? [])],
      ...(entry.emulator?.profile ? { emulator: { ...opts.lab?.emulator, profile: entry.emulator.profile } } : {}),
      driver: driverOptions,
    });
    return { entry, driver: lab.terminals[0].driver, lab, stop: lab.stop };
  }
  const driver = await TerminalDriver.connect(entry.link, driverOptions);
  return { entry, driver, stop: () => driver.close() };
}

// ---------------------------------------------------------------------------------------------
// Where a real terminal finds poscert's reference host

/** Where the reference host listens for a real terminal during a run, and what the terminal dials. */
export interface HostPlacement {
  /** Address the host binds. */
  bind: string;
  /** Port the host binds; 0 = a free one per run (only for terminals that accept TTP config of host). */
  port: number;
  /**
   * 'HOST:PORT' the terminal must dial; for port 0 known once the host is up (hostAddressFor).
   * Undefined when the host listens on a wildcard address and no address was given: then the
   * terminal keeps the address the lab configured.
   */
  address?: string;
  /** True when the address is fixed (lab entry `host`, or --host-listen): the terminal may have it configured once. */
  fixed: boolean;
  /** What decided it, for messages: '--host-listen', 'lab entry NAME', or 'a free port per run'. */
  source: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * The host placement for a run: --host-listen (POSCERT_HOST_LISTEN) wins over the lab entry's
 * `host.listen`; without either, a free port on POSCERT_HOST_BIND (default loopback).
 * POSCERT_HOST_ADDRESS / `host.address` name the address the terminal dials when it differs.
 */
export function hostPlacement(o: { listen?: string; address?: string; bind?: string; entry?: LabTerminal }): HostPlacement {
  const listen = o.listen
    ? { text: o.listen, source: '--host-listen' }
    : o.entry?.host
      ? { text: o.entry.host.listen, source: `lab entry ${o.entry.name}` }
      : undefined;
  const addressText = o.address ?? o.entry?.host?.address;
  const address = addressText ? parseHostAndPort(addressText, 'host address') : undefined;
  if (!listen) {
    const bind = o.bind || '127.0.0.1';
    return { bind, port: 0, fixed: false, source: 'a free port per run', ...(address ? { address: `${address.host}:${address.port}` } : {}) };
  }
  const l = parseHostAndPort(listen.text, listen.source === '--host-listen' ? '--host-listen' : `${listen.source} host.listen`);
  const dial = address ? `${address.host}:${address.port}` : WILDCARDS.has(l.host) ? undefined : `${l.host}:${l.port}`;
  return { bind: l.host, port: l.port, fixed: true, source: listen.source, ...(dial ? { address: dial } : {}) };
}

/** The address the terminal dials once the host is up on `boundPort` (a free port per run). */
export function hostAddressFor(placement: HostPlacement, boundAddress: string, boundPort: number): string | undefined {
  if (placement.address) return placement.port === 0 && !/:\d+$/.test(placement.address) ? `${placement.address}:${boundPort}` : placement.address;
  if (placement.fixed) return undefined;
  return `${WILDCARDS.has(boundAddress) ? '127.0.0.1' : boundAddress}:${boundPort}`;
}

/**
 * Points a real terminal at the reference host over TTP `config` (host address, terminal id, host
 * timeout), member by member where the terminal refuses some (`not-supported` / `bad-request`
 * with detail.field): a terminal whose host address is set in its own menu only is fine when the
 * address is fixed, and a TerminalHostError (with what to do) when the host moves every run.
 * Returns notes for the transcript and the log.
 */
export async function pointTerminalAtHost(
  driver: TerminalDriver,
  o: { placement: HostPlacement; address?: string; terminalId?: string; hostResponseMs?: number },
): Promise<string[]> {
  const notes: string[] = [];
  const set: TtpTerminalConfig & Record<string, unknown> = {
    ...(o.address ? { host: o.address } : {}),
    ...(o.terminalId ? { terminalId: o.terminalId } : {}),
    ...(o.hostResponseMs ? { timeouts: { hostResponseMs: o.hostResponseMs } } : {}),
  };
  let hostRefused: TtpRemoteError | undefined;
  for (let attempt = 0; Object.keys(set).length > 0 && attempt < 4; attempt++) {
    try {
      await driver.configure(set);
      break;
    } catch (err) {
      const field =
        err instanceof TtpRemoteError && ['not-supported', 'bad-request'].includes(err.ttpCode) ? String(err.detail?.field ?? '').split('.')[0] : '';
      if (!field || !(field in set)) throw err;
      if (field === 'host') hostRefused = err as TtpRemoteError;
      else notes.push(`the terminal keeps its own ${field} (TTP config: ${(err as TtpRemoteError).ttpCode})`);
      delete set[field];
    }
  }
  if (hostRefused) {
    if (!o.placement.fixed) {
      throw new TerminalHostError(
        `Terminal ${driver.name} does not let the harness set its host address (TTP config host: ${hostRefused.ttpCode}), ` +
          `and the reference host listens on ${o.address ?? 'a free port'} (${o.placement.source}), which the terminal cannot know. ` +
          'Give the lab entry "host: {listen: HOST:PORT}" with the address the terminal is configured to dial, or run with --host-listen HOST:PORT.',
        { terminal: driver.name, ttpCode: hostRefused.ttpCode, address: o.address },
      );
    }
    notes.push(
      `the terminal's host address is set in the terminal itself (TTP config host: ${hostRefused.ttpCode}); the reference host listens on ${o.placement.bind}:${o.placement.port} (${o.placement.source})`,
    );
  } else if (o.address) {
    notes.push(`terminal pointed at the reference host ${o.address} (${o.placement.source})`);
  }
  return notes;
}

/**
 * A real terminal outlives the runs, while each run's reference host starts from nothing:
 *  - no working keys for the terminal: a terminal still signed on from an earlier run MACs with
 *    keys this host never issued (A0, MAC error), so it signs on here first (管理/签到), as a
 *    terminal does with a new acquirer host;
 *  - an empty ledger: transactions an earlier run left in the terminal's batch would make this
 *    run's settlements disagree with the host, so the batch is settled once (a cash-register
 *    settlement: the terminal uploads what the host does not know and closes the batch).
 * The run then judges only what it made. Returns notes for the log.
 */
export async function prepareTerminalForRun(driver: TerminalDriver, opts: { timeoutMs?: number } = {}): Promise<string[]> {
  await driver.ensureSignedOnIdle();
  await driver.signOn();
  const notes = ["signed on at this run's reference host"];
  try {
    const r = await driver.ecr({ request: 'settle' }, { timeoutMs: opts.timeoutMs });
    notes.push(
      `leftover batch settled before the run (${r.approved ? 'closed' : `not approved: ${r.responseCode ?? r.message ?? '?'}`}${r.batch ? `, batch ${r.batch}` : ''})`,
    );
  } catch (err) {
    // A terminal with nothing to settle may refuse; the run's own settlements judge the rest.
    if (!(err instanceof TtpRemoteError)) throw err;
    notes.push(`no leftover batch settled: ${err.message}`);
  }
  await driver.ensureSignedOnIdle();
  return notes;
}
