// The terminal and reference host of one cucumber worker. Started once per worker process (lazily,
// by the first Before hook, so the profile's worldParameters apply) and stopped by AfterAll.
//
//   POSCERT_TERMINAL unset or 'emulator' → startEmulatedLab: the reference host and one emulated
//     terminal in-process, terminal id per worker (CUCUMBER_WORKER_ID), POSCERT_DEFECTS switched on.
//   'lab:NAME' (scenarios/lab.yaml) or a link URL → the reference host in-process on loopback and
//     the real terminal over its link, configured (TTP config) to use this host and terminal id.
import { AfterAll } from '@cucumber/cucumber';
import { TerminalDriver, TerminalDriverOptions } from '../../drivers/terminal';
import { findLabTerminal, loadLabFile } from '../../drivers/labfile';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as emulator from '../../emulator';
import * as host from '../../host';
import type { TerminalIdentity } from '../../drivers/terminal';
import type { HostConfig, HostControl } from '../../host';
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
  stop(): Promise<void>;
}

let current: Promise<WorkerLab> | undefined;

export function workerLab(params: WorldParameters): Promise<WorkerLab> {
  current ??= startWorkerLab(params);
  return current;
}

async function startWorkerLab(params: WorldParameters): Promise<WorkerLab> {
  const settings = readRunSettings(process.env, params);
  const config = host.loadHostConfig();
  if (settings.terminal === 'emulator' || settings.terminal.startsWith('emu:')) {
    const lab = driversLab();
    return lab ? startWithDriversLab(lab, settings, config) : startInProcess(settings, config);
  }
  return startExternal(settings, config);
}

/** drivers' startEmulatedLab (contract in docs/dev/contracts.md), when drivers/ provides it. */
interface EmulatedLab {
  host: { control: HostControl };
  terminals: Array<{ driver: TerminalDriver; terminalId: string; emulator?: unknown }>;
  stop(): Promise<void>;
}
type StartEmulatedLab = (options: Record<string, unknown>) => Promise<EmulatedLab>;

function driversLab(): StartEmulatedLab | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../../drivers') as { startEmulatedLab?: StartEmulatedLab };
    return typeof mod.startEmulatedLab === 'function' ? mod.startEmulatedLab : undefined;
  } catch {
    return undefined;
  }
}

async function startWithDriversLab(startEmulatedLab: StartEmulatedLab, settings: RunSettings, config: HostConfig): Promise<WorkerLab> {
  const lab = await startEmulatedLab({
    terminals: [{ terminalId: settings.terminalId }],
    defects: settings.defects,
    timeouts: { hostResponseMs: settings.hostResponseTimeoutMs },
    driver: { screenTimeoutMs: settings.screenTimeoutMs, responseTimeoutMs: settings.responseTimeoutMs },
  });
  const t = lab.terminals[0];
  const identity = await t.driver.hello();
  return {
    settings, driver: t.driver, host: lab.host.control, config, terminalId: t.terminalId, identity,
    emulator: (t as { emulator?: unknown }).emulator,
    stop: () => lab.stop(),
  };
}

/** The reference host and one emulated terminal wired in-process (the same as drivers' lab). */
async function startInProcess(settings: RunSettings, config: HostConfig): Promise<WorkerLab> {
  const terminal = config.terminals.find((t) => t.terminalId === settings.terminalId);
  if (!terminal) throw new RunSettingsError(`terminal ${settings.terminalId} is not in the host configuration (scenarios/merchants.yaml)`);
  const merchant = config.merchants.find((m) => m.merchantId === terminal.merchantId);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-worker-'));
  const reference = await host.ReferenceHost.start({ config, port: 0 });
  let running: emulator.RunningEmulator | undefined;
  let driver: TerminalDriver | undefined;
  const stop = async () => {
    await driver?.close().catch(() => undefined);
    await running?.close().catch(() => undefined);
    await reference.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    running = await emulator.startEmulator({
      link: 'emu:',
      hostUrl: `tcp://127.0.0.1:${reference.port}`,
      statePath: path.join(dir, `terminal-${settings.terminalId}.json`),
      terminalId: terminal.terminalId,
      merchantId: terminal.merchantId,
      merchantName: merchant?.name,
      tmk: terminal.tmk.reveal().toString('hex').toUpperCase(),
      keyScheme: terminal.keyScheme === 'SM4' ? 'sm4' : 'tdes',
      defects: settings.defects,
      timeouts: { hostResponseMs: settings.hostResponseTimeoutMs },
    });
    driver = await TerminalDriver.connect('emu:', {
      link: running.harnessLink, name: `emulator ${settings.terminalId}`,
      screenTimeoutMs: settings.screenTimeoutMs, responseTimeoutMs: settings.responseTimeoutMs,
      recovery: { settleMs: 300, bootMs: settings.screenTimeoutMs, signOnMs: settings.screenTimeoutMs },
    });
    const identity = await driver.hello();
    return { settings, driver, host: reference.control, config, terminalId: terminal.terminalId, identity, emulator: running.terminal, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startExternal(settings: RunSettings, config: HostConfig): Promise<WorkerLab> {
  let url = settings.terminal;
  let name = url;
  let driverOptions: Record<string, unknown> = {};
  let terminalId = settings.terminalId;
  if (url.startsWith('lab:')) {
    const entry = findLabTerminal(loadLabFile(), url.slice(4));
    url = entry.link;
    name = entry.name;
    terminalId = process.env.POSCERT_TERMINAL_ID || entry.terminalId || terminalId;
    driverOptions = { card: entry.card, pin: entry.pin, ...(entry.timeouts ?? {}) };
  }
  // The terminal reaches the host over the lab network: bind where POSCERT_HOST_BIND says (default loopback).
  const reference = await host.ReferenceHost.start({ config, port: 0, bind: process.env.POSCERT_HOST_BIND || '127.0.0.1' });
  let driver: TerminalDriver | undefined;
  try {
    driver = await TerminalDriver.connect(url, {
      name, screenTimeoutMs: settings.screenTimeoutMs, responseTimeoutMs: settings.responseTimeoutMs, ...driverOptions,
    } as TerminalDriverOptions);
    const identity = await driver.hello();
    const advertised = process.env.POSCERT_HOST_ADDRESS || reference.bind;
    await driver.configure({ host: `${advertised}:${reference.port}`, terminalId, timeouts: { hostResponseMs: settings.hostResponseTimeoutMs } });
    const d = driver;
    return {
      settings, driver: d, host: reference.control, config, terminalId, identity,
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

AfterAll(async function () {
  if (!current) return;
  const lab = await current.catch(() => undefined);
  current = undefined;
  await lab?.stop();
});
