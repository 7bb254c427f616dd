// drivers/original-reference.ts over hand-made journal messages: an F37 in a request must be a complete
// an12 reference (cup8583.md §2), whatever the keypad took.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { incompleteReferences } from '../../drivers/original-reference';
import type { HostMessage } from '../../drivers/host-view';

const msg = (id: number, direction: 'in' | 'out', fields: Record<number, string>): HostMessage => ({
  id,
  at: '',
  direction,
  terminalId: 'T1',
  mti: direction === 'in' ? '0220' : '0230',
  stan: '000042',
  kind: 'refund',
  fields: { 11: '000042', ...fields },
  responseCode: fields[39],
  hex: '',
  note: undefined,
});

describe('drivers/original-reference: F37 of a request is a complete reference', () => {
  test('a 12-character reference, or a request without F37, is no problem; replies are not judged', () => {
    expect(incompleteReferences([msg(1, 'in', { 37: '112233445566' }), msg(2, 'out', { 37: '1122 ', 39: '25' }), msg(3, 'in', {})])).to.deep.equal(
      [],
    );
    expect(incompleteReferences([msg(1, 'in', { 37: '000000000000' })])).to.deep.equal([]);
  });

  test('a reference padded with a blank, cut short or too long is named with its request', () => {
    const problems = incompleteReferences([
      msg(1, 'in', { 37: '11223344556 ' }),
      msg(2, 'in', { 37: '11223344556' }),
      msg(3, 'in', { 37: '1122334455667' }),
    ]);
    expect(problems).to.have.length(3);
    expect(problems[0]).to.equal('the refund 0220 STAN 000042 named the original reference "11223344556 " in F37 (an12: 12 letters or digits)');
  });
});
