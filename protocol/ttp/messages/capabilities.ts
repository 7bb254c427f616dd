/**
 * TTP message vocabulary: keypad keys, capability flags (1.0 and 1.1), terminal states and the
 * small enumerations commands and events name (card methods, print copies, ECR requests, power
 * actions). Split out of messages.ts (issue 11: no source file over 500 lines); re-exported there.
 * Pure data and types.
 */

/** Keypad keys. CLEAR deletes the last entered character (退格); CANCEL is 取消; ENTER is 确认. */
export const TTP_KEYS = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '00',
  '.',
  '*',
  '#',
  'ENTER',
  'CANCEL',
  'CLEAR',
  'MENU',
  'FUNC',
  'UP',
  'DOWN',
  'F1',
  'F2',
  'F3',
  'F4',
  'FEED',
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
export function effectiveCapabilities(hello: {
  ttp: string;
  capabilities: Partial<Record<string, unknown>>;
}): Record<TtpCapabilityName | TtpCapabilityName11, boolean> {
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

/**
 * Terminal states reported by the `state` event and the `screen` result. Vendors MAY report
 * extra states prefixed `x-`; a harness treats unknown states as "busy, not idle".
 */
export const TTP_STATES = [
  'off',
  'booting',
  'self-test',
  'sign-on-required',
  'signing-on',
  'idle',
  'menu',
  'input',
  'confirm',
  'card-wait',
  'card-read',
  'pin-entry',
  'signature',
  'online',
  'printing',
  'result',
  'settling',
  'reversal',
  'tampered',
  'error',
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
