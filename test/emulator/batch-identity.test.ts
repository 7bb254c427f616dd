// A batch belongs to one terminal identity (F41/F42): switchBatchIdentity puts the open batch aside
// when the ids change and brings the identity's own batch back, and the state file keeps both.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerminalStateStore, initialState, switchBatchIdentity, type StoredTransaction } from '../../emulator/state-store';

function sale(trace: string, amount: number): StoredTransaction {
  return {
    kind: 'sale',
    trace,
    batch: '000001',
    amount,
    pan: '6200000000000047',
    entry: 'insert',
    entryMode: '051',
    rrn: '000000000001',
    authCode: '123456',
    date: '2026-12-04',
    time: '00:00:00',
    responseCode: '00',
    cardOrganisation: 'CUP',
    voided: false,
    pinEntered: true,
  };
}

describe('batch per terminal identity', () => {
  test('changing the terminal id sets the open batch aside; changing back restores it with its batch number', () => {
    const s = initialState();
    s.config.terminalId = '10000001';
    s.config.merchantId = '898310054110001';
    s.batch = [sale('000010', 100)];
    s.lastTrace = '000010';
    s.counters.batchNumber = '000003';

    s.config.terminalId = '10000009';
    switchBatchIdentity(s, { terminalId: '10000001', merchantId: '898310054110001' });
    expect(s.batch).to.deep.equal([]);
    expect(s.lastTrace).to.equal(undefined);
    s.batch.push(sale('000011', 500));
    s.counters.batchNumber = '000001'; // as a sign-on of the new identity would set it

    s.config.terminalId = '10000001';
    switchBatchIdentity(s, { terminalId: '10000009', merchantId: '898310054110001' });
    expect(s.batch.map((t) => t.trace)).to.deep.equal(['000010']);
    expect(s.lastTrace).to.equal('000010');
    expect(s.counters.batchNumber).to.equal('000003');
    expect(Object.keys(s.otherBatches ?? {})).to.deep.equal(['10000009/898310054110001']);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-state-')), 'terminal.json');
    new TerminalStateStore(file).save(s);
    expect(new TerminalStateStore(file).load().otherBatches?.['10000009/898310054110001'].batch.map((t) => t.amount)).to.deep.equal([500]);
  });

  test('same ids (a new key only) change nothing; an empty batch leaves nothing aside', () => {
    const s = initialState();
    s.config.terminalId = '10000001';
    s.batch = [sale('000010', 100)];
    switchBatchIdentity(s, { terminalId: '10000001' });
    expect(s.batch).to.have.length(1);
    s.batch = [];
    s.config.terminalId = '10000002';
    switchBatchIdentity(s, { terminalId: '10000001' });
    expect(s.otherBatches).to.equal(undefined);
  });
});
