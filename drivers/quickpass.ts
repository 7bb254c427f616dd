/**
 * 小额免密免签 (QuickPass no-PIN / no-signature) judged against the limits in force (the profile's
 * contactless limits, replaced by the acquirer's downloaded 394 parameters when the host has some): the case-time amounts at and just over them, the CVM a request's 9F34
 * reports (cup8583.md §3.11), and whether the voucher went without a signature block and says so (and,
 * over the limits, does not claim it did).
 * Pure, so every conformant terminal is judged by its own declared limits, not by one terminal's.
 */
import { decodeTlv } from '../protocol/tlv';
import type { ContactlessParameters } from '../protocol/iso8583';
import type { TerminalProfile } from '../protocol/ttp/profile';
import type { HostMessage } from './host-view';
import { describeCopy, hasSignatureLine, type VoucherCopy } from './vouchers';

/**
 * The QuickPass limits a terminal applies: the profile declares the ones it ships with; the
 * contactless parameters the acquirer downloads (60.3 394, which CUP-ONB-018 proves the terminal
 * takes) replace them. A limit whose flag is off lets no tap through (0).
 */
export function quickPassLimitsInForce(
  profile: Pick<TerminalProfile, 'contactless'>,
  downloaded: ContactlessParameters | undefined,
): TerminalProfile['contactless'] {
  if (!downloaded) return profile.contactless;
  return {
    noPinLimitFen: downloaded.noPinEnabled ? downloaded.noPinLimitFen : 0,
    noSignatureLimitFen: downloaded.noSignatureEnabled ? downloaded.noSignatureLimitFen : 0,
  };
}

/** The amounts a case taps with: at both limits (no PIN, no signature), and just over both (PIN and signature). */
export function quickPassAmounts(limits: TerminalProfile['contactless']): { atLimitFen: number; overLimitFen: number } {
  const { noPinLimitFen, noSignatureLimitFen } = limits;
  const atLimitFen = Math.min(noPinLimitFen, noSignatureLimitFen);
  if (atLimitFen < 1) {
    throw new Error(
      `a QuickPass limit in force is 0 (no-PIN ${noPinLimitFen}, no-signature ${noSignatureLimitFen} fen: the acquirer's downloaded contactless parameters, else the profile's contactless limits): no tap goes without PIN and signature, so this case cannot apply; declare the terminal's real limits in its profile or configure the host's (scenarios/terminal-lists.yaml)`,
    );
  }
  return { atLimitFen, overLimitFen: Math.max(noPinLimitFen, noSignatureLimitFen) + 1 };
}

export type CardholderVerification = 'online-pin' | 'signature' | 'no-cvm' | 'other';

/** What 9F34's first byte (CVM code, bit 7 "apply succeeding" masked off) says was done. */
export function cvmOfCode(byte: number): CardholderVerification {
  const code = byte & 0x3f;
  if (code === 0x02) return 'online-pin';
  if (code === 0x1e) return 'signature';
  if (code === 0x1f || code === 0x3f) return 'no-cvm';
  return 'other';
}

/** The 9F34 (CVM results) of a request's F55, hex upper case, or undefined when absent. F55 comes as BER-TLV hex or as `TAG=VALUE` words. */
export function cvmResultsOf(m: Pick<HostMessage, 'fields'>): string | undefined {
  const v = m.fields[55];
  if (!v) return undefined;
  if (/^([0-9A-F]{2})+$/i.test(v)) {
    const node = decodeTlv(Buffer.from(v, 'hex')).find((t) => t.tag === '9F34');
    return node?.value?.toString('hex').toUpperCase();
  }
  const word = v.split(/\s+/).find((p) => p.split('=')[0].toUpperCase() === '9F34');
  return word?.split('=')[1]?.toUpperCase();
}

/** The problem with a request's 9F34 against the CVM the case expects, or undefined. */
export function judgeCvmResults(m: Pick<HostMessage, 'fields'>, want: 'no-cvm' | 'online-pin'): string | undefined {
  const results = cvmResultsOf(m);
  if (!results || !/^[0-9A-F]{6}$/.test(results)) return `F55 carries no valid 9F34 (CVM results): ${results ?? 'absent'}`;
  const done = cvmOfCode(parseInt(results.slice(0, 2), 16));
  if (want === 'online-pin')
    return done === 'online-pin' ? undefined : `9F34 ${results} says ${done}, but the cardholder entered the PIN online (CVM code 02)`;
  return done === 'no-cvm' ? undefined : `9F34 ${results} says ${done}, but the tap went without PIN and signature (expected no CVM: code 1F or 3F)`;
}

const QUICKPASS_MARK = /免密|免签|NO\s*PIN|NO\s*SIGNATURE|NO\s*CVM/i;

/** Does the copy say the sale went without PIN / signature (免密 / 免签)? */
export function hasQuickPassMark(c: Pick<VoucherCopy, 'lines'>): boolean {
  return c.lines.some((l) => QUICKPASS_MARK.test(l));
}

/**
 * A tap over the limits, where the cardholder entered the PIN and the copies ask for a signature: no copy
 * may say the sale went without them (a mark that would send the merchant away without the signature).
 * Returns the problems.
 */
export function judgeNoQuickPassMark(copies: readonly VoucherCopy[]): string[] {
  return copies
    .filter(hasQuickPassMark)
    .map(
      (c) =>
        `${describeCopy(c)}\nis marked 免密 / 免签 (NO PIN / NO SIGNATURE), but this tap was over the QuickPass limits: the PIN was entered and a signature is due`,
    );
}

/** A tap under the limits: no copy asks for a signature and the merchant copy is marked 免密 / 免签. Returns the problems. */
export function judgeSignatureFreeVoucher(copies: readonly VoucherCopy[]): string[] {
  const problems = copies.filter(hasSignatureLine).map((c) => `${describeCopy(c)}\nasks for a signature under the no-signature limit`);
  const merchant = copies.find((c) => c.copy === 'merchant');
  if (!merchant) problems.push('no merchant copy was printed');
  else if (!hasQuickPassMark(merchant)) problems.push(`${describeCopy(merchant)}\nis not marked 免密 / 免签 (NO PIN / NO SIGNATURE)`);
  return problems;
}
