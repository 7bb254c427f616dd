/**
 * The ledger invariant, read from a host database after the fact (soak, fuzzing): every account's
 * balance equals its opening balance plus its ledger, and plus its approved, unreversed transactions
 * on the catalogue's settlement sides; no transaction booked or undone twice. One definition, so the
 * soak and the fuzzer judge the same thing.
 */
import type Database from 'better-sqlite3';
import { transactionKinds } from '../protocol/iso8583';

export interface AuditedAccount {
  card_alias: string;
  opening_balance: number;
  balance: number;
}

/** Problems found (empty when the invariant holds); `eachAccount` may add a caller's own checks. */
export function ledgerAudit(db: Database.Database, eachAccount?: (a: AuditedAccount, problems: string[]) => void): string[] {
  const problems: string[] = [];
  // Debits and credits as the catalogue's settlement sides name them (the host stores catalogue kinds).
  const side = (s: 'debit' | 'credit') =>
    transactionKinds((k) => k.settlement === s)
      .map((k) => `'${k}'`)
      .join(',');
  const ledgerOf = db.prepare('SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE card_alias = ?').pluck();
  const recomputedOf = db
    .prepare(
      `SELECT COALESCE(SUM(CASE WHEN kind IN (${side('debit')}) THEN -amount
      WHEN kind IN (${side('credit')}) THEN amount END), 0) FROM transactions WHERE card_alias = ? AND approved = 1 AND reversed = 0`,
    )
    .pluck();
  for (const a of db.prepare('SELECT card_alias, opening_balance, balance FROM accounts').all() as AuditedAccount[]) {
    const ledger = ledgerOf.get(a.card_alias) as number;
    const recomputed = recomputedOf.get(a.card_alias) as number;
    if (a.balance !== a.opening_balance + ledger)
      problems.push(`${a.card_alias}: balance ${a.balance} ≠ opening ${a.opening_balance} + ledger ${ledger}`);
    if (a.balance !== a.opening_balance + recomputed) problems.push(`${a.card_alias}: balance ${a.balance} ≠ opening + transactions ${recomputed}`);
    eachAccount?.(a, problems);
  }
  const doubled = db
    .prepare('SELECT COUNT(*) FROM (SELECT txn_id, effect FROM ledger GROUP BY txn_id, effect HAVING COUNT(*) > 1)')
    .pluck()
    .get() as number;
  if (doubled) problems.push(`${doubled} transaction(s) booked or undone twice`);
  return problems;
}
