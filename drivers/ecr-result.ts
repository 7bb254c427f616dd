/**
 * The cash register's view of an approved transaction (TTP §6.9 `ecr` result: `responseCode` "F39
 * from the host, when there was one", `amount`, `trace`, `batch`, `rrn`, `authCode` "of the
 * transaction", `maskedPan` first 6 + last 4) judged against the
 * acquirer's own records of it: the last financial request the host approved (its F4, F11, 60.2,
 * F2) and the reply (F37, F38, and F4 when the reply carries one, e.g. a partial approval). A cash
 * register books what it is told, so every figure must be the acquirer's. And for an `ecr` result of
 * any kind: how it says the flow ended (approved, responseCode, outcome) against the final screen and
 * the host's answer. Pure: problems, or [].
 */
import type { TransactionKind } from '../protocol/iso8583';
import type { FlowOutcome } from './flow-outcome';
import { batchOf, financialRequests, replyTo, type HostMessage } from './host-view';

/** The fields of an `ecr` result this judgement reads (protocol/ttp messages). */
export interface EcrResultFigures {
  approved?: boolean;
  responseCode?: string;
  amount?: string;
  trace?: string;
  batch?: string;
  rrn?: string;
  authCode?: string;
  maskedPan?: string;
}

/** Why the approved ECR result does not name the transaction the host approved last; [] when it does. */
export function ecrResultProblems(result: EcrResultFigures, messages: readonly HostMessage[]): string[] {
  const approved = financialRequests(messages).filter((m) => replyTo(messages, m)?.responseCode === '00');
  const request = approved[approved.length - 1];
  if (!request) return ['the host approved no financial request, yet the cash register was told of an approval'];
  const reply = replyTo(messages, request)!;
  const what = `the ${request.kind} STAN ${request.stan}`;
  const problems: string[] = [];
  // The host answered, so the register must be told its F39 (a register that books by code needs it).
  if (result.responseCode !== reply.responseCode) {
    problems.push(`responseCode ${JSON.stringify(result.responseCode)} is not the reply F39 ${reply.responseCode} of ${what}`);
  }
  const fen = Number(reply.fields[4] ?? request.fields[4]);
  if (result.amount === undefined || !/^\d{1,12}$/.test(result.amount) || Number(result.amount) !== fen) {
    problems.push(`amount ${JSON.stringify(result.amount)} is not the ${fen} fen the host approved for ${what} (F4)`);
  }
  if (result.trace === undefined || result.trace !== request.stan) {
    problems.push(`trace ${JSON.stringify(result.trace)} is not ${what}'s F11 ${request.stan}`);
  }
  const expected: Array<[keyof EcrResultFigures, string | undefined, string]> = [
    ['batch', batchOf(request), '60.2'],
    ['rrn', reply.fields[37], 'the reply F37'],
    ['authCode', reply.fields[38]?.trim(), 'the reply F38'],
  ];
  for (const [field, want, source] of expected) {
    const got = result[field];
    if (got !== undefined && want !== undefined && String(got).trim() !== want) {
      problems.push(`${field} ${JSON.stringify(got)} is not ${source} ${want} of ${what}`);
    }
  }
  const pan = request.fields[2];
  if (result.maskedPan !== undefined && pan !== undefined) {
    const ends = (s: string) => `${s.slice(0, 6)}…${s.slice(-4)}`;
    if (ends(result.maskedPan) !== ends(pan)) problems.push(`maskedPan ${ends(result.maskedPan)} is not the card of ${what} (${ends(pan)})`);
  }
  return problems;
}

/** The requests a flow of each kind sends; a settlement goes on with its batch upload (cup8583.md §3.10). */
const FLOW_REQUEST_KINDS: Partial<Record<TransactionKind, readonly TransactionKind[]>> = {
  settlement: ['settlement', 'batch-upload', 'batch-upload-end'],
};

/**
 * The request whose reply tells how a cash-register request of `kind` ended (TTP §6.9 responseCode: "F39
 * from the host, when there was one"): the flow's last request after journal id `afterId`. For a
 * settlement that is its last 0500 / 0320: the upload follows the 0510 (cup8583.md §3.10), so an upload
 * left unanswered ends the flow with no usable reply whatever the 0510 said, and an upload resumed after
 * an interrupted one sends no 0500 at all (its end message's 0330 is the reply).
 */
export function ecrFlowRequest(messages: readonly HostMessage[], kind: TransactionKind, afterId: number): HostMessage | undefined {
  const kinds = FLOW_REQUEST_KINDS[kind] ?? [kind];
  return messages.filter((m) => m.direction === 'in' && m.id > afterId && m.kind !== 'unknown' && kinds.includes(m.kind)).pop();
}

/** The members of any `ecr` result (TTP §6.9) that say how the transaction ended. */
export interface EcrEnding {
  approved?: unknown;
  responseCode?: string;
  outcome?: { result?: unknown; responseCode?: unknown };
}

/** Outcomes that end a flow well (TTP §7.6): an approval, or a non-transaction flow done. */
const ENDED_WELL = new Set(['approved', 'done']);

/**
 * Why an `ecr` result of any kind (sale, settle, …) disagrees with how the terminal ended the flow;
 * [] when it agrees. TTP §6.9 / §7.6: the result carries `approved` (true only when the host approved
 * and the terminal completed), `responseCode` = the F39 the host answered, when it answered, and the
 * `outcome` of the final screen. `finalScreen`: the outcome of the last final screen of the flow;
 * `hostCode`: the F39 of the host's reply to the flow's request (undefined: the host did not answer;
 * null: the flow asks the host nothing, e.g. a reprint).
 */
export function ecrEndingProblems(result: EcrEnding, finalScreen: FlowOutcome | undefined, hostCode: string | undefined | null): string[] {
  const problems: string[] = [];
  if (typeof result.approved !== 'boolean') problems.push(`approved is ${JSON.stringify(result.approved)}, not true or false`);
  const outcome = result.outcome;
  if (!outcome || typeof outcome.result !== 'string') problems.push('no outcome (TTP 1.1 §7.6: required on every ecr result)');
  else if (finalScreen && (outcome.result !== finalScreen.result || outcome.responseCode !== finalScreen.responseCode)) {
    problems.push(
      `outcome ${outcome.result}${outcome.responseCode ? ` ${outcome.responseCode}` : ''} is not the final screen's ` +
        `${finalScreen.result}${finalScreen.responseCode ? ` ${finalScreen.responseCode}` : ''} (§7.6: the same outcome)`,
    );
  }
  if (typeof hostCode === 'string' && result.responseCode !== hostCode) {
    problems.push(`responseCode ${JSON.stringify(result.responseCode)} is not the F39 ${hostCode} the host answered`);
  }
  if (result.approved === true) {
    if (typeof outcome?.result === 'string' && !ENDED_WELL.has(outcome.result)) problems.push(`approved with outcome ${outcome.result}`);
    if (hostCode === undefined) problems.push('approved, yet the host answered nothing');
    else if (hostCode !== null && hostCode !== '00' && hostCode !== '10') problems.push(`approved, yet the host answered ${hostCode}`);
  } else if (result.approved === false && typeof outcome?.result === 'string' && ENDED_WELL.has(outcome.result) && hostCode === '00') {
    problems.push(`not approved, yet the host answered 00 and the outcome is ${outcome.result}`);
  }
  return problems;
}
