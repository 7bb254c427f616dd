/**
 * The positional sub-field table: one generic parse / format over the F60, F61, F53, F54 and F48-side
 * layouts (the typed views are tested in fields.test.ts).
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  FIELD48_SETTLEMENT_SIDE_LAYOUT,
  FIELD53_LAYOUT,
  FIELD54_LAYOUT,
  FIELD60_LAYOUT,
  FIELD61_LAYOUT,
  FieldContentError,
  formatSubFields,
  parseSubFields,
  subFieldLengths,
  decodeSettlementTotals,
  parseSecurityControl,
} from '../../../protocol/iso8583';

describe('positional sub-fields', () => {
  test('lengths of each layout are the reference ones', () => {
    expect(subFieldLengths(FIELD60_LAYOUT)).to.deep.equal({ min: 11, max: 17 });
    expect(subFieldLengths(FIELD61_LAYOUT)).to.deep.equal({ min: 12, max: 29 });
    expect(subFieldLengths(FIELD53_LAYOUT)).to.deep.equal({ min: 16, max: 16 });
    expect(subFieldLengths(FIELD54_LAYOUT)).to.deep.equal({ min: 20, max: 20 });
    expect(subFieldLengths(FIELD48_SETTLEMENT_SIDE_LAYOUT)).to.deep.equal({ min: 31, max: 31 });
  });

  test('parse and format round-trip, optional sub-fields only when present', () => {
    expect(parseSubFields(FIELD60_LAYOUT, '22000757000')).to.deep.equal({ transactionType: '22', batchNumber: '000757', networkCode: '000' });
    expect(parseSubFields(FIELD60_LAYOUT, '2200075700060')).to.include({ readCapability: '6', icCondition: '0' });
    const v = parseSubFields(FIELD54_LAYOUT, '1002156C000000624712');
    expect(v).to.deep.equal({ accountType: '10', amountType: '02', currency: '156', sign: 'C', amount: '000000624712' });
    expect(formatSubFields(FIELD54_LAYOUT, v)).to.equal('1002156C000000624712');
  });

  test('errors name the sub-field and the position', () => {
    expect(() => parseSubFields(FIELD60_LAYOUT, '220007570006001')).to.throw(
      FieldContentError,
      /60.7 accountType needs 3 digits at position 14, the field ends/,
    );
    expect(() => parseSubFields(FIELD60_LAYOUT, '2200a757000')).to.throw(FieldContentError, /digit string/);
    expect(() => parseSubFields(FIELD61_LAYOUT, '0'.repeat(30))).to.throw(FieldContentError, /1 digits after 61.5/);
    expect(() => parseSubFields(FIELD54_LAYOUT, '1002156X000000624712')).to.throw(FieldContentError, /54.4 sign at position 7 must be C or D/);
    expect(() => parseSubFields(FIELD54_LAYOUT, '1002156C00000062471')).to.throw(
      FieldContentError,
      /balance must be 20 characters \(2\+2\+3\+1\+12\), got 19/,
    );
    expect(() => parseSecurityControl('2620000000000000')).to.throw(FieldContentError, /53.3 trackEncrypted at position 2 must be 0 or 1/);
    expect(() => decodeSettlementTotals('0'.repeat(61) + '7')).to.throw(
      FieldContentError,
      /foreign side: result at position 30 must be 0 or 1 or 2 or 3/,
    );
    expect(() => formatSubFields(FIELD61_LAYOUT, { originalBatch: '000001', originalTrace: '000002', authMethod: '01' })).to.throw(
      FieldContentError,
      /61.4 authMethod is set but 61.3 originalDate before it is not/,
    );
    expect(() => formatSubFields(FIELD61_LAYOUT, { originalBatch: '000001' })).to.throw(FieldContentError, /61.2 originalTrace must be 6 digit/);
  });
});
