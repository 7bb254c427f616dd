/**
 * The strict acquirer (issue 12 item 4): each refusal a real acquirer makes, over real TCP with the
 * test terminal, with its response code and its reason in the journal note and the log line.
 * Codes and reasons are documented in docs/host.md ("Refusals of a strict acquirer").
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import { buildPinBlockFormat0, encryptPinBlock, unwrapWorkingKeys } from '../../crypto';
import { encodeFrame, encodeSm4PinBlockF59Binary, formatField60, IsoMessage, parseField60 } from '../../protocol/iso8583';
import type { ReferenceHost } from '../../host';
import { card, identity, signedOn, startHost } from './helpers';
import { REQUEST_HEADER, REQUEST_TPDU, TestTerminal, type CardPresentation } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };
const IC = { card: card('UP-DEBIT-IC'), pin: '123456', entry: 'insert' as const };
const side = (debitAmount: number, debitCount: number, creditAmount: number, creditCount: number) => ({
  debitAmount,
  debitCount,
  creditAmount,
  creditCount,
  result: '0' as const,
});
const ZERO = side(0, 0, 0, 0);

describe('reference host: a strict acquirer (refusals with code and reason)', () => {
  let host: ReferenceHost;
  const log: string[] = [];
  const open: TestTerminal[] = [];
  const term = async (tid: string, layout: '003' | '004' = '003') => {
    const t = await signedOn(host, tid, layout);
    open.push(t);
    return t;
  };
  /** The journal note of the reply to (terminal, STAN, MTI) and the log line of that reply. */
  const why = (tid: string, stan: string, outMti: string) => {
    const out = host.control
      .journal({ terminalId: tid, stan })
      .filter((e) => e.direction === 'out' && e.mti === outMti)
      .at(-1);
    const line = log.filter((l) => l.includes(` out ${tid.padEnd(8)} ${outMti} `) && l.includes(` ${stan} `)).at(-1);
    return { note: out?.note ?? '', log: line ?? '' };
  };

  before(async () => {
    host = await startHost({ logger: { info: (l) => log.push(l), warn: (l) => log.push(l), error: (l) => log.push(l) } });
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
  });
  beforeEach(() => host.control.reset());

  test('reversal against its original: 64 amount, 25 card / entry mode / F25+60.1; nothing reversed', async () => {
    const t = await term('10000001');
    const s = t.sale(IC, 1500);
    expect((await t.send(s.msg)).rc).to.equal('00');
    const after = host.control.balance('UP-DEBIT-IC').balance;
    const variant = (edit: (m: IsoMessage) => void) => {
      const r = t.reversal(s.msg);
      edit(r);
      return t.mac(r);
    };
    const cases: [string, (m: IsoMessage) => void, string, RegExp][] = [
      ['amount', (m) => m.set(4, '000000001400'), '64', /reversal amount 14\.00 differs from the original 15\.00/],
      ['PAN', (m) => m.set(2, card('UP-CREDIT-IC').pan), '25', /reversal PAN \d{6}\*+\d{4} is not the card of the original/],
      ['entry mode', (m) => m.set(22, '021'), '25', /entry mode F22 = 021 differs from the original's 051/],
      ['condition code', (m) => m.set(25, '06'), '25', /names no reversible kind, the original with this STAN is a sale/],
      [
        '60.1',
        (m) => m.set(60, formatField60({ ...parseField60(m.getString(60)!), transactionType: '23' })),
        '25',
        /F3\/F25\/60\.1 = 000000\/00\/23 names no reversible kind, the original with this STAN is a sale/,
      ],
    ];
    for (const [what, edit, code, reason] of cases) {
      const r = await t.send(variant(edit));
      expect(r.rc, what).to.equal(code);
      const w = why('10000001', s.stan, '0410');
      expect(w.note, what)
        .to.match(reason)
        .and.to.match(/nothing reversed/);
      expect(w.log, what).to.match(reason);
    }
    expect(host.control.balance('UP-DEBIT-IC').balance).to.equal(after);
    expect((await t.send(t.reversal(s.msg))).rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-IC').balance).to.equal(IC.card.openingBalance);
  });

  test('reversal form: 30 without F39, with F39 outside {98, A0, 06}, with track data or a PIN block (F52, F59 A1)', async () => {
    const t = await term('10000002');
    const s = t.sale(MAG, 700);
    await t.send(s.msg);
    const cases: [string, (m: IsoMessage) => void, RegExp][] = [
      ['no F39', (m) => m.unset(39), /reversal without F39/],
      ['F39 00', (m) => m.set(39, '00'), /reversal reason F39 = 00 is not 98, A0 or 06/],
      ['track 2', (m) => m.set(35, MAG.card.track2), /reversal carries F35 \(track data\)/],
      ['track 3', (m) => m.set(36, '99' + MAG.card.pan), /reversal carries F36 \(track data\)/],
      ['PIN block', (m) => m.set(52, Buffer.alloc(8, 0x11)), /reversal carries F52 \(PIN block\)/],
      ['SM4 PIN block', (m) => m.set(59, `A1032${'0'.repeat(32)}`), /reversal carries F59 tag A1 \(SM4 PIN block\)/],
    ];
    for (const [what, edit, reason] of cases) {
      const r = t.reversal(s.msg);
      edit(r);
      expect((await t.send(t.mac(r))).rc, what).to.equal('30');
      expect(why('10000002', s.stan, '0410').note, what).to.match(reason);
      expect(why('10000002', s.stan, '0410').log, what).to.match(reason);
    }
    for (const reason of ['98', 'A0', '06']) expect((await t.send(t.reversal(s.msg, reason))).rc, reason).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
  });

  test('a closed batch takes no new transactions (12); a void of a settled original is 22 (refund instead)', async () => {
    const t = await term('10000003');
    const s = t.sale(MAG, 2500);
    expect((await t.send(s.msg)).rc).to.equal('00');
    const settled = await t.send(t.settlement({ domestic: side(2500, 1, 0, 0), foreign: ZERO }));
    expect(settled.rc).to.equal('00');
    const late = t.sale(MAG, 100);
    expect((await t.send(late.msg)).rc).to.equal('12');
    expect(why('10000003', late.stan, '0210').note).to.match(
      new RegExp(`batch ${t.batch} is already settled \\(0500/0510\\): it takes no new transactions`),
    );
    expect(why('10000003', late.stan, '0210').log).to.match(/it takes no new transactions/);
    // The terminal ends the batch (0320 207) and moves on; the void of the sale from the closed batch is refused.
    const oldBatch = t.batch;
    expect((await t.send(t.batchEnd(0, '207'))).rc).to.equal('00');
    t.batch = host.control.terminalState('10000003').batch;
    expect(t.batch).to.not.equal(oldBatch);
    const v = t.void(MAG, 2500, { batch: oldBatch, stan: s.stan });
    expect((await t.send(v.msg)).rc).to.equal('22');
    expect(why('10000003', v.stan, '0210').note).to.match(
      new RegExp(`belongs to batch ${oldBatch}, already closed: a void is possible only within the open batch`),
    );
    // The new batch is open: a sale there is approved, and its void too.
    const fresh = t.sale(MAG, 300);
    expect((await t.send(fresh.msg)).rc).to.equal('00');
    expect((await t.send(t.void(MAG, 300, { stan: fresh.stan }).msg)).rc).to.equal('00');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 2500);
  });

  test('completion void of a completion from a settled batch: 22', async () => {
    const t = await term('10000004');
    const p = t.preauth(MAG, 5000);
    const pr = await t.send(p.msg);
    const c = t.completion(MAG, 5000, { stan: p.stan, auth: pr.msg.getString(38)! });
    const cr = await t.send(c.msg);
    expect(cr.rc).to.equal('00');
    expect((await t.send(t.settlement({ domestic: side(5000, 1, 0, 0), foreign: ZERO }))).rc).to.equal('00');
    const oldBatch = t.batch;
    await t.send(t.batchEnd(0, '207'));
    t.batch = host.control.terminalState('10000004').batch;
    const cv = t.completionVoid(MAG, 5000, { batch: oldBatch, stan: c.stan, auth: cr.msg.getString(38)!, rrn: cr.msg.getString(37) });
    expect((await t.send(cv.msg)).rc).to.equal('22');
    expect(why('10000004', cv.stan, '0210').note).to.match(/a preauth-completion-void is possible only within the open batch/);
  });

  test('currency other than 156: 13 on a sale, a reversal and a settlement', async () => {
    const t = await term('10000005');
    const s = t.sale(MAG, 100);
    const usd = t.mac(s.msg.set(49, '840'));
    expect((await t.send(usd)).rc).to.equal('13');
    expect(why('10000005', s.stan, '0210').note).to.match(/currency 840 \(F49\): this acquirer takes CNY \(156\) only/);
    expect(why('10000005', s.stan, '0210').log).to.match(/currency 840/);
    const ok = t.sale(MAG, 100);
    await t.send(ok.msg);
    expect((await t.send(t.mac(t.reversal(ok.msg).set(49, '840')))).rc).to.equal('13');
    const st = t.settlement({ domestic: side(100, 1, 0, 0), foreign: ZERO }).set(49, '840');
    expect((await t.send(st)).rc).to.equal('13');
    expect(why('10000005', st.getString(11)!, '0510').note).to.match(/currency 840/);
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 100);
  });

  test('every MACed advice verified: 0620 / 0320 / 0220 with a bad MAC are A0 (header digit 3); a 0620 without a MAC is A0, a 0320 passes', async () => {
    const t = await term('10000006');
    const bad = (m: IsoMessage) => {
      const mac = Buffer.from(t.mac(m).get(64) as Buffer);
      mac[0] = mac[0] === 0x30 ? 0x31 : 0x30;
      return m.set(64, mac);
    };
    const sale = t.sale(MAG, 800);
    const sr = await t.send(sale.msg);
    const refund = t.refund(MAG, 800, { stan: sale.stan, rrn: sr.msg.getString(37)! });
    expect((await t.send(bad(refund.msg.unset(64)))).rc).to.equal('A0');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 800);
    const script = () =>
      t
        .base('0620')
        .set(3, '000000')
        .set(25, '00')
        .set(55, Buffer.from('9F3303E0E1C8950500000000009F3602000ADF31052011223344', 'hex'))
        .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '951' }))
        .set(61, `${t.batch}${sale.stan}0000`);
    const s1 = bad(script());
    const r1 = await t.send(s1);
    expect(r1.rc).to.equal('A0');
    expect(r1.frame.header.processingRequirement).to.equal('3');
    expect(why('10000006', s1.getString(11)!, '0630').note).to.equal('MAC does not verify under the current MAK');
    // MAC right, but F61 names a magstripe sale: no issuer script answers it (25).
    const s2 = t.mac(script());
    expect((await t.send(s2)).rc).to.equal('25');
    expect(why('10000006', s2.getString(11)!, '0630').note).to.match(/was not a chip transaction \(F22 02/);
    const s3 = script();
    expect((await t.send(s3)).rc).to.equal('A0');
    expect(why('10000006', s3.getString(11)!, '0630').note).to.match(/^F64 \(MAC\) missing/);
    // A one-record upload (60.3 000: offline / refund / advice records) carries no MAC; one that does is verified.
    const upload = () =>
      t
        .base('0320')
        .set(2, IC.card.pan)
        .set(4, '000000001000')
        .set(55, Buffer.from('9F2608AABBCCDDEEFF0011', 'hex'))
        .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '000', readCapability: '5', icCondition: '0' }));
    const u1 = bad(upload());
    expect((await t.send(u1)).rc).to.equal('A0');
    expect(why('10000006', u1.getString(11)!, '0330').note).to.equal('MAC does not verify under the current MAK');
    expect((await t.send(upload())).rc).to.equal('00');
  });

  test('issuer script (§3.11): an approved chip sale of a card with a script carries it; the 0620 is linked by F61 or F37, else 25 / 30 with the reason', async () => {
    const t = await term('10000009');
    const SCRIPT = { card: card('UP-DEBIT-IC-SCRIPT'), pin: '123456', entry: 'insert' as const };
    const sale = t.sale(SCRIPT, 1200);
    const sr = await t.send(sale.msg);
    expect(sr.rc).to.equal('00');
    expect(sr.msg.getBuffer(55)!.toString('hex').toUpperCase()).to.include('721D9F18041122334486098418000004000000008609842400000400000000');
    expect(why('10000009', sale.stan, '0210').note).to.match(/^issuer script 72 id 11223344 \(2 command\(s\)/);
    const notice = (set: (m: IsoMessage) => void, df31 = 'DF31052011223344') => {
      const m = t
        .base('0620')
        .set(3, '000000')
        .set(25, '00')
        .set(55, Buffer.from(`9F3602000A${df31}`, 'hex'))
        .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '951' }));
      set(m);
      return t.mac(m);
    };
    const byF61 = notice((m) => m.set(61, `${t.batch}${sale.stan}0000`));
    expect((await t.send(byF61)).rc).to.equal('00');
    expect(why('10000009', byF61.getString(11)!, '0630').note).to.match(
      new RegExp(
        `^script result linked to sale \\d+ \\(batch ${t.batch} trace ${sale.stan}, RRN ${sr.msg.getString(37)}\\): script 11223344 performed; MAC verified$`,
      ),
    );
    const byRrn = notice((m) => m.set(37, sr.msg.getString(37)!), 'DF31051211223344');
    expect((await t.send(byRrn)).rc).to.equal('00');
    expect(why('10000009', byRrn.getString(11)!, '0630').note).to.match(/script 11223344 failed at command 2; MAC verified$/);
    const unknown = notice((m) => m.set(61, `${t.batch}9999990000`));
    expect((await t.send(unknown)).rc).to.equal('25');
    expect(why('10000009', unknown.getString(11)!, '0630').note).to.equal(
      `no transaction of terminal 10000009 with batch ${t.batch} trace 999999: the script result cannot be linked`,
    );
    const noDf31 = notice((m) => m.set(61, `${t.batch}${sale.stan}0000`), '');
    expect((await t.send(noDf31)).rc).to.equal('30');
    expect(why('10000009', noDf31.getString(11)!, '0630').note).to.match(/lacks DF31/);
    const noOriginal = notice(() => undefined);
    expect((await t.send(noOriginal)).rc).to.equal('30');
    expect(why('10000009', noOriginal.getString(11)!, '0630').note).to.match(/names no original/);
  });

  test('undecodable body: the 30 reply echoes F3 / F4 / F11 / F41 / F42 read from the raw bytes', async () => {
    const t = await term('10000007');
    const s = t.sale(MAG, 4200);
    const good = encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: s.msg });
    const broken = Buffer.concat([good, Buffer.from([0x99])]);
    broken.writeUInt16BE(broken.length - 2, 0); // one byte after F64: "trailing bytes"
    const r = await t.sendRaw(broken);
    expect(r.rc).to.equal('30');
    expect(r.msg.mti).to.equal('0210');
    for (const n of [3, 4, 11, 41, 42]) expect(r.msg.getString(n), `F${n}`).to.equal(s.msg.getString(n));
    expect(r.frame.header.processingRequirement).to.equal('1'); // the same policy as every reply (parameters not downloaded)
    const j = host.control.journal({ terminalId: '10000007', stan: s.stan });
    expect(j.at(-1)!.note).to.match(/format error: .*trailing.*\(read from the raw bytes: F3, F4, F11, F41, F42\)/);
    expect(JSON.stringify(j)).to.not.include(MAG.card.pan);
    // A body cut inside F22 (before F41): F3, F4 and F11 are still read, F41 / F42 are not.
    const cut = good.subarray(0, 2 + 5 + 6 + 2 + 8 + 3 + 6 + 3 + 1);
    const short = Buffer.from(cut);
    short.writeUInt16BE(short.length - 2, 0);
    const r2 = await t.sendRaw(short);
    expect(r2.rc).to.equal('30');
    expect(r2.msg.getString(11)).to.equal(s.stan);
    expect(r2.msg.has(41)).to.equal(false);
  });

  test('one processing-requirement digit policy: 0210, 0410, 0510 and 0330 say 1 until the parameters are downloaded, then 0', async () => {
    const t = await term('10000008');
    const digits = async () => {
      const s = t.sale(MAG, 100);
      const d210 = (await t.send(s.msg)).frame.header.processingRequirement;
      const d410 = (await t.send(t.reversal(s.msg))).frame.header.processingRequirement;
      const d510 = (await t.send(t.settlement({ domestic: ZERO, foreign: ZERO }))).frame.header.processingRequirement;
      const d330 = (await t.send(t.batchEnd(0, '207'))).frame.header.processingRequirement;
      t.batch = host.control.terminalState('10000008').batch;
      return [d210, d410, d510, d330];
    };
    expect(await digits()).to.deep.equal(['1', '1', '1', '1']);
    const dl = await t.network('0800', '360');
    // Next the IC lists (digit 4, public keys first); once they are in, nothing is asked.
    expect([dl.rc, dl.frame.header.processingRequirement]).to.deep.equal(['00', '4']);
    await t.downloadIcLists();
    expect(await digits()).to.deep.equal(['0', '0', '0', '0']);
    host.control.requestSignOn('10000008');
    expect(await digits()).to.deep.equal(['3', '3', '3', '3']);
  });

  test('F60 of 19 digits (PAX) is accepted with a warning in the journal and the log; 20 digits are a format error', async () => {
    const t = await term('10000001');
    const s = t.sale(MAG, 100);
    s.msg.set(60, s.msg.getString(60)!.padEnd(17, '0') + '12');
    const r = await t.send(t.mac(s.msg));
    expect(r.rc).to.equal('00');
    expect(r.msg.getString(60)).to.have.length(19);
    const w = why('10000001', s.stan, '0210');
    expect(w.note).to.match(/warning: F60 has 19 digits \(the dialect defines 17\); digits 12 after 60\.7 ignored/);
    expect(w.log).to.match(/warning: F60 has 19 digits/);
    const bad = t.sale(MAG, 100);
    bad.msg.set(60, bad.msg.getString(60)!.padEnd(17, '0') + '12');
    const frame = encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: t.mac(bad.msg) });
    // F60's LLLVAR prefix (0019) before its 10 BCD bytes: 20 digits fit the same bytes, but are over the maximum.
    const f60At = frame.indexOf(Buffer.from([0x00, 0x19, 0x22]));
    expect(f60At).to.be.greaterThan(0);
    frame[f60At + 1] = 0x20;
    const r2 = await t.sendRaw(frame);
    expect(r2.rc).to.equal('30');
    expect(r2.msg.getString(11)).to.equal(bad.stan);
  });

  test('SM4 (国密): sign-on under 60.3 005 / 006, and the binary F59 A1 PIN form with F52 = zeros', async () => {
    const id = identity('10000009');
    const t = await TestTerminal.connect(host.port, id);
    open.push(t);
    const signOn = async (code: '005' | '006', layout: '003' | '004') => {
      const r = await t.send(
        t
          .base('0800')
          .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: code }))
          .set(63, '01 '),
      );
      expect(r.rc, code).to.equal('00');
      expect(r.msg.getString(60)!.slice(8)).to.equal(code);
      t.batch = r.msg.getString(60)!.slice(2, 8);
      t.keys = unwrapWorkingKeys(Buffer.from(id.tmk, 'hex'), r.msg.get(62) as Buffer, layout, 'sm4');
      return r;
    };
    expect((await signOn('006', '004')).msg.get(62)).to.have.length(60);
    expect(t.keys!.tdk).to.have.length(16);
    expect((await signOn('005', '003')).msg.get(62)).to.have.length(40);
    const binaryPin = (pin: string, amount: number) => {
      const s = t.sale({ card: MAG.card, pin }, amount);
      const block = encryptPinBlock(t.keys!.pik, buildPinBlockFormat0(pin, MAG.card.pan, 16), 'sm4');
      s.msg.set(59, encodeSm4PinBlockF59Binary(block)).set(52, Buffer.alloc(8));
      return t.mac(s.msg.unset(64));
    };
    expect((await t.send(binaryPin('123456', 600))).rc).to.equal('00');
    expect((await t.send(binaryPin('111111', 600))).rc).to.equal('55');
    expect((await t.send(t.sale(MAG, 400).msg)).rc).to.equal('00'); // the text form still works
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 1000);
    // A 3DES terminal asking for a 国密 sign-on is told why.
    const tdes = await TestTerminal.connect(host.port, identity('10000002'));
    open.push(tdes);
    const m = tdes.base('0800').set(60, formatField60({ transactionType: '00', batchNumber: tdes.batch, networkCode: '005' }));
    expect((await tdes.send(m)).rc).to.equal('30');
    expect(host.control.journal({ terminalId: '10000002', stan: m.getString(11)! }).at(-1)!.note).to.match(
      /60\.3 = 005 is an SM4 \(国密\) sign-on; terminal 10000002 is configured for 3DES keys/,
    );
  });
  test("card data other than the card holds (F35 rebuilt, F14 or F23 changed) is refused 14; the card book's own data is approved", async () => {
    const t = await term('10000001');
    const rebuilt = `${MAG.card.pan}=${MAG.card.expiry}${MAG.card.serviceCode}0000000000`;
    const cases: [string, CardPresentation, ((m: IsoMessage) => void) | undefined, string, RegExp | undefined][] = [
      ['swipe as the card holds', MAG, undefined, '00', undefined],
      ['chip as the card holds', IC, undefined, '00', undefined],
      [
        'track 2 rebuilt from PAN and expiry',
        MAG,
        (m) => m.set(35, rebuilt),
        '14',
        /F35 \(34 characters, the card's 37\) is not what card 621234\*+1265 holds/,
      ],
      ['chip expiry', IC, (m) => m.set(14, '1231'), '14', /F14 1231 is not what card 620000\*+0047 holds/],
      ['chip card sequence number', IC, (m) => m.set(23, '000'), '14', /F23 000 is not what card 620000\*+0047 holds/],
    ];
    for (const [what, p, edit, code, reason] of cases) {
      const s = t.sale(p, 100);
      if (edit) {
        edit(s.msg);
        t.mac(s.msg);
      }
      expect((await t.send(s.msg)).rc, what).to.equal(code);
      if (reason) expect(why('10000001', s.stan, '0210').note, what).to.match(reason);
    }
  });
});
