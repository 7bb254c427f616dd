// The terminal and reference host of one cucumber worker. Started once per worker process (lazily,
// by the first Before hook, so the profile's worldParameters apply) and stopped by AfterAll.
//
//   POSCERT_TERMINAL unset or 'emulator' → startEmulatedLab: the reference host and one emulated
//     terminal in-process, terminal id per worker (CUCUMBER_WORKER_ID), POSCERT_DEFECTS switched on.
//   'lab:NAME' (POSCERT_LAB_FILE, default scenarios/lab.yaml; 'lab:A,B' = one entry per worker) or a
//     link URL → the reference host in-process where the terminal finds it (drivers/lab
//     hostPlacement: --host-listen, the entry's host.listen, or a free loopback port) and the real
//     terminal over its link, pointed (TTP config, where it accepts it) at this host and terminal id.
import { AfterAll } from '@cucumber/cucumber';
import { TerminalDriver, TerminalDriverOptions } from '../../drivers/terminal';
import { LabTerminal, labEntryForWorker, labFilePath, loadLabFile } from '../../drivers/labfile';
import { hostAddressFor, prepareTerminalForRun, hostPlacement, pointTerminalAtHost, startEmulatedLab } from '../../drivers/lab';
import type { TerminalIdentity } from '../../drivers/terminal';
import { ReferenceHost, loadHostConfig, type HostConfig, type HostControl } from '../../drivers';
import { resolveProfile } from '../../drivers/conformance';
import { runOverPublicNetwork } from '../../drivers/public-network';
import type { OperatorAnswer, PersonConsole } from '../../drivers/operator';
import { isOperatorTerminal, startOperatorLab } from './by-hand';
import { readRunSettings, RunSettings, RunSettingsError, WorldParameters } from './settings';

export interface WorkerLab {
  settings: RunSettings;
  driver: TerminalDriver;
  host: HostControl;
  config: HostConfig;
  terminalId: string;
  identity: TerminalIdentity;
  /** The in-process emulator when there is one (test-firmware controls such as tamper). */
  emulator?: unknown;
  /** Operator terminal (no TTP): the person's console, where the host listens, what they answered (by-hand.ts). */
  person?: PersonConsole;
  hostAddress?: string;
  operatorAnswers?: OperatorAnswer[];
  stop(): Promise<void>;
}

let current: Promise<WorkerLab> | undefined;

export function workerLab(params: WorldParameters): Promise<WorkerLab> {
  current ??= startWorkerLab(params);
  return current;
}

async function startWorkerLab(params: WorldParameters): Promise<WorkerLab> {
  const settings = readRunSettings(process.env, params);
  const config = loadHostConfig();
  if (isOperatorTerminal(settings.terminal)) return startOperatorLab(settings, config);
  if (settings.terminal === 'emulator' || settings.terminal.startsWith('emu:')) {
    return startEmulated(settings, config);
  }
  if (settings.terminal.startsWith('lab:')) {
    // A lab entry whose link is emu: is the built-in emulator, with the entry's defects.
    const entry = workerEntry(settings.terminal);
    if (entry.link.startsWith('emu:')) {
      return startEmulated(
        { ...settings, defects: [...new Set([...(entry.emulator?.defects ?? []), ...settings.defects])] },
        config,
        entry.emulator?.profile,
      );
    }
  }
  return startExternal(settings, config);
}

/** One emulated terminal and the reference host, in-process (drivers/lab startEmulatedLab). */
async function startEmulated(settings: RunSettings, config: HostConfig, profile?: string): Promise<WorkerLab> {
  // emu:NAME names one of the emulator's conformant profiles (emulator/profiles.ts).
  const name = profile ?? (settings.terminal.startsWith('emu:') ? settings.terminal.slice('emu:'.length) || undefined : undefined);
  const lab = await startEmulatedLab({
    ...(name ? { emulator: { profile: name } } : {}),
    terminals: 1,
    terminalIds: [settings.terminalId],
    hostConfig: config,
    defects: settings.defects,
    emulatorTimeouts: { hostResponseMs: settings.hostResponseTimeoutMs },
    driver: {
      screenTimeoutMs: settings.screenTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      recovery: { settleMs: Math.min(1500, settings.screenTimeoutMs), bootMs: settings.screenTimeoutMs, signOnMs: settings.screenTimeoutMs },
    },
  });
  try {
    const t = lab.terminals[0];
    const identity = await t.driver.hello();
    if (settings.hostLink === 'https') t.driver.note(`host link: public network, ${await runOverPublicNetwork(t.driver, lab.host)}`);
    return {
      settings,
      driver: t.driver,
      host: lab.host.control,
      config,
      terminalId: t.terminalId,
      identity,
      emulator: t.emulator.terminal,
      stop: () => lab.stop(),
    };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

async function startExternal(settings: RunSettings, config: HostConfig): Promise<WorkerLab> {
  if (settings.defects.length) {
    throw new RunSettingsError(
      `POSCERT_DEFECTS (${settings.defects.join(',')}) switch on emulator defects, but ${settings.terminal} is not the emulator`,
      { terminal: settings.terminal, defects: settings.defects },
    );
  }
  let url = settings.terminal;
  let name = url;
  let driverOptions: Record<string, unknown> = {};
  let entry: LabTerminal | undefined;
  // An explicit terminal id (environment, lab entry) wins; else the one the terminal is provisioned with.
  let terminalId: string | undefined = process.env.POSCERT_TERMINAL_ID || undefined;
  if (url.startsWith('lab:')) {
    entry = workerEntry(url);
    url = entry.link;
    name = entry.name;
    terminalId ??= entry.terminalId;
    driverOptions = {
      card: entry.card,
      pin: entry.pin,
      ...(entry.timeouts?.responseMs ? { responseTimeoutMs: entry.timeouts.responseMs } : {}),
      ...(entry.timeouts?.screenMs ? { screenTimeoutMs: entry.timeouts.screenMs } : {}),
      ...(entry.timeouts?.ecrMs ? { ecrTimeoutMs: entry.timeouts.ecrMs } : {}),
    };
  }
  // The terminal reaches the host over the lab network, where the lab said (or a free loopback port).
  const env = process.env;
  const placement = hostPlacement({ listen: env.POSCERT_HOST_LISTEN, address: env.POSCERT_HOST_ADDRESS, bind: env.POSCERT_HOST_BIND, entry });
  const reference = await ReferenceHost.start({ config, port: placement.port, bind: placement.bind });
  let driver: TerminalDriver | undefined;
  try {
    driver = await TerminalDriver.connect(url, {
      name,
      screenTimeoutMs: settings.screenTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      ...driverOptions,
    } as TerminalDriverOptions);
    const identity = await driver.hello();
    // The profile the cases judge by: the terminal's hello, else the lab file entry, else the run's.
    if (!driver.profile) {
      driver.useProfile(
        resolveProfile({ labEntry: entry && { file: labFilePath(), name: entry.name, profile: entry.profile }, env: env.POSCERT_PROFILE }).profile,
      );
    }
    if (!terminalId) {
      // A terminal provisioned with a terminal id the host knows keeps it (its TMK belongs to it).
      const own = (await driver.readConfiguration().catch(() => undefined))?.terminalId;
      terminalId = own && config.terminals.some((t) => t.terminalId === own) ? own : settings.terminalId;
    }
    for (const note of await pointTerminalAtHost(driver, {
      placement,
      address: hostAddressFor(placement, reference.bind, reference.port),
      terminalId,
      hostResponseMs: settings.hostResponseTimeoutMs,
    }))
      driver.note(note);
    if (settings.hostLink === 'https') driver.note(`host link: public network, ${await runOverPublicNetwork(driver, reference)}`);
    for (const note of await prepareTerminalForRun(driver)) driver.note(note);
    const d = driver;
    return {
      settings,
      driver: d,
      host: reference.control,
      config,
      terminalId,
      identity,
      stop: async () => {
        await d.close();
        await reference.stop();
      },
    };
  } catch (err) {
    await driver?.close().catch(() => undefined);
    await reference.stop().catch(() => undefined);
    throw err;
  }
}

/** The lab file entry of this worker: lab:NAME, or the n-th of lab:A,B for cucumber worker n. */
function workerEntry(spec: string): LabTerminal {
  return labEntryForWorker(loadLabFile(labFilePath()), spec, Number(process.env.CUCUMBER_WORKER_ID || 0));
}

AfterAll(async function () {
  if (!current) return;
  const lab = await current.catch(() => undefined);
  current = undefined;
  await lab?.stop();
});
