/**
 * Conformance judgements: what the reference (cup8583.md) requires of every conformant terminal,
 * read through the terminal's declared profile (protocol/ttp/profile.ts). Steps ask here ("does
 * this screen mean a lost card under this profile?", "which copies must print?", "is this upload
 * allowed after a balanced settlement?") instead of comparing against one terminal's wording or
 * choice. Pure: every judgement is unit-tested (test/drivers/conformance.test.ts).
 */
import {
  REFERENCE_DISPLAY,
  REFERENCE_PROFILE,
  parseTerminalProfile,
  profileCopies,
  type TerminalProfile,
  type VoucherCopyKind,
} from '../protocol/ttp/profile';
import type { TransactionKind } from '../protocol/iso8583';
import { FINANCIAL_KINDS, type HostMessage } from './host-view';
import { describeCopy, hasSignatureLine, isLabelledAs, type VoucherCopy } from './vouchers';

/** Where the profile the run judges by came from. */
export type ProfileSource = 'hello' | 'lab-file' | 'environment' | 'assumed';

export interface ResolvedProfile {
  profile: TerminalProfile;
  source: ProfileSource;
}

/**
 * The profile to judge by: the terminal's own declaration in hello wins, then the lab file entry's
 * `profile:`, then POSCERT_PROFILE (JSON, set by certify for its workers); with none, the reference
 * profile is assumed and the certificate says so.
 */
export function resolveProfile(d: {
  hello?: TerminalProfile;
  labEntry?: { file: string; name: string; profile?: unknown };
  env?: string;
}): ResolvedProfile {
  if (d.hello) return { profile: d.hello, source: 'hello' };
  if (d.labEntry?.profile !== undefined) {
    return { profile: parseTerminalProfile(d.labEntry.profile, `${d.labEntry.file}: terminal "${d.labEntry.name}": profile`), source: 'lab-file' };
  }
  if (d.env) {
    let value: unknown;
    try {
      value = JSON.parse(d.env);
    } catch (e) {
      value = `(not JSON: ${(e as Error).message})`;
    }
    return { profile: parseTerminalProfile(value, 'POSCERT_PROFILE'), source: 'environment' };
  }
  return { profile: REFERENCE_PROFILE, source: 'assumed' };
}

/** Screen text compared loosely: full-width punctuation and spaces do not make a wording different. */
function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】]/g, '');
}

/** The wordings that mean response code `code` on a screen: §7's recommended display, then the declared synonyms. */
export function wordingsFor(code: string, profile: TerminalProfile): string[] {
  return [...(REFERENCE_DISPLAY[code] ? [REFERENCE_DISPLAY[code]] : []), ...(profile.displaySynonyms[code] ?? [])];
}

/**
 * Does the screen show what response code `code` means, in §7's words or a declared synonym?
 * Returns the wording found, or undefined (with the candidates, for the failure message).
 */
export function screenShowsOutcome(lines: readonly string[], code: string, profile: TerminalProfile): { found?: string; candidates: string[] } {
  const screen = normalise(lines.join(''));
  const candidates = wordingsFor(code, profile);
  return { found: candidates.find((c) => screen.includes(normalise(c))), candidates };
}

/** The copies every transaction voucher must come in, in order, under the profile. */
export function expectedCopies(profile: TerminalProfile): VoucherCopyKind[] {
  return profileCopies(profile);
}

/** Must this copy carry the cardholder signature block? */
export function copyNeedsSignature(copy: VoucherCopyKind, profile: TerminalProfile): boolean {
  return copy !== 'cardholder' && (profile.vouchers.signatureOn.includes(copy) || copy === 'merchant');
}

/**
 * An expired swiped card (cup8583.md §7 54): refused by the terminal with nothing sent, or sent
 * online and the issuer's 54 shown — whichever the profile declares. Returns the problem, or
 * undefined when the terminal did what it declared.
 */
export function judgeExpiredSwipe(
  seen: { financialRequests: number; responseCodes: string[]; screenShowsExpired: boolean },
  profile: TerminalProfile,
): string | undefined {
  if (!seen.screenShowsExpired) return `the screen never said the card is expired (${wordingsFor('54', profile).join(' / ')})`;
  if (profile.magstripeExpiry === 'local') {
    return seen.financialRequests === 0
      ? undefined
      : `the profile declares a local expiry check on magstripe (magstripeExpiry local), but the terminal sent ${seen.financialRequests} financial request(s) to the host`;
  }
  if (seen.financialRequests === 0) return undefined; // refusing locally is conformant too
  const approved = seen.responseCodes.filter((c) => c === '00');
  return approved.length ? 'the host approved the expired card' : undefined;
}

/**
 * 0320 messages after a balanced settlement (§3.10): only the IC TC (203) and failed-IC (204)
 * records, and only when the profile uploads them; never magstripe lists (201) or unbalanced-only
 * records (205 / 206 / 000). Returns the problems (empty when allowed).
 */
export function judgeBalancedUpload(networkCodes: readonly string[], profile: TerminalProfile): string[] {
  const problems: string[] = [];
  const wrong = networkCodes.filter((c) => !['203', '204'].includes(c));
  if (wrong.length)
    problems.push(
      `after a balanced settlement only IC TC / failed-IC records (60.3 203 / 204) may be uploaded; the host received 60.3 ${[...new Set(wrong)].join(', ')}`,
    );
  if (networkCodes.length && profile.balancedUpload === 'none')
    problems.push(
      `the profile declares no upload after a balanced settlement (balancedUpload none), but the terminal uploaded ${networkCodes.length} record(s)`,
    );
  return problems;
}

/**
 * Each transaction copy labelled as what it is (商户存根 …) and carrying the signature line exactly
 * when the profile says that copy needs one. Returns the problems, each with the copy's lines.
 */
export function judgeCopyMarks(copies: readonly VoucherCopy[], profile: TerminalProfile): string[] {
  return copies.flatMap((c) => {
    const kind = c.copy as VoucherCopyKind;
    const problems = isLabelledAs(c, kind) ? [] : [`is not labelled as the ${kind} copy`];
    const needs = copyNeedsSignature(kind, profile);
    if (hasSignatureLine(c) !== needs) problems.push(needs ? 'has no signature line' : 'asks for a signature');
    return problems.map((p) => `${describeCopy(c)}\n${p}`);
  });
}

/** What judgeExpiredSwipe needs, from the scenario's host traffic and the screens since the card was swiped. */
export function observeExpiredSwipe(
  messages: readonly HostMessage[],
  screens: ReadonlyArray<{ lines: readonly string[] }>,
  profile: TerminalProfile,
) {
  const financial = messages.filter((m) => FINANCIAL_KINDS.includes(m.kind as TransactionKind));
  return {
    financialRequests: financial.filter((m) => m.direction === 'in').length,
    responseCodes: financial.filter((m) => m.direction === 'out').map((m) => m.responseCode ?? ''),
    screenShowsExpired: screens.some((s) => screenShowsOutcome(s.lines, '54', profile).found !== undefined),
  };
}
