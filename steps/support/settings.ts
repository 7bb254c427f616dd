// Run settings of a cucumber worker, from the environment `poscert certify` sets and from the
// profile's worldParameters (cucumber.js). Pure: unit-tested without cucumber.
import { PoscertError } from '../../drivers';

export class RunSettingsError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('RUN_SETTINGS_INVALID', message, context);
  }
}

export interface RunSettings {
  /** 'emulator' (default: one in-process emulator + host per worker), 'lab:NAME', or a link URL. */
  terminal: string;
  /** Emulator defects to switch on (POSCERT_DEFECTS, comma list); emulator only. */
  defects: string[];
  /** 'en' or 'zh-CN' (POSCERT_LANG): which feature translations the profile runs. */
  lang: 'en' | 'zh-CN';
  /** Plan name (POSCERT_PLAN), for evidence labels. */
  plan: string;
  /** Terminal id at the host for this worker. */
  terminalId: string;
  /** The terminal's link to the host (POSCERT_HOST_LINK): tcp, or https (public network, cup8583.md §1.2). */
  hostLink: 'tcp' | 'https';
  /** Waits for a screen / voucher. */
  screenTimeoutMs: number;
  /** How long the terminal waits for the host before it declares a timeout (set over TTP config). */
  hostResponseTimeoutMs: number;
  /** TTP reply timeout. */
  responseTimeoutMs: number;
}

export interface WorldParameters {
  screenTimeoutMs?: number;
  hostResponseTimeoutMs?: number;
  responseTimeoutMs?: number;
}

/** Worker n (CUCUMBER_WORKER_ID, 0-based) uses terminal 1000000(n+1): the lab's emulator terminals. */
export function workerTerminalId(workerId: string | undefined): string {
  const n = workerId === undefined || workerId === '' ? 0 : Number(workerId);
  if (!Number.isInteger(n) || n < 0 || n > 7) {
    throw new RunSettingsError(
      `CUCUMBER_WORKER_ID ${JSON.stringify(workerId)}: the host has emulator terminals for workers 0..7 (10000001..10000008); run at most --parallel 8`,
      { workerId },
    );
  }
  return String(10000001 + n);
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new RunSettingsError(`${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}`, { name, value });
  return n;
}

export function readRunSettings(env: NodeJS.ProcessEnv, params: WorldParameters = {}): RunSettings {
  const lang = env.POSCERT_LANG || 'en';
  if (lang !== 'en' && lang !== 'zh-CN') throw new RunSettingsError(`POSCERT_LANG must be en or zh-CN, got ${JSON.stringify(lang)}`, { lang });
  const terminal = env.POSCERT_TERMINAL || 'emulator';
  const defects = (env.POSCERT_DEFECTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (defects.length && terminal !== 'emulator' && !terminal.startsWith('emu:') && !terminal.startsWith('lab:')) {
    throw new RunSettingsError(`POSCERT_DEFECTS (${defects.join(',')}) switch on emulator defects, but POSCERT_TERMINAL is ${terminal}`, {
      terminal,
      defects,
    });
  }
  const hostLink = env.POSCERT_HOST_LINK || 'tcp';
  if (hostLink !== 'tcp' && hostLink !== 'https')
    throw new RunSettingsError(`POSCERT_HOST_LINK must be tcp or https, got ${JSON.stringify(hostLink)}`, { hostLink });
  return {
    terminal,
    defects,
    hostLink,
    lang,
    plan: env.POSCERT_PLAN || 'unionpay-pos',
    terminalId: env.POSCERT_TERMINAL_ID || workerTerminalId(env.CUCUMBER_WORKER_ID),
    screenTimeoutMs: positive('screenTimeoutMs', env.POSCERT_SCREEN_TIMEOUT_MS ?? params.screenTimeoutMs, 10_000),
    hostResponseTimeoutMs: positive('hostResponseTimeoutMs', env.POSCERT_HOST_TIMEOUT_MS ?? params.hostResponseTimeoutMs, 5_000),
    responseTimeoutMs: positive('responseTimeoutMs', env.POSCERT_TTP_TIMEOUT_MS ?? params.responseTimeoutMs, 5_000),
  };
}
