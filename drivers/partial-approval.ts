/**
 * 部分承兑 (partial approval, cup8583.md §2.4 60.6, §7 response code 10) judged as a lab would: the
 * request said the terminal takes one (60.6 = 1), the reply's F4 is the amount approved, and the
 * result screen carries that amount with what 10 means (§7's words or a wording the profile declares
 * for 10). Pure, so the steps stay a parse, a call and an assertion.
 */
import { parseField60 } from '../protocol/iso8583';
import type { TerminalProfile } from '../protocol/ttp/profile';
import type { HostMessage } from './host-view';
import { amountOnScreen } from './screens';

/** §7's words for 10 (部分金额批准; the recommended display 交易成功 但为部分承兑). */
export const PARTIAL_APPROVAL_WORDINGS: readonly string[] = ['部分承兑', '部分金额批准', '部分批准'];

/** Does the request's 60.6 say the terminal takes a partial approval? */
export function asksPartialApproval(request: Pick<HostMessage, 'fields'>): boolean {
  const f60 = request.fields[60];
  if (!f60) return false;
  try {
    return parseField60(f60).partialApproval === '1';
  } catch {
    return false;
  }
}

/** The wordings that say "partly approved" on this terminal: §7's, then the profile's synonyms for 10. */
export function partialApprovalWordings(profile: Pick<TerminalProfile, 'displaySynonyms'>): string[] {
  return [...PARTIAL_APPROVAL_WORDINGS, ...(profile.displaySynonyms['10'] ?? [])];
}

/** Does one screen show the approved amount (元 text, e.g. "30.00") as a partial approval? */
export function screenShowsPartialApproval(lines: readonly string[], yuan: string, profile: Pick<TerminalProfile, 'displaySynonyms'>): boolean {
  const text = lines.join('\n').replace(/[,\s]/g, (c) => (c === '\n' ? '\n' : ''));
  return amountOnScreen(yuan).test(text) && partialApprovalWordings(profile).some((w) => text.includes(w.replace(/\s/g, '')));
}
