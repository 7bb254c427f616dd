/**
 * The tidying of allure-cucumberjs output after a run (marker attachments out, After-hook evidence
 * moved onto the test). Split out of certification/certify.ts (issue 11: no file over 500 lines):
 * it is a rewrite of Allure result files, its own concern, used by the report generation
 * (finish.ts); certify.ts re-exports it unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { maskSensitiveText } from '../crypto/masking';
import { OUTCOME_MEDIA_TYPE, TERMINAL_MEDIA_TYPE } from './results';

interface AllureNode {
  name?: string;
  attachments?: Array<{ name?: string; type?: string; source?: string }>;
  steps?: AllureNode[];
  statusDetails?: { message?: string; trace?: string };
}

/**
 * Tidies allure-cucumberjs output for readers of the report:
 * - drops the harness's marker attachments (outcome, terminal identity: they feed the certificate);
 * - moves the evidence attached by After hooks (transcript, 8583 journal, screens, vouchers, ledger)
 *   from the tear-down fixture to the test itself, so it is listed on the case's page, not folded
 *   away under "Tear down".
 * allure-cucumberjs wraps each cucumber attachment in a step of the same name; such wrappers go too.
 */
export function tidyAllureResults(resultsDir: string): void {
  if (!fs.existsSync(resultsDir)) return;
  const markerTypes = new Set([OUTCOME_MEDIA_TYPE, TERMINAL_MEDIA_TYPE]);
  const isWrapper = (s: AllureNode) =>
    (s.steps?.length ?? 0) === 0 && (s.attachments?.length ?? 0) > 0 && s.attachments!.every((a) => a.name === s.name);
  const dropMarkers = (node: AllureNode): boolean => {
    let changed = false;
    // Step messages quote the same failures as the test's (masked in alignResults).
    for (const k of ['message', 'trace'] as const) {
      const v = node.statusDetails?.[k];
      if (v && maskSensitiveText(v) !== v) {
        node.statusDetails![k] = maskSensitiveText(v);
        changed = true;
      }
    }
    if (node.attachments) {
      const keep = node.attachments.filter((a) => {
        if (!a.type || !markerTypes.has(a.type)) return true;
        if (a.source) fs.rmSync(path.join(resultsDir, a.source), { force: true });
        return false;
      });
      changed = keep.length !== node.attachments.length;
      node.attachments = keep;
    }
    if (node.steps) {
      for (const s of node.steps) changed = dropMarkers(s) || changed;
      const before = node.steps.length;
      // The wrapper step of a removed marker is named 'Attachment' (markers have no file name).
      node.steps = node.steps.filter((s) => (s.steps?.length ?? 0) > 0 || (s.attachments?.length ?? 0) > 0 || s.name !== 'Attachment');
      changed = changed || node.steps.length !== before;
    }
    return changed;
  };
  /** Takes every attachment out of a fixture (and its wrapper steps). */
  const takeAttachments = (node: AllureNode): NonNullable<AllureNode['attachments']> => {
    const taken = [...(node.attachments ?? [])];
    node.attachments = [];
    for (const s of node.steps ?? []) taken.push(...takeAttachments(s));
    node.steps = (node.steps ?? []).filter(
      (s) => !(isWrapper(s) || ((s.steps?.length ?? 0) === 0 && (s.attachments?.length ?? 0) === 0 && taken.some((a) => a.name === s.name))),
    );
    return taken;
  };

  const files = fs.readdirSync(resultsDir);
  const results = new Map<string, { file: string; data: AllureNode & { uuid: string }; changed: boolean }>();
  for (const f of files.filter((x) => x.endsWith('-result.json'))) {
    const file = path.join(resultsDir, f);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as AllureNode & { uuid: string };
    results.set(data.uuid, { file, data, changed: dropMarkers(data) });
  }
  for (const f of files.filter((x) => x.endsWith('-container.json'))) {
    const file = path.join(resultsDir, f);
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as { children?: string[]; befores?: AllureNode[]; afters?: AllureNode[] };
    let changed = false;
    for (const fx of [...(c.befores ?? []), ...(c.afters ?? [])]) changed = dropMarkers(fx) || changed;
    const evidence = (c.afters ?? []).flatMap((fx) => takeAttachments(fx));
    if (evidence.length) {
      changed = true;
      for (const child of c.children ?? []) {
        const r = results.get(child);
        if (!r) continue;
        r.data.attachments = [...(r.data.attachments ?? []), ...evidence];
        r.changed = true;
      }
    }
    if (changed) fs.writeFileSync(file, JSON.stringify(c));
  }
  for (const r of results.values()) if (r.changed) fs.writeFileSync(r.file, JSON.stringify(r.data));
}
