/**
 * The emulator's TTP `ecr` command (the cash register starts a transaction; TTP §6.9): request
 * checks, then the request is queued for the session and answered when the transaction ends.
 * Split out of terminal.ts (issue 11: no source file over 500 lines).
 */
import { TTP_ECR_REQUESTS, type TtpEcrCommand, type TtpRequest } from '../../protocol/ttp';
import type { TerminalInput } from '../inputs';
import type { TtpCommandContext } from './context';

/** TTP `ecr`: checks the request, then hands it to the session; the reply comes when the flow ends. */
export function handleEcrCommand(ctx: TtpCommandContext, req: TtpRequest): void {
  const session = ctx.session;
  const ecr = req as TtpEcrCommand;
  if (!(TTP_ECR_REQUESTS as readonly string[]).includes(ecr.request)) {
    ctx.fail(req, 'bad-request', `ecr request must be one of ${TTP_ECR_REQUESTS.join(', ')}`, { field: 'request' });
    return;
  }
  // TTP §6.9: amount is required for sale, bill-payment and refund (the cash register knows it; no keypad entry).
  const missing = ecrMissingField(ecr);
  if (missing) {
    ctx.fail(req, 'bad-request', `ecr ${ecr.request} needs ${missing}`, { field: missing });
    return;
  }
  if (ecr.amount !== undefined && !/^\d{1,12}$/.test(ecr.amount)) {
    ctx.fail(req, 'bad-request', 'amount must be 1..12 digits (fen)', { field: 'amount' });
    return;
  }
  if (ecr.request === 'bill-payment' && (!ecr.payee?.name || !/^\d{1,32}$/.test(ecr.payee?.account ?? ''))) {
    ctx.fail(req, 'bad-request', 'bill-payment needs payee.name and payee.account (digits)', { field: 'payee' });
    return;
  }
  if (session.isBusy || ctx.pendingEcr.size > 0) {
    ctx.fail(req, 'busy', 'a transaction is in progress');
    return;
  }
  if (ctx.readState().tampered && !ctx.defects.has('tamper-ignored')) {
    ctx.fail(req, 'tampered', 'tamper detected: the terminal refuses to transact');
    return;
  }
  ctx.pendingEcr.set(req.id, req);
  session.inputs.push({ kind: 'ecr', request: ecr } as TerminalInput);
}

/** The parameter an `ecr` request lacks (TTP §6.9), if any. */
function ecrMissingField(ecr: TtpEcrCommand): string | undefined {
  const needsAmount = ecr.request === 'sale' || ecr.request === 'bill-payment' || ecr.request === 'refund';
  if (needsAmount && ecr.amount === undefined) return 'amount';
  if (ecr.request === 'void' && ecr.originalTrace === undefined) return 'originalTrace';
  if (ecr.request === 'refund' && ecr.originalRrn === undefined) return 'originalRrn';
  if (ecr.request === 'refund' && ecr.originalDate === undefined) return 'originalDate';
  return undefined;
}
