/** Unit tests of host/salvage.ts: the echo fields read from a body that does not decode. */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import fc from 'fast-check';
import { IsoMessage, packMessage } from '../../protocol/iso8583';
import { salvageEchoFields } from '../../host/salvage';

const sale = () =>
  new IsoMessage('0200')
    .set(3, '000000')
    .set(4, '000000004200')
    .set(11, '000123')
    .set(22, '021')
    .set(35, '6222021234567890123=30121010000000000')
    .set(41, '10000001')
    .set(42, '898440153110001')
    .set(49, '156')
    .set(60, '2200000100060');

describe('salvageEchoFields', () => {
  test('a whole body: F3, F4, F11, F41, F42', () => {
    const got = salvageEchoFields(packMessage(sale()));
    expect(Object.fromEntries(got)).to.deep.equal({ 3: '000000', 4: '000000004200', 11: '000123', 41: '10000001', 42: '898440153110001' });
  });
  test('a track whose length prefix is not BCD stops the walk there: F41 / F42 after it are not guessed', () => {
    const body = packMessage(sale());
    const at = body.indexOf(Buffer.from([0x37, 0x62])); // LL prefix 37 then the PAN's first digits
    body[at] = 0x3a;
    expect([...salvageEchoFields(body).keys()]).to.deep.equal([3, 4, 11]);
  });
  test('a field with bad content but a known length is skipped, not echoed', () => {
    const body = packMessage(sale());
    const at = body.indexOf(Buffer.from('000123', 'hex'));
    body[at + 2] = 0x2a; // F11 = 00012* : not digits
    const got = salvageEchoFields(body);
    expect(got.has(11)).to.equal(false);
    expect(got.get(41)).to.equal('10000001');
  });
  test('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        salvageEchoFields(Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});
