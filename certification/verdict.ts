/**
 * The verdict model of DESIGN.md "Outcomes and verdicts": the plan's cases judged from the
 * scenario results and the terminal's declared capabilities.
 *
 *   CERTIFIED      every mandatory applicable case passed                 exit 0
 *   NOT CERTIFIED  a mandatory applicable case failed                     exit 1
 *   INCONCLUSIVE   none failed, but one was broken (or never ran)         exit 2
 *
 * A case the terminal's capabilities make inapplicable is skipped with the reason. A mandatory
 * applicable case that never ran (filtered out, no scenario carries its id, the run aborted) is
 * broken: a certificate never passes a case nobody ran.
 */
import type { CertificationPlan, PlanCase } from './plan';
import { missingCapabilities } from './plan';
import type { FailingCheck, RunResults, ScenarioResult, ScenarioStatus, TerminalIdentity } from './results';

export type Verdict = 'CERTIFIED' | 'NOT CERTIFIED' | 'INCONCLUSIVE';

export const EXIT_CODES: Readonly<Record<Verdict, number>> = { CERTIFIED: 0, 'NOT CERTIFIED': 1, INCONCLUSIVE: 2 };

/** Area of a case, from the middle segment of its id (`CUP-PAY-001` → payment). */
const AREA_BY_CODE: Record<string, string> = {
  ONB: 'onboarding',
  PAY: 'payment',
  PIN: 'pin',
  VOU: 'voucher',
  RSK: 'risk',
  STL: 'settlement',
};

export function areaOf(caseId: string | undefined, uri?: string): string {
  const code = caseId?.split('-')[1];
  if (code && AREA_BY_CODE[code]) return AREA_BY_CODE[code];
  const folder = uri?.split('/').slice(-2, -1)[0];
  return folder && folder !== 'zh-CN' && folder !== 'features' ? folder : 'other';
}

export function severityOf(tags: readonly string[]): string | undefined {
  for (const t of tags) {
    const m = /^@severity:(.+)$/.exec(t);
    if (m) return m[1];
  }
  return undefined;
}

/** One scenario (outline rows separately) as the certificate lists it: a view of the run's ScenarioResult. */
export type ScenarioOutcome = Pick<
  ScenarioResult,
  'title' | 'uri' | 'line' | 'parameters' | 'status' | 'reason' | 'firstFailure' | 'durationMs' | 'attempts' | 'terminal'
>;

export interface CaseOutcome {
  id: string;
  title: string;
  area: string;
  severity?: string;
  mandatory: boolean;
  requires: string[];
  /** False for scenarios that ran but that the plan does not name (reported, never counted). */
  inPlan: boolean;
  applicable: boolean;
  result: ScenarioStatus;
  reason: string;
  /** The first failing check of the first failing (or broken) scenario of the case. */
  firstFailure?: FailingCheck & { parameters?: Record<string, string> };
  /** Every scenario (outline rows separately) that carried the case id. */
  scenarios: ScenarioOutcome[];
  durationMs: number;
  /** Terminal-profile values the case's scenarios depended on (what they read; union of the scenarios). */
  dependsOn?: Array<{ key: string; value: string }>;
  /** The acquirer profile the case was judged against, when it depends on one (the 缴费 wire format). */
  acquirerProfile?: string;
}

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  broken: number;
  skipped: number;
}

/** How much of the plan the run was meant to cover. */
export interface RunScope {
  /** 'full': the certificate covers the plan; 'shard': one part of several (merge them). */
  kind: 'full' | 'shard';
  shard?: string;
  /** The user's extra --tags filter, if any. */
  tags?: string;
}

export interface Judgement {
  verdict: Verdict;
  exitCode: number;
  /** One sentence explaining the verdict. */
  because: string;
  cases: CaseOutcome[];
  counts: Counts;
  mandatoryCounts: Counts;
  /** Scenarios without a case id tag (reported as a harness problem in the plan/suite). */
  untagged: ScenarioResult[];
}

const RANK: Record<ScenarioStatus, number> = { passed: 0, skipped: 1, broken: 2, failed: 3 };

function count(cases: CaseOutcome[]): Counts {
  const c: Counts = { total: cases.length, passed: 0, failed: 0, broken: 0, skipped: 0 };
  for (const k of cases) c[k.result]++;
  return c;
}

function outcomeOf(s: ScenarioResult): ScenarioOutcome {
  return {
    title: s.title,
    uri: s.uri,
    line: s.line,
    parameters: s.parameters,
    status: s.status,
    reason: s.reason,
    firstFailure: s.firstFailure,
    durationMs: s.durationMs,
    attempts: s.attempts,
    terminal: s.terminal,
  };
}

/**
 * Judges the plan from the run's results. `declaredCapabilities` are what the terminal said in its
 * TTP hello; `scope` tells whether cases absent from the results are missing (full run) or simply in
 * another shard.
 */
export function judge(plan: CertificationPlan, results: RunResults, declaredCapabilities: readonly string[], scope: RunScope): Judgement {
  const byCase = new Map<string, ScenarioResult[]>();
  const untagged: ScenarioResult[] = [];
  for (const s of [...results.scenarios, ...results.notStarted]) {
    if (!s.caseId) {
      untagged.push(s);
      continue;
    }
    const list = byCase.get(s.caseId) ?? [];
    list.push(s);
    byCase.set(s.caseId, list);
  }

  const cases: CaseOutcome[] = [];
  const planIds = new Set(plan.cases.map((c) => c.id));
  for (const pc of plan.cases) cases.push(judgeCase(pc, byCase.get(pc.id) ?? [], declaredCapabilities, scope));
  // Scenarios that ran but are not in the plan: shown, never counted.
  for (const [id, list] of byCase) {
    if (planIds.has(id)) continue;
    const c = judgeCase({ id, mandatory: false, requires: [] }, list, declaredCapabilities, scope);
    c.inPlan = false;
    c.reason = `not in plan ${plan.name}; ${c.reason}`;
    cases.push(c);
  }

  const counted = cases.filter((c) => c.inPlan);
  // A shard judges the cases it ran; the others are another shard's business (see merge).
  const mandatory = counted.filter((c) => c.mandatory && c.applicable && (scope.kind !== 'shard' || c.scenarios.length > 0));
  const failed = mandatory.filter((c) => c.result === 'failed');
  const broken = mandatory.filter((c) => c.result === 'broken');
  const runProblems = results.runErrors.length > 0 || !results.complete;

  // Long id lists (a subset run leaves dozens out) stay readable: the certificate lists every case.
  const ids = (list: CaseOutcome[]) =>
    list.length > 10
      ? `${list
          .slice(0, 10)
          .map((c) => c.id)
          .join(', ')}, … (${list.length - 10} more)`
      : list.map((c) => c.id).join(', ');
  let verdict: Verdict;
  let because: string;
  if (failed.length > 0) {
    verdict = 'NOT CERTIFIED';
    because = `${failed.length} mandatory case${failed.length > 1 ? 's' : ''} failed: ${ids(failed)}`;
  } else if (broken.length > 0 || runProblems) {
    verdict = 'INCONCLUSIVE';
    const parts: string[] = [];
    if (broken.length) parts.push(`${broken.length} mandatory case${broken.length > 1 ? 's' : ''} could not be judged: ${ids(broken)}`);
    if (runProblems) parts.push(`the run itself had problems: ${results.runErrors.join('; ') || 'incomplete'}`);
    because = `no mandatory case failed, but ${parts.join('; and ')}`;
  } else if (mandatory.length === 0) {
    verdict = 'INCONCLUSIVE';
    because = 'no mandatory case of the plan applies to this terminal or was run';
  } else {
    verdict = 'CERTIFIED';
    because = `all ${mandatory.length} mandatory applicable case${mandatory.length > 1 ? 's' : ''} passed`;
  }
  // A CERTIFIED that covers fewer mandatory cases than the plan has says so in the same sentence
  // (an operator terminal skips what cannot be done by hand; a terminal without a printer, the
  // printer cases): whoever reads only the verdict line must not take it for the whole plan.
  const notApplicable = counted.filter((c) => c.mandatory && !c.applicable);
  if (verdict === 'CERTIFIED' && notApplicable.length > 0) {
    because =
      `${because}; ${notApplicable.length} of the plan's ${notApplicable.length + mandatory.length} mandatory cases ` +
      `did not apply to this terminal and are not covered by this certificate: ${ids(notApplicable)}`;
  }
  if (scope.kind === 'shard' && verdict === 'CERTIFIED') {
    because = `${because} in shard ${scope.shard}; merge all shards for the certificate`;
  }

  return {
    verdict,
    exitCode: EXIT_CODES[verdict],
    because,
    cases,
    counts: count(counted),
    mandatoryCounts: count(mandatory),
    untagged,
  };
}

/** The union of the profile values the scenarios of a case depended on, and the acquirer profile if any. */
function dependenceOf(scenarios: readonly ScenarioResult[]): Pick<CaseOutcome, 'dependsOn' | 'acquirerProfile'> {
  const values = new Map<string, string>();
  let acquirer: string | undefined;
  for (const s of scenarios) {
    for (const d of s.profile?.dependsOn ?? []) values.set(d.key, d.value);
    acquirer ??= s.profile?.acquirer;
  }
  return {
    ...(values.size ? { dependsOn: [...values].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value })) } : {}),
    ...(acquirer ? { acquirerProfile: acquirer } : {}),
  };
}

function judgeCase(pc: PlanCase, scenarios: ScenarioResult[], declared: readonly string[], scope: RunScope): CaseOutcome {
  const missing = missingCapabilities(pc, declared);
  const first = scenarios[0];
  const outcome: CaseOutcome = {
    id: pc.id,
    title: pc.title ?? first?.title ?? '(title unknown: no scenario ran)',
    area: areaOf(pc.id, first?.uri),
    severity: first ? severityOf(first.tags) : undefined,
    mandatory: pc.mandatory,
    requires: [...pc.requires],
    inPlan: true,
    applicable: missing.length === 0,
    result: 'passed',
    reason: '',
    scenarios: scenarios.map(outcomeOf),
    durationMs: scenarios.reduce((a, s) => a + s.durationMs, 0),
    ...dependenceOf(scenarios),
  };

  if (missing.length > 0) {
    outcome.result = 'skipped';
    outcome.reason =
      `not applicable: the terminal does not declare ${missing.join(', ')}` + ` (declares: ${declared.length ? declared.join(', ') : 'nothing'})`;
    return outcome;
  }
  if (scenarios.length === 0) {
    if (scope.kind === 'shard') {
      outcome.result = 'skipped';
      outcome.reason = `not in shard ${scope.shard}`;
    } else if (pc.mandatory) {
      outcome.result = 'broken';
      outcome.reason = scope.tags
        ? `mandatory case not run (excluded by --tags ${scope.tags})`
        : 'mandatory case not run: no scenario carries this case id';
      outcome.firstFailure = { step: '(not run)', message: outcome.reason, brokenKind: 'missing' };
    } else {
      outcome.result = 'skipped';
      outcome.reason = scope.tags ? `not run (excluded by --tags ${scope.tags})` : 'not run: no scenario carries this case id';
    }
    return outcome;
  }

  // The worst scenario decides: failed > broken > skipped > passed.
  const worst = scenarios.reduce((w, s) => (RANK[s.status] > RANK[w.status] ? s : w), scenarios[0]);
  outcome.result = worst.status;
  if (worst.status === 'skipped' && scenarios.every((s) => s.status === 'skipped' && /^not applicable/.test(s.reason ?? ''))) {
    // Declared not applicable at run time (an operator terminal: steps that cannot be done by hand).
    outcome.result = 'skipped';
    outcome.applicable = false;
    outcome.reason = worst.reason!;
    return outcome;
  }
  if (worst.status === 'skipped' && pc.mandatory) {
    // A mandatory applicable case skipped at run time was not judged.
    outcome.result = 'broken';
    outcome.reason = `mandatory applicable case was skipped at run time (${worst.reason ?? 'no reason given'})`;
    outcome.firstFailure = { step: '(skipped)', message: outcome.reason, brokenKind: 'harness' };
    return outcome;
  }
  if (worst.status === 'passed') {
    outcome.reason = scenarios.length > 1 ? `all ${scenarios.length} examples passed` : '';
    return outcome;
  }
  const rowNote = Object.keys(worst.parameters).length
    ? ` [${Object.entries(worst.parameters)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}]`
    : '';
  outcome.reason = `${worst.reason ?? worst.status}${rowNote}`;
  if (worst.firstFailure) {
    outcome.firstFailure = { ...worst.firstFailure, parameters: Object.keys(worst.parameters).length ? worst.parameters : undefined };
  }
  return outcome;
}
