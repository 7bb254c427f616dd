import { test, describe } from 'node:test';
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { RecoveryControl, RestControl, RestScreen, TerminalStrategy } from '../../drivers/strategy';
import { TerminalBrokenError, TerminalExpectationError, classifyError } from '../../drivers/errors';
import { OperatorConsole, OperatorTimeoutError } from '../../drivers/operator';

/** A scripted terminal (a unit-test double of the driver): how it reacts to each recovery action. */
function scripted(initial: string, react: Partial<Record<'CANCEL' | 'reset' | 'power' | 'signOn', (state: string) => string>>) {
  let state = initial;
  const actions: string[] = [];
  const control: RecoveryControl = {
    screen: async () => ({ lines: [`<${state}>`], state }),
    pressKeys: async (keys) => {
      actions.push(keys.join(','));
      state = react.CANCEL?.(state) ?? state;
    },
    reset: async () => {
      actions.push('reset');
      state = react.reset?.(state) ?? state;
    },
    powerCycle: async () => {
      actions.push('power');
      state = react.power?.(state) ?? state;
    },
    signOn: async () => {
      actions.push('signOn');
      state = react.signOn?.(state) ?? state;
    },
    waitForState: async (states, timeoutMs) => {
      if (states.includes(state)) return { lines: [], state };
      throw new TerminalExpectationError(`not ${states.join('|')} in ${timeoutMs} ms`);
    },
  };
  return {
    control,
    actions,
    get state() {
      return state;
    },
  };
}

const fast = { settleMs: 5, bootMs: 5, signOnMs: 5 };

describe('TerminalStrategy', () => {
  test('idle already: only looks', async () => {
    const t = scripted('idle', {});
    await new TerminalStrategy(t.control, fast).ensureSignedOnIdle();
    expect(t.actions).to.deep.equal([]);
  });

  test('a menu left open: CANCEL brings it back', async () => {
    const t = scripted('menu', { CANCEL: () => 'idle' });
    await new TerminalStrategy(t.control, fast).ensureSignedOnIdle();
    expect(t.actions).to.deep.equal(['CANCEL']);
  });

  test('sign-on required after CANCEL: signs on', async () => {
    const t = scripted('pin-entry', { CANCEL: () => 'sign-on-required', signOn: () => 'idle' });
    await new TerminalStrategy(t.control, fast).ensureSignedOnIdle();
    expect(t.actions).to.deep.equal(['CANCEL', 'signOn']);
  });

  test('a hung terminal: escalates to reset, then power cycle', async () => {
    const t = scripted('x-hung', { power: () => 'sign-on-required', signOn: () => 'idle' });
    await new TerminalStrategy(t.control, { ...fast, cancelPresses: 2 }).ensureSignedOnIdle();
    expect(t.actions).to.deep.equal(['CANCEL', 'CANCEL', 'reset', 'power', 'signOn']);
  });

  test('gives up after maxRecoveries and later calls fail fast', async () => {
    const t = scripted('x-hung', {});
    const s = new TerminalStrategy(t.control, { ...fast, cancelPresses: 1, maxRecoveries: 2 });
    const err = await s.ensureSignedOnIdle().then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TerminalBrokenError);
    expect(classifyError(err)).to.equal('broken');
    expect(err.message).to.include('2 recoveries in a row');
    expect(err.message).to.include('recovery 2:');
    expect(t.actions).to.deep.equal(['CANCEL', 'reset', 'power', 'CANCEL', 'reset', 'power']);
    const before = t.actions.length;
    const again = await s.ensureSignedOnIdle().then(
      () => undefined,
      (e) => e,
    );
    expect(again).to.equal(err);
    expect(t.actions.length).to.equal(before);
    expect(() => s.assertUsable()).to.throw(TerminalBrokenError);
  });

  test('a tampered terminal is marked broken after one recovery, with the reason', async () => {
    const t = scripted('tampered', {});
    const s = new TerminalStrategy(t.control, { ...fast, cancelPresses: 1, maxRecoveries: 3 });
    const err = await s.ensureSignedOnIdle().then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TerminalBrokenError);
    expect(err.message).to.include('tamper');
    expect(t.actions).to.deep.equal(['CANCEL', 'reset', 'power']);
  });

  test('a successful recovery resets the failure count', async () => {
    let hung = true;
    const t = scripted('x-hung', { power: () => (hung ? 'x-hung' : 'idle') });
    const s = new TerminalStrategy(t.control, { ...fast, cancelPresses: 0, maxRecoveries: 2 });
    hung = false;
    await s.ensureSignedOnIdle();
    expect(s.broken).to.equal(undefined);
  });
});

/** A scripted terminal for the `idle` target: screens by state, what each key does, a card slot. */
function resting(
  initial: { state: string; screen?: string; lines?: string[] },
  keys: Partial<Record<'ENTER' | 'CANCEL', (s: string) => { state: string; screen?: string }>>,
  opts: { card?: boolean } = {},
) {
  let at = 1;
  let screen: RestScreen = { lines: initial.lines ?? [`<${initial.state}>`], state: initial.state, screen: initial.screen, at };
  let slot = opts.card ?? false;
  const actions: string[] = [];
  const control: RestControl = {
    lastScreen: () => ({ ...screen }),
    waitForQuiet: async () => undefined,
    waitForState: async (states, timeoutMs) => {
      if (states.includes(screen.state ?? '')) return { ...screen };
      throw new TerminalExpectationError(`not ${states.join('|')} in ${timeoutMs} ms`);
    },
    waitForPromptChange: async () => undefined,
    pressKeys: async (k) => {
      actions.push(k.join(','));
      const next = keys[k[0] as 'ENTER' | 'CANCEL']?.(screen.state ?? '');
      if (next) screen = { lines: [`<${next.state}>`], state: next.state, screen: next.screen, at: ++at };
    },
    cardInSlot: () => slot,
    removeCard: async () => {
      actions.push('remove card');
      slot = false;
    },
    maskScreen: (lines) => [...lines],
    timeoutMs: () => 5,
  };
  return { control, actions };
}

const noRecovery = scripted('idle', {}).control;

describe('TerminalStrategy: the idle target', () => {
  test('a result is acknowledged with ENTER and the inserted card taken out; nothing changed since: no action', async () => {
    const t = resting({ state: 'result' }, { ENTER: () => ({ state: 'idle', screen: 'idle' }) }, { card: true });
    const s = new TerminalStrategy(noRecovery, fast, t.control);
    await s.transition('idle');
    expect(t.actions).to.deep.equal(['ENTER', 'remove card']);
    await s.transition('idle');
    expect(t.actions).to.have.length(2);
  });

  test('a prompt left over from an aborted step is cancelled', async () => {
    const t = resting({ state: 'pin-entry' }, { CANCEL: () => ({ state: 'idle' }) });
    await new TerminalStrategy(noRecovery, fast, t.control).transition('idle');
    expect(t.actions).to.deep.equal(['CANCEL']);
  });

  test('a result drawn in state idle (签到成功 with its own screen id) still takes a key, once', async () => {
    const t = resting({ state: 'idle', screen: 'sign-on-ok', lines: ['签到成功'] }, { ENTER: () => ({ state: 'idle', screen: 'sign-on-ok' }) });
    await new TerminalStrategy(noRecovery, fast, t.control).transition('idle');
    expect(t.actions).to.deep.equal(['ENTER']);
  });

  test('a terminal that does not come back to rest failed the case (no escalation)', async () => {
    const t = resting({ state: 'result', lines: ['交易成功'] }, {});
    const err = await new TerminalStrategy(noRecovery, fast, t.control).transition('idle').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(TerminalExpectationError);
    expect(classifyError(err)).to.equal('failed');
    expect((err as Error).message).to.match(/did not return to idle within 10 ms; it shows \(result\):\n  交易成功/);
    expect(t.actions.every((a) => a === 'ENTER')).to.equal(true);
  });

  test('the signed-on idle target is the recovery ladder', async () => {
    const t = scripted('menu', { CANCEL: () => 'idle' });
    await new TerminalStrategy(t.control, fast).transition('signed-on idle');
    expect(t.actions).to.deep.equal(['CANCEL']);
  });
});

describe('OperatorConsole', () => {
  test('continues when the terminal reacts, and shows the PIN only on an interactive console', async () => {
    const input = new PassThrough();
    const output = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    output.on('data', (d) => {
      text += d;
    });
    const c = new OperatorConsole({ input, output, timeoutMs: 1000 });
    const how = await c.ask({ instruction: 'Type the PIN', secret: '123456', terminalReaction: new Promise((r) => setTimeout(r, 10)) });
    expect(how).to.equal('terminal');
    expect(text).to.include('OPERATOR: Type the PIN');
    expect(text).to.include('123456');

    const nonTty = new OperatorConsole({ input, output: new PassThrough(), timeoutMs: 1000 });
    const err = await nonTty.ask({ instruction: 'Type the PIN', secret: '123456', terminalReaction: new Promise(() => undefined) }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(OperatorTimeoutError);
    expect(err.message).to.include('interactive console');
  });

  test('the person can confirm on the console; nobody acting is a broken-type timeout', async () => {
    const input = new PassThrough();
    const c = new OperatorConsole({ input, output: new PassThrough(), timeoutMs: 40 });
    const pending = c.ask({ instruction: 'Insert card', terminalReaction: new Promise(() => undefined) });
    input.write('\n');
    expect(await pending).to.equal('operator');
    const err = await c.ask({ instruction: 'Insert card', terminalReaction: Promise.reject(new Error('x')) }).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(OperatorTimeoutError);
    expect(classifyError(err)).to.equal('broken');
  });
});
