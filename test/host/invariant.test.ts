/**
 * The ledger invariant under fire: a standalone host (`poscert host`, a child process) takes a
 * random sequence of 1,200 operations from three terminals — sales, bill payments, voids, refunds,
 * balance inquiries, pre-authorisations and their completions and voids, reversals (of known,
 * unknown and already reversed transactions), exact resends — and is SIGKILLed three times while
 * requests are in flight, then restarted on the same database file. The terminals behave as the
 * spec says after a lost reply (reverse a 0100/0200, resend a 0220 advice).
 *
 * Afterwards, for every card: the balance the host reports equals the opening balance − approved
 * debits + credits as the terminals were told, equals opening + the ledger rows, equals the same
 * sum recomputed from the transactions table; no transaction is booked or undone twice; holds
 * equal the open pre-authorisations.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { IsoMessage } from '../../protocol/iso8583';
import { PAYEE, card, identity } from './helpers';
import { TestTerminal, type CardPresentation, type Reply } from './terminal-client';
import { killHard, startHostProcess } from './child-host';
import { seededRandom as prng } from '../../links/faults';

const ROOT = path.join(__dirname, '..', '..');
const OPERATIONS = 1200;
const KILL_AT = [300, 650, 950];
const TERMINALS = ['10000001', '10000002', '10000003'];
const CARDS: CardPresentation[] = [
  { card: card('UP-DEBIT-MAG'), pin: '123456' },
  { card: card('UP-DEBIT-19'), pin: '123456' },
  { card: card('UP-DEBIT-IC'), entry: 'insert', pin: '123456' },
  { card: card('UP-LOW-BALANCE'), pin: '123456' },
  { card: card('UP-CREDIT-IC'), entry: 'insert' },
];

type Status = 'approved' | 'declined' | 'unknown';
interface Sent {
  terminal: string;
  stan: string;
  kind: string;
  msg: IsoMessage;
  card: string;
  amount: number;
  /** Effect on the card's balance when approved (negative = debit). */
  delta: number;
  status: Status;
  reversed: boolean;
  rrn?: string;
  auth?: string;
  /** For voids / completions: the record they refer to. */
  target?: Sent;
  used?: boolean;
  /** A reply was received: the host has recorded this request (resending it is a real duplicate). */
  replied?: boolean;
}

describe('reference host: ledger invariant over 1,200 random operations with the host killed and restarted', () => {
  test('balances equal opening − approved debits + credits; nothing booked twice; totals survive SIGKILL', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-invariant-'));
    const dbPath = path.join(dir, 'host.sqlite');
    const rnd = prng(8583);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    let host = await startHostProcess(['--port', '0', '--db', dbPath, '--quiet', '--config', path.join(ROOT, 'scenarios')]);
    const terms = new Map<string, TestTerminal>();
    const sent: Sent[] = [];
    const expected = new Map(CARDS.map((c) => [c.card.alias, c.card.openingBalance]));
    let restarts = 0;
    let lostReplies = 0;
    const codes = new Map<string, number>();

    const connectAll = async (fresh: boolean) => {
      for (const tid of TERMINALS) {
        const t = await TestTerminal.connect(host.port, identity(tid), 5000);
        if (fresh) {
          const r = await t.signOn('003');
          expect(r.rc).to.equal('00');
        } else {
          t.resumeFrom(terms.get(tid)!); // the keys survive in the host's database: no new sign-on
        }
        terms.set(tid, t);
      }
    };

    const apply = (s: Sent, r: Reply | undefined) => {
      if (!r) {
        s.status = 'unknown';
        lostReplies++;
        return;
      }
      codes.set(`${s.kind}:${r.rc}`, (codes.get(`${s.kind}:${r.rc}`) ?? 0) + 1);
      if (s.kind === 'reversal') {
        const orig = s.target!;
        if (r.rc === '00') {
          if (orig.status === 'approved' && !orig.reversed) expected.set(orig.card, expected.get(orig.card)! - orig.delta);
          orig.reversed = true;
        }
        // After 00 (undone) or 25 (never booked) an original whose reply was lost has no effect.
        if (orig.status === 'unknown' && (r.rc === '00' || r.rc === '25')) orig.status = 'declined';
        return;
      }
      s.replied = true;
      if (r.rc === '94') return; // duplicate: nothing booked, says nothing about the first
      s.status = r.rc === '00' ? 'approved' : 'declined';
      s.rrn = r.msg.getString(37);
      s.auth = r.msg.getString(38);
      if (s.status === 'approved') expected.set(s.card, expected.get(s.card)! + s.delta);
    };

    const send = async (s: Sent): Promise<void> => {
      const t = terms.get(s.terminal)!;
      let r: Reply | undefined;
      try {
        r = await t.send(s.msg);
      } catch {
        r = undefined;
      }
      apply(s, r);
    };

    /** What a terminal does after a lost reply: reverse 0100/0200, resend a 0220 advice; repeat reversals. */
    const recover = async () => {
      for (const s of sent.filter((x) => x.status === 'unknown')) {
        const t = terms.get(s.terminal)!;
        if (s.kind === 'reversal') {
          const r = await t.send(s.msg);
          apply(s, r);
          s.status = 'declined';
        } else if (s.msg.mti === '0220') {
          apply(s, await t.send(s.msg));
        } else {
          const rev: Sent = { ...s, kind: 'reversal', msg: t.reversal(s.msg), target: s, status: 'unknown', reversed: false };
          apply(rev, await t.send(rev.msg));
          expect(s.status, `reversal of ${s.kind} ${s.stan}`).to.not.equal('unknown');
        }
      }
    };

    const newOp = (): Sent | undefined => {
      const tid = pick(TERMINALS);
      const t = terms.get(tid)!;
      const c = pick(CARDS);
      const amount = 1 + Math.floor(rnd() * 5000);
      const base = { terminal: tid, card: c.card.alias, status: 'unknown' as Status, reversed: false };
      const mine = sent.filter((x) => x.terminal === tid && x.status === 'approved' && !x.reversed && !x.used);
      const roll = rnd();
      if (roll < 0.3) {
        const o = t.sale(c, amount);
        return { ...base, kind: 'sale', stan: o.stan, msg: o.msg, amount, delta: -amount };
      }
      if (roll < 0.38) {
        const o = t.billPayment(c, amount, PAYEE);
        return { ...base, kind: 'bill-payment', stan: o.stan, msg: o.msg, amount, delta: -amount };
      }
      if (roll < 0.46) {
        const target = pick(mine.filter((x) => x.kind === 'sale' || x.kind === 'bill-payment'));
        if (!target) return undefined;
        const cp = CARDS.find((x) => x.card.alias === target.card)!;
        const o = t.void(cp, target.amount, { batch: t.batch, stan: target.stan, rrn: target.rrn });
        target.used = true;
        return { ...base, card: target.card, kind: 'void', stan: o.stan, msg: o.msg, amount: target.amount, delta: target.amount, target };
      }
      if (roll < 0.52) {
        const target = pick(mine.filter((x) => x.kind === 'sale'));
        if (!target || !target.rrn) return undefined;
        const cp = CARDS.find((x) => x.card.alias === target.card)!;
        const part = 1 + Math.floor(rnd() * target.amount);
        const o = t.refund(cp, part, { batch: t.batch, stan: target.stan, rrn: target.rrn });
        target.used = true;
        return { ...base, card: target.card, kind: 'refund', stan: o.stan, msg: o.msg, amount: part, delta: part, target };
      }
      if (roll < 0.56) {
        const o = t.balance(c);
        return { ...base, kind: 'balance', stan: o.stan, msg: o.msg, amount: 0, delta: 0 };
      }
      if (roll < 0.63) {
        const o = t.preauth(c, amount);
        return { ...base, kind: 'preauth', stan: o.stan, msg: o.msg, amount, delta: 0 };
      }
      if (roll < 0.69) {
        const target = pick(mine.filter((x) => x.kind === 'preauth' && x.auth));
        if (!target) return undefined;
        const cp = CARDS.find((x) => x.card.alias === target.card)!;
        target.used = true;
        if (rnd() < 0.3) {
          const o = t.preauthVoid(cp, target.amount, { batch: t.batch, stan: target.stan, auth: target.auth! });
          return { ...base, card: target.card, kind: 'preauth-void', stan: o.stan, msg: o.msg, amount: target.amount, delta: 0, target };
        }
        const amt = Math.max(1, Math.floor(target.amount * (0.5 + rnd() * 0.6)));
        const o = t.completion(cp, amt, { batch: t.batch, stan: target.stan, auth: target.auth! });
        return { ...base, card: target.card, kind: 'preauth-completion', stan: o.stan, msg: o.msg, amount: amt, delta: -amt, target };
      }
      if (roll < 0.72) {
        const target = pick(mine.filter((x) => x.kind === 'preauth-completion' && x.auth));
        if (!target) return undefined;
        const cp = CARDS.find((x) => x.card.alias === target.card)!;
        target.used = true;
        const o = t.completionVoid(cp, target.amount, { batch: t.batch, stan: target.stan, auth: target.auth! });
        return {
          ...base,
          card: target.card,
          kind: 'preauth-completion-void',
          stan: o.stan,
          msg: o.msg,
          amount: target.amount,
          delta: target.amount,
          target,
        };
      }
      if (roll < 0.86) {
        // Reversal of any earlier 0100/0200 of this terminal: approved, declined, already reversed, voided...
        const candidates = sent.filter((x) => x.terminal === tid && (x.msg.mti === '0200' || x.msg.mti === '0100') && x.kind !== 'reversal');
        const target = pick(candidates);
        if (!target) return undefined;
        return {
          ...base,
          card: target.card,
          kind: 'reversal',
          stan: target.stan,
          msg: t.reversal(target.msg),
          amount: target.amount,
          delta: 0,
          target,
        };
      }
      if (roll < 0.89) {
        // Reversal of a transaction the host never saw: 25.
        const ghost = t.sale(c, amount).msg.set(11, String(900000 + Math.floor(rnd() * 99999)));
        const target: Sent = { ...base, kind: 'sale', stan: ghost.getString(11)!, msg: t.mac(ghost), amount, delta: -amount, status: 'declined' };
        return { ...base, kind: 'reversal', stan: target.stan, msg: t.reversal(target.msg), amount, delta: 0, target };
      }
      // Exact resend of an earlier request (0200 → 94, 0220 → same answer, 0400 → idempotent).
      const earlier = sent.filter((x) => x.terminal === tid && x.replied);
      const again = pick(earlier);
      if (!again) return undefined;
      return {
        ...again,
        kind: again.kind === 'reversal' ? 'reversal' : `resend-${again.kind}`,
        delta: 0,
        status: 'unknown',
        reversed: false,
        used: true,
      };
    };

    try {
      await connectAll(true);
      let done = 0;
      while (done < OPERATIONS) {
        if (KILL_AT.includes(done)) {
          // Put a burst in flight on every terminal, kill the host under it, restart on the same file.
          const burst: Sent[] = [];
          for (let i = 0; i < 12; i++) {
            const op = newOp();
            if (!op || op.kind.startsWith('resend') || op.kind === 'reversal') continue;
            burst.push(op);
            sent.push(op);
          }
          const flights = burst.map((s) => send(s));
          await new Promise((r) => setTimeout(r, Math.floor(rnd() * 3)));
          await killHard(host);
          await Promise.all(flights);
          for (const t of terms.values()) t.close();
          host = await startHostProcess(['--port', '0', '--db', dbPath, '--quiet', '--config', path.join(ROOT, 'scenarios')]);
          restarts++;
          await connectAll(false);
          await recover();
          done += burst.length;
          continue;
        }
        const op = newOp();
        if (!op) continue;
        if (!op.kind.startsWith('resend')) sent.push(op);
        if (op.kind.startsWith('resend')) {
          const t = terms.get(op.terminal)!;
          const r = await t.send(op.msg);
          codes.set(`${op.kind}:${r.rc}`, (codes.get(`${op.kind}:${r.rc}`) ?? 0) + 1);
          if (op.msg.mti === '0200' || op.msg.mti === '0100') expect(r.rc, `${op.kind} STAN ${op.stan}`).to.equal('94');
        } else {
          await send(op);
        }
        done++;
      }
      for (const t of terms.values()) t.close();
      await killHard(host);

      expect(restarts).to.equal(KILL_AT.length);
      expect(sent.filter((s) => s.status === 'unknown' && s.kind !== 'reversal')).to.have.length(0);

      // Read the database the killed host left behind.
      const db = new Database(dbPath, { readonly: true });
      try {
        const accounts = db.prepare('SELECT * FROM accounts').all() as {
          card_alias: string;
          opening_balance: number;
          balance: number;
          holds: number;
        }[];
        for (const c of CARDS) {
          const alias = c.card.alias;
          const a = accounts.find((x) => x.card_alias === alias)!;
          const ledgerSum = db.prepare('SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE card_alias = ?').pluck().get(alias) as number;
          const recomputed = db
            .prepare(
              `SELECT
              COALESCE(SUM(CASE WHEN kind IN ('sale','bill-payment','preauth-completion','preauth-completion-advice') THEN -amount
                                WHEN kind IN ('void','refund','preauth-completion-void') THEN amount END), 0)
              FROM transactions WHERE card_alias = ? AND approved = 1 AND reversed = 0`,
            )
            .pluck()
            .get(alias) as number;
          const openHolds = db
            .prepare(`SELECT COALESCE(SUM(hold), 0) FROM transactions WHERE card_alias = ? AND kind = 'preauth'`)
            .pluck()
            .get(alias) as number;
          expect(a.balance, `${alias}: balance vs the terminals' view`).to.equal(expected.get(alias));
          expect(a.balance, `${alias}: balance vs opening + ledger`).to.equal(a.opening_balance + ledgerSum);
          expect(a.balance, `${alias}: balance vs approved, unreversed transactions`).to.equal(a.opening_balance + recomputed);
          expect(a.holds, `${alias}: holds vs open pre-authorisations`).to.equal(openHolds);
          expect(a.holds).to.be.at.least(0);
        }
        const doubled = db.prepare('SELECT txn_id, effect, COUNT(*) n FROM ledger GROUP BY txn_id, effect HAVING n > 1').all();
        expect(doubled, 'a transaction booked or undone twice').to.have.length(0);
        const orphanReverse = db
          .prepare(`SELECT l.id FROM ledger l JOIN transactions t ON t.id = l.txn_id WHERE l.effect = 'reverse' AND t.reversed = 0`)
          .all();
        expect(orphanReverse).to.have.length(0);
        const missingBook = db
          .prepare(
            `SELECT t.id FROM transactions t WHERE t.approved = 1 AND t.kind IN ('sale','bill-payment','void','refund','preauth-completion','preauth-completion-void')
          AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.txn_id = t.id AND l.effect = 'book')`,
          )
          .all();
        expect(missingBook).to.have.length(0);
        const rrns = db.prepare('SELECT rrn, COUNT(*) n FROM transactions WHERE rrn IS NOT NULL GROUP BY rrn HAVING n > 1').all();
        expect(rrns, 'RRNs unique across restarts').to.have.length(0);
        const journalCount = db.prepare('SELECT COUNT(*) FROM journal').pluck().get() as number;
        expect(journalCount, 'one journal row per exchange').to.be.above(OPERATIONS);
      } finally {
        db.close();
      }
      // No card data in clear anywhere in the database files (journal, transactions, uploads).
      const files = [dbPath, `${dbPath}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
      for (const c of CARDS) {
        for (const f of files) {
          expect(f.includes(Buffer.from(c.card.pan, 'latin1')), `${c.card.alias} PAN in clear in the database`).to.equal(false);
          for (const pad of c.card.pan.length % 2 ? ['0', 'F'] : ['']) {
            expect(f.includes(Buffer.from(c.card.pan + pad, 'hex')), `${c.card.alias} PAN as BCD in the database`).to.equal(false);
          }
        }
      }
      // Enough of everything happened for the test to mean something.
      const count = (prefix: string) => [...codes.entries()].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
      for (const k of [
        'sale:00',
        'bill-payment:00',
        'void:00',
        'refund:00',
        'preauth:00',
        'preauth-completion:00',
        'reversal:00',
        'reversal:25',
        'resend-sale:94',
      ]) {
        expect(count(k), `${k} (${JSON.stringify(Object.fromEntries(codes))})`).to.be.above(0);
      }
      expect(lostReplies, 'replies lost to the kills').to.be.above(0);
    } finally {
      for (const t of terms.values()) t.close();
      await killHard(host);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
