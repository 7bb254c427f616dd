/**
 * The lines a certification run prints while cucumber runs: one per finished scenario, with the
 * first failure of a failed or broken one. Split out of certification/certify.ts (issue 11: no file
 * over 500 lines); certify.ts re-exports progressLine unchanged.
 */
import type { ScenarioResult } from './results';

export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

const SYMBOL: Record<string, string> = { passed: '✔', failed: '✘', broken: '!', skipped: '-' };

export function progressLine(r: ScenarioResult, done: number, planned: number): string {
  const width = String(Math.max(planned, done)).length;
  let row = Object.values(r.parameters).join(', ');
  if (row.length > 40) row = `${row.slice(0, 39)}…`;
  const params = row ? ` [${row}]` : '';
  const head = `[${String(done).padStart(width)}/${Math.max(planned, done)}] ${SYMBOL[r.status]} ${r.status.padEnd(7)} ${r.caseId ?? '(no id)'}  ${r.title}${params} (${(r.durationMs / 1000).toFixed(1)} s)`;
  if (r.status === 'failed' || r.status === 'broken') {
    const f = r.firstFailure;
    return `${head}\n        ${f?.step ?? ''}\n        ${(f?.message ?? r.reason ?? '').split('\n')[0]}`;
  }
  return head;
}
