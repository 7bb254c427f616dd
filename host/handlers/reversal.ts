/**
 * Reversal 0400 / 0410 (cup8583.md §3.8): undoes the original with the same terminal, batch and STAN
 * when nothing later depends on it; a reversal sent again, or of a declined original, is approved
 * with nothing to undo; no reversible original is 25. Strict like an acquirer: the reversal must
 * give its reason (F39 98 / A0 / 06), carry no track or PIN data, and agree with its original
 * (amount 64; card, entry mode, F25 and 60.1: 25).
 */
import { maskPan } from '../../crypto';
import { IsoMessage, reversedKind, sm4PinBlockFromF59, transactionSpec } from '../../protocol/iso8583';
import { checkCurrency, Decline, formatFen, type HostContext } from '../context';
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
  if (orig.kind === 'preauth-add' && orig.original_id !== null) {
    // Undoing a 追加预授权 lowers the hold: only while its pre-authorisation is still open.
    const preauth = ctx.store.transactionById(orig.original_id);
    const used = preauth && (active(preauth.completed_by) ?? active(preauth.voided_by));
    if (used) return `pre-authorisation ${preauth.id} has a later ${used.kind} (${used.id}); reverse that first`;
  }
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
    case 'preauth-add':
      if (orig.original_id !== null) ctx.changePreauthHold(orig.original_id, -orig.amount);
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

/** Reversal reasons a terminal may give in F39 (cup8583.md §3.8): no reply, reply MAC wrong, other. */
export const REVERSAL_REASONS: Readonly<Record<string, string>> = { '98': 'no response', A0: 'response MAC wrong', '06': 'other' };

/** What the reversal itself must be (30 otherwise): F39 a reason of §3.8, none of the fields a reversal drops. */
function checkReversalForm(msg: IsoMessage): void {
  const reason = msg.getString(39);
  if (reason === undefined) throw new Decline('30', 'reversal without F39 (the reason: 98, A0 or 06, cup8583.md §3.8)');
  if (!Object.keys(REVERSAL_REASONS).includes(reason))
    throw new Decline('30', `reversal reason F39 = ${reason} is not 98, A0 or 06 (cup8583.md §3.8)`);
  const forbidden = transactionSpec('reversal').fields.mustNot.filter((n) => msg.has(n));
  if (forbidden.length) {
    const what = forbidden.map((n) => `F${n}${n === 35 || n === 36 ? ' (track data)' : n === 52 ? ' (PIN block)' : ''}`).join(', ');
    throw new Decline('30', `reversal carries ${what}: a reversal drops track, PIN data and F37 (cup8583.md §3.8)`);
  }
  let sm4PinBlock = false;
  try {
    sm4PinBlock = sm4PinBlockFromF59(msg.getString(59)) !== undefined;
  } catch {
    // an F59 that is no tag list carries no PIN block this host could read
  }
  if (sm4PinBlock) throw new Decline('30', 'reversal carries F59 tag A1 (SM4 PIN block): a reversal drops PIN data (cup8583.md §3.8)');
}

/** Where the reversal disagrees with its original (amount 64; card, entry mode, F25 / 60.1: 25), or undefined. */
function mismatch(ctx: HostContext, msg: IsoMessage, orig: TransactionRow): { code: string; why: string } | undefined {
  const kind = reversedKind(msg);
  if (kind !== orig.kind) {
    return {
      code: '25',
      why: `reversal F3/F25/60.1 = ${msg.getString(3)}/${msg.getString(25) ?? '00'}/${(msg.getString(60) ?? '').slice(0, 2)} names ${kind ?? 'no reversible kind'}, the original with this STAN is a ${orig.kind}`,
    };
  }
  const f4 = msg.getString(4);
  if (f4 !== undefined && Number(f4) !== orig.amount) {
    return {
      code: '64',
      why: `reversal amount ${/^\d+$/.test(f4) ? formatFen(Number(f4)) : f4} differs from the original ${formatFen(orig.amount)}`,
    };
  }
  const pan = msg.getString(2);
  if (pan !== undefined) {
    const card = orig.card_alias ? ctx.config.cards.find((c) => c.alias === orig.card_alias) : undefined;
    if (card ? card.pan !== pan : maskPan(pan) !== orig.pan_masked) {
      return { code: '25', why: `reversal PAN ${maskPan(pan)} is not the card of the original (${orig.pan_masked ?? 'none'})` };
    }
  }
  const entry = msg.getString(22);
  if (entry !== undefined && orig.entry_mode !== null && entry !== orig.entry_mode) {
    return { code: '25', why: `reversal entry mode F22 = ${entry} differs from the original's ${orig.entry_mode}` };
  }
  return undefined;
}

export const reversalHandler: MessageHandler = {
  name: 'reversal',
  mtis: ['0400'],
  prepare(req, ctx) {
    const head = readFinancialHead(req, ctx);
    if (head instanceof IsoMessage) return head;
    const { rt, out, f60, stan } = head;
    req.kind = 'reversal';
    checkReversalForm(req.msg);
    checkCurrency(req.msg);
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
        const differs = mismatch(ctx, req.msg, orig);
        if (differs) {
          req.note = `${differs.why}: nothing reversed`;
          return ctx.finishFinancial(out, differs.code);
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
