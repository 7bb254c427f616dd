// npm run plan:strength — how many realistic firmware bugs the certification plan catches, measured
// with a real mutation engine (StrykerJS 9.4, commandRunner): each mutant of the reference terminal's
// behaviour (emulator flows, services, vouchers, texts, card reading, online logic, state store; not
// its TTP plumbing) is switched on and a lean certification runs against the emulator
// (`poscert certify --bail --no-report`): NOT CERTIFIED (or INCONCLUSIVE) kills it, CERTIFIED lets it
// survive. Writes Stryker's HTML and JSON report under reports/plan-strength/ and docs/plan-strength.md
// (score overall and per area, survivors grouped by file and flow, timing).
//
// Stryker runs on a snapshot of the committed tree (git archive HEAD into reports/plan-strength/tree),
// so the figure belongs to one commit and edits in progress in the checkout cannot shift it.
//
// `--sample N` (seeded by `--seed S`, default 14) runs N mutants drawn from all of them: Stryker's
// initial run (no mutant active) counts the mutant ids it instrumented into its sandbox and draws the
// sample; the command then lets every other mutant through unrun and the report marks them Ignored.
// Without --sample every mutant runs (the nightly run: hours).
//
// `--recheck` re-runs only the last run's survivors against the plan as it is now, after checks were
// added to kill them; the earlier kills stand. It does without Stryker: Stryker's ids only name the
// same mutants in the same emulator, so each survivor is found again by its code
// (scripts/plan-strength-relocate.ts) and applied as text to a snapshot of HEAD; one whose code changed
// keeps its outcome and is listed. `--render` only writes the page again from the last run, after the
// survivor entries (scripts/plan-strength-survivors.ts) changed. `--out DIR` / `--page FILE` keep a
// second run (a held-out sample) beside the first.
//
// Usage: node -r ts-node/register/transpile-only scripts/plan-strength.ts [--sample N] [--seed S] [--concurrency C]
//        … --recheck [--concurrency C]  |  … --render       (each with [--out DIR] [--page FILE])
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { seededRandom } from '../links/faults';
import { accountFor, ACCOUNTED, type AccountedSurvivor } from './plan-strength-survivors';
import { mutateAgain } from './plan-strength-relocate';

export const ROOT = path.join(__dirname, '..');
const DEFAULT_OUT = path.join(ROOT, 'reports', 'plan-strength');
export const STRENGTH_MD = path.join(ROOT, 'docs', 'plan-strength.md');

/**
 * What is mutated: the emulator's behaviour. Globs, not file names, so the split of session.ts into
 * emulator/flows/ and emulator/services/ changes nothing here. Left out: the TTP server and power
 * (terminal.ts) and the rest of the TTP plumbing (emulator/ttp/: command parsing, config and card
 * keys — issue 14 leaves it out, it is the test port, not the terminal), the input queue and the host
 * TCP framing (plumbing), wiring (index.ts, start.ts), error classes, flow typing and the defect
 * catalogue with its applicability table (defects are off in a certification run). Inside the
 * mutated files, scripts/plan-strength-ignorer.mjs leaves out the defect wiring and log lines.
 */
export const MUTATE = [
  'emulator/**/*.ts',
  '!emulator/terminal.ts',
  '!emulator/ttp/**',
  '!emulator/defect-applicability.ts',
  '!emulator/start.ts',
  '!emulator/**/index.ts',
  '!emulator/errors.ts',
  '!emulator/defects.ts',
  '!emulator/inputs.ts',
  '!emulator/host-link.ts',
  '!emulator/https-link.ts',
  '!emulator/flows/types.ts',
];

export const AREAS = ['onboarding', 'payment', 'pin', 'voucher', 'risk', 'settlement', 'shared'] as const;
export type Area = (typeof AREAS)[number];

/**
 * The area of a mutant, from the function it sits in (names say what they do) and else its file.
 * A heuristic for the report's table, not a judgement: 'shared' is code every area runs through.
 */
export function areaOf(file: string, fn: string | undefined): Area {
  const f = fn ?? '';
  if (/pin/i.test(f) && !/print/i.test(f)) return 'pin';
  if (/settle|batch|totals/i.test(f)) return 'settlement';
  if (/sign(On|Off)|workingKey|keys|param|echo|management|selfTest/i.test(f)) return 'onboarding';
  if (/voucher|print|slip|reprint/i.test(f)) return 'voucher';
  if (/revers|decline|response_?text|tamper|expir|checkReply|verifyMac/i.test(f)) return 'risk';
  const base = file.replace(/\\/g, '/');
  if (/flows\/settlement|settle/.test(base)) return 'settlement';
  if (/flows\/management|services\/management/.test(base)) return 'onboarding';
  if (/voucher|flows\/reprint/.test(base)) return 'voucher';
  if (/services\/online/.test(base)) return 'risk';
  if (/flows\/|services\/(card-reader|requests|transactions)|icc\.ts/.test(base)) return 'payment';
  return 'shared';
}

/**
 * The function a line belongs to: the nearest declaration above it (method, function, or an
 * arrow function bound to a name, its signature on one line or spread over several up to the `{`),
 * else the module-level constant whose value holds it (a table such as RESPONSE_TEXTS) — good
 * enough to group survivors by flow.
 */
export function enclosingFunction(source: string, line: number): string | undefined {
  const lines = source.split('\n');
  const decl =
    /^\s*(?:export\s+)?(?:(?:private|public|protected|static|async|readonly|const|let|var)\s+)*(?:function\*?\s+)?([A-Za-z_$][\w$]*)\s*(?:=\s*(?:async\s*)?\(|\(|:\s*\([^)]*\)\s*=>)/;
  const keyword = /^(if|for|while|switch|catch|return|await|new|else|do|try)$/;
  const code = (i: number) => lines[i].replace(/\/\/.*$/, '').trimEnd();
  // A signature spread over several lines: `name(` alone, its parameters, then `): T {` (no `;` on the way).
  const opensBody = (i: number): boolean => {
    if (/[{>]\s*$|=>\s*\{?\s*$|\{\s*$/.test(code(i))) return true;
    if (!/\(\s*$/.test(code(i))) return false;
    for (let j = i + 1; j < Math.min(lines.length, i + 12); j++) {
      if (/;\s*$/.test(code(j))) return false;
      if (/^\s*\)[^;]*\{\s*$/.test(code(j))) return true;
    }
    return false;
  };
  const topLevel = /^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)/;
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = decl.exec(lines[i]);
    if (m && !keyword.test(m[1]) && opensBody(i)) return m[1];
    // A module-level constant: the line itself, or one whose value goes on below it.
    const t = topLevel.exec(lines[i]);
    if (t && (i === line - 1 || !/;\s*$/.test(code(i)))) return t[1];
  }
  return undefined;
}

/** N distinct items drawn with a seeded PRNG (Fisher–Yates on a copy), in their original order. */
export function sampleIds(ids: readonly string[], n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const a = [...ids];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  const chosen = new Set(a.slice(0, Math.min(n, a.length)));
  return ids.filter((id) => chosen.has(id));
}

// ---- the Stryker report (mutation-testing-report-schema, the parts read here)

export interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  status: 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
  statusReason?: string;
}
export interface MutationReport {
  schemaVersion: string;
  thresholds: { high: number; low: number };
  files: Record<string, { language: string; source: string; mutants: ReportMutant[] }>;
  [k: string]: unknown;
}

/** One judged mutant as docs/plan-strength.md lists it. */
export interface JudgedMutant {
  id: string;
  file: string;
  line: number;
  fn?: string;
  area: Area;
  mutator: string;
  replacement?: string;
  status: ReportMutant['status'];
  /** For killed mutants: the verdict and the first failing case of the lean run. */
  verdict?: string;
  killedBy?: string;
  durationMs?: number;
  /** The mutated line's source, trimmed (what scripts/plan-strength-survivors.ts entries match). */
  code?: string;
  /** The line after it, trimmed: tells apart lines whose own text repeats in the file (`try {`). */
  next?: string;
}

/** Reads the verdict and the first failing case out of the lean run's summary (the command's output). */
export function parseKill(output: string | undefined): { verdict?: string; killedBy?: string } {
  if (!output) return {};
  const verdict = /^(NOT CERTIFIED|INCONCLUSIVE|CERTIFIED)\b/m.exec(output)?.[1];
  // The verdict sentence names the mandatory cases that decided it; else the first failure listed.
  const killedBy =
    /mandatory cases? (?:failed|could not be judged): (CUP-[A-Z]{3}-\d{3})/.exec(output)?.[1] ?? /^\s*[✘!] (CUP-[A-Z]{3}-\d{3})/m.exec(output)?.[1];
  return { ...(verdict ? { verdict } : {}), ...(killedBy ? { killedBy } : {}) };
}

export function judgedMutants(report: MutationReport, durations: ReadonlyMap<string, number> = new Map()): JudgedMutant[] {
  const out: JudgedMutant[] = [];
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) {
      if (m.status === 'Ignored') continue;
      const fn = enclosingFunction(f.source, m.location.start.line);
      const code = f.source.split('\n')[m.location.start.line - 1]?.trim();
      const next = f.source.split('\n')[m.location.start.line]?.trim();
      out.push({
        id: m.id,
        file,
        line: m.location.start.line,
        fn,
        area: areaOf(file, fn),
        mutator: m.mutatorName,
        replacement: m.replacement,
        code,
        ...(next !== undefined ? { next } : {}),
        status: m.status,
        ...(m.status === 'Killed' ? parseKill(m.statusReason) : {}),
        ...(durations.has(m.id) ? { durationMs: durations.get(m.id) } : {}),
      });
    }
  }
  return out;
}

const KILLED = new Set(['Killed', 'Timeout']);
const pct = (k: number, n: number) => (n ? `${((100 * k) / n).toFixed(1)} %` : '–');

export interface StrengthRun {
  command: string;
  generated: string;
  seed?: number;
  sample?: number;
  totalMutants: number;
  tree: string;
  /** What this run is for, said under the title (a held-out sample, say). */
  note?: string;
  /** Survivors a recheck could not find again in the emulator as it is now (their code changed), by id. */
  notRechecked?: Record<string, string>;
  baselineMs?: number;
  wallMs: number;
  mutants: JudgedMutant[];
}

/** docs/plan-strength.md; `accounted` are the survivor entries (scripts/plan-strength-survivors.ts). */
export function renderStrength(r: StrengthRun, accounted: readonly AccountedSurvivor[] = ACCOUNTED): string {
  const m = r.mutants;
  const killed = m.filter((x) => KILLED.has(x.status));
  const survived = m.filter((x) => x.status === 'Survived');
  const entryOf = (x: JudgedMutant) => accountFor(x, accounted);
  // A mutant of code only another emulator profile runs is equivalent for the measured (reference-profile) terminal.
  const equivalent = survived.filter((x) => entryOf(x)?.kind === 'equivalent' || entryOf(x)?.kind === 'other-profile');
  const otherProfile = survived.filter((x) => entryOf(x)?.kind === 'other-profile');
  const unobservable = survived.filter((x) => entryOf(x)?.kind === 'unobservable');
  const conformant = survived.filter((x) => entryOf(x)?.kind === 'conformant');
  // Neither kind is a bug a conformance plan may catch: no behaviour differs, or it differs within what the reference allows.
  const setApart = (list: readonly JudgedMutant[]) => list.filter((x) => equivalent.includes(x) || conformant.includes(x)).length;
  const open = survived.filter((x) => !entryOf(x));
  const other = m.filter((x) => !KILLED.has(x.status) && x.status !== 'Survived');
  const lines: string[] = [];
  lines.push('# Plan strength: mutants of the reference terminal caught by the certification plan', '');
  if (r.note) lines.push(r.note, '');
  lines.push(`Generated by \`${r.command}\` (scripts/plan-strength.ts) on ${r.generated}, emulator tree ${r.tree}.`);
  lines.push("Each mutant (StrykerJS 9.4, commandRunner) is one change to the emulator's behaviour files; the plan runs against it as");
  lines.push('`poscert certify --bail --no-report`. NOT CERTIFIED kills it (INCONCLUSIVE too, listed apart: the harness could not');
  lines.push('judge a terminal that behaves so), CERTIFIED lets it survive. A kill must repeat (several mutants run at once): the deciding');
  lines.push('case is run again alone and must fail again, else the whole lean plan runs once more and decides.');
  lines.push(
    'Not mutated: the TTP plumbing and the defect catalogue (MUTATE), and, by the Stryker ignorer scripts/plan-strength-ignorer.mjs, the defect',
    "wiring inside the flows (defects are off in a certification run, so that code never runs) and the emulator's own log lines.",
  );
  lines.push("Stryker's HTML report: reports/plan-strength/mutation.html.", '');
  lines.push(
    r.sample !== undefined ? `Sample: ${m.length} of ${r.totalMutants} mutants, drawn with seed ${r.seed}.` : `All ${r.totalMutants} mutants.`,
  );
  lines.push(
    'A survivor is accounted for by an entry in scripts/plan-strength-survivors.ts: equivalent (no behaviour of the terminal differs; it leaves',
    'the score; counted with it, and shown apart: code that only another emulator profile runs, so the measured reference-profile terminal',
    'does not differ, each entry saying what the plan does under that profile), still conformant (behaviour differs only where the reference leaves the choice to the terminal, so a plan that killed it',
    'would fail conformant terminals; it leaves the score too, and each entry names the rule) or unobservable (it differs only where a',
    'certification cannot look; it stays in the score as a survivor).',
  );
  lines.push('');
  const inconclusive = killed.filter((x) => x.verdict === 'INCONCLUSIVE').length;
  lines.push('| | mutants |', '|---|---|');
  lines.push(`| run | ${m.length} |`);
  lines.push(`| killed (NOT CERTIFIED) | ${killed.length - inconclusive - killed.filter((x) => x.status === 'Timeout').length} |`);
  lines.push(`| killed (INCONCLUSIVE) | ${inconclusive} |`);
  lines.push(`| timed out (counted as killed, as Stryker does) | ${killed.filter((x) => x.status === 'Timeout').length} |`);
  lines.push(`| survived | ${survived.length} |`);
  lines.push(`| of which equivalent (accounted for) | ${equivalent.length} |`);
  lines.push(`| of these, run only under another emulator profile | ${otherProfile.length} |`);
  lines.push(`| of which still conformant (accounted for) | ${conformant.length} |`);
  lines.push(`| of which unobservable by a certification (accounted for) | ${unobservable.length} |`);
  lines.push(`| of which not yet accounted for | ${open.length} |`);
  if (other.length) lines.push(`| other (${[...new Set(other.map((x) => x.status))].join(', ')}) | ${other.length} |`);
  lines.push(`| score, every survivor counted (killed / (killed + survived)) | ${pct(killed.length, killed.length + survived.length)} |`);
  lines.push(
    `| score of non-equivalent mutants (killed / (killed + survived − equivalent)) | ${pct(killed.length, killed.length + survived.length - equivalent.length)} |`,
    `| **score of mutants that break conformance** (killed / (killed + survived − equivalent − still conformant)) | **${pct(killed.length, killed.length + survived.length - setApart(survived))}** |`,
    '',
  );

  lines.push(
    '## Per area',
    '',
    'Area of a mutant: from the function it sits in, else its file (scripts/plan-strength.ts areaOf; "shared" is code every area runs through).',
    '',
  );
  lines.push(
    '| area | mutants | killed | survived | of which equivalent or still conformant | score of mutants that break conformance |',
    '|---|---|---|---|---|---|',
  );
  for (const a of AREAS) {
    const inArea = m.filter((x) => x.area === a);
    if (!inArea.length) continue;
    const k = inArea.filter((x) => KILLED.has(x.status)).length;
    const s = inArea.filter((x) => x.status === 'Survived').length;
    const e = setApart(inArea);
    lines.push(`| ${a} | ${inArea.length} | ${k} | ${s} | ${e} | ${pct(k, k + s - e)} |`);
  }
  lines.push('');

  lines.push('## Survivors by file and flow', '');
  if (!survived.length) lines.push('None.', '');
  const byFile = new Map<string, JudgedMutant[]>();
  for (const s of survived) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, list] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`### ${file}`, '', '| line | function | area | mutator | replacement | accounted for |', '|---|---|---|---|---|---|');
    for (const s of list.sort((a, b) => a.line - b.line)) {
      const rep = (s.replacement ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|');
      const entry = entryOf(s);
      const why = entry ? `${entry.kind}: ${entry.why.replace(/\|/g, '\\|')}` : 'not yet';
      lines.push(`| ${s.line} | ${s.fn ?? '?'} | ${s.area} | ${s.mutator} | \`${rep.length > 60 ? `${rep.slice(0, 59)}…` : rep}\` | ${why} |`);
    }
    lines.push('');
  }

  const stale = Object.entries(r.notRechecked ?? {});
  if (stale.length) {
    lines.push(
      '## Survivors the recheck could not run',
      '',
      'Their code changed since the run that drew them, so they are not the same mutants any more; they keep their earlier outcome.',
      '',
      '| file | line | mutator | why |',
      '|---|---|---|---|',
    );
    for (const [id, why] of stale) {
      const x = m.find((y) => y.id === id);
      lines.push(`| ${x?.file ?? '?'} | ${x?.line ?? '?'} | ${x?.mutator ?? '?'} | ${why.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }

  lines.push('## Killed: first failing case', '');
  const byKiller = new Map<string, number>();
  for (const k of killed)
    byKiller.set(
      k.killedBy ?? (k.status === 'Timeout' ? '(timeout)' : '(none named)'),
      (byKiller.get(k.killedBy ?? (k.status === 'Timeout' ? '(timeout)' : '(none named)')) ?? 0) + 1,
    );
  lines.push('| case | mutants killed first |', '|---|---|');
  for (const [c, n] of [...byKiller].sort((a, b) => b[1] - a[1])) lines.push(`| ${c} | ${n} |`);
  lines.push('');

  lines.push('## Timing', '');
  const secs = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const median = (xs: number[]) => {
    if (!xs.length) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  };
  const d = (list: JudgedMutant[]) => list.map((x) => x.durationMs).filter((x): x is number => x !== undefined);
  lines.push('| | |', '|---|---|');
  lines.push(`| clean lean certification (Stryker's initial run) | ${secs(r.baselineMs)} |`);
  lines.push(`| per killed mutant, median | ${secs(median(d(killed)))} |`);
  lines.push(`| per surviving mutant, median | ${secs(median(d(survived)))} |`);
  lines.push(`| whole run (snapshot, instrumentation, every mutant: unsampled ones pass unrun) | ${secs(r.wallMs)} |`, '');
  lines.push('Times are wall-clock on a shared 2-core machine; other work on it changes them.', '');
  lines.push(
    '## Running it',
    '',
    '- Seeded sample (this page): `npm run plan:strength -- --sample 150 --concurrency 4`. A lean run is mostly waiting on the terminal',
    '  (about 50 s wall for 11 s of CPU on a quiet machine), so four mutants at once fit two cores; every kill is confirmed (above).',
    '- After adding checks for the survivors: `npm run plan:strength -- --recheck --concurrency 4` re-runs only them, each found again',
    '  in the emulator as it is now by its code (scripts/plan-strength-relocate.ts), so a change elsewhere in emulator/ does not void it.',
    '- A held-out sample beside this one: `npm run plan:strength -- --sample 80 --seed 15 --out reports/plan-strength-heldout --page docs/plan-strength-heldout.md`.',
    '- After editing scripts/plan-strength-survivors.ts: `npm run plan:strength -- --render`.',
    '- Both read the run from its --out folder under reports/, or, in a checkout without it, from the record beside the page (the page',
    "  name with .json: the run and its mutants' outcomes; the mutated files' text comes from git at the run's commit).",
    '- Nightly, every mutant: `npm run plan:strength -- --concurrency 4` (thousands of mutants: many hours; a lab runs it on a machine of its own).',
    '- Not in `npm test`: one mutant costs a whole lean certification (about a minute, two under load), and the suite already uses',
    '  about 7 of its 10 minutes; even a handful of mutants would not fit. `npm test` checks the machinery instead',
    '  (test/scripts/plan-strength.test.ts: sampling, judging, the page, the recheck merge).',
    '',
  );
  return `${lines.join('\n')}`;
}

// ---- running Stryker

interface Args {
  sample?: number;
  seed: number;
  concurrency: number;
  /** Re-run only the last run's survivors, against the plan as it is now (same emulator). */
  recheck?: boolean;
  /** Only render docs/plan-strength.md again from the last run (after editing the survivor entries). */
  render?: boolean;
  /** The run's folder (report, run.json, snapshot): another one keeps a second sample beside the first. */
  out: string;
  /** The page the run is rendered to. */
  page: string;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { seed: 14, concurrency: 1, out: DEFAULT_OUT, page: STRENGTH_MD };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    const num = (name: string, min: number) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${name} ${v ?? ''}: expected a whole number ≥ ${min}`);
      i++;
      return n;
    };
    if (argv[i] === '--sample') a.sample = num('--sample', 1);
    else if (argv[i] === '--seed') a.seed = num('--seed', 0);
    else if (argv[i] === '--concurrency') a.concurrency = num('--concurrency', 1);
    else if (argv[i] === '--recheck') a.recheck = true;
    else if (argv[i] === '--render') a.render = true;
    else if (argv[i] === '--out' || argv[i] === '--page') {
      if (!v || v.startsWith('--')) throw new Error(`${argv[i]}: expected a path`);
      a[argv[i] === '--out' ? 'out' : 'page'] = path.resolve(ROOT, v);
      i++;
    } else
      throw new Error(
        `unknown argument ${argv[i]}; usage: plan-strength [--sample N] [--seed S] [--concurrency C] | --recheck [--concurrency C] | --render, each with [--out DIR] [--page FILE]`,
      );
  }
  return a;
}

export function strykerConfig(command: string, jsonFile: string, html: string, concurrency: number): Record<string, unknown> {
  return {
    testRunner: 'command',
    commandRunner: { command },
    coverageAnalysis: 'off',
    mutate: MUTATE,
    reporters: ['json', 'html', 'progress-append-only'],
    jsonReporter: { fileName: jsonFile },
    htmlReporter: { fileName: html },
    // Defect wiring and log lines are not terminal behaviour in a certification run (the ignorer says why).
    plugins: ['@stryker-mutator/*', './scripts/plan-strength-ignorer.mjs'],
    ignorers: ['plan-strength'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    concurrency,
    // A surviving mutant costs a whole plan run; under load that can be twice the clean run's time.
    timeoutFactor: 2.5,
    timeoutMS: 60_000,
    // The sandbox is a copy of the project: leave out what is output or not needed to run the plan.
    ignorePatterns: ['reports', 'docs', 'bench', 'agents', 'test', '.ci'],
    logLevel: 'info',
  };
}

function runStryker(configFile: string, cwd: string): void {
  const bin = path.join(path.dirname(require.resolve('@stryker-mutator/core/package.json')), 'bin', 'stryker.js');
  const r = spawnSync(process.execPath, [bin, 'run', configFile], { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`stryker run ${configFile} exited with ${r.status ?? r.signal}`);
}

/** The mutant ids Stryker instrumented into the emulator files of its sandbox (cwd), in number order. */
export function instrumentedIds(sandbox: string): string[] {
  const ids = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) for (const m of fs.readFileSync(p, 'utf8').matchAll(/stryMutAct_9fa48\("(\d+)"\)/g)) ids.add(m[1]);
    }
  };
  walk(path.join(sandbox, 'emulator'));
  return [...ids].sort((a, b) => Number(a) - Number(b));
}

/**
 * The per-mutant command (run by Stryker in its sandbox). With a sample: the initial run (no mutant
 * active) draws it from the instrumented ids; a mutant outside it passes unrun. A sampled mutant is
 * judged by `--judge` (judgeMutant below), which times every run into the runs file.
 */
export function gateCommand(sample: { file: string; n: number; seed: number } | undefined, runsFile: string): string {
  const script = 'node -r ts-node/register/transpile-only scripts/plan-strength.ts';
  const gate = sample
    ? `if [ -z "$M" ]; then ${script} --draw-sample '${sample.file}' ${sample.n} ${sample.seed} || exit 3; elif ! grep -qx "$M" '${sample.file}'; then exit 0; fi; `
    : '';
  return `M="$__STRYKER_ACTIVE_MUTANT__"; ${gate}${script} --judge '${runsFile}' "\${M:-initial}"`;
}

/** One lean certification's outcome, read from its certificate.json. */
export interface LeanOutcome {
  exitCode: number;
  verdict?: string;
  /** The mandatory cases that decided a NOT CERTIFIED / INCONCLUSIVE verdict (failed first, then broken but run). */
  deciding: string[];
}

interface CertificateCases {
  verdict: string;
  cases: Array<{ id: string; mandatory: boolean; applicable: boolean; result: string; reason?: string }>;
}

/** The deciding cases of a certificate: failed mandatory applicable cases, else broken ones that ran (not the bail's "not run"). */
export function decidingCases(cert: CertificateCases): string[] {
  const judged = cert.cases.filter((c) => c.mandatory && c.applicable);
  const failed = judged.filter((c) => c.result === 'failed').map((c) => c.id);
  if (failed.length) return failed;
  return judged.filter((c) => c.result === 'broken' && !/not run|bail/i.test(c.reason ?? '')).map((c) => c.id);
}

function leanCertify(args: string[], out: string, log: string): LeanOutcome {
  fs.rmSync(out, { recursive: true, force: true });
  const fd = fs.openSync(log, 'w');
  const r = spawnSync(process.execPath, ['bin/poscert.js', 'certify', '--no-report', '--out', out, ...args], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exitCode = r.status ?? 2;
  try {
    const cert = JSON.parse(fs.readFileSync(path.join(out, 'certificate.json'), 'utf8')) as CertificateCases;
    return { exitCode, verdict: cert.verdict, deciding: decidingCases(cert) };
  } catch {
    return { exitCode, deciding: [] };
  }
}

/**
 * Judges one mutant in Stryker's sandbox (cwd). Several mutants run at once (--concurrency), and a
 * kill that a loaded machine caused would inflate the score, so a kill must repeat: the deciding case
 * is run again alone and must fail again; if it passes alone (a kill that needs the plan's order, or a
 * flake), or no case decided, the whole plan runs once more without --bail and decides. Exit 0 = survived, 1 = killed. Prints the
 * verdict line parseKill reads, and appends "<mutant>\t<exit>\t<ms>" to the runs file.
 */
export function judgeMutant(runsFile: string, mutant: string): number {
  const t0 = Date.now();
  // Stryker's runners share one sandbox: each mutant gets its own output folder (its logs stay for a look).
  const dir = path.join('reports', 'plan-strength-mutants', mutant);
  fs.mkdirSync(dir, { recursive: true });
  const full = () => leanCertify(['--bail'], path.join(dir, 'run'), path.join(dir, 'run.log'));
  let outcome = full();
  let how = '';
  if (outcome.exitCode !== 0 && mutant !== 'initial') {
    const first = outcome.deciding[0];
    const alone = first ? leanCertify(['--tags', `@${first}`], path.join(dir, 'confirm'), path.join(dir, 'confirm.log')) : undefined;
    if (first && alone && alone.deciding.includes(first)) how = ` (confirmed: ${first} fails again alone)`;
    else {
      // Without --bail: the bail may stop on a mandatory case the certificate then judges not applicable
      // (the built-in emulator's capabilities are known only from its hello in the run), leaving an
      // INCONCLUSIVE run with no deciding case; the whole plan decides, as a lab's run would.
      outcome = leanCertify([], path.join(dir, 'run'), path.join(dir, 'whole.log'));
      how =
        outcome.exitCode !== 0
          ? ' (confirmed by a whole-plan run without --bail)'
          : " (the first run's failure did not repeat: counted as surviving)";
    }
  }
  for (const out of ['run', 'confirm']) fs.rmSync(path.join(dir, out), { recursive: true, force: true });
  const code = outcome.exitCode === 0 ? 0 : 1;
  fs.appendFileSync(runsFile, `${mutant}\t${outcome.exitCode}\t${Date.now() - t0}\n`);
  const judged = outcome.verdict === 'INCONCLUSIVE' ? 'could not be judged' : 'failed';
  const decided = outcome.deciding.length ? `: mandatory cases ${judged}: ${outcome.deciding.join(', ')}` : '';
  console.log(`${outcome.verdict ?? `no verdict (exit ${outcome.exitCode})`}${decided}${how}`);
  return code;
}

function readReport(file: string): MutationReport {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as MutationReport;
}

function allMutants(report: MutationReport): Array<{ id: string; key: string }> {
  return Object.entries(report.files).flatMap(([file, f]) =>
    f.mutants.map((m) => ({
      id: m.id,
      key: `${file}:${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement ?? ''}`,
    })),
  );
}

/** The report of a sampled run: the mutants outside the sample become Ignored (they never ran). */
export function restrictToSample(report: MutationReport, sample: ReadonlySet<string>, why: string): MutationReport {
  const files = Object.fromEntries(
    Object.entries(report.files).map(([file, f]) => [
      file,
      {
        ...f,
        mutants: f.mutants.map((m) => (sample.has(m.id) ? m : { ...m, status: 'Ignored' as const, statusReason: why })),
      },
    ]),
  );
  return { ...report, files };
}

/** Stryker's own HTML page (mutation-testing-elements), for a report rewritten here. */
function writeHtml(report: MutationReport, file: string): void {
  const core = path.dirname(require.resolve('@stryker-mutator/core/package.json'));
  const elements = require.resolve('mutation-testing-elements/dist/mutation-test-elements.js', { paths: [core] });
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  fs.writeFileSync(
    file,
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Plan strength</title><script>${fs.readFileSync(elements, 'utf8')}</script></head>\n` +
      `<body><mutation-test-report-app titlePostfix="poscert plan strength"></mutation-test-report-app>\n` +
      `<script>document.querySelector('mutation-test-report-app').report = ${json};</script></body></html>\n`,
  );
}

/** A snapshot of the committed tree to run Stryker in (node_modules linked, not copied). */
function snapshot(dir: string): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('sh', ['-c', `git archive HEAD | tar -x -C '${dir}'`], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git archive HEAD failed: ${r.stderr}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--judge') return judgeMutant(argv[1], argv[2]);
  if (argv[0] === '--draw-sample') {
    // Called by the gate command in Stryker's sandbox (cwd) during the initial run.
    const [file, n, seed] = argv.slice(1);
    const ids = instrumentedIds(process.cwd());
    if (!ids.length) throw new Error(`no instrumented mutant ids under ${path.join(process.cwd(), 'emulator')}`);
    const chosen = sampleIds(ids, Number(n), Number(seed));
    fs.writeFileSync(file, `${chosen.join('\n')}\n`);
    fs.writeFileSync(`${file}.total`, String(ids.length));
    console.log(`sample of ${chosen.length} of ${ids.length} mutants (seed ${seed}): ${chosen.join(', ')}`);
    return 0;
  }
  const args = parseArgs(argv);
  const out = args.out;
  if (args.render) return render(out, args.page);
  if (args.recheck) return recheck(out, args.page, args.concurrency);
  const started = Date.now();
  fs.mkdirSync(out, { recursive: true });
  const tree = path.join(out, 'tree');
  const commit = snapshot(tree);
  console.log(`plan:strength: Stryker runs on a snapshot of ${commit} (${path.relative(ROOT, tree)})`);
  const runsFile = path.join(out, 'runs.tsv');
  fs.writeFileSync(runsFile, '');
  const sampleFile = path.join(out, 'sample.txt');
  fs.rmSync(sampleFile, { force: true });
  const jsonFile = path.join(out, 'mutation.json');
  const htmlFile = path.join(out, 'mutation.html');
  const rawJson = args.sample !== undefined ? path.join(out, 'mutation.raw.json') : jsonFile;
  const config = path.join(out, 'stryker.conf.json');
  const sample = args.sample !== undefined ? { file: sampleFile, n: args.sample, seed: args.seed } : undefined;
  fs.writeFileSync(config, JSON.stringify(strykerConfig(gateCommand(sample, runsFile), rawJson, htmlFile, args.concurrency), null, 2));
  runStryker(config, tree);
  let report = readReport(rawJson);
  let total = allMutants(report).length;
  const durations = new Map<string, number>();
  let baselineMs: number | undefined;
  for (const row of fs.readFileSync(runsFile, 'utf8').split('\n').filter(Boolean)) {
    const [id, , ms] = row.split('\t');
    if (id === 'initial') baselineMs = Number(ms);
    else durations.set(id, Number(ms));
  }
  if (args.sample !== undefined) {
    const ids = new Set(fs.readFileSync(sampleFile, 'utf8').split('\n').filter(Boolean));
    total = Number(fs.readFileSync(`${sampleFile}.total`, 'utf8'));
    report = restrictToSample(report, ids, `not in the seeded sample (--sample ${args.sample} --seed ${args.seed})`);
  }
  const flags = [
    ...(args.sample !== undefined ? [`--sample ${args.sample}`, ...(args.seed !== 14 ? [`--seed ${args.seed}`] : [])] : []),
    ...(out !== DEFAULT_OUT ? [`--out ${path.relative(ROOT, out)}`] : []),
    ...(args.page !== STRENGTH_MD ? [`--page ${path.relative(ROOT, args.page)}`] : []),
  ];
  const run: SavedRun = {
    command: `npm run plan:strength${flags.length ? ` -- ${flags.join(' ')}` : ''}`,
    generated: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    ...(args.sample !== undefined ? { seed: args.seed, sample: args.sample } : {}),
    totalMutants: total,
    commit,
    baselineMs,
    wallMs: Date.now() - started,
    durations: Object.fromEntries(durations),
  };
  fs.writeFileSync(jsonFile, JSON.stringify(report));
  writeHtml(report, htmlFile);
  fs.writeFileSync(path.join(out, 'run.json'), JSON.stringify(run, null, 2));
  return render(out, args.page);
}

/** What a run leaves beside Stryker's report, so the page can be rendered again (--render) and its survivors re-run (--recheck). */
export interface SavedRun {
  command: string;
  generated: string;
  seed?: number;
  sample?: number;
  totalMutants: number;
  /** The commit whose emulator was mutated. */
  commit: string;
  /** The commit whose plan (and emulator) re-ran the survivors (--recheck), if any. */
  recheckedAt?: string;
  /** Survivors the last recheck could not find again (their code changed), by id, with why. */
  notRechecked?: Record<string, string>;
  /** Said under the page's title (what a held-out sample is for). Written by hand into run.json. */
  note?: string;
  baselineMs?: number;
  wallMs: number;
  durations: Record<string, number>;
}

function lastRun(out: string, page: string): SavedRun {
  const runJson = path.join(out, 'run.json');
  if (!fs.existsSync(runJson) || !fs.existsSync(path.join(out, 'mutation.json'))) restoreRecord(out, page);
  return JSON.parse(fs.readFileSync(runJson, 'utf8')) as SavedRun;
}

// ---- the run's record beside its page
//
// reports/ is not committed and every checkout starts without it, so a run's page could not be rendered
// again, nor its survivors rechecked, in any other checkout. The record (docs/<page>.json, beside the
// page, as docs/defect-coverage.json is beside its page) keeps what --render and --recheck read: run.json,
// and the run's mutants (not the unsampled ones) with their outcome, their kill summary and, instead of
// the mutated files' text, the hash of each: the text is the run's commit's, read back from git.

/** The record of a run: what --render and --recheck need when reports/ is gone. */
export interface StrengthRecord {
  format: 'poscert-plan-strength-record/1';
  run: SavedRun;
  files: Record<string, { language: string; sha256: string; mutants: ReportMutant[] }>;
}

const RECORD_FORMAT = 'poscert-plan-strength-record/1';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The record file of a page: docs/plan-strength-seed19.md → docs/plan-strength-seed19.json. */
export function recordFileOf(page: string): string {
  return page.replace(/\.md$/, '') + '.json';
}

/** A kill's summary as parseKill reads it (the verdict and the failing case lines), not the whole lean run's output. */
function killSummary(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const kept = reason.split('\n').filter((l) => /^(NOT CERTIFIED|INCONCLUSIVE|CERTIFIED)\b|^\s*[✘!] CUP-[A-Z]{3}-\d{3}/.test(l));
  return kept.length ? kept.slice(0, 6).join('\n') : reason.slice(-300);
}

/** The record of a run and its report: the mutants that ran, each file's text by its hash. */
export function toRecord(run: SavedRun, report: MutationReport): StrengthRecord {
  const files: StrengthRecord['files'] = {};
  for (const [file, f] of Object.entries(report.files)) {
    const mutants = f.mutants
      .filter((m) => m.status !== 'Ignored')
      .map((m) => {
        const reason = killSummary(m.statusReason);
        return {
          id: m.id,
          mutatorName: m.mutatorName,
          replacement: m.replacement,
          location: m.location,
          status: m.status,
          ...(reason ? { statusReason: reason } : {}),
        };
      });
    if (mutants.length) files[file] = { language: f.language, sha256: sha256(f.source), mutants };
  }
  return { format: RECORD_FORMAT, run, files };
}

/** The run and its report again from a record; `source(file)` reads a mutated file as it was at the run's commit. */
export function fromRecord(record: StrengthRecord, source: (file: string) => string): { run: SavedRun; report: MutationReport } {
  if (record.format !== RECORD_FORMAT)
    throw new Error(`not a plan-strength record (format ${JSON.stringify(record.format)}, expected ${RECORD_FORMAT})`);
  const files: MutationReport['files'] = {};
  for (const [file, f] of Object.entries(record.files)) {
    const text = source(file);
    if (sha256(text) !== f.sha256)
      throw new Error(`${file} at commit ${record.run.commit} is not the text the run mutated (its hash differs): the record cannot be used`);
    files[file] = { language: f.language, source: text, mutants: f.mutants };
  }
  return { run: record.run, report: { schemaVersion: '1', thresholds: { high: 80, low: 60 }, files } };
}

function saveRecord(out: string, page: string): void {
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as SavedRun;
  fs.writeFileSync(recordFileOf(page), JSON.stringify(toRecord(run, readReport(path.join(out, 'mutation.json'))), null, 1) + '\n');
}

/** run.json and mutation.json of `out` again from the page's record, each file's text from git at the run's commit. */
function restoreRecord(out: string, page: string): void {
  const file = recordFileOf(page);
  if (!fs.existsSync(file))
    throw new Error(
      `no earlier run to go on: ${path.relative(ROOT, path.join(out, 'run.json'))} is missing and there is no record ${path.relative(ROOT, file)}; run npm run plan:strength -- --sample N first`,
    );
  const record = JSON.parse(fs.readFileSync(file, 'utf8')) as StrengthRecord;
  const { run, report } = fromRecord(record, (f) => {
    const r = spawnSync('git', ['show', `${record.run.commit}:${f}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0)
      throw new Error(`cannot read ${f} at the run's commit ${record.run.commit} (git show: ${r.stderr.trim()}); fetch that commit first`);
    return r.stdout;
  });
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'run.json'), JSON.stringify(run, null, 2));
  fs.writeFileSync(path.join(out, 'mutation.json'), JSON.stringify(report));
  console.log(`plan:strength: ${path.relative(ROOT, out)} restored from ${path.relative(ROOT, file)} (the run at ${run.commit})`);
}

/**
 * The earlier report with the re-run survivors' new outcomes. A mutant the earlier run killed stays
 * killed: the plan only gains checks between the two runs.
 */
export function mergeRecheck(before: MutationReport, recheck: MutationReport, rerun: ReadonlySet<string>): MutationReport {
  const after = new Map(Object.values(recheck.files).flatMap((f) => f.mutants.map((m) => [m.id, m] as const)));
  const files = Object.fromEntries(
    Object.entries(before.files).map(([file, f]) => [
      file,
      {
        ...f,
        mutants: f.mutants.map((m) => {
          const again = rerun.has(m.id) ? after.get(m.id) : undefined;
          return again ? { ...m, status: again.status, statusReason: again.statusReason } : m;
        }),
      },
    ]),
  );
  return { ...before, files };
}

/** One survivor of the last run, found again in the tree to recheck: its mutated file, or why it cannot be re-run. */
export type RecheckJob = { id: string; file: string } & ({ source: string; original: string; moved: number } | { reason: string });

/**
 * The last run's survivors, each found again by its code in the emulator as it is now (`read` gives a
 * file of the tree to recheck, undefined if it is gone) and mutated there as plain text.
 */
export function recheckJobs(before: MutationReport, read: (file: string) => string | undefined): RecheckJob[] {
  return Object.entries(before.files).flatMap(([file, f]) =>
    f.mutants
      .filter((m) => m.status === 'Survived')
      .map((m): RecheckJob => {
        const now = read(file);
        if (now === undefined) return { id: m.id, file, reason: `${file} is gone` };
        if (m.replacement === undefined) return { id: m.id, file, reason: 'the report gives no replacement code' };
        const again = mutateAgain(f.source, now, m.location, m.replacement);
        return 'reason' in again
          ? { id: m.id, file, reason: again.reason }
          : { id: m.id, file, source: again.source, original: now, moved: again.moved };
      }),
  );
}

/** Runs one judge (`--judge`) in a tree, as Stryker's command runner would: exit 0 survived, 1 killed; a timeout kills it. */
function judgeIn(tree: string, runsFile: string, id: string, timeoutMs: number): Promise<{ status: ReportMutant['status']; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/plan-strength.ts', '--judge', runsFile, id], {
      cwd: tree,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const status = timedOut ? 'Timeout' : code === 1 ? 'Killed' : code === 0 ? 'Survived' : 'RuntimeError';
      resolve({ status, output: output.trim() });
    });
  });
}

/**
 * `--recheck`: the last run's survivors re-run against the plan (and emulator) as they are now. Each
 * is applied as text to a snapshot of HEAD (one snapshot per concurrent judge), after a clean lean
 * run has shown the unmutated tree CERTIFIED. A survivor whose code changed is not re-run and keeps
 * its outcome, listed on the page; a judge that itself fails (exit 2) keeps it surviving, as no kill
 * was shown.
 */
async function recheck(out: string, page: string, concurrency: number): Promise<number> {
  const started = Date.now();
  const last = lastRun(out, page);
  const jsonFile = path.join(out, 'mutation.json');
  const before = readReport(jsonFile);
  const trees = Array.from({ length: concurrency }, (_, i) => path.join(out, i ? `tree-${i + 1}` : 'tree'));
  const commit = trees.map((t) => snapshot(t))[0];
  const jobs = recheckJobs(before, (file) =>
    fs.existsSync(path.join(trees[0], file)) ? fs.readFileSync(path.join(trees[0], file), 'utf8') : undefined,
  );
  const runnable = jobs.filter((j): j is Extract<RecheckJob, { source: string }> => 'source' in j);
  const stale = jobs.filter((j): j is Extract<RecheckJob, { reason: string }> => 'reason' in j);
  const moved = runnable.filter((j) => j.moved !== 0).length;
  console.log(
    `plan:strength: re-running ${runnable.length} of the ${jobs.length} survivors of the run at ${last.commit} against ${commit}` +
      ` (${moved} found on other lines; ${stale.length} not found again: ${stale.map((j) => `${j.file} ${j.reason}`).join('; ') || 'none'})`,
  );
  const runsFile = path.join(out, 'runs.recheck.tsv');
  fs.writeFileSync(runsFile, '');
  const clean = await judgeIn(trees[0], runsFile, 'initial', 30 * 60_000);
  if (clean.status !== 'Survived')
    throw new Error(
      `--recheck: the unmutated plan is not CERTIFIED at ${commit} (${clean.output.split('\n').pop()}): a recheck would count every mutant killed`,
    );
  const baselineMs = Number(fs.readFileSync(runsFile, 'utf8').split('\t')[2]);
  // As Stryker (strykerConfig): timeoutFactor × the clean run + timeoutMS.
  const timeoutMs = 2.5 * baselineMs + 60_000;
  const outcomes = new Map<string, { status: ReportMutant['status']; statusReason: string }>();
  let next = 0;
  await Promise.all(
    trees.map(async (tree) => {
      while (next < runnable.length) {
        const job = runnable[next++];
        const file = path.join(tree, job.file);
        fs.writeFileSync(file, job.source);
        try {
          const r = await judgeIn(tree, runsFile, job.id, timeoutMs);
          const status = r.status === 'RuntimeError' ? 'Survived' : r.status;
          const reason = r.status === 'RuntimeError' ? `the recheck's judge failed, no kill shown: ${r.output.slice(-300)}` : r.output;
          outcomes.set(job.id, { status, statusReason: reason });
          console.log(`plan:strength: mutant ${job.id} (${job.file}) ${status}: ${r.output.split('\n').pop()}`);
        } finally {
          fs.writeFileSync(file, job.original);
        }
      }
    }),
  );
  const again: MutationReport = {
    ...before,
    files: Object.fromEntries(
      Object.entries(before.files).map(([file, f]) => [
        file,
        { ...f, mutants: f.mutants.filter((m) => outcomes.has(m.id)).map((m) => ({ ...m, ...outcomes.get(m.id)! })) },
      ]),
    ),
  };
  const report = mergeRecheck(before, again, new Set(outcomes.keys()));
  const durations = new Map<string, number>();
  for (const row of fs.readFileSync(runsFile, 'utf8').split('\n').filter(Boolean)) {
    const [id, , ms] = row.split('\t');
    if (id !== 'initial') durations.set(id, Number(ms));
  }
  const run: SavedRun = {
    ...last,
    recheckedAt: commit,
    ...(stale.length ? { notRechecked: Object.fromEntries(stale.map((j) => [j.id, j.reason])) } : { notRechecked: undefined }),
    durations: { ...last.durations, ...Object.fromEntries(durations) },
    wallMs: last.wallMs + (Date.now() - started),
  };
  fs.writeFileSync(jsonFile, JSON.stringify(report));
  writeHtml(report, path.join(out, 'mutation.html'));
  fs.writeFileSync(path.join(out, 'run.json'), JSON.stringify(run, null, 2));
  for (const t of trees.slice(1)) fs.rmSync(t, { recursive: true, force: true });
  return render(out, page);
}

/** docs/plan-strength.md (or the run's own page) from the last run's report, with the survivor entries as they are now. */
function render(out: string, page: string): number {
  const run = lastRun(out, page);
  const report = readReport(path.join(out, 'mutation.json'));
  const mutants = judgedMutants(report, new Map(Object.entries(run.durations)));
  const md = renderStrength({
    command: run.recheckedAt ? `${run.command}, then npm run plan:strength -- --recheck` : run.command,
    generated: run.generated,
    seed: run.seed,
    sample: run.sample,
    totalMutants: run.totalMutants,
    tree: run.recheckedAt ? `commit ${run.commit} (its survivors re-run against the plan at commit ${run.recheckedAt})` : `commit ${run.commit}`,
    ...(run.note ? { note: run.note } : {}),
    ...(run.notRechecked ? { notRechecked: run.notRechecked } : {}),
    baselineMs: run.baselineMs,
    wallMs: run.wallMs,
    mutants,
  });
  fs.writeFileSync(page, md);
  saveRecord(out, page);
  const killed = mutants.filter((x) => KILLED.has(x.status)).length;
  const survived = mutants.filter((x) => x.status === 'Survived').length;
  console.log(
    `plan:strength: ${killed} killed, ${survived} survived of ${mutants.length} run: score ${pct(killed, killed + survived)} before equivalents are set apart; ` +
      `${path.relative(ROOT, page)}, ${path.relative(ROOT, path.join(out, 'mutation.html'))}`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`plan:strength: ${err.message}`);
      process.exit(2);
    },
  );
}
