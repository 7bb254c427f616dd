// The surviving mutants of `npm run plan:strength` that no case kills, each with the reason it is
// accounted for (issue 14: "for every surviving mutant either a case or a check that catches it, or an
// entry saying why it is equivalent or outside what a certification can observe"). docs/plan-strength.md
// is generated: a survivor matching an entry here shows its reason there, and an equivalent one leaves
// the score's denominator (no terminal behaviour differs, so no plan could kill it).
//
// An entry matches a mutant by file, mutator, replacement and a piece of the mutated line's source, not
// by id or line number: ids and lines move whenever the emulator changes, the code they mutate does not.

export type SurvivorKind =
  /** No observable behaviour of the terminal differs (same bytes on the wire, same screens and slips). */
  | 'equivalent'
  /** Behaviour differs, but only where a certification run cannot look (named in `why`). */
  | 'unobservable';

export interface AccountedSurvivor {
  file: string;
  mutator: string;
  /** Stryker's replacement text, whitespace collapsed. */
  replacement: string;
  /** A piece of the original line's source (trimmed) that identifies the spot. */
  code: string;
  kind: SurvivorKind;
  why: string;
}

export const ACCOUNTED: readonly AccountedSurvivor[] = [];

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The entry accounting for a survivor, if any. */
export function accountFor(
  m: { file: string; mutator: string; replacement?: string; code?: string },
  entries: readonly AccountedSurvivor[] = ACCOUNTED,
): AccountedSurvivor | undefined {
  return entries.find(
    (e) => e.file === m.file && e.mutator === m.mutator && squash(e.replacement) === squash(m.replacement ?? '') && (m.code ?? '').includes(e.code),
  );
}
