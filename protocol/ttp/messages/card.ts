/**
 * TTP card image: what `card present` hands to the terminal (scenarios/ holds named images).
 * Split out of messages.ts (issue 11: no source file over 500 lines); re-exported there. Types only.
 */
import type { TtpCardMethod } from './capabilities';

/** EMV application on the card's chip (contact and/or contactless). Hex strings are upper case. */
export interface TtpEmvApplication {
  /** Application identifier, hex, e.g. 'A000000333010101' (UnionPay debit). */
  aid: string;
  /** Application label (tag 50), e.g. 'UnionPay Debit'. */
  applicationLabel: string;
  /** Application preferred name (tag 9F12), may be Chinese. */
  preferredName?: string;
  /**
   * Issuer master key for application cryptograms (AC), 32 hex digits (2-key TDES) or SM4 key.
   * The terminal derives the ICC master key from it (EMV Option A, PAN + PSN). Give either this
   * or `iccMasterKey`. Test keys only: a card image never carries production keys.
   */
  imk?: string;
  /** ICC master key (already derived), 32 hex digits; used instead of `imk` when present. */
  iccMasterKey?: string;
  /** ICC master-key derivation from `imk`: 'A' (default) or 'B'. */
  keyDerivation?: 'A' | 'B';
  /** Application transaction counter (9F36) before the next transaction, 0..65535. */
  atc: number;
  /** Application interchange profile (82), 4 hex digits; default '7C00'. */
  aip?: string;
  /** Issuer application data (9F10) template, hex; the terminal fills the CVR and counters. */
  issuerApplicationData?: string;
  /** Cryptogram algorithm: 'tdes' (default) or 'sm4' (国密 cards). */
  algorithm?: 'tdes' | 'sm4';
  /** Application currency code (9F51 / 5F28 style), 3 digits; default '156' (CNY). */
  currencyCode?: string;
  /** Application effective date YYMMDD (5F25). */
  effectiveDate?: string;
}

export interface TtpCardImage {
  /** Scenario name of the image, e.g. 'UP-DEBIT-IC' (for transcripts; not used by the terminal). */
  name?: string;
  /** Primary account number, 13..19 digits. */
  pan: string;
  /** Expiry date YYMM. */
  expiry: string;
  /** Service code, 3 digits (first digit 2 or 6 = chip card: swiping it asks for insert). */
  serviceCode: string;
  /**
   * Track 2 equivalent data, digits with '=' as separator (no sentinels, no LRC). When absent,
   * the terminal builds `pan=expiry serviceCode` + discretionary data zeros.
   */
  track2?: string;
  /** Track 1 data (ISO 7813 format B, without sentinels). */
  track1?: string;
  /** Track 3 data, digits with '=' as separator (some domestic cards still carry it). */
  track3?: string;
  /** PAN sequence number (5F34), 2 digits, e.g. '01'. */
  psn?: string;
  /** Cardholder name as on track 1 / tag 5F20. */
  cardholderName?: string;
  /** Interfaces the physical card offers; default derived from the fields present. */
  interfaces?: TtpCardMethod[];
  /** The chip application; absent for magstripe-only cards. */
  emv?: TtpEmvApplication;
  /**
   * 'mute': the chip does not answer (a dead chip, TTP 1.1 §6.5.1): an insert or a tap fails as a
   * chip read error, after which a terminal may take a fallback swipe (cup8583.md §2.3, 60.5 = 2).
   */
  chipFault?: 'mute';
}
