/**
 * Where a catalogued defect means nothing: under some terminal profiles the behaviour a defect
 * injects is what that terminal legitimately declares (protocol/ttp/profile.ts), so no case may
 * fail on it and the defect matrix (scripts/defect-coverage.ts) shows the cell as "n/a: reason"
 * instead of silently skipping it. The matrix checks every such claim: it runs the cases that
 * catch the defect under the reference terminal against the profile with the defect on, and
 * reports the claim as false if one of them fails.
 *
 * Declared on profile *values*, not profile names, so a lab's own profile gets the same answer.
 * Kept beside the catalogue (emulator/defects.ts) rather than in it so defects can be added there
 * without touching this table; a defect absent here applies under every profile.
 */
import type { TerminalProfile } from '../protocol/ttp/profile';
import type { DefectName } from './defects';

type Applicability = (profile: TerminalProfile) => string | undefined;

const NO_PUBLIC_NETWORK = "the profile does not declare publicNetwork: 'https': the terminal is never put on the public-network (HTTPS) link";

const NOT_APPLICABLE: Partial<Record<DefectName, Applicability>> = {
  // The defect sends an expired swiped card online instead of refusing it locally; a terminal that
  // declares magstripeExpiry online does exactly that, conformantly (§7 54 from the issuer).
  'expired-card-accepted': (p) =>
    p.magstripeExpiry === 'online'
      ? 'the profile declares magstripeExpiry online: sending an expired swiped card to the issuer is conformant there (chip expiry is refused by the kernel either way)'
      : undefined,
  // The defect reads a chip although the acquirer's new IC lists are not in; a terminal that declares
  // supersededIcLists used-until-replaced reads it on its previous lists, conformantly (§1.1, §3.5).
  'chip-read-without-ic-params': (p) =>
    p.supersededIcLists === 'used-until-replaced'
      ? 'the profile declares supersededIcLists used-until-replaced: reading a chip on the previous IC lists while the new ones cannot be downloaded is conformant there'
      : undefined,
  // The defect takes any supervisor password; a terminal that declares none asks none (conformantly),
  // so there is no password to check.
  'supervisor-password-not-checked': (p) =>
    p.supervisor.password === undefined
      ? 'the profile declares no supervisor password (supervisor.password absent): the terminal asks none before a void or refund, so there is none to check'
      : undefined,
  // Only a terminal that declares partial approval sends 60.6 = 1, so only it ever gets a 10 to print.
  'partial-approval-requested-amount-printed': (p) =>
    p.partialApproval
      ? undefined
      : 'the profile does not declare partialApproval: the terminal never asks for a partial approval (60.6 = 1), so no 10 reply comes to print',
  // Only a terminal that offers 追加预授权 sends one whose F25 could be wrong.
  'preauth-add-sent-as-preauth': (p) =>
    p.additionalPreAuth
      ? undefined
      : 'the profile does not declare additionalPreAuth: the terminal offers no 追加预授权, so none goes out with a wrong F25',
  // Only a terminal that asks an operator logon has an operator other than its default to send.
  'operator-not-in-sign-on': (p) =>
    p.operatorLogon
      ? undefined
      : 'the profile declares no operatorLogon: the terminal asks no operator logon and signs on as its default operator, which is what it sends',
  // Only a paperless terminal that declares 电签 uploads a signature at all.
  'e-signature-wrong-trace': (p) =>
    p.electronicSignature
      ? undefined
      : 'the profile does not declare electronicSignature: the cardholder signs the paper voucher and no signature is uploaded',
  // Only a terminal that declares public-network access is ever put on the HTTPS link.
  'tls-verification-off': (p) => (p.publicNetwork === 'https' ? undefined : NO_PUBLIC_NETWORK),
  'public-network-wrong-content-type': (p) => (p.publicNetwork === 'https' ? undefined : NO_PUBLIC_NETWORK),
  // A one-copy terminal prints the merchant copy only: there is no cardholder copy to leave out.
  'cardholder-copy-missing': (p) =>
    p.vouchers.copies === 1 ? 'the profile declares 1 voucher copy (merchant only): there is no cardholder copy to miss' : undefined,
};

/** Why `defect` means nothing under `profile`, or undefined when it applies (every defect by default). */
export function notApplicableUnder(defect: string, profile: TerminalProfile): string | undefined {
  return NOT_APPLICABLE[defect as DefectName]?.(profile);
}

/** The defects that declare a profile under which they do not apply (for the tests of this table). */
export function defectsWithApplicability(): DefectName[] {
  return Object.keys(NOT_APPLICABLE) as DefectName[];
}
