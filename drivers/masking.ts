/**
 * The driver's evidence masking: the one set of rules of crypto/masking.ts (PAN, track data, keys
 * by field and by value, PIN fields), applied to what the driver records — TTP frames, screens,
 * vouchers, error messages — plus the one rule only the terminal's state can decide: a PIN is
 * masked where it was typed. While the terminal is in PIN entry (TTP state `pin-entry`), digits of
 * key presses and of the screens it shows are masked; nothing else is masked for looking like a PIN.
 * A signature image (TTP `sign`) is recorded as its size and SHA-256, never as the image.
 */
import { SensitiveDataMasker, maskPinEntry } from '../crypto/masking';
import { describeSignatureImage } from '../protocol/ttp/signature';

/** The TTP terminal state in which the terminal takes a PIN. */
export const PIN_ENTRY_STATE = 'pin-entry';

export class EvidenceMasker extends SensitiveDataMasker {
  /** Deep copy of a TTP message with sensitive fields masked. */
  maskMessage<T>(value: T): T {
    return this.maskFields(value);
  }

  /** A screen line as evidence: PANs, tracks and keys masked; every digit masked on a PIN entry screen. */
  maskScreenLine(line: string, state?: string): string {
    return state === PIN_ENTRY_STATE ? maskPinEntry(this.maskText(line)) : this.maskText(line);
  }

  maskScreenLines(lines: readonly string[], state: string | undefined): string[] {
    return lines.map((l) => this.maskScreenLine(l, state));
  }

  /**
   * A TTP payload recorded while the terminal takes a PIN (`pinEntry`): the keys the harness
   * presses (`key` command: `keys`, `text`, `x-text`) and the lines the terminal shows (`display` events,
   * `screen` replies) have their digits masked. Other payloads pass through as masked by field.
   */
  maskTtpPayload(dir: 'tx' | 'rx', payload: unknown, pinEntry: boolean): unknown {
    const masked = this.maskFields(payload);
    // 电签: the signature image never goes into a transcript; its size and hash name it.
    if (dir === 'tx' && masked && typeof masked === 'object' && (masked as { cmd?: unknown }).cmd === 'sign') {
      const m = masked as Record<string, unknown>;
      if (typeof m.image === 'string') return { ...m, image: describeSignatureImage(Buffer.from(m.image, 'base64')) };
    }
    if (!pinEntry || !masked || typeof masked !== 'object') return masked;
    const m = masked as Record<string, unknown>;
    const digitsOut = (v: unknown): unknown => (typeof v === 'string' ? maskPinEntry(v) : Array.isArray(v) ? v.map(digitsOut) : v);
    if (dir === 'tx' && m.cmd === 'key') {
      return {
        ...m,
        ...(m.keys !== undefined ? { keys: digitsOut(m.keys) } : {}),
        ...(m['x-text'] !== undefined ? { 'x-text': digitsOut(m['x-text']) } : {}),
        ...(m.text !== undefined ? { text: digitsOut(m.text) } : {}),
      };
    }
    if (dir === 'rx' && m.evt === 'display') return { ...m, lines: digitsOut(m.lines), note: 'digits masked during PIN entry' };
    if (dir === 'rx' && m.ok === true && m.result && typeof m.result === 'object' && Array.isArray((m.result as { lines?: unknown }).lines)) {
      const r = m.result as Record<string, unknown>;
      return { ...m, result: { ...r, lines: digitsOut(r.lines) }, note: 'digits masked during PIN entry' };
    }
    return masked;
  }
}
