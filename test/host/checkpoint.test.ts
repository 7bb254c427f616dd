/**
 * The checkpoint worker (host/checkpoint.ts) beside a writer that reads before it writes, as the
 * host's handlers do. Regression: the first version let the host's deferred transactions upgrade to
 * write while the worker's TRUNCATE held the write lock; SQLite answers that with SQLITE_BUSY at once
 * (no busy wait for an upgrade), and the bench saw sales answered 96 "database is locked". With
 * BEGIN IMMEDIATE the writer waits for the brief TRUNCATE. Also: the WAL stays bounded, and the
 * worker stops when the store closes.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostStore } from '../../host/store';

describe('host store: WAL checkpoints by the worker', () => {
  test('a writer that reads first never gets SQLITE_BUSY while the worker truncates; the WAL stays bounded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-checkpoint-'));
    const dbPath = path.join(dir, 'host.sqlite');
    // Aggressive limits so that TRUNCATE runs between nearly every pair of commits.
    const store = new HostStore(dbPath, { checkpoint: { intervalMs: 1, startBytes: 0, softLimitBytes: 64 * 1024, hardLimitBytes: 1024 * 1024 } });
    try {
      // Wait for the worker's first pass (a worker thread starts slowly on a loaded machine).
      store.setSequence('warm-up', 1);
      const ready = Date.now() + 20_000;
      while (store.checkpointStats()!.passive === 0 && Date.now() < ready) await new Promise((r) => setTimeout(r, 20));
      let maxWal = 0;
      // Write 48 MB of journal (or stop after 30 s on a starved machine): without checkpoints the WAL
      // would hold all of it.
      const deadline = Date.now() + 30_000;
      let commits = 0;
      while (Date.now() < deadline && commits * 20 * 800 < 48 * 1024 * 1024) {
        store.transaction(() => {
          // Read, then write: the pattern of every handler (terminal lookup, then journal and ledger).
          store.getSequence('rrn');
          for (let i = 0; i < 20; i++) {
            store.insertJournal({
              at: new Date().toISOString(),
              remote: 'test',
              terminal_id: '10000001',
              stan: String(i).padStart(6, '0'),
              mti: '0200',
              processing_code: '000000',
              amount: 1,
              in_hex: 'AB'.repeat(200),
              in_fields: '{}',
              out_mti: '0210',
              response_code: '00',
              out_hex: 'CD'.repeat(200),
              out_fields: '{}',
              note: null,
            });
          }
          store.setSequence('rrn', store.getSequence('rrn') + 1);
        });
        commits++;
        try {
          maxWal = Math.max(maxWal, fs.statSync(`${dbPath}-wal`).size);
        } catch {
          /* truncated away */
        }
        await new Promise((r) => setImmediate(r));
      }
      const stats = store.checkpointStats()!;
      expect(commits).to.be.above(50);
      expect(stats.workerAlive).to.equal(true);
      expect(stats.passive + stats.truncated, JSON.stringify(stats)).to.be.above(0);
      // Hard limit 1 MB, plus what is committed while the worker's pass holds the checkpoint lock
      // (the host's TRUNCATE then reports busy and is tried after the next commit): a few MB, far
      // below the 48 MB written.
      expect(commits * 20 * 800, 'journal bytes written').to.be.above(16 * 1024 * 1024);
      expect(maxWal, JSON.stringify(stats)).to.be.below(16 * 1024 * 1024);
      expect(store.getSequence('rrn')).to.equal(commits);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an in-memory store has no worker; SQLite checkpoints itself when asked to', () => {
    const mem = new HostStore(':memory:');
    expect(mem.checkpointStats()).to.equal(undefined);
    mem.close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-checkpoint-'));
    const file = new HostStore(path.join(dir, 'h.sqlite'), { checkpoint: 'sqlite' });
    expect(file.checkpointStats()).to.equal(undefined);
    expect(file.db.pragma('wal_autocheckpoint', { simple: true })).to.equal(1000);
    file.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
