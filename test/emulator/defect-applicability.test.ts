// Where a catalogued defect means nothing (emulator/defect-applicability.ts): every defect applies
// to the reference terminal, each declared n/a names the profile value that makes the defect's
// behaviour conformant, and the claim holds in the emulator (the behaviour is the same with and
// without the defect under such a profile: checked here on the unit, and by the matrix on the plan).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { DEFECT_CATALOGUE, parseDefects } from '../../emulator/defects';
import { defectsWithApplicability, notApplicableUnder } from '../../emulator/defect-applicability';
import { EMULATOR_PROFILES, emulatorProfile } from '../../emulator/profiles';
import { voucherCopies } from '../../emulator/voucher';
import { REFERENCE_PROFILE, parseTerminalProfile } from '../../protocol/ttp/profile';

describe('defect applicability', () => {
  test('every catalogued defect applies to the reference terminal', () => {
    for (const d of DEFECT_CATALOGUE) expect(notApplicableUnder(d.name, REFERENCE_PROFILE), d.name).to.equal(undefined);
  });

  test('only catalogued defects declare applicability', () => {
    const names = new Set(DEFECT_CATALOGUE.map((d) => d.name));
    for (const d of defectsWithApplicability()) expect(names.has(d), d).to.equal(true);
  });

  test('expired-card-accepted is n/a exactly where the profile declares magstripeExpiry online', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('expired-card-accepted', p.profile);
      expect(reason !== undefined, p.name).to.equal(p.profile.magstripeExpiry === 'online');
      if (reason) expect(reason).to.include('magstripeExpiry online');
    }
    expect(notApplicableUnder('expired-card-accepted', emulatorProfile('expiry-online').profile)).to.be.a('string');
  });

  test('chip-read-without-ic-params is n/a exactly where the profile declares supersededIcLists used-until-replaced', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('chip-read-without-ic-params', p.profile);
      expect(reason !== undefined, p.name).to.equal(p.profile.supersededIcLists === 'used-until-replaced');
      if (reason) expect(reason).to.include('supersededIcLists used-until-replaced');
    }
    expect(notApplicableUnder('chip-read-without-ic-params', emulatorProfile('tc-upload').profile)).to.be.a('string');
  });

  test('cardholder-copy-missing is n/a on a one-copy terminal, where the defect changes nothing it prints', () => {
    const one = parseTerminalProfile({ ...REFERENCE_PROFILE, vouchers: { copies: 1, signatureOn: ['merchant'] } }, 'test');
    expect(notApplicableUnder('cardholder-copy-missing', one)).to.include('1 voucher copy');
    expect(voucherCopies(1, parseDefects(['cardholder-copy-missing']))).to.deep.equal(voucherCopies(1, parseDefects([])));
    for (const n of [2, 3] as const) {
      const p = parseTerminalProfile({ ...REFERENCE_PROFILE, vouchers: { copies: n, signatureOn: ['merchant', 'bank'] } }, 'test');
      expect(notApplicableUnder('cardholder-copy-missing', p), `${n} copies`).to.equal(undefined);
      expect(voucherCopies(n, parseDefects(['cardholder-copy-missing']))).to.not.deep.equal(voucherCopies(n, parseDefects([])));
    }
  });
});
