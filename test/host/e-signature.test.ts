/**
 * The reference host's e-signature upload (电签, cup8583.md §3.1: 0820, F25 07, 60.1 07, 60.3 800) over
 * real TCP with the test terminal: linked to the approved sale F61 names when F37 and F4 agree (00, the
 * journal note names the sale and the image's SHA-256), refused A0 without or with a wrong MAC, 30 for
 * no F61 or an image that is not a PNG, 25 with the reason for a trace, RRN or amount of no approved
 * sale; the image is in no journal column.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { formatField60, type IsoMessage } from '../../protocol/iso8583';
import { signatureHash } from '../../protocol/ttp';
import type { ReferenceHost } from '../../host';
import { cardholderSignature } from '../../drivers/e-signature';
import { card, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };
const IMAGE = cardholderSignature('host test');

describe('reference host: e-signature upload (0820 60.3 800)', () => {
  let host: ReferenceHost;
  let t: TestTerminal;
  let sale: { stan: string; rrn: string };
  before(async () => {
    host = await startHost();
    t = await signedOn(host, '10000003');
    const s = t.sale(MAG, 6600);
    const r = await t.send(s.msg);
    expect(r.rc).to.equal('00');
    sale = { stan: s.stan, rrn: r.msg.getString(37)! };
  });
  after(async () => {
    t.close();
    await host.stop();
  });

  const upload = (o: { trace?: string; rrn?: string; amount?: string; image?: Buffer; f61?: boolean } = {}): IsoMessage => {
    const m = t
      .base('0820')
      .set(4, o.amount ?? '000000006600')
      .set(25, '07')
      .set(37, o.rrn ?? sale.rrn)
      .set(60, formatField60({ transactionType: '07', batchNumber: t.batch, networkCode: '800' }))
      .set(62, o.image ?? IMAGE);
    if (o.f61 !== false) m.set(61, `${t.batch}${o.trace ?? sale.stan}1204`);
    return m;
  };
  const noteOf = (stan: string) =>
    host.control
      .journal({ terminalId: '10000003', stan })
      .filter((e) => e.direction === 'out' && e.mti === '0830')
      .at(-1)!.note;

  test('linked to the approved sale: 00, the journal names the sale and the image by SHA-256, never the image', async () => {
    const m = t.mac(upload());
    const r = await t.send(m);
    expect(r.rc).to.equal('00');
    expect(r.msg.getString(25)).to.equal('07');
    const stan = m.getString(11)!;
    expect(noteOf(stan)).to.match(
      new RegExp(
        `^e-signature of sale \\d+ \\(batch ${t.batch} trace ${sale.stan}, RRN ${sale.rrn}, 66\\.00\\) stored: PNG 160x48, ${IMAGE.length} bytes, sha256 ${signatureHash(IMAGE)}; MAC verified$`,
      ),
    );
    const rows = host.control.journal({ terminalId: '10000003', stan });
    const imageHex = IMAGE.toString('hex').toUpperCase();
    for (const row of rows) {
      expect(row.hex).to.not.include(imageHex.slice(32, 96));
      expect(JSON.stringify(row.fields)).to.not.include(imageHex.slice(32, 96));
    }
    expect(rows.find((x) => x.direction === 'in')!.fields['62']).to.equal(
      `<signature PNG 160x48, ${IMAGE.length} bytes, sha256 ${signatureHash(IMAGE)}>`,
    );
  });

  test('MAC mandatory: missing or wrong is A0', async () => {
    const missing = upload();
    expect((await t.send(missing)).rc).to.equal('A0');
    expect(noteOf(missing.getString(11)!)).to.match(/^F64 \(MAC\) missing/);
    const wrong = t.mac(upload());
    const mac = Buffer.from(wrong.get(64) as Buffer);
    mac[0] ^= 0x01;
    wrong.set(64, mac);
    expect((await t.send(wrong)).rc).to.equal('A0');
    expect(noteOf(wrong.getString(11)!)).to.equal('MAC does not verify under the current MAK');
  });

  test('30 for no F61 or no PNG; 25 with the reason for a trace, RRN or amount of no approved sale', async () => {
    const cases: Array<[IsoMessage, string, RegExp]> = [
      [upload({ f61: false }), '30', /names no original: F61/],
      [upload({ image: Buffer.from('GIF89a not a png at all, but long enough to be read') }), '30', /not a PNG/],
      [upload({ trace: '999999' }), '25', new RegExp(`no transaction of terminal 10000003 with batch ${t.batch} trace 999999`)],
      [upload({ rrn: '999999999999' }), '25', /F37 999999999999 is not the RRN of sale/],
      [upload({ amount: '000000006601' }), '25', /F4 000000006601 is not the amount of sale .*66\.00/],
    ];
    for (const [m, rc, why] of cases) {
      t.mac(m);
      expect((await t.send(m)).rc, String(why)).to.equal(rc);
      expect(noteOf(m.getString(11)!)).to.match(why);
    }
  });
});
