// Declared outcomes end to end, with the real error classes: a class says failed or broken (and
// which broken kind), the step wrapper's marker carries that, the certificate and the Allure
// categories read it. The TTP timeout comes from a real TtpChannel whose peer acknowledges the
// command and never answers.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssertionError } from 'chai';
import { classifyOutcome, classifySerialisedError, PoscertError } from '../../errors';
import { TtpChannel, TtpLinkBrokenError, TtpRemoteError, TtpResponseTimeoutError } from '../../protocol/ttp';
import { systemScheduler } from '../../links/scheduler';
import { LinkDownError, LinkUrlError } from '../../links/errors';
import { TerminalExpectationError, TerminalBrokenError, classifyError } from '../../drivers/errors';
import { HostControlError } from '../../host/errors';
import { TerminalUnreachableError } from '../../certification/errors';
import { ScenarioSetupError } from '../../steps/support/errors';
import { alignResults, categoriesDefinition, PICKLE_LABEL } from '../../certification/allure';
import { collectResults, outcomeMarker } from '../../certification/results';
import { parsePlan } from '../../certification/plan';
import { judge } from '../../certification/verdict';
import { buildStream } from './stream-builder';

/** A real response timeout: the peer channel acknowledges the frame and never replies. */
async function realResponseTimeout(): Promise<TtpResponseTimeoutError> {
  const sched = systemScheduler();
  let harness!: TtpChannel;
  let terminal!: TtpChannel;
  harness = new TtpChannel({
    write: (b) => {
      setImmediate(() => terminal.receive(Buffer.from(b)));
    },
    scheduler: sched,
    name: 'harness',
    ackTimeoutMs: 200,
    responseTimeoutMs: 60,
  });
  terminal = new TtpChannel({
    write: (b) => {
      setImmediate(() => harness.receive(Buffer.from(b)));
    },
    scheduler: sched,
    name: 'silent terminal',
    ackTimeoutMs: 200,
  });
  terminal.on('request', () => undefined); // received, acknowledged, never answered
  try {
    const err = await harness.request({ cmd: 'screen' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof TtpResponseTimeoutError)) throw new Error(`expected a TtpResponseTimeoutError, got ${String(err)}`);
    return err;
  } finally {
    harness.close();
    terminal.close();
  }
}

describe('declared outcomes: each error class says failed or broken, and which broken kind', () => {
  test('the real classes declare their outcome; one classifier reads it', () => {
    expect(classifyOutcome(new TerminalExpectationError('no 交易成功'))).to.deep.equal({ outcome: 'failed' });
    expect(classifyOutcome(new AssertionError('expected 1 to equal 2'))).to.deep.equal({ outcome: 'failed' });
    expect(classifyOutcome(new TtpResponseTimeoutError('screen', 7, 3000))).to.deep.equal({ outcome: 'broken', brokenKind: 'terminal-timeout' });
    expect(classifyOutcome(new LinkDownError('serial:/dev/ttyUSB0', 'cable pulled'))).to.deep.equal({ outcome: 'broken', brokenKind: 'link' });
    expect(classifyOutcome(new TtpLinkBrokenError('no ACK after 3 retransmissions'))).to.deep.equal({ outcome: 'broken', brokenKind: 'link' });
    expect(classifyOutcome(new TerminalUnreachableError('no hello'))).to.deep.equal({ outcome: 'broken', brokenKind: 'link' });
    expect(classifyOutcome(new LinkUrlError('bogus:x', 'unknown scheme'))).to.deep.equal({ outcome: 'broken', brokenKind: 'harness' });
    for (const e of [
      new TtpRemoteError('key', 1, 'bad-state', 'not now'),
      new TerminalBrokenError('gave up'),
      new HostControlError('no card X'),
      new ScenarioSetupError('x'),
      new PoscertError('X', 'y'),
      new Error('bug'),
    ]) {
      expect(classifyOutcome(e), e.name).to.deep.equal({ outcome: 'broken', brokenKind: 'harness' });
    }
    // A socket error of Node is a link problem.
    expect(classifyOutcome(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).to.deep.equal({
      outcome: 'broken',
      brokenKind: 'link',
    });
    // The drivers' failed/broken answer is the same classifier's.
    expect(classifyError(new TerminalExpectationError('x'))).to.equal('failed');
    expect(classifyError(new TtpResponseTimeoutError('screen', 7, 3000))).to.equal('broken');
  });

  test('a serialised error without the marker: only an assertion error is recognised by its name', () => {
    expect(classifySerialisedError('AssertionError')).to.deep.equal({ outcome: 'failed' });
    expect(classifySerialisedError('LinkDownError')).to.deep.equal({ outcome: 'broken', brokenKind: 'harness' });
    expect(classifySerialisedError(undefined)).to.deep.equal({ outcome: 'broken', brokenKind: 'harness' });
  });

  test('a real TTP response timeout is classed "terminal did not answer" in the certificate and in Allure', async () => {
    const err = await realResponseTimeout();
    const marker = outcomeMarker(err);
    expect(marker).to.deep.include({
      outcome: 'broken',
      brokenKind: 'terminal-timeout',
      errorName: 'TtpResponseTimeoutError',
      code: 'ttp-response-timeout',
    });

    const results = collectResults([
      {
        source: 's',
        text: buildStream([
          {
            name: 'PIN entry',
            tags: ['@CUP-PIN-001'],
            steps: [{ text: 'the cardholder enters PIN', status: 'FAILED', error: { type: err.name, message: err.message }, marker }],
          },
        ]),
      },
    ]);
    const s = results.scenarios[0];
    expect(s.status).to.equal('broken');
    expect(s.firstFailure).to.deep.include({ brokenKind: 'terminal-timeout', errorType: 'TtpResponseTimeoutError' });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-outcomes-'));
    try {
      fs.writeFileSync(
        path.join(dir, '0-result.json'),
        JSON.stringify({
          uuid: '0',
          name: s.title,
          status: 'broken',
          statusDetails: { message: err.message },
          labels: [{ name: PICKLE_LABEL, value: s.pickleId }],
        }),
      );
      const plan = parsePlan('name: p\nversion: 1\ncases:\n  - { id: CUP-PIN-001, mandatory: true }\n', 'p');
      const j = judge(plan, results, [], { kind: 'full' });
      alignResults(dir, results, (id) => j.cases.find((c) => c.id === id));
      const r = JSON.parse(fs.readFileSync(path.join(dir, '0-result.json'), 'utf8')) as { status: string; statusDetails: { message: string } };
      expect(r.status).to.equal('broken');
      // Allure's own matching: first category whose statuses and message regex match.
      const category = categoriesDefinition().find(
        (c) =>
          c.matchedStatuses?.includes(r.status) &&
          (!c.messageRegex || new RegExp(`^${c.messageRegex.replace('(?s)', '')}$`, 's').test(r.statusDetails.message)),
      );
      expect(category?.name).to.equal('Terminal did not answer the harness (broken)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
