/**
 * The emulator's named conformant profiles: distinct terminals that all do what UnionPay requires,
 * each differing where conformant terminals legitimately differ (protocol/ttp/profile.ts). The
 * emulator behaves by the profile it runs (services/ and flows/ read `core.host.profile`), reports
 * it in TTP `hello`, and the plan must certify every one of them (`certify --terminal emu:NAME`).
 */
import { REFERENCE_PROFILE, parseTerminalProfile, type TerminalProfile } from '../protocol/ttp/profile';
import { EmulatorConfigError } from './errors';

export interface EmulatorProfile {
  readonly name: string;
  readonly description: string;
  readonly profile: TerminalProfile;
  /** Decline screen texts per response code replacing the emulator's §7 ones (a vendor's wording). */
  readonly responseTexts?: Readonly<Record<string, string>>;
  /** Whether 04/34/41/43 declines add 请联系银行 (the reference terminal's extra line). */
  readonly contactBankLine: boolean;
}

const variant = (name: string, description: string, change: Partial<TerminalProfile>, extra: Partial<EmulatorProfile> = {}): EmulatorProfile => ({
  name,
  description,
  contactBankLine: true,
  ...extra,
  profile: parseTerminalProfile({ ...REFERENCE_PROFILE, ...change, name }, `emulator profile ${name}`),
});

export const EMULATOR_PROFILES: readonly EmulatorProfile[] = Object.freeze([
  variant(
    'reference',
    'the reference terminal: 2 copies, expired swipe refused locally, §7 texts + 请联系银行, no supervisor password, no TC upload when balanced',
    {},
  ),
  variant(
    'three-copies',
    '3 voucher copies (merchant, bank, cardholder), signature block on merchant and bank copies; takes partial approval (60.6 = 1 on sales, 部分承兑 shown, printed and booked at the approved amount)',
    {
      vouchers: { copies: 3, signatureOn: ['merchant', 'bank'] },
      partialApproval: true,
    },
  ),
  variant('expiry-online', "an expired swiped card is sent online and the issuer's 54 (该卡已过期) shown; chip expiry still refused by the kernel", {
    magstripeExpiry: 'online',
  }),
  variant(
    'confiscate-texts',
    'LY-style decline texts with 没收 (挂失卡 请没收, 被窃卡,请没收, 此卡被没收), no 请联系银行 line; offers 追加预授权 as LY does (F25 = 60)',
    {
      displaySynonyms: { '04': ['此卡被没收'] },
      additionalPreAuth: true,
    },
    {
      responseTexts: { '04': '此卡被没收', '34': '作弊卡,吞卡', '41': '挂失卡 请没收', '43': '被窃卡,请没收' },
      contactBankLine: false,
    },
  ),
  variant(
    'supervisor',
    'supervisor password 2580 (not a card PIN, so the PIN scan stays quiet) before void and refund; both read the card and ask the PIN; operator logon (操作员号 03, password 1357) before a sign-on from the menu',
    {
      supervisor: { password: '2580', void: { readsCard: true, asksPin: true }, refund: { readsCard: true, asksPin: true } },
      operatorLogon: { operator: '03', password: '1357' },
    },
  ),
  variant(
    'tc-upload',
    'uploads its IC TC records (0320 60.3 203) after every settlement, balanced ones too, then 207; reads chips on its previous IC lists until new ones announced are in, trying their download again before each chip read',
    {
      balancedUpload: 'tc',
      supersededIcLists: 'used-until-replaced',
    },
  ),
  variant(
    'e-signature',
    'paperless 电签 terminal: the cardholder signs purchases on the screen (TTP sign); the image is uploaded to the acquirer (0820, 60.1 07, 60.3 800) and the voucher carries the electronic signature instead of a line to sign',
    {
      electronicSignature: true,
    },
  ),
]);

export const DEFAULT_EMULATOR_PROFILE = 'reference';

export function emulatorProfileNames(): string[] {
  return EMULATOR_PROFILES.map((p) => p.name);
}

/** The named profile, or a clear error listing the names. */
export function emulatorProfile(name: string = DEFAULT_EMULATOR_PROFILE): EmulatorProfile {
  const p = EMULATOR_PROFILES.find((x) => x.name === name);
  if (!p)
    throw new EmulatorConfigError(
      'profile',
      `unknown emulator profile ${JSON.stringify(name)}; known: ${emulatorProfileNames().join(', ')} (poscert emulator --list-profiles)`,
    );
  return p;
}
