// certification/results: scenario outcomes from cucumber's message stream, with the step wrapper's
// outcome markers built from the real error classes.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { collectResults, outcomeMarker, parseMessageStream, summariseMessage } from '../../certification/results';
import { LinkDownError } from '../../links/errors';
import { TtpResponseTimeoutError } from '../../protocol/ttp';
import { TerminalExpectationError } from '../../drivers/errors';
import { MessageStreamError } from '../../certification/errors';
import { buildStream } from './stream-builder';

const one = (text: string) => collectResults([{ text, source: 'run.ndjson' }]);

describe('certification/results: scenario outcomes from the message stream', () => {
  test('a passing scenario is passed, with its case id, title, tags and duration', () => {
    const r = one(
      buildStream([
        {
          name: 'Sale by swipe',
          tags: ['@CUP-PAY-001', '@severity:critical', '@mandatory'],
          steps: [{ text: 'the host approved it', status: 'PASSED' }],
        },
      ]),
    );
    expect(r.complete).to.equal(true);
    expect(r.scenarios).to.have.length(1);
    const s = r.scenarios[0];
    expect(s).to.include({ caseId: 'CUP-PAY-001', title: 'Sale by swipe', status: 'passed', uri: 'features/payment/sale.feature', attempts: 1 });
    expect(s.tags).to.include('@severity:critical');
    expect(s.durationMs).to.be.greaterThan(0);
    expect(r.cucumberVersion).to.equal('12.9.0');
  });

  test('an assertion error is failed, and the first failing check names the step and the message', () => {
    const r = one(
      buildStream([
        {
          name: 'Voucher amount',
          tags: ['@CUP-VOU-001'],
          steps: [
            { text: 'a sale of 5.00', keyword: 'When ', status: 'PASSED' },
            {
              text: 'the voucher shows 5.00',
              keyword: 'Then ',
              status: 'FAILED',
              error: { type: 'AssertionError', message: "expected '5.01' to equal '5.00'" },
            },
            { text: 'the host booked 5.00', status: 'SKIPPED' },
          ],
        },
      ]),
    );
    const s = r.scenarios[0];
    expect(s.status).to.equal('failed');
    expect(s.firstFailure).to.deep.include({ step: 'Then the voucher shows 5.00', errorType: 'AssertionError' });
    expect(s.firstFailure!.message).to.equal("expected '5.01' to equal '5.00'");
    expect(s.firstFailure!.message).not.to.include('at Object');
  });

  test('a non-assertion error is broken (the harness could not judge), classified as a link problem by its class', () => {
    const err = new LinkDownError('serial:/dev/ttyUSB0', 'cable pulled');
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-RSK-001'],
          steps: [{ text: 'the link drops', status: 'FAILED', error: { type: err.name, message: err.message }, marker: outcomeMarker(err) }],
        },
      ]),
    ).scenarios[0];
    expect(s.status).to.equal('broken');
    expect(s.firstFailure!.brokenKind).to.equal('link');
    expect(s.reason).to.match(/^harness could not judge \(link\)/);
  });

  test("the step wrapper's outcome marker wins over the exception class", () => {
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-PIN-001'],
          steps: [
            {
              text: 'the screen shows 交易成功',
              status: 'FAILED',
              error: { type: 'Error', message: 'no screen 交易成功 within 2 s' },
              marker: outcomeMarker(new TerminalExpectationError('no screen 交易成功 within 2 s')),
            },
          ],
        },
      ]),
    ).scenarios[0];
    expect(s.status).to.equal('failed');
    expect(s.firstFailure!.errorType).to.equal('TerminalExpectationError');

    const t = one(
      buildStream([
        {
          name: 'y',
          tags: ['@CUP-PIN-002'],
          steps: [
            {
              text: 'the PIN is entered',
              status: 'FAILED',
              error: { type: 'AssertionError', message: 'x' },
              marker: outcomeMarker(new TtpResponseTimeoutError('key', 12, 3000)),
            },
          ],
        },
      ]),
    ).scenarios[0];
    expect(t.status).to.equal('broken');
    expect(t.firstFailure!.brokenKind).to.equal('terminal-timeout');
  });

  test('undefined, ambiguous and pending steps are broken', () => {
    for (const status of ['UNDEFINED', 'AMBIGUOUS', 'PENDING'] as const) {
      const s = one(buildStream([{ name: 'x', tags: ['@CUP-STL-001'], steps: [{ text: 'something nobody wrote', keyword: 'When ', status }] }]))
        .scenarios[0];
      expect(s.status, status).to.equal('broken');
      expect(s.firstFailure!.brokenKind).to.equal('undefined-step');
      expect(s.reason).to.include('"When something nobody wrote"');
    }
  });

  test('a failing Before hook is reported as the hook, and is broken unless it asserted', () => {
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-ONB-001'],
          beforeHook: { status: 'FAILED', error: { type: 'TerminalBrokenError', message: 'gave up after 3 recoveries' } },
          steps: [{ text: 'a', status: 'SKIPPED' }],
        },
      ]),
    ).scenarios[0];
    expect(s.status).to.equal('broken');
    expect(s.firstFailure!.step).to.equal('Before hook "bring the terminal to idle"');
  });

  test('a scenario whose steps were all skipped is skipped, with the marker reason when there is one', () => {
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-PAY-009'],
          beforeHook: { status: 'SKIPPED' },
          steps: [{ text: 'a', status: 'SKIPPED', marker: { outcome: 'skipped', reason: 'terminal does not declare contactless' } }],
        },
      ]),
    ).scenarios[0];
    expect(s.status).to.equal('skipped');
    expect(s.reason).to.equal('terminal does not declare contactless');
  });

  test('outline rows become parameters; each row is its own scenario result', () => {
    const r = one(
      buildStream([
        { name: 'Sale by <entry>', tags: ['@CUP-PAY-002'], row: { entry: 'swipe', amount: '1.00' }, steps: [{ text: 'ok', status: 'PASSED' }] },
        { name: 'Sale by <entry>', tags: ['@CUP-PAY-002'], row: { entry: 'tap', amount: '2.00' }, steps: [{ text: 'ok', status: 'PASSED' }] },
      ]),
    );
    expect(r.scenarios.map((s) => s.parameters)).to.deep.equal([
      { entry: 'swipe', amount: '1.00' },
      { entry: 'tap', amount: '2.00' },
    ]);
  });

  test('with retries only the last attempt counts, and the attempts are counted', () => {
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-PAY-003'],
          retries: 2,
          steps: [
            { text: 'a', status: 'PASSED' },
            { text: 'b', status: 'PASSED' },
          ],
        },
      ]),
    ).scenarios[0];
    expect(s.status).to.equal('passed');
    expect(s.attempts).to.equal(3);
  });

  test('terminal identity markers are kept per scenario', () => {
    const s = one(
      buildStream([
        {
          name: 'x',
          tags: ['@CUP-PAY-004'],
          terminal: { serialNumber: 'EMU-0002', terminalId: '10000002' },
          steps: [{ text: 'a', status: 'PASSED' }],
        },
      ]),
    ).scenarios[0];
    expect(s.terminal).to.deep.equal({ serialNumber: 'EMU-0002', terminalId: '10000002' });
  });

  test('a stream without testRunFinished is incomplete and its unfinished scenarios are broken (run aborted)', () => {
    const r = one(
      buildStream(
        [
          { name: 'done', tags: ['@CUP-PAY-001'], steps: [{ text: 'a', status: 'PASSED' }] },
          { name: 'never finished', tags: ['@CUP-PAY-002'], steps: [{ text: 'a', status: 'PASSED' }], notFinished: true },
        ],
        { finished: false, truncate: true },
      ),
    );
    expect(r.complete).to.equal(false);
    expect(r.runErrors[0]).to.match(/did not finish/);
    expect(r.notStarted).to.have.length(1);
    expect(r.notStarted[0]).to.include({ caseId: 'CUP-PAY-002', status: 'broken' });
    expect(r.notStarted[0].firstFailure!.brokenKind).to.equal('run-aborted');
  });

  test('several streams (shards) are read apart and their pickle ids prefixed', () => {
    const a = buildStream([{ name: 'a', tags: ['@CUP-PAY-001'], steps: [{ text: 'x', status: 'PASSED' }] }], { start: 1_700_000_000_000 });
    const b = buildStream(
      [{ name: 'b', tags: ['@CUP-PAY-002'], steps: [{ text: 'x', status: 'FAILED', error: { type: 'AssertionError', message: 'no' } }] }],
      { start: 1_700_000_100_000 },
    );
    const r = collectResults([
      { text: a, source: 'shard1' },
      { text: b, source: 'shard2' },
    ]);
    expect(r.scenarios.map((s) => [s.caseId, s.status, s.pickleId.split(':')[0]])).to.deep.equal([
      ['CUP-PAY-001', 'passed', '0'],
      ['CUP-PAY-002', 'failed', '1'],
    ]);
    expect(Date.parse(r.finishedAt!) - Date.parse(r.startedAt!)).to.be.greaterThan(100_000);
  });

  test('a bad line in the middle of a stream is a typed error naming the line', () => {
    const text = buildStream([{ name: 'a', tags: ['@CUP-PAY-001'], steps: [{ text: 'x', status: 'PASSED' }] }]).replace('\n', '\n{not json\n');
    expect(() => parseMessageStream(text, 'm.ndjson')).to.throw(MessageStreamError, /m\.ndjson: line 2 is not a JSON message/);
  });

  test('without a marker only an assertion error is failed; any other class is a broken harness problem', () => {
    const run = (type: string) =>
      one(buildStream([{ name: 'x', tags: ['@CUP-PAY-010'], steps: [{ text: 'a', status: 'FAILED', error: { type, message: 'm' } }] }])).scenarios[0];
    expect(run('AssertionError').status).to.equal('failed');
    expect(run('LinkDownError')).to.deep.include({ status: 'broken' });
    expect(run('LinkDownError').firstFailure!.brokenKind).to.equal('harness');
  });

  test('messages are summarised without colours and stack frames', () => {
    expect(summariseMessage('\u001b[31mexpected\u001b[0m 1\n    at foo (x.ts:1)\n    at bar')).to.equal('expected 1');
    expect(summariseMessage('x'.repeat(1000)).length).to.equal(600);
  });

  test('a full PAN or track 2 quoted by a failure message is masked before it reaches the certificate', () => {
    expect(summariseMessage('voucher line: 卡号 6200000000000047 S')).to.equal('voucher line: 卡号 620000******0047 S');
    expect(summariseMessage('F35 6200000000000047=31122201234')).to.equal('F35 [track data removed]');
    expect(summariseMessage('STAN 000123 amount 000000012345 batch 1234567890123')).to.equal('STAN 000123 amount 000000012345 batch 1234567890123');
  });
});
