/**
 * Requirements judged over everything the terminal sent during the whole check rather than in
 * one exchange: frame format, LRC and payloads (§2), event shapes and numbering (§5.3, §7), and
 * the timing figures gathered on the way (§8).
 */
import { TTP_PRINT_COPIES, isTtpOutcome, speaksTtp11 } from '../../protocol/ttp';
import { CheckContext } from './context';
import { isStateName } from './commands';
import { round } from './framing';
import { ProbeItem, isEvent, isReply } from './probe';

type FrameItem = Extract<ProbeItem, { kind: 'frame' }>;

export function judgeObserved(ctx: CheckContext): void {
  const items = ctx.probe.items;
  const frames = items.filter((it): it is FrameItem => it.kind === 'frame');
  const errors = items.filter((it): it is Extract<ProbeItem, { kind: 'error' }> => it.kind === 'error');
  const count = (reasons: string[]) => errors.filter((e) => reasons.includes(e.reason));
  const frameDetail = (bad: typeof errors, what: string) =>
    bad.length === 0
      ? `${frames.length} frame(s) received, ${what}`
      : `${bad.length} damaged: ${bad
          .slice(0, 2)
          .map((e) => e.detail)
          .join('; ')}`;

  if (frames.length === 0 && errors.length === 0) {
    for (const id of ['FRAME-FORMAT', 'FRAME-LRC', 'FRAME-PAYLOAD']) ctx.record(id, 'not-judged', 'the terminal sent no frame');
  } else {
    const format = count(['bad-etx', 'oversized', 'control-byte-in-payload', 'truncated']);
    ctx.expect('FRAME-FORMAT', format.length === 0, frameDetail(format, 'all well-formed'));
    const lrc = count(['bad-lrc']);
    ctx.expect('FRAME-LRC', lrc.length === 0, frameDetail(lrc, 'every LRC right'), { badLrc: lrc.length });
    const payload = count(['bad-utf8', 'bad-json', 'bad-message']);
    ctx.expect(
      'FRAME-PAYLOAD',
      payload.length === 0 && frames.every((f) => isReply(f.message) || isEvent(f.message)),
      frameDetail(payload, 'every payload a reply or an event'),
    );
  }

  // Events, each distinct frame once (a retransmitted copy is the same frame).
  const events: FrameItem[] = [];
  for (const f of frames) {
    if (!isEvent(f.message)) continue;
    const prev = events[events.length - 1];
    if (prev && prev.raw.equals(f.raw)) continue;
    events.push(f);
  }
  const ev = (f: FrameItem) => f.message as unknown as Record<string, unknown>;

  // EVT-SEQ
  {
    const problems: string[] = [];
    let prev: number | undefined;
    let prevIndex = -1;
    for (const e of events) {
      const seq = ev(e).seq;
      const index = items.indexOf(e);
      // The terminal legitimately dropped events when it declared the link broken (LINK-RETRANSMIT-LIMIT).
      const gapAllowed = ctx.seqGapsAllowedAt.some((g) => g > prevIndex && g <= index);
      prevIndex = index;
      if (!Number.isInteger(seq)) {
        problems.push(`${String(ev(e).evt)} event without integer seq`);
        prev = undefined;
        continue;
      }
      const s = seq as number;
      const bootRestart = s === 1 && ev(e).evt === 'state'; // the first event after power-on is a state event
      // After the link broke the terminal may have dropped events, or (a new link, §3.2) count from 1 again.
      if (prev !== undefined && s !== prev + 1 && !bootRestart && !(gapAllowed && (s > prev || s === 1)))
        problems.push(`seq ${s} after ${prev} (${String(ev(e).evt)})`);
      prev = s;
    }
    if (events.length === 0) ctx.record('EVT-SEQ', 'not-observed', 'no events received');
    else
      ctx.expect(
        'EVT-SEQ',
        problems.length === 0,
        problems.length ? problems.slice(0, 3).join('; ') : `${events.length} events numbered consecutively`,
      );
  }

  // EVT-OUTCOME (TTP 1.1 §7.6): final screens and ecr results carry a machine-readable outcome.
  if (!speaksTtp11(ctx.hello?.ttp)) {
    ctx.record('EVT-OUTCOME', 'not-applicable', `the terminal speaks TTP ${String(ctx.hello?.ttp ?? 'unknown')}; outcome is new in 1.1`);
  } else {
    const problems: string[] = [];
    let finals = 0;
    let results = 0;
    let state: unknown;
    for (const e of events) {
      const m = ev(e);
      if (m.evt === 'state') state = m.state;
      if (m.evt === 'display' && state === 'result') {
        finals += 1;
        if (!isTtpOutcome(m.outcome)) problems.push(`final screen ${JSON.stringify(m.lines)}: outcome ${JSON.stringify(m.outcome)}`);
      }
    }
    for (const f of frames) {
      const r = f.message as unknown as { ok?: unknown; result?: Record<string, unknown> };
      if (!isReply(f.message) || r.ok !== true || !r.result || typeof r.result.request !== 'string' || typeof r.result.approved !== 'boolean')
        continue;
      results += 1;
      if (!isTtpOutcome(r.result.outcome)) problems.push(`ecr ${String(r.result.request)} result: outcome ${JSON.stringify(r.result.outcome)}`);
    }
    if (finals + results === 0) ctx.record('EVT-OUTCOME', 'not-observed', 'no final screen and no ecr result was seen during the check');
    else
      ctx.expect(
        'EVT-OUTCOME',
        problems.length === 0,
        problems.length ? problems.slice(0, 3).join('; ') : `${finals} final screen(s) and ${results} ecr result(s) carry a valid outcome`,
      );
  }

  // EVT-DISPLAY
  {
    const displays = events.filter((e) => ev(e).evt === 'display');
    const bad = displays.filter((e) => !Array.isArray(ev(e).lines) || !(ev(e).lines as unknown[]).every((l) => typeof l === 'string'));
    if (displays.length === 0) ctx.record('EVT-DISPLAY', 'not-observed', 'no display events received');
    else
      ctx.expect(
        'EVT-DISPLAY',
        bad.length === 0,
        bad.length
          ? `${bad.length} display event(s) without lines as strings: ${JSON.stringify(ev(bad[0]))}`
          : `${displays.length} display events well-formed`,
      );
  }

  // EVT-STATE: state events and screen results.
  {
    const names = new Set<string>();
    const bad = new Set<string>();
    for (const e of events.filter((x) => ev(x).evt === 'state')) {
      for (const k of ['state', 'from'] as const) {
        const v = ev(e)[k];
        if (v === undefined && k === 'from') continue;
        names.add(String(v));
        if (!isStateName(v)) bad.add(String(v));
      }
    }
    for (const f of frames) {
      const res = isReply(f.message) && f.message.ok ? (f.message as { result?: { state?: unknown; lines?: unknown } }).result : undefined;
      if (res && Array.isArray(res.lines) && res.state !== undefined) {
        names.add(String(res.state));
        if (!isStateName(res.state)) bad.add(String(res.state));
      }
    }
    if (names.size === 0) ctx.record('EVT-STATE', 'not-observed', 'no state reported');
    else
      ctx.expect(
        'EVT-STATE',
        bad.size === 0,
        bad.size ? `not states of §7.3 (nor x-…): ${[...bad].join(', ')}` : `states seen: ${[...names].join(', ')}`,
      );
  }

  // EVT-PRINT
  {
    const prints = events.filter((e) => ev(e).evt === 'print');
    const bad = prints.filter(
      (e) =>
        !(TTP_PRINT_COPIES as readonly string[]).includes(String(ev(e).copy)) ||
        !Array.isArray(ev(e).lines) ||
        !(ev(e).lines as unknown[]).every((l) => typeof l === 'string') ||
        typeof ev(e).reprint !== 'boolean',
    );
    if (!ctx.capability('printer') && prints.length > 0)
      ctx.fail('EVT-PRINT', `${prints.length} print event(s) from a terminal that declares printer: false`);
    else if (prints.length === 0)
      ctx.record(
        'EVT-PRINT',
        ctx.capability('printer') ? 'not-observed' : 'not-applicable',
        ctx.capability('printer')
          ? 'no voucher was printed during the check: the test sale was not approved and the reprint printed nothing (see the notes); run one sale with a card the acquirer approves, then check again'
          : 'printer: false, and no print event came',
      );
    else
      ctx.expect(
        'EVT-PRINT',
        bad.length === 0,
        bad.length
          ? `malformed print event: ${JSON.stringify({ ...ev(bad[0]), lines: '…' })}`
          : `${prints.length} print event(s) well-formed (copies: ${prints.map((p) => String(ev(p).copy)).join(', ')})`,
      );
  }

  // EVT-BEEP
  {
    const beeps = events.filter((e) => ev(e).evt === 'beep');
    const bad = beeps.filter(
      (e) =>
        (ev(e).kind !== undefined && !['key', 'ok', 'error', 'alert'].includes(String(ev(e).kind))) ||
        (ev(e).durationMs !== undefined && !Number.isInteger(ev(e).durationMs)),
    );
    if (beeps.length === 0) ctx.record('EVT-BEEP', 'not-observed', 'no beep events received (they are optional)');
    else
      ctx.expect(
        'EVT-BEEP',
        bad.length === 0,
        bad.length ? `malformed beep: ${JSON.stringify(ev(bad[0]))}` : `${beeps.length} beep event(s) well-formed`,
      );
  }

  // TIME-ACK-DELAY
  if (ctx.ackDelays.length) {
    const sorted = [...ctx.ackDelays].sort((a, b) => a - b);
    const max = sorted[sorted.length - 1];
    const median = sorted[Math.floor(sorted.length / 2)];
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
    ctx.expect(
      'TIME-ACK-DELAY',
      p95 <= 50,
      `ACK delay median ${round(median)} ms, 95th percentile ${round(p95)} ms, max ${round(max)} ms over ${sorted.length} frames`,
      { medianMs: round(median), p95Ms: round(p95), maxMs: round(max) },
    );
  } else {
    ctx.record('TIME-ACK-DELAY', 'not-judged', 'no frame was acknowledged at its first transmission');
  }
  // TIME-REPLY
  if (ctx.replyTimes.length) {
    const worst = ctx.replyTimes.reduce((a, b) => (b.ms > a.ms ? b : a));
    ctx.expect('TIME-REPLY', worst.ms <= 2000, `slowest reply ${round(worst.ms)} ms (${worst.cmd}) over ${ctx.replyTimes.length} commands`, {
      maxMs: round(worst.ms),
    });
  } else {
    ctx.record('TIME-REPLY', 'not-judged', 'no reply received');
  }
}
