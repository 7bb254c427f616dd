/**
 * The machine-readable result a terminal gave a flow (TTP 1.1 §7.6 `outcome`, carried by the display
 * event of every final screen), read from the TTP frames the driver recorded. A case judges by it
 * what the wording of a screen cannot tell in the same way on every terminal: why a transaction ended.
 */
import type { RecordedFrame } from './card-removal';

/** What §7.6 says of a flow's end: the result, and the transaction when the terminal names it. */
export interface FlowOutcome {
  result: string;
  transaction?: string;
  responseCode?: string;
}

/** The outcomes of the final screens in the frames after `afterSeq`, in order. */
export function outcomesAfter(frames: readonly RecordedFrame[], afterSeq: number): FlowOutcome[] {
  const out: FlowOutcome[] = [];
  for (const f of frames) {
    if (f.seq <= afterSeq || f.dir !== 'rx' || !f.message || typeof f.message !== 'object') continue;
    const m = f.message as { evt?: unknown; outcome?: unknown };
    if (m.evt !== 'display' || !m.outcome || typeof m.outcome !== 'object') continue;
    const o = m.outcome as Record<string, unknown>;
    if (typeof o.result !== 'string') continue;
    out.push({
      result: o.result,
      ...(typeof o.transaction === 'string' ? { transaction: o.transaction } : {}),
      ...(typeof o.responseCode === 'string' ? { responseCode: o.responseCode } : {}),
    });
  }
  return out;
}

/**
 * A terminal whose sign-on failed has no working keys (cup8583.md §3.2, §5.1): each transaction it is
 * asked for must end refused on the terminal. Which refusal is the terminal's choice: `not-signed-on`
 * is the one §7.6 names, but a terminal that checks something else first (an empty batch for a void,
 * the card) may end `failed`, `card-error` or a vendor `x-…` result and still send nothing, which the
 * host's records judge apart. What no such transaction may end with is a success: `approved`, or
 * `done`, which §7.6 keeps for flows that are not transactions. Returns one line per transaction that
 * ended so or showed no final screen at all (none when all were refused).
 */
export function notRefusedForSignOn(attempts: ReadonlyArray<{ kind: string; outcomes: readonly FlowOutcome[] }>): string[] {
  return attempts
    .filter((a) => a.outcomes.length === 0 || a.outcomes.some((o) => SUCCESSES.has(o.result)))
    .map(
      (a) =>
        `${a.kind}: ${a.outcomes.length ? `final screens with outcome ${a.outcomes.map((o) => o.result).join(', ')}` : 'no final screen carrying an outcome'}, not a refusal`,
    );
}

/** §7.6 results that say a flow succeeded. */
const SUCCESSES: ReadonlySet<string> = new Set(['approved', 'done']);

/**
 * Whether the terminal showed a flow of its own after `afterSeq`: a `display` event, or a `state`
 * event other than idle (TTP §7.1, §7.3). A refusal `busy` at an idle screen with none of these is a
 * refusal at idle; with them, a flow of the terminal's own (an automatic sign-on) may have held it.
 */
export function flowShownAfter(frames: readonly RecordedFrame[], afterSeq: number): boolean {
  return frames.some((f) => {
    if (f.seq <= afterSeq || f.dir !== 'rx' || !f.message || typeof f.message !== 'object') return false;
    const m = f.message as { evt?: unknown; state?: unknown };
    return m.evt === 'display' || (m.evt === 'state' && m.state !== 'idle');
  });
}
