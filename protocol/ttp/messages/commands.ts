/**
 * TTP commands (harness -> terminal) and the result of an ok reply per command. Split out of
 * messages.ts (issue 11: no source file over 500 lines); re-exported there. Pure data and types.
 */
import type { TerminalProfileInput } from '../profile';
import type { TtpCapabilities, TtpCardMethod, TtpEcrRequestKind, TtpKey, TtpPowerAction, TtpPowerProfile, TtpTerminalState } from './capabilities';
import type { TtpCardImage } from './card';
import type { TtpOutcome } from './outcome';

// ---------------------------------------------------------------------------------------------
// Commands (harness -> terminal). Every request carries `id` (see TtpRequestBase).
// ---------------------------------------------------------------------------------------------

export interface TtpRequestBase {
  /** Correlation id chosen by the sender, integer 1..2^31-1, unique among outstanding requests. */
  id: number;
}

export interface TtpHelloCommand extends TtpRequestBase {
  cmd: 'hello';
  /** Protocol version the harness speaks. */
  ttp: string;
  /** Free text naming the harness, e.g. 'poscert 0.1.0'. */
  client?: string;
  /**
   * Session nonce: a random integer 1..2^31-1, new per harness connection (TTP §3.2). A hello with
   * a session the terminal has not just accepted starts a new session: duplicate detection restarts.
   */
  session?: number;
}

export interface TtpResetCommand extends TtpRequestBase {
  cmd: 'reset';
  /** Also wipe persistent storage (keys, batch, counters, pending reversal): test firmware only. */
  factory?: boolean;
}

export interface TtpPowerCommand extends TtpRequestBase {
  cmd: 'power';
  action: TtpPowerAction;
}

export interface TtpKeyCommand extends TtpRequestBase {
  cmd: 'key';
  keys: TtpKey[];
  /** Pause between presses in ms (default 0). */
  intervalMs?: number;
  /** 1.1 (capability textEntry): free text for the focused input field; 1.0 spelling `x-text`. */
  text?: string;
  'x-text'?: string;
}

export interface TtpCardCommand extends TtpRequestBase {
  cmd: 'card';
  action: 'present' | 'remove';
  /** Required for `present`. */
  method?: TtpCardMethod;
  /** Required for `present`. */
  card?: TtpCardImage;
}

export interface TtpScreenCommand extends TtpRequestBase {
  cmd: 'screen';
}

/** Terminal parameters the harness may read or set in test firmware. */
export interface TtpTerminalConfig {
  /** Host address, 'host:port'; 1.1, profile publicNetwork https: 'https://host:port/path' (cup8583.md §1.2). */
  host?: string;
  /** 1.1, profile publicNetwork https: the CA certificate (PEM) the HTTPS host must chain to; '' forgets it. */
  hostCa?: string;
  /** Read only: the link the terminal reaches the host over. */
  hostLink?: 'tcp' | 'https';
  /** TPDU, 10 hex digits, e.g. '6000030000'. */
  tpdu?: string;
  /** Merchant id (F42), 15 characters. */
  merchantId?: string;
  /** Terminal id (F41), 8 characters. */
  terminalId?: string;
  /** Merchant name printed on vouchers. */
  merchantName?: string;
  /** Display and voucher language. */
  language?: 'zh' | 'en';
  /** Voucher copies printed per transaction: 1 = merchant, 2 = + cardholder, 3 = + bank. */
  voucherCopies?: 1 | 2 | 3;
  /** 1.1 (capability keyLoading): terminal master key, 32 hex, write-only; 1.0 spelling `x-tmk`. */
  tmk?: string;
  /** 1.1 (capability keyLoading): working key scheme; 1.0 spelling `x-keyScheme`. */
  keyScheme?: 'tdes' | 'sm4';
  /** 1.1 (capability tamperSimulation): the tamper state; 1.0 spelling `x-tampered`. */
  tampered?: boolean;
  /** Timeouts in ms. */
  timeouts?: {
    hostResponseMs?: number;
    hostConnectMs?: number;
    cardMs?: number;
    pinMs?: number;
    idleMs?: number;
  };
  /** Vendor-specific parameters, names prefixed 'x-'. */
  [vendorKey: `x-${string}`]: unknown;
}

export interface TtpConfigCommand extends TtpRequestBase {
  cmd: 'config';
  /** Parameters to change; absent = read only. The result is the full configuration after the change. */
  set?: TtpTerminalConfig;
}

export interface TtpClockCommand extends TtpRequestBase {
  cmd: 'clock';
  /** Local terminal time to set, 'YYYY-MM-DDTHH:mm:ss' (no zone); absent = read only. */
  set?: string;
}

export interface TtpBillPayee {
  /** Payee name (收款方), may be Chinese. */
  name: string;
  /** Payee account, digits. */
  account: string;
  /** Bill reference. */
  reference?: string;
}

export interface TtpEcrCommand extends TtpRequestBase {
  cmd: 'ecr';
  request: TtpEcrRequestKind;
  /** Amount in minor units (fen), decimal digit string, e.g. '1234' = 12.34 CNY. */
  amount?: string;
  /** For void / reprint: trace number (STAN, 6 digits) of the original; reprint without it = last. */
  originalTrace?: string;
  /** For refund: retrieval reference number (12) of the original. */
  originalRrn?: string;
  /** For refund: original date MMDD. */
  originalDate?: string;
  /** For bill-payment. */
  payee?: TtpBillPayee;
  /** Cash-register reference echoed in the result. */
  ecrReference?: string;
}

/**
 * 1.1 addition (profile value electronicSignature): the cardholder's signature drawn on the terminal's
 * screen while it is in state `signature` (电签, TTP §6.10). The image is a PNG, base64.
 */
export interface TtpSignCommand extends TtpRequestBase {
  cmd: 'sign';
  /** PNG image of the signature, base64 (at most TTP_SIGNATURE_MAX_BYTES decoded). */
  image: string;
}

export type TtpRequest =
  | TtpHelloCommand
  | TtpResetCommand
  | TtpPowerCommand
  | TtpKeyCommand
  | TtpCardCommand
  | TtpScreenCommand
  | TtpConfigCommand
  | TtpClockCommand
  | TtpEcrCommand
  | TtpSignCommand;

export type TtpCommandName = TtpRequest['cmd'];
export const TTP_COMMANDS: readonly TtpCommandName[] = ['hello', 'reset', 'power', 'key', 'card', 'screen', 'config', 'clock', 'ecr', 'sign'];

/** A request without its id: what callers hand to TtpChannel.request(). */
export type TtpCommand = TtpRequest extends infer R ? (R extends TtpRequest ? Omit<R, 'id'> : never) : never;

// ---------------------------------------------------------------------------------------------
// Results (the `result` of an ok reply, per command)
// ---------------------------------------------------------------------------------------------

export interface TtpHelloResult {
  ttp: string;
  vendor: string;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  capabilities: TtpCapabilities;
  /** Largest payload this terminal accepts (<= TTP_MAX_PAYLOAD unless both sides agree). */
  maxPayload?: number;
  /** Display languages supported. */
  languages?: Array<'zh' | 'en'>;
  /** 1.1: always true for a terminal answering TTP (test firmware or test mode, §11). */
  testMode?: boolean;
  /** 1.1: how `power` is implemented (§6.3). */
  powerProfile?: TtpPowerProfile;
  /**
   * Optional: the terminal's declared profile (protocol/ttp/profile.ts, docs/terminal-test-protocol.md
   * "Terminal profile"). Validated by the harness; absent, the lab file entry declares it.
   */
  profile?: TerminalProfileInput;
}

export interface TtpScreenResult {
  lines: string[];
  state: TtpTerminalState;
  /** Stable screen identifier if the firmware has one (e.g. 'main-menu', 'amount'). */
  screen?: string;
  /** 1.1: on final screens (state result), §7.6. */
  outcome?: TtpOutcome;
}

export interface TtpClockResult {
  /** Local terminal time 'YYYY-MM-DDTHH:mm:ss'. */
  now: string;
}

export interface TtpEcrResult {
  request: TtpEcrRequestKind;
  /** True when the host approved (response code 00/10/11 etc. per cup8583.md §7). */
  approved: boolean;
  /** ISO 8583 F39 when the host answered; absent when no online step happened. */
  responseCode?: string;
  /** Text shown to the operator at the end. */
  message?: string;
  /** 1.1: the machine-readable result (§7.6), as on the final screen. */
  outcome?: TtpOutcome;
  amount?: string;
  trace?: string;
  batch?: string;
  rrn?: string;
  authCode?: string;
  /** PAN masked first 6 + last 4. */
  maskedPan?: string;
  ecrReference?: string;
}

export interface TtpResultByCommand {
  hello: TtpHelloResult;
  reset: Record<string, never>;
  power: { state: TtpTerminalState };
  key: Record<string, never>;
  card: Record<string, never>;
  screen: TtpScreenResult;
  config: TtpTerminalConfig;
  clock: TtpClockResult;
  ecr: TtpEcrResult;
  /** The image's identity as the terminal took it (it never echoes the image). */
  sign: { sha256: string; bytes: number };
}
