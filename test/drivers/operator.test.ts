// The operator console (drivers/operator.ts PersonConsole) over in-memory streams, and the
// operator:… terminal spec: numbered prompts, answers recorded as evidence (never a PIN), unusable
// answers asked again, a closed console or silence is a typed error; a bad spec names what to fix.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { OperatorAnswerError, OperatorTimeoutError, PersonConsole, parseOperatorTerminal } from '../../drivers/operator';

function console2(timeoutMs = 2000) {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => {
    shown += d.toString();
  });
  return { person: new PersonConsole({ input, output, timeoutMs }), type: (s: string) => input.write(`${s}\n`), shown: () => shown, input };
}

describe('PersonConsole', () => {
  test('numbered prompts; answers and instructions are logged, the PIN only shown', async () => {
    const { person, type, shown } = console2();
    person.begin('CUP-PAY-010 缴费');
    const done = person.instruct('Type the PIN and press ENTER.', '123456');
    type('');
    await done;
    const q = person.confirm('Does the screen show “交易成功”?');
    type('maybe');
    type('y');
    expect(await q).to.equal(true);
    const c = person.count('How many copies?');
    type('2');
    expect(await c).to.equal(2);
    expect(shown())
      .to.include('=== poscert operator: CUP-PAY-010 缴费')
      .and.include('[#1] DO')
      .and.include('PIN to type: 123456')
      .and.include('[#2] ASK')
      .and.include('[#2] please answer y/n')
      .and.include('[#3] (a number) >');
    const log = person.take();
    expect(log.map((a) => `${a.kind} ${a.answer}`)).to.deep.equal(['do done', 'ask yes', 'ask 2']);
    expect(JSON.stringify(log)).to.not.include('123456');
    expect(person.take()).to.deep.equal([]);
    await person.close();
  });

  test('a "no" is an answer; lines typed ahead answer the next prompts in order', async () => {
    const { person, type } = console2();
    type('n');
    type('否');
    expect(await person.confirm('a?')).to.equal(false);
    expect(await person.confirm('b?')).to.equal(false);
    await person.close();
  });

  test('silence and a closed console are typed errors (broken, not failed)', async () => {
    const { person } = console2(50);
    const err = await person.confirm('anyone?').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OperatorTimeoutError);
    expect((err as OperatorTimeoutError).outcome.outcome).to.equal('broken');
    const c = console2();
    const pending = c.person.instruct('do it');
    c.input.end();
    expect(await pending.catch((e: unknown) => e)).to.be.instanceOf(OperatorTimeoutError);
  });
});

describe('operator:… terminal spec', () => {
  test('identity, capabilities and declared copies from the spec; defaults', () => {
    const s = parseOperatorTerminal('operator:counter?terminalId=10000002&capabilities=printer,contact&model=P1&copies=3');
    expect(s).to.include({ name: 'counter', terminalId: '10000002', model: 'P1', copies: 3 });
    expect(s.capabilities).to.deep.equal(['contact', 'printer']);
    expect(parseOperatorTerminal('operator:').copies).to.equal(2);
  });

  test('unknown parameters and capabilities, a bad terminal id: errors that say what is known', () => {
    expect(() => parseOperatorTerminal('operator:x?baud=9600')).to.throw(OperatorAnswerError, /unknown parameter baud.*known: terminalId/);
    expect(() => parseOperatorTerminal('operator:x?capabilities=nfc')).to.throw(OperatorAnswerError, /unknown capability nfc/);
    expect(() => parseOperatorTerminal('operator:x?terminalId=123')).to.throw(OperatorAnswerError, /8-character/);
    expect(() => parseOperatorTerminal('operator:x?copies=0')).to.throw(OperatorAnswerError, /copies/);
  });
});
