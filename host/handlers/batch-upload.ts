/**
 * Batch upload 0320 / 0330 and its end (cup8583.md §3.10): magstripe lists (60.3 201, up to 8 items
 * of 40 digits in F48, matched against the host's transactions), IC records (TC 203 / 205, failed IC
 * 204 / 206: parsed, matched to their original, a duplicate tolerated but not counted again, one that
 * matches nothing refused with 25; batch-records.ts), one-record uploads (offline / refund / advice
 * 000), and the end message (202 / 207) whose count is checked against what the host took, which
 * closes the batch and moves the terminal to the next one. A record's card-organisation flag (00 CUP /
 * 01 foreign) is accepted either way and noted in the journal when it is not the original's side; the
 * harness judges it (drivers/batch-lists.ts, drivers/ic-records.ts).
 */
import { maskPan } from '../../crypto';
import { identify, organisationFlag } from '../../protocol/iso8583';
import { IC_RECORD_CODES, matchIcRecord, parseIcRecord, type IcRecordDetail } from '../batch-records';
import { Decline } from '../context';
import { prepared, type MessageHandler } from './types';

export const batchUploadHandler: MessageHandler = {
  name: 'batch upload',
  mtis: ['0320'],
  prepare(req, ctx) {
    const rt = ctx.checkTerminal(req);
    const f60 = ctx.field60(req);
    const out = ctx.baseResponse(req);
    req.kind = identify(req.msg);
    // Uploads carry no MAC (§3.1); one that does has it verified like any other (A0).
    const macFailure = ctx.checkOptionalMac(req, rt, out);
    if (macFailure) return macFailure;
    return prepared(out, () => {
      const store = ctx.store;
      const tid = rt.config.terminalId;
      const batch = f60.batchNumber;
      const stan = req.msg.getString(11) ?? '000000';
      const code = f60.networkCode;
      const at = req.now.toISOString();
      const prev = store.batchState(tid, batch);
      const saveBatch = (state: string, uploadedDelta: number, closed: boolean) =>
        store.saveBatch({
          terminal_id: tid,
          batch,
          state,
          settled_at: null,
          settle_result: null,
          closed_at: closed ? at : null,
          uploaded: (prev?.uploaded ?? 0) + uploadedDelta,
        });
      if (req.kind === 'batch-upload-end') {
        const f48 = req.msg.getString(48);
        if (!f48 || !/^\d{4}$/.test(f48)) throw new Decline('30', 'F48 of the batch-upload end must be the 4-digit count of uploaded records');
        const uploaded = prev?.uploaded ?? 0;
        const told = Number(f48);
        const duplicates = store.db
          .prepare(
            "SELECT COUNT(*) FROM batch_uploads WHERE terminal_id = ? AND batch = ? AND items = 0 AND network_code IN ('203','204','205','206')",
          )
          .pluck()
          .get(tid, batch) as number;
        saveBatch('closed', 0, true);
        // The terminal starts its next batch: the host's batch for this terminal follows.
        const next = String((Number(batch) % 999999) + 1).padStart(6, '0');
        ctx.saveTerminal(rt, { ...rt.row, batch: next }, rt.keys);
        // The terminal's count is checked against the records the host took (each original once).
        req.note =
          `batch ${batch} closed (${code}); terminal says ${told} records, host received ${uploaded}` +
          (duplicates ? ` (+ ${duplicates} duplicate(s) tolerated, not counted)` : '') +
          (told === uploaded
            ? ': counts agree'
            : `: COUNT MISMATCH (${told > uploaded ? 'the terminal counts records the host never took' : 'the host took records the terminal does not count'})`);
        return out.set(39, '00');
      }
      if (code === '201') {
        const f48 = req.msg.getString(48);
        if (!f48 || !/^\d{2}/.test(f48)) throw new Decline('30', 'F48 of a magstripe batch upload must start with the 2-digit item count');
        const count = Number(f48.slice(0, 2));
        if (count < 1 || count > 8 || f48.length !== 2 + count * 40) {
          throw new Decline('30', `F48 announces ${count} items (1..8, 40 digits each) but holds ${f48.length - 2} digits`);
        }
        let matched = 0;
        const items: { org: string; trace: string; pan: string; amount: number; matched: boolean }[] = [];
        for (let i = 0; i < count; i++) {
          const item = f48.slice(2 + i * 40, 2 + (i + 1) * 40);
          const trace = item.slice(2, 8);
          const pan = item.slice(8, 28).replace(/^0+/, '');
          const amount = Number(item.slice(28, 40));
          const t = store.transactionByStan(tid, batch, trace);
          const ok = !!t && t.approved === 1 && t.amount === amount;
          if (ok) matched++;
          // The flag names the side the original was answered on (63.1); matched or not, a wrong one is noted.
          if (t && item.slice(0, 2) !== organisationFlag(t.card_org))
            req.warnings.push(
              `item ${i + 1} (trace ${trace}) flags card organisation ${item.slice(0, 2)}, but the original was answered 63.1 = ${t.card_org}: §3.10 says ${organisationFlag(t.card_org)}`,
            );
          items.push({ org: item.slice(0, 2), trace, pan: maskPan(pan), amount, matched: ok });
        }
        store.insertUpload(tid, batch, stan, code, count, matched, JSON.stringify(items), at);
        saveBatch('uploading', count, false);
        req.note = `batch upload of ${count} magstripe records, ${matched} match the host`;
        return out.set(39, '00');
      }
      if (IC_RECORD_CODES.includes(code)) {
        // One IC record (TC 203 / 205, failed IC 204 / 206): parsed, matched to its original, counted once.
        const rec = parseIcRecord(req.msg, code);
        const match = matchIcRecord(store, tid, batch, stan, rec);
        if (match.kind === 'unmatched') throw new Decline('25', match.why);
        const o = match.original;
        const detail: IcRecordDetail = { originalId: o.id, originalStan: o.stan, pan: rec.panMasked, amount: rec.amount, atc: rec.atc };
        if (rec.foreign !== (organisationFlag(o.card_org) === '01'))
          req.warnings.push(
            `F62 flags card organisation ${rec.foreign ? '01' : '00'}, but the original was answered 63.1 = ${o.card_org}: §3.10 says ${organisationFlag(o.card_org)}`,
          );
        const expected = prev?.settle_result === '11' ? (rec.failed ? '204' : '203') : prev?.settle_result ? (rec.failed ? '206' : '205') : undefined;
        if (expected && expected !== code)
          req.warnings.push(`60.3 ${code} after a${prev?.settle_result === '11' ? ' balanced' : 'n unbalanced'} settlement; §3.10 says ${expected}`);
        const original = `${o.kind} STAN ${o.stan} batch ${o.batch} (${rec.panMasked}, ${(rec.amount / 100).toFixed(2)}, ATC ${rec.atc}${o.reversed ? ', reversed' : ''})`;
        const label = rec.failed ? `failed-IC record (${rec.failure === 'card-declined' ? 'card declined, AAC' : 'other failure'})` : 'TC record';
        if (match.kind === 'duplicate') {
          store.insertUpload(tid, batch, stan, code, 0, 1, JSON.stringify({ ...detail, duplicateOf: match.earlier.stan }), at);
          saveBatch('uploading', 0, false);
          req.note = `duplicate ${label} (60.3 ${code}) for ${original}: already received as STAN ${match.earlier.stan} at ${match.earlier.at}; tolerated, not counted again`;
        } else {
          store.insertUpload(tid, batch, stan, code, 1, 1, JSON.stringify(detail), at);
          saveBatch('uploading', 1, false);
          req.note = `${label} (60.3 ${code}) matched to ${original}`;
        }
        out.unset(48);
        return out.set(39, '00');
      }
      // One-record uploads (offline / refund / advice, 60.3 = 000).
      const pan = req.msg.getString(2);
      const amount = Number(req.msg.getString(4) ?? '0');
      store.insertUpload(tid, batch, stan, code, 1, 0, JSON.stringify([{ pan: pan ? maskPan(pan) : null, amount }]), at);
      saveBatch('uploading', 1, false);
      req.note = `batch upload record (60.3 = ${code})`;
      out.unset(48);
      return out.set(39, '00');
    });
  },
};
