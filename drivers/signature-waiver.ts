/**
 * The signature block of every transaction voucher against what its transaction was: cup8583.md §6
 * puts the cardholder signature block on the merchant (and bank) copy of every transaction; the one
 * waiver is 小额免密免签 (TTP profile table, contactless limits): a 消费 tapped at or under the
 * no-signature limit in force prints none, marked 免密 / 免签. So a copy of any other kind (a
 * pre-authorization, a refund, a completion, a void …), of another entry method or over the limit
 * must carry the block, and only a tapped purchase under the limits may be marked 免密 / 免签.
 * Judged on every copy of every case (steps/support/hooks.ts): each copy is tied to its request by the
 * trace number (the print event's `trace`, else the copy's own 凭证号), which carries the kind (the
 * catalogue), F22 and F4. A copy that names no request the host saw is not judged here.
 * Pure. A 缴费 counts as a purchase (a 消费 to a payee): it may be waived like one, never required to be.
 */
import type { TerminalProfile, VoucherCopyKind } from '../protocol/ttp/profile';
import { copyNeedsSignature } from './conformance';
import { FINANCIAL_KINDS, replyTo, type HostMessage } from './host-view';
import { hasQuickPassMark } from './quickpass';
import { describeCopy, hasSignatureLine, TRANSACTION_COPIES, type VoucherCopy } from './vouchers';

/** The kinds a QuickPass tap may waive the PIN and signature of. */
const PURCHASE_KINDS: readonly string[] = ['sale', 'bill-payment'];

/** F22's first two digits that say the card was tapped (§2.3: 07 qPBOC, 98 contactless PBOC, 96 mobile chip). */
const TAPPED = /^(07|98|96)/;

/** An electronic signature (电签, TTP profile electronicSignature) stands in the block's place. */
const E_SIGNATURE = /电子签名|E-?SIGNATURE|ELECTRONIC\s*SIGNATURE/i;

/** Does the copy carry a signature block: a line to sign, or the electronic signature in its place? */
export function hasSignatureBlock(c: Pick<VoucherCopy, 'lines'>): boolean {
  return hasSignatureLine(c) || c.lines.some((l) => E_SIGNATURE.test(l));
}

/** The copy's own voucher number (§6 凭证号(VOUCHER NO):<F11>), not the 原凭证号 of what a void names. */
const VOUCHER_NO = /(?<!原)凭证号[^:：\n]*[:：]\s*(\d{6})|VOUCHER\s*NO\.?\s*[:：]\s*(\d{6})/i;

/** The trace number a copy belongs to: the print event's, else the one it prints. */
export function traceOfCopy(c: Pick<VoucherCopy, 'trace' | 'lines'>): string | undefined {
  if (c.trace && /^\d{6}$/.test(c.trace)) return c.trace;
  const m = VOUCHER_NO.exec(c.lines.join('\n'));
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The financial request (not a reversal) with this trace number, the last one when several. */
function requestOf(trace: string, messages: readonly HostMessage[]): HostMessage | undefined {
  return messages.filter((m) => m.direction === 'in' && m.stan === trace && m.kind !== 'reversal' && FINANCIAL_KINDS.includes(m.kind as never)).pop();
}

/**
 * The problems of the copies' signature blocks and 免密 / 免签 marks against their transactions, the
 * QuickPass limits in force and the copies the profile puts the block on. Empty when every copy is right.
 */
export function judgeSignatureBlocks(
  copies: readonly VoucherCopy[],
  messages: readonly HostMessage[],
  limits: TerminalProfile['contactless'],
  profile: TerminalProfile,
): string[] {
  const problems: string[] = [];
  for (const c of copies) {
    if (!TRANSACTION_COPIES.includes(c.copy)) continue;
    const trace = traceOfCopy(c);
    const request = trace ? requestOf(trace, messages) : undefined;
    if (!request) continue;
    // A partially approved amount (the reply's F4) may be what the terminal judged its limits by.
    const amount = Math.min(...[request, replyTo(messages, request)].map((m) => Number(m?.fields[4] ?? NaN)).filter(Number.isFinite));
    const tappedPurchase = PURCHASE_KINDS.includes(request.kind) && TAPPED.test(request.fields[22] ?? '');
    const what = `the ${request.kind} (STAN ${request.stan}, F22 ${request.fields[22] ?? 'absent'}, ${Number.isFinite(amount) ? `${amount} fen` : 'no F4'})`;
    const waivable = tappedPurchase && amount <= limits.noSignatureLimitFen;
    if (!waivable && copyNeedsSignature(c.copy as VoucherCopyKind, profile) && !hasSignatureBlock(c)) {
      problems.push(
        `the ${c.copy} copy of ${what} has no cardholder signature block, but only a 消费 tapped at or under the no-signature limit in force (${limits.noSignatureLimitFen} fen) goes without one (cup8583.md §6; TTP profile table, contactless limits)\n${describeCopy(c)}`,
      );
    }
    const markable = tappedPurchase && amount <= Math.max(limits.noPinLimitFen, limits.noSignatureLimitFen);
    if (!markable && hasQuickPassMark(c)) {
      problems.push(
        `the ${c.copy} copy of ${what} is marked 免密 / 免签 (NO PIN / NO SIGNATURE), but only a 消费 tapped within the QuickPass limits in force (no-PIN ${limits.noPinLimitFen}, no-signature ${limits.noSignatureLimitFen} fen) may be\n${describeCopy(c)}`,
      );
    }
  }
  return problems;
}
