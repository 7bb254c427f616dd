// 追加预授权 (additional pre-authorization, cup8583.md §3.1 F25 = 60) on the reference host: only onto an
// open pre-authorization of the same card, it raises the hold, a completion may then reach the new total,
// a pre-authorization void releases all of it, a reversal of the add lowers the hold again, and the
// ledger invariant (host/ledger-audit.ts) holds throughout.
import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { identify } from '../../protocol/iso8583';
import type { ReferenceHost } from '../../host';
import { ledgerAudit } from '../../host/ledger-audit';
import { card, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const IC = { card: card('UP-DEBIT-IC'), entry: 'insert' as const, pin: '123456' };
const OTHER = { card: card('UP-DEBIT-MAG'), pin: '123456' };
const ALIAS = 'UP-DEBIT-IC';

describe('reference host: 追加预授权 (additional pre-authorization)', () => {
  let host: ReferenceHost;
  const open: TestTerminal[] = [];
  const term = async (tid: string) => {
    const t = await signedOn(host, tid, '003');
    open.push(t);
    return t;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-preauth-add-'));
  /** The ledger invariant read from the host's database file, as the soak and the fuzzer read it. */
  const audit = () => {
    const db = new Database(host.dbPath, { readonly: true });
    try {
      return ledgerAudit(db);
    } finally {
      db.close();
    }
  };

  before(async () => {
    host = await startHost({ dbPath: path.join(dir, 'host.sqlite') });
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => host.control.reset());

  test('is identified by F25 = 60 (not as a second pre-authorization)', async () => {
    const t = await term('10000007');
    const add = t.preauthAdd(IC, 100, { auth: '123456' });
    expect(identify(add.msg)).to.equal('preauth-add');
    expect(identify(t.preauth(IC, 100).msg)).to.equal('preauth');
  });

  test('raises the hold; the completion may then reach the new total (+ tolerance), not more', async () => {
    const t = await term('10000007');
    const open0 = host.control.balance(ALIAS);
    const p = t.preauth(IC, 30000);
    const pr = await t.send(p.msg);
    expect(pr.rc).to.equal('00');
    const auth = pr.msg.getString(38)!;
    const ar = await t.send(t.preauthAdd(IC, 20000, { auth }).msg);
    expect([ar.msg.mti, ar.rc]).to.deep.equal(['0110', '00']);
    expect(ar.msg.getString(38)).to.match(/^\S{6}$/);
    expect(host.control.balance(ALIAS)).to.include({ balance: open0.balance, holds: 50000 });
    // 15 % over 500.00 is 575.00: 575.01 is refused, 480.00 (over 300.00 + 15 %) is taken.
    expect((await t.send(t.completion(IC, 57501, { stan: p.stan, auth }).msg)).rc).to.equal('61');
    const cr = await t.send(t.completion(IC, 48000, { stan: p.stan, auth }).msg);
    expect(cr.rc).to.equal('00');
    expect(host.control.balance(ALIAS)).to.include({ balance: open0.balance - 48000, holds: 0 });
    // Closed by its completion: no more adds.
    expect((await t.send(t.preauthAdd(IC, 100, { auth }).msg)).rc).to.equal('12');
    expect(audit()).to.deep.equal([]);
  });

  test('refused without an open pre-authorization of that card: unknown code or another card 25, voided 12', async () => {
    const t = await term('10000007');
    expect((await t.send(t.preauthAdd(IC, 100, { auth: '999999' }).msg)).rc).to.equal('25');
    const p = t.preauth(IC, 10000);
    const auth = (await t.send(p.msg)).msg.getString(38)!;
    expect((await t.send(t.preauthAdd(OTHER, 100, { auth }).msg)).rc).to.equal('25');
    const noAuth = t.preauthAdd(IC, 100, { auth });
    noAuth.msg.unset(38);
    expect((await t.send(t.mac(noAuth.msg))).rc).to.equal('25');
    expect((await t.send(t.preauthVoid(IC, 10000, { stan: p.stan, auth }).msg)).rc).to.equal('00');
    expect((await t.send(t.preauthAdd(IC, 100, { auth }).msg)).rc).to.equal('12');
    expect(host.control.balance(ALIAS).holds).to.equal(0);
  });

  test('a pre-authorization void releases the total and must name it (64 at the first amount alone)', async () => {
    const t = await term('10000007');
    const p = t.preauth(IC, 10000);
    const auth = (await t.send(p.msg)).msg.getString(38)!;
    expect((await t.send(t.preauthAdd(IC, 5000, { auth }).msg)).rc).to.equal('00');
    expect((await t.send(t.preauthVoid(IC, 10000, { stan: p.stan, auth }).msg)).rc).to.equal('64');
    expect((await t.send(t.preauthVoid(IC, 15000, { stan: p.stan, auth }).msg)).rc).to.equal('00');
    expect(host.control.balance(ALIAS).holds).to.equal(0);
  });

  test('its reversal lowers the hold again; refused once the pre-authorization is completed', async () => {
    const t = await term('10000007');
    const p = t.preauth(IC, 10000);
    const auth = (await t.send(p.msg)).msg.getString(38)!;
    const add = t.preauthAdd(IC, 4000, { auth });
    expect((await t.send(add.msg)).rc).to.equal('00');
    expect(host.control.balance(ALIAS).holds).to.equal(14000);
    expect((await t.send(t.reversal(add.msg))).rc).to.equal('00');
    expect(host.control.balance(ALIAS).holds).to.equal(10000);
    // The reversed add no longer counts: 115.01 is over 100.00 + 15 %.
    expect((await t.send(t.completion(IC, 11501, { stan: p.stan, auth }).msg)).rc).to.equal('61');
    const add2 = t.preauthAdd(IC, 2000, { auth });
    expect((await t.send(add2.msg)).rc).to.equal('00');
    expect((await t.send(t.completion(IC, 12000, { stan: p.stan, auth }).msg)).rc).to.equal('00');
    expect((await t.send(t.reversal(add2.msg))).rc).to.not.equal('00');
    expect(host.control.balance(ALIAS).holds).to.equal(0);
    expect(audit()).to.deep.equal([]);
  });
});
