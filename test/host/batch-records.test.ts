// IC records of the batch upload (host/batch-records.ts, cup8583.md §3.10) over real TCP: a TC record
// matched to its sale and counted, a duplicate tolerated but not counted again, a record that
// matches nothing refused with 25, a malformed one (ARQC instead of TC) refused with 30, a failed-IC
// record matched to a reversed sale, and the end message's count checked against what was taken.
import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import { formatField60, type IsoMessage } from '../../protocol/iso8583';
import { decodeTlv, encodeTlv } from '../../protocol/tlv';
import type { ReferenceHost } from '../../host';
import { card, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const IC = { card: card('UP-DEBIT-IC'), entry: 'insert' as const, pin: '123456' };

/** The sale's F55 with 9F26 replaced by a "final cryptogram" and 9F27 by `cid`. */
function finalF55(sale: IsoMessage, cid: number): Buffer {
  return encodeTlv(
    decodeTlv(sale.getBuffer(55)!).map((t) => ({
      tag: t.tag,
      value: t.tag === '9F26' ? Buffer.from('1122334455667788', 'hex') : t.tag === '9F27' ? Buffer.from([cid]) : t.value,
    })),
  );
}

function icRecord(t: TestTerminal, sale: IsoMessage, networkCode: string, opts: { cid?: number; f62?: string } = {}): IsoMessage {
  const amount = sale.getString(4)!;
  const failed = networkCode === '204' || networkCode === '206';
  const f62 = opts.f62 ?? (failed ? `710011${amount}15610` : `610000${amount}156`);
  return t
    .base('0320')
    .set(2, sale.getString(2)!)
    .set(4, amount)
    .set(22, sale.getString(22)!)
    .set(55, finalF55(sale, opts.cid ?? (failed ? 0x00 : 0x40)))
    .set(62, Buffer.from(f62, 'ascii'))
    .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode, readCapability: '5', icCondition: '0' }));
}

describe('reference host: IC records of the batch upload', () => {
  let host: ReferenceHost;
  const open: TestTerminal[] = [];
  before(async () => {
    host = await startHost();
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
  });
  beforeEach(() => host.control.reset());

  const noteOf = (tid: string, stan: string) => host.control.journal({ terminalId: tid, stan }).find((e) => e.direction === 'in')?.note ?? '';

  test('TC records matched and counted once; duplicate tolerated; unmatched refused 25; ARQC refused 30; end count checked', async () => {
    const t = await signedOn(host, '10000008');
    open.push(t);
    const s1 = t.sale(IC, 8800);
    const s2 = t.sale(IC, 1200);
    expect((await t.send(s1.msg)).rc).to.equal('00');
    expect((await t.send(s2.msg)).rc).to.equal('00');
    const batch = t.batch;

    const r1 = icRecord(t, s1.msg, '205');
    expect((await t.send(r1)).rc).to.equal('00');
    expect(noteOf('10000008', r1.getString(11)!)).to.match(new RegExp(`TC record \\(60\\.3 205\\) matched to sale STAN ${s1.stan} batch ${batch}`));
    // The same record again (a terminal resuming after a power cut): acknowledged, not counted again.
    const again = icRecord(t, s1.msg, '205');
    expect((await t.send(again)).rc).to.equal('00');
    expect(noteOf('10000008', again.getString(11)!)).to.match(
      new RegExp(`duplicate TC record .* already received as STAN ${r1.getString(11)}.*not counted again`),
    );
    // 9F27 80 is the request's ARQC, not the card's TC.
    const arqc = icRecord(t, s2.msg, '205', { cid: 0x80 });
    const ra = await t.send(arqc);
    expect(ra.rc).to.equal('30');
    expect(noteOf('10000008', arqc.getString(11)!)).to.match(/9F27 is 80/);
    // A record for an amount the batch never had.
    const ghost = icRecord(t, t.sale(IC, 4242).msg, '205');
    expect((await t.send(ghost)).rc).to.equal('25');
    expect(noteOf('10000008', ghost.getString(11)!)).to.match(/matches no original/);
    expect((await t.send(icRecord(t, s2.msg, '205'))).rc).to.equal('00');

    const end = t.batchEnd(2, '202');
    expect((await t.send(end)).rc).to.equal('00');
    expect(noteOf('10000008', end.getString(11)!)).to.match(
      /terminal says 2 records, host received 2 \(\+ 1 duplicate\(s\) tolerated, not counted\): counts agree/,
    );
    expect(host.control.settlementTotals('10000008', batch)).to.include({ state: 'closed', uploadedRecords: 2 });
  });

  test("a pre-authorization's TC record is matched (§3.10 uploads IC online sales and pre-auths alike)", async () => {
    const t = await signedOn(host, '10000008');
    open.push(t);
    const p = t.preauth(IC, 5000);
    expect((await t.send(p.msg)).rc).to.equal('00');
    const r = icRecord(t, p.msg, '203');
    expect((await t.send(r)).rc).to.equal('00');
    expect(noteOf('10000008', r.getString(11)!)).to.match(new RegExp(`TC record \\(60\\.3 203\\) matched to preauth STAN ${p.stan}`));
  });

  test('a failed-IC record (AAC) matches the reversed sale; a TC record for it is refused; a wrong count is noted', async () => {
    const t = await signedOn(host, '10000002');
    open.push(t);
    const s = t.sale(IC, 3300);
    expect((await t.send(s.msg)).rc).to.equal('00');
    expect((await t.send(t.reversal(s.msg, '06'))).rc).to.equal('00');
    const tc = icRecord(t, s.msg, '205');
    expect((await t.send(tc)).rc).to.equal('25');
    expect(noteOf('10000002', tc.getString(11)!)).to.match(/not approved or were reversed/);
    const bad = icRecord(t, s.msg, '206', { f62: `710011${s.msg.getString(4)}15622` });
    expect((await t.send(bad)).rc).to.equal('30');
    const failed = icRecord(t, s.msg, '206');
    expect((await t.send(failed)).rc).to.equal('00');
    expect(noteOf('10000002', failed.getString(11)!)).to.match(
      new RegExp(`failed-IC record \\(card declined, AAC\\) \\(60\\.3 206\\) matched to sale STAN ${s.stan} .*reversed`),
    );
    const end = t.batchEnd(3, '202');
    expect((await t.send(end)).rc).to.equal('00');
    expect(noteOf('10000002', end.getString(11)!)).to.match(/terminal says 3 records, host received 1: COUNT MISMATCH/);
  });
});
