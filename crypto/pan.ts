/**
 * Card numbers: the one Luhn implementation of poscert (check digit and validity) and PAN masking
 * (first 6 + last 4). Everything that checks or masks a PAN uses these.
 */
import { CryptoInputError } from './errors';

/** Injected randomness (crypto/ never draws its own): returns n random bytes. */
export type RandomSource = (n: number) => Buffer;

function requireDigits(what: string, value: string): void {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) {
    throw new CryptoInputError(
      what,
      `expected decimal digits, got ${typeof value === 'string' ? `${value.length} characters with non-digits` : typeof value}`,
    );
  }
}

/** Luhn (mod 10) check digit to append to `digits`. */
export function luhnCheckDigit(digits: string): string {
  requireDigits('Luhn check digit', digits);
  let sum = 0;
  // The digit next to the (future) check digit is doubled.
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** True when the last digit of `pan` is the Luhn check digit of the rest. Non-digit input is false. */
export function isLuhnValid(pan: string): boolean {
  if (typeof pan !== 'string' || !/^[0-9]{2,}$/.test(pan)) return false;
  return luhnCheckDigit(pan.slice(0, -1)) === pan[pan.length - 1];
}

/**
 * PAN for display: first 6 + '*' + last 4 (PCI DSS). Values of 10 characters or fewer cannot be
 * masked that way without showing everything, so they are masked entirely.
 */
export function maskPan(pan: string): string {
  if (typeof pan !== 'string') return '';
  if (pan.length <= 10) return '*'.repeat(pan.length);
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}
