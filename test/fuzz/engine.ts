/**
 * The fuzzing harness shared by `npm run fuzz` (scripts/fuzz.ts, at scale) and the short run inside
 * `npm test` (test/fuzz/fuzz.test.ts): what a target is, what counts as a crash, and a report.
 *
 * A target feeds generated or mutated inputs to one module and classifies each outcome: accepted,
 * rejected with a typed error (a PoscertError subclass: the module said what was wrong), or a crash
 * (anything else thrown, an invariant of the target broken, an unhandled rejection). Inputs are
 * produced by fast-check arbitraries from one seed, so a run is reproducible: the report carries the
 * seed and the first crashing inputs (hex or JSON) to turn into regression tests.
 */
import fc from 'fast-check';
import { PoscertError } from '../../errors';

export interface FuzzBudget {
  /** Inputs to try at most. */
  count: number;
  /** Wall-clock limit in ms (the target stops early, and says so). */
  timeMs: number;
  seed: number;
}

export interface FuzzReport {
  target: string;
  inputs: number;
  accepted: number;
  typedErrors: number;
  crashes: number;
  hangs: number;
  ms: number;
  /** Typed error codes (or response codes) seen, with counts. */
  outcomes: Map<string, number>;
  /** First crashing inputs, each with what happened. */
  samples: string[];
  /** Extra figures of the target (e.g. host frames replied, connections closed). */
  notes: string[];
  stoppedByTime: boolean;
}

export function newReport(target: string): FuzzReport {
  return {
    target,
    inputs: 0,
    accepted: 0,
    typedErrors: 0,
    crashes: 0,
    hangs: 0,
    ms: 0,
    outcomes: new Map(),
    samples: [],
    notes: [],
    stoppedByTime: false,
  };
}

export function count(r: FuzzReport, key: string, n = 1): void {
  r.outcomes.set(key, (r.outcomes.get(key) ?? 0) + n);
}

export function crash(r: FuzzReport, what: string, input: string): void {
  r.crashes++;
  if (r.samples.length < 5) r.samples.push(`${what} <- ${input.length > 600 ? input.slice(0, 600) + '…' : input}`);
}

/**
 * Runs `fn` on each input; a PoscertError counts as typed, any other throw as a crash. `fn` may
 * return a string: an invariant it found broken (a crash).
 */
export function classify(r: FuzzReport, input: () => string, fn: () => string | void): void {
  r.inputs++;
  try {
    const broken = fn();
    if (broken) crash(r, broken, input());
    else r.accepted++;
  } catch (err) {
    if (err instanceof PoscertError) {
      r.typedErrors++;
      count(r, err.code);
    } else {
      crash(r, `${(err as Error)?.constructor?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`, input());
    }
  }
}

/** Drives a fast-check arbitrary through `fn` within the budget (never stops at a failure: counts it). */
export function runProperty<T>(r: FuzzReport, arb: fc.Arbitrary<T>, budget: FuzzBudget, fn: (value: T) => void): void {
  const t0 = Date.now();
  fc.check(
    fc.property(arb, (v) => {
      fn(v);
      return true;
    }),
    { seed: budget.seed, numRuns: budget.count, interruptAfterTimeLimit: budget.timeMs, markInterruptAsFailure: false, endOnFailure: true },
  );
  r.ms += Date.now() - t0;
  if (r.inputs < budget.count) r.stoppedByTime = true;
}

/** Byte-level mutations of a seed input: the classic set of a mutational fuzzer. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; n: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; at: number; n: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.oneof(fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x30, 0x39, 0x3d, 0x02, 0x03), fc.nat(255)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }) },
);

export function mutate(seed: Buffer, mutations: readonly Mutation[], keepPrefix = 0): Buffer {
  let b = Buffer.from(seed);
  for (const m of mutations) {
    const span = b.length - keepPrefix;
    if (span <= 0) break;
    const at = keepPrefix + (m.at % span);
    switch (m.op) {
      case 'flip':
        b[at] ^= 1 << m.bit;
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + m.n))]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.n), b.subarray(at)]);
        break;
    }
  }
  return b;
}

/** Mutated copies of one of the seeds. */
export function mutatedArb(seeds: readonly Buffer[], maxMutations = 6, keepPrefix = 0): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.nat(seeds.length - 1), fc.array(mutationArb, { minLength: 1, maxLength: maxMutations }))
    .map(([i, ms]) => mutate(seeds[i], ms, keepPrefix));
}

export function formatReport(r: FuzzReport): string {
  const rate = r.ms > 0 ? Math.round(r.inputs / (r.ms / 1000)) : 0;
  const outcomes = [...r.outcomes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `${r.target.padEnd(22)} ${String(r.inputs).padStart(9)} inputs  ${String(rate).padStart(7)}/s  accepted ${r.accepted}  typed errors ${r.typedErrors}  ` +
      `crashes ${r.crashes}  hangs ${r.hangs}${r.stoppedByTime ? '  (stopped by the time limit)' : ''}`,
  ];
  if (outcomes) lines.push(`${' '.repeat(23)}outcomes: ${outcomes}`);
  for (const n of r.notes) lines.push(`${' '.repeat(23)}${n}`);
  for (const s of r.samples) lines.push(`${' '.repeat(23)}CRASH ${s}`);
  return lines.join('\n');
}
