/**
 * The emulator's construction options (EmulatorOptions, EmulatorIdentity), their defaults and the
 * one-time check that makes a typo fail at start-up. Split out of terminal.ts (issue 11: no source
 * file over 500 lines); terminal.ts re-exports what it exported before.
 */
import type { TtpCapabilities } from '../../protocol/ttp';
import type { DefectName } from '../defects';
import { EmulatorConfigError } from '../errors';
import { parseHostUrl } from '../host-link';
import type { Timeouts } from '../session';

export interface EmulatorIdentity {
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
}

export interface EmulatorOptions {
  /** The reference bank host, 'tcp://127.0.0.1:PORT'. */
  hostUrl: string;
  /** The CA (PEM) the host's certificate must chain to on the public-network link (hostUrl https://…). */
  hostCaPem?: string;
  /** One JSON file per terminal (keys, counters, batch, pending reversal), written atomically. */
  statePath: string;
  identity?: Partial<EmulatorIdentity>;
  capabilities?: Partial<TtpCapabilities>;
  terminalId?: string;
  merchantId?: string;
  merchantName?: string;
  /** Terminal master key, hex (32 digits for tdes / sm4). */
  tmk?: string;
  keyScheme?: 'tdes' | 'sm4';
  /** 10 hex digits, default 6000030000. */
  tpdu?: string;
  defects?: readonly (DefectName | string)[];
  timeouts?: Partial<Timeouts>;
  language?: 'zh-CN' | 'en';
  /** Adds the pauses of a real terminal (self test, printing, dialling). Off by default. */
  realisticTiming?: boolean;
  /** Voucher copies per transaction: 1 merchant, 2 + cardholder (default), 3 + bank. */
  voucherCopies?: 1 | 2 | 3;
  /** Named conformant profile (emulator/profiles.ts; default 'reference'): how this terminal behaves where conformant terminals differ. */
  profile?: string;
  /** Operator number printed on vouchers and sent in F63 of sign-on / settlement. */
  operator?: string;
  /** Sign on automatically after power-on when not signed on (default true). */
  autoSignOn?: boolean;
  /** How many times a pending reversal is tried before a fault slip is printed (default 3). */
  reversalRetries?: number;
  /** Mark the terminal tampered (persisted), as a tamper switch would. */
  tampered?: boolean;
  /** One line per notable happening (no PAN, no keys). */
  log?: (line: string) => void;
  /** TTP ACK timeout in ms (default from the protocol). */
  ttpAckTimeoutMs?: number;
  /**
   * The host address is set in the terminal's own menu only, as on many production-like test
   * firmwares: TTP `config` of `host` is answered not-supported (detail.field 'host'). Default false.
   */
  hostLocked?: boolean;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  hostResponseMs: 30000,
  hostConnectMs: 5000,
  cardMs: 60000,
  pinMs: 60000,
  idleMs: 60000,
};

export function requireMatch(option: string, value: string | undefined, re: RegExp, what: string): void {
  if (value !== undefined && !re.test(value)) throw new EmulatorConfigError(option, `${JSON.stringify(value)} is not ${what}`);
}

/** Checks option values once, so that a typo fails at start-up, not in the middle of a test. */
export function validateOptions(o: EmulatorOptions): void {
  if (!o || typeof o !== 'object') throw new EmulatorConfigError('options', 'missing');
  parseHostUrl(o.hostUrl ?? '');
  if (!o.statePath) throw new EmulatorConfigError('statePath', 'is required (one state file per terminal)');
  requireMatch('terminalId', o.terminalId, /^[\x20-\x7e]{8}$/, '8 characters');
  requireMatch('merchantId', o.merchantId, /^[\x20-\x7e]{15}$/, '15 characters');
  requireMatch('tmk', o.tmk, /^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/, '16, 32 or 48 hex digits');
  requireMatch('tpdu', o.tpdu, /^[0-9A-Fa-f]{10}$/, '10 hex digits');
  requireMatch('operator', o.operator, /^\d{2}$/, '2 digits');
  if (o.keyScheme && o.keyScheme !== 'tdes' && o.keyScheme !== 'sm4') throw new EmulatorConfigError('keyScheme', `${o.keyScheme} is not tdes or sm4`);
  if (o.keyScheme === 'sm4' && o.tmk && o.tmk.length !== 32) throw new EmulatorConfigError('tmk', 'an SM4 TMK is 32 hex digits');
  for (const [k, v] of Object.entries(o.timeouts ?? {})) {
    if (v !== undefined && (!Number.isInteger(v) || v <= 0)) throw new EmulatorConfigError(`timeouts.${k}`, `${v} is not a positive number of ms`);
  }
}
