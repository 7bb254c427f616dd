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
  // Except a defect of a behaviour the reference terminal does not have (a supervisor password, partial
  // approval, 追加预授权, operator logon, 电签): it applies under an emulator profile that declares it, and the matrix checks the reference's n/a.
  const UNDER_REFERENCE_NA = [
    'supervisor-password-not-checked',
    'partial-approval-requested-amount-printed',
    'preauth-add-sent-as-preauth',
    'operator-not-in-sign-on',
    'e-signature-wrong-trace',
  ];

  test('every catalogued defect applies to the reference terminal, or to an emulator profile when the reference lacks the behaviour', () => {
    for (const d of DEFECT_CATALOGUE) {
      const reason = notApplicableUnder(d.name, REFERENCE_PROFILE);
      expect(reason === undefined, `${d.name}: ${reason ?? 'applies'}`).to.equal(!UNDER_REFERENCE_NA.includes(d.name));
      expect(
        EMULATOR_PROFILES.some((p) => notApplicableUnder(d.name, p.profile) === undefined),
        `${d.name} applies under no emulator profile`,
      ).to.equal(true);
    }
  });

  test('supervisor-password-not-checked is n/a exactly where the profile declares no supervisor password', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('supervisor-password-not-checked', p.profile);
      expect(reason !== undefined, p.name).to.equal(p.profile.supervisor.password === undefined);
      if (reason) expect(reason).to.include('supervisor.password absent');
    }
    expect(notApplicableUnder('supervisor-password-not-checked', emulatorProfile('supervisor').profile)).to.equal(undefined);
  });

  test('partial-approval-requested-amount-printed is n/a exactly where the profile does not declare partialApproval', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('partial-approval-requested-amount-printed', p.profile);
      expect(reason !== undefined, p.name).to.equal(!p.profile.partialApproval);
      if (reason) expect(reason).to.include('does not declare partialApproval');
    }
    expect(notApplicableUnder('partial-approval-requested-amount-printed', emulatorProfile('three-copies').profile)).to.equal(undefined);
  });

  test('preauth-add-sent-as-preauth is n/a exactly where the profile does not declare additionalPreAuth', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('preauth-add-sent-as-preauth', p.profile);
      expect(reason !== undefined, p.name).to.equal(!p.profile.additionalPreAuth);
      if (reason) expect(reason).to.include('does not declare additionalPreAuth');
    }
    expect(notApplicableUnder('preauth-add-sent-as-preauth', emulatorProfile('confiscate-texts').profile)).to.equal(undefined);
  });

  test('operator-not-in-sign-on is n/a exactly where the profile declares no operatorLogon', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('operator-not-in-sign-on', p.profile);
      expect(reason !== undefined, p.name).to.equal(p.profile.operatorLogon === undefined);
      if (reason) expect(reason).to.include('declares no operatorLogon');
    }
  });

  test('e-signature-wrong-trace is n/a exactly where the profile does not declare electronicSignature', () => {
    for (const p of EMULATOR_PROFILES) {
      const reason = notApplicableUnder('e-signature-wrong-trace', p.profile);
      expect(reason !== undefined, p.name).to.equal(!p.profile.electronicSignature);
      if (reason) expect(reason).to.include('does not declare electronicSignature');
    }
    expect(notApplicableUnder('e-signature-wrong-trace', emulatorProfile('e-signature').profile)).to.equal(undefined);
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
