/**
 * Field 62 of the IC parameter / CAPK downloads (cup8583.md §3.5): queries, paged lists, item
 * requests and replies round-trip; malformed content is a typed error naming field 62; the catalogue
 * identifies the six messages by 60.3.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  capkChecksum,
  capkFromNodes,
  capkNodes,
  encodeItemReply,
  encodeItemRequest,
  encodeListPage,
  encodeListQuery,
  FieldContentError,
  identify,
  parseItemReply,
  parseItemRequest,
  parseListPage,
  parseListQuery,
  requestTemplate,
  type IcListEntry,
} from '../../../protocol/iso8583';

const RID = 'A000000333';

describe('IC parameter download F62 (§3.5)', () => {
  test('the query carries "1" + the count already received', () => {
    expect(encodeListQuery(0).toString('latin1')).to.equal('100');
    expect(parseListQuery(encodeListQuery(7))).to.equal(7);
    expect(() => parseListQuery(Buffer.from('007'))).to.throw(FieldContentError, /field 62.*"1" \+ 2 digits/);
    expect(() => encodeListQuery(100)).to.throw(FieldContentError);
  });

  test('a CAPK list round-trips with its RID, index and expiry; the reply starts with the control byte', () => {
    const list: IcListEntry[] = [
      { kind: 'capk', rid: RID, index: 'C1', expiry: '20301231' },
      { kind: 'capk', rid: RID, index: 'C2' },
    ];
    const page = encodeListPage(list, 0);
    expect(page.toString('latin1', 0, 1)).to.equal('1');
    expect(page.subarray(1, 4).toString('hex').toUpperCase()).to.equal('9F0605');
    expect(parseListPage('capk', page)).to.deep.equal({ more: false, entries: list });
    expect(parseListPage('capk', encodeListPage(list, 1)).entries).to.deep.equal([list[1]]);
  });

  test('a long list is paged: control byte 2 until the last page, each page under the F62 limit', () => {
    const list: IcListEntry[] = Array.from({ length: 60 }, (_, i) => ({ kind: 'aid' as const, aid: `A000000333010${String(i).padStart(3, '0')}` }));
    const got: IcListEntry[] = [];
    let pages = 0;
    for (;;) {
      const page = encodeListPage(list, got.length);
      expect(page.length).to.be.at.most(512);
      const { more, entries } = parseListPage('aid', page);
      got.push(...entries);
      pages++;
      if (!more) break;
    }
    expect(pages).to.be.greaterThan(1);
    expect(got).to.deep.equal(list);
  });

  test('item requests name the AID, or the RID and index (no expiry)', () => {
    const capk: IcListEntry = { kind: 'capk', rid: RID, index: '0B', expiry: '20301231' };
    const req = encodeItemRequest(capk);
    expect(req.toString('hex').toUpperCase()).to.equal(`9F0605${RID}9F22010B`);
    expect(parseItemRequest('capk', req)).to.deep.equal({ kind: 'capk', rid: RID, index: '0B' });
    const aid: IcListEntry = { kind: 'aid', aid: 'A000000333010101' };
    expect(parseItemRequest('aid', encodeItemRequest(aid))).to.deep.equal(aid);
    expect(() => parseItemRequest('capk', Buffer.from(`9F0605${RID}`, 'hex'))).to.throw(FieldContentError, /9F22/);
    expect(() => parseItemRequest('aid', undefined)).to.throw(FieldContentError, /F62 is empty/);
  });

  test('a CAPK reply carries its checksum, and a wrong one is refused', () => {
    const modulus = 'C1'.repeat(64);
    const k = { rid: RID, index: 'C1', expiry: '20301231', modulus, exponent: '03', checksum: capkChecksum(RID, 'C1', modulus, '03') };
    const reply = encodeItemReply(capkNodes(k));
    expect(reply.toString('latin1', 0, 1)).to.equal('1');
    expect(capkFromNodes(parseItemReply(reply))).to.deep.equal(k);
    const bad = capkNodes({ ...k, checksum: '00'.repeat(20) });
    expect(() => capkFromNodes(bad)).to.throw(FieldContentError, /checksum DF03/);
    expect(() => parseItemReply(Buffer.from('0'))).to.throw(FieldContentError, /starts with "1"/);
  });

  test('the catalogue identifies query, download and end of both lists', () => {
    const kinds = [
      'capk-query',
      'capk-download',
      'capk-download-end',
      'ic-parameter-query',
      'ic-parameter-download',
      'ic-parameter-download-end',
    ] as const;
    const codes = ['372', '370', '371', '382', '380', '381'];
    kinds.forEach((kind, i) => {
      const msg = requestTemplate(kind, '000001');
      expect(msg.mti).to.equal(kind.endsWith('query') ? '0820' : '0800');
      expect(msg.getString(60)).to.equal(`00000001${codes[i]}`);
      expect(identify(msg)).to.equal(kind);
    });
  });
});
