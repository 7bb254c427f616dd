// cucumber-js profiles. Runs use ts-node in transpile-only mode; `npm run typecheck` is the type check.
const common = {
  requireModule: ['ts-node/register/transpile-only'],
  require: ['steps/**/*.ts'],
  forceExit: true,
};
module.exports = {
  default: { ...common, paths: ['features/**/*.feature'], format: ['progress'] },
};
