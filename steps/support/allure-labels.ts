/**
 * Allure wiring for the certification suite (owned by the certification layer, see issue 7).
 *
 * - `import 'allure-cucumberjs'` installs the allure runtime in every worker, without which the
 *   allure-js-commons calls below do nothing (toolchain.md gotcha 5).
 * - A Before hook labels each result from the scenario's tags: epic = area, feature, story,
 *   severity, the case id (also the Allure testCaseId, so history is keyed by case id and outline
 *   row, not by title), parent suite / suite, and links from requirement tags (`@req:…`, `@spec:…`,
 *   `@issue:…`). It is named ALLURE_FIXTURE_IGNORE so allure-cucumberjs applies it to the test itself
 *   (testCaseId cannot be set from a fixture).
 * - A definition-function wrapper attaches the outcome the original error's class declares
 *   (certification/results outcomeMarker, errors.ts classifyOutcome) as an outcome marker, because
 *   the cucumber message stream only carries the error's class name and message.
 */
import 'allure-cucumberjs';
import * as allure from 'allure-js-commons';
import { After, Before, setDefinitionFunctionWrapper } from '@cucumber/cucumber';
import { OUTCOME_MEDIA_TYPE, TERMINAL_MEDIA_TYPE, outcomeMarker } from '../../certification/results';
import { PICKLE_LABEL } from '../../certification/allure';
import { areaOf, severityOf } from '../../certification/verdict';
import { renderVoucherSlips, type SlipCopy } from '../../certification/voucher-slip';
import { EvidenceMasker } from '../../drivers/masking';
import { CASE_ID_TAG } from '../../certification/results';

/** `@req:CUP-8583-6.2` → link; the URL template comes from POSCERT_REQUIREMENT_URL (`%s` = id). */
const LINK_TAG = /^@(req|requirement|spec|issue|tms):(.+)$/;

Before({ name: 'ALLURE_FIXTURE_IGNORE' }, async function ({ pickle, gherkinDocument }) {
  const tags = pickle.tags.map((t) => t.name);
  const caseId = tags.map((t) => CASE_ID_TAG.exec(t)?.[1]).find((x) => !!x);
  const area = areaOf(caseId, pickle.uri);
  const labels: Array<{ name: string; value: string }> = [
    { name: 'epic', value: area },
    { name: 'parentSuite', value: area },
    { name: PICKLE_LABEL, value: pickle.id },
  ];
  const featureName = gherkinDocument.feature?.name;
  if (featureName) labels.push({ name: 'suite', value: featureName });
  labels.push({ name: 'story', value: caseId ? `${caseId} ${pickle.name}` : pickle.name });
  const severity = severityOf(tags);
  if (severity) labels.push({ name: 'severity', value: severity });
  if (caseId) labels.push({ name: 'AS_ID', value: caseId }, { name: 'caseId', value: caseId });
  await allure.labels(...labels);
  if (caseId) await allure.testCaseId(caseId);

  const template = process.env.POSCERT_REQUIREMENT_URL;
  for (const t of tags) {
    const m = LINK_TAG.exec(t);
    if (!m) continue;
    const [, kind, id] = m;
    const type = kind === 'issue' ? 'issue' : kind === 'tms' ? 'tms' : 'requirement';
    const url = template ? template.replace('%s', encodeURIComponent(id)) : `requirement:${id}`;
    await allure.link(url, `${kind} ${id}`, type);
  }
});

/**
 * Which terminal ran the scenario (parallel workers each have their own): read by the certificate
 * (units), removed from the Allure results. Defined first, so it runs after the suite's After hooks.
 */
After(
  { name: 'ALLURE_FIXTURE_IGNORE' },
  function (this: { lab?: { identity?: Record<string, unknown>; terminalId?: string }; attach?: (d: string, m: string) => unknown }) {
    const identity = this.lab?.identity;
    if (!identity || typeof this.attach !== 'function') return;
    const caps = identity.capabilities;
    this.attach(
      JSON.stringify({
        vendor: identity.vendor,
        model: identity.model,
        serialNumber: identity.serialNumber,
        firmware: identity.firmwareVersion,
        ttp: identity.ttp,
        capabilities: Array.isArray(caps)
          ? caps
          : Object.entries((caps ?? {}) as Record<string, boolean>)
              .filter(([, v]) => v)
              .map(([k]) => k)
              .sort(),
        terminalId: this.lab?.terminalId,
      }),
      TERMINAL_MEDIA_TYPE,
    );
  },
);

/** The voucher copies of the scenario also as the printed slip looks, masked (the text copies come from the suite's hook). */
After(
  { name: 'ALLURE_FIXTURE_IGNORE' },
  function (this: {
    driver?: { receipts?: () => SlipCopy[] };
    earlierVouchers?: SlipCopy[];
    attach?: (d: string, o: { mediaType: string; fileName: string }) => unknown;
  }) {
    let copies: SlipCopy[] = [];
    try {
      copies = [...(this.earlierVouchers ?? []), ...(this.driver?.receipts?.() ?? [])];
    } catch {
      return; // no driver (the lab did not start): nothing was printed
    }
    if (copies.length && typeof this.attach === 'function') {
      // A defective terminal may print the full PAN or track data: evidence shows it masked (the
      // voucher case reports the defect; the report itself must not carry the number).
      const masker = new EvidenceMasker();
      const masked = copies.map((c) => ({ ...c, lines: c.lines.map((l) => masker.maskText(l)) }));
      this.attach(renderVoucherSlips(masked), { mediaType: 'text/html', fileName: 'vouchers (as printed).html' });
    }
  },
);

type AnyFn = (...args: unknown[]) => unknown;

interface Attachable {
  attach?: (data: string, mediaType: string) => unknown;
}

function mark(world: unknown, err: unknown): void {
  const target = world as Attachable | undefined;
  if (!target || typeof target.attach !== 'function') return; // BeforeAll/AfterAll: no World
  try {
    target.attach(JSON.stringify(outcomeMarker(err)), OUTCOME_MEDIA_TYPE);
  } catch {
    // The marker is a refinement; without it the exception class decides.
  }
}

setDefinitionFunctionWrapper((fn: AnyFn) => {
  return function wrapped(this: unknown, ...args: unknown[]): unknown {
    let out: unknown;
    try {
      out = fn.apply(this, args);
    } catch (err) {
      mark(this, err);
      throw err;
    }
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      return (out as Promise<unknown>).then(undefined, (err: unknown) => {
        mark(this, err);
        throw err;
      });
    }
    return out;
  };
});
