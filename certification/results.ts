/**
 * Scenario results from cucumber's message stream (NDJSON, `--format message`). The stream is the
 * single source of truth for the certificate: it is what cucumber itself emits, it is the same
 * whether the run was serial, `--parallel N` or one shard of several, and shards' streams merge by
 * simple concatenation of their results.
 *
 * Outcomes follow DESIGN.md: *failed* only when the terminal violated a requirement; *broken* when
 * the harness could not judge (link down, TTP timeout, undefined step, crashed worker); *skipped*
 * with a reason. The step wrapper in steps/support/allure-labels.ts attaches an outcome marker
 * (OUTCOME_MEDIA_TYPE, built by outcomeMarker) with the outcome the original error's class declares
 * (errors.ts classifyOutcome); without a marker only an assertion error is recognisable by its name.
 */
import { classifyOutcome, classifySerialisedError, type BrokenKind } from '../errors';
import { maskSensitiveText } from '../crypto/masking';
import { MessageStreamError } from './errors';

export type { BrokenKind } from '../errors';

/** Attachment media type carrying `{outcome, brokenKind?, errorName?, code?, reason?}` from the step wrapper. */
export const OUTCOME_MEDIA_TYPE = 'application/vnd.poscert.outcome+json';
/**
 * Attachment media type carrying the terminal-profile values a scenario depended on
 * (ScenarioDependence: what its steps and the driver read, plus the acquirer profile for a case
 * tagged ACQUIRER_PROFILE_TAG), attached by steps/support/profile-reads.ts.
 */
export const PROFILE_MEDIA_TYPE = 'application/vnd.poscert.profile-dependence+json';
/** Tag of a case whose judgement rests on the acquirer profile (the 缴费 wire format: no single rule, cup8583.md §3.12). */
export const ACQUIRER_PROFILE_TAG = '@acquirer-profile';

/** The profile values a scenario depended on; `acquirer` names the acquirer profile when one of them is its. */
export interface ScenarioDependence {
  dependsOn: Array<{ key: string; value: string }>;
  acquirer?: string;
}

/** Attachment media type carrying the identity of the terminal that ran a scenario (TerminalIdentity). */
export const TERMINAL_MEDIA_TYPE = 'application/vnd.poscert.terminal+json';

export type ScenarioStatus = 'passed' | 'failed' | 'broken' | 'skipped';

export interface TerminalIdentity {
  vendor?: string;
  model?: string;
  serialNumber?: string;
  firmware?: string;
  ttp?: string;
  capabilities?: string[];
  link?: string;
  terminalId?: string;
}

export interface FailingCheck {
  /** The Gherkin step (keyword + text), or the hook that failed. */
  step: string;
  /** The assertion or error message (first lines, ANSI stripped). */
  message: string;
  /** The error's class, when known. */
  errorType?: string;
  /** For broken results: why the harness could not judge (the error class's declared kind). */
  brokenKind?: BrokenKind;
}

export interface ScenarioResult {
  /** Stable within one stream; prefixed by the stream index when several streams are merged. */
  pickleId: string;
  caseId?: string;
  title: string;
  uri: string;
  line?: number;
  feature?: string;
  tags: string[];
  /** Outline row values (header → cell) when the scenario came from Examples. */
  parameters: Record<string, string>;
  status: ScenarioStatus;
  reason?: string;
  firstFailure?: FailingCheck;
  durationMs: number;
  attempts: number;
  workerId?: string;
  startedAt?: string;
  terminal?: TerminalIdentity;
  /** The terminal-profile values the scenario depended on (absent when it read none). */
  profile?: ScenarioDependence;
}

export interface RunResults {
  scenarios: ScenarioResult[];
  /** ISO time of the first testRunStarted and the last testRunFinished across streams. */
  startedAt?: string;
  finishedAt?: string;
  /** False when a stream did not reach testRunFinished (crash, kill) or reported a run-level error. */
  complete: boolean;
  /** Run-level problems: support code failed to load, a BeforeAll hook failed, a truncated stream. */
  runErrors: string[];
  cucumberVersion?: string;
  /** Pickles in the streams that never started (e.g. the run aborted before them). */
  notStarted: ScenarioResult[];
}

// Loose shapes of the cucumber messages we read (cucumber 12 / messages 27+).
interface Tag {
  name: string;
}
interface Timestamp {
  seconds: number;
  nanos: number;
}
interface Duration {
  seconds: number;
  nanos: number;
}
interface StepResult {
  status: string;
  message?: string;
  exception?: { type: string; message?: string; stackTrace?: string };
  duration?: Duration;
}
interface GherkinStep {
  id: string;
  keyword: string;
  text: string;
}
interface ExamplesNode {
  tableHeader?: { cells: Array<{ value: string }> };
  tableBody: Array<{ id: string; cells: Array<{ value: string }> }>;
}
interface ScenarioNode {
  id: string;
  name: string;
  steps: GherkinStep[];
  examples?: ExamplesNode[];
  location?: { line: number };
}
interface FeatureChild {
  scenario?: ScenarioNode;
  background?: { steps: GherkinStep[] };
  rule?: { children?: FeatureChild[] };
}
interface GherkinDocument {
  uri?: string;
  feature?: { name: string; tags?: Tag[]; children: FeatureChild[] };
}
interface Pickle {
  id: string;
  uri: string;
  name: string;
  tags: Tag[];
  astNodeIds: string[];
  steps: Array<{ id: string; text: string; astNodeIds: string[] }>;
}
interface TestCase {
  id: string;
  pickleId: string;
  testSteps: Array<{ id: string; pickleStepId?: string; hookId?: string }>;
}
interface Hook {
  id: string;
  name?: string;
  tagExpression?: string;
  type?: string;
}
interface Attachment {
  testCaseStartedId?: string;
  testStepId?: string;
  body: string;
  mediaType: string;
  contentEncoding?: string;
}
export interface Envelope {
  meta?: { implementation?: { name: string; version?: string } };
  gherkinDocument?: GherkinDocument;
  pickle?: Pickle;
  hook?: Hook;
  testCase?: TestCase;
  testRunStarted?: { timestamp: Timestamp };
  testCaseStarted?: { id: string; testCaseId: string; attempt: number; workerId?: string; timestamp: Timestamp };
  testStepFinished?: { testCaseStartedId: string; testStepId: string; testStepResult: StepResult };
  testCaseFinished?: { testCaseStartedId: string; willBeRetried: boolean; timestamp: Timestamp };
  attachment?: Attachment;
  testRunFinished?: { success: boolean; timestamp: Timestamp; exception?: { type: string; message?: string }; message?: string };
  [other: string]: unknown;
}

/** Case id tag: upper-case segments joined by "-" ending in digits (`@CUP-PAY-001`). */
export const CASE_ID_TAG = /^@([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+)$/;

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Splits NDJSON text into envelopes; a bad line names its number. A truncated last line is tolerated. */
export function parseMessageStream(text: string, source = 'message stream'): { envelopes: Envelope[]; truncated: boolean } {
  const envelopes: Envelope[] = [];
  const lines = text.split('\n');
  let truncated = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      envelopes.push(JSON.parse(line) as Envelope);
    } catch (err) {
      // A worker killed mid-write leaves a partial last line: the run is incomplete, not unreadable.
      if (i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '')) {
        truncated = true;
        continue;
      }
      throw new MessageStreamError(`${source}: line ${i + 1} is not a JSON message (${(err as Error).message})`, { source, line: i + 1 });
    }
  }
  return { envelopes, truncated };
}

function toIso(ts?: Timestamp): string | undefined {
  if (!ts) return undefined;
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();
}
function toMs(ts: Timestamp): number {
  return ts.seconds * 1000 + ts.nanos / 1e6;
}
function durationMs(d?: Duration): number {
  return d ? d.seconds * 1000 + d.nanos / 1e6 : 0;
}

/** First lines of an error message, without colour codes, bounded in size, PANs masked. */
export function summariseMessage(message: string | undefined, maxChars = 600): string {
  if (!message) return '';
  const clean = maskSensitiveText(message.replace(ANSI, ''));
  // Drop the stack: lines starting with "at " after the message.
  const kept: string[] = [];
  for (const line of clean.split('\n')) {
    if (/^\s+at\s/.test(line)) break;
    kept.push(line.trimEnd());
    if (kept.length >= 12) break;
  }
  let out = kept.join('\n').trim();
  if (out.length > maxChars) out = `${out.slice(0, maxChars - 1)}…`;
  return out;
}

/**
 * The outcome marker the step wrapper attaches for a step's error: the outcome and broken kind its
 * class declares, with the class name and code for the report.
 */
export function outcomeMarker(err: unknown): MarkerOutcome {
  const declared = classifyOutcome(err);
  const e = (err && typeof err === 'object' ? err : {}) as { name?: unknown; code?: unknown; constructor?: { name?: string } };
  const errorName = typeof e.name === 'string' ? e.name : e.constructor?.name;
  return {
    outcome: declared.outcome,
    ...(declared.outcome === 'broken' ? { brokenKind: declared.brokenKind } : {}),
    ...(errorName ? { errorName } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}

export interface MarkerOutcome {
  outcome: ScenarioStatus;
  brokenKind?: BrokenKind;
  errorName?: string;
  code?: string;
  reason?: string;
}

function decodeBody(att: Attachment): string {
  return att.contentEncoding === 'BASE64' ? Buffer.from(att.body, 'base64').toString('utf8') : att.body;
}

/**
 * Incremental reader of one message stream: feed envelopes as they arrive (live progress) and get
 * each scenario's final result when its last attempt finishes.
 */
export class ResultCollector {
  private readonly scenarios = new Map<string, { node: ScenarioNode; feature?: string; featureTags: Tag[] }>();
  private readonly gherkinSteps = new Map<string, GherkinStep>();
  private readonly rows = new Map<string, { header: string[]; cells: string[] }>();
  private readonly pickles = new Map<string, Pickle>();
  private readonly hooks = new Map<string, Hook>();
  private readonly testCases = new Map<string, TestCase>();
  private readonly started = new Map<string, { testCaseId: string; attempt: number; workerId?: string; at: Timestamp }>();
  private readonly stepResults = new Map<string, Array<{ testStepId: string; result: StepResult }>>();
  private readonly markers = new Map<string, Array<{ testStepId?: string; marker: MarkerOutcome }>>();
  private readonly terminals = new Map<string, TerminalIdentity>();
  private readonly dependences = new Map<string, ScenarioDependence>();
  private readonly finalByPickle = new Map<string, ScenarioResult>();
  private readonly attemptsByPickle = new Map<string, number>();
  private sawFinished = false;
  startedAt?: number;
  finishedAt?: number;
  cucumberVersion?: string;
  readonly runErrors: string[] = [];

  constructor(
    private readonly source: string,
    private readonly prefix = '',
  ) {}

  /** Number of test cases cucumber planned (known once every testCase message has arrived). */
  get plannedCount(): number {
    return this.testCases.size;
  }

  add(env: Envelope): ScenarioResult | undefined {
    if (env.meta?.implementation?.name === 'cucumber-js') this.cucumberVersion = env.meta.implementation.version;
    if (env.gherkinDocument) {
      const doc = env.gherkinDocument;
      if (doc.feature) this.indexChildren(doc.feature.children, doc.feature);
    } else if (env.pickle) {
      this.pickles.set(env.pickle.id, env.pickle);
    } else if (env.hook) {
      this.hooks.set(env.hook.id, env.hook);
    } else if (env.testCase) {
      this.testCases.set(env.testCase.id, env.testCase);
    } else if (env.testRunStarted) {
      const t = toMs(env.testRunStarted.timestamp);
      this.startedAt = this.startedAt === undefined ? t : Math.min(this.startedAt, t);
    } else if (env.testCaseStarted) {
      const s = env.testCaseStarted;
      this.started.set(s.id, { testCaseId: s.testCaseId, attempt: s.attempt, workerId: s.workerId, at: s.timestamp });
    } else if (env.testStepFinished) {
      const f = env.testStepFinished;
      const list = this.stepResults.get(f.testCaseStartedId) ?? [];
      list.push({ testStepId: f.testStepId, result: f.testStepResult });
      this.stepResults.set(f.testCaseStartedId, list);
    } else if (env.attachment) {
      const a = env.attachment;
      if (!a.testCaseStartedId) return undefined;
      if (a.mediaType === OUTCOME_MEDIA_TYPE) {
        try {
          const marker = JSON.parse(decodeBody(a)) as MarkerOutcome;
          const list = this.markers.get(a.testCaseStartedId) ?? [];
          list.push({ testStepId: a.testStepId, marker });
          this.markers.set(a.testCaseStartedId, list);
        } catch {
          /* an unreadable marker falls back to the exception rule */
        }
      } else if (a.mediaType === TERMINAL_MEDIA_TYPE) {
        try {
          this.terminals.set(a.testCaseStartedId, JSON.parse(decodeBody(a)) as TerminalIdentity);
        } catch {
          /* optional */
        }
      } else if (a.mediaType === PROFILE_MEDIA_TYPE) {
        try {
          this.dependences.set(a.testCaseStartedId, JSON.parse(decodeBody(a)) as ScenarioDependence);
        } catch {
          /* optional */
        }
      }
    } else if (env.testCaseFinished) {
      return this.finishTestCase(env.testCaseFinished);
    } else if (env.testRunFinished) {
      this.sawFinished = true;
      const t = toMs(env.testRunFinished.timestamp);
      this.finishedAt = this.finishedAt === undefined ? t : Math.max(this.finishedAt, t);
      const ex = env.testRunFinished.exception;
      if (ex) this.runErrors.push(`${this.source}: ${ex.type}: ${summariseMessage(ex.message)}`);
      else if (env.testRunFinished.message) this.runErrors.push(`${this.source}: ${summariseMessage(env.testRunFinished.message)}`);
    }
    return undefined;
  }

  private finishTestCase(f: NonNullable<Envelope['testCaseFinished']>): ScenarioResult | undefined {
    const s = this.started.get(f.testCaseStartedId);
    if (!s) return undefined;
    const tc = this.testCases.get(s.testCaseId);
    if (!tc) return undefined;
    const pickle = this.pickles.get(tc.pickleId);
    if (!pickle) return undefined;
    const attempts = (this.attemptsByPickle.get(pickle.id) ?? 0) + 1;
    this.attemptsByPickle.set(pickle.id, attempts);
    if (f.willBeRetried) return undefined;
    const result = judgeTestCase({
      pickle,
      tc,
      steps: this.stepResults.get(f.testCaseStartedId) ?? [],
      markers: this.markers.get(f.testCaseStartedId) ?? [],
      hooks: this.hooks,
      gherkinSteps: this.gherkinSteps,
      scenarios: this.scenarios,
      rows: this.rows,
    });
    result.pickleId = this.prefix + pickle.id;
    result.durationMs = Math.max(0, toMs(f.timestamp) - toMs(s.at));
    result.startedAt = toIso(s.at);
    result.workerId = s.workerId;
    result.terminal = this.terminals.get(f.testCaseStartedId);
    const dependence = this.dependences.get(f.testCaseStartedId);
    if (dependence && (dependence.dependsOn?.length || dependence.acquirer)) result.profile = dependence;
    result.attempts = attempts;
    this.finalByPickle.set(pickle.id, result);
    return result;
  }

  private indexScenario(node: ScenarioNode, feature: GherkinDocument['feature']): void {
    this.scenarios.set(node.id, { node, feature: feature?.name, featureTags: feature?.tags ?? [] });
    node.steps.forEach((st) => this.gherkinSteps.set(st.id, st));
    for (const ex of node.examples ?? []) {
      const header = ex.tableHeader?.cells.map((c) => c.value) ?? [];
      for (const row of ex.tableBody) this.rows.set(row.id, { header, cells: row.cells.map((c) => c.value) });
    }
  }

  private indexChildren(children: FeatureChild[], feature: GherkinDocument['feature']): void {
    for (const child of children) {
      if (child.scenario) this.indexScenario(child.scenario, feature);
      if (child.background) child.background.steps.forEach((st) => this.gherkinSteps.set(st.id, st));
      if (child.rule?.children) this.indexChildren(child.rule.children, feature);
    }
  }

  /** Results so far, plus the planned test cases that never finished (a crashed or killed run). */
  finish(truncated = false): { scenarios: ScenarioResult[]; notStarted: ScenarioResult[]; complete: boolean } {
    const complete = this.sawFinished && !truncated;
    if (!complete) {
      this.runErrors.push(`${this.source}: the cucumber run did not finish (no testRunFinished message${truncated ? ', last line truncated' : ''})`);
    }
    const notStarted: ScenarioResult[] = [];
    for (const tc of this.testCases.values()) {
      if (this.finalByPickle.has(tc.pickleId)) continue;
      const pickle = this.pickles.get(tc.pickleId);
      if (!pickle) continue;
      const base = describePickle(pickle, this.scenarios, this.rows);
      notStarted.push({
        ...base,
        pickleId: this.prefix + pickle.id,
        status: 'broken',
        durationMs: 0,
        attempts: this.attemptsByPickle.get(pickle.id) ?? 0,
        reason: 'the run ended before this scenario finished',
        firstFailure: { step: '(not run)', message: 'the cucumber run ended before this scenario finished', brokenKind: 'run-aborted' },
      });
    }
    return { scenarios: [...this.finalByPickle.values()], notStarted, complete };
  }
}

/**
 * Reads one or more message streams into scenario results (the last attempt of each pickle counts).
 * Streams are kept apart (ids are only unique within a stream), so shards can be merged.
 */
export function collectResults(streams: Array<{ text: string; source: string }>): RunResults {
  const out: RunResults = { scenarios: [], notStarted: [], complete: true, runErrors: [] };
  let startedAt: number | undefined;
  let finishedAt: number | undefined;
  streams.forEach(({ text, source }, streamIndex) => {
    const { envelopes, truncated } = parseMessageStream(text, source);
    const collector = new ResultCollector(source, streams.length > 1 ? `${streamIndex}:` : '');
    for (const env of envelopes) collector.add(env);
    const r = collector.finish(truncated);
    out.scenarios.push(...r.scenarios);
    out.notStarted.push(...r.notStarted);
    out.complete = out.complete && r.complete;
    out.runErrors.push(...collector.runErrors);
    out.cucumberVersion ??= collector.cucumberVersion;
    if (collector.startedAt !== undefined) startedAt = startedAt === undefined ? collector.startedAt : Math.min(startedAt, collector.startedAt);
    if (collector.finishedAt !== undefined) finishedAt = finishedAt === undefined ? collector.finishedAt : Math.max(finishedAt, collector.finishedAt);
  });
  if (startedAt !== undefined) out.startedAt = new Date(startedAt).toISOString();
  if (finishedAt !== undefined) out.finishedAt = new Date(finishedAt).toISOString();
  return out;
}

function describePickle(
  pickle: Pickle,
  scenarios: Map<string, { node: ScenarioNode; feature?: string; featureTags: Tag[] }>,
  rows: Map<string, { header: string[]; cells: string[] }>,
): Omit<ScenarioResult, 'pickleId' | 'status' | 'durationMs' | 'attempts'> {
  const tags = pickle.tags.map((t) => t.name);
  const caseIds = tags.map((t) => CASE_ID_TAG.exec(t)?.[1]).filter((x): x is string => !!x);
  const scenario = scenarios.get(pickle.astNodeIds[0]);
  const parameters: Record<string, string> = {};
  for (const astId of pickle.astNodeIds.slice(1)) {
    const row = rows.get(astId);
    if (row)
      row.cells.forEach((v, i) => {
        parameters[row.header[i] ?? `arg${i}`] = v;
      });
  }
  return {
    caseId: caseIds[0],
    title: pickle.name,
    uri: pickle.uri,
    line: scenario?.node.location?.line,
    feature: scenario?.feature,
    tags,
    parameters,
  };
}

function judgeTestCase(args: {
  pickle: Pickle;
  tc: TestCase;
  steps: Array<{ testStepId: string; result: StepResult }>;
  markers: Array<{ testStepId?: string; marker: MarkerOutcome }>;
  hooks: Map<string, Hook>;
  gherkinSteps: Map<string, GherkinStep>;
  scenarios: Map<string, { node: ScenarioNode; feature?: string; featureTags: Tag[] }>;
  rows: Map<string, { header: string[]; cells: string[] }>;
}): ScenarioResult {
  const { pickle, tc, steps, markers, hooks, gherkinSteps } = args;
  const base = describePickle(pickle, args.scenarios, args.rows);
  const result: ScenarioResult = { ...base, pickleId: pickle.id, status: 'passed', durationMs: 0, attempts: 1 };

  const describeStep = (testStepId: string): string => {
    const ts = tc.testSteps.find((s) => s.id === testStepId);
    if (!ts) return '(unknown step)';
    if (ts.hookId) {
      const hook = hooks.get(ts.hookId);
      const isBefore = tc.testSteps.findIndex((s) => s.id === testStepId) < tc.testSteps.findIndex((s) => !!s.pickleStepId);
      return `${isBefore ? 'Before' : 'After'} hook${hook?.name ? ` "${hook.name}"` : ''}`;
    }
    const ps = pickle.steps.find((s) => s.id === ts.pickleStepId);
    if (!ps) return '(unknown step)';
    const keyword = ps.astNodeIds.map((id) => gherkinSteps.get(id)?.keyword).find((k) => k !== undefined) ?? '';
    return `${keyword}${ps.text}`.trim();
  };

  const ordered = tc.testSteps
    .map((ts) => steps.find((s) => s.testStepId === ts.id))
    .filter((s): s is { testStepId: string; result: StepResult } => !!s);
  const firstBad = ordered.find((s) => ['FAILED', 'UNDEFINED', 'AMBIGUOUS', 'PENDING', 'UNKNOWN'].includes(s.result.status));
  if (firstBad) {
    const step = describeStep(firstBad.testStepId);
    const r = firstBad.result;
    if (r.status === 'FAILED') {
      const marker = markers.find(
        (m) => m.testStepId === firstBad.testStepId && (m.marker.outcome === 'failed' || m.marker.outcome === 'broken'),
      )?.marker;
      const errorType = marker?.errorName ?? r.exception?.type;
      const message = summariseMessage(r.exception?.message ?? r.message);
      const declared = marker
        ? { outcome: marker.outcome as 'failed' | 'broken', brokenKind: marker.brokenKind ?? 'harness' }
        : classifySerialisedError(r.exception?.type);
      result.status = declared.outcome;
      result.firstFailure = { step, message, errorType };
      if (declared.outcome === 'broken') {
        result.firstFailure.brokenKind = 'brokenKind' in declared ? declared.brokenKind : 'harness';
        result.reason = `harness could not judge (${result.firstFailure.brokenKind}): ${message.split('\n')[0]}`;
      } else {
        result.reason = message.split('\n')[0];
      }
    } else {
      const what =
        r.status === 'UNDEFINED'
          ? 'no step definition matches'
          : r.status === 'AMBIGUOUS'
            ? 'several step definitions match'
            : r.status === 'PENDING'
              ? 'the step is pending (not implemented)'
              : 'the step ended with an unknown status';
      result.status = 'broken';
      result.firstFailure = { step, message: summariseMessage(r.message) || what, brokenKind: 'undefined-step' };
      result.reason = `harness could not judge: ${what}: "${step}"`;
    }
    return result;
  }
  const skipped = ordered.find((s) => s.result.status === 'SKIPPED');
  if (skipped || ordered.length === 0) {
    const marker = markers.find((m) => m.marker.outcome === 'skipped')?.marker;
    result.status = 'skipped';
    result.reason = marker?.reason ?? (skipped ? `skipped at run time by ${describeStep(skipped.testStepId)}` : 'no steps ran');
    return result;
  }
  return result;
}
