import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { desEcbEncrypt, keyCheckValue, maskPan } from '../../crypto';
import {
  decodeBillPayee,
  decodeSettlementTotals,
  formatField60,
  formatSecurityControl,
  parseBalance,
  type SettlementTotals,
} from '../../protocol/iso8583';
import { HostControlError, type ReferenceHost } from '../../host';
import { PAYEE, card, identity, signedOn, startHost } from './helpers';
import { REQUEST_HEADER, TestTerminal } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };
const IC = { card: card('UP-DEBIT-IC'), entry: 'insert' as const, pin: '123456' };

describe('reference host: messages over TCP', () => {
  let host: ReferenceHost;
  const open: TestTerminal[] = [];
  const term = async (tid: string, layout: '001' | '003' | '004' = '003') => {
    const t = await signedOn(host, tid, layout);
    open.push(t);
    return t;
  };

  before(async () => {
    host = await startHost();
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
  });
  beforeEach(() => host.control.reset());

  test('sign-on (003): TPDU swapped, header echoed, keys under the TMK with check values, batch in 60.2', async () => {
    const t = await TestTerminal.connect(host.port, identity('10000002'));
    open.push(t);
    const r = await t.signOn('003');
    expect(r.rc).to.equal('00');
    expect(r.msg.mti).to.equal('0810');
    expect(r.frame.tpdu).to.equal('6000000003');
    expect(r.frame.header.applicationClass).to.equal(REQUEST_HEADER.applicationClass);
    expect(r.frame.header.softwareVersion).to.equal(REQUEST_HEADER.softwareVersion);
    expect(r.msg.getString(60)).to.match(/^00\d{6}003$/);
    expect((r.msg.get(62) as Buffer).length).to.equal(40);
    for (const n of [11, 12, 13, 32, 37, 41, 42]) expect(r.msg.has(n), `F${n}`).to.equal(true);
    expect(t.keys!.pik.length).to.equal(16);
    expect(t.keys!.mak.length).to.equal(8);
    const state = host.control.terminalState('10000002');
    expect(state.signedOn).to.equal(true);
    expect(state.keyCheckValues.mak).to.equal(keyCheckValue(t.keys!.mak).toString('hex').toUpperCase());
    expect(JSON.stringify(state)).to.not.include(t.keys!.pik.toString('hex').toUpperCase());
  });

  test('sign-on 001 gives single-DES keys (PIN block under DES); 004 adds a TDK that decrypts track 2', async () => {
    const t1 = await term('10000003', '001');
    expect(t1.keys!.pik.length).to.equal(8);
    expect((await t1.send(t1.sale(MAG, 100).msg)).rc).to.equal('00');

    const t4 = await term('10000004', '004');
    expect(t4.keys!.tdk!.length).to.equal(16);
    // Track 2 with its TDB encrypted under the TDK (cup8583.md §5.6), 53.3 = 1.
    const s = t4.sale(MAG, 200).msg;
    const nibbles = MAG.card.track2.replace('=', 'D');
    const start = nibbles.length % 2 ? nibbles.length - 17 : nibbles.length - 18;
    const enc = desEcbEncrypt(t4.keys!.tdk!, Buffer.from(nibbles.slice(start, start + 16), 'hex'))
      .toString('hex')
      .toUpperCase();
    s.set(35, (nibbles.slice(0, start) + enc + nibbles.slice(start + 16)).replace(/D/g, '='));
    s.set(53, formatSecurityControl({ pinFormat: 'x98-with-pan', encryption: 'tdes', trackEncrypted: true }));
    const r = await t4.send(t4.mac(s));
    expect(r.rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 300);
  });

  test('SM4 terminal: SM4 keys, SM4 MAC, PIN block in F59 (A1); layout 001 is a format error', async () => {
    const t = await term('10000009', '003');
    expect(t.keys!.mak.length).to.equal(16);
    const r = await t.send(t.sale(MAG, 500).msg);
    expect(r.rc).to.equal('00');
    expect(t.verifyReplyMac(r.msg)).to.equal(true);
    expect((await t.send(t.sale({ ...MAG, pin: '000000' }, 500).msg)).rc).to.equal('55');
    const t4 = await term('10000009', '004');
    expect(t4.keys!.tdk!.length).to.equal(16);
    const bad = await TestTerminal.connect(host.port, identity('10000009'));
    open.push(bad);
    expect((await bad.signOn('001')).rc).to.equal('30');
  });

  test('echo test needs no sign-on; sign-off; a signed-off terminal gets A0 and header digit 3', async () => {
    const t = await TestTerminal.connect(host.port, identity('10000005'));
    open.push(t);
    const echo = await t.network('0820', '301');
    expect([echo.msg.mti, echo.rc]).to.deep.equal(['0830', '00']);
    await t.signOn('003');
    const off = await t.network('0820', '002');
    expect([off.msg.mti, off.rc]).to.deep.equal(['0830', '00']);
    expect(host.control.terminalState('10000005').signedOn).to.equal(false);
    const r = await t.send(t.sale(MAG, 100).msg);
    expect(r.rc).to.equal('A0');
    expect(r.frame.header.processingRequirement).to.equal('3');
  });

  test('the control API can ask a terminal to sign on again: header digit 3 until it does', async () => {
    const t = await term('10000004');
    host.control.requestSignOn('10000004');
    const r = await t.send(t.sale(MAG, 100).msg);
    expect(r.rc).to.equal('00');
    expect(r.frame.header.processingRequirement).to.equal('3');
    await t.signOn('003');
    const after = await t.send(t.sale(MAG, 100).msg);
    expect(after.frame.header.processingRequirement).to.not.equal('3');
  });

  test('parameter download (360): F62 parameter list; header digit 1 until the terminal has downloaded', async () => {
    const t = await TestTerminal.connect(host.port, identity('10000006'));
    open.push(t);
    const first = await t.signOn('003');
    expect(first.frame.header.processingRequirement).to.equal('1');
    const p = await t.network('0800', '360');
    expect(p.rc).to.equal('00');
    const f62 = (p.msg.get(62) as Buffer).toString('latin1');
    expect(f62.startsWith('1260133')).to.equal(true);
    expect(f62).to.include('140215000000');
    // The IC lists next (digits 4 / 5, ic-parameters.test.ts), so that nothing is left to ask.
    expect(p.frame.header.processingRequirement).to.equal('4');
    await t.downloadIcLists();
    const again = await t.signOn('003');
    expect(again.frame.header.processingRequirement).to.equal('0');
    const sale = await t.send(t.sale(MAG, 100).msg);
    expect(sale.frame.header.processingRequirement).to.equal('0');
  });

  test('sale: magstripe, contact IC (ARQC checked, ARPC in 91) and contactless without PIN; balance, auth code, RRN', async () => {
    const t = await term('10000001');
    const before = host.control.balance('UP-DEBIT-IC').balance;
    const mag = await t.send(t.sale(MAG, 1234).msg);
    expect(mag.rc).to.equal('00');
    expect(t.verifyReplyMac(mag.msg)).to.equal(true);
    expect(mag.msg.getString(38)).to.match(/^\d{6}$/);
    expect(mag.msg.getString(37)).to.match(/^\d{12}$/);
    for (const n of [3, 4, 11, 12, 13, 15, 32, 39, 41, 42, 44, 49, 60, 63, 64]) expect(mag.msg.has(n), `F${n}`).to.equal(true);
    const ic = await t.send(t.sale(IC, 5000).msg);
    expect(ic.rc).to.equal('00');
    expect(t.arpcValid(ic.msg)).to.equal(true);
    expect(host.control.balance('UP-DEBIT-IC').balance).to.equal(before - 5000);
    const ctls = await t.send(t.sale({ card: card('UP-DEBIT-CTLS'), entry: 'tap' }, 3000).msg);
    expect(ctls.rc).to.equal('00');
    expect(t.arpcValid(ctls.msg)).to.equal(true);
    const credit = await t.send(t.sale({ card: card('UP-CREDIT-IC'), entry: 'insert' }, 8800).msg);
    expect(credit.rc).to.equal('00');
    const ledger = host.control.ledger({ card: 'UP-DEBIT-MAG' });
    expect(ledger.map((l) => [l.amount, l.effect, l.kind])).to.deep.equal([[-1234, 'book', 'sale']]);
  });

  test('bill payment (缴费): payee journaled, kept with the transaction and echoed in F62', async () => {
    const t = await term('10000005');
    const { msg } = t.billPayment(MAG, 15000, PAYEE);
    const r = await t.send(msg);
    expect(r.rc).to.equal('00');
    expect(decodeBillPayee(r.msg.get(62) as Buffer)).to.deep.equal(PAYEE);
    const [txn] = host.control.transactions({ terminalId: '10000005', kind: 'bill-payment' });
    expect(txn.payee).to.deep.equal(PAYEE);
    expect(txn.amount).to.equal(15000);
    const journal = host.control.journal({ terminalId: '10000005', stan: msg.getString(11), direction: 'in' });
    expect(journal[0].fields['62']).to.equal((msg.get(62) as Buffer).toString('hex').toUpperCase());
    expect(journal[0].fields['3']).to.equal('500000');
    // Void of a bill payment: 200000 / 23 with F61.
    const v = await t.send(t.void(MAG, 15000, { stan: msg.getString(11)!, rrn: r.msg.getString(37) }).msg);
    expect(v.rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
  });

  test('void restores the balance once; a second void is 12; a void of an unknown trace is 25', async () => {
    const t = await term('10000001');
    const s = t.sale(MAG, 2500);
    const r = await t.send(s.msg);
    const v1 = await t.send(t.void(MAG, 2500, { stan: s.stan, rrn: r.msg.getString(37), auth: r.msg.getString(38) }).msg);
    expect(v1.rc).to.equal('00');
    expect(v1.msg.getString(38)).to.match(/^\d{6}$/);
    const v2 = await t.send(t.void(MAG, 2500, { stan: s.stan }).msg);
    expect(v2.rc).to.equal('12');
    expect((await t.send(t.void(MAG, 2500, { stan: '999999' }).msg)).rc).to.equal('25');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
  });

  test('refund (0220): credits the card, at most the original amount; a resent advice is answered as the first time', async () => {
    const t = await term('10000001');
    const s = t.sale(MAG, 10000);
    const r = await t.send(s.msg);
    const rrn = r.msg.getString(37)!;
    const refund = t.refund(MAG, 4000, { stan: s.stan, rrn });
    const rf = await t.send(refund.msg);
    expect([rf.msg.mti, rf.rc]).to.deep.equal(['0230', '00']);
    const again = await t.send(refund.msg);
    expect(again.rc).to.equal('00');
    expect(again.msg.getString(38)).to.equal(rf.msg.getString(38));
    expect(again.msg.getString(37)).to.equal(rf.msg.getString(37));
    expect((await t.send(t.refund(MAG, 6001, { stan: s.stan, rrn }).msg)).rc).to.equal('13');
    expect((await t.send(t.refund(MAG, 100, { stan: '888888', rrn: '000000999999' }).msg)).rc).to.equal('25');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 10000 + 4000);
  });

  test('balance inquiry returns F54 (available balance)', async () => {
    const t = await term('10000001');
    await t.send(t.sale(MAG, 700).msg);
    const r = await t.send(t.balance(MAG).msg);
    expect(r.rc).to.equal('00');
    const b = parseBalance(r.msg.getString(54)!);
    expect(b).to.deep.equal({ accountType: '10', amountType: '02', currency: '156', amount: MAG.card.openingBalance - 700 });
    const ic = await t.send(t.balance(IC).msg);
    expect(ic.rc).to.equal('00');
    expect(t.arpcValid(ic.msg)).to.equal(true);
  });

  test('pre-authorisation holds funds; completion books and releases; voids of both', async () => {
    const t = await term('10000007');
    const alias = 'UP-DEBIT-IC';
    const open0 = host.control.balance(alias);
    const p = t.preauth(IC, 30000);
    const pr = await t.send(p.msg);
    expect([pr.msg.mti, pr.rc]).to.deep.equal(['0110', '00']);
    const auth = pr.msg.getString(38)!;
    expect(host.control.balance(alias)).to.include({ balance: open0.balance, holds: 30000, available: open0.balance - 30000 });
    // Completion may exceed the hold by 15 %: 34500 is the most.
    expect((await t.send(t.completion(IC, 34501, { stan: p.stan, auth }).msg)).rc).to.equal('61');
    const c = t.completion(IC, 32000, { stan: p.stan, auth });
    const cr = await t.send(c.msg);
    expect(cr.rc).to.equal('00');
    expect(host.control.balance(alias)).to.include({ balance: open0.balance - 32000, holds: 0 });
    expect((await t.send(t.completion(IC, 100, { stan: p.stan, auth }).msg)).rc).to.equal('12');
    const cv = await t.send(t.completionVoid(IC, 32000, { stan: c.stan, auth: cr.msg.getString(38)! }).msg);
    expect(cv.rc).to.equal('00');
    expect(host.control.balance(alias)).to.include({ balance: open0.balance, holds: 30000 });
    const pv = await t.send(t.preauthVoid(IC, 30000, { stan: p.stan, auth }).msg);
    expect(pv.rc).to.equal('00');
    expect(host.control.balance(alias)).to.include({ balance: open0.balance, holds: 0 });
    expect((await t.send(t.completion(IC, 100, { stan: p.stan, auth }).msg)).rc).to.equal('12');
  });

  test('completion advice (0220 / 06 / 24): books without a funds check; resent, answered as the first time', async () => {
    const t = await term('10000008');
    const p = t.preauth(IC, 2000);
    const pr = await t.send(p.msg);
    expect(pr.rc).to.equal('00');
    const advice = t.mac(
      t
        .completion(IC, 2100, { stan: p.stan, auth: pr.msg.getString(38)! })
        .msg.set(25, '06')
        .set(60, `24${t.batch}000`),
    );
    advice.mti = '0220';
    const a1 = await t.send(t.mac(advice));
    expect([a1.msg.mti, a1.rc]).to.deep.equal(['0230', '00']);
    const a2 = await t.send(advice);
    expect(a2.rc).to.equal('00');
    expect(a2.msg.getString(38)).to.equal(a1.msg.getString(38));
    const b = host.control.balance('UP-DEBIT-IC');
    expect(b).to.include({ balance: IC.card.openingBalance - 2100, holds: 0 });
    expect(host.control.transactions({ kind: 'preauth-completion-advice' })).to.have.length(1);
    expect(() => host.control.transactions({ kind: 'completion-advice' as never }), 'a pre-catalogue kind name').to.throw(
      HostControlError,
      /unknown transaction kind "completion-advice"; use one of sale, /,
    );
  });

  test('reversal (0400): undoes exactly once however often resent; unknown original 25; declined original 00 without effect', async () => {
    const t = await term('10000001');
    const s = t.sale(MAG, 4321);
    await t.send(s.msg);
    const rev = t.reversal(s.msg);
    for (let i = 0; i < 3; i++) {
      const r = await t.send(rev);
      expect([r.msg.mti, r.rc]).to.deep.equal(['0410', '00']);
      expect(t.verifyReplyMac(r.msg)).to.equal(true);
    }
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
    expect(host.control.ledger({ card: 'UP-DEBIT-MAG' }).map((l) => l.effect)).to.deep.equal(['book', 'reverse']);
    const unknown = t.sale(MAG, 100).msg.set(11, '777777');
    expect((await t.send(t.reversal(t.mac(unknown)))).rc).to.equal('25');
    const low = t.sale({ card: card('UP-LOW-BALANCE'), pin: '123456' }, 5000);
    expect((await t.send(low.msg)).rc).to.equal('51');
    expect((await t.send(t.reversal(low.msg))).rc).to.equal('00');
    expect(host.control.balance('UP-LOW-BALANCE').balance).to.equal(1000);
    // Reversal of a void puts the sale back.
    const s2 = t.sale(MAG, 900);
    await t.send(s2.msg);
    const v = t.void(MAG, 900, { stan: s2.stan });
    expect((await t.send(v.msg)).rc).to.equal('00');
    expect((await t.send(t.reversal(v.msg))).rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 900);
  });

  test('settlement (0500): balanced gives 1, unbalanced gives 2 with the host totals; batch upload 0320 and end', async () => {
    const t = await term('10000008');
    const s1 = t.sale(MAG, 10000);
    await t.send(s1.msg);
    const s2 = t.sale(MAG, 2000);
    await t.send(s2.msg);
    await t.send(t.void(MAG, 2000, { stan: s2.stan }).msg);
    const side = (debitAmount: number, debitCount: number, creditAmount: number, creditCount: number) => ({
      debitAmount,
      debitCount,
      creditAmount,
      creditCount,
      result: '0' as const,
    });
    const zero = side(0, 0, 0, 0);
    const good: SettlementTotals = { domestic: side(12000, 2, 2000, 1), foreign: zero };
    const ok = await t.send(t.settlement(good));
    expect([ok.msg.mti, ok.rc]).to.deep.equal(['0510', '00']);
    expect(decodeSettlementTotals(ok.msg.getString(48)!).domestic.result).to.equal('1');
    expect(decodeSettlementTotals(ok.msg.getString(48)!).foreign.result).to.equal('1');
    const bad = await t.send(t.settlement({ domestic: side(12000, 2, 0, 0), foreign: zero }));
    const badTotals = decodeSettlementTotals(bad.msg.getString(48)!);
    expect(badTotals.domestic).to.deep.equal({ ...good.domestic, result: '2' });
    const view = host.control.settlementTotals('10000008', t.batch);
    expect(view.domestic).to.deep.equal({ debitAmount: 12000, debitCount: 2, creditAmount: 2000, creditCount: 1 });
    expect(view.settlements.map((x) => x.domesticResult)).to.deep.equal(['1', '2']);

    const up = await t.send(
      t.batchUpload([
        { stan: s1.stan, pan: MAG.card.pan, amount: 10000 },
        { stan: s2.stan, pan: MAG.card.pan, amount: 2000 },
      ]),
    );
    expect([up.msg.mti, up.rc]).to.deep.equal(['0330', '00']);
    const batch = t.batch;
    const end = await t.send(t.batchEnd(2, '202'));
    expect(end.rc).to.equal('00');
    expect(host.control.settlementTotals('10000008', batch)).to.include({ state: 'closed', uploadedRecords: 2 });
    expect(host.control.terminalState('10000008').batch).to.equal(String(Number(batch) + 1).padStart(6, '0'));
    // An IC TC record that matches nothing in the new batch is refused (25); the end still closes it.
    // (Matching, duplicates and counting: batch-records.test.ts.)
    const ic = t
      .base('0320')
      .set(2, IC.card.pan)
      .set(4, '000000001000')
      .set(55, Buffer.from('9F2608AABBCCDDEEFF00119F2701409F36020001', 'hex'))
      .set(62, Buffer.from('610000000000001000156', 'ascii'))
      .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '203', readCapability: '5', icCondition: '0' }));
    expect((await t.send(ic)).rc).to.equal('25');
    const end207 = await t.send(t.batchEnd(0, '207'));
    expect(end207.rc).to.equal('00');
  });

  test('journal: every message in and out, queryable, with card data masked in hex and fields', async () => {
    const t = await term('10000002');
    const s = t.sale(IC, 1500);
    await t.send(s.msg);
    const entries = host.control.journal({ terminalId: '10000002', stan: s.stan });
    expect(entries.map((e) => e.direction)).to.deep.equal(['in', 'out']);
    expect(entries[1]).to.include({ mti: '0210', responseCode: '00', processingCode: '000000', amount: 1500 });
    const pan = IC.card.pan;
    const dump = JSON.stringify(host.control.journal());
    expect(dump).to.not.include(pan);
    expect(dump).to.not.include(IC.card.track2.replace('=', 'D'));
    expect(dump).to.include(maskPan(pan));
    expect(entries[0].fields['2']).to.equal(maskPan(pan));
    expect(entries[0].fields['55']).to.include('9F26=');
    expect(host.control.journal({ mti: '0210', terminalId: '10000002' })).to.have.length(1);
    expect(host.control.journal({ since: new Date(Date.now() + 60_000) })).to.have.length(0);
    expect(host.control.journal({ limit: 1 })).to.have.length(1);
  });

  test('one message per connection works as well as a kept-open connection', async () => {
    const t = await term('10000003');
    for (let i = 0; i < 3; i++) {
      const c = await TestTerminal.connect(host.port, identity('10000003'));
      c.keys = t.keys;
      c.setStan(100 + i);
      const r = await c.send(c.sale(MAG, 10).msg);
      expect(r.rc).to.equal('00');
      c.close();
    }
  });
});

describe('reference host: unique RRNs and auth codes across a restart on the same database', () => {
  test('no RRN or auth code repeats, and the ledger continues', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-host-'));
    const dbPath = path.join(dir, 'host.sqlite');
    try {
      const rrns: string[] = [];
      const auths: string[] = [];
      for (let round = 0; round < 2; round++) {
        const host = await startHost({ dbPath });
        try {
          const t = await signedOn(host, '10000001');
          t.setStan(round * 100);
          for (let i = 0; i < 20; i++) {
            const r = await t.send(t.sale(MAG, 100).msg);
            expect(r.rc).to.equal('00');
            rrns.push(r.msg.getString(37)!);
            auths.push(r.msg.getString(38)!);
          }
          t.close();
          expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 2000 * (round + 1));
        } finally {
          await host.stop();
        }
      }
      expect(new Set(rrns).size).to.equal(40);
      expect(new Set(auths).size).to.equal(40);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
