// Finds a mutant of an earlier plan:strength run again in the emulator as it is now, by its code, and
// applies it as plain text. Stryker's mutant ids are positions in one instrumentation of one tree: any
// change to emulator/ (a defect added, a line elsewhere) renumbers them, so a `--recheck` keyed by id
// had to be refused whenever emulator/ changed. The code a mutant changes rarely moves in meaning: the
// lines it spans are found again by their text (with as many lines around them as it takes to tell
// repeated lines apart), and the replacement is written over the same columns. A mutant whose lines
// were edited, or cannot be told apart any more, is not guessed at: relocate says why.
//
// Locations are Stryker's (mutation-testing-report-schema): 1-based lines and columns, end exclusive.

export interface Position {
  line: number;
  column: number;
}
export interface Span {
  start: Position;
  end: Position;
}

export type Relocated = { span: Span; moved: number } | { reason: string };

/** How many lines around the mutated ones may be read to tell repeated lines apart. */
const MAX_CONTEXT = 4;

/** The text a span covers in a source. */
export function spanText(source: string, span: Span): string {
  const lines = source.split('\n');
  const from = offsetOf(lines, span.start);
  const to = offsetOf(lines, span.end);
  return lines.join('\n').slice(from, to);
}

function offsetOf(lines: readonly string[], p: Position): number {
  if (p.line < 1 || p.line > lines.length) throw new RangeError(`line ${p.line} is outside a source of ${lines.length} lines`);
  let at = 0;
  for (let i = 0; i < p.line - 1; i++) at += lines[i].length + 1;
  if (p.column < 1 || p.column > lines[p.line - 1].length + 1)
    throw new RangeError(`column ${p.column} is outside line ${p.line} (${lines[p.line - 1].length} characters)`);
  return at + p.column - 1;
}

/** The 0-based indexes at which `block` (consecutive lines) starts in `lines`. */
function occurrences(lines: readonly string[], block: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + block.length <= lines.length; i++) if (block.every((b, j) => lines[i + j] === b)) out.push(i);
  return out;
}

/**
 * The span in `now` that holds the code `span` covered in `then`. The mutated lines, taken whole, must
 * appear in `now` unchanged; where they repeat, the lines around them decide (up to MAX_CONTEXT each
 * side), else the same repeat in order when both sources repeat them equally often.
 */
export function relocate(then: string, now: string, span: Span): Relocated {
  const a = then.split('\n');
  const b = now.split('\n');
  const first = span.start.line - 1;
  const last = span.end.line - 1;
  if (first < 0 || last >= a.length || last < first) return { reason: `lines ${span.start.line}–${span.end.line} are not in the earlier source` };
  const at = (start: number): Relocated => ({
    span: { start: { ...span.start, line: start + 1 }, end: { ...span.end, line: start + 1 + (last - first) } },
    moved: start - first,
  });
  for (let ctx = 0; ctx <= MAX_CONTEXT; ctx++) {
    const from = Math.max(0, first - ctx);
    const block = a.slice(from, Math.min(a.length, last + 1 + ctx));
    const inNow = occurrences(b, block);
    if (!inNow.length) {
      if (ctx === 0) return { reason: `line ${span.start.line} (${a[first].trim().slice(0, 60)}) is no longer in the file as it was` };
      break;
    }
    const inThen = occurrences(a, block);
    // Unique on both sides: the same place. Unique only now: the other copy may be the one kept, go on.
    if (inNow.length === 1 && inThen.length === 1) return at(inNow[0] + (first - from));
    if (ctx === MAX_CONTEXT && inThen.length === inNow.length) return at(inNow[inThen.indexOf(from)] + (first - from));
  }
  // The mutated lines are there but only at several places (or only with other lines around them).
  const inThen = occurrences(a, a.slice(first, last + 1));
  const inNow = occurrences(b, a.slice(first, last + 1));
  if (inThen.length === inNow.length) return at(inNow[inThen.indexOf(first)]);
  return {
    reason: `line ${span.start.line} (${a[first].trim().slice(0, 60)}) is at ${inNow.length} places now and was at ${inThen.length}: which one was mutated cannot be told`,
  };
}

/** `source` with the span replaced by the mutant's code. */
export function applyMutant(source: string, span: Span, replacement: string): string {
  const lines = source.split('\n');
  const joined = lines.join('\n');
  return joined.slice(0, offsetOf(lines, span.start)) + replacement + joined.slice(offsetOf(lines, span.end));
}

/**
 * The mutant of `then` at `span` applied to `now`, after checking that the span still covers the same
 * code (its columns included): the mutated source, or why it cannot be rechecked.
 */
export function mutateAgain(
  then: string,
  now: string,
  span: Span,
  replacement: string,
): { source: string; span: Span; moved: number } | { reason: string } {
  const found = relocate(then, now, span);
  if ('reason' in found) return found;
  const was = spanText(then, span);
  let is: string;
  try {
    is = spanText(now, found.span);
  } catch (e) {
    return { reason: `the code moved inside its line: ${(e as Error).message}` };
  }
  if (is !== was) return { reason: `columns ${span.start.column}–${span.end.column} hold other code now` };
  return { source: applyMutant(now, found.span, replacement), span: found.span, moved: found.moved };
}
