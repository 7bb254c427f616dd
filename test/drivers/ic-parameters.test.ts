/**
 * drivers/ic-parameters: a complete download of both lists passes; a missing entry, a missing end,
 * a MAC where the dialect has none, and no query at all are each named; the refusal wording is
 * recognised by meaning.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeIcDownload, noIcParameterWordingOn } from '../../drivers/ic-parameters';
import type { HostMessage } from '../../drivers/host-view';
import { encodeItemRequest, encodeListQuery, type TransactionKind } from '../../protocol/iso8583';

const LISTS = { capks: [{ rid: 'A000000333', index: 'C1' }, { rid: 'A000000333', index: 'C2' }], aids: ['A000000333010101'] };

let id = 0;
function req(kind: TransactionKind, f62?: Buffer, extra: Record<number, string> = {}): HostMessage {
  id++;
  const fields: Record<number, string> = { ...extra };
  if (f62) fields[62] = f62.toString('hex').toUpperCase();
  return {
    id, at: '', direction: 'in', terminalId: 'T', mti: kind.endsWith('query') ? '0820' : '0800', stan: String(id), kind,
    fields, responseCode: undefined, hex: '', note: undefined,
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
    expect(judgeIcDownload(download({ skipAid: true }), LISTS).problems.join('\n')).to.match(/fetched 0 of the host's 1 entries; not fetched: A000000333010101/);
    expect(judgeIcDownload(download({ noEnd: true }), LISTS).problems.join('\n')).to.match(/no IC parameter \(AID\) end \(0800 60.3 381\)/);
    expect(judgeIcDownload(download({ mac: true }), LISTS).problems.join('\n')).to.match(/capk-download .* carries a MAC; the dialect sends none/);
    expect(judgeIcDownload([], LISTS).problems).to.have.length(2);
  });

  test('the refusal is recognised by meaning, in Chinese or English', () => {
    expect(noIcParameterWordingOn(['消费', '交易失败', 'IC卡参数未下载'])).to.equal('IC卡参数未下载');
    expect(noIcParameterWordingOn(['SALE', 'No IC parameters'])).to.equal('NO IC PARAMETERS');
    expect(noIcParameterWordingOn(['交易失败'])).to.equal(undefined);
  });
});
