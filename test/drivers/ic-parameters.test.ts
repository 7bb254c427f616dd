/**
 * drivers/ic-parameters: a complete download of both lists passes; a missing entry, a missing end,
 * a MAC where the dialect has none, and no query at all are each named; the refusal wording is
 * recognised by meaning. A chip sale while the new lists are refused is judged by the declared
 * supersededIcLists: refused and nothing sent, or the download tried again and a chip sale sent;
 * never by magstripe.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeIcDownload, judgeSaleOnSupersededIcLists, noIcParameterWordingOn } from '../../drivers/ic-parameters';
import type { HostMessage } from '../../drivers/host-view';
import { encodeItemRequest, encodeListQuery, type TransactionKind } from '../../protocol/iso8583';

const LISTS = {
  capks: [
    { rid: 'A000000333', index: 'C1' },
    { rid: 'A000000333', index: 'C2' },
  ],
  aids: ['A000000333010101'],
};

let id = 0;
function req(kind: TransactionKind, f62?: Buffer, extra: Record<number, string> = {}): HostMessage {
  id++;
  const fields: Record<number, string> = { ...extra };
  if (f62) fields[62] = f62.toString('hex').toUpperCase();
  return {
    id,
    at: '',
    direction: 'in',
    terminalId: 'T',
    mti: kind.endsWith('query') ? '0820' : '0800',
    stan: String(id),
    kind,
    fields,
    responseCode: undefined,
    hex: '',
    note: undefined,
  };
}

function download(opts: { skipAid?: boolean; noEnd?: boolean; mac?: boolean } = {}): HostMessage[] {
  return [
    req('capk-query', encodeListQuery(0)),
    ...LISTS.capks.map((c) => req('capk-download', encodeItemRequest({ kind: 'capk', ...c }), opts.mac ? { 64: '3132333435363738' } : {})),
    req('capk-download-end'),
    req('ic-parameter-query', encodeListQuery(0)),
    ...(opts.skipAid ? [] : LISTS.aids.map((aid) => req('ic-parameter-download', encodeItemRequest({ kind: 'aid', aid })))),
    ...(opts.noEnd ? [] : [req('ic-parameter-download-end')]),
  ];
}

describe('drivers/ic-parameters', () => {
  test('a complete download of both lists passes and gives the id of its last end', () => {
    const msgs = download();
    const v = judgeIcDownload(msgs, LISTS);
    expect(v.problems).to.deep.equal([]);
    expect(v.lastEndId).to.equal(msgs[msgs.length - 1].id);
  });

  test('a missing entry, a missing end and a MAC the dialect does not send are each named', () => {
    expect(judgeIcDownload(download({ skipAid: true }), LISTS).problems.join('\n')).to.match(
      /fetched 0 of the host's 1 entries; not fetched: A000000333010101/,
    );
    expect(judgeIcDownload(download({ noEnd: true }), LISTS).problems.join('\n')).to.match(/no IC parameter \(AID\) end \(0800 60.3 381\)/);
    expect(judgeIcDownload(download({ mac: true }), LISTS).problems.join('\n')).to.match(/capk-download .* carries a MAC; the dialect sends none/);
    expect(judgeIcDownload([], LISTS).problems).to.have.length(2);
  });

  test('the refusal is recognised by meaning, in Chinese or English', () => {
    expect(noIcParameterWordingOn(['消费', '交易失败', 'IC卡参数未下载'])).to.equal('IC卡参数未下载');
    expect(noIcParameterWordingOn(['SALE', 'No IC parameters'])).to.equal('NO IC PARAMETERS');
    expect(noIcParameterWordingOn(['交易失败'])).to.equal(undefined);
  });

  describe('a chip sale while the new IC lists are refused (supersededIcLists)', () => {
    const T0 = Date.parse('2026-12-04T03:00:00.000Z');
    const at = (ms: number) => new Date(T0 + ms).toISOString();
    function msg(kind: TransactionKind, ms: number, fields: Record<number, string> = {}): HostMessage {
      id++;
      return { ...req(kind), id, at: at(ms), mti: kind === 'sale' ? '0200' : '0820', fields };
    }
    const refusedAtSignOn = () => msg('capk-query', -5000);
    const refusal = [['消费', '交易失败', 'IC卡参数未下载']];
    const chipSale = (ms: number) => msg('sale', ms, { 22: '051', 55: '9F2608' });

    test('not-used: refused with the wording and nothing sent passes; a sale sent or approved is named', () => {
      expect(judgeSaleOnSupersededIcLists('not-used', { messages: [refusedAtSignOn()], saleStartedAt: T0, screens: refusal })).to.deep.equal([]);
      const sent = judgeSaleOnSupersededIcLists('not-used', {
        messages: [refusedAtSignOn(), chipSale(100)],
        saleStartedAt: T0,
        screens: [['交易成功']],
      });
      expect(sent.join('\n'))
        .to.match(/no screen said the IC parameters are missing/)
        .and.match(/the host received sale/)
        .and.match(/showed the sale approved/);
    });

    test('used-until-replaced: a query after the sale began and before its chip request passes; none, or one only at sign-on, is named', () => {
      const ok = [refusedAtSignOn(), msg('capk-query', 50), chipSale(100)];
      expect(judgeSaleOnSupersededIcLists('used-until-replaced', { messages: ok, saleStartedAt: T0, screens: [] })).to.deep.equal([]);
      const noRetry = judgeSaleOnSupersededIcLists('used-until-replaced', {
        messages: [refusedAtSignOn(), chipSale(100)],
        saleStartedAt: T0,
        screens: [],
      });
      expect(noRetry.join()).to.match(/no IC list query \(0820 60.3 372 \/ 382\) reached the host between the start of the sale and its request/);
      const afterSale = judgeSaleOnSupersededIcLists('used-until-replaced', {
        messages: [chipSale(100), msg('ic-parameter-query', 200)],
        saleStartedAt: T0,
        screens: [],
      });
      expect(afterSale.join()).to.match(/no IC list query/);
      expect(
        judgeSaleOnSupersededIcLists('used-until-replaced', { messages: [refusedAtSignOn()], saleStartedAt: T0, screens: refusal }).join(),
      ).to.match(/the host received no sale/);
    });

    test('either variant: a magstripe or fallback sale is a silent fallback', () => {
      for (const f22 of ['021', '801']) {
        const msgs = [refusedAtSignOn(), msg('capk-query', 50), msg('sale', 100, { 22: f22 })];
        for (const declared of ['not-used', 'used-until-replaced'] as const) {
          expect(
            judgeSaleOnSupersededIcLists(declared, { messages: msgs, saleStartedAt: T0, screens: refusal }).join(),
            `${declared} ${f22}`,
          ).to.match(/fell back to the magnetic stripe/);
        }
      }
      const used = judgeSaleOnSupersededIcLists('used-until-replaced', {
        messages: [msg('capk-query', 50), msg('sale', 100, { 22: '021' })],
        saleStartedAt: T0,
        screens: [],
      });
      expect(used.join()).to.match(/is not a chip sale: entry magstripe, no F55/);
    });
  });
});
