/**
 * TTP outcome (§7.6): the machine-readable result a terminal puts on its final screen and in an
 * `ecr` result. Split out of messages.ts (issue 11: no source file over 500 lines); re-exported
 * there. Pure data and types.
 */

/** `outcome.result` values of §7.6 (vendors may add x-…). */
export const TTP_OUTCOME_RESULTS = [
  'approved',
  'declined',
  'cancelled',
  'timeout',
  'comm-error',
  'mac-error',
  'reply-mismatch',
  'issuer-auth-failed',
  'expired-card',
  'card-error',
  'tampered',
  'not-signed-on',
  'done',
  'failed',
] as const;
export type TtpOutcomeResult = (typeof TTP_OUTCOME_RESULTS)[number] | `x-${string}`;

/** The machine-readable result on a final screen and in an `ecr` result (§7.6). */
export interface TtpOutcome {
  result: TtpOutcomeResult;
  /** F39 as received, when the host answered. */
  responseCode?: string;
  transaction?: string;
  /** A reversal is now pending for this transaction. */
  reversal?: boolean;
}

export function isTtpOutcome(value: unknown): value is TtpOutcome {
  if (!value || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  return (
    typeof o.result === 'string' &&
    ((TTP_OUTCOME_RESULTS as readonly string[]).includes(o.result) || /^x-[a-z0-9-]+$/i.test(o.result)) &&
    (o.responseCode === undefined || typeof o.responseCode === 'string') &&
    (o.transaction === undefined || typeof o.transaction === 'string') &&
    (o.reversal === undefined || typeof o.reversal === 'boolean')
  );
}
