/**
 * F62 of the card blacklist (390) and contactless parameter (394) downloads
 * (protocol/iso8583/terminal-lists.ts): request counts, pages of BCD card numbers (odd lengths
 * padded with F, split under 400 bytes with "more follow"), the QuickPass TLV reply, and the typed
 * errors on malformed F62.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  encodeBlacklistPage,
  encodeBlacklistRequest,
  encodeContactlessReply,
  FieldContentError,
  parseBlacklistPage,
  parseBlacklistRequest,
  parseContactlessReply,
} from '../../../protocol/iso8583';

describe('blacklist and contactless parameter F62 (390 / 394)', () => {
  test('request count round trip and bad requests', () => {
    expect(encodeBlacklistRequest(0).toString('latin1')).to.equal('1000');
    expect(parseBlacklistRequest(encodeBlacklistRequest(42))).to.equal(42);
    expect(() => parseBlacklistRequest(Buffer.from('100'))).to.throw(FieldContentError, /"1" \+ 3 digits/);
    expect(() => encodeBlacklistRequest(1000)).to.throw(/0\.\.999/);
  });

  test('a page carries the card numbers in BCD, odd lengths padded with F; the last page says so', () => {
    const pans = ['6212345678901331', '6200000000000047123'];
    const page = encodeBlacklistPage(pans, 0);
    expect(page.toString('hex').toUpperCase()).to.equal('3110' + '6212345678901331' + '13' + '6200000000000047123F');
    expect(parseBlacklistPage(page)).to.deep.equal({ more: false, pans });
    expect(parseBlacklistPage(encodeBlacklistPage(pans, 1))).to.deep.equal({ more: false, pans: [pans[1]] });
  });

  test('a long list is paged under 400 bytes; the pages together are the list', () => {
    const pans = Array.from({ length: 60 }, (_, i) => `62123456789${String(i).padStart(5, '0')}`);
    const got: string[] = [];
    let pages = 0;
    for (;;) {
      const page = encodeBlacklistPage(pans, got.length);
      expect(page.length).to.be.at.most(400);
      const p = parseBlacklistPage(page);
      got.push(...p.pans);
      pages++;
      if (!p.more) break;
    }
    expect(got).to.deep.equal(pans);
    expect(pages).to.equal(2);
  });

  test('malformed pages are typed errors', () => {
    expect(() => parseBlacklistPage(Buffer.from('3'))).to.throw(FieldContentError, /starts with "1".*or "2"/);
    expect(() => parseBlacklistPage(Buffer.from('3105', 'hex'))).to.throw(FieldContentError, /length 5/);
    expect(() => parseBlacklistPage(Buffer.from('31106212', 'hex'))).to.throw(FieldContentError, /runs past F62/);
    expect(() => parseBlacklistPage(Buffer.from('31106212345678901AB1', 'hex'))).to.throw(FieldContentError, /not BCD/);
    expect(() => encodeBlacklistPage(['123'], 0)).to.throw(/12\.\.19 digits/);
    expect(() => encodeBlacklistPage(['6212345678901331'], 2)).to.throw(/received 2 entries of a list of 1/);
  });

  test('contactless parameters: DF51-DF54 round trip, amounts n12 BCD', () => {
    const p = { noPinEnabled: true, noPinLimitFen: 100000, noSignatureEnabled: false, noSignatureLimitFen: 30000 };
    const f62 = encodeContactlessReply(p);
    expect(f62.toString('hex').toUpperCase()).to.equal('31' + 'DF510101' + 'DF5206000000100000' + 'DF530100' + 'DF5406000000030000');
    expect(parseContactlessReply(f62)).to.deep.equal(p);
    expect(() => parseContactlessReply(Buffer.from('2'))).to.throw(FieldContentError, /starts with "1"/);
    expect(() => parseContactlessReply(Buffer.from('31DF510101', 'hex'))).to.throw(FieldContentError, /DF52.*missing/);
    expect(() => encodeContactlessReply({ ...p, noPinLimitFen: -5 })).to.throw(/noPinLimitFen/);
  });
});
