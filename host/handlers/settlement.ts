/**
 * Settlement 0500 / 0510 (cup8583.md §3.9): compares the terminal's F48 totals with the host's for
 * the batch, side by side (内卡: cards the host answered 63.1 = CUP; 外卡: every other organisation,
 * from the card book); a balanced side returns the terminal's totals with 1, an unbalanced one the
 * host's own totals with 2 (BP host style). The batch is marked settled either way.
 */
import { decodeSettlementTotals, encodeSettlementTotals, type SettlementSide, type SettlementTotals } from '../../protocol/iso8583';
import { checkCurrency, Decline } from '../context';
import { prepared, type MessageHandler } from './types';

type Totals = Omit<SettlementSide, 'result'>;

const same = (a: Totals, b: SettlementSide) =>
  a.debitAmount === b.debitAmount && a.debitCount === b.debitCount && a.creditAmount === b.creditAmount && a.creditCount === b.creditCount;

export const settlementHandler: MessageHandler = {
  name: 'settlement',
  mtis: ['0500'],
  prepare(req, ctx) {
    const rt = ctx.checkTerminal(req);
    const f60 = ctx.field60(req);
    const out = ctx.baseResponse(req);
    req.kind = 'settlement';
    checkCurrency(req.msg);
    return prepared(out, () => {
      const f48 = req.msg.getString(48);
      if (!f48) throw new Decline('30', 'F48 (settlement totals) missing');
      let terminalTotals: SettlementTotals;
      try {
        terminalTotals = decodeSettlementTotals(f48);
      } catch (err) {
        throw new Decline('30', (err as Error).message);
      }
      const tid = rt.config.terminalId;
      const batch = f60.batchNumber;
      // Each side from the host's own books: 内卡 the CUP cards, 外卡 every other organisation (63.1).
      const hostDomestic = ctx.store.batchTotals(tid, batch, 'domestic');
      const hostForeign = ctx.store.batchTotals(tid, batch, 'foreign');
      const domesticOk = same(hostDomestic, terminalTotals.domestic);
      const foreignOk = same(hostForeign, terminalTotals.foreign);
      const reply: SettlementTotals = {
        domestic: domesticOk ? { ...terminalTotals.domestic, result: '1' } : { ...hostDomestic, result: '2' },
        foreign: foreignOk ? { ...terminalTotals.foreign, result: '1' } : { ...hostForeign, result: '2' },
      };
      const replyF48 = encodeSettlementTotals(reply);
      const at = req.now.toISOString();
      ctx.store.insertSettlement(tid, batch, at, f48, replyF48, reply.domestic.result, reply.foreign.result);
      const prev = ctx.store.batchState(tid, batch);
      ctx.store.saveBatch({
        terminal_id: tid,
        batch,
        state: 'settled',
        settled_at: at,
        settle_result: reply.domestic.result + reply.foreign.result,
        closed_at: null,
        uploaded: prev?.uploaded ?? 0,
      });
      req.note = `settlement batch ${batch}: domestic ${domesticOk ? 'balanced' : 'NOT balanced'}, foreign ${foreignOk ? 'balanced' : 'NOT balanced'}`;
      return out.set(48, replyF48).set(39, '00');
    });
  },
};
