/**
 * Certification plans (scenarios/plans/*.yaml): which case ids a terminal must pass (mandatory) or
 * may pass (optional), and which terminal capabilities make a case applicable. The plan, not the
 * feature files, decides what a certificate covers: a case the plan names but no scenario runs is
 * reported, never silently dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PlanInvalidError, PlanNotFoundError } from './errors';

/**
 * Capabilities a terminal declares in its TTP `hello` (DESIGN.md, TTP commands), with the TTP 1.1
 * flags (pinInjection, textEntry, keyLoading, tamperSimulation; docs/terminal-test-protocol.md §10):
 * a case that requires one the terminal lacks is skipped as not applicable.
 */
export const KNOWN_CAPABILITIES = [
  'magstripe',
  'contact',
  'contactless',
  'printer',
  'pinpad',
  'sm4',
  'pinInjection',
  'textEntry',
  'keyLoading',
  'tamperSimulation',
] as const;

export interface PlanCase {
  /** Stable case id, the scenario's tag without `@` (e.g. `CUP-PAY-001`). */
  readonly id: string;
  readonly mandatory: boolean;
  /** Capabilities the terminal must declare for the case to apply. */
  readonly requires: readonly string[];
  readonly title?: string;
}

export interface CertificationPlan {
  readonly name: string;
  readonly version: string;
  readonly title?: string;
  readonly cases: readonly PlanCase[];
  /** The file it was read from (for messages and the certificate). */
  readonly source: string;
  /** Non-fatal remarks, e.g. a capability that no TTP terminal can declare. */
  readonly warnings: readonly string[];
}

const caseSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'a case id is letters, digits, "-", "_", "." or ":" (the scenario tag without @)'),
    mandatory: z.boolean(),
    requires: z.array(z.string().min(1)).optional(),
    title: z.string().optional(),
  })
  .passthrough();

const planSchema = z
  .object({
    name: z.string().min(1),
    version: z.union([z.string().min(1), z.number()]),
    title: z.string().optional(),
    description: z.string().optional(),
    cases: z.array(caseSchema).min(1, 'a plan needs at least one case'),
  })
  .passthrough();

/** The plans folder of a project root. */
export function plansDirectory(root: string): string {
  return path.join(root, 'scenarios', 'plans');
}

/** Names of the plans available under scenarios/plans (file names without .yaml/.yml). */
export function listPlans(root: string): string[] {
  const dir = plansDirectory(root);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort();
}

/** Where a plan given by name (`unionpay-pos`) or by path (`./my-plan.yaml`) lives. */
export function resolvePlanPath(nameOrPath: string, root: string): string {
  const looksLikePath = nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath);
  const candidates = looksLikePath
    ? [path.resolve(root, nameOrPath)]
    : [path.join(plansDirectory(root), `${nameOrPath}.yaml`), path.join(plansDirectory(root), `${nameOrPath}.yml`)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    const available = listPlans(root);
    throw new PlanNotFoundError(
      `certification plan "${nameOrPath}" not found (looked for ${candidates.map((c) => path.relative(root, c) || c).join(', ')}); ` +
        (available.length ? `available plans: ${available.join(', ')}` : `no plans in ${path.relative(root, plansDirectory(root))}/`),
      { plan: nameOrPath, candidates, available },
    );
  }
  return found;
}

/** Parses and validates plan text. `source` names the file in errors. */
export function parsePlan(text: string, source: string): CertificationPlan {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PlanInvalidError(`plan ${source} is not valid YAML: ${(err as Error).message}`, { source });
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const where = i.path.length ? i.path.join('.') : '(top level)';
      const entry =
        i.path[0] === 'cases' && typeof i.path[1] === 'number'
          ? ` (case ${JSON.stringify((raw as { cases?: Array<{ id?: unknown }> }).cases?.[i.path[1] as number]?.id ?? `#${i.path[1]}`)})`
          : '';
      return `${where}${entry}: ${i.message}`;
    });
    throw new PlanInvalidError(`plan ${source} is invalid: ${issues.join('; ')}`, { source, issues });
  }
  const p = parsed.data;
  const seen = new Map<string, number>();
  const warnings: string[] = [];
  p.cases.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) {
      throw new PlanInvalidError(`plan ${source} lists case ${c.id} twice (cases #${first + 1} and #${i + 1}); each case id may appear once`, {
        source,
        caseId: c.id,
      });
    }
    seen.set(c.id, i);
    for (const cap of c.requires ?? []) {
      if (!(KNOWN_CAPABILITIES as readonly string[]).includes(cap)) {
        warnings.push(
          `case ${c.id} requires capability "${cap}", which is not one a terminal declares in TTP hello ` +
            `(${KNOWN_CAPABILITIES.join(', ')}); the case will be skipped unless the terminal declares it`,
        );
      }
    }
  });
  return {
    name: p.name,
    version: String(p.version),
    title: p.title,
    cases: p.cases.map((c) => ({ id: c.id, mandatory: c.mandatory, requires: [...(c.requires ?? [])], title: c.title })),
    source,
    warnings,
  };
}

/** Loads a plan by name (scenarios/plans/NAME.yaml) or path. */
export function loadPlan(nameOrPath: string, root: string): CertificationPlan {
  const file = resolvePlanPath(nameOrPath, root);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanNotFoundError(`cannot read plan ${file}: ${(err as Error).message}`, { file });
  }
  return parsePlan(text, path.relative(root, file) || file);
}

/** The capabilities a case needs that the terminal does not declare (empty: applicable). */
export function missingCapabilities(planCase: PlanCase, declared: readonly string[]): string[] {
  return planCase.requires.filter((c) => !declared.includes(c));
}

/**
 * A cucumber tag expression selecting exactly the plan's applicable cases, so scenarios outside
 * the plan (drafts, lab-specific extras) never run in a certification.
 */
export function planTagExpression(caseIds: readonly string[]): string | undefined {
  if (caseIds.length === 0) return undefined;
  return `(${caseIds.map((id) => `@${id}`).join(' or ')})`;
}
