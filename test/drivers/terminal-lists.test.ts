/**
 * drivers/terminal-lists judgeListLoadedBetween: a list a transaction reply asked for must be loaded
 * (its end message sent) between that transaction's request and the next one of the kind; an end
 * only after the next request, none at all, or a single transaction are each named.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeListLoadedBetween } from '../../drivers/terminal-lists';
import type { HostMessage } from '../../drivers/host-view';
import type { TransactionKind } from '../../protocol/iso8583';

function messages(kinds: TransactionKind[]): HostMessage[] {
  return kinds.map((kind, i) => ({
    id: i + 1,
    at: '',
    direction: 'in',
    terminalId: 'T',
    mti: kind === 'sale' ? '0200' : '0800',
    stan: String(i + 1).padStart(6, '0'),
    kind,
    fields: {},
    responseCode: undefined,
    hex: '',
    note: undefined,
  }));
}

describe('drivers/terminal-lists judgeListLoadedBetween', () => {
  test('the blacklist loaded between the sale whose reply asked and the next sale passes', () => {
    const m = messages(['sale', 'blacklist-download', 'blacklist-download-end', 'sale']);
    expect(judgeListLoadedBetween(m, 'blacklist', 'sale')).to.deep.equal([]);
  });

  test('no download between the two sales is named', () => {
    const [problem] = judgeListLoadedBetween(messages(['sale', 'sale']), 'blacklist', 'sale');
    expect(problem).to.match(
      /no card blacklist .* download ended \(0800 60\.3 391\) between the sale .*000001.* and the next sale request \(STAN 000002\)$/,
    );
  });

  test('a download only after the next sale is named as late', () => {
    const m = messages(['sale', 'sale', 'blacklist-download', 'blacklist-download-end']);
    expect(judgeListLoadedBetween(m, 'blacklist', 'sale')[0]).to.match(/came only after that request/);
  });

  test('a download of the other list does not count', () => {
    const m = messages(['sale', 'contactless-parameter-download', 'contactless-parameter-download-end', 'sale']);
    expect(judgeListLoadedBetween(m, 'blacklist', 'sale')).to.have.length(1);
    expect(judgeListLoadedBetween(m, 'contactless', 'sale')).to.deep.equal([]);
  });

  test('one sale cannot be judged', () => {
    expect(judgeListLoadedBetween(messages(['sale', 'blacklist-download-end']), 'blacklist', 'sale')[0]).to.match(
      /1 sale request\(s\).*two are needed/,
    );
  });
});
