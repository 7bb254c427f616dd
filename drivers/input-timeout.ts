/**
 * An input left unanswered: the lab shortens the terminal's card-wait timeout (TTP §6.7 config
 * `timeouts.cardMs`) so that a case lets a prompt time out in seconds, not in the terminal's minute,
 * and the flow's end is judged by its TTP §7.6 outcome: `timeout` (no card / PIN / operator input in
 * time), never `cancelled` (which says CANCEL, `reset` or power ended it) nor anything else. A terminal
 * that does not let the lab set the timeout (not-supported / bad-request naming `timeouts`) cannot be
 * taken there in a case's time: the case does not apply to it.
 */
import { TtpRemoteError } from '../protocol/ttp';
import type { FlowOutcome } from './flow-outcome';
import type { TerminalDriver } from './terminal';

/**
 * Sets the card-wait timeout (ms); resolves with the timeouts the terminal had before (to put back
 * after the case), or undefined when the terminal does not let the lab set it.
 */
export async function setCardTimeout(driver: Pick<TerminalDriver, 'configure'>, ms: number): Promise<Record<string, number> | undefined> {
  try {
    const before = (await driver.configure({})).timeouts as Record<string, number> | undefined;
    await driver.configure({ timeouts: { cardMs: ms } });
    return before ? { ...before } : {};
  } catch (err) {
    const refused = err instanceof TtpRemoteError && ['not-supported', 'bad-request'].includes(err.ttpCode);
    if (refused && /^timeouts/.test(String(err.detail?.field ?? 'timeouts'))) return undefined;
    throw err;
  }
}

/** The problem with the outcomes of a flow whose prompt was left to time out, or undefined when it ended `timeout`. */
export function judgeTimedOut(outcomes: readonly FlowOutcome[], what: string): string | undefined {
  if (outcomes.length === 0) return `${what} ended with no final screen carrying a TTP §7.6 outcome`;
  const last = outcomes[outcomes.length - 1];
  if (last.result === 'timeout') return undefined;
  return `${what} ended with the outcome ${outcomes.map((o) => o.result).join(', ')}, not timeout: TTP §7.6 reports an input not given in time as timeout (cancelled says CANCEL, reset or power ended the flow)`;
}
