/**
 * The reference host's card blacklist (390 / 391) and contactless parameter (394 / 395) downloads
 * over TCP: header digit 7 then 9 after the IC lists until the terminal has each; the blacklist
 * pages carry the configured card numbers (journal masked); the 394 reply carries the configured
 * QuickPass limits; control.setContactlessParameters is a new version that asks again (digit 9);
 * bad F62 answers 30, an end without the download leaves it asked for.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { maskPan } from '../../crypto';
import { encodeBlacklistRequest, formatField60, parseBlacklistPage, parseContactlessReply } from '../../protocol/iso8583';
import type { ReferenceHost } from '../../host';
import { CONFIG, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const digit = (r: { frame: { header: { processingRequirement: string } } }) => r.frame.header.processingRequirement;

describe('reference host: card blacklist and contactless parameter downloads (390 / 394)', () => {
  let host: ReferenceHost;
  const open: TestTerminal[] = [];
  const term = async (tid: string) => {
    const t = await signedOn(host, tid, '003');
    open.push(t);
    await t.network('0800', '360');
    await t.downloadIcLists(['capk', 'aid']);
    return t;
  };
  before(async () => {
    host = await startHost();
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
  });

  test('digit 7 then 9 until both are in; the pages and the parameters are the configuration; the journal masks the card numbers', async () => {
    const t = await term('10000001');
    const blacklisted = CONFIG.terminalLists.blacklist.map((e) => e.pan);
    expect(blacklisted.length).to.be.greaterThan(0);
    expect(digit(await t.network('0820', '301'))).to.equal('7');
    const bl = await t.downloadIcLists(['blacklist']);
    const pages = bl.filter((r) => r.msg.getString(60)?.endsWith('390'));
    expect(pages.flatMap((r) => parseBlacklistPage(r.msg.get(62) as Buffer).pans)).to.deep.equal(blacklisted);
    expect(digit(bl[bl.length - 1])).to.equal('9');
    const cl = await t.downloadIcLists(['contactless']);
    const params = parseContactlessReply(cl[0].msg.get(62) as Buffer);
    expect(params).to.deep.equal(CONFIG.terminalLists.contactless);
    expect(digit(cl[cl.length - 1])).to.equal('0');
    expect([...bl, ...cl].every((r) => r.rc === '00' && !r.msg.has(64))).to.equal(true);
    expect(host.control.terminalState('10000001').terminalLists).to.deep.equal({
      blacklist: { loaded: CONFIG.terminalLists.blacklistVersion, current: CONFIG.terminalLists.blacklistVersion },
      contactless: { loaded: CONFIG.terminalLists.contactlessVersion, current: CONFIG.terminalLists.contactlessVersion },
    });
    const rows = host.control.journal({ terminalId: '10000001' });
    const text = JSON.stringify(rows);
    for (const pan of blacklisted) {
      expect(text, 'a clear blacklisted card number in the journal').to.not.include(pan);
      expect(rows.some((r) => (r.note ?? '').includes(maskPan(pan)))).to.equal(true);
    }
  });

  test('new contactless parameters ask every terminal again (digit 9) and are what the next 394 carries', async () => {
    const t = await term('10000002');
    await t.downloadIcLists(['blacklist', 'contactless']);
    expect(digit(await t.network('0820', '301'))).to.equal('0');
    const lowered = { noPinEnabled: true, noPinLimitFen: 30000, noSignatureEnabled: false, noSignatureLimitFen: 0 };
    host.control.setContactlessParameters(lowered);
    try {
      expect(host.control.contactlessParameters()).to.deep.equal(lowered);
      expect(digit(await t.network('0820', '301'))).to.equal('9');
      const cl = await t.downloadIcLists(['contactless']);
      expect(parseContactlessReply(cl[0].msg.get(62) as Buffer)).to.deep.equal(lowered);
      expect(digit(cl[cl.length - 1])).to.equal('0');
    } finally {
      host.control.setContactlessParameters(undefined);
    }
    expect(host.control.contactlessParameters()).to.deep.equal(CONFIG.terminalLists.contactless);
    expect(digit(await t.network('0820', '301'))).to.equal('9');
    expect(() => host.control.setContactlessParameters({ ...lowered, noPinLimitFen: -1 })).to.throw(/noPinLimitFen/);
    expect(() => host.control.setContactlessParameters({ ...lowered, noPinEnabled: 'yes' as unknown as boolean })).to.throw(
      /noPinEnabled must be true or false/,
    );
  });

  test('an end without the download leaves it asked for; bad F62 answers 30; requestIcDownload asks for the blacklist again', async () => {
    const t = await term('10000003');
    expect(digit(await t.network('0800', '391'))).to.equal('7');
    expect(host.control.journal({ terminalId: '10000003' }).pop()!.note).to.match(/ended without a download/);
    const bad = t
      .base('0800')
      .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '390' }))
      .set(62, Buffer.from('X'));
    expect((await t.send(bad)).rc).to.equal('30');
    const tooMany = t
      .base('0800')
      .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '390' }))
      .set(62, encodeBlacklistRequest(999));
    expect((await t.send(tooMany)).rc).to.equal('30');
    await t.downloadIcLists(['blacklist', 'contactless']);
    expect(digit(await t.network('0820', '301'))).to.equal('0');
    host.control.requestIcDownload('10000003', ['blacklist']);
    expect(digit(await t.network('0820', '301'))).to.equal('7');
    expect(() => host.control.requestIcDownload('10000003', ['nope' as 'aid'])).to.throw(/list must be one of/);
  });
});
