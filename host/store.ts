/**
 * The host's durable state in SQLite (better-sqlite3, WAL): accounts, terminals, transactions,
 * ledger, journal, settlements, batch uploads and the RRN / auth-code sequences.
 *
 * Durability model: a request is processed inside a SQLite transaction (a savepoint inside a group
 * transaction, see server.ts) and its reply is written to the socket only after the commit, so a
 * host killed at any instant has either booked a request and maybe not answered it (the terminal
 * reverses), or not booked it at all (the reversal finds nothing: 25). WAL with synchronous=NORMAL
 * survives a killed process (not a power cut), which is what a lab host needs. Checkpoints run in a
 * worker thread off the event loop, with a bound on the WAL (checkpoint.ts).
 *
 * Nothing sensitive is stored: cards are keyed by alias with the PAN masked, working keys are kept
 * only wrapped under the terminal's TMK (as they travelled in F62), journal hex is masked.
 */
import Database from 'better-sqlite3';
import type { HostConfig } from './config';
import { HostDatabaseError } from './errors';
import { DOMESTIC_CARD_ORGANISATION, transactionKinds, type SettlementSide, type TransactionKind } from '../protocol/iso8583';
import { WalCheckpointer, type CheckpointOptions, type CheckpointStats } from './checkpoint';

export const SCHEMA_VERSION = 3;

/** Schema 3 names transactions by the catalogue's kinds; schema 2 files are renamed in place on open. */
const KIND_RENAMES_FROM_V2: Readonly<Record<string, TransactionKind>> = {
  completion: 'preauth-completion',
  'completion-void': 'preauth-completion-void',
  'completion-advice': 'preauth-completion-advice',
};

/** Settlement sides of the booked kinds (cup8583.md §3.9), as SQL lists for the batch totals. */
const sqlKinds = (side: 'debit' | 'credit') =>
  transactionKinds((k) => k.settlement === side)
    .map((k) => `'${k}'`)
    .join(',');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  card_alias TEXT PRIMARY KEY,
  pan_masked TEXT NOT NULL,
  account_type TEXT NOT NULL,
  opening_balance INTEGER NOT NULL,
  balance INTEGER NOT NULL,
  holds INTEGER NOT NULL DEFAULT 0,
  pin_tries INTEGER NOT NULL DEFAULT 0,
  last_atc INTEGER
);
CREATE TABLE IF NOT EXISTS terminals (
  terminal_id TEXT PRIMARY KEY,
  signed_on INTEGER NOT NULL DEFAULT 0,
  batch TEXT NOT NULL DEFAULT '000001',
  key_layout TEXT,
  keys_wrapped BLOB,
  signed_on_at TEXT,
  sign_on_count INTEGER NOT NULL DEFAULT 0,
  param_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  terminal_id TEXT NOT NULL,
  merchant_id TEXT NOT NULL,
  batch TEXT NOT NULL,
  stan TEXT NOT NULL,
  mti TEXT NOT NULL,
  processing_code TEXT NOT NULL,
  kind TEXT NOT NULL,
  card_alias TEXT,
  pan_masked TEXT,
  amount INTEGER NOT NULL,
  response_code TEXT NOT NULL,
  auth_code TEXT,
  rrn TEXT,
  at TEXT NOT NULL,
  approved INTEGER NOT NULL,
  reversed INTEGER NOT NULL DEFAULT 0,
  reversed_at TEXT,
  original_id INTEGER,
  voided_by INTEGER,
  refunded INTEGER NOT NULL DEFAULT 0,
  hold INTEGER NOT NULL DEFAULT 0,
  completed_by INTEGER,
  payee_name TEXT,
  payee_account TEXT,
  payee_reference TEXT,
  entry_mode TEXT,
  card_org TEXT NOT NULL DEFAULT 'CUP',
  UNIQUE (terminal_id, batch, stan)
);
CREATE INDEX IF NOT EXISTS transactions_rrn ON transactions (rrn);
CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  txn_id INTEGER NOT NULL,
  card_alias TEXT NOT NULL,
  amount INTEGER NOT NULL,
  effect TEXT NOT NULL,
  at TEXT NOT NULL,
  UNIQUE (txn_id, effect)
);
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  remote TEXT,
  terminal_id TEXT,
  stan TEXT,
  mti TEXT,
  processing_code TEXT,
  amount INTEGER,
  in_hex TEXT NOT NULL,
  in_fields TEXT,
  out_mti TEXT,
  response_code TEXT,
  out_hex TEXT,
  out_fields TEXT,
  note TEXT
);
CREATE INDEX IF NOT EXISTS journal_terminal ON journal (terminal_id, stan);
CREATE TABLE IF NOT EXISTS settlements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  terminal_id TEXT NOT NULL,
  batch TEXT NOT NULL,
  at TEXT NOT NULL,
  terminal_totals TEXT NOT NULL,
  host_totals TEXT NOT NULL,
  domestic_result TEXT NOT NULL,
  foreign_result TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_uploads (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  terminal_id TEXT NOT NULL,
  batch TEXT NOT NULL,
  stan TEXT NOT NULL,
  network_code TEXT NOT NULL,
  items INTEGER NOT NULL,
  matched INTEGER NOT NULL,
  detail TEXT,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  terminal_id TEXT NOT NULL,
  batch TEXT NOT NULL,
  state TEXT NOT NULL,
  settled_at TEXT,
  settle_result TEXT,
  closed_at TEXT,
  uploaded INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (terminal_id, batch)
);
`;

export interface AccountRow {
  card_alias: string;
  pan_masked: string;
  account_type: string;
  opening_balance: number;
  balance: number;
  holds: number;
  pin_tries: number;
  last_atc: number | null;
}

export interface TerminalRow {
  terminal_id: string;
  signed_on: number;
  batch: string;
  key_layout: string | null;
  keys_wrapped: Buffer | null;
  signed_on_at: string | null;
  sign_on_count: number;
  param_version: number;
}

/** The kind of a booked transaction: the catalogue's vocabulary (protocol/iso8583/catalogue.ts). */
export type { TransactionKind };

export interface TransactionRow {
  id: number;
  terminal_id: string;
  merchant_id: string;
  batch: string;
  stan: string;
  mti: string;
  processing_code: string;
  kind: TransactionKind;
  card_alias: string | null;
  pan_masked: string | null;
  amount: number;
  response_code: string;
  auth_code: string | null;
  rrn: string | null;
  at: string;
  approved: number;
  reversed: number;
  reversed_at: string | null;
  original_id: number | null;
  voided_by: number | null;
  refunded: number;
  hold: number;
  completed_by: number | null;
  payee_name: string | null;
  payee_account: string | null;
  payee_reference: string | null;
  entry_mode: string | null;
  card_org: string;
}

/** The two sides of a settlement (cup8583.md §3.9 F48): 内卡 CUP cards, 外卡 every other organisation. */
export type SettlementSideName = 'domestic' | 'foreign';

/** One exchange: the request and the reply (when there was one) in one row. */
export interface JournalRow {
  id: number;
  at: string;
  remote: string | null;
  terminal_id: string | null;
  stan: string | null;
  /** Request MTI. */
  mti: string | null;
  processing_code: string | null;
  amount: number | null;
  in_hex: string;
  in_fields: string | null;
  out_mti: string | null;
  response_code: string | null;
  out_hex: string | null;
  out_fields: string | null;
  note: string | null;
}

export interface LedgerRow {
  id: number;
  txn_id: number;
  card_alias: string;
  amount: number;
  effect: string;
  at: string;
}

export type NewTransaction = Omit<TransactionRow, 'id' | 'reversed' | 'reversed_at' | 'voided_by' | 'refunded' | 'completed_by'> &
  Partial<Pick<TransactionRow, 'refunded' | 'completed_by'>>;

export type NewJournal = Omit<JournalRow, 'id'>;

export interface HostStoreOptions {
  /**
   * WAL checkpoints (file databases only): by a worker thread off the event loop with a bound on the
   * WAL (default, see checkpoint.ts), or `'sqlite'` for SQLite's automatic checkpoint inside the commit
   * that crosses 1,000 pages (the old behaviour, kept for comparison). The environment variable
   * POSCERT_WAL_CHECKPOINT=sqlite chooses the latter for a standalone host.
   */
  checkpoint?: CheckpointOptions | 'sqlite';
  /**
   * SQLite page cache of the host's connection, in MB (default 16): the bound of the memory it takes
   * beside the V8 heap. The hot set is small (accounts, terminals, the open batches' index pages);
   * a larger cache only fills with journal pages that are never read again (bench:host ran as fast
   * with 4 MB as with 64 MB), and grows the process for as long as the database grows.
   */
  cacheMb?: number;
}

/** Prepared statements over one database file. All methods are synchronous. */
export class HostStore {
  readonly db: Database.Database;
  readonly path: string;
  private readonly s: ReturnType<HostStore['prepare']>;
  private readonly checkpointer?: WalCheckpointer;

  constructor(dbPath: string, options: HostStoreOptions = {}) {
    this.path = dbPath;
    try {
      this.db = new Database(dbPath);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      // A lab host's working set is small: it fits the cache, so statements never wait for page spills.
      this.db.pragma(`cache_size = -${Math.round((options.cacheMb ?? 16) * 1024)}`);
      this.db.pragma('temp_store = MEMORY');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new HostDatabaseError(
        `cannot open the host database ${dbPath}: ${(err as Error).message}; give another --db file or delete the corrupt one`,
        { dbPath },
      );
    }
    const version = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('schema_version') as string | undefined;
    if (version === undefined) {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    } else if (Number(version) === 2) {
      this.db.transaction(() => {
        const rename = this.db.prepare('UPDATE transactions SET kind = ? WHERE kind = ?');
        for (const [from, to] of Object.entries(KIND_RENAMES_FROM_V2)) rename.run(to, from);
        this.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(SCHEMA_VERSION), 'schema_version');
      })();
    } else if (Number(version) !== SCHEMA_VERSION) {
      this.db.close();
      throw new HostDatabaseError(`host database ${dbPath} has schema version ${version}, this host writes ${SCHEMA_VERSION}; use a new --db file`, {
        dbPath,
        version,
      });
    }
    this.s = this.prepare();
    const checkpoint = options.checkpoint ?? (process.env.POSCERT_WAL_CHECKPOINT === 'sqlite' ? 'sqlite' : {});
    if (checkpoint !== 'sqlite' && dbPath !== ':memory:' && dbPath !== '') {
      // Commits no longer checkpoint; the worker does, on its own connection.
      this.db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new WalCheckpointer(dbPath, checkpoint, () => {
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
  }

  /** What the checkpoint worker has done; undefined when SQLite checkpoints itself (or in memory). */
  checkpointStats(): CheckpointStats | undefined {
    return this.checkpointer?.stats();
  }

  private prepare() {
    const db = this.db;
    return {
      seqGet: db.prepare('SELECT value FROM sequences WHERE name = ?').pluck(),
      seqSet: db.prepare('INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      accountGet: db.prepare('SELECT * FROM accounts WHERE card_alias = ?'),
      accountAll: db.prepare('SELECT * FROM accounts ORDER BY card_alias'),
      accountInsert: db.prepare(`INSERT OR IGNORE INTO accounts (card_alias, pan_masked, account_type, opening_balance, balance)
        VALUES (@card_alias, @pan_masked, @account_type, @opening_balance, @opening_balance)`),
      accountAddBalance: db.prepare('UPDATE accounts SET balance = balance + ? WHERE card_alias = ?'),
      accountAddHolds: db.prepare('UPDATE accounts SET holds = holds + ? WHERE card_alias = ?'),
      accountPinTries: db.prepare('UPDATE accounts SET pin_tries = ? WHERE card_alias = ?'),
      accountAtc: db.prepare('UPDATE accounts SET last_atc = ? WHERE card_alias = ?'),
      accountsReset: db.prepare('UPDATE accounts SET balance = opening_balance, holds = 0, pin_tries = 0, last_atc = NULL'),
      terminalGet: db.prepare('SELECT * FROM terminals WHERE terminal_id = ?'),
      terminalUpsert:
        db.prepare(`INSERT INTO terminals (terminal_id, signed_on, batch, key_layout, keys_wrapped, signed_on_at, sign_on_count, param_version)
        VALUES (@terminal_id, @signed_on, @batch, @key_layout, @keys_wrapped, @signed_on_at, @sign_on_count, @param_version)
        ON CONFLICT (terminal_id) DO UPDATE SET signed_on = excluded.signed_on, batch = excluded.batch, key_layout = excluded.key_layout,
          keys_wrapped = excluded.keys_wrapped, signed_on_at = excluded.signed_on_at, sign_on_count = excluded.sign_on_count,
          param_version = excluded.param_version`),
      txnInsert: db.prepare(`INSERT INTO transactions (terminal_id, merchant_id, batch, stan, mti, processing_code, kind, card_alias, pan_masked,
          amount, response_code, auth_code, rrn, at, approved, original_id, hold, payee_name, payee_account, payee_reference, entry_mode, card_org)
        VALUES (@terminal_id, @merchant_id, @batch, @stan, @mti, @processing_code, @kind, @card_alias, @pan_masked,
          @amount, @response_code, @auth_code, @rrn, @at, @approved, @original_id, @hold, @payee_name, @payee_account, @payee_reference, @entry_mode, @card_org)`),
      txnById: db.prepare('SELECT * FROM transactions WHERE id = ?'),
      txnByStan: db.prepare('SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND stan = ?'),
      txnStanUse: db.prepare(
        'SELECT id, mti, kind, amount, response_code, rrn, auth_code FROM transactions WHERE terminal_id = ? AND batch = ? AND stan = ?',
      ),
      txnByRrn: db.prepare('SELECT * FROM transactions WHERE rrn = ? ORDER BY id DESC LIMIT 1'),
      txnByAuth: db.prepare(`SELECT * FROM transactions WHERE terminal_id = ? AND auth_code = ? AND kind = ? ORDER BY id DESC LIMIT 1`),
      txnAddedTo: db
        .prepare(`SELECT COALESCE(SUM(amount), 0) FROM transactions WHERE original_id = ? AND kind = 'preauth-add' AND approved = 1 AND reversed = 0`)
        .pluck(),
      txnSetReversed: db.prepare('UPDATE transactions SET reversed = 1, reversed_at = ? WHERE id = ? AND reversed = 0'),
      txnSetVoidedBy: db.prepare('UPDATE transactions SET voided_by = ? WHERE id = ?'),
      txnAddRefunded: db.prepare('UPDATE transactions SET refunded = refunded + ? WHERE id = ?'),
      txnSetHold: db.prepare('UPDATE transactions SET hold = ? WHERE id = ?'),
      txnSetCompletedBy: db.prepare('UPDATE transactions SET completed_by = ? WHERE id = ?'),
      txnBatchTotals: db.prepare(`SELECT
          COALESCE(SUM(CASE WHEN kind IN (${sqlKinds('debit')}) THEN amount END), 0) AS debit_amount,
          COUNT(CASE WHEN kind IN (${sqlKinds('debit')}) THEN 1 END) AS debit_count,
          COALESCE(SUM(CASE WHEN kind IN (${sqlKinds('credit')}) THEN amount END), 0) AS credit_amount,
          COUNT(CASE WHEN kind IN (${sqlKinds('credit')}) THEN 1 END) AS credit_count
        FROM transactions WHERE terminal_id = ? AND batch = ? AND approved = 1 AND reversed = 0
          AND (card_org = '${DOMESTIC_CARD_ORGANISATION}') = ?`),
      ledgerInsert: db.prepare('INSERT INTO ledger (txn_id, card_alias, amount, effect, at) VALUES (?, ?, ?, ?, ?)'),
      journalInsert:
        db.prepare(`INSERT INTO journal (at, remote, terminal_id, stan, mti, processing_code, amount, in_hex, in_fields, out_mti, response_code, out_hex, out_fields, note)
        VALUES (@at, @remote, @terminal_id, @stan, @mti, @processing_code, @amount, @in_hex, @in_fields, @out_mti, @response_code, @out_hex, @out_fields, @note)`),
      settlementInsert: db.prepare(`INSERT INTO settlements (terminal_id, batch, at, terminal_totals, host_totals, domestic_result, foreign_result)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      uploadInsert: db.prepare(
        `INSERT INTO batch_uploads (terminal_id, batch, stan, network_code, items, matched, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      uploadCount: db.prepare('SELECT COALESCE(SUM(items), 0) FROM batch_uploads WHERE terminal_id = ? AND batch = ?').pluck(),
      batchUpsert: db.prepare(`INSERT INTO batches (terminal_id, batch, state, settled_at, settle_result, closed_at, uploaded)
        VALUES (@terminal_id, @batch, @state, @settled_at, @settle_result, @closed_at, @uploaded)
        ON CONFLICT (terminal_id, batch) DO UPDATE SET state = excluded.state,
          settled_at = COALESCE(excluded.settled_at, settled_at), settle_result = COALESCE(excluded.settle_result, settle_result),
          closed_at = COALESCE(excluded.closed_at, closed_at), uploaded = excluded.uploaded`),
      batchGet: db.prepare('SELECT * FROM batches WHERE terminal_id = ? AND batch = ?'),
    };
  }

  /**
   * Run fn in a transaction (a savepoint when already inside one). BEGIN IMMEDIATE: the write lock is
   * taken up front, where SQLite waits (busy_timeout) for the checkpoint worker's brief TRUNCATE; a
   * deferred transaction that read first would get SQLITE_BUSY at once when upgrading to write.
   */
  transaction<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction;
    const result = this.db.transaction(fn).immediate();
    // Back-pressure: a WAL over the hard limit is truncated here, after the commit (checkpoint.ts).
    if (outermost) this.checkpointer?.relieve(this.db);
    return result;
  }

  // ---- sequences
  getSequence(name: string): number {
    return (this.s.seqGet.get(name) as number | undefined) ?? 0;
  }
  setSequence(name: string, value: number): void {
    this.s.seqSet.run(name, value);
  }

  // ---- accounts
  /** Creates accounts for cards on file that the database does not know yet (existing balances are kept). */
  ensureAccounts(config: HostConfig, maskPan: (pan: string) => string): void {
    this.transaction(() => {
      for (const c of config.cards) {
        if (!c.onFile) continue;
        this.s.accountInsert.run({ card_alias: c.alias, pan_masked: maskPan(c.pan), account_type: c.account, opening_balance: c.openingBalance });
      }
    });
  }
  account(alias: string): AccountRow | undefined {
    return this.s.accountGet.get(alias) as AccountRow | undefined;
  }
  accounts(): AccountRow[] {
    return this.s.accountAll.all() as AccountRow[];
  }
  addBalance(alias: string, delta: number): void {
    this.s.accountAddBalance.run(delta, alias);
  }
  addHolds(alias: string, delta: number): void {
    this.s.accountAddHolds.run(delta, alias);
  }
  setPinTries(alias: string, tries: number): void {
    this.s.accountPinTries.run(tries, alias);
  }
  setLastAtc(alias: string, atc: number): void {
    this.s.accountAtc.run(atc, alias);
  }

  // ---- terminals
  terminal(id: string): TerminalRow | undefined {
    return this.s.terminalGet.get(id) as TerminalRow | undefined;
  }
  saveTerminal(row: TerminalRow): void {
    this.s.terminalUpsert.run(row);
  }

  // ---- transactions and ledger
  insertTransaction(t: NewTransaction): number {
    return Number(this.s.txnInsert.run(t).lastInsertRowid);
  }
  transactionById(id: number): TransactionRow | undefined {
    return this.s.txnById.get(id) as TransactionRow | undefined;
  }
  transactionByStan(terminalId: string, batch: string, stan: string): TransactionRow | undefined {
    return this.s.txnByStan.get(terminalId, batch, stan) as TransactionRow | undefined;
  }
  /** The few columns the duplicate-STAN check needs (cheaper than the whole row on every request). */
  stanUse(
    terminalId: string,
    batch: string,
    stan: string,
  ): Pick<TransactionRow, 'id' | 'mti' | 'kind' | 'amount' | 'response_code' | 'rrn' | 'auth_code'> | undefined {
    return this.s.txnStanUse.get(terminalId, batch, stan) as
      Pick<TransactionRow, 'id' | 'mti' | 'kind' | 'amount' | 'response_code' | 'rrn' | 'auth_code'> | undefined;
  }
  transactionByRrn(rrn: string): TransactionRow | undefined {
    return this.s.txnByRrn.get(rrn) as TransactionRow | undefined;
  }
  transactionByAuthCode(terminalId: string, authCode: string, kind: TransactionKind): TransactionRow | undefined {
    return this.s.txnByAuth.get(terminalId, authCode, kind) as TransactionRow | undefined;
  }
  /** What approved, unreversed 追加预授权 added to a pre-authorisation (fen). */
  amountAddedTo(preauthId: number): number {
    return this.s.txnAddedTo.get(preauthId) as number;
  }
  /** Marks reversed; false when it already was (the caller then books nothing). */
  markReversed(id: number, at: string): boolean {
    return this.s.txnSetReversed.run(at, id).changes === 1;
  }
  setVoidedBy(id: number, voidId: number | null): void {
    this.s.txnSetVoidedBy.run(voidId, id);
  }
  addRefunded(id: number, delta: number): void {
    this.s.txnAddRefunded.run(delta, id);
  }
  setHold(id: number, hold: number): void {
    this.s.txnSetHold.run(hold, id);
  }
  setCompletedBy(id: number, completionId: number | null): void {
    this.s.txnSetCompletedBy.run(completionId, id);
  }
  /**
   * One balance effect. `effect` is 'book' (the transaction's own effect) or 'reverse' (its undo);
   * UNIQUE (txn_id, effect) makes booking or undoing twice impossible even if the logic above erred.
   */
  book(txnId: number, alias: string, amount: number, effect: 'book' | 'reverse', at: string): void {
    this.s.ledgerInsert.run(txnId, alias, amount, effect, at);
    this.s.accountAddBalance.run(amount, alias);
  }
  /**
   * One side of a batch's settlement totals (cup8583.md §3.9): 'domestic' (内卡) the transactions
   * booked under CUP, 'foreign' (外卡) those under any other card organisation.
   */
  batchTotals(terminalId: string, batch: string, side: SettlementSideName): Omit<SettlementSide, 'result'> {
    const t = this.s.txnBatchTotals.get(terminalId, batch, side === 'domestic' ? 1 : 0) as {
      debit_amount: number;
      debit_count: number;
      credit_amount: number;
      credit_count: number;
    };
    return { debitAmount: t.debit_amount, debitCount: t.debit_count, creditAmount: t.credit_amount, creditCount: t.credit_count };
  }

  // ---- journal
  insertJournal(j: NewJournal): void {
    this.s.journalInsert.run(j);
  }

  // ---- settlement and batches
  insertSettlement(
    terminalId: string,
    batch: string,
    at: string,
    terminalTotals: string,
    hostTotals: string,
    domestic: string,
    foreign: string,
  ): void {
    this.s.settlementInsert.run(terminalId, batch, at, terminalTotals, hostTotals, domestic, foreign);
  }
  insertUpload(
    terminalId: string,
    batch: string,
    stan: string,
    networkCode: string,
    items: number,
    matched: number,
    detail: string,
    at: string,
  ): void {
    this.s.uploadInsert.run(terminalId, batch, stan, networkCode, items, matched, detail, at);
  }
  uploadedCount(terminalId: string, batch: string): number {
    return this.s.uploadCount.get(terminalId, batch) as number;
  }
  batchState(terminalId: string, batch: string): { state: string; settle_result: string | null; uploaded: number } | undefined {
    return this.s.batchGet.get(terminalId, batch) as { state: string; settle_result: string | null; uploaded: number } | undefined;
  }
  saveBatch(row: {
    terminal_id: string;
    batch: string;
    state: string;
    settled_at: string | null;
    settle_result: string | null;
    closed_at: string | null;
    uploaded: number;
  }): void {
    this.s.batchUpsert.run(row);
  }

  /** Ledger back to opening balances; journal, transactions, settlements and uploads cleared; PIN tries reset. Sequences are kept (RRNs stay unique). */
  reset(): void {
    this.transaction(() => {
      this.s.accountsReset.run();
      for (const t of ['ledger', 'transactions', 'journal', 'settlements', 'batch_uploads', 'batches']) this.db.exec(`DELETE FROM ${t}`);
    });
  }

  /** Closes the connection; the checkpoint worker closes its own after its current pass. */
  close(): void {
    void this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }
}
