/**
 * --bail: which failure stops a certification run, and how the scenarios it left unrun are
 * recorded (never as passed). Split out of certification/certify.ts (issue 11: no file over 500
 * lines); certify.ts re-exports stopsTheRun and markNotRunAfterBail unchanged.
 */
import type { CertificationPlan } from './plan';
import type { RunResults, ScenarioResult } from './results';
import { BAIL_SKIP_REASON } from './runner';

export function mandatoryApplicable(plan: CertificationPlan, applicable: readonly string[]): string[] {
  return plan.cases.filter((c) => c.mandatory && applicable.includes(c.id)).map((c) => c.id);
}

/** --bail: a failed (not broken) scenario of a mandatory applicable case stops the run. */
export function stopsTheRun(plan: CertificationPlan, applicable: readonly string[]): (r: ScenarioResult) => boolean {
  const mandatory = new Set(mandatoryApplicable(plan, applicable));
  return (r) => r.status === 'failed' && r.caseId !== undefined && mandatory.has(r.caseId);
}

/**
 * After --bail stopped the run: the scenarios the bail hook skipped, and any that never started,
 * are not run. For a mandatory case that is broken ('(not run)', like a case left out of a subset
 * run), so a case nobody ran can never count as passed; optional ones stay skipped. Returns how many.
 */
export function markNotRunAfterBail(results: RunResults, plan: CertificationPlan): number {
  const mandatory = new Set(plan.cases.filter((c) => c.mandatory).map((c) => c.id));
  let n = 0;
  for (const s of [...results.scenarios, ...results.notStarted]) {
    const skippedByBail = s.status === 'skipped' && (s.reason ?? '').startsWith(BAIL_SKIP_REASON);
    const neverStarted = results.notStarted.includes(s);
    if (!skippedByBail && !neverStarted) continue;
    n++;
    const reason = skippedByBail ? s.reason! : BAIL_SKIP_REASON;
    s.reason = reason;
    if (s.caseId && mandatory.has(s.caseId)) {
      s.status = 'broken';
      s.firstFailure = { step: '(not run)', message: reason, brokenKind: 'run-aborted' };
    } else {
      s.status = 'skipped';
    }
  }
  return n;
}
