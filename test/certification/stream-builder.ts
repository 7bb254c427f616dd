// Builds synthetic cucumber message streams (the envelopes cucumber-js 12 writes with
// --format message) for the certification layer's unit tests.
import { OUTCOME_MEDIA_TYPE, PROFILE_MEDIA_TYPE, TERMINAL_MEDIA_TYPE } from '../../certification/results';

type Status = 'PASSED' | 'FAILED' | 'SKIPPED' | 'UNDEFINED' | 'AMBIGUOUS' | 'PENDING';

export interface StepSpec {
  text: string;
  keyword?: string;
  status: Status;
  error?: { type: string; message: string };
  /** Outcome marker attached by the step wrapper. */
  marker?: { outcome: string; errorName?: string; code?: string; reason?: string };
}

export interface ScenarioSpec {
  name: string;
  tags: string[];
  steps: StepSpec[];
  /** Outline row: header → values. */
  row?: Record<string, string>;
  /** Earlier attempts (retries) that failed before the final one. */
  retries?: number;
  beforeHook?: { status: Status; error?: { type: string; message: string } };
  terminal?: Record<string, unknown>;
  /** Profile dependence attached by steps/support/profile-reads.ts. */
  profile?: { dependsOn: Array<{ key: string; value: string }>; acquirer?: string };
  /** Planned but never started/finished (an aborted run). */
  notFinished?: boolean;
  uri?: string;
}

let counter = 0;
const id = (p: string) => `${p}-${++counter}`;
const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

export function buildStream(scenarios: ScenarioSpec[], opts: { finished?: boolean; truncate?: boolean; start?: number } = {}): string {
  const out: unknown[] = [];
  let clock = opts.start ?? 1_700_000_000_000;
  out.push({ meta: { implementation: { name: 'cucumber-js', version: '12.9.0' } } });
  const hookId = id('hook');
  out.push({ hook: { id: hookId, name: 'bring the terminal to idle', type: 'BEFORE_TEST_CASE' } });
  const plans: Array<{ spec: ScenarioSpec; pickleId: string; testCaseId: string; stepIds: string[]; hookStepId: string }> = [];
  for (const spec of scenarios) {
    const uri = spec.uri ?? 'features/payment/sale.feature';
    const scenarioId = id('scenario');
    const rowId = id('row');
    const gherkinSteps = spec.steps.map((s) => ({ id: id('gstep'), keyword: s.keyword ?? 'Then ', text: s.text }));
    const header = spec.row ? Object.keys(spec.row) : [];
    out.push({
      gherkinDocument: {
        uri,
        feature: {
          name: 'Sale',
          tags: [],
          children: [
            {
              scenario: {
                id: scenarioId,
                name: spec.name,
                steps: gherkinSteps,
                location: { line: 7 },
                examples: spec.row
                  ? [
                      {
                        tableHeader: { cells: header.map((h) => ({ value: h })) },
                        tableBody: [{ id: rowId, cells: header.map((h) => ({ value: spec.row![h] })) }],
                      },
                    ]
                  : [],
              },
            },
          ],
        },
      },
    });
    const pickleId = id('pickle');
    const pickleSteps = gherkinSteps.map((g) => ({ id: id('pstep'), text: g.text, astNodeIds: [g.id] }));
    out.push({
      pickle: {
        id: pickleId,
        uri,
        name: spec.name,
        tags: spec.tags.map((name) => ({ name })),
        astNodeIds: spec.row ? [scenarioId, rowId] : [scenarioId],
        steps: pickleSteps,
      },
    });
    const testCaseId = id('tc');
    const hookStepId = id('ts');
    const stepIds = pickleSteps.map(() => id('ts'));
    out.push({
      testCase: {
        id: testCaseId,
        pickleId,
        testSteps: [{ id: hookStepId, hookId }, ...pickleSteps.map((p, i) => ({ id: stepIds[i], pickleStepId: p.id }))],
      },
    });
    plans.push({ spec, pickleId, testCaseId, stepIds, hookStepId });
  }
  out.push({ testRunStarted: { timestamp: ts(clock) } });
  for (const p of plans) {
    if (p.spec.notFinished) continue;
    const attempts = (p.spec.retries ?? 0) + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const final = attempt === attempts - 1;
      const startedId = id('tcs');
      out.push({ testCaseStarted: { id: startedId, testCaseId: p.testCaseId, attempt, workerId: '0', timestamp: ts(clock) } });
      if (p.spec.terminal)
        out.push({
          attachment: {
            testCaseStartedId: startedId,
            testStepId: p.hookStepId,
            body: JSON.stringify(p.spec.terminal),
            mediaType: TERMINAL_MEDIA_TYPE,
            contentEncoding: 'IDENTITY',
          },
        });
      if (p.spec.profile)
        out.push({
          attachment: {
            testCaseStartedId: startedId,
            testStepId: p.hookStepId,
            body: JSON.stringify(p.spec.profile),
            mediaType: PROFILE_MEDIA_TYPE,
            contentEncoding: 'IDENTITY',
          },
        });
      const hook = p.spec.beforeHook ?? { status: 'PASSED' as Status };
      out.push({
        testStepFinished: {
          testCaseStartedId: startedId,
          testStepId: p.hookStepId,
          testStepResult: { status: hook.status, duration: ts(1), ...(hook.error ? { message: hook.error.message, exception: hook.error } : {}) },
        },
      });
      p.spec.steps.forEach((s, i) => {
        clock += 10;
        const status: Status = final ? s.status : s.status === 'PASSED' ? 'PASSED' : 'FAILED';
        if (s.marker && final) {
          out.push({
            attachment: {
              testCaseStartedId: startedId,
              testStepId: p.stepIds[i],
              body: Buffer.from(JSON.stringify(s.marker)).toString('base64'),
              mediaType: OUTCOME_MEDIA_TYPE,
              contentEncoding: 'BASE64',
            },
          });
        }
        const err = final ? s.error : s.status === 'PASSED' ? undefined : { type: 'AssertionError', message: 'flaky' };
        out.push({
          testStepFinished: {
            testCaseStartedId: startedId,
            testStepId: p.stepIds[i],
            testStepResult: {
              status,
              duration: ts(10),
              ...(err
                ? {
                    message: `${err.type}: ${err.message}\n    at Object.<anonymous> (steps/x.ts:1:1)`,
                    exception: { type: err.type, message: err.message },
                  }
                : {}),
            },
          },
        });
      });
      clock += 5;
      out.push({ testCaseFinished: { testCaseStartedId: startedId, willBeRetried: !final, timestamp: ts(clock) } });
    }
  }
  if (opts.finished !== false) out.push({ testRunFinished: { success: true, timestamp: ts(clock + 1) } });
  let text = out.map((e) => JSON.stringify(e)).join('\n') + '\n';
  if (opts.truncate) text += '{"testCaseFinished":{"testCaseSt';
  return text;
}
