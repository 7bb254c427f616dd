import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerminalStateError } from '../../emulator/errors';
import { TerminalStateStore, initialState } from '../../emulator/state-store';

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-state-')), 'terminal.json');
}

describe('terminal state file', () => {
  test('a missing file is a factory-fresh terminal', () => {
    const store = new TerminalStateStore(tmpFile());
    expect(store.load()).to.deep.equal(initialState());
  });

  test('save then load round-trips; the file is 0600 and no temp file is left behind', () => {
    const file = tmpFile();
    const store = new TerminalStateStore(file);
    const s = initialState();
    s.counters.stan = 42;
    s.pendingReversal = {
      originalMti: '0200',
      fields: { '3': { s: '000000' }, '55': { b: '9F3602000A' } },
      reason: 'A0',
      trace: '000042',
      kind: 'sale',
      attempts: 1,
      createdAt: '2026-01-01T00:00:00Z',
    };
    store.save(s);
    expect(store.load()).to.deep.equal(s);
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.readdirSync(path.dirname(file))).to.deep.equal(['terminal.json']);
  });

  test('a torn or foreign file is a typed error naming the file, never a silent reset', () => {
    const file = tmpFile();
    fs.writeFileSync(file, '{"format":"poscert-terminal-state","version":1,"counters":');
    expect(() => new TerminalStateStore(file).load()).to.throw(TerminalStateError, /not valid JSON/);
    fs.writeFileSync(file, JSON.stringify({ hello: 'world' }));
    try {
      new TerminalStateStore(file).load();
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(TerminalStateError);
      expect((e as TerminalStateError).code).to.equal('EMULATOR_STATE');
      expect((e as Error).message)
        .to.include(file)
        .and.include('format');
    }
  });

  test("kind names written by earlier versions (pre-auth, pre-auth-void, completion) load as the catalogue's", () => {
    const file = tmpFile();
    const record = (kind: string, trace: string) => ({
      kind,
      trace,
      batch: '000001',
      amount: 100,
      pan: '6212345678901265',
      entry: 'swipe',
      entryMode: '021',
      rrn: '',
      authCode: 'A1',
      date: '2026-01-01',
      time: '10:00:00',
      responseCode: '00',
      cardOrganisation: 'CUP',
      voided: false,
      pinEntered: true,
    });
    const old = {
      ...initialState(),
      batch: [record('completion', '000002'), record('sale', '000003')],
      preAuths: [record('pre-auth', '000001')],
      pendingReversal: {
        originalMti: '0100',
        fields: {},
        reason: '98',
        trace: '000004',
        kind: 'pre-auth-void',
        attempts: 0,
        createdAt: '2026-01-01T00:00:00Z',
      },
    };
    fs.writeFileSync(file, JSON.stringify(old));
    const s = new TerminalStateStore(file).load();
    expect(s.batch.map((t) => t.kind)).to.deep.equal(['preauth-completion', 'sale']);
    expect(s.preAuths[0].kind).to.equal('preauth');
    expect(s.pendingReversal!.kind).to.equal('preauth-void');
  });

  test('a write into a directory that cannot be created is a typed error', () => {
    const blocker = tmpFile();
    fs.writeFileSync(blocker, 'x');
    const store = new TerminalStateStore(path.join(blocker, 'sub', 'state.json'));
    expect(() => store.save(initialState())).to.throw(TerminalStateError, /cannot be written/);
  });
});
