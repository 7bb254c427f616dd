/**
 * The types a TerminalDriver is opened with and reports: its options, how cards and PINs reach the
 * terminal, and the identity the terminal gives in hello. Split out of drivers/terminal.ts (issue 11:
 * no file over 500 lines) so the lab file, the lab and the session layer share them without
 * importing the driver; drivers/terminal.ts re-exports them unchanged.
 */
import type * as links from '../links';
import type { TtpCapabilities, TtpCapabilityName11, TtpPowerProfile } from '../protocol/ttp';
import type { TerminalProfile } from '../protocol/ttp/profile';
import type { OperatorConsoleOptions } from './operator';
import type { CardPresenter, PinEntry } from './presenters';
import type { RecoveryOptions } from './strategy';

export interface TerminalIdentity {
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  /** TTP version the terminal speaks. */
  ttp: string;
  /** Every capability, TTP 1.1 flags included (for a 1.0 terminal as the 1.1 compatibility notes say). */
  capabilities: TtpCapabilities & Record<TtpCapabilityName11, boolean>;
  maxPayload?: number;
  languages?: Array<'zh' | 'en'>;
  /** TTP 1.1: the terminal runs in test mode (§11). */
  testMode?: boolean;
  /** TTP 1.1: how `power` is implemented (§6.3). */
  powerProfile?: TtpPowerProfile;
  /** The profile the terminal declared in hello (validated), if it declares one. */
  profile?: TerminalProfile;
}

export type CardBinding = 'ttp' | 'operator' | { device: string } | CardPresenter;
export type PinBinding = 'ttp' | 'operator' | PinEntry;

export interface TerminalDriverOptions {
  /** Name in messages and evidence (the lab file entry name, or the URL). */
  name?: string;
  /** Options handed to links' openLink (serial parameters, reconnect policy, ...). */
  linkOptions?: links.OpenLinkOptions;
  /** An already created link (e.g. one end of createEmuLinkPair()); `url` is then only a label. */
  link?: links.ByteLink;
  /**
   * Wraps the link each time it is opened (connect and every reconnect), e.g. with the links'
   * fault injection: `wrapLink: (l) => withFaults(l, { bitErrorRate: 1e-5 })`.
   */
  wrapLink?: (link: links.ByteLink) => links.ByteLink;
  /** Wait for a TTP reply. Default 5 s (TTP default). */
  responseTimeoutMs?: number;
  /** Wait for an `ecr` reply (the terminal waits for card, PIN and host). Default 60 s. */
  ecrTimeoutMs?: number;
  /** TTP ACK timeout per frame. Default TTP's 500 ms. */
  ackTimeoutMs?: number;
  /** Default timeout of waitForScreen / waitForReceipts. Default 10 s. */
  screenTimeoutMs?: number;
  recovery?: RecoveryOptions;
  /** How cards reach the terminal. Default 'ttp'. */
  card?: CardBinding;
  /** How PINs are typed. Default 'ttp'. */
  pin?: PinBinding;
  /** Console for operator mode (defaults to stdin/stdout). */
  operator?: OperatorConsoleOptions;
  /** Receives one line per driver action (CLI verbose mode). */
  log?: (line: string) => void;
}
