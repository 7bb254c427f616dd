/**
 * Command checks (§6) and the capabilities the terminal claims (§10): each command with valid
 * and invalid parameters, judged on the reply's shape and error codes, not on screen wording
 * (which legitimately differs between terminals).
 */
import { TTP_CAPABILITIES, TTP_CAPABILITIES_1_1, TTP_STATES, speaksTtp11 } from '../../protocol/ttp';
import { CheckContext, describeReply, errorOf, resultOf } from './context';
import { round } from './framing';
import { ProbeItem, delay, isEvent, isReply } from './probe';

const AT_REST = ['idle', 'sign-on-required'];

/** Test card images: test data only (a test PAN, a published test key). */
const MAG_CARD = { name: 'POSCERT-CHECK-MAG', pan: '6222020000000000015', expiry: '3012', serviceCode: '101' };
const CHIP_CARD = {
  name: 'POSCERT-CHECK-IC',
  pan: '6222020000000000023',
  expiry: '3012',
  serviceCode: '201',
  psn: '01',
  emv: { aid: 'A000000333010101', applicationLabel: 'UnionPay Debit', imk: '0123456789ABCDEFFEDCBA9876543210', atc: 1 },
};

export function isStateName(s: unknown): boolean {
  return typeof s === 'string' && ((TTP_STATES as readonly string[]).includes(s) || /^x-[a-z0-9-]+$/i.test(s));
}

/** hello: identity and capabilities; returns false when no usable reply came. */
export async function checkHello(ctx: CheckContext, session: number): Promise<boolean> {
  const r = await ctx.request({ cmd: 'hello', ttp: '1.0', client: 'poscert ttp check', session });
  const res = resultOf(r);
  if (!res) {
    ctx.fail('CMD-HELLO', `hello: ${describeReply(r)}`);
    return false;
  }
  ctx.hello = res;
  const problems: string[] = [];
  for (const f of ['ttp', 'vendor', 'model', 'serialNumber', 'firmwareVersion']) {
    if (typeof res[f] !== 'string' || (res[f] as string).length === 0) problems.push(`${f} missing or not a string`);
  }
  if (typeof res.ttp === 'string' && !/^1\.\d+$/.test(res.ttp)) problems.push(`ttp is "${res.ttp}", not 1.x`);
  const caps = res.capabilities as Record<string, unknown> | undefined;
  if (!caps || typeof caps !== 'object') problems.push('capabilities missing');
  else for (const c of TTP_CAPABILITIES) if (typeof caps[c] !== 'boolean') problems.push(`capabilities.${c} is not a boolean`);
  if (res.maxPayload !== undefined && !(Number.isInteger(res.maxPayload) && (res.maxPayload as number) >= 2048))
    problems.push(`maxPayload ${String(res.maxPayload)} is not an integer >= 2048`);
  if (res.languages !== undefined && !Array.isArray(res.languages)) problems.push('languages is not an array');
  // TTP 1.1: test mode, the power profile and the 1.1 capability flags are declared (a 1.0 terminal has none of them).
  if (!speaksTtp11(res.ttp)) {
    ctx.record('CMD-HELLO-11', 'not-applicable', `the terminal speaks TTP ${String(res.ttp)}; the harness applies the 1.0 compatibility rules`);
  } else {
    const p11: string[] = [];
    if (res.testMode !== true) p11.push(`testMode is ${JSON.stringify(res.testMode)}, not true`);
    if (res.powerProfile !== 'simulated' && res.powerProfile !== 'switched') p11.push(`powerProfile is ${JSON.stringify(res.powerProfile)}`);
    if (caps && typeof caps === 'object')
      for (const c of TTP_CAPABILITIES_1_1) if (typeof caps[c] !== 'boolean') p11.push(`capabilities.${c} is not a boolean`);
    ctx.expect(
      'CMD-HELLO-11',
      p11.length === 0,
      p11.length
        ? p11.join('; ')
        : `testMode true, powerProfile ${String(res.powerProfile)}, ${TTP_CAPABILITIES_1_1.map((c) => `${c} ${String(caps![c])}`).join(', ')}`,
    );
  }
  ctx.expect(
    'CMD-HELLO',
    problems.length === 0,
    problems.length
      ? problems.join('; ')
      : `${String(res.vendor)} ${String(res.model)} ${String(res.serialNumber)}, firmware ${String(res.firmwareVersion)}, TTP ${String(res.ttp)}`,
  );
  return true;
}

async function screen(ctx: CheckContext): Promise<{ lines?: unknown; state?: unknown } | undefined> {
  return resultOf(await ctx.request({ cmd: 'screen' }));
}

/** Reset to rest; returns the state reached (or undefined). */
async function toRest(ctx: CheckContext): Promise<string | undefined> {
  const r = await ctx.request({ cmd: 'reset' }, { timeoutMs: 10_000, timed: false });
  if (!r.reply?.ok) return undefined;
  const s = await screen(ctx);
  return typeof s?.state === 'string' ? s.state : undefined;
}

/**
 * The first state event at rest (idle / sign-on-required) after `from`, within timeoutMs; gives up
 * early once no state event came for 5 s (the terminal settled elsewhere).
 */
async function waitForRest(ctx: CheckContext, from: number, timeoutMs: number): Promise<ProbeItem | undefined> {
  const p = ctx.probe;
  const isState = (it: ProbeItem) => it.kind === 'frame' && isEvent(it.message) && it.message.evt === 'state';
  const atRest = (it: ProbeItem) => it.kind === 'frame' && isState(it) && AT_REST.includes(String((it.message as { state?: unknown }).state));
  const deadline = performance.now() + timeoutMs;
  let scanFrom = from;
  while (performance.now() < deadline) {
    const found = await p.waitFor((it) => isState(it), Math.min(5000, deadline - performance.now()), scanFrom);
    if (!found) return undefined;
    if (atRest(found)) return found;
    scanFrom = p.items.indexOf(found) + 1;
  }
  return undefined;
}

export async function checkCommands(ctx: CheckContext): Promise<void> {
  const p = ctx.probe;

  // CMD-HELLO-VERSION
  {
    const r = await ctx.request({ cmd: 'hello', ttp: '9.0', client: 'poscert ttp check' });
    const e = errorOf(r);
    ctx.expect(
      'CMD-HELLO-VERSION',
      e.code === 'unsupported-version' && Array.isArray(e.detail?.supported),
      `hello with ttp 9.0: ${describeReply(r)}`,
    );
    // A hello resets the session; say hello properly again.
    await ctx.request({ cmd: 'hello', ttp: '1.0', client: 'poscert ttp check', session: 1 + Math.floor(Math.random() * 0x7ffffffe) });
  }

  // CMD-UNKNOWN
  {
    const a = await ctx.request({ cmd: 'poscert-no-such-command' });
    const b = await ctx.request({ cmd: 'x-poscert-check' });
    ctx.expect(
      'CMD-UNKNOWN',
      errorOf(a).code === 'unknown-command' && errorOf(b).code === 'unknown-command',
      `poscert-no-such-command: ${describeReply(a)}; x-poscert-check: ${describeReply(b)}`,
    );
  }

  // CMD-SCREEN
  {
    const s = await screen(ctx);
    const ok = !!s && Array.isArray(s.lines) && s.lines.every((l) => typeof l === 'string') && typeof s.state === 'string';
    ctx.expect('CMD-SCREEN', ok, ok ? `state ${String(s!.state)}, ${(s!.lines as string[]).length} line(s)` : `screen result ${JSON.stringify(s)}`);
  }

  // CMD-RESET
  {
    const t0 = performance.now();
    const r = await ctx.request({ cmd: 'reset' }, { timeoutMs: 10_000, timed: false });
    const ms = performance.now() - t0;
    const s = r.reply?.ok ? await screen(ctx) : undefined;
    ctx.expect(
      'CMD-RESET',
      r.reply?.ok === true && AT_REST.includes(String(s?.state)),
      `reset: ${describeReply(r)} after ${round(ms)} ms${s ? `, then state ${String(s.state)}` : ''}`,
      { replyMs: round(ms) },
    );
  }

  // CMD-BAD-REQUEST
  {
    const k = await ctx.request({ cmd: 'key' });
    const pw = await ctx.request({ cmd: 'power' });
    const c = await ctx.request({ cmd: 'card', action: 'present' });
    const ok =
      errorOf(k).code === 'bad-request' &&
      errorOf(k).detail?.field === 'keys' &&
      errorOf(pw).code === 'bad-request' &&
      errorOf(pw).detail?.field === 'action' &&
      errorOf(c).code === 'bad-request' &&
      ['method', 'card'].includes(String(errorOf(c).detail?.field));
    ctx.expect(
      'CMD-BAD-REQUEST',
      ok,
      `key without keys: ${describeReply(k)}; power without action: ${describeReply(pw)}; card present without method: ${describeReply(c)}`,
    );
  }

  // CMD-KEY
  {
    const bad = await ctx.request({ cmd: 'key', keys: ['NOT-A-KEY'] });
    const good = await ctx.request({ cmd: 'key', keys: ['CANCEL'] });
    ctx.expect(
      'CMD-KEY',
      errorOf(bad).code === 'bad-request' && good.reply?.ok === true,
      `key NOT-A-KEY: ${describeReply(bad)}; key CANCEL: ${describeReply(good)}`,
    );
  }

  // CMD-KEY-DISPLAY: a key that changes the screen.
  {
    await toRest(ctx);
    let judged = false;
    for (const key of ['ENTER', 'MENU']) {
      const before = await screen(ctx);
      const r = await ctx.request({ cmd: 'key', keys: [key] });
      const after = await screen(ctx);
      if (!r.reply?.ok || !before || !after || JSON.stringify(before.lines) === JSON.stringify(after.lines)) continue;
      const shown = r.events.some(
        (e) =>
          (e.message as { evt: string }).evt === 'display' &&
          JSON.stringify((e.message as { lines?: unknown }).lines) === JSON.stringify(after.lines),
      );
      ctx.expect(
        'CMD-KEY-DISPLAY',
        shown,
        shown
          ? `${key} changed the screen; its display event came before the reply`
          : `${key} changed the screen to ${JSON.stringify(after.lines)} but no display event with it came before the reply`,
      );
      judged = true;
      break;
    }
    if (!judged) ctx.record('CMD-KEY-DISPLAY', 'not-observed', 'neither ENTER nor MENU changed the screen at rest');
    await toRest(ctx);
  }

  // CMD-CARD and EXT-CAPABILITIES
  {
    await ctx.request({ cmd: 'card', action: 'remove' });
    const rm = await ctx.request({ cmd: 'card', action: 'remove' });
    const rmOk = errorOf(rm).code === 'invalid-state';
    const capLines: string[] = [];
    let capOk = true;
    let presentedOk = false;
    for (const [cap, method] of [
      ['magstripe', 'swipe'],
      ['contact', 'insert'],
      ['contactless', 'tap'],
    ] as const) {
      await toRest(ctx);
      const card = method === 'swipe' ? MAG_CARD : CHIP_CARD;
      const r = await ctx.request({ cmd: 'card', action: 'present', method, card });
      const e = errorOf(r);
      if (ctx.capability(cap)) {
        const ok = r.reply?.ok === true;
        presentedOk ||= ok;
        capOk &&= ok;
        capLines.push(`${method} (declared): ${describeReply(r)}`);
      } else {
        const ok = e.code === 'not-supported' && e.detail?.method === method;
        capOk &&= ok;
        capLines.push(`${method} (not declared): ${describeReply(r)}`);
      }
      if (method === 'insert' && r.reply?.ok) {
        await toRest(ctx);
        await ctx.request({ cmd: 'card', action: 'remove' });
      }
    }
    await toRest(ctx);
    ctx.expect('CMD-CARD-STATE', rmOk, `remove with no card: ${describeReply(rm)}`);
    if (!TTP_CAPABILITIES.slice(0, 3).some((c) => ctx.capability(c)))
      ctx.record('CMD-CARD', 'not-applicable', 'the terminal declares no card reader');
    else ctx.expect('CMD-CARD', presentedOk, presentedOk ? 'a declared reader accepted a card' : 'no declared reader accepted a card');
    ctx.expect('EXT-CAPABILITIES', capOk, capLines.join('; '));
  }

  // CMD-CONFIG
  {
    const r1 = await ctx.request({ cmd: 'config' });
    const c1 = resultOf(r1);
    const set = await ctx.request({ cmd: 'config', set: { 'x-poscert-check-unknown': 1 } });
    const e = errorOf(set);
    const c2 = resultOf(await ctx.request({ cmd: 'config' }));
    const unchanged = JSON.stringify(c1) === JSON.stringify(c2);
    // §6.7 says not-supported for a member the terminal cannot set, §2.1 that unknown members are
    // ignored: either is conformant as long as nothing changed.
    const refused = e.code === 'not-supported' && e.detail?.field === 'x-poscert-check-unknown';
    const ignored = set.reply?.ok === true && !('x-poscert-check-unknown' in (resultOf(set) ?? {}));
    ctx.expect(
      'CMD-CONFIG',
      !!c1 && (refused || ignored) && unchanged,
      `read: ${describeReply(r1)}; set x-poscert-check-unknown: ${describeReply(set)}${ignored ? ' (ignored)' : ''}; configuration ${unchanged ? 'unchanged' : 'CHANGED'}`,
    );
  }

  // CMD-CLOCK
  {
    const pattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
    const r1 = await ctx.request({ cmd: 'clock' });
    const before = resultOf(r1)?.now;
    const t0 = Date.now();
    const r2 = await ctx.request({ cmd: 'clock', set: '2031-02-03T04:05:06' });
    const set = resultOf(r2)?.now;
    const bad = await ctx.request({ cmd: 'clock', set: 'tomorrow' });
    let restored = true;
    if (typeof before === 'string' && pattern.test(before)) {
      const back = new Date(Date.parse(`${before}Z`) + (Date.now() - t0)).toISOString().slice(0, 19);
      restored = (await ctx.request({ cmd: 'clock', set: back })).reply?.ok === true;
    }
    const ok =
      typeof before === 'string' &&
      pattern.test(before) &&
      typeof set === 'string' &&
      set.startsWith('2031-02-03T04:05:0') &&
      errorOf(bad).code === 'bad-request';
    ctx.expect(
      'CMD-CLOCK',
      ok,
      `read ${String(before)}; set 2031-02-03T04:05:06 → ${String(set)}; set "tomorrow": ${describeReply(bad)}${restored ? '' : '; could not restore the clock'}`,
    );
  }

  // CMD-ECR
  {
    const noRequest = await ctx.request({ cmd: 'ecr' });
    const noAmount = await ctx.request({ cmd: 'ecr', request: 'sale' }, { timeoutMs: 2500 });
    const validated =
      errorOf(noRequest).code === 'bad-request' &&
      errorOf(noRequest).detail?.field === 'request' &&
      errorOf(noAmount).code === 'bad-request' &&
      errorOf(noAmount).detail?.field === 'amount';
    const state = await toRest(ctx);
    let busyText: string;
    let busyOk = true;
    if (state !== 'idle') {
      busyText = `busy rule not exercised: the terminal is ${String(state)}, not idle`;
    } else {
      const first = ctx.request({ cmd: 'ecr', request: 'sale', amount: '1', ecrReference: 'poscert-check' }, { timeoutMs: 15_000, timed: false });
      await delay(600);
      const second = await ctx.request({ cmd: 'ecr', request: 'sale', amount: '2' }, { timed: false });
      const reset = await ctx.request({ cmd: 'reset' }, { timeoutMs: 10_000, timed: false });
      const f = await first;
      const fe = errorOf(f);
      const ended = fe.code === 'cancelled' || (f.reply?.ok === true && resultOf(f)?.approved === false);
      if (f.reply && !f.reply.ok && fe.code !== 'cancelled') {
        busyText = `busy rule not exercised: the first ecr was refused (${describeReply(f)})`;
      } else {
        busyOk = errorOf(second).code === 'busy' && ended;
        busyText = `second ecr while one runs: ${describeReply(second)}; reset: ${describeReply(reset)}; first ecr: ${f.reply ? (f.reply.ok ? JSON.stringify(resultOf(f)) : describeReply(f)) : 'never answered'}`;
      }
    }
    ctx.expect('CMD-ECR-PARAMS', validated, `ecr without request: ${describeReply(noRequest)}; sale without amount: ${describeReply(noAmount)}`);
    if (busyText.startsWith('busy rule not exercised')) ctx.record('CMD-ECR', 'not-judged', busyText);
    else ctx.expect('CMD-ECR', busyOk, busyText);
    await toRest(ctx);
  }

  // Vouchers to look at (EVT-PRINT): one ECR sale of 0.01 with a test card, then a reprint.
  if (ctx.capability('printer')) {
    await saleForVouchers(ctx);
    const r = await ctx.request({ cmd: 'ecr', request: 'reprint' }, { timeoutMs: 15_000, timed: false });
    ctx.notes.push(`ecr reprint (to observe a print event): ${describeReply(r)}`);
    await toRest(ctx);
  }
  void p;
}

function stateEvent(ctx: CheckContext, from: number, states: string[], timeoutMs: number): Promise<ProbeItem | undefined> {
  return ctx.probe.waitFor(
    (it) =>
      it.kind === 'frame' && isEvent(it.message) && it.message.evt === 'state' && states.includes(String((it.message as { state?: unknown }).state)),
    timeoutMs,
    from,
  );
}

/**
 * An ECR sale of 0.01 with a test card through the first declared reader, PIN 123456 when the
 * terminal takes injected PIN keys. Approved or not, it is only there to make the terminal print;
 * the outcome goes into the notes. Abandoned with `reset` when it does not end within 10 s.
 */
async function saleForVouchers(ctx: CheckContext): Promise<void> {
  if ((await toRest(ctx)) !== 'idle') {
    ctx.notes.push('no sale to observe print events: the terminal is not idle (signed on)');
    return;
  }
  const reader = ctx.capability('magstripe')
    ? { method: 'swipe', card: MAG_CARD }
    : ctx.capability('contact')
      ? { method: 'insert', card: CHIP_CARD }
      : ctx.capability('contactless')
        ? { method: 'tap', card: CHIP_CARD }
        : undefined;
  if (!reader) return;
  const p = ctx.probe;
  const from = p.mark;
  const sale = ctx.request({ cmd: 'ecr', request: 'sale', amount: '1', ecrReference: 'poscert-check' }, { timeoutMs: 10_000, timed: false });
  if (await stateEvent(ctx, from, ['card-wait'], 3000)) {
    await ctx.request({ cmd: 'card', action: 'present', ...reader }, { timed: false });
    if (ctx.capability('pinpad') && (await stateEvent(ctx, from, ['pin-entry'], 3000))) {
      await ctx.request({ cmd: 'key', keys: ['1', '2', '3', '4', '5', '6', 'ENTER'] }, { timed: false });
    }
  }
  const r = await sale;
  if (!r.reply) await ctx.request({ cmd: 'reset' }, { timeoutMs: 10_000, timed: false });
  const res = resultOf(r);
  ctx.notes.push(
    `ecr sale of 0.01 with a test card (to observe print events): ${r.reply ? (res ? `approved ${String(res.approved)}${res.responseCode ? `, response code ${String(res.responseCode)}` : ''}` : describeReply(r)) : 'did not end within 10 s (reset)'}`,
  );
  if (reader.method === 'insert') {
    await toRest(ctx);
    await ctx.request({ cmd: 'card', action: 'remove' }, { timed: false });
  }
  await toRest(ctx);
}

export async function checkPower(ctx: CheckContext): Promise<void> {
  const p = ctx.probe;
  await toRest(ctx);
  // CMD-POWER-CYCLE
  {
    const from = p.mark;
    const r = await ctx.request({ cmd: 'power', action: 'cycle' }, { timed: false });
    const replyAt = p.items.findIndex(
      (it, i) => i >= from && it.kind === 'frame' && isReply(it.message) && r.reply !== undefined && it.message.id === r.reply.id,
    );
    const rest = await waitForRest(ctx, from, 15_000);
    const states = p.items
      .slice(from)
      .filter((it): it is Extract<ProbeItem, { kind: 'frame' }> => it.kind === 'frame' && isEvent(it.message) && it.message.evt === 'state');
    const firstStateAt = states.length ? p.items.indexOf(states[0]) : -1;
    const booting = states.find((s) => (s.message as { state?: unknown }).state === 'booting');
    const problems: string[] = [];
    if (resultOf(r)?.state !== 'booting') problems.push(`reply ${describeReply(r)} ${JSON.stringify(resultOf(r) ?? {})}, expected {state: booting}`);
    if (replyAt < 0 || (firstStateAt >= 0 && firstStateAt < replyAt))
      problems.push('a state event came before the reply (the terminal acted before replying)');
    if (!booting) problems.push('no state event booting');
    else if ((booting.message as { seq?: unknown }).seq !== 1)
      problems.push(`the booting event has seq ${String((booting.message as { seq?: unknown }).seq)}, not 1`);
    if (!rest) problems.push('idle / sign-on-required not reached within 15 s');
    const bootMs = rest && replyAt >= 0 ? rest.at - p.items[replyAt].at : undefined;
    ctx.expect(
      'CMD-POWER-CYCLE',
      problems.length === 0,
      problems.length ? problems.join('; ') : `states: ${states.map((s) => String((s.message as { state?: unknown }).state)).join(' → ')}`,
    );
    if (bootMs !== undefined)
      ctx.expect('TIME-BOOT', bootMs <= 10_000, `at rest ${round(bootMs)} ms after the power cycle reply`, { bootMs: round(bootMs) });
    else ctx.record('TIME-BOOT', 'not-judged', 'the terminal did not come back to rest');
  }
  // CMD-POWER-OFF
  {
    await toRest(ctx);
    const cut = await ctx.request({ cmd: 'power', action: 'cut' }, { timed: false });
    await delay(300);
    const s = await screen(ctx);
    const key = await ctx.request({ cmd: 'key', keys: ['CANCEL'] });
    const hello = await ctx.request({ cmd: 'hello', ttp: '1.0', client: 'poscert ttp check', session: 1 + Math.floor(Math.random() * 0x7ffffffe) });
    const cut2 = await ctx.request({ cmd: 'power', action: 'cut' }, { timed: false });
    const from = p.mark;
    const on = await ctx.request({ cmd: 'power', action: 'on' }, { timed: false });
    const rest = await waitForRest(ctx, from, 15_000);
    const on2 = await ctx.request({ cmd: 'power', action: 'on' }, { timed: false });
    const ok =
      resultOf(cut)?.state === 'off' &&
      Array.isArray(s?.lines) &&
      (s!.lines as unknown[]).length === 0 &&
      s?.state === 'off' &&
      errorOf(key).code === 'powered-off' &&
      hello.reply?.ok === true &&
      errorOf(cut2).code === 'invalid-state' &&
      resultOf(on)?.state === 'booting' &&
      rest !== undefined &&
      errorOf(on2).code === 'invalid-state';
    ctx.expect(
      'CMD-POWER-OFF',
      ok,
      `cut: ${describeReply(cut)} ${JSON.stringify(resultOf(cut) ?? {})}; screen while off: ${JSON.stringify(s)}; key while off: ${describeReply(key)}; hello while off: ${describeReply(hello)}; cut while off: ${describeReply(cut2)}; on: ${describeReply(on)}${rest ? ', back at rest' : ', never back at rest'}; on while on: ${describeReply(on2)}`,
    );
  }
  await toRest(ctx);
}
