/**
 * 电子签名上送 (electronic signature upload, cup8583.md §3.1: 0820, F25 07, 60.1 07, 60.3 800): a
 * paperless terminal sends the image the cardholder signed on its screen for an approved purchase.
 * The reference gives only the identification; poscert's layout (docs/host.md, e-signature): F62 =
 * the PNG, F61 = the original's batch + trace (61.1 / 61.2), F37 = its RRN, F4 = its amount, F64 =
 * MAC. The host requires and verifies the MAC (A0), checks the image (30), links the upload to the
 * approved sale / bill payment of this terminal that F61 names and requires F37 and F4 to be that
 * transaction's (25 with the reason otherwise), and keeps in the journal the image's size and
 * SHA-256 with the transaction it signs, never the image (host/redact.ts replaces F62).
 * network-management.ts hands the message here by its catalogue kind (0820 is shared).
 */
import { parseField61, transactionSpec, type IsoMessage } from '../../protocol/iso8583';
import { signatureImageInfo, signatureImageProblem } from '../../protocol/ttp/signature';
import { Decline, type HostContext, type Request, type TerminalRuntime } from '../context';
import type { TransactionRow } from '../store';
import { prepared, type PreparedRequest } from './types';

const yuan = (fen: number) => (fen / 100).toFixed(2);

/** The approved purchase an e-signature upload signs (F61 batch + trace, F37 and F4 cross-checked); 25 / 30 with the reason. */
export function originalOfSignature(msg: IsoMessage, ctx: HostContext, rt: TerminalRuntime): TransactionRow {
  const terminalId = rt.config.terminalId;
  const f61 = msg.getString(61);
  if (!f61) throw new Decline('30', 'the e-signature upload names no original: F61 (61.1 batch + 61.2 trace) is missing');
  let ref;
  try {
    ref = parseField61(f61);
  } catch (err) {
    throw new Decline('30', (err as Error).message);
  }
  const by = `batch ${ref.originalBatch} trace ${ref.originalTrace}`;
  const original = ctx.store.transactionByStan(terminalId, ref.originalBatch, ref.originalTrace);
  if (!original) throw new Decline('25', `no transaction of terminal ${terminalId} with ${by}: the signature cannot be linked`);
  const kinds = transactionSpec('e-signature').references ?? [];
  if (!kinds.includes(original.kind)) throw new Decline('25', `${by} is a ${original.kind}, not a ${kinds.join(' / ')} a cardholder signs`);
  if (!original.approved)
    throw new Decline('25', `${original.kind} ${original.id} (${by}) was declined (${original.response_code}): nothing to sign`);
  const rrn = msg.getString(37);
  if (rrn !== (original.rrn ?? undefined))
    throw new Decline('25', `F37 ${rrn ?? 'absent'} is not the RRN of ${original.kind} ${original.id} (${by}, RRN ${original.rrn ?? '-'})`);
  const amount = msg.getString(4);
  if (amount === undefined || Number(amount) !== original.amount)
    throw new Decline('25', `F4 ${amount ?? 'absent'} is not the amount of ${original.kind} ${original.id} (${by}, ${yuan(original.amount)})`);
  return original;
}

/** The upload's reply: A0 at once on a missing or wrong MAC, else the prepared link and record. */
export function prepareSignatureUpload(req: Request, ctx: HostContext, rt: TerminalRuntime, out: IsoMessage): IsoMessage | PreparedRequest {
  if (!req.msg.has(64)) {
    req.note = 'F64 (MAC) missing: an e-signature upload carries a MAC (it refers to a cardholder transaction, docs/host.md)';
    return out.set(39, 'A0');
  }
  const macFailure = ctx.checkOptionalMac(req, rt, out);
  if (macFailure) return macFailure;
  return prepared(out, () => {
    const image = req.msg.getBuffer(62);
    const problem = image ? signatureImageProblem(image) : 'F62 (the signature image) is missing';
    if (problem || !image) throw new Decline('30', problem ?? 'F62 missing');
    const info = signatureImageInfo(image);
    const o = originalOfSignature(req.msg, ctx, rt);
    req.note =
      `e-signature of ${o.kind} ${o.id} (batch ${o.batch} trace ${o.stan}, RRN ${o.rrn ?? '-'}, ${yuan(o.amount)}${o.reversed ? ', since reversed' : ''}) ` +
      `stored: PNG ${info.width}x${info.height}, ${info.bytes} bytes, sha256 ${info.sha256}; MAC verified`;
    // F25 07 echoed, so that the reply is identified as the upload's (cup8583.md §3.1 identification).
    return out.set(25, '07').set(39, '00');
  });
}
