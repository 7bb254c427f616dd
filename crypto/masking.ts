/**
 * The one set of masking rules for card data and keys in anything poscert writes (DESIGN.md
 * "Identity, evidence and data protection"): driver evidence (TTP transcript, screens, vouchers,
 * error messages), results, certificate, JUnit and Allure all mask through this module. Pure.
 *
 * It masks by meaning, never by substring:
 * - PAN: first 6 + last 4. The PANs the run handed to the terminal wherever they appear (Luhn-valid
 *   or not), a `pan` field, and any other 13..19-digit run that passes the Luhn check.
 * - Track data: a `track1/2/3` field, and a track 2 equivalent (PAN, `=` or `D`, expiry...) in text.
 * - Keys: the value of a key field wherever it travels (TTP config members such as `x-tmk`, card
 *   images' `iccMasterKey`, host control replies, logs), and every key the run knows wherever it
 *   appears.
 * - PIN: the value of a PIN field, and what was typed or shown while the terminal was in PIN entry
 *   (`maskPinEntry`; the caller knows the terminal state). Digits that merely equal a PIN (a payee
 *   account, an amount, a key) are not a PIN and are left alone.
 * The host journal keeps its own wire-level masking (host/redact.ts), from the dialect's field table.
 */
import { isLuhnValid, maskPan } from './pan';

export const TRACK_REMOVED = '[track data removed]';
export const KEY_REMOVED = '[key removed]';
export const PIN_REMOVED = '[PIN removed]';

export type SensitiveField = 'pan' | 'track' | 'pin' | 'key';

// Field names, compared without a vendor prefix ('x-tmk' is 'tmk'), case or '_' ('track_2' is
// 'track2'). The sensitive-data scan reads the run's card and key files with the same rules.
const PAN_FIELDS = new Set(['pan', 'cardnumber', 'primaryaccountnumber']);
const TRACK_FIELDS = new Set(['track1', 'track2', 'track3', 'track2equivalent', 'track2data']);
const PIN_FIELDS = new Set(['pin', 'newpin', 'oldpin', 'clearpin', 'correctpin']);
// Key names of payment key management (TMK, working keys PIK/MAK/TDK, their ZMK/TPK/TAK aliases,
// KEK, DUKPT BDK/IPEK, issuer and ICC master keys), a bare `key`, any camelCase `...Key`, and
// issuer master-key variants such as `mkAC` / `imkSMI`.
const KEY_NAMES = new Set([
  'tmk',
  'tpk',
  'tak',
  'pik',
  'mak',
  'tdk',
  'kek',
  'bdk',
  'ipek',
  'imk',
  'zmk',
  'zpk',
  'key',
  'masterkey',
  'iccmasterkey',
  'workingkey',
]);
const CAMEL_KEY = /[a-z0-9]Key$/;
const MASTER_KEY_VARIANT = /^(imk|mk)[A-Z_]/;
// Names that end like a key but carry facts about one (check value, scheme, index, its id).
const ABOUT_A_KEY = /(kcv|checkvalue|scheme|algorithm|layout|index|id|name|type|label|loaded)$/;

/** What a field of this name carries, if it is sensitive. `keys` (keypad presses) is not a key. */
export function sensitiveField(name: string): SensitiveField | undefined {
  const bare = name.replace(/^x-/i, '');
  const n = bare.toLowerCase().replace(/_/g, '');
  if (PAN_FIELDS.has(n)) return 'pan';
  if (TRACK_FIELDS.has(n)) return 'track';
  if (PIN_FIELDS.has(n)) return 'pin';
  if (ABOUT_A_KEY.test(n)) return undefined;
  if (KEY_NAMES.has(n) || CAMEL_KEY.test(bare) || MASTER_KEY_VARIANT.test(bare)) return 'key';
  return undefined;
}

// A track 2 equivalent: PAN, separator (= or D), then expiry/service code/discretionary digits.
const TRACK2_IN_TEXT = /(?<![0-9])[0-9]{12,19}[=D][0-9]{4,}/g;
// A digit run that could be a PAN (13..19 digits, not part of a longer run).
const PAN_CANDIDATE = /(?<![0-9])[0-9]{13,19}(?![0-9])/g;
const HEX_KEY = /^[0-9A-Fa-f]{16,64}$/;

/** Everything typed or shown during PIN entry: every digit becomes '*'. */
export function maskPinEntry(text: string): string {
  return text.replace(/[0-9]/g, '*');
}

export interface KnownSensitiveData {
  /** PANs the run uses (the card book, the cards presented). */
  pans?: Iterable<string>;
  /** Clear keys the run knows (TMKs, issuer keys, derived card keys), hex. */
  keys?: Iterable<string>;
}

export class SensitiveDataMasker {
  private readonly pans = new Set<string>();
  private readonly keys = new Set<string>();

  constructor(known: KnownSensitiveData = {}) {
    for (const p of known.pans ?? []) this.rememberPan(p);
    for (const k of known.keys ?? []) this.rememberKey(k);
  }

  /** A PAN the harness handed to the terminal: masked wherever it appears, Luhn-valid or not. */
  rememberPan(pan: string | undefined): void {
    if (pan && /^[0-9]{12,19}$/.test(pan)) this.pans.add(pan);
  }

  /** A clear key of the run: masked wherever it appears in text, in either case. */
  rememberKey(hex: string | undefined): void {
    if (hex && HEX_KEY.test(hex)) this.keys.add(hex.toUpperCase());
  }

  /** Masks PANs, track data and the run's keys inside free text (screen and voucher lines, messages). */
  maskText(text: string): string {
    let out = text.replace(TRACK2_IN_TEXT, TRACK_REMOVED);
    for (const key of this.keys) {
      if (out.toUpperCase().includes(key)) out = out.replace(new RegExp(key, 'gi'), KEY_REMOVED);
    }
    for (const pan of this.pans) {
      if (out.includes(pan)) out = out.split(pan).join(maskPan(pan));
    }
    return out.replace(PAN_CANDIDATE, (run) => (isLuhnValid(run) ? maskPan(run) : run));
  }

  /** Deep copy of a structured message (TTP frame, control reply) with sensitive fields masked. */
  maskFields<T>(value: T): T {
    return this.walk(value, undefined) as T;
  }

  private walk(value: unknown, field: string | undefined): unknown {
    const kind = field === undefined ? undefined : sensitiveField(field);
    if (typeof value === 'string') {
      if (kind === 'pan') return maskPan(value);
      if (kind === 'track') return value ? TRACK_REMOVED : value;
      if (kind === 'pin') return value ? PIN_REMOVED : value;
      if (kind === 'key') return value ? KEY_REMOVED : value;
      return this.maskText(value);
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, undefined));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.walk(v, k);
      return out;
    }
    return value;
  }
}

const UNINFORMED = new SensitiveDataMasker();

/**
 * Text masked without knowing the run's cards or keys (a failure message read back from a
 * message stream): Luhn-valid PANs and track 2 equivalents.
 */
export function maskSensitiveText(text: string): string {
  return UNINFORMED.maskText(text);
}
