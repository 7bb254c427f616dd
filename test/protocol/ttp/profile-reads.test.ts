// Which profile values a case depended on (protocol/ttp/profile-reads.ts): the watching view reports
// exactly the values read (leaves, arrays, a record's entries, a listed object), leaves the profile
// untouched, and the dependences carry the certificate's values (password never shown).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { dependences, isAcquirerValue, watchProfile } from '../../../protocol/ttp/profile-reads';
import { REFERENCE_PROFILE, profileCopies } from '../../../protocol/ttp/profile';
import { emulatorProfile } from '../../../emulator/profiles';

describe('profile reads', () => {
  test('records each value read by its key path, and nothing that was not read', () => {
    const reads: string[] = [];
    const p = watchProfile(emulatorProfile('three-copies').profile, (k) => reads.push(k));
    expect(reads).to.deep.equal([]);
    expect(profileCopies(p)).to.deep.equal(['merchant', 'bank', 'cardholder']);
    expect(p.vouchers.signatureOn).to.deep.equal(['merchant', 'bank']);
    expect(p.displaySynonyms['41']).to.equal(undefined);
    expect(p.acquirer.billPayment.processingCode).to.equal('500000');
    expect([...new Set(reads)]).to.deep.equal([
      'vouchers.copies',
      'vouchers.signatureOn',
      'displaySynonyms.41',
      'acquirer.billPayment.processingCode',
    ]);
  });

  test('listing an object (keys, entries, spread) records the object', () => {
    const reads = new Set<string>();
    const p = watchProfile(emulatorProfile('confiscate-texts').profile, (k) => reads.add(k));
    expect(Object.keys(p.displaySynonyms)).to.deep.equal(['04']);
    expect([...reads]).to.deep.equal(['displaySynonyms']);
  });

  test('the view works on a frozen profile and never writes to it', () => {
    const frozen = Object.freeze(structuredClone(REFERENCE_PROFILE));
    const p = watchProfile(frozen, () => undefined);
    expect(p.vouchers.copies).to.equal(2);
    (p.vouchers as { copies: number }).copies = 3;
    expect(frozen.vouchers.copies).to.equal(2);
  });

  test('dependences carry the certificate values: a read object stands for its entries, no value is "(none declared)", the password only "(declared)"', () => {
    const supervisor = emulatorProfile('supervisor').profile;
    expect(dependences(supervisor, ['supervisor.password', 'displaySynonyms.41', 'acquirer.billPayment', 'name'])).to.deep.equal([
      { key: 'acquirer.billPayment.conditionCode', value: '22' },
      { key: 'acquirer.billPayment.payeeField', value: 'F62-TLV' },
      { key: 'acquirer.billPayment.processingCode', value: '500000' },
      { key: 'acquirer.billPayment.replyEchoes', value: 'F62' },
      { key: 'displaySynonyms.41', value: '(none declared)' },
      { key: 'supervisor.password', value: '(declared)' },
    ]);
    expect(JSON.stringify(dependences(supervisor, ['supervisor']))).to.not.include('2580');
    expect(isAcquirerValue('acquirer.billPayment.processingCode')).to.equal(true);
    expect(isAcquirerValue('vouchers.copies')).to.equal(false);
  });
});
