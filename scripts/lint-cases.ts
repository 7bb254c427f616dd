// Lint of the certification cases (features/**) and the plans (scenarios/plans/*.yaml).
//
// A certificate is only as good as the identity of its cases: Allure history, plans and the
// defect-coverage table are keyed by the case id tag, so every executable scenario (every pickle)
// must carry exactly one well-formed id, a severity and a level, an id must be declared once per
// language, and a plan must not name a case that does not exist. Also checked: capability tags
// agree with what the steps do (a case that swipes needs @magstripe, one that checks vouchers needs
// @printer), a translation (features/zh-CN) mirrors an English case, and the plan's level and
// applicability agree with the tags.
//
// Usage: node -r ts-node/register/transpile-only scripts/lint-cases.ts  (exit 1 on any error)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import type * as messages from '@cucumber/messages';
import { parsePlan, type CertificationPlan } from '../certification/plan';

export const CASE_ID_TAG = /^@CUP-(ONB|PAY|PIN|VOU|RSK|STL|MSG)-\d{3}$/;
export const AREA_BY_PREFIX: Record<string, string> = {
  ONB: 'onboarding',
  PAY: 'payment',
  PIN: 'pin',
  VOU: 'voucher',
  RSK: 'risk',
  STL: 'settlement',
  MSG: 'messages',
};
export const SEVERITIES = ['blocker', 'critical', 'normal', 'minor', 'trivial'] as const;
export const CAPABILITIES = ['magstripe', 'contact', 'contactless', 'printer', 'pinpad', 'sm4'] as const;
export type Capability = (typeof CAPABILITIES)[number];
const AREA_TAGS = Object.values(AREA_BY_PREFIX).map((a) => `@${a}`);
/**
 * Tags a lab may add freely: requirement links, issue links, work-in-progress markers; and
 * @acquirer-profile, a case judged against the acquirer profile (the 缴费 wire format; steps/support/profile-reads.ts).
 */
const FREE_TAG = /^@(req|issue|tms|jira|wip|manual|flaky)(:.+)?$|^@acquirer-profile$/;
/** Language tag of a translation feature: the profiles select translations by it (cucumber.js). */
const LANGUAGE_TAG = /^@[a-z]{2}-[A-Z]{2}$/;

/** What the steps of a case do that needs a capability. Matched against the pickle's step texts. */
const CAPABILITY_EVIDENCE: Record<Capability, RegExp | null> = {
  magstripe: /\bswip(e|es|ing)\b|刷卡/,
  contact: /\binsert(s|ing)?\b|插卡/,
  contactless: /\btap(s|ping)?\b|挥卡/,
  printer: /\bvouchers?\b|\bcop(y|ies)\b|\bslip\b|\breprint|签购单|存根|每联|签名栏|结算单/,
  pinpad: null, // every UnionPay terminal has a PIN pad; the tag marks PIN-handling cases only
  sm4: /\bSM4\b|"sm4"|国密/i,
};

export interface Finding {
  file: string;
  line?: number;
  caseId?: string;
  message: string;
}

export interface CaseDeclaration {
  id: string; // CUP-PAY-001 (without @)
  language: string; // 'en' or 'zh-CN'
  file: string; // relative to the repo root
  line: number; // of the scenario or the Examples block that declares the id
  title: string;
  area: string; // from the id prefix
  level: 'mandatory' | 'optional';
  severity: string;
  capabilities: Capability[];
  pickles: number; // executable scenarios (outline rows count one each)
  wip: boolean; // tagged @wip: written, not yet in a plan
}

export interface CaseIndex {
  /** English cases by id: the plan's universe. */
  cases: Map<string, CaseDeclaration>;
  /** Translations by language, then id. */
  translations: Map<string, Map<string, CaseDeclaration>>;
  pickleCount: number;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith('.feature')) out.push(p);
  }
  return out.sort();
}

interface ParsedFeature {
  file: string;
  language: string;
  doc: messages.GherkinDocument;
  pickles: readonly messages.Pickle[];
}

function parseFeature(root: string, absFile: string, errors: Finding[]): ParsedFeature | undefined {
  const file = path.relative(root, absFile);
  const newId = IdGenerator.incrementing();
  const parser = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher());
  try {
    const doc = parser.parse(fs.readFileSync(absFile, 'utf8'));
    const pickles = compile(doc, file, newId);
    return { file, language: doc.feature?.language ?? 'en', doc, pickles };
  } catch (err) {
    errors.push({ file, message: `Gherkin syntax: ${(err as Error).message}` });
    return undefined;
  }
}

/** Node ids of scenarios and Examples blocks, with their own tags and location. */
interface Declarer {
  nodeId: string;
  kind: 'scenario' | 'examples';
  tags: readonly messages.Tag[];
  line: number;
  title: string;
}

function declarers(doc: messages.GherkinDocument): Map<string, Declarer> {
  const out = new Map<string, Declarer>();
  const visitScenario = (s: messages.Scenario) => {
    out.set(s.id, { nodeId: s.id, kind: 'scenario', tags: s.tags, line: s.location.line, title: s.name });
    for (const ex of s.examples) {
      out.set(ex.id, { nodeId: ex.id, kind: 'examples', tags: ex.tags, line: ex.location.line, title: `${s.name} — ${ex.name || 'Examples'}` });
      for (const row of ex.tableBody) out.set(row.id, { nodeId: row.id, kind: 'examples', tags: ex.tags, line: row.location.line, title: s.name });
    }
  };
  for (const child of doc.feature?.children ?? []) {
    if (child.scenario) visitScenario(child.scenario);
    for (const rc of child.rule?.children ?? []) if (rc.scenario) visitScenario(rc.scenario);
  }
  return out;
}

/** Reads every feature, checks the per-case rules and returns the case index. */
export function indexCases(root: string, errors: Finding[], warnings: Finding[]): CaseIndex {
  const featuresDir = path.join(root, 'features');
  const cases = new Map<string, CaseDeclaration>();
  const translations = new Map<string, Map<string, CaseDeclaration>>();
  let pickleCount = 0;
  // Where each id is declared (tag node), per language: declared twice = error.
  const declaredAt = new Map<string, { file: string; line: number }>();

  for (const abs of walk(featuresDir)) {
    const parsed = parseFeature(root, abs, errors);
    if (!parsed) continue;
    const { file, language, doc, pickles } = parsed;
    const relToFeatures = path.relative(featuresDir, abs).split(path.sep);
    const folder = relToFeatures.length > 1 ? relToFeatures[0] : '';
    const isTranslation = language !== 'en';
    if (isTranslation && folder !== language) {
      errors.push({ file, message: `a "# language: ${language}" feature belongs under features/${language}/` });
    }
    if (isTranslation && !(doc.feature?.tags ?? []).some((t) => t.name === `@${language}`)) {
      errors.push({ file, message: `a ${language} translation must carry the feature tag @${language} (the zh profile selects translations by it)` });
    }
    if (!isTranslation && !Object.values(AREA_BY_PREFIX).includes(folder)) {
      errors.push({ file, message: `English features live in an area folder: features/{${Object.values(AREA_BY_PREFIX).join(',')}}/` });
    }
    const nodes = declarers(doc);

    // Source-level declarations: an id tag on a scenario or on an Examples block.
    const seenDeclNodes = new Set<string>();
    for (const d of nodes.values()) {
      for (const tag of d.tags) {
        if (!tag.name.startsWith('@CUP-')) continue;
        const key = `${tag.id}`;
        if (seenDeclNodes.has(key)) continue;
        seenDeclNodes.add(key);
        if (!CASE_ID_TAG.test(tag.name)) {
          errors.push({ file, line: tag.location.line, message: `malformed case id ${tag.name}: expected @CUP-{ONB|PAY|PIN|VOU|RSK|STL|MSG}-NNN` });
          continue;
        }
        const id = tag.name.slice(1);
        const dupKey = `${language}:${id}`;
        const prev = declaredAt.get(dupKey);
        if (prev) {
          errors.push({
            file,
            line: tag.location.line,
            caseId: id,
            message: `case id ${id} used twice (${language}): also at ${prev.file}:${prev.line}`,
          });
        } else {
          declaredAt.set(dupKey, { file, line: tag.location.line });
        }
      }
    }
    for (const tag of doc.feature?.tags ?? []) {
      if (tag.name.startsWith('@CUP-'))
        errors.push({ file, line: tag.location.line, message: `case id ${tag.name} on a Feature: put ids on scenarios or Examples blocks` });
    }

    for (const pickle of pickles) {
      pickleCount++;
      const tags = pickle.tags.map((t) => t.name);
      const line = nodes.get(pickle.astNodeIds[pickle.astNodeIds.length - 1])?.line ?? nodes.get(pickle.astNodeIds[0])?.line;
      const where = { file, line };
      const ids = tags.filter((t) => CASE_ID_TAG.test(t));
      if (ids.length === 0) {
        errors.push({ ...where, message: `scenario "${pickle.name}" has no case id tag (@CUP-XXX-NNN)` });
        continue;
      }
      if (ids.length > 1) {
        errors.push({ ...where, message: `scenario "${pickle.name}" has ${ids.length} case ids (${ids.join(' ')}): exactly one` });
        continue;
      }
      const id = ids[0].slice(1);
      const prefix = id.slice(4, 7);
      const area = AREA_BY_PREFIX[prefix];
      if (!isTranslation && folder !== area) {
        errors.push({ ...where, caseId: id, message: `case ${id} is a ${area} case but lives in features/${folder}/` });
      }
      const severities = tags.filter((t) => t.startsWith('@severity:'));
      if (severities.length !== 1 || !SEVERITIES.includes(severities[0].slice(10) as (typeof SEVERITIES)[number])) {
        errors.push({
          ...where,
          caseId: id,
          message: `case ${id} needs exactly one severity tag of @severity:{${SEVERITIES.join('|')}} (has ${severities.join(' ') || 'none'})`,
        });
      }
      const levels = tags.filter((t) => t === '@mandatory' || t === '@optional');
      if (levels.length !== 1) {
        errors.push({ ...where, caseId: id, message: `case ${id} needs exactly one of @mandatory / @optional (has ${levels.join(' ') || 'none'})` });
      }
      const capabilities = CAPABILITIES.filter((c) => tags.includes(`@${c}`));
      for (const t of tags) {
        const known =
          CASE_ID_TAG.test(t) ||
          t.startsWith('@severity:') ||
          t === '@mandatory' ||
          t === '@optional' ||
          CAPABILITIES.includes(t.slice(1) as Capability) ||
          AREA_TAGS.includes(t) ||
          FREE_TAG.test(t) ||
          LANGUAGE_TAG.test(t);
        if (!known) warnings.push({ ...where, caseId: id, message: `unknown tag ${t} on case ${id}` });
      }
      const text = pickle.steps.map((s) => s.text).join('\n');
      for (const cap of CAPABILITIES) {
        const evidence = CAPABILITY_EVIDENCE[cap];
        if (evidence && evidence.test(text) && !capabilities.includes(cap)) {
          errors.push({ ...where, caseId: id, message: `case ${id} ("${pickle.name}") has steps that need @${cap} but is not tagged with it` });
        }
      }
      const decl: CaseDeclaration = {
        id,
        language,
        file,
        line: line ?? 0,
        title: pickle.name,
        area,
        level: levels[0] === '@optional' ? 'optional' : 'mandatory',
        severity: severities[0]?.slice(10) ?? 'normal',
        capabilities,
        pickles: 1,
        wip: tags.includes('@wip'),
      };
      const target = isTranslation ? (translations.get(language) ?? translations.set(language, new Map()).get(language)!) : cases;
      const existing = target.get(id);
      if (existing) {
        existing.pickles++;
        // Rows of one outline share an id; their tags must agree or the plan cannot describe them.
        if (existing.level !== decl.level || existing.severity !== decl.severity || existing.capabilities.join() !== decl.capabilities.join()) {
          errors.push({ ...where, caseId: id, message: `rows of case ${id} disagree on level, severity or capabilities` });
        }
      } else {
        target.set(id, decl);
      }
    }
  }

  for (const [language, byId] of translations) {
    for (const t of byId.values()) {
      const en = cases.get(t.id);
      if (!en) {
        errors.push({
          file: t.file,
          line: t.line,
          caseId: t.id,
          message: `${language} case ${t.id} translates no English case: add it in English first`,
        });
        continue;
      }
      if (en.level !== t.level || en.severity !== t.severity || en.capabilities.join() !== t.capabilities.join()) {
        errors.push({
          file: t.file,
          line: t.line,
          caseId: t.id,
          message:
            `${language} case ${t.id} must carry the same level, severity and capability tags as ${en.file}:${en.line} ` +
            `(${en.level} ${en.severity} [${en.capabilities.join(',')}] vs ${t.level} ${t.severity} [${t.capabilities.join(',')}])`,
        });
      }
    }
  }
  return { cases, translations, pickleCount };
}

export function lintPlan(root: string, planFile: string, index: CaseIndex, errors: Finding[], warnings: Finding[]): CertificationPlan | undefined {
  const file = path.relative(root, planFile);
  let plan: CertificationPlan;
  try {
    plan = parsePlan(fs.readFileSync(planFile, 'utf8'), file);
  } catch (err) {
    errors.push({ file, message: (err as Error).message });
    return undefined;
  }
  for (const w of plan.warnings) warnings.push({ file, message: w });
  if (plan.name !== path.basename(planFile).replace(/\.ya?ml$/, '')) {
    errors.push({ file, message: `plan name "${plan.name}" must match the file name (${plan.name}.yaml): --plan finds plans by file name` });
  }
  for (const entry of plan.cases) {
    const id = entry.id;
    const c = index.cases.get(id);
    if (!c) {
      errors.push({ file, caseId: id, message: `plan ${plan.name} names ${id}, but no scenario has that id` });
      continue;
    }
    const level = entry.mandatory ? 'mandatory' : 'optional';
    if (c.level !== level) {
      errors.push({ file, caseId: id, message: `plan says ${id} is ${level}, the scenario (${c.file}:${c.line}) says @${c.level}` });
    }
    const requires = [...entry.requires].sort().join(',');
    const tagged = [...c.capabilities].sort().join(',');
    if (requires !== tagged) {
      errors.push({
        file,
        caseId: id,
        message: `plan applicability of ${id} [${requires}] differs from the scenario's capability tags [${tagged}] (${c.file}:${c.line})`,
      });
    }
  }
  const listed = new Set(plan.cases.map((c) => c.id));
  for (const [id, c] of index.cases) {
    // @wip cases are written but not yet planned (say why in the feature); others should be planned.
    if (c.wip && listed.has(id))
      errors.push({ file, caseId: id, message: `case ${id} is @wip (${c.file}:${c.line}) but plan ${plan.name} lists it` });
    if (!c.wip && !listed.has(id)) warnings.push({ file, caseId: id, message: `case ${id} is in no entry of plan ${plan.name}` });
  }
  return plan;
}

export interface LintResult {
  errors: Finding[];
  warnings: Finding[];
  index: CaseIndex;
  plans: CertificationPlan[];
}

export function lintCases(root = path.join(__dirname, '..')): LintResult {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const index = indexCases(root, errors, warnings);
  const plansDir = path.join(root, 'scenarios', 'plans');
  const plans: CertificationPlan[] = [];
  const planFiles = fs.existsSync(plansDir)
    ? fs
        .readdirSync(plansDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  if (planFiles.length === 0) errors.push({ file: 'scenarios/plans', message: 'no plan found (expected scenarios/plans/<id>.yaml)' });
  for (const f of planFiles) {
    const plan = lintPlan(root, path.join(plansDir, f), index, errors, warnings);
    if (plan) plans.push(plan);
  }
  return { errors, warnings, index, plans };
}

export function formatFinding(f: Finding): string {
  return `${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`;
}

if (require.main === module) {
  const { errors, warnings, index, plans } = lintCases();
  for (const w of warnings) console.warn(`warning: ${formatFinding(w)}`);
  for (const e of errors) console.error(`error: ${formatFinding(e)}`);
  const langs = [...index.translations.entries()].map(([l, m]) => `${m.size} ${l}`).join(', ');
  console.log(
    `lint-cases: ${index.cases.size} cases (${index.pickleCount} executable scenarios incl. translations${langs ? `; translated: ${langs}` : ''}), ` +
      `${plans.length} plan(s), ${errors.length} error(s), ${warnings.length} warning(s)`,
  );
  process.exit(errors.length ? 1 : 0);
}
