/**
 * Masking of everything the driver records as evidence (transcripts, error messages).
 * DESIGN.md "Identity, evidence and data protection": no full PAN, no track data, no clear PIN,
 * no clear key in anything poscert writes. The terminal may be defective (a full PAN on the
 * voucher, PIN digits echoed), so evidence is masked by content, not only by field name.
 */
import { isLuhnValid, maskPan } from '../crypto/pan';

const TRACK_FIELDS = new Set(['track1', 'track2', 'track3']);
const KEY_FIELDS = /^(imk|iccMasterKey|tmk|pik|mak|tdk|bdk|ipek|key|.*Key)$/;
const PIN_FIELDS = /^(pin|newPin|oldPin)$/i;
// A track 2 equivalent: PAN, separator (= or D), then expiry/service code/discretionary digits.
const TRACK2_PATTERN = /(?<![0-9])[0-9]{12,19}[=D][0-9]{4,}/g;
// A digit run that could be a PAN (13..19 digits, not part of a longer run).
const PAN_CANDIDATE = /(?<![0-9])[0-9]{13,19}(?![0-9])/g;

export class EvidenceMasker {
  /** PANs the harness handed to the terminal: masked wherever they appear, Luhn-valid or not. */
  private readonly knownPans = new Set<string>();

  rememberPan(pan: string | undefined): void {
    if (pan && /^[0-9]{8,19}$/.test(pan)) this.knownPans.add(pan);
  }

  /** Masks PANs and track data inside free text (screen lines, voucher lines, error messages). */
  maskText(text: string): string {
    let out = text.replace(TRACK2_PATTERN, '[track data removed]');
    for (const pan of this.knownPans) out = out.split(pan).join(maskPan(pan));
    return out.replace(PAN_CANDIDATE, (run) => (isLuhnValid(run) ? maskPan(run) : run));
  }

  /** Deep copy of a TTP message with sensitive fields masked. */
  maskMessage<T>(value: T): T {
    return this.walk(value, undefined) as T;
  }

  private walk(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      if (key === 'pan') return maskPan(value);
      if (key && TRACK_FIELDS.has(key)) return '[track data removed]';
      if (key && PIN_FIELDS.test(key)) return '[PIN removed]';
      if (key && KEY_FIELDS.test(key) && /^[0-9A-Fa-f]{16,}$/.test(value)) return '[key removed]';
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

/** Replaces every digit by '*': used for keys pressed and screens shown while a PIN is entered. */
export function maskDigits(text: string): string {
  return text.replace(/[0-9]/g, '*');
}
