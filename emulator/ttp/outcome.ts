/**
 * The TTP 1.1 outcome (§7.6) the emulator derives from its final screens and ECR results, and the
 * §11 test-mode marker lines. Split out of terminal.ts (issue 11: no source file over 500 lines);
 * terminal.ts re-exports what it exported before.
 */
import type { TtpEcrResult, TtpOutcome } from '../../protocol/ttp';
import { T, type Bilingual } from '../texts';

/** TTP 1.1 §11: the marker line a terminal in test mode adds to its idle screen, and to every voucher copy. */
export const TEST_MARK_SCREEN = 'TEST 测试';
export const TEST_MARK_VOUCHER = '**测试 TEST**';

/** Failure texts of a final screen (both languages) and the §7.6 outcome they stand for. */
const FAILURE_OUTCOMES: Array<[Bilingual, TtpOutcome['result']]> = [
  [T.hostTimeout, 'comm-error'],
  [T.commError, 'comm-error'],
  [T.macMismatch, 'mac-error'],
  [T.responseMismatch, 'reply-mismatch'],
  [T.arpcFailed, 'issuer-auth-failed'],
  [T.cardExpired, 'expired-card'],
  [T.signOnFailed, 'not-signed-on'],
  [T.timeout, 'timeout'],
  [T.cancelled, 'cancelled'],
];

/**
 * The outcome of a final screen (state result), from what the flow showed: the screen id and the
 * detail the flow gave (transaction, response code), else the failure line it shows.
 */
export function finalScreenOutcome(screen: string | undefined, lines: readonly string[], detail?: Record<string, unknown>): TtpOutcome {
  const transaction = typeof detail?.transaction === 'string' ? detail.transaction : undefined;
  const responseCode = typeof detail?.responseCode === 'string' && detail.responseCode ? detail.responseCode : undefined;
  const base = { ...(responseCode ? { responseCode } : {}), ...(transaction ? { transaction } : {}) };
  if (screen === 'approved') return { result: 'approved', ...base };
  if (screen === 'aborted') return { result: lines.some((l) => l === T.timeout.zh || l === T.timeout.en) ? 'timeout' : 'cancelled', ...base };
  if (screen === 'declined') {
    if (detail?.reason === 'card-expired') return { result: 'expired-card', ...base };
    for (const [text, result] of FAILURE_OUTCOMES)
      if (lines.some((l) => l === text.zh || l === text.en))
        return { result, ...base, ...(lines.some((l) => l === T.willReverse.zh || l === T.willReverse.en) ? { reversal: true } : {}) };
    return { result: responseCode ? 'declined' : 'failed', ...base };
  }
  if (screen !== undefined && /-(failed)$|^fault$/.test(screen)) return { result: 'failed', ...base };
  return { result: 'done', ...base };
}

/** The outcome of an ecr result: the final screen's when there is one, else from the result itself. */
export function ecrOutcome(result: TtpEcrResult, shown: TtpOutcome | undefined): TtpOutcome {
  if (shown && (shown.result !== 'done' || result.approved)) return shown;
  if (result.approved) return { result: 'approved', ...(result.responseCode ? { responseCode: result.responseCode } : {}) };
  return { result: result.responseCode ? 'declined' : 'failed', ...(result.responseCode ? { responseCode: result.responseCode } : {}) };
}
