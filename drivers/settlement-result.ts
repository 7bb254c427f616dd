/**
 * The reconciliation result (对账结果) a terminal states after a settlement, on a screen or on its
 * settlement slip, judged against the acquirer's 0510 (cup8583.md §3.9: F48 offsets 30 / 61 carry the
 * domestic / foreign result, `1` 对账平, `2` 对账不平, `3` 对账出错; LY prints "内卡: 对帐平 / 对帐不平 /
 * 对帐出错"). Terminals word and place it differently and need not state it at all; whatever one does
 * state must be what the acquirer answered: an operator told 对账平 of a batch the acquirer found
 * unbalanced does not follow it up. Pure: problems, or [].
 */

/** A side's result as the 0510 carries it ('1' | '2' | '3'). */
export interface ReconciliationResults {
  domestic: string;
  foreign: string;
}

/** Where a text was shown or printed (for the message) and its lines. */
export interface StatedText {
  where: string;
  lines: readonly string[];
}

/** Wordings of each result, the unbalanced one first (NOT BALANCED contains BALANCED). */
const STATEMENTS: ReadonlyArray<[string, RegExp]> = [
  ['2', /对[账帐]不平|\bNOT BALANCED\b|\bUNBALANCED\b/i],
  ['3', /对[账帐]出错|\bRECONCIL(?:E|IATION) ERROR\b/i],
  ['1', /对[账帐]平(?!台)|\bBALANCED\b/i], // not 对账平台 (the reconciliation platform)
];

const NAMES: Readonly<Record<string, string>> = { '1': '对账平', '2': '对账不平', '3': '对账出错' };

/** The result a line states, or undefined when it states none. */
export function statedResult(line: string): string | undefined {
  return STATEMENTS.find(([, re]) => re.test(line))?.[0];
}

/**
 * Why the results `texts` state disagree with the acquirer's `answered`; [] when they agree. A line
 * naming the foreign side (外卡 / FOREIGN) is judged against the foreign result, one naming the domestic
 * side (内卡 / DOMESTIC) against the domestic one, and one naming no side against either.
 */
export function reconciliationStatementProblems(texts: readonly StatedText[], answered: ReconciliationResults): string[] {
  const problems: string[] = [];
  for (const t of texts) {
    for (const line of t.lines) {
      const stated = statedResult(line);
      if (stated === undefined) continue;
      const side = /外卡|FOREIGN/i.test(line) ? 'foreign' : /内卡|DOMESTIC/i.test(line) ? 'domestic' : undefined;
      const allowed = side ? [answered[side]] : [answered.domestic, answered.foreign];
      if (allowed.includes(stated)) continue;
      const want = side ? `the ${side} result ${answered[side]} (${NAMES[answered[side]] ?? '?'})` : `${allowed.join(' or ')}`;
      problems.push(`${t.where} says "${line}", but the acquirer's 0510 answered ${want} (cup8583.md §3.9 F48)`);
    }
  }
  return problems;
}
