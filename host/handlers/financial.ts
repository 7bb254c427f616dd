/**
 * Financial requests 0100 / 0200 / 0220 (cup8583.md §3.6, §3.7): sale, bill payment, void, refund,
 * balance inquiry and the pre-authorisation family, identified by the transaction catalogue. The
 * decision and the booking are FinancialRequest's; this file checks the MAC and the STAN and builds
 * the reply (F38, F54 balance, F55 ARPC, F37).
 */
import { formatBalance, identify, IsoMessage, transactionSpec, type Field60 } from '../../protocol/iso8583';
import { Decline, type HostContext, type Request, type TerminalRuntime } from '../context';
import { approvedCode, FinancialRequest } from './financial-request';
import type { MessageHandler } from './types';

export interface FinancialHead {
  rt: TerminalRuntime;
  out: IsoMessage;
  f60: Field60;
  stan: string;
}

/** Terminal, MAC (A0 when it fails), F60 and F11: what every MAC-bearing financial message must pass. */
export function readFinancialHead(req: Request, ctx: HostContext): FinancialHead | IsoMessage {
  const rt = ctx.checkTerminal(req);
  const out = ctx.baseResponse(req);
  const macFailure = ctx.checkMac(req, rt, out);
  if (macFailure) return macFailure;
  const f60 = ctx.field60(req);
  const stan = req.msg.getString(11);
  if (!stan || !/^\d{6}$/.test(stan)) throw new Decline('30', 'F11 (STAN) missing');
  return { rt, out, f60, stan };
}

export const financialHandler: MessageHandler = {
  name: 'financial',
  mtis: ['0100', '0200', '0220'],
  prepare(req, ctx) {
    const head = readFinancialHead(req, ctx);
    if (head instanceof IsoMessage) return head;
    const { rt, out, f60, stan } = head;
    const m = req.msg;
    const kind = identify(m);
    if (!kind || !transactionSpec(kind).financial) {
      const key = `${m.mti}/${m.getString(3) ?? ''}/${m.getString(25) ?? '00'}/${f60.transactionType}/${f60.networkCode}`;
      throw new Decline('40', `no transaction is MTI/F3/F25/60.1/60.3 = ${key} (cup8583.md §3.1)`);
    }
    req.kind = kind;

    // Duplicate STAN in the batch (94); an advice (0220) sent again is answered as the first time.
    const existing = ctx.store.stanUse(rt.config.terminalId, f60.batchNumber, stan);
    if (existing) {
      if (
        m.mti === '0220' &&
        existing.mti === '0220' &&
        existing.kind === kind &&
        String(existing.amount) === String(Number(m.getString(4) ?? '0'))
      ) {
        req.note = `advice resent: answered as the first time (transaction ${existing.id})`;
        out.set(37, existing.rrn ?? ctx.nextRrn());
        if (existing.auth_code) out.set(38, existing.auth_code);
        return ctx.finishFinancial(out, existing.response_code);
      }
      req.note = `STAN ${stan} already used in batch ${f60.batchNumber} (transaction ${existing.id})`;
      return ctx.finishFinancial(out, '94');
    }

    const txn = new FinancialRequest(ctx, req, rt, f60, stan, kind);
    const conclude = (code: string): IsoMessage => {
      txn.record(code);
      if (approvedCode(code)) txn.book();
      if (code === '10') out.set(4, String(txn.amount).padStart(12, '0'));
      if (txn.authCode) out.set(38, txn.authCode);
      if (kind === 'balance' && code === '00' && txn.card) {
        const acct = ctx.store.account(txn.card.alias)!;
        out.set(
          54,
          formatBalance({
            accountType: txn.card.account === 'credit' ? '30' : '10',
            amountType: '02',
            currency: '156',
            amount: acct.balance - acct.holds,
          }),
        );
        out.unset(4);
      }
      if (kind === 'bill-payment' && m.has(62)) out.set(62, m.get(62)!);
      if (txn.arpc) out.set(55, txn.arpc(code));
      out.set(37, txn.rrn);
      return ctx.finishFinancial(out, code, txn.card);
    };
    return {
      apply: () => {
        let code: string;
        try {
          code = txn.decide();
        } catch (err) {
          if (!(err instanceof Decline)) throw err;
          code = err.code;
          req.note = err.why;
        }
        return conclude(code);
      },
      decline: (code, why) => {
        txn.readForDecline();
        req.note = `${why}: nothing booked`;
        return conclude(code);
      },
    };
  },
};
