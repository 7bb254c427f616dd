/**
 * 小额免密免签 (QuickPass no-PIN / no-signature): which cardholder verification a 消费 takes and
 * what 9F34 (CVM results, cup8583.md §3.11) then says. Pure: the flow, the request builder and the
 * voucher read the same rule, so the PIN prompt, F55 and the printed marks cannot disagree.
 */
import type { DefectName } from './defects';

/** Contactless limits (fen): at or under them, no PIN / no signature; -1 = never. */
export interface QuickPassLimits {
  readonly noPinLimitFen: number;
  readonly noSignatureLimitFen: number;
}

type Method = 'swipe' | 'insert' | 'tap' | 'manual';

/** The QuickPass parameters a terminal downloaded (60.3 394): a limit applies only while its flag is on. */
export interface DownloadedQuickPass {
  readonly noPinEnabled: boolean;
  readonly noPinLimitFen: number;
  readonly noSignatureEnabled: boolean;
  readonly noSignatureLimitFen: number;
}

/**
 * The limits in force: the profile's declare what the terminal ships with; once the acquirer's
 * contactless parameters are downloaded they replace them (a flag off = no tap goes without PIN /
 * signature). contactless-params-not-applied keeps the shipped ones.
 */
export function limitsInEffect(
  shipped: QuickPassLimits,
  downloaded: DownloadedQuickPass | undefined,
  defect: (name: 'contactless-params-not-applied') => boolean,
): QuickPassLimits {
  if (!downloaded || defect('contactless-params-not-applied')) return shipped;
  return {
    noPinLimitFen: downloaded.noPinEnabled ? downloaded.noPinLimitFen : -1,
    noSignatureLimitFen: downloaded.noSignatureEnabled ? downloaded.noSignatureLimitFen : -1,
  };
}

/** Does a sale read this way, for this amount, go without the PIN prompt? (qps-limit-ignored: never.) */
export function tapWithoutPin(method: Method, amount: number, limits: QuickPassLimits, defects: ReadonlySet<DefectName>): boolean {
  return method === 'tap' && amount <= limits.noPinLimitFen && !defects.has('qps-limit-ignored');
}

/** Does a sale read this way, for this amount, go without the signature block? (qps-limit-ignored: never.) */
export function tapWithoutSignature(method: Method, amount: number, limits: QuickPassLimits, defects: ReadonlySet<DefectName>): boolean {
  return method === 'tap' && amount <= limits.noSignatureLimitFen && !defects.has('qps-limit-ignored');
}

/**
 * 9F34 for the CVM actually done: 42 03 00 online enciphered PIN; 1F 00 02 no CVM required
 * (a tap under the no-signature limit); 1E 03 00 signature otherwise. qps-9f34-wrong always
 * reports the online PIN.
 */
export function cvmResults(pinTaken: boolean, signatureFree: boolean, defect: (name: 'qps-9f34-wrong') => boolean): Buffer {
  // The defect is asked only when no PIN was taken: where it bites (the flow must declare it).
  if (pinTaken || defect('qps-9f34-wrong')) return Buffer.from('420300', 'hex');
  return Buffer.from(signatureFree ? '1F0002' : '1E0300', 'hex');
}

/** The voucher's mark for a sale that went without PIN and/or signature, or undefined. */
export function quickPassMark(noPin: boolean, noSignature: boolean): string | undefined {
  if (noPin && noSignature) return '免密免签(NO PIN/NO SIGNATURE)';
  if (noPin) return '免密(NO PIN)';
  if (noSignature) return '免签(NO SIGNATURE)';
  return undefined;
}
