/**
 * The host configuration's data model: merchants, terminals, cards and issuer keys, issuer rules,
 * terminal parameters, as config.ts builds them from the validated YAML / JSON files. Kept apart from
 * the loader so readers of the model need not read the schemas.
 */
import type { SecretBytes } from './secret';
import type { ContactlessParameters } from '../protocol/iso8583/terminal-lists';

export type TerminalKeyScheme = '3DES' | 'SM4';
export type TerminalStatus = 'active' | 'suspended' | 'unregistered';
export type CardStatus = 'normal' | 'lost' | 'stolen' | 'expired' | 'restricted';
export type AccountType = 'debit' | 'credit';
export type CardInterface = 'swipe' | 'insert' | 'tap';
/** The issuer's answer to a magstripe fallback of a chip card (磁条降级): take it, or decline 45 (请使用芯片). */
export type FallbackPolicy = 'allow' | 'decline';

export interface SettlementAccount {
  bank: string;
  accountNumber: string;
  accountName: string;
}

export interface MerchantConfig {
  /** 15 digits: acquirer code (3) + area (4) + MCC (4) + serial (4). */
  merchantId: string;
  name: string;
  nameEn?: string;
  mcc: string;
  status: 'active' | 'suspended';
  settlementAccount: SettlementAccount;
}

export interface TerminalConfig {
  /** 8 characters (F41). */
  terminalId: string;
  merchantId: string;
  keyScheme: TerminalKeyScheme;
  /** Terminal master key (test key), 16 bytes. */
  tmk: SecretBytes;
  status: TerminalStatus;
  description?: string;
}

export interface IssuerKeyConfig {
  id: string;
  /** Issuer master key for application cryptograms (MK-AC), 16 bytes. */
  imk: SecretBytes;
  algorithm: 'tdes' | 'sm4';
}

export interface CardEmvConfig {
  issuerKeyId: string;
  /** The issuer master key (resolved from issuerKeys); only the host and terminalCardImage use it. */
  imk: SecretBytes;
  algorithm: 'tdes' | 'sm4';
  aid: string;
  appLabel: string;
  preferredName?: string;
  /** ATC (9F36) of the card image before its first transaction. */
  atcStart: number;
  aip: string;
  /** Issuer application data (9F10) template. */
  iad: string;
  /** Issuer script returned in F55 of an approved chip reply (cup8583.md §3.11); test data. */
  issuerScript?: IssuerScriptConfig;
}

export interface IssuerScriptConfig {
  /** 71: run before the second GENERATE AC; 72: after it. */
  template: '71' | '72';
  /** Script identifier 9F18, 8 hex digits (the terminal echoes it in DF31). */
  id: string;
  /** Issuer script commands (86), APDUs in hex. */
  commands: string[];
  label?: string;
}

export interface CardLimits {
  /** Largest single debit, fen. */
  perTransaction?: number;
  /** The card product's QuickPass no-PIN limit, fen (a tap without PIN up to it); absent: rules.contactlessNoPinLimit. */
  contactlessNoPin?: number;
}

export interface CardConfig {
  alias: string;
  pan: string;
  /** YYMM. */
  expiry: string;
  serviceCode: string;
  /** Track 2 equivalent with '=' as separator. */
  track2: string;
  psn: string;
  pin?: string;
  account: AccountType;
  status: CardStatus;
  /** Opening balance (debit) or available credit (credit), fen. */
  openingBalance: number;
  limits: CardLimits;
  requirePin: boolean;
  /** false: the card exists only as an image for the terminal; the host answers 14. */
  onFile: boolean;
  interfaces: CardInterface[];
  /** Chip cards: what a fallback swipe (F22 80x, or 02x with 60.5 = 2) gets; absent = allow. */
  fallback?: FallbackPolicy;
  /**
   * A sale over the available balance from a terminal that asks for partial approval (60.6 = 1) is
   * approved for what is available (10 部分承兑, F4 = that amount); without 60.6 = 1 it is declined 51.
   */
  partialApproval?: boolean;
  cardholderName?: string;
  /** F44.1 issuer institution code (11 chars). */
  issuerInstitution: string;
  /**
   * The card organisation the host answers in 63.1 and books the card's transactions under
   * (cup8583.md §2.6): `CUP` for a domestic card (内卡), any other code (e.g. `VIS`) a foreign one (外卡, §3.9).
   */
  organisation: string;
  emv?: CardEmvConfig;
  description?: string;
}

export interface HostIdentity {
  /** F32 acquiring institution id. */
  acquirerId: string;
  /** F44.2 acquirer institution code. */
  acquirerInstitution: string;
  /** F63 centre text (GBK, at most 20 bytes). */
  centreText: string;
}

export interface IssuerRules {
  /** Wrong PINs in a row after which the card answers 75. */
  pinTryLimit: number;
  /** Contactless (qPBOC) transactions up to this amount (fen) need no PIN. */
  contactlessNoPinLimit: number;
  /** A completion may exceed its pre-authorization by this many percent. */
  completionTolerancePercent: number;
  /** Largest amount any transaction may carry (fen); above it the host answers 13. */
  maxTransactionAmount: number;
  /** Verify the ARQC of IC transactions whose card has issuer keys (59 on failure). */
  verifyArqc: boolean;
}

export interface TerminalParameters {
  /** Bumped when parameters change: terminals that downloaded an older version are asked to download again. */
  version: number;
  timeoutSeconds: number;
  retries: number;
  resendTimes: number;
  tipSupported: boolean;
  tipPercent: number;
  manualEntry: boolean;
  autoSignOff: boolean;
  keyIndex: number;
  phones: string[];
}

/** One AID of the IC parameter list (cup8583.md §3.5): its terminal parameters as tag → hex value. */
export interface IcAidConfig {
  aid: string;
  label?: string;
  params: Readonly<Record<string, string>>;
}

/** One IC public key (CAPK); checksum (DF03) computed from RID, index, modulus and exponent at load. */
export interface IcCapkConfig {
  rid: string;
  index: string;
  label?: string;
  /** YYYYMMDD. */
  expiry: string;
  exponent: string;
  modulus: string;
  checksum: string;
}

/** The AID and CAPK lists a terminal downloads; each version is a digest of the list (a change asks terminals again). */
export interface IcParameterLists {
  aids: IcAidConfig[];
  capks: IcCapkConfig[];
  aidVersion: string;
  capkVersion: string;
}

/** One card number of the terminal blacklist (黑名单, 60.3 390); `card` names the cards.yaml entry it came from. */
export interface BlacklistEntry {
  pan: string;
  card?: string;
  reason?: string;
}

/**
 * What terminals download besides the IC lists (scenarios/terminal-lists.yaml): the card blacklist
 * (390 / 391, header digit 7) and the contactless QuickPass parameters (394 / 395, digit 9). Each
 * version is a digest of its content ('' = nothing configured: nothing to download).
 */
export interface TerminalLists {
  blacklist: BlacklistEntry[];
  contactless?: ContactlessParameters;
  blacklistVersion: string;
  contactlessVersion: string;
}

export interface HostConfig {
  /** The files this configuration was read from (empty when built in code). */
  sources: string[];
  host: HostIdentity;
  rules: IssuerRules;
  parameters: TerminalParameters;
  /** IC parameters and public keys (scenarios/ic-parameters.yaml); empty lists when not configured. */
  icParameters: IcParameterLists;
  /** Card blacklist and contactless parameters (scenarios/terminal-lists.yaml); empty when not configured. */
  terminalLists: TerminalLists;
  merchants: MerchantConfig[];
  terminals: TerminalConfig[];
  cards: CardConfig[];
  issuerKeys: IssuerKeyConfig[];
}
