/**
 * Replies a terminal must not take as the acquirer's answer, judged after every transaction of every
 * case (steps/support/world.ts transact). The bug class: a failure after the host's reply (the reply's
 * MAC fails, its message type is not the request's + 10, the chip card refuses the issuer's ARPC)
 * handled on one path only: one entry method (a swiped card has no F55), one transaction kind. Whatever
 * the kind, card or terminal, the reference requires the same of every such reply:
 *  - cup8583.md §3.6: the terminal checks the reply (MTI + 10; the MAC when F39 = 00) and a failed check
 *    is no approval; §3.8: the reversal record stays and goes, with the original's F11, before the next
 *    online transaction or settlement, reason A0 for a failed MAC, 06 for a card that declined at its
 *    second GENERATE AC after the host's approval;
 *  - TTP 1.1 §7.6: the final screen says why in its `outcome` (mac-error, reply-mismatch,
 *    issuer-auth-failed; comm-error for a terminal that waits on for the right reply), never approved.
 * The host spoils a reply only when a case asks it to (a fault, noted in its journal), so the judgement
 * runs in every case and bites where a case injected one. Pure functions over the host's journal and
 * the outcomes the terminal reported.
 */
import { iccValues, transactionSpec, type TransactionKind } from '../protocol/iso8583';
import { FINANCIAL_KINDS, describeMessages, reversalsOf, type HostMessage } from './host-view';
import type { FlowOutcome } from './flow-outcome';

/** How the host spoiled a reply, and what that asks of the terminal. */
export interface SpoiledReply {
  request: HostMessage;
  reply: HostMessage;
  fault: 'corrupt-mac' | 'wrong-mti' | 'corrupt-arpc';
  /** The §7.6 results that name the failure. */
  outcomes: readonly string[];
  /** The reversal reason §3.8 gives it, when one is fixed. */
  reason?: string;
}

/** Approvals of cup8583.md §7 (00, partial 10, and the others an approval may carry). */
const APPROVALS = new Set(['00', '10', '11', 'A2', 'A4', 'A5', 'A6']);

/** Does F55 of a reply carry issuer authentication data (tag 91)? The journal shows it as `91=… 9F18=…` (or BER-TLV hex). */
function carriesArpc(reply: HostMessage): boolean {
  const f55 = reply.fields[55];
  return !!f55 && !!iccValues(f55)?.get('91');
}

/** The financial requests after journal id `afterId` whose reply the host spoiled on purpose (its journal note names the fault), with that reply and its F39. */
function faultedExchanges(
  messages: readonly HostMessage[],
  afterId: number,
): { request: HostMessage; reply: HostMessage; fault: SpoiledReply['fault']; code: string }[] {
  const out = [];
  for (const request of messages) {
    if (request.id <= afterId || request.direction !== 'in' || !FINANCIAL_KINDS.includes(request.kind as TransactionKind)) continue;
    const fault = /\bfault (corrupt-mac|wrong-mti|corrupt-arpc) #/.exec(request.note ?? '')?.[1] as SpoiledReply['fault'] | undefined;
    // The host journals a request and its reply as one row: the reply is the next id.
    const reply = fault && messages.find((m) => m.id === request.id + 1 && m.direction === 'out');
    if (fault && reply) out.push({ request, reply, fault, code: reply.responseCode ?? '' });
  }
  return out;
}

/**
 * The replies the host spoiled on purpose for the financial requests after journal id `afterId`, and
 * only those the reference lets no terminal accept: a MAC fault on an approval carrying F64 (§3.6: the
 * MAC is verified when F39 = 00), any reply of the wrong type, an ARPC fault on an approved contact-chip
 * request (F22 05x: the card checks the ARPC at its second GENERATE AC; a tap's qPBOC may not).
 */
export function spoiledReplies(messages: readonly HostMessage[], afterId = 0): SpoiledReply[] {
  const out: SpoiledReply[] = [];
  for (const { request, reply, fault, code } of faultedExchanges(messages, afterId)) {
    if (fault === 'corrupt-mac' && code === '00' && reply.fields[64]) out.push({ request, reply, fault, outcomes: ['mac-error'], reason: 'A0' });
    if (fault === 'wrong-mti') out.push({ request, reply, fault, outcomes: ['reply-mismatch', 'comm-error'] });
    if (fault === 'corrupt-arpc' && APPROVALS.has(code) && request.fields[22]?.startsWith('05') && carriesArpc(reply))
      out.push({ request, reply, fault, outcomes: ['issuer-auth-failed'], reason: '06' });
  }
  return out;
}

const describe1 = (s: SpoiledReply): string => `${describeMessages([s.request])[0]} (host fault ${s.fault})`;

/**
 * TTP 1.1 §7.6 of a transaction whose reply was spoiled: its final screens (`outcomes`, in order) carry an
 * outcome, none says approved, and one names the failure. One line per problem (none when it holds).
 */
export function untrustedOutcomeProblems(spoiled: readonly SpoiledReply[], outcomes: readonly FlowOutcome[]): string[] {
  if (!spoiled.length) return [];
  const s = spoiled[spoiled.length - 1];
  const seen = outcomes.map((o) => o.result).join(', ');
  if (!outcomes.length) return [`${describe1(s)}: no final screen carrying an outcome (TTP 1.1 §7.6), as if the transaction never ended`];
  if (outcomes.some((o) => o.result === 'approved')) return [`${describe1(s)}: the terminal reported it approved (outcomes: ${seen})`];
  if (!outcomes.some((o) => s.outcomes.includes(o.result)))
    return [`${describe1(s)}: outcome ${seen}, not ${s.outcomes.join(' or ')} (TTP 1.1 §7.6: why the transaction failed)`];
  return [];
}

/**
 * cup8583.md §3.8: a spoiled reply of a reversible kind leaves the reversal record, which goes (0400, the
 * original's F11 and F4, the reason §3.8 fixes) before the terminal's next financial request or settlement.
 * Judged only where such a later request reached the host; one line per problem.
 */
export function unreversedSpoiledReplies(messages: readonly HostMessage[], spoiled: readonly SpoiledReply[]): string[] {
  const problems: string[] = [];
  for (const s of spoiled) {
    if (!transactionSpec(s.request.kind as TransactionKind).reversible) continue;
    const next = messages.find(
      (m) => m.id > s.reply.id && m.direction === 'in' && (FINANCIAL_KINDS.includes(m.kind as TransactionKind) || m.kind === 'settlement'),
    );
    if (!next) continue;
    const rev = reversalsOf(messages, s.request).find((r) => r.id > s.request.id);
    if (!rev || rev.id > next.id) {
      problems.push(`${describe1(s)}: no reversal (0400 with STAN ${s.request.stan}) before the next request, ${describeMessages([next])[0]}`);
      continue;
    }
    const reason = rev.fields[39];
    if (s.reason && reason !== s.reason) problems.push(`${describe1(s)}: reversed with reason ${reason ?? '(none)'}, not ${s.reason}`);
    if (rev.fields[4] !== s.request.fields[4])
      problems.push(`${describe1(s)}: reversal F4 ${rev.fields[4] ?? '(none)'}, not the original's ${s.request.fields[4]}`);
  }
  return problems;
}

/**
 * The other side of §3.6: a terminal verifies a reply's MAC only when F39 = 00 (cup8583.md §3.6, §5.3), so
 * a decline whose MAC the host spoiled is still the acquirer's valid answer; §3.8 deletes the reversal
 * record on any valid reply. A reversal of such a decline (0400 with its F11) means the terminal checked a
 * MAC the reference exempts. Judged over the whole journal; one line per problem.
 */
export function reversedTrustedDeclines(messages: readonly HostMessage[]): string[] {
  const problems: string[] = [];
  for (const { request, fault, code } of faultedExchanges(messages, 0)) {
    if (fault !== 'corrupt-mac' || !code || APPROVALS.has(code)) continue;
    if (reversalsOf(messages, request).some((r) => r.id > request.id))
      problems.push(
        `${describeMessages([request])[0]} (host fault corrupt-mac on its ${code} decline): reversed, yet the terminal checks a reply's MAC only when F39 = 00 (§3.6), so the decline was a valid reply that deletes the reversal record (§3.8)`,
      );
  }
  return problems;
}
