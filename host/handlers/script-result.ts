/**
 * 0620 IC卡脚本结果通知 (60.3 951, cup8583.md §3.1, §3.11): after a chip transaction whose reply
 * carried an issuer script (71 / 72), the terminal reports what the card did with it in F55 DF31.
 * The host verifies the MAC (mandatory for this kind: A0 when missing or wrong), reads DF31, and links
 * the notice to its original by F61 (batch + trace) or else F37 (RRN): the journal note names the
 * original transaction and the script results, or says why it was refused (25 no such original, 30
 * format). The 0630 echoes the request's identification; the notice books nothing.
 */
import { maskPan } from '../../crypto';
import { decodeScriptResults, type ScriptResult } from '../../protocol/iso8583/issuer-script';
import { parseField61, transactionSpec, type IsoMessage } from '../../protocol/iso8583';
import { decodeTlv, findTag } from '../../protocol/tlv';
import { Decline, type HostContext, type Request, type TerminalRuntime } from '../context';
import type { TransactionRow } from '../store';
import { prepared, type MessageHandler } from './types';

const CHIP_ENTRY = /^(05|07|96|98)/;

/** The script results a 0620 carries in F55 DF31 (30 when absent or malformed). */
export function scriptResultsOf(msg: IsoMessage): ScriptResult[] {
  const f55 = msg.getBuffer(55);
  if (!f55) throw new Decline('30', 'a script-result notice carries F55 with DF31 (cup8583.md §3.11); F55 is missing');
  let df31;
  try {
    df31 = findTag(decodeTlv(f55), 'DF31');
  } catch (err) {
    throw new Decline('30', `F55 is not BER-TLV: ${(err as Error).message}`);
  }
  if (!df31) throw new Decline('30', 'F55 of the script-result notice lacks DF31 (the issuer script results, cup8583.md §3.11)');
  try {
    return decodeScriptResults(df31.value);
  } catch (err) {
    throw new Decline('30', (err as Error).message);
  }
}

/** The original chip transaction a 0620 reports on: by F61 batch + trace, else by F37 RRN; 25 with the reason. */
export function originalOfScriptResult(msg: IsoMessage, ctx: HostContext, rt: TerminalRuntime): TransactionRow {
  const terminalId = rt.config.terminalId;
  const f61 = msg.getString(61);
  const rrn = msg.getString(37);
  let original: TransactionRow | undefined;
  let by: string;
  if (f61) {
    let ref;
    try {
      ref = parseField61(f61);
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
    by = `batch ${ref.originalBatch} trace ${ref.originalTrace}`;
    original = ctx.store.transactionByStan(terminalId, ref.originalBatch, ref.originalTrace);
  } else if (rrn && !/^0+$/.test(rrn)) {
    by = `RRN ${rrn}`;
    original = ctx.store.transactionByRrn(rrn);
    if (original && original.terminal_id !== terminalId) original = undefined;
  } else {
    throw new Decline('30', 'the script-result notice names no original: neither F61 (batch + trace) nor F37 (RRN)');
  }
  const kinds = transactionSpec('script-result').references ?? [];
  if (!original) throw new Decline('25', `no transaction of terminal ${terminalId} with ${by}: the script result cannot be linked`);
  if (!kinds.includes(original.kind))
    throw new Decline('25', `${by} is a ${original.kind}, not a chip ${kinds.join(' / ')} an issuer script answers`);
  if (!CHIP_ENTRY.test(original.entry_mode ?? ''))
    throw new Decline('25', `${original.kind} ${original.id} (${by}) was not a chip transaction (F22 ${original.entry_mode ?? '-'})`);
  if (!original.approved)
    throw new Decline('25', `${original.kind} ${original.id} (${by}) was declined (${original.response_code}): no issuer script was returned for it`);
  const pan = msg.getString(2);
  if (pan && original.pan_masked && maskPan(pan) !== original.pan_masked) {
    throw new Decline('25', `F2 ${maskPan(pan)} is not the card of ${original.kind} ${original.id} (${original.pan_masked})`);
  }
  return original;
}

function describeResults(results: readonly ScriptResult[]): string {
  return results.map((r) => `script ${r.scriptId} ${r.status}${r.failedCommand ? ` at command ${r.failedCommand}` : ''}`).join(', ');
}

export const scriptResultHandler: MessageHandler = {
  name: 'script result',
  mtis: ['0620'],
  prepare(req: Request, ctx: HostContext) {
    const rt = ctx.checkTerminal(req);
    req.kind = 'script-result';
    const out = ctx.baseResponse(req);
    if (!req.msg.has(64)) {
      req.note = 'F64 (MAC) missing: a script-result notice carries a MAC (cup8583.md §3.1)';
      return out.set(39, 'A0');
    }
    const macFailure = ctx.checkOptionalMac(req, rt, out);
    if (macFailure) return macFailure;
    return prepared(out, () => {
      const results = scriptResultsOf(req.msg);
      const o = originalOfScriptResult(req.msg, ctx, rt);
      req.note = `script result linked to ${o.kind} ${o.id} (batch ${o.batch} trace ${o.stan}, RRN ${o.rrn ?? '-'}${o.reversed ? ', since reversed' : ''}): ${describeResults(results)}; MAC verified`;
      return out.set(39, '00');
    });
  },
};
