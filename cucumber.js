// cucumber-js profiles. Runs use ts-node in transpile-only mode; `npm run typecheck` is the type check.
//
// Which features run: the English cases under features/<area>/; with POSCERT_LANG=zh-CN (or the
// `zh` profile) the 简体中文 translations under features/zh-CN/ replace the English scenario of the
// same case id, and the other cases still run in English, so both languages cover the whole plan.
//
// Where the terminal comes from is the environment's business (steps/support/lab.ts):
// POSCERT_TERMINAL (emulator | lab:NAME | link URL), POSCERT_DEFECTS, POSCERT_LANG, POSCERT_PLAN.
const fs = require('node:fs');
const path = require('node:path');

// messages last: CUP-MSG-001 then judges the traffic of every case before it on its worker.
const AREAS = ['onboarding', 'payment', 'pin', 'voucher', 'risk', 'settlement', 'messages'];
const englishPaths = AREAS.map((a) => `features/${a}/**/*.feature`);

/** Case ids that have a translation in features/<lang>/ (read from the tags, no Gherkin parse needed). */
function translatedIds(lang) {
  const dir = path.join(__dirname, 'features', lang);
  if (!fs.existsSync(dir)) return [];
  const ids = new Set();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.feature'))) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/@(CUP-[A-Z]{3}-\d{3})\b/g)) ids.add(m[1]);
  }
  return [...ids].sort();
}

/** English cases without a translation, plus the translations. */
function language(lang) {
  if (lang === 'en') return { paths: englishPaths };
  const ids = translatedIds(lang);
  // The translations go before messages, so that CUP-MSG-001 still judges their traffic too.
  const last = englishPaths.length - 1;
  return {
    paths: [...englishPaths.slice(0, last), `features/${lang}/**/*.feature`, englishPaths[last]],
    // A pickle's uri is not taggable, so exclude the translated ids from the English files by name.
    tags: ids.length ? `not (${ids.map((id) => `@${id}`).join(' or ')}) or @${lang}` : undefined,
  };
}

const common = {
  requireModule: ['ts-node/register/transpile-only'],
  require: ['steps/**/*.ts'],
  forceExit: true,
};

const lang = process.env.POSCERT_LANG || 'en';
// @wip cases are written but not in a plan yet (the feature says why); they run only when asked for.
const withLang = (l, extra) => {
  const sel = language(l);
  const tags = [sel.tags && `(${sel.tags})`, 'not @wip'].filter(Boolean).join(' and ');
  return { ...common, paths: sel.paths, tags, ...extra };
};

module.exports = {
  default: withLang(lang, { format: ['progress'] }),
  // The plan in 简体中文 where a translation exists.
  zh: withLang('zh-CN', { format: ['progress'] }),
  // CI: machine-readable results for certification/ (verdicts, certificate) next to the progress dots.
  ci: withLang(lang, { format: ['progress', 'message:reports/cucumber-messages.ndjson', 'junit:reports/cucumber-junit.xml'] }),
  // npm test's self-certification: short timeouts (the emulator has no delays), one line per failure.
  test: withLang(lang, {
    format: ['summary'],
    worldParameters: { screenTimeoutMs: 3000, hostResponseTimeoutMs: 600, responseTimeoutMs: 3000 },
  }),
};
