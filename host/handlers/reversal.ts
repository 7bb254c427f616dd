/**
 * Reversal 0400 / 0410 (cup8583.md §3.8): undoes the original with the same terminal, batch and STAN
 * when nothing later depends on it; a reversal sent again, or of a declined original, is approved
 * with nothing to undo; no reversible original is 25.
 */
import { IsoMessage, transactionSpec } from '../../protocol/iso8583';
import { formatFen, type HostContext } from '../context';
import type { TransactionRow } from '../store';
import { readFinancialHead } from './financial';
import type { MessageHandler } from './types';

/** Why an approved original cannot be reversed: a later transaction still depends on it. */
function reversalBlocker(ctx: HostContext, orig: TransactionRow): string | undefined {
  const active = (id: number | null) => {
    if (id === null) return undefined;
    const t = ctx.store.transactionById(id);
    return t && t.approved && !t.reversed ? t : undefined;
  };
  const dep = active(orig.voided_by) ?? active(orig.completed_by);
  if (dep) return `transaction ${orig.id} has a later ${dep.kind} (${dep.id}); reverse that first`;
  if (orig.refunded > 0) return `transaction ${orig.id} has been refunded (${formatFen(orig.refunded)})`;
  if (orig.kind === 'preauth-completion-void' || orig.kind === 'preauth-void') {
    // Undoing these re-establishes the completion / the hold: only if the pre-auth was not used since.
    const target = orig.original_id !== null ? ctx.store.transactionById(orig.original_id) : undefined;
    const preauth = orig.kind === 'preauth-completion-void' && target?.original_id != null ? ctx.store.transactionById(target.original_id) : target;
    if (preauth && (active(preauth.completed_by) || (preauth.voided_by !== null && preauth.voided_by !== orig.id && active(preauth.voided_by)))) {
      return `pre-authorisation ${preauth.id} has been used since`;
    }
  }
  return undefined;
}

/** The ledger and the links of the original, as before it was approved. */
function undo(ctx: HostContext, orig: TransactionRow, at: string): void {
  const store = ctx.store;
  const alias = orig.card_alias!;
  switch (orig.kind) {
    case 'sale':
    case 'bill-payment':
      store.book(orig.id, alias, orig.amount, 'reverse', at);
      break;
    case 'preauth-completion':
    case 'preauth-completion-advice':
      store.book(orig.id, alias, orig.amount, 'reverse', at);
      if (orig.original_id !== null) ctx.reopenPreauth(orig.original_id);
      break;
    case 'void':
      store.book(orig.id, alias, -orig.amount, 'reverse', at);
      if (orig.original_id !== null) store.setVoidedBy(orig.original_id, null);
      break;
    case 'preauth-completion-void': {
      store.book(orig.id, alias, -orig.amount, 'reverse', at);
      const completion = orig.original_id !== null ? store.transactionById(orig.original_id) : undefined;
      if (completion) {
        store.setVoidedBy(completion.id, null);
        if (completion.original_id !== null) ctx.closePreauth(completion.original_id, completion.id);
      }
      break;
    }
    case 'preauth':
      if (orig.hold > 0) {
        store.addHolds(alias, -orig.hold);
        store.setHold(orig.id, 0);
      }
      break;
    case 'preauth-void':
      if (orig.original_id !== null) {
        store.setVoidedBy(orig.original_id, null);
        ctx.reopenPreauth(orig.original_id);
      }
      break;
    default:
      break;
  }
}

export const reversalHandler: MessageHandler = {
  name: 'reversal',
  mtis: ['0400'],
  prepare(req, ctx) {
    const head = readFinancialHead(req, ctx);
    if (head instanceof IsoMessage) return head;
    const { rt, out, f60, stan } = head;
    req.kind = 'reversal';
    return {
      decline: (code, why) => {
        req.note = `${why}: nothing reversed`;
        return ctx.finishFinancial(out, code);
      },
      apply: () => {
        const orig = ctx.store.transactionByStan(rt.config.terminalId, f60.batchNumber, stan);
        if (!orig || !transactionSpec(orig.kind).reversible || orig.processing_code !== req.msg.getString(3)) {
          req.note = `no reversible original with STAN ${stan} in batch ${f60.batchNumber}${orig ? ` (found ${orig.kind} ${orig.mti}/${orig.processing_code})` : ''}`;
          return ctx.finishFinancial(out, '25');
        }
        const card = orig.card_alias ? ctx.config.cards.find((c) => c.alias === orig.card_alias) : undefined;
        if (orig.rrn) out.set(37, orig.rrn);
        const at = req.now.toISOString();
        if (orig.reversed) {
          req.note = `transaction ${orig.id} already reversed at ${orig.reversed_at}: nothing to undo`;
          return ctx.finishFinancial(out, '00', card);
        }
        if (!orig.approved) {
          ctx.store.markReversed(orig.id, at);
          req.note = `original ${orig.id} was declined (${orig.response_code}): nothing to undo`;
          return ctx.finishFinancial(out, '00', card);
        }
        const blocker = reversalBlocker(ctx, orig);
        if (blocker) {
          req.note = blocker;
          return ctx.finishFinancial(out, '12', card);
        }
        undo(ctx, orig, at);
        ctx.store.markReversed(orig.id, at);
        req.note = `reversed transaction ${orig.id} (${orig.kind} ${formatFen(orig.amount)})`;
        return ctx.finishFinancial(out, '00', card);
      },
    };
  },
};
