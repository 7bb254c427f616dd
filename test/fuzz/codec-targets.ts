/**
 * Fuzz targets of the pure codecs: the CUP 8583 frame and message codec (mutated real captures and
 * generated messages; encode/decode round trip), BER-TLV, the TTP frame decoder (split at every
 * offset, noise, truncation, replay), the TTP channel (two channels over a lossy, noisy pipe on a
 * virtual clock) and the host configuration loader (mutated YAML). Each is a function of a budget
 * returning a FuzzReport (engine.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  CUP_POS_DIALECT,
  IsoMessage,
  LengthPrefixedReader,
  decodeFrame,
  dialectFields,
  encodeFrame,
  formatField60,
  packMessage,
  unpackMessage,
  type FieldSpec,
  type FieldValue,
} from '../../protocol/iso8583';
import { decodeTlv, encodeTlv, type TlvNode } from '../../protocol/tlv';
import { TtpChannel, TtpFrameDecoder, encodeTtpFrame, type TtpMessage, type TtpScheduler } from '../../protocol/ttp';
import { PoscertError } from '../../errors';
import { HostConfigError, loadHostConfig } from '../../host';
import { loadSamples } from '../protocol/iso8583/samples';
import { classify, count, crash, mutate, mutatedArb, mutationArb, newReport, runProperty, type FuzzBudget, type FuzzReport } from './engine';

const ROOT = path.join(__dirname, '..', '..');

// ---------------------------------------------------------------- CUP 8583

const DIGITS = '0123456789';
const fromChars = (chars: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...chars.split('')), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A value that the field's spec allows (what a conformant sender may put there). */
export function fieldValueArb(spec: FieldSpec): fc.Arbitrary<FieldValue> {
  const fixed = spec.lengthType === 'fixed';
  const min = fixed ? spec.maxLength : 0;
  const max = spec.maxLength;
  switch (spec.format) {
    case 'n':
      return fromChars(DIGITS, min, max);
    case 'z':
      return fromChars(DIGITS + '=', min, max);
    case 'b':
      return fc.uint8Array({ minLength: min, maxLength: max }).map((u) => Buffer.from(u));
    default: {
      const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });
      if (spec.charset !== 'gbk' || fixed) return ascii;
      // GBK text: two bytes per Chinese character, so at most max / 2 of them.
      return fc
        .array(fc.oneof(fc.constantFrom('银', '联', '商', '户', '消', '费', '成', '功'), fc.constantFrom('A', '1', ' ')), {
          maxLength: Math.floor(max / 2),
        })
        .map((a) => a.join(''));
    }
  }
}

const FIELDS = dialectFields(CUP_POS_DIALECT).filter((f) => f.id >= 2 && f.id <= 64);

/** A message with an MTI and a random subset of the dialect's fields, each holding a valid value. */
export const messageArb: fc.Arbitrary<IsoMessage> = fc
  .tuple(
    fc.constantFrom(
      '0100',
      '0110',
      '0200',
      '0210',
      '0220',
      '0230',
      '0320',
      '0330',
      '0400',
      '0410',
      '0500',
      '0510',
      '0620',
      '0800',
      '0810',
      '0820',
      '0830',
    ),
    fc
      .subarray(FIELDS, { minLength: 1, maxLength: 24 })
      .chain((specs) => fc.tuple(...specs.map((s) => fieldValueArb(s).map((v) => [s.id, v] as const)))),
  )
  .map(([mti, fields]) => {
    const m = new IsoMessage(mti);
    for (const [n, v] of fields) m.set(n, v);
    return m;
  });

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}

/** A realistic sale request (no keys needed: the MAC field is 8 bytes of anything). */
function realSale(stan: number): Buffer {
  const m = new IsoMessage('0200')
    .set(2, '6212345678901265')
    .set(3, '000000')
    .set(4, '000000001000')
    .set(11, String(stan).padStart(6, '0'))
    .set(14, '3012')
    .set(22, '021')
    .set(25, '00')
    .set(26, '12')
    .set(35, '6212345678901265=30121010000000000000')
    .set(41, '10000001')
    .set(42, '898310054110001')
    .set(49, '156')
    .set(52, Buffer.alloc(8, 0x5a))
    .set(53, '2600000000000000')
    .set(
      55,
      encodeTlv([
        { tag: '9F26', value: Buffer.alloc(8, 1) },
        { tag: '9F36', value: Buffer.from([0, 1]) },
        { tag: '95', value: Buffer.alloc(5) },
      ]),
    )
    .set(60, formatField60({ transactionType: '22', batchNumber: '000001', networkCode: '000', readCapability: '6', icCondition: '0' }))
    .set(64, Buffer.alloc(8, 0xa5));
  return encodeFrame({
    tpdu: '6000030000',
    header: { applicationClass: '60', specVersion: '31', terminalStatus: '0', processingRequirement: '0', softwareVersion: '310730' },
    message: m,
  });
}

/** Length-prefixed frames: the real captures (re-framed where they lack the prefix) and generated sales. */
export function frameSeeds(): Buffer[] {
  const seeds: Buffer[] = [];
  for (const s of loadSamples()) {
    if (s.framing === 'length') seeds.push(s.bytes);
    else if (s.framing === 'tpdu') {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(s.bytes.length);
      seeds.push(Buffer.concat([len, s.bytes]));
    }
  }
  for (let i = 1; i <= 4; i++) seeds.push(realSale(i));
  return seeds;
}

export function fuzzIso8583Decode(budget: FuzzBudget): FuzzReport {
  const r = newReport('cup8583 decode');
  const seeds = frameSeeds();
  const bare = loadSamples()
    .filter((s) => s.framing === 'bare')
    .map((s) => s.bytes);
  const arb = fc.oneof(
    { weight: 6, arbitrary: mutatedArb(seeds).map((b) => ({ kind: 'frame' as const, b })) },
    {
      weight: 2,
      arbitrary: mutatedArb(seeds, 6, 2).map((b) => {
        b.writeUInt16BE(b.length - 2, 0);
        return { kind: 'frame' as const, b };
      }),
    },
    { weight: 1, arbitrary: mutatedArb([...bare, ...seeds.map((s) => s.subarray(13))]).map((b) => ({ kind: 'bare' as const, b })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => ({ kind: 'frame' as const, b: Buffer.from(u) })) },
  );
  runProperty(r, arb, budget, ({ kind, b }) =>
    classify(
      r,
      () => `${kind} ${b.toString('hex')}`,
      () => {
        const msg = kind === 'frame' ? decodeFrame(b).message : unpackMessage(b);
        // What decoded must encode again and decode to the same fields (the host echoes fields).
        let again: IsoMessage;
        try {
          again = unpackMessage(packMessage(msg));
        } catch (err) {
          if (err instanceof PoscertError) {
            count(r, `re-encode refused: ${err.code}`);
            return;
          }
          throw err;
        }
        for (const n of msg.fieldNumbers()) {
          if (!sameValue(msg.get(n), again.get(n))) return `field ${n} changed in a decode/encode/decode round trip`;
        }
      },
    ),
  );
  return r;
}

export function fuzzIso8583RoundTrip(budget: FuzzBudget): FuzzReport {
  const r = newReport('cup8583 round trip');
  runProperty(r, messageArb, budget, (m) =>
    classify(
      r,
      () => JSON.stringify(m.fieldNumbers().map((n) => [n, String(m.get(n))])).slice(0, 600),
      () => {
        const frame = encodeFrame({
          tpdu: '6000030000',
          header: { applicationClass: '60', specVersion: '31', terminalStatus: '0', processingRequirement: '0', softwareVersion: '310730' },
          message: m,
        });
        const back = decodeFrame(frame).message;
        if (back.mti !== m.mti) return `MTI ${m.mti} came back as ${back.mti}`;
        for (const n of m.fieldNumbers())
          if (!sameValue(m.get(n), back.get(n)))
            return `field ${n} ${JSON.stringify(String(m.get(n)))} came back as ${JSON.stringify(String(back.get(n)))}`;
        if (back.fieldNumbers().length !== m.fieldNumbers().length) return 'a field appeared in the round trip';
        // The same bytes cut anywhere by TCP give the same frame.
        const reader = new LengthPrefixedReader({ maxFrameSize: 65535 });
        const cut = 1 + (frame.length % Math.max(1, frame.length - 1));
        const got = [...reader.push(frame.subarray(0, cut)), ...reader.push(frame.subarray(cut))];
        if (got.length !== 1 || !got[0].equals(frame)) return `the stream reader cut at ${cut} did not give the frame back`;
      },
    ),
  );
  return r;
}

// ---------------------------------------------------------------- BER-TLV

const tagArb = fc.oneof(
  fc.constantFrom('9F26', '9F27', '9F10', '9F37', '9F36', '95', '9A', '9C', '9F02', '5F2A', '82', '9F1A', '9F03', '9F33', '91', '5A', '57'),
  // Any primitive one-byte tag whose low five bits are not 11111 (that announces a two-byte tag).
  fc
    .integer({ min: 0, max: 255 })
    .filter((b) => (b & 0x1f) !== 0x1f && (b & 0x20) === 0 && b !== 0)
    .map((b) => b.toString(16).padStart(2, '0').toUpperCase()),
);
const nodeArb: fc.Arbitrary<TlvNode> = fc.record({
  tag: tagArb,
  value: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
}) as fc.Arbitrary<TlvNode>;

export function fuzzTlv(budget: FuzzBudget): FuzzReport {
  const r = newReport('ber-tlv');
  const seeds = [
    encodeTlv([
      { tag: '9F26', value: Buffer.alloc(8, 7) },
      { tag: '9F10', value: Buffer.from('07010103A00000', 'hex') },
      { tag: '9F36', value: Buffer.from([0, 9]) },
    ]),
  ];
  const arb = fc.oneof(
    fc.array(nodeArb, { maxLength: 8 }).map((nodes) => ({ nodes, bytes: undefined as Buffer | undefined })),
    mutatedArb(seeds).map((bytes) => ({ nodes: undefined, bytes })),
    fc.uint8Array({ maxLength: 200 }).map((u) => ({ nodes: undefined, bytes: Buffer.from(u) })),
  );
  runProperty(r, arb, budget, ({ nodes, bytes }) =>
    classify(
      r,
      () => (bytes ? bytes.toString('hex') : JSON.stringify(nodes)),
      () => {
        if (nodes) {
          const enc = encodeTlv(nodes);
          const back = decodeTlv(enc);
          if (back.length !== nodes.length || back.some((n, i) => n.tag !== nodes[i].tag || !n.value.equals(nodes[i].value)))
            return 'encode/decode round trip changed the nodes';
          return;
        }
        const decoded = decodeTlv(bytes!);
        const again = encodeTlv(decoded.map((n) => ({ tag: n.tag, value: n.value })));
        const twice = decodeTlv(again);
        if (twice.length !== decoded.length || twice.some((n, i) => n.tag !== decoded[i].tag || !n.value.equals(decoded[i].value)))
          return 'decoded nodes did not survive re-encoding';
      },
    ),
  );
  return r;
}

// ---------------------------------------------------------------- TTP frames

const jsonish: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 2 });
export const ttpMessageArb: fc.Arbitrary<TtpMessage> = fc.oneof(
  fc.record({
    id: fc.integer({ min: 1, max: 0x7fffffff }),
    cmd: fc.constantFrom('hello', 'key', 'card', 'screen', 'power', 'config', 'ecr'),
    keys: fc.array(fc.constantFrom('1', 'ENTER', 'CANCEL'), { maxLength: 4 }),
  }),
  fc.record({ id: fc.integer({ min: 1, max: 0x7fffffff }), ok: fc.constant(true), result: jsonish }),
  fc.record({ evt: fc.constant('display'), lines: fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }) }),
  fc.record({
    evt: fc.constant('print'),
    copy: fc.constantFrom('merchant', 'cardholder'),
    lines: fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }),
  }),
) as unknown as fc.Arbitrary<TtpMessage>;

/** Noise that holds no byte a frame or an answer starts with, so every frame must come through. */
const quietNoise = fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u.filter((b) => b !== 0x02 && b !== 0x06 && b !== 0x15)));

export function fuzzTtpDecoder(budget: FuzzBudget): FuzzReport {
  const r = newReport('ttp frame decoder');
  const arb = fc.record({
    messages: fc.array(ttpMessageArb, { minLength: 1, maxLength: 5 }),
    noise: fc.array(quietNoise, { minLength: 6, maxLength: 6 }),
    replay: fc.boolean(),
    garbage: fc.uint8Array({ maxLength: 64 }),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
    truncateAt: fc.option(fc.nat(), { nil: undefined }),
  });
  runProperty(r, arb, budget, (v) =>
    classify(
      r,
      () => JSON.stringify(v).slice(0, 600),
      () => {
        const frames = v.messages.map((m) => encodeTtpFrame(m));
        const parts: Buffer[] = [];
        frames.forEach((f, i) => {
          parts.push(v.noise[i] ?? Buffer.alloc(0), f);
          if (v.replay && i === 0) parts.push(f);
        });
        const stream = Buffer.concat(parts);
        const expected = frames.length + (v.replay ? 1 : 0);
        // 1. Cut at random offsets: every frame comes through, in order, as it was.
        const decoder = new TtpFrameDecoder();
        const offsets = [...new Set(v.cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const got: TtpMessage[] = [];
        let last = 0;
        for (const o of [...offsets, stream.length]) {
          for (const e of decoder.push(stream.subarray(last, o))) if (e.kind === 'frame') got.push(e.payload);
          last = o;
        }
        if (got.length !== expected) return `${got.length} of ${expected} frames decoded from a stream cut at ${offsets.join(',')}`;
        const want = v.replay ? [v.messages[0], ...v.messages] : v.messages;
        for (let i = 0; i < got.length; i++) if (JSON.stringify(got[i]) !== JSON.stringify(want[i])) return `frame ${i} decoded differently`;
        // 2. Split at every offset of the first frame (with its noise).
        const first = Buffer.concat([v.noise[0], frames[0]]);
        for (let k = 0; k <= first.length; k++) {
          const d = new TtpFrameDecoder();
          const n = [...d.push(first.subarray(0, k)), ...d.push(first.subarray(k))].filter((e) => e.kind === 'frame').length;
          if (n !== 1) return `frame split at offset ${k} gave ${n} frames`;
        }
        // 3. Arbitrary garbage, a truncated frame and expiry: typed events only, never a throw.
        const d = new TtpFrameDecoder();
        const cutFrame = v.truncateAt === undefined ? frames[0] : frames[0].subarray(0, v.truncateAt % frames[0].length);
        const events = [...d.push(Buffer.from(v.garbage)), ...d.push(cutFrame), ...d.expire(), ...d.push(frames[frames.length - 1])];
        for (const e of events) count(r, e.kind === 'error' ? `event error/${e.reason}` : `event ${e.kind}`);
        if (!['frame', 'ack', 'nak', 'error'].includes(events.at(-1)?.kind ?? 'frame')) return 'unknown event kind';
      },
    ),
  );
  return r;
}

// ---------------------------------------------------------------- TTP channel

/** A virtual clock: timers run in time order, instantly. */
class VirtualScheduler implements TtpScheduler {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  now(): number {
    return this.t;
  }
  /** Runs the earliest timer; false when none is left. */
  step(): boolean {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (!best || e[1].at < best[1].at) best = e;
    if (!best) return false;
    this.timers.delete(best[0]);
    this.t = best[1].at;
    best[1].fn();
    return true;
  }
}

export async function fuzzTtpChannel(budget: FuzzBudget): Promise<FuzzReport> {
  const r = newReport('ttp channel');
  const t0 = Date.now();
  const arb = fc.record({
    requests: fc.integer({ min: 1, max: 6 }),
    dropEvery: fc.integer({ min: 0, max: 7 }),
    corruptEvery: fc.integer({ min: 0, max: 7 }),
    duplicateEvery: fc.integer({ min: 0, max: 7 }),
    noise: fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 8 }),
  });
  const values = fc.sample(arb, { seed: budget.seed, numRuns: budget.count });
  for (const v of values) {
    if (Date.now() - t0 > budget.timeMs) {
      r.stoppedByTime = true;
      break;
    }
    r.inputs++;
    const sched = new VirtualScheduler();
    let sent = 0;
    // The pipe between the two: drops, corrupts and duplicates chunks by counter (reproducible).
    const pipe = (to: () => TtpChannel) => (bytes: Buffer) => {
      sent++;
      if (v.dropEvery && sent % v.dropEvery === 0) return;
      let b = Buffer.from(bytes);
      if (v.corruptEvery && sent % v.corruptEvery === 0 && b.length) b[sent % b.length] ^= 0x10;
      const noise = Buffer.from(v.noise[sent % Math.max(1, v.noise.length)] ?? []);
      sched.setTimeout(() => to().receive(Buffer.concat([noise, b])), 1);
      if (v.duplicateEvery && sent % v.duplicateEvery === 0) sched.setTimeout(() => to().receive(b), 2);
    };
    let harness!: TtpChannel;
    let terminal!: TtpChannel;
    try {
      harness = new TtpChannel({ write: pipe(() => terminal), scheduler: sched, name: 'fuzz-harness', responseTimeoutMs: 5000 });
      terminal = new TtpChannel({ write: pipe(() => harness), scheduler: sched, name: 'fuzz-terminal', resumeAfterBreak: true });
      terminal.on('request', (req) => {
        void terminal.reply(req, { echo: req.id }).catch(() => undefined);
      });
      const outcomes: string[] = [];
      const pending = Array.from({ length: v.requests }, () =>
        harness.requestRaw({ cmd: 'screen' } as never).then(
          (res) => {
            outcomes.push(res.ok ? 'ok' : 'remote-error');
          },
          (err) => {
            outcomes.push(err instanceof PoscertError ? err.code : `untyped ${(err as Error).message}`);
          },
        ),
      );
      let steps = 0;
      while (outcomes.length < v.requests && sched.step()) {
        if (++steps > 100_000) break;
        await Promise.resolve();
      }
      await Promise.resolve();
      if (outcomes.length < v.requests) {
        r.hangs++;
        crash(
          r,
          `${v.requests - outcomes.length} request(s) neither answered nor failed (virtual time ${sched.now()} ms, timers left)`,
          JSON.stringify(v),
        );
      } else if (outcomes.some((o) => o.startsWith('untyped'))) {
        crash(
          r,
          outcomes.find((o) => o.startsWith('untyped'))!,
          JSON.stringify(v),
        );
      } else {
        r.accepted++;
      }
      for (const o of outcomes) count(r, o);
      void pending;
    } catch (err) {
      crash(r, `${(err as Error).constructor.name}: ${(err as Error).message}`, JSON.stringify(v));
    } finally {
      harness?.close();
      terminal?.close();
    }
  }
  r.ms = Date.now() - t0;
  return r;
}

// ---------------------------------------------------------------- host configuration (YAML)

export function fuzzConfig(budget: FuzzBudget): FuzzReport {
  const r = newReport('host config yaml');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-fuzz-config-'));
  try {
    const names = ['merchants.yaml', 'cards.yaml', 'issuer-rules.yaml'];
    const originals = names.map((n) => fs.readFileSync(path.join(ROOT, 'scenarios', n)));
    const lines = originals.map((b) => b.toString('utf8').split('\n'));
    // Line-level edits (what a person gets wrong) and byte-level ones (what a disk or an editor does).
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('drop-line' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('dup-line' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('swap-value' as const),
        at: fc.nat(),
        value: fc.constantFrom(
          '',
          '~',
          '-1',
          '0',
          '1e309',
          '"x"',
          '[]',
          '{}',
          '&a',
          '*a',
          '!!binary AA==',
          'yes',
          '0x1F',
          '"6212345678901265"',
          '99999999999999999999',
        ),
      }),
      fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
    );
    const arb = fc.record({
      file: fc.nat(2),
      edits: fc.array(edit, { minLength: 1, maxLength: 4 }),
      bytes: fc.option(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), { nil: undefined }),
    });
    runProperty(r, arb, budget, (v) => {
      let text: Buffer;
      if (v.bytes) text = mutate(originals[v.file], v.bytes);
      else {
        const ls = [...lines[v.file]];
        for (const e of v.edits) {
          const i = e.at % ls.length;
          if (e.kind === 'drop-line') ls.splice(i, 1);
          else if (e.kind === 'dup-line') ls.splice(i, 0, ls[i]);
          else if (e.kind === 'swap-value') ls[i] = ls[i].replace(/:\s*[^,}\]]+/, `: ${e.value}`);
          else ls[i] = e.by > 0 ? ' '.repeat(e.by) + ls[i] : ls[i].slice(-e.by);
        }
        text = Buffer.from(ls.join('\n'));
      }
      const target = names[v.file];
      names.forEach((n, i) => fs.writeFileSync(path.join(dir, n), n === target ? text : originals[i]));
      classify(
        r,
        () => `${target}: ${text.toString('utf8').slice(0, 300)}`,
        () => {
          try {
            loadHostConfig(dir);
          } catch (err) {
            if (err instanceof HostConfigError && err.problems.length === 0) return 'HostConfigError without a problem';
            throw err;
          }
        },
      );
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return r;
}
