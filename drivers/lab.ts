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
import { LabFileError } from './errors';
import { LabTerminal, driverOptionsForLabTerminal } from './labfile';
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
  if (!Number.isInteger(count) || count < 1) throw new LabFileError(`startEmulatedLab: terminals must be a whole number >= 1 (got ${count})`, { terminals: count });
  const hostConfig = opts.hostConfig ?? loadHostConfig();
  const candidates = usableTerminals(hostConfig);
  const chosen: TerminalConfig[] = [];
  if (opts.terminalIds) {
    for (const id of opts.terminalIds.slice(0, count)) {
      const t = hostConfig.terminals.find((x) => x.terminalId === id);
      if (!t) throw new LabFileError(`Terminal id ${id} is not in the host configuration (${hostConfig.sources.join(', ') || 'in-memory'}); known: ${hostConfig.terminals.map((x) => x.terminalId).join(', ')}`, { terminalId: id });
      chosen.push(t);
    }
  } else {
    chosen.push(...candidates.slice(0, count));
  }
  if (chosen.length < count) {
    throw new LabFileError(`The host configuration has ${chosen.length} usable terminal(s), ${count} requested; add terminals to merchants.yaml`, { requested: count, available: chosen.length });
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
      if (!url) throw new LabFileError(`startEmulatedLab: terminal ${i + 1} serves on ${terminalLink}; give harnessUrls[${i}] (the link a driver opens to reach it)`, { terminalLink });
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
      const driver = opts.connect === false
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
export async function openLabTerminal(entry: LabTerminal, opts: { driver?: TerminalDriverOptions; lab?: EmulatedLabOptions } = {}): Promise<OpenedLabTerminal> {
  const driverOptions = driverOptionsForLabTerminal(entry, opts.driver);
  if (entry.link.startsWith('emu:')) {
    const name = entry.link.slice('emu:'.length).replace(/^\/\//, '') || 'default';
    const lab = await startEmulatedLab({
      ...opts.lab,
      terminals: 1,
      emuNames: [name],
      terminalIds: entry.terminalId ? [entry.terminalId] : opts.lab?.terminalIds,
      defects: [...(entry.emulator?.defects ?? []), ...(opts.lab?.defects ?? [])],
      driver: driverOptions,
    });
    return { entry, driver: lab.terminals[0].driver, lab, stop: lab.stop };
  }
  const driver = await TerminalDriver.connect(entry.link, driverOptions);
  return { entry, driver, stop: () => driver.close() };
}
