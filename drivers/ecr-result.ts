/**
 * The cash register's view of an approved transaction (TTP §6.9 `ecr` result: `responseCode` "F39
 * from the host, when there was one", `amount`, `trace`, `batch`, `rrn`, `authCode` "of the
 * transaction", `maskedPan` first 6 + last 4) judged against the
 * acquirer's own records of it: the last financial request the host approved (its F4, F11, 60.2,
 * F2) and the reply (F37, F38, and F4 when the reply carries one, e.g. a partial approval). A cash
 * register books what it is told, so every figure must be the acquirer's. Pure: problems, or [].
 */
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
