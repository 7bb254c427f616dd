/**
 * Terminal Test Protocol (TTP) 1.1 — the message vocabulary (1.0 messages stay valid).
 *
 * Normative text: docs/terminal-test-protocol.md. This file is the TypeScript mirror of it: every
 * command the harness may send, every reply shape, every unsolicited event the terminal may emit,
 * the error codes, and the card image the harness hands to the terminal. Pure data and types.
 */
import type { TerminalProfileInput } from './profile';

/** Protocol version carried in `hello` (request and result). Major changes break compatibility. */
export const TTP_VERSION = '1.1';

// ---------------------------------------------------------------------------------------------
// Framing constants (see frame.ts)
// ---------------------------------------------------------------------------------------------

export const TTP_STX = 0x02;
export const TTP_ETX = 0x03;
export const TTP_ACK = 0x06;
export const TTP_NAK = 0x15;
/** Largest payload (UTF-8 JSON bytes) a receiver MUST accept; larger frames are rejected. */
export const TTP_MAX_PAYLOAD = 16384;
/** Frame overhead: STX + LEN(2) + ETX + LRC. */
export const TTP_FRAME_OVERHEAD = 5;
/** A frame not acknowledged within this many ms is retransmitted. */
export const TTP_DEFAULT_ACK_TIMEOUT_MS = 500;
/** Retransmissions after the first transmission before the link is declared broken. */
export const TTP_MAX_RETRANSMISSIONS = 3;
/** A frame whose bytes stop arriving for this long is abandoned (receiver resynchronises). Shorter than the ACK timeout, so the receiver NAKs before the sender gives up waiting. */
export const TTP_DEFAULT_FRAME_TIMEOUT_MS = 300;
/** Default time the harness waits for the reply to a command (ecr replies may take much longer). */
export const TTP_DEFAULT_RESPONSE_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------------------------------------
// Keys, capabilities, states
// ---------------------------------------------------------------------------------------------

/** Keypad keys. CLEAR deletes the last entered character (退格); CANCEL is 取消; ENTER is 确认. */
export const TTP_KEYS = [
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '00', '.', '*', '#',
  'ENTER', 'CANCEL', 'CLEAR', 'MENU', 'FUNC', 'UP', 'DOWN', 'F1', 'F2', 'F3', 'F4', 'FEED',
] as const;
export type TtpKey = (typeof TTP_KEYS)[number];

export function isTtpKey(value: unknown): value is TtpKey {
  return typeof value === 'string' && (TTP_KEYS as readonly string[]).includes(value);
}

/** Capabilities a terminal declares in its `hello` result. */
export const TTP_CAPABILITIES = ['magstripe', 'contact', 'contactless', 'printer', 'pinpad', 'sm4'] as const;
export type TtpCapabilityName = (typeof TTP_CAPABILITIES)[number];
/**
 * Capability flags added in TTP 1.1 (§10): a 1.1 terminal sends them all, a 1.0 terminal none.
 * pinInjection: PIN digits accepted by `key` during pin-entry (a PCI PED in production refuses them);
 * textEntry: `key` takes `text`; keyLoading: `config` sets `tmk` / `keyScheme`; tamperSimulation:
 * `config` sets `tampered`.
 */
export const TTP_CAPABILITIES_1_1 = ['pinInjection', 'textEntry', 'keyLoading', 'tamperSimulation'] as const;
export type TtpCapabilityName11 = (typeof TTP_CAPABILITIES_1_1)[number];
export type TtpCapabilities = Record<TtpCapabilityName, boolean> & Partial<Record<TtpCapabilityName11, boolean>>;
/** Every capability a harness may find in hello (1.0 and 1.1). */
export const TTP_ALL_CAPABILITIES: readonly string[] = [...TTP_CAPABILITIES, ...TTP_CAPABILITIES_1_1];

/** True when the hello's `ttp` version is 1.1 or later within major 1. */
export function speaksTtp11(ttp: unknown): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(String(ttp));
  return !!m && Number(m[1]) === 1 && Number(m[2]) >= 1;
}

/**
 * The capabilities a harness may rely on, every flag set (TTP 1.1 compatibility notes): a 1.1
 * terminal's flags as declared (an omitted one is false); a 1.0 terminal sends no 1.1 flags, so
 * pinInjection follows pinpad and the 1.0 extensions (x-text, x-tmk, x-keyScheme, x-tampered)
 * are assumed, as a 1.0 harness did.
 */
export function effectiveCapabilities(hello: { ttp: string; capabilities: Partial<Record<string, unknown>> }): Record<TtpCapabilityName | TtpCapabilityName11, boolean> {
  const c = hello.capabilities ?? {};
  const flag = (name: string) => c[name] === true;
  const base = Object.fromEntries(TTP_CAPABILITIES.map((n) => [n, flag(n)])) as Record<TtpCapabilityName, boolean>;
  const v11 = speaksTtp11(hello.ttp);
  return {
    ...base,
    pinInjection: v11 ? flag('pinInjection') : base.pinpad,
    textEntry: v11 ? flag('textEntry') : true,
    keyLoading: v11 ? flag('keyLoading') : true,
    tamperSimulation: v11 ? flag('tamperSimulation') : true,
  };
}

/** How a terminal implements `power` (§6.3): on its own CPU, or a lab adapter switching the supply. */
export type TtpPowerProfile = 'simulated' | 'switched';

/** `outcome.result` values of §7.6 (vendors may add x-…). */
export const TTP_OUTCOME_RESULTS = [
  'approved', 'declined', 'cancelled', 'timeout', 'comm-error', 'mac-error', 'reply-mismatch',
  'issuer-auth-failed', 'expired-card', 'card-error', 'tampered', 'not-signed-on', 'done', 'failed',
] as const;
export type TtpOutcomeResult = (typeof TTP_OUTCOME_RESULTS)[number] | `x-${string}`;

/** The machine-readable result on a final screen and in an `ecr` result (§7.6). */
export interface TtpOutcome {
  result: TtpOutcomeResult;
  /** F39 as received, when the host answered. */
  responseCode?: string;
  transaction?: string;
  /** A reversal is now pending for this transaction. */
  reversal?: boolean;
}

export function isTtpOutcome(value: unknown): value is TtpOutcome {
  if (!value || typeof value !== 'object') return false;
  const o = value as Record<string, unknown>;
  return typeof o.result === 'string' && ((TTP_OUTCOME_RESULTS as readonly string[]).includes(o.result) || /^x-[a-z0-9-]+$/i.test(o.result))
    && (o.responseCode === undefined || typeof o.responseCode === 'string')
    && (o.transaction === undefined || typeof o.transaction === 'string')
    && (o.reversal === undefined || typeof o.reversal === 'boolean');
}

/**
 * Terminal states reported by the `state` event and the `screen` result. Vendors MAY report
 * extra states prefixed `x-`; a harness treats unknown states as "busy, not idle".
 */
export const TTP_STATES = [
  'off', 'booting', 'self-test', 'sign-on-required', 'signing-on', 'idle', 'menu', 'input',
  'confirm', 'card-wait', 'card-read', 'pin-entry', 'online', 'printing', 'result', 'settling',
  'reversal', 'tampered', 'error',
] as const;
export type TtpTerminalState = (typeof TTP_STATES)[number] | `x-${string}`;

export const TTP_CARD_METHODS = ['swipe', 'insert', 'tap'] as const;
export type TtpCardMethod = (typeof TTP_CARD_METHODS)[number];

export const TTP_PRINT_COPIES = ['merchant', 'cardholder', 'bank', 'settlement', 'fault'] as const;
export type TtpPrintCopy = (typeof TTP_PRINT_COPIES)[number];

export const TTP_ECR_REQUESTS = ['sale', 'bill-payment', 'void', 'refund', 'balance', 'settle', 'reprint'] as const;
export type TtpEcrRequestKind = (typeof TTP_ECR_REQUESTS)[number];

export const TTP_POWER_ACTIONS = ['cycle', 'cut', 'on'] as const;
export type TtpPowerAction = (typeof TTP_POWER_ACTIONS)[number];

// ---------------------------------------------------------------------------------------------
// Card image (what `card present` hands to the terminal; scenarios/ holds named images)
// ---------------------------------------------------------------------------------------------

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
}

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
  /** Host address, 'host:port'. */
  host?: string;
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

export type TtpRequest =
  | TtpHelloCommand
  | TtpResetCommand
  | TtpPowerCommand
  | TtpKeyCommand
  | TtpCardCommand
  | TtpScreenCommand
  | TtpConfigCommand
  | TtpClockCommand
  | TtpEcrCommand;

export type TtpCommandName = TtpRequest['cmd'];
export const TTP_COMMANDS: readonly TtpCommandName[] = [
  'hello', 'reset', 'power', 'key', 'card', 'screen', 'config', 'clock', 'ecr',
];

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
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

export const TTP_ERROR_CODES = [
  'unknown-command',     // cmd not known to this terminal
  'bad-request',         // a field is missing, of the wrong type or out of range
  'unsupported-version', // hello with a major version the terminal does not speak
  'not-supported',       // the terminal lacks the capability (e.g. tap without contactless)
  'invalid-state',       // command not possible now (e.g. card present while powered off)
  'busy',                // a command of this kind is still in progress (e.g. a second ecr)
  'powered-off',         // terminal is off; only `power on|cycle`, `hello` and `screen` work
  'tampered',            // tamper detected; terminal refuses to transact
  'timeout',             // the terminal gave up waiting (e.g. ecr: no card in time)
  'cancelled',           // operator or CANCEL/reset ended the operation
  'payload-too-large',   // the frame carried more than the terminal's max payload
  'internal',            // firmware fault; message says what
] as const;
export type TtpErrorCode = (typeof TTP_ERROR_CODES)[number];

export interface TtpErrorBody {
  code: TtpErrorCode | `x-${string}`;
  message: string;
  /** Machine-readable detail (field name, state, ...). */
  detail?: Record<string, unknown>;
}

export interface TtpOkResponse<R = unknown> {
  id: number;
  ok: true;
  result?: R;
}
export interface TtpErrorResponse {
  id: number;
  ok: false;
  error: TtpErrorBody;
}
export type TtpResponse<R = unknown> = TtpOkResponse<R> | TtpErrorResponse;

// ---------------------------------------------------------------------------------------------
// Events (terminal -> harness, unsolicited). Every event carries `seq`.
// ---------------------------------------------------------------------------------------------

export interface TtpEventBase {
  /** Sequence number of the event, +1 per event since power-on, starting at 1. */
  seq?: number;
}

export interface TtpDisplayEvent extends TtpEventBase {
  evt: 'display';
  /** The whole screen, top to bottom, after the change. */
  lines: string[];
  screen?: string;
  /** 1.1: on final screens (state result), §7.6. */
  outcome?: TtpOutcome;
  /** 1.1: 'pinpad' for a separate PIN pad's display. */
  device?: string;
}

export interface TtpPrintEvent extends TtpEventBase {
  evt: 'print';
  copy: TtpPrintCopy;
  /** Voucher lines as printed (PAN masked as the terminal prints it). */
  lines: string[];
  /** True on 重打印 reprints. */
  reprint: boolean;
  /** Trace number of the transaction the voucher belongs to, if any. */
  trace?: string;
}

export interface TtpStateEvent extends TtpEventBase {
  evt: 'state';
  state: TtpTerminalState;
  /** Previous state. */
  from?: TtpTerminalState;
  /** Extra facts, e.g. {transaction: 'sale'}. */
  detail?: Record<string, unknown>;
}

export interface TtpBeepEvent extends TtpEventBase {
  evt: 'beep';
  kind?: 'key' | 'ok' | 'error' | 'alert';
  durationMs?: number;
}

export type TtpEvent = TtpDisplayEvent | TtpPrintEvent | TtpStateEvent | TtpBeepEvent;
export type TtpEventName = TtpEvent['evt'];
export const TTP_EVENTS: readonly TtpEventName[] = ['display', 'print', 'state', 'beep'];

/** Anything a TTP frame may carry. */
export type TtpMessage = TtpRequest | TtpResponse | TtpEvent;

export function isTtpRequest(m: unknown): m is TtpRequest {
  return isObject(m) && typeof m.cmd === 'string' && typeof m.id === 'number';
}
export function isTtpResponse(m: unknown): m is TtpResponse {
  return isObject(m) && typeof m.ok === 'boolean' && typeof m.id === 'number' && !('cmd' in m);
}
export function isTtpEvent(m: unknown): m is TtpEvent {
  return isObject(m) && typeof m.evt === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
