/**
 * Masking for transcripts and evidence: a TTP message with the card image's PAN shown as first 6 +
 * last 4 and tracks and keys replaced. Pure; returns a copy.
 */
import { TtpMessage } from './messages';

const MASKED = '[redacted]';
const SECRET_KEYS = new Set(['track1', 'track2', 'track3', 'imk', 'iccMasterKey', 'pin', 'pinBlock', 'key', 'tmk', 'pik', 'mak', 'tdk']);

/** First 6 + last 4 digits of a PAN, the middle as '*'. Short or non-digit input is fully masked. */
export function maskPanForTranscript(pan: string): string {
  if (!/^\d{13,19}$/.test(pan)) return '*'.repeat(pan.length);
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}

/** Mask PAN-like digit runs (13..19 digits) inside free text such as voucher or screen lines. */
export function maskPansInText(text: string): string {
  return text.replace(/\d{13,19}/g, (m) => maskPanForTranscript(m));
}

export function redactTtpMessage<T extends TtpMessage>(message: T): T {
  return redactValue(message, '') as T;
}

function redactValue(value: unknown, key: string): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEYS.has(key)) return MASKED;
    if (key === 'pan') return maskPanForTranscript(value);
    return maskPansInText(value);
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, ''));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k);
    return out;
  }
  return value;
}
