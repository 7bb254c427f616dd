// A foreign card (外卡) at the reference host: the card book's organisation is what 63.1 of every
// financial reply names (cup8583.md §2.6) and the side its transactions are booked on; the settlement
// compares and answers both sides of F48 from the host's books (§3.9), the control API reports both,
// and the batch upload takes a foreign original flagged 01 (§3.10), noting a wrong flag.
import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import { decodeSettlementTotals, parseField63Response, type SettlementSide, type SettlementTotals } from '../../protocol/iso8583';
import type { ReferenceHost } from '../../host';
import { CONFIG, card, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };
// Signed without PIN: a foreign credit card that does not require one (cards.yaml requirePin: false).
const VISA = { card: card('VISA-CREDIT-MAG') };
const TID = '10000008';

const side = (debitAmount: number, debitCount: number, creditAmount: number, creditCount: number): SettlementSide => ({
  debitAmount,
  debitCount,
  creditAmount,
  creditCount,
  result: '0',
});
const ZERO = side(0, 0, 0, 0);

describe('reference host: a foreign card (63.1 other than CUP)', () => {
  let host: ReferenceHost;
  let t: TestTerminal;
  before(async () => {
    host = await startHost();
  });
  after(async () => {
    t?.close();
    await host.stop();
  });
  beforeEach(async () => {
    t?.close();
    host.control.reset();
    t = await signedOn(host, TID);
  });

  test('the card book names the organisation: VIS for the foreign card, CUP by default', () => {
    expect(card('VISA-CREDIT-MAG').organisation).to.equal('VIS');
    expect(card('UP-DEBIT-MAG').organisation).to.equal('CUP');
    // Every other card of the book is domestic: the one foreign card is the plan's only 外卡.
    expect(CONFIG.cards.filter((c) => c.organisation !== 'CUP').map((c) => c.alias)).to.deep.equal(['VISA-CREDIT-MAG']);
  });

  test('63.1 of the reply names the card organisation and the ledger books the transaction under it', async () => {
    const visa = await t.send(t.sale(VISA, 5000).msg);
    expect(visa.rc).to.equal('00');
    expect(parseField63Response(visa.msg.getString(63)!).cardOrganisation).to.equal('VIS');
    const cup = await t.send(t.sale(MAG, 1000).msg);
    expect(parseField63Response(cup.msg.getString(63)!).cardOrganisation).to.equal('CUP');
    const orgs = host.control.transactions({ terminalId: TID }).map((x) => [x.card, x.cardOrganisation]);
    expect(orgs).to.deep.equal([
      ['VISA-CREDIT-MAG', 'VIS'],
      ['UP-DEBIT-MAG', 'CUP'],
    ]);
  });

  test('the settlement compares both sides: a foreign sale counted as domestic is unbalanced on both', async () => {
    const s1 = await t.send(t.sale(MAG, 1000).msg);
    expect(s1.rc).to.equal('00');
    const s2 = t.sale(VISA, 5000);
    await t.send(s2.msg);
    const s3 = t.sale(VISA, 700);
    await t.send(s3.msg);
    expect((await t.send(t.void(VISA, 700, { stan: s3.stan }).msg)).rc).to.equal('00');
    // The host's books: 内卡 the CUP sale, 外卡 both Visa sales (one voided later still counts) and the void.
    const view = host.control.settlementTotals(TID, t.batch);
    expect(view.domestic).to.deep.equal({ debitAmount: 1000, debitCount: 1, creditAmount: 0, creditCount: 0 });
    expect(view.foreign).to.deep.equal({ debitAmount: 5700, debitCount: 2, creditAmount: 700, creditCount: 1 });

    // Everything booked as 内卡 (a terminal that ignores 63.1): both sides unbalanced, each answered with the host's own.
    const merged: SettlementTotals = { domestic: side(6700, 3, 700, 1), foreign: ZERO };
    const bad = decodeSettlementTotals((await t.send(t.settlement(merged))).msg.getString(48)!);
    expect(bad.domestic).to.deep.equal({ ...view.domestic, result: '2' });
    expect(bad.foreign).to.deep.equal({ ...view.foreign, result: '2' });

    const split: SettlementTotals = { domestic: side(1000, 1, 0, 0), foreign: side(5700, 2, 700, 1) };
    const good = decodeSettlementTotals((await t.send(t.settlement(split))).msg.getString(48)!);
    expect([good.domestic.result, good.foreign.result]).to.deep.equal(['1', '1']);
    expect(good.foreign).to.deep.equal({ ...split.foreign, result: '1' });
    expect(host.control.settlementTotals(TID, t.batch).settlements.map((x) => x.domesticResult + x.foreignResult)).to.deep.equal(['22', '11']);
  });

  test('the batch upload takes a foreign original flagged 01 and notes one flagged 00', async () => {
    const s1 = t.sale(MAG, 1000);
    await t.send(s1.msg);
    const s2 = t.sale(VISA, 5000);
    await t.send(s2.msg);
    await t.send(t.settlement({ domestic: side(1000, 1, 0, 0), foreign: ZERO }));
    const right = await t.send(
      t.batchUpload([
        { stan: s1.stan, pan: MAG.card.pan, amount: 1000, org: '00' },
        { stan: s2.stan, pan: VISA.card.pan, amount: 5000, org: '01' },
      ]),
    );
    expect(right.rc).to.equal('00');
    const wrong = await t.send(t.batchUpload([{ stan: s2.stan, pan: VISA.card.pan, amount: 5000, org: '00' }]));
    expect(wrong.rc).to.equal('00');
    const notes = host.control
      .journal({ terminalId: TID })
      .filter((j) => j.mti === '0320')
      .map((j) => j.note ?? '');
    expect(notes).to.have.length(2);
    expect(notes[0])
      .to.match(/2 match the host/)
      .and.not.match(/flags card organisation/);
    expect(notes[1]).to.match(/flags card organisation 00, but the original was answered 63\.1 = VIS: §3\.10 says 01/);
  });
});
