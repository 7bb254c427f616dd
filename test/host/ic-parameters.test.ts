/**
 * The reference host's IC parameter and public-key downloads (cup8583.md §3.5) over TCP: header
 * digit 4 / 5 until the terminal has completed each list, paged queries, every item with its TLVs
 * (the CAPK checksum right), the end message, a download ended early asked again, a changed list
 * and control.requestIcDownload asking again, bad F62 refused with 30, journal notes.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import {
  capkFromNodes,
  encodeItemRequest,
  encodeListQuery,
  formatField60,
  IC_NETWORK_CODES,
  parseItemReply,
  parseListPage,
} from '../../protocol/iso8583';
import { findTag } from '../../protocol/tlv';
import type { HostConfig, ReferenceHost } from '../../host';
import { CONFIG, identity, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const digit = (r: { frame: { header: { processingRequirement: string } } }) => r.frame.header.processingRequirement;

describe('reference host: IC parameter and CAPK download (§3.5)', () => {
  let host: ReferenceHost;
  const open: TestTerminal[] = [];
  const term = async (tid: string) => {
    const t = await signedOn(host, tid, '003');
    open.push(t);
    await t.network('0800', '360');
    return t;
  };
  before(async () => {
    host = await startHost();
  });
  after(async () => {
    for (const t of open) t.close();
    await host.stop();
  });

  test('digit 4 then 5 until both lists are in; every item carries its parameters; then 0', async () => {
    const t = await term('10000001');
    expect(CONFIG.icParameters.capks.length).to.be.greaterThan(0);
    expect(digit(await t.network('0820', '301'))).to.equal('4');
    const replies = await t.downloadIcLists(['capk']);
    expect(replies.every((r) => r.rc === '00')).to.equal(true);
    const capks = replies.filter((r) => r.msg.getString(60)?.endsWith('370')).map((r) => capkFromNodes(parseItemReply(r.msg.get(62) as Buffer)));
    expect(capks.map((k) => k.index)).to.deep.equal(CONFIG.icParameters.capks.map((k) => k.index));
    expect(capks.every((k) => k.rid === 'A000000333' && k.exponent === '03')).to.equal(true);
    // The CAPK end says the keys are in: the parameters are asked next.
    expect(digit(replies[replies.length - 1])).to.equal('5');
    const aids = await t.downloadIcLists(['aid']);
    const items = aids.filter((r) => r.msg.getString(60)?.endsWith('380')).map((r) => parseItemReply(r.msg.get(62) as Buffer));
    expect(items.map((n) => findTag(n, '9F06')!.value.toString('hex').toUpperCase())).to.deep.equal(CONFIG.icParameters.aids.map((a) => a.aid));
    expect(findTag(items[0], 'DF11')!.value.toString('hex').toUpperCase()).to.equal('D84000A800');
    // Both IC lists in: the blacklist (7) is asked next (terminal-lists.test.ts).
    expect(digit(aids[aids.length - 1])).to.equal('7');
    expect(host.control.terminalState('10000001').icParameters).to.deep.equal({
      capk: { loaded: CONFIG.icParameters.capkVersion, current: CONFIG.icParameters.capkVersion },
      aid: { loaded: CONFIG.icParameters.aidVersion, current: CONFIG.icParameters.aidVersion },
    });
    const notes = host.control.journal({ terminalId: '10000001' }).map((j) => j.note ?? '');
    expect(notes.some((n) => /CAPK download complete: 3 entries/.test(n))).to.equal(true);
    // No MAC on any of them (cup8583.md §3.1: the MAC column says no).
    expect(replies.every((r) => !r.msg.has(64))).to.equal(true);
  });

  test('an end without every item leaves the list asked for; requestIcDownload asks again', async () => {
    const t = await term('10000002');
    const code = IC_NETWORK_CODES.capk;
    const send = (mti: '0800' | '0820', c: string, f62?: Buffer) => {
      const m = t.base(mti).set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: c }));
      if (f62) m.set(62, f62);
      return t.send(m);
    };
    const q = await send('0820', code.query, encodeListQuery(0));
    const { entries } = parseListPage('capk', q.msg.get(62) as Buffer);
    await send('0800', code.download, encodeItemRequest(entries[0]));
    const end = await send('0800', code.end);
    expect([end.rc, digit(end)]).to.deep.equal(['00', '4']);
    expect(host.control.journal({ terminalId: '10000002' }).pop()!.note).to.match(/ended without .*2 of 3 not fetched/);
    await t.downloadIcLists();
    expect(digit(await t.network('0820', '301'))).to.equal('0');
    host.control.requestIcDownload('10000002', ['aid']);
    expect(digit(await t.network('0820', '301'))).to.equal('5');
    expect(() => host.control.requestIcDownload('99999999')).to.throw(/not in the host configuration/);
  });

  test('bad F62 answers 30, an unknown item 25, a terminal not signed on Z1', async () => {
    const t = await term('10000003');
    const q = t
      .base('0820')
      .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '382' }))
      .set(62, Buffer.from('X'));
    expect((await t.send(q)).rc).to.equal('30');
    const d = t
      .base('0800')
      .set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '380' }))
      .set(62, encodeItemRequest({ kind: 'aid', aid: 'A000009999' }));
    const r = await t.send(d);
    expect(r.rc).to.equal('25');
    await t.network('0820', '002');
    expect((await t.network('0800', '381')).rc).to.equal('Z1');
  });

  test('a changed list in the configuration is a new version: terminals that had the old one are asked again', async () => {
    const changed: HostConfig = {
      ...CONFIG,
      icParameters: { ...CONFIG.icParameters, aids: CONFIG.icParameters.aids.slice(0, 2), aidVersion: 'NEW1' },
    };
    const h2 = await startHost({ config: changed });
    try {
      const t = await signedOn(h2, '10000004', '003', changed);
      await t.network('0800', '360');
      await t.downloadIcLists();
      expect(digit(await t.network('0820', '301'))).to.equal('0');
      expect(h2.control.terminalState('10000004').icParameters.aid.loaded).to.equal('NEW1');
      t.close();
    } finally {
      await h2.stop();
    }
    expect(CONFIG.icParameters.aidVersion).to.not.equal('NEW1');
  });
});
