/**
 * TTP `config` on the emulator: the configuration a `config` read returns, a `config` set checked
 * and applied to the state, and the construction options applied at the first power-on. Split out
 * of terminal.ts (issue 11: no source file over 500 lines); the terminal owns the state and calls these.
 */
import type { TtpTerminalConfig } from '../../protocol/ttp';
import type { DefectName } from '../defects';
import { EmulatorConfigError } from '../errors';
import { formatHostUrl, parseHostUrl } from '../host-link';
import type { EmulatorProfile } from '../profiles';
import type { Timeouts } from '../session';
import { type TerminalState, switchBatchIdentity } from '../state-store';
import { type EmulatorOptions, requireMatch } from './options';

/** What a TTP `config` read returns: the TTP 1.1 members and the emulator's x- members. */
export function configView(s: TerminalState, timeouts: Timeouts, defects: ReadonlySet<DefectName>): TtpTerminalConfig & Record<string, unknown> {
  const host = s.config.hostUrl ? parseHostUrl(s.config.hostUrl) : undefined;
  return {
    ...(host ? { host: host.https ? formatHostUrl(host) : `${host.host}:${host.port}` } : {}),
    hostLink: host?.https ? 'https' : 'tcp',
    ...(s.config.hostCaPem ? { hostCa: s.config.hostCaPem } : {}),
    tpdu: s.config.tpdu,
    ...(s.config.merchantId ? { merchantId: s.config.merchantId } : {}),
    ...(s.config.terminalId ? { terminalId: s.config.terminalId } : {}),
    ...(s.config.merchantName ? { merchantName: s.config.merchantName } : {}),
    language: s.config.language === 'en' ? 'en' : 'zh',
    voucherCopies: s.config.voucherCopies,
    timeouts: { ...timeouts },
    // TTP 1.1 standard members (§6.7), and the 1.0 x- spellings beside them.
    keyScheme: s.ped.keyScheme,
    tmkLoaded: Boolean(s.ped.tmk),
    tampered: s.tampered,
    'x-keyScheme': s.ped.keyScheme,
    'x-tmkLoaded': Boolean(s.ped.tmk),
    'x-signedOn': s.signedOn,
    'x-batchNumber': s.counters.batchNumber,
    'x-stan': String(s.counters.stan).padStart(6, '0'),
    'x-batchCount': s.batch.length,
    'x-pendingReversal': s.pendingReversal ? { trace: s.pendingReversal.trace, reason: s.pendingReversal.reason } : null,
    'x-tampered': s.tampered,
    'x-defects': [...defects],
  };
}

/** TTP config set (test firmware): ids, host, TPDU, language, copies, timeouts, and x-tmk / x-keyScheme / x-tampered. */
export function applyConfigSet(
  set: TtpTerminalConfig & Record<string, unknown>,
  timeouts: Timeouts,
  mutateState: (change: (s: TerminalState) => void) => void,
): void {
  const str = (k: string): string | undefined => {
    const v = set[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new EmulatorConfigError(k, 'must be a string');
    return v;
  };
  const host = str('host');
  const tpdu = str('tpdu');
  const merchantId = str('merchantId');
  const terminalId = str('terminalId');
  const merchantName = str('merchantName');
  const tmk = str('x-tmk') ?? str('tmk');
  const keyScheme = str('x-keyScheme') ?? str('keyScheme');
  requireMatch('tpdu', tpdu, /^[0-9A-Fa-f]{10}$/, '10 hex digits');
  requireMatch('merchantId', merchantId, /^[\x20-\x7e]{15}$/, '15 characters');
  requireMatch('terminalId', terminalId, /^[\x20-\x7e]{8}$/, '8 characters');
  requireMatch('x-tmk', tmk, /^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/, '16, 32 or 48 hex digits');
  const hostAddress = host !== undefined ? parseHostUrl(host) : undefined;
  const hostCa = str('hostCa');
  if (hostCa !== undefined && hostCa !== '' && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/.test(hostCa.trim()))
    throw new EmulatorConfigError(
      'hostCa',
      'must be PEM certificate text (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----), or "" to forget it',
    );
  if (keyScheme !== undefined && keyScheme !== 'tdes' && keyScheme !== 'sm4') throw new EmulatorConfigError('x-keyScheme', 'must be tdes or sm4');
  if (set.language !== undefined && set.language !== 'zh' && set.language !== 'en') throw new EmulatorConfigError('language', 'must be zh or en');
  if (set.voucherCopies !== undefined && ![1, 2, 3].includes(set.voucherCopies as number))
    throw new EmulatorConfigError('voucherCopies', 'must be 1, 2 or 3');
  const tampered = set['x-tampered'] ?? set.tampered;
  if (tampered !== undefined && typeof tampered !== 'boolean') throw new EmulatorConfigError('x-tampered', 'must be true or false');
  if (set.timeouts !== undefined) {
    for (const [k, v] of Object.entries(set.timeouts)) {
      if (!(k in timeouts)) throw new EmulatorConfigError(`timeouts.${k}`, `unknown timeout (known: ${Object.keys(timeouts).join(', ')})`);
      if (!Number.isInteger(v) || (v as number) <= 0) throw new EmulatorConfigError(`timeouts.${k}`, 'must be a positive number of ms');
    }
  }
  mutateState((s) => {
    const identityChanged =
      (terminalId !== undefined && terminalId !== s.config.terminalId) ||
      (merchantId !== undefined && merchantId !== s.config.merchantId) ||
      (tmk !== undefined && tmk.toUpperCase() !== s.ped.tmk) ||
      (keyScheme !== undefined && keyScheme !== s.ped.keyScheme);
    const ids = { terminalId: s.config.terminalId, merchantId: s.config.merchantId };
    if (hostAddress !== undefined) s.config.hostUrl = formatHostUrl(hostAddress);
    if (hostCa !== undefined) s.config.hostCaPem = hostCa === '' ? undefined : hostCa.trim();
    if (tpdu !== undefined) s.config.tpdu = tpdu.toUpperCase();
    if (merchantId !== undefined) s.config.merchantId = merchantId;
    if (terminalId !== undefined) s.config.terminalId = terminalId;
    switchBatchIdentity(s, ids);
    if (merchantName !== undefined) s.config.merchantName = merchantName;
    if (set.language !== undefined) s.config.language = set.language === 'en' ? 'en' : 'zh-CN';
    if (set.voucherCopies !== undefined) s.config.voucherCopies = set.voucherCopies;
    if (tmk !== undefined) s.ped.tmk = tmk.toUpperCase();
    if (keyScheme !== undefined) s.ped.keyScheme = keyScheme as 'tdes' | 'sm4';
    if (tampered !== undefined) s.tampered = tampered as boolean;
    if (identityChanged) {
      // New identity or master key: the old working keys are useless, sign on again.
      s.signedOn = false;
      delete s.ped.workingKeys;
    }
  });
  if (set.timeouts) Object.assign(timeouts, set.timeouts);
}

/**
 * Options given at construction win over the state file at the first power-on (the lab says
 * what this terminal is); TTP config changes made afterwards persist across power cycles.
 */
export function applyOptions(s: TerminalState, o: EmulatorOptions, profile: EmulatorProfile): void {
  const before = JSON.stringify([s.config.terminalId, s.config.merchantId, s.ped.tmk, s.ped.keyScheme]);
  s.config.hostUrl = o.hostUrl;
  if (o.hostCaPem !== undefined) s.config.hostCaPem = o.hostCaPem;
  if (o.terminalId !== undefined) s.config.terminalId = o.terminalId;
  if (o.merchantId !== undefined) s.config.merchantId = o.merchantId;
  if (o.merchantName !== undefined) s.config.merchantName = o.merchantName;
  if (o.tmk !== undefined) s.ped.tmk = o.tmk.toUpperCase();
  if (o.keyScheme !== undefined) s.ped.keyScheme = o.keyScheme;
  if (o.tpdu !== undefined) s.config.tpdu = o.tpdu.toUpperCase();
  if (o.language !== undefined) s.config.language = o.language;
  const copies = o.voucherCopies ?? (o.profile !== undefined ? profile.profile.vouchers.copies : undefined);
  if (copies !== undefined) s.config.voucherCopies = copies;
  if (o.tampered !== undefined) s.tampered = o.tampered;
  if (JSON.stringify([s.config.terminalId, s.config.merchantId, s.ped.tmk, s.ped.keyScheme]) !== before) {
    s.signedOn = false;
    delete s.ped.workingKeys;
  }
}
