/**
 * The certification layer: plans, verdicts, the certificate, Allure metadata and the
 * sensitive-data scan (DESIGN.md). `certify` and `mergeRuns` are what the CLI calls.
 */
export * from './errors';
export * from './plan';
export * from './results';
export * from './verdict';
export * from './certificate';
export * from './junit';
export * from './sensitive-scan';
export * from './allure';
export * from './voucher-slip';
export { runCucumber, cucumberArgs, cucumberBinary } from './runner';
export type { CucumberRunOptions, CucumberRunOutcome } from './runner';
export { certify, mergeRuns, outputPaths, newRunId, parseShard, progressLine, defaultSecretFiles, RUN_MANIFEST, MESSAGES_FILE } from './certify';
export type { CertifyOptions, CertifyOutcome, MergeOptions, OutputPaths, RunManifest } from './certify';
