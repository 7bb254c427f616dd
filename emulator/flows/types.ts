/**
 * What a flow is: a registered object `{ name, menu, ecr?, defects, run }`. `menu` places it on
 * the main menu or in a sub-menu (a MenuGroup), `ecr` says which cash-register request starts
 * it, `defects` lists the catalogued firmware defects (emulator/defects.ts) that change what
 * this flow does (checked by `npm run coverage:defects`), and `run` is the flow itself, a
 * coroutine over the terminal's services that reads like the reference's screen sequence.
 */
import type { TtpEcrCommand, TtpEcrRequestKind } from '../../protocol/ttp';
import type { TerminalProfile } from '../../protocol/ttp/profile';
import type { DefectName } from '../defects';
import type { FlowResult, TerminalServices } from '../services';
import type { Bilingual } from '../texts';

export type FlowContext = TerminalServices;
export type { FlowResult };

/** A main-menu entry that opens a sub-menu of flows (预授权, 重打印, 管理). */
export interface MenuGroup {
  readonly name: 'pre-auth' | 'reprint' | 'manage';
  readonly key: string;
  readonly label: Bilingual;
  /** Title line and screen id of the sub-menu; `what` names it in a timeout. */
  readonly title: Bilingual;
  readonly screen: string;
  readonly what: string;
}

export interface Flow {
  readonly name: string;
  /** Key and label on the main menu, or in the sub-menu of the group `under`. */
  readonly menu: { readonly key: string; readonly label: Bilingual; readonly under?: MenuGroup['name'] };
  /** The ECR request that starts this flow (`when` picks among flows sharing a request). */
  readonly ecr?: { readonly request: TtpEcrRequestKind; readonly when?: (request: TtpEcrCommand) => boolean };
  readonly defects: readonly DefectName[];
  /** Whether the terminal offers the flow under its profile (absent: always); a flow not offered is not on its menu. */
  readonly offered?: (profile: TerminalProfile) => boolean;
  /** undefined = no result screen left to the session (menus cancelled, management screens). */
  run(s: FlowContext, ecr?: TtpEcrCommand): Promise<FlowResult | undefined>;
}

/** Defects every flow that goes online for a card shares: the tamper gate, request building, the online step (a pending reversal goes first). */
export const ONLINE_DEFECTS: readonly DefectName[] = [
  'tamper-ignored',
  'wrong-mac',
  'stan-not-incremented',
  'entry-mode-always-swipe',
  'reversal-sent-twice',
  'response-mac-not-verified',
  // The reply MAC check (cup8583.md §3.6) of every online request: applied to declines too.
  'decline-mac-verified',
  'lost-card-shown-as-plain-failure',
  'ic-params-not-downloaded-on-flag',
  'contactless-params-not-applied',
  // The public-network link (HTTPS, §1.2) carries every online exchange when the terminal is on it.
  'tls-verification-off',
  'public-network-wrong-content-type',
  // The reply's MTI check (cup8583.md §3.6) and F2 of a swiped card (§2.2), in every online request.
  'reply-mti-not-checked',
  'pan-in-field-2-on-swipe',
  // Header digit 7 of the reply (cup8583.md §1.1), noted in the online step of every financial flow.
  'list-request-in-reply-ignored',
  // F35 of a swipe (§2.2), 9A of F55 (§3.11): request building, in every online request with a card.
  'track2-rebuilt-from-pan',
  'icc-date-as-ascii',
  // The reversal record of a swiped request whose reply fails its MAC (§3.6, §3.8).
  'swipe-reply-mac-not-reversed',
  // A timed-out input (the card wait, the PIN, the amount) ends the flow in the session (session.ts).
  'timeout-shown-as-cancelled',
];
/** Defects of the reversal record, in flows whose request is reversible. */
export const REVERSAL_DEFECTS: readonly DefectName[] = ['no-reversal-after-timeout', 'reversal-lost-on-power-cut'];
/** Defects of the authorization's result screen, vouchers and batch record (transactions.ts conclude). */
export const RESULT_DEFECTS: readonly DefectName[] = [
  'response-51-shown-as-success',
  'original-marked-as-reprint',
  // The batch record's card organisation (63.1 of the reply); it shows on the voucher and at settlement.
  'foreign-card-booked-domestic',
];
/** Defects of the voucher (voucher.ts), in every flow that prints one. */
export const VOUCHER_DEFECTS: readonly DefectName[] = [
  'full-pan-on-voucher',
  'cardholder-copy-missing',
  'signature-line-missing',
  'voucher-amount-mismatch',
  'voucher-rrn-not-host',
  // The signature block and 免签 mark of a tapped refund / pre-authorization (cup8583.md §6).
  'tapped-refund-unsigned',
];
/** Defects of PIN entry and the PIN block. */
/** The card reader (services/card-reader.ts): the card left in the slot at the end of a chip flow; a chip read without IC parameters; a blacklisted card; the magstripe fallback (and its F22 / 60.5, services/requests.ts). */
export const CARD_DEFECTS: readonly DefectName[] = [
  'no-remove-card-reminder',
  'stale-card-reused',
  'chip-read-without-ic-params',
  'blacklist-not-checked',
  'fallback-without-chip-failure',
  'fallback-not-marked',
];
export const PIN_DEFECTS: readonly DefectName[] = ['pin-echoed-on-screen', 'pin-block-format-1'];
