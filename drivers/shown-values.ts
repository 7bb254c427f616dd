/**
 * Malformed values on what a terminal shows or prints: a figure or a name its firmware failed to
 * compute or fill in, written out as the language's placeholder — NaN (金额:NaN.NaN), undefined,
 * null / (null) (C's printf of a NULL string), Infinity, [object Object]. No screen or voucher of a
 * conformant terminal carries one: every value cup8583.md §6 puts on a copy is a figure, a code or a
 * name, and TTP §7.1 screens show what the operator and cardholder act on. Judged on every screen and
 * every voucher line of every case (steps/support/hooks.ts), so the class is caught wherever a flow
 * leaks one, not in the one prompt a case happens to read.
 * Pure. Free text the lab itself configured (a merchant's name) is taken out first: a merchant may be
 * called anything, and its name printed verbatim is conformant.
 */
import type { ScreenSnapshot } from './screens';
import type { VoucherCopy } from './vouchers';

/**
 * The placeholders, as whole words and case-sensitive: "NaN" but not "NAN JING RD" (pinyin), "null"
 * but not "NULLA". C's "nan" / "inf" are left out: lower-case pinyin or English words can read so.
 */
const MALFORMED = /(?<![A-Za-z0-9_])(NaN|undefined|null|Infinity)(?![A-Za-z0-9_])|\(null\)|\[object [A-Za-z]+\]/g;

/** The malformed values on a line once the allowed free text is taken out (empty when none). */
export function malformedValues(line: string, allowedText: readonly string[] = []): string[] {
  let rest = line;
  for (const text of allowedText) if (text) rest = rest.split(text).join(' ');
  return [...rest.matchAll(MALFORMED)].map((m) => m[0]);
}

/** Each screen with a malformed value, described (state, screen id, the line). */
export function screensWithMalformedValues(
  screens: readonly Pick<ScreenSnapshot, 'lines' | 'state' | 'screen'>[],
  allowedText: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const s of screens) {
    for (const line of s.lines) {
      const bad = malformedValues(line, allowedText);
      if (bad.length)
        problems.push(`screen [${s.state ?? '?'}${s.screen ? ` ${s.screen}` : ''}] shows ${bad.join(', ')} in "${line}" (${s.lines.join(' | ')})`);
    }
  }
  return problems;
}

/** Each voucher line with a malformed value, described (which copy, the line). */
export function copiesWithMalformedValues(
  copies: readonly Pick<VoucherCopy, 'copy' | 'lines' | 'reprint'>[],
  allowedText: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  for (const c of copies) {
    for (const line of c.lines) {
      const bad = malformedValues(line, allowedText);
      if (bad.length) problems.push(`${c.copy} copy${c.reprint ? ' (reprint)' : ''} prints ${bad.join(', ')} in "${line}"`);
    }
  }
  return problems;
}
