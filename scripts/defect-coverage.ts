// npm run coverage:defects — the power of the certification plan, measured as a matrix: every defect
// of the emulator's catalogue (emulator/defects.ts) × every conformant profile of the emulator
// (emulator/profiles.ts). A case "catches" a defect when it fails on a terminal check with the defect
// switched on (and passes on the clean emulator of the same profile). Writes docs/defect-coverage.md
// (for people) and docs/defect-coverage.json (for the self-certification tests, which re-run only
// the recorded catching cases). Exit code 1 when a cell is not caught, a declared n/a is false, or
// a clean profile fails a case.
//
// Cost: a full plan run is ~40 s, so only the reference column runs the whole plan per defect (that
// is what finds every catching case). Every other cell first runs the cases that caught the defect
// under the reference plus the profile's variant cases (VARIANT_CASES), stopping at the first
// failure; only when none of them catches does it run the whole plan for that cell. A catch counts
// only when it repeats (the case alone with the defect fails again), so a flake on a loaded machine
// never fills a cell. A defect that
// means nothing under a profile (emulator/defect-applicability.ts) shows "n/a: reason", and the
// claim is checked: the reference's catching cases must all pass under that profile with the defect on.
//
// Before running anything it cross-checks, statically, that every catalogued defect is declared by
// some flow of the emulator (emulator/flows, `defects: [...]`); `--static` does only that check.
//
// Usage: node -r ts-node/register/transpile-only scripts/defect-coverage.ts
//          [--static] [--render] [--reuse-clean] [--jobs N] [--profile NAME ...] [DEFECT ...]
//   --profile NAME  run only these profile columns (repeatable); other cells keep their recorded result
//   --render        only re-render docs/defect-coverage.md from docs/defect-coverage.json
//   --reuse-clean   (with DEFECT names or --profile) take the recorded clean runs instead of re-running them
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFECT_CATALOGUE, type DefectInfo } from '../emulator/defects';
import { notApplicableUnder } from '../emulator/defect-applicability';
import { undeclaredDefects } from '../emulator/flows';
import { DEFAULT_EMULATOR_PROFILE, EMULATOR_PROFILES, type EmulatorProfile } from '../emulator/profiles';
import { loadPlan } from '../certification/plan';
import { CaseResult, PlanRun, ROOT, catchingCases, planCaseIds, pool, runPlan } from './plan-run';

export const COVERAGE_JSON = path.join(ROOT, 'docs', 'defect-coverage.json');
export const COVERAGE_MD = path.join(ROOT, 'docs', 'defect-coverage.md');
export const MATRIX_COMMAND = 'npm run coverage:defects -- --jobs 2';

/**
 * Per conformant variant: the cases that read the profile value it changes (and would fail a
 * terminal copied from the reference). npm test runs them against the clean variant; the matrix
 * adds them to the candidate catching cases of the variant's column.
 */
export const VARIANT_CASES: Readonly<Record<string, readonly string[]>> = {
  'three-copies': ['CUP-VOU-001', 'CUP-VOU-003', 'CUP-VOU-006', 'CUP-PAY-010', 'CUP-PAY-016'],
  'expiry-online': ['CUP-RSK-003', 'CUP-RSK-001'],
  'confiscate-texts': ['CUP-RSK-001', 'CUP-RSK-002', 'CUP-RSK-005', 'CUP-RSK-006', 'CUP-PAY-033', 'CUP-PAY-035'],
  supervisor: ['CUP-PAY-020', 'CUP-PAY-021', 'CUP-PAY-022', 'CUP-PAY-023', 'CUP-PAY-024', 'CUP-STL-005', 'CUP-ONB-008'],
  'tc-upload': ['CUP-STL-001', 'CUP-STL-002', 'CUP-STL-003', 'CUP-ONB-015'],
  'e-signature': ['CUP-PAY-017'],
};

type Problem = { caseId: string; outcome: string; step?: string; error?: string };
type FirstFailure = { caseId: string; step?: string; error?: string };

/** One cell of the matrix: a defect under a profile. */
export interface MatrixCell {
  /**
   * caught: a case failed on a terminal check; not-caught: none did, even the whole plan (a plan
   * weakness); n/a: the defect means nothing under this profile (reason), checked;
   * n/a-disputed: declared n/a, but a case failed, so the declaration is false.
   */
  status: 'caught' | 'not-caught' | 'n/a' | 'n/a-disputed';
  /** Cases that failed on a terminal check in this cell's runs (with bail: the first one found). */
  caughtBy: string[];
  /** How the cell was judged: the whole plan, or the candidate catching cases with bail. */
  method: 'full-plan' | 'catching-cases' | 'n/a-check';
  /** The cases run first (catching-cases and n/a-check methods). */
  candidates?: string[];
  reason?: string;
  /** Cases that failed once but not when run again alone with the defect (flakes: not counted). */
  unconfirmed?: string[];
  brokenCases: string[];
  firstFailure?: FirstFailure;
  durationMs: number;
}

export interface DefectCoverage {
  plan: string;
  generated: string;
  /** Cases of the plan that did not pass on the clean reference emulator (should be empty). */
  cleanRunProblems: Problem[];
  /** The profile columns, each with its clean run's problems (should be empty: every profile is CERTIFIED). */
  profiles?: { name: string; description: string; cleanRunProblems: Problem[]; variantCases: string[] }[];
  /** How the last full matrix was produced (command, jobs, wall time). */
  matrixRun?: { command: string; jobs: number; wallSeconds: number; finished: string };
  defects: {
    name: string;
    area: string;
    description: string;
    /** Cases catching the defect under the reference profile (the whole plan's run). */
    caughtBy: string[];
    /** Cases that could not judge (harness errors) in the reference run. */
    brokenCases: string[];
    firstFailure?: FirstFailure;
    /** The matrix row: profile name → cell (the reference cell repeats caughtBy above). */
    cells?: Record<string, MatrixCell>;
  }[];
}

/** The recorded coverage, if `npm run coverage:defects` was run. */
export function readCoverage(file = COVERAGE_JSON): DefectCoverage | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DefectCoverage) : undefined;
}

/**
 * An optional case a profile may skip clean: one a variant profile runs (VARIANT_CASES) because it
 * declares what the case is for (partial approval, 电签), unless it is this profile's own variant case.
 * The self-certification test accepts the same skips of the reference.
 */
function skippableUnder(profile: string, caseId: string): boolean {
  if (VARIANT_CASES[profile]?.includes(caseId)) return false;
  return (
    Object.values(VARIANT_CASES).some((ids) => ids.includes(caseId)) &&
    loadPlan('unionpay-pos', ROOT).cases.some((c) => c.id === caseId && !c.mandatory)
  );
}

function problems(run: PlanRun, profile: string): Problem[] {
  return [...run.cases.values()]
    .filter((c) => c.outcome !== 'passed' && !(c.outcome === 'skipped' && skippableUnder(profile, c.caseId)))
    .map((c) => ({ caseId: c.caseId, outcome: c.outcome, step: c.step, error: c.error?.slice(0, 500) }));
}

function firstFailure(run: PlanRun): FirstFailure | undefined {
  const failed = [...run.cases.values()].filter((c: CaseResult) => c.outcome === 'failed').sort((a, b) => a.caseId.localeCompare(b.caseId))[0];
  return failed ? { caseId: failed.caseId, step: failed.step, error: failed.error?.slice(0, 300) } : undefined;
}

/**
 * A run that judged fewer cases than asked (cucumber failed to load: a syntax error, a missing
 * step file) proves nothing either way: stop the matrix with cucumber's stderr rather than record it.
 * With bail, cases after the first failure do not run, so only an empty run is suspect then.
 */
async function judgedRun(opts: Parameters<typeof runPlan>[0] & { caseIds: string[] }, what: string): Promise<PlanRun> {
  const run = await runPlan(opts);
  const short = opts.failFast ? run.cases.size === 0 : run.cases.size < opts.caseIds.length;
  if (short) {
    throw new Error(
      `${what}: cucumber judged ${run.cases.size} of ${opts.caseIds.length} case(s) (exit ${run.exitCode}); its stderr ends:\n${run.stderr.slice(-2000)}`,
    );
  }
  return run;
}

const brokenOf = (run: PlanRun) =>
  [...run.cases.values()]
    .filter((c) => c.outcome === 'broken')
    .map((c) => c.caseId)
    .sort();

/** Counts of the matrix cells by status (the reference column included). */
export function matrixFigures(c: DefectCoverage): {
  cells: number;
  caught: number;
  notApplicable: number;
  notCaught: number;
  disputed: number;
  missing: number;
} {
  const profiles = (c.profiles ?? []).map((p) => p.name);
  const out = { cells: 0, caught: 0, notApplicable: 0, notCaught: 0, disputed: 0, missing: 0 };
  for (const d of c.defects) {
    for (const p of profiles) {
      out.cells++;
      const cell = d.cells?.[p];
      if (!cell) out.missing++;
      else if (cell.status === 'caught') out.caught++;
      else if (cell.status === 'n/a') out.notApplicable++;
      else if (cell.status === 'n/a-disputed') out.disputed++;
      else out.notCaught++;
    }
  }
  return out;
}

function cellText(cell: MatrixCell | undefined, esc: (s: string) => string): string {
  if (!cell) return '(not run)';
  if (cell.status === 'n/a') return `n/a: ${esc(cell.reason ?? '')}`;
  if (cell.status === 'n/a-disputed') return `**n/a DISPUTED**: declared n/a (${esc(cell.reason ?? '')}) but caught by ${cell.caughtBy.join(', ')}`;
  if (cell.status === 'not-caught') return '**NOT CAUGHT**';
  const shown = cell.caughtBy.slice(0, 3).join(', ') + (cell.caughtBy.length > 3 ? ` +${cell.caughtBy.length - 3}` : '');
  return cell.method === 'full-plan' ? shown : `${shown} (bail)`;
}

export function renderMarkdown(c: DefectCoverage): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const profiles = c.profiles ?? [];
  const f = matrixFigures(c);
  const lines = [
    '# Defect coverage of the certification plan',
    '',
    `Generated by \`npm run coverage:defects\` (scripts/defect-coverage.ts) on ${c.generated}, plan \`${c.plan}\`.`,
    "Each defect of the emulator's catalogue (emulator/defects.ts) is switched on alone under each conformant profile of",
    'the emulator (emulator/profiles.ts); a case "catches" the defect when it failed on a terminal check (an assertion on',
    'screens, vouchers, host messages or the ledger), not on a harness error, and passes on the clean emulator of the',
    "same profile. The reference column ran the whole plan per defect; every other cell ran the reference's catching",
    'cases plus the profile\'s variant cases with bail ("(bail)": the first catching case found), and the whole plan',
    'only when none of those caught it. A catch counts only when it repeats (the case run again alone with the defect',
    'fails again), so a timing flake never fills a cell. "n/a" cells are declared in emulator/defect-applicability.ts (the defect\'s',
    "behaviour is conformant under that profile) and checked: the reference's catching cases all pass there (for a defect",
    'n/a under the reference itself, the cases that catch it under the profiles where it applies).',
    '`npm test` re-runs the reference column for every defect and a rotating sample of the other cells',
    '(test/features/self-certification.test.ts). A new defect gets its row with',
    '`npm run coverage:defects -- --jobs 2 --reuse-clean NAME` (the recorded clean runs, a few minutes).',
    '',
  ];
  if (c.matrixRun) {
    lines.push(
      `Last full matrix: \`${c.matrixRun.command}\`, ${c.matrixRun.jobs} job(s), ${Math.round(c.matrixRun.wallSeconds / 60)} min wall time (finished ${c.matrixRun.finished}).`,
      '',
    );
  }
  lines.push(
    `Matrix: ${f.cells} cells (${c.defects.length} defects × ${profiles.length} profiles): ${f.caught} caught, ${f.notApplicable} n/a, ` +
      `${f.notCaught} not caught${f.disputed ? `, ${f.disputed} n/a disputed` : ''}${f.missing ? `, ${f.missing} not run` : ''}.`,
    '',
  );
  lines.push('Clean profiles (the whole plan, no defect):', '');
  for (const p of profiles) {
    lines.push(
      `- \`${p.name}\` — ${esc(p.description)}: ${p.cleanRunProblems.length === 0 ? 'every case passed' : `**${p.cleanRunProblems.length} case(s) did not pass**: ${p.cleanRunProblems.map((x) => `${x.caseId} (${x.outcome})`).join(', ')}`}.`,
    );
  }
  if (!profiles.length) {
    lines.push(
      `- reference: ${c.cleanRunProblems.length === 0 ? 'every case passed' : `${c.cleanRunProblems.length} case(s) did not pass: ${c.cleanRunProblems.map((p) => `${p.caseId} (${p.outcome})`).join(', ')}`}.`,
    );
  }
  lines.push(
    '',
    '## Matrix: defects × profiles',
    '',
    `| Defect | ${profiles.map((p) => `\`${p.name}\``).join(' | ')} |`,
    `|---|${profiles.map(() => '---|').join('')}`,
  );
  for (const d of c.defects) lines.push(`| \`${d.name}\` | ${profiles.map((p) => cellText(d.cells?.[p.name], esc)).join(' | ')} |`);
  lines.push(
    '',
    '## Reference column in detail',
    '',
    '| Defect | Area | What a lab observes | Caught by | First failing check |',
    '|---|---|---|---|---|',
  );
  for (const d of c.defects) {
    const first = d.firstFailure ? `${d.firstFailure.caseId}: "${esc(d.firstFailure.step ?? '')}"` : '—';
    // A defect n/a under the reference: its reference cell's reason, not a missing catch.
    const ref = d.cells?.[DEFAULT_EMULATOR_PROFILE];
    const caught = d.caughtBy.length ? d.caughtBy.join(', ') : ref?.status === 'n/a' ? `n/a: ${esc(ref.reason ?? '')}` : '**NOT CAUGHT**';
    lines.push(`| \`${d.name}\` | ${d.area} | ${esc(d.description)} | ${caught} | ${first} |`);
  }
  const weak = c.defects.flatMap((d) =>
    profiles.filter((p) => ['not-caught', 'n/a-disputed'].includes(d.cells?.[p.name]?.status ?? '')).map((p) => `${d.name} under ${p.name}`),
  );
  lines.push(
    '',
    weak.length
      ? `**${weak.length} cell(s) need work:** ${weak.join(', ')}`
      : `Every defect is caught (or declared and checked n/a) under every profile.`,
    '',
  );
  return lines.join('\n');
}

/** A matrix cell with its recorded catching cases (the rotating sample npm test re-runs). */
export interface SampledCell {
  defect: string;
  profile: string;
  caughtBy: string[];
}

/** Today's seed for the rotating sample: days since 1970-01-01 (UTC), so a failure repeats all day. */
export function daySeed(now = new Date()): number {
  return Math.floor(now.getTime() / 86_400_000);
}

/**
 * `count` distinct caught cells outside the reference column, chosen by `seed` (a small LCG over
 * the cells in catalogue × profile order): the same seed gives the same cells, so a failing sample
 * is reproduced with POSCERT_MATRIX_SEED=<seed>.
 */
export function sampleCells(c: DefectCoverage, seed: number, count: number): SampledCell[] {
  const pool: SampledCell[] = [];
  for (const d of c.defects) {
    for (const p of c.profiles ?? []) {
      const cell = d.cells?.[p.name];
      if (p.name !== DEFAULT_EMULATOR_PROFILE && cell?.status === 'caught' && cell.caughtBy.length)
        pool.push({ defect: d.name, profile: p.name, caughtBy: cell.caughtBy });
    }
  }
  const out: SampledCell[] = [];
  let x = Math.abs(Math.trunc(seed)) % 2147483647 || 1;
  const want = Math.min(count, pool.length);
  while (out.length < want) {
    x = (x * 48271) % 2147483647;
    const pick = pool.splice(x % pool.length, 1)[0];
    out.push(pick);
  }
  return out;
}

interface CellInput {
  defect: DefectInfo;
  profile: EmulatorProfile;
  /** Cases that catch the defect under the reference; for an n/a check, those that catch it under any profile where it applies. */
  referenceCaughtBy: string[];
  cleanPassed: Set<string>;
  allCases: string[];
}

/** One non-reference cell: candidates with bail, then the whole plan if none catches; or the n/a check. */
export async function judgeCell(i: CellInput): Promise<MatrixCell> {
  const started = Date.now();
  const reason = notApplicableUnder(i.defect.name, i.profile.profile);
  const usable = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => i.cleanPassed.has(id)).sort();
  if (reason) {
    // The claim: the defect's behaviour is conformant here, so none of the cases that catch it
    // under the reference (or, for a defect n/a there, under the profiles where it applies) may
    // fail. Run them all (no bail: one failure disputes the claim).
    const candidates = usable(i.referenceCaughtBy);
    if (!candidates.length)
      return {
        status: 'n/a-disputed',
        reason: `${reason} (cannot be checked: no reference catching case passes clean under this profile)`,
        caughtBy: [],
        method: 'n/a-check',
        candidates,
        brokenCases: [],
        durationMs: Date.now() - started,
      };
    const run = await judgedRun(
      { defects: [i.defect.name], caseIds: candidates, emulatorProfile: i.profile.name, timeoutMs: 10 * 60_000 },
      `${i.defect.name} × ${i.profile.name} (n/a check)`,
    );
    const caught = usable(catchingCases(run));
    return {
      status: caught.length ? 'n/a-disputed' : 'n/a',
      reason,
      caughtBy: caught,
      method: 'n/a-check',
      candidates,
      brokenCases: brokenOf(run),
      firstFailure: firstFailure(run),
      durationMs: Date.now() - started,
    };
  }
  const candidates = usable([...i.referenceCaughtBy, ...(VARIANT_CASES[i.profile.name] ?? [])]);
  const unconfirmed: string[] = [];
  const confirmed = (ids: readonly string[]) => confirmCatch(i.defect.name, i.profile.name, ids, unconfirmed);
  let remaining = candidates;
  // A bail run stops at the first failure; an unconfirmed one (a flake) is dropped and the rest re-run.
  for (let round = 0; round < 3 && remaining.length; round++) {
    const run = await judgedRun(
      { defects: [i.defect.name], caseIds: remaining, emulatorProfile: i.profile.name, failFast: true, timeoutMs: 10 * 60_000 },
      `${i.defect.name} × ${i.profile.name} (catching cases)`,
    );
    const caught = usable(catchingCases(run));
    if (!caught.length) break;
    const ok = await confirmed(caught);
    if (ok)
      return {
        status: 'caught',
        caughtBy: [ok],
        method: 'catching-cases',
        candidates,
        ...(unconfirmed.length ? { unconfirmed } : {}),
        brokenCases: brokenOf(run),
        firstFailure: firstFailure(run),
        durationMs: Date.now() - started,
      };
    remaining = remaining.filter((id) => !unconfirmed.includes(id));
  }
  const run = await judgedRun(
    { defects: [i.defect.name], caseIds: i.allCases, emulatorProfile: i.profile.name, timeoutMs: 15 * 60_000 },
    `${i.defect.name} × ${i.profile.name} (whole plan)`,
  );
  const caught = usable(catchingCases(run)).filter((id) => !unconfirmed.includes(id));
  const ok = caught.length ? await confirmed(caught) : undefined;
  return {
    status: ok ? 'caught' : 'not-caught',
    caughtBy: ok ? [ok, ...caught.filter((id) => id !== ok && !unconfirmed.includes(id))] : [],
    method: 'full-plan',
    candidates,
    ...(unconfirmed.length ? { unconfirmed } : {}),
    brokenCases: brokenOf(run),
    firstFailure: firstFailure(run),
    durationMs: Date.now() - started,
  };
}

/**
 * A catch counts only if it repeats: the catching case run alone with the defect fails again on a
 * terminal check (a timing flake on a loaded machine does not). Tries up to three of `ids` in turn;
 * returns the first confirmed, and adds the ones that did not repeat to `unconfirmed`.
 */
async function confirmCatch(defect: string, profile: string, ids: readonly string[], unconfirmed: string[]): Promise<string | undefined> {
  for (const id of ids.slice(0, 3)) {
    const again = await judgedRun(
      { defects: [defect], caseIds: [id], emulatorProfile: profile, timeoutMs: 5 * 60_000 },
      `${defect} × ${profile} (confirming ${id})`,
    );
    if (catchingCases(again).includes(id)) return id;
    unconfirmed.push(id);
  }
  return undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let jobs = 2;
  let staticOnly = false;
  let renderOnly = false;
  let reuseClean = false;
  const names: string[] = [];
  const profileNames: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') jobs = Number(argv[++i]);
    else if (argv[i] === '--static') staticOnly = true;
    else if (argv[i] === '--render') renderOnly = true;
    else if (argv[i] === '--profile') profileNames.push(argv[++i] ?? '');
    else if (argv[i] === '--reuse-clean') reuseClean = true;
    else names.push(argv[i]);
  }
  if (renderOnly) {
    const previous = readCoverage();
    if (!previous) {
      console.error(`${path.relative(ROOT, COVERAGE_JSON)} does not exist: run the matrix first (${MATRIX_COMMAND})`);
      return 2;
    }
    fs.writeFileSync(COVERAGE_MD, renderMarkdown(previous));
    console.log(`wrote ${path.relative(ROOT, COVERAGE_MD)} from ${path.relative(ROOT, COVERAGE_JSON)}`);
    return 0;
  }
  const undeclared = undeclaredDefects();
  if (undeclared.length) {
    console.error(
      `defect(s) declared by no emulator flow: ${undeclared.join(', ')}; add each to the \`defects\` of the flow(s) under emulator/flows/ where it bites`,
    );
    return 1;
  }
  console.log(`every one of the ${DEFECT_CATALOGUE.length} catalogued defects is declared by an emulator flow`);
  if (staticOnly) return 0;
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error('--jobs needs a positive whole number');
    return 2;
  }
  const unknown = names.filter((n) => !DEFECT_CATALOGUE.some((d) => d.name === n));
  if (unknown.length) {
    console.error(`unknown defect(s): ${unknown.join(', ')}; known: ${DEFECT_CATALOGUE.map((d) => d.name).join(', ')}`);
    return 2;
  }
  const unknownProfiles = profileNames.filter((n) => !EMULATOR_PROFILES.some((p) => p.name === n));
  if (unknownProfiles.length) {
    console.error(`unknown profile(s): ${unknownProfiles.join(', ')}; known: ${EMULATOR_PROFILES.map((p) => p.name).join(', ')}`);
    return 2;
  }
  const noVariantCases = EMULATOR_PROFILES.filter((p) => p.name !== DEFAULT_EMULATOR_PROFILE && !VARIANT_CASES[p.name]?.length).map((p) => p.name);
  if (noVariantCases.length) {
    console.error(
      `profile(s) without VARIANT_CASES (scripts/defect-coverage.ts): ${noVariantCases.join(', ')}; name the cases that read what each changes`,
    );
    return 2;
  }
  const full = names.length === 0 && profileNames.length === 0;
  const defects = names.length ? DEFECT_CATALOGUE.filter((d) => names.includes(d.name)) : DEFECT_CATALOGUE;
  const profiles = profileNames.length ? EMULATOR_PROFILES.filter((p) => profileNames.includes(p.name)) : EMULATOR_PROFILES;
  const previous = readCoverage();
  const caseIds = planCaseIds();
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

  // 1. Each profile clean: the whole plan (a case that fails clean proves nothing about a defect).
  // --reuse-clean (a partial run) takes the recorded clean results instead: every case of the plan
  // passed clean but those recorded as problems. Catches are still confirmed by a second run.
  type CleanRun = { profile: EmulatorProfile; passed: Set<string>; problems: Problem[] };
  let cleanRuns: CleanRun[];
  const recordedClean = (p: EmulatorProfile) => previous?.profiles?.find((x) => x.name === p.name)?.cleanRunProblems;
  if (reuseClean && !full && profiles.every((p) => recordedClean(p))) {
    console.log(`clean runs: reusing the recorded results of ${profiles.length} profile(s) (--reuse-clean)`);
    cleanRuns = profiles.map((p) => {
      const probs = recordedClean(p)!;
      return { profile: p, problems: probs, passed: new Set(caseIds.filter((id) => !probs.some((x) => x.caseId === id))) };
    });
  } else {
    if (reuseClean) console.log('--reuse-clean: no recorded clean result for every profile (or a full run): running them');
    console.log(`clean runs: ${profiles.length} profile(s) × ${caseIds.length} cases …`);
    cleanRuns = await pool(profiles, jobs, async (p) => {
      const run = await judgedRun(
        {
          caseIds,
          emulatorProfile: p.name,
          timeoutMs: 15 * 60_000,
          keepMessagesOnProblem: path.join(ROOT, 'reports', 'defect-coverage', `clean-${p.name}.ndjson`),
        },
        `clean ${p.name}`,
      );
      const probs = problems(run, p.name);
      console.log(`  ${p.name}: ${run.cases.size - probs.length}/${run.cases.size} passed (${(run.durationMs / 1000).toFixed(0)} s)`);
      for (const x of probs) console.log(`    ${x.caseId} ${x.outcome}: ${x.step ?? ''} ${x.error ?? ''}`.slice(0, 300));
      // A legitimate skip counts with the passes: the case does not fail there clean, so an n/a claim can be checked with it.
      return {
        profile: p,
        problems: probs,
        passed: new Set([...run.cases.values()].filter((c) => !probs.some((x) => x.caseId === c.caseId)).map((c) => c.caseId)),
      };
    });
  }
  const cleanPassed = new Map(cleanRuns.map((r) => [r.profile.name, r.passed]));

  // 2. The reference column: the whole plan per defect.
  const referenceCaught = new Map<string, string[]>();
  type Row = Omit<DefectCoverage['defects'][number], 'cells'> & { cells: Record<string, MatrixCell> };
  const rows = new Map<string, Row>(
    defects.map((d) => {
      const old = previous?.defects.find((x) => x.name === d.name);
      return [
        d.name,
        {
          name: d.name,
          area: d.area,
          description: d.description,
          caughtBy: old?.caughtBy ?? [],
          brokenCases: old?.brokenCases ?? [],
          firstFailure: old?.firstFailure,
          cells: { ...(old?.cells ?? {}) },
        },
      ];
    }),
  );
  for (const r of rows.values()) referenceCaught.set(r.name, r.caughtBy);
  if (profiles.some((p) => p.name === DEFAULT_EMULATOR_PROFILE)) {
    const clean = cleanPassed.get(DEFAULT_EMULATOR_PROFILE)!;
    // A defect n/a under the reference (it needs a profile value the reference does not declare, e.g.
    // a supervisor password) is judged below with the other n/a cells.
    const referenceProfile = profiles.find((p) => p.name === DEFAULT_EMULATOR_PROFILE)!.profile;
    await pool(
      defects.filter((d) => !notApplicableUnder(d.name, referenceProfile)),
      jobs,
      async (d) => {
        const started = Date.now();
        const run = await judgedRun({ defects: [d.name], caseIds, timeoutMs: 15 * 60_000 }, `${d.name} × reference`);
        let caughtBy = catchingCases(run).filter((id) => clean.has(id));
        // Confirmed as the other cells are: the catching cases again with the defect, with bail, must fail.
        const unconfirmed: string[] = [];
        let ok: string | undefined;
        if (caughtBy.length) {
          const again = await judgedRun(
            { defects: [d.name], caseIds: caughtBy, failFast: true, timeoutMs: 10 * 60_000 },
            `${d.name} × reference (confirming)`,
          );
          ok = catchingCases(again).find((id) => caughtBy.includes(id));
          if (!ok) ok = await confirmCatch(d.name, DEFAULT_EMULATOR_PROFILE, caughtBy, unconfirmed);
          caughtBy = caughtBy.filter((id) => !unconfirmed.includes(id));
        }
        const row = rows.get(d.name)!;
        Object.assign(row, { caughtBy: ok ? caughtBy : [], brokenCases: brokenOf(run), firstFailure: firstFailure(run) });
        row.cells[DEFAULT_EMULATOR_PROFILE] = {
          status: ok ? 'caught' : 'not-caught',
          caughtBy: row.caughtBy,
          method: 'full-plan',
          ...(unconfirmed.length ? { unconfirmed } : {}),
          brokenCases: row.brokenCases,
          firstFailure: row.firstFailure,
          durationMs: Date.now() - started,
        };
        caughtBy = row.caughtBy;
        referenceCaught.set(d.name, caughtBy);
        console.log(
          `[${elapsed()}] ${d.name} × reference: ${caughtBy.length ? `caught by ${caughtBy.join(' ')}` : 'NOT CAUGHT'}${row.brokenCases.length ? ` (broken: ${row.brokenCases.join(' ')})` : ''} (${(run.durationMs / 1000).toFixed(0)} s)`,
        );
      },
    );
  }

  // 3. Every other cell: the reference's catching cases + the variant's, with bail; the whole plan if none catches.
  // Cells declared n/a come last: a defect n/a under the reference is checked with the cases that
  // caught it where it applies (this run's cells, else the recorded ones).
  const others = profiles.filter((p) => p.name !== DEFAULT_EMULATOR_PROFILE);
  const applicable = defects.flatMap((d) => others.filter((p) => !notApplicableUnder(d.name, p.profile)).map((p) => ({ d, p })));
  const notApplicable = defects.flatMap((d) => profiles.filter((p) => notApplicableUnder(d.name, p.profile)).map((p) => ({ d, p })));
  const caughtElsewhere = (d: DefectInfo) => [
    ...new Set([
      ...(referenceCaught.get(d.name) ?? []),
      ...Object.values(rows.get(d.name)!.cells)
        .filter((c) => c.status === 'caught')
        .flatMap((c) => c.caughtBy),
    ]),
  ];
  const judgeOne = async ({ d, p }: { d: DefectInfo; p: EmulatorProfile }) => {
    const catching = notApplicableUnder(d.name, p.profile) ? caughtElsewhere(d) : (referenceCaught.get(d.name) ?? []);
    const cell = await judgeCell({ defect: d, profile: p, referenceCaughtBy: catching, cleanPassed: cleanPassed.get(p.name)!, allCases: caseIds });
    rows.get(d.name)!.cells[p.name] = cell;
    const what =
      cell.status === 'caught'
        ? `caught by ${cell.caughtBy.join(' ')}`
        : cell.status === 'n/a'
          ? `n/a (checked): ${cell.reason}`
          : cell.status === 'n/a-disputed'
            ? `n/a DISPUTED: ${cell.reason}; caught by ${cell.caughtBy.join(' ')}`
            : 'NOT CAUGHT';
    console.log(`[${elapsed()}] ${d.name} × ${p.name}: ${what} [${cell.method}] (${(cell.durationMs / 1000).toFixed(0)} s)`);
  };
  await pool(applicable, jobs, judgeOne);
  await pool(notApplicable, jobs, judgeOne);

  // Merge with the recorded matrix: a partial run updates only what it ran.
  const cleanByName = new Map(cleanRuns.map((r) => [r.profile.name, r.problems]));
  const coverage: DefectCoverage = {
    plan: 'unionpay-pos',
    generated: new Date().toISOString().slice(0, 10),
    cleanRunProblems: cleanByName.get(DEFAULT_EMULATOR_PROFILE) ?? previous?.cleanRunProblems ?? [],
    profiles: EMULATOR_PROFILES.map((p) => ({
      name: p.name,
      description: p.description,
      variantCases: [...(VARIANT_CASES[p.name] ?? [])],
      cleanRunProblems: cleanByName.get(p.name) ?? previous?.profiles?.find((x) => x.name === p.name)?.cleanRunProblems ?? [],
    })),
    ...(full
      ? {
          matrixRun: {
            command: MATRIX_COMMAND.replace('--jobs 2', `--jobs ${jobs}`),
            jobs,
            wallSeconds: Math.round((Date.now() - t0) / 1000),
            finished: new Date().toISOString().slice(0, 16) + 'Z',
          },
        }
      : previous?.matrixRun
        ? { matrixRun: previous.matrixRun }
        : {}),
    // Catalogue order; defects no longer in the catalogue are dropped.
    defects: DEFECT_CATALOGUE.map((d) => rows.get(d.name) ?? previous?.defects.find((x) => x.name === d.name)).filter(
      (d): d is NonNullable<typeof d> => d !== undefined,
    ),
  };
  fs.mkdirSync(path.dirname(COVERAGE_JSON), { recursive: true });
  fs.writeFileSync(COVERAGE_JSON, JSON.stringify(coverage, null, 2) + '\n');
  fs.writeFileSync(COVERAGE_MD, renderMarkdown(coverage));
  const f = matrixFigures(coverage);
  const cleanBad = coverage.profiles!.filter((p) => p.cleanRunProblems.length).map((p) => p.name);
  console.log(
    `wrote ${path.relative(ROOT, COVERAGE_MD)} and ${path.relative(ROOT, COVERAGE_JSON)} in ${elapsed()}: ` +
      `${f.cells} cells, ${f.caught} caught, ${f.notApplicable} n/a, ${f.notCaught} not caught, ${f.disputed} n/a disputed, ${f.missing} not run` +
      `${cleanBad.length ? `; clean profile(s) failing cases: ${cleanBad.join(', ')}` : ''}`,
  );
  return f.notCaught || f.disputed || cleanBad.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
