/**
 * Field 55 (IC card data) judged as data: each EMV tag's length against its EMV format, the tags
 * cup8583.md §3.11 requires of an online chip request and of a reversal, and the terminal-supplied
 * values against the rest of the message (9C and F3, 9F02 and F4, 5F2A and F49, 9A a date, 9F27 an
 * ARQC, 9F34 and the PIN block). A terminal whose kernel writes a tag in the wrong encoding (9A as
 * ASCII, 9F33 as text) or reports a CVM it did not perform sends an F55 the issuer reads wrongly,
 * even when the ARQC still verifies (the host rebuilds CDOL1 from F55 as sent). Pure: display text
 * in (the journal's `TAG=VALUE` words or BER-TLV hex), problems out.
 */
import { decodeTlv } from '../tlv';

/** EMV length of a tag in bytes: fixed, or a [min, max] range (EMV Book 3 Annex A, UnionPay PBOC 3.0 / qPBOC). */
export const EMV_TAG_LENGTHS: Readonly<Record<string, number | readonly [number, number]>> = {
  '4F': [5, 16], // AID (ICC) b5-16
  '82': 2, // AIP b2
  '84': [5, 16], // Dedicated file name (AID) b5-16
  '8A': 2, // Authorisation response code an2
  '91': [8, 16], // Issuer authentication data b8-16
  '95': 5, // TVR b5
  '9A': 3, // Transaction date n6 YYMMDD
  '9B': 2, // TSI b2
  '9C': 1, // Transaction type n2
  '5F2A': 2, // Transaction currency code n3
  '5F34': 1, // PAN sequence number n2
  '9F02': 6, // Amount, authorised n12
  '9F03': 6, // Amount, other n12
  '9F06': [5, 16], // AID (terminal) b5-16
  '9F08': 2, // Application version number (ICC) b2
  '9F09': 2, // Application version number (terminal) b2
  '9F10': [1, 32], // Issuer application data b..32
  '9F1A': 2, // Terminal country code n3
  '9F1E': 8, // IFD serial number an8
  '9F26': 8, // Application cryptogram b8
  '9F27': 1, // Cryptogram information data b1
  '9F33': 3, // Terminal capabilities b3
  '9F34': 3, // CVM results b3
  '9F35': 1, // Terminal type n2
  '9F36': 2, // ATC b2
  '9F37': 4, // Unpredictable number b4
  '9F41': [2, 4], // Transaction sequence counter n4-8
  '9F63': 16, // Card product identification (UnionPay) b16
  '9F66': 4, // Terminal transaction qualifiers (qPBOC) b4
  '9F74': 6, // Electronic cash issuer authorisation code a6
};

/** cup8583.md §3.11 "Online (balance / sale / pre-auth)": the tags every online chip request's F55 carries. */
export const ONLINE_ICC_TAGS: readonly string[] = [
  '9F26',
  '9F27',
  '9F10',
  '9F37',
  '9F36',
  '95',
  '9A',
  '9C',
  '9F02',
  '5F2A',
  '82',
  '9F1A',
  '9F03',
  '9F33',
];

/** cup8583.md §3.11 "Reversal": the tags a reversal's F55 carries when it carries one. */
export const REVERSAL_ICC_TAGS: readonly string[] = ['95', '9F1E', '9F10', '9F36'];

/** F55 as the journal or a sample shows it, tag → value hex (upper case, masked digits as `*`); undefined when it is not BER-TLV. */
export function iccValues(display: string): Map<string, string> | undefined {
  const v = display.trim();
  if (/^([0-9A-F*]{2})+$/i.test(v)) {
    try {
      // Masking keeps the length, so a masked card-data value still decodes as TLV (its digits read as 0).
      const out = new Map<string, string>();
      const walk = (list: ReturnType<typeof decodeTlv>) => {
        for (const n of list) {
          if (n.children) walk(n.children);
          else out.set(n.tag, n.value.toString('hex').toUpperCase());
        }
      };
      walk(decodeTlv(Buffer.from(v.replace(/\*/g, '0'), 'hex')));
      return out;
    } catch {
      return undefined;
    }
  }
  if (!/^([0-9A-F]{2,6}=[0-9A-F*]*)(\s+[0-9A-F]{2,6}=[0-9A-F*]*)*$/i.test(v)) return undefined;
  return new Map(v.split(/\s+/).map((w) => [w.split('=')[0].toUpperCase(), (w.split('=')[1] ?? '').toUpperCase()] as [string, string]));
}

/** Each known tag whose length is not its EMV length (one problem per tag). */
export function iccLengthProblems(tags: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [tag, hex] of tags) {
    const want = EMV_TAG_LENGTHS[tag];
    if (want === undefined) continue;
    const bytes = hex.length / 2;
    const ok = typeof want === 'number' ? bytes === want : bytes >= want[0] && bytes <= want[1];
    if (!ok) {
      const what = typeof want === 'number' ? `${want}` : `${want[0]}–${want[1]}`;
      out.push(`tag ${tag} is ${bytes} byte(s) (${hex}), its EMV format is ${what} byte(s)`);
    }
  }
  return out;
}

/** The tags of `required` that F55 lacks. */
export function missingTags(tags: ReadonlyMap<string, string>, required: readonly string[]): string[] {
  return required.filter((t) => !tags.has(t));
}

/** What the CVM code of 9F34's first byte (bit 7 "apply succeeding" masked off) names. */
export function cvmCodeName(byte: number): string {
  const code = byte & 0x3f;
  const names: Record<number, string> = {
    0x00: 'CVM failed',
    0x01: 'offline plaintext PIN',
    0x02: 'online enciphered PIN',
    0x03: 'offline plaintext PIN and signature',
    0x04: 'offline enciphered PIN',
    0x05: 'offline enciphered PIN and signature',
    0x1e: 'signature',
    0x1f: 'no CVM required',
    0x3f: 'no CVM performed',
  };
  return names[code] ?? `CVM code ${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** 9F33 byte 2 (CVM capability, EMV Book 4 Annex A2) bits a CVM code needs: b8 plaintext PIN, b7 online PIN, b6 signature, b5 enciphered offline PIN, b4 no CVM required. */
const CVM_CAPABILITY_BITS: Readonly<Record<number, readonly number[]>> = {
  0x01: [0x80],
  0x02: [0x40],
  0x03: [0x80, 0x20],
  0x04: [0x10],
  0x05: [0x10, 0x20],
  0x1e: [0x20],
  0x1f: [0x08],
};

/** Whether a BCD YYMMDD is a calendar date. */
export function isYymmdd(hex: string): boolean {
  if (!/^\d{6}$/.test(hex)) return false;
  const mm = Number(hex.slice(2, 4));
  const dd = Number(hex.slice(4, 6));
  return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
}

export interface IccMessageFacts {
  /** The message's F3, F4, F49 (display text), when present. */
  processingCode?: string;
  amount?: string;
  currency?: string;
  /** Whether an encrypted PIN block travels with it (F52 / F59 A1). */
  pinBlock: boolean;
  /** Whether the chip was read by contact (F22 05x); qPBOC taps fill 9F34 by the card's and the kernel's rules. */
  contact: boolean;
}

/**
 * Terminal-supplied values of an online chip request against the message (EMV Book 3 Annex A: 9C is
 * the first two digits of the processing code, 9F02 the amount authorised, 5F2A the currency; 9A a
 * date; an online request carries the ARQC, 9F27 bits 8-7 = 10; 9F34 the CVM performed: online
 * enciphered PIN when the PIN block travels, and on a contact read only then: a real qPBOC terminal
 * (the easy8583 sample) sends 9F34 020000 on a tap without PIN); on a contact read, a CVM the
 * terminal's 9F33 declares it supports). `typeFromF3` is false for a kind whose 9C the
 * reference does not fix (bill payment, F3 50).
 */
export function onlineValueProblems(tags: ReadonlyMap<string, string>, m: IccMessageFacts, typeFromF3: boolean): string[] {
  const out: string[] = [];
  const t = (tag: string) => tags.get(tag);
  if (typeFromF3 && t('9C') !== undefined && m.processingCode && t('9C') !== m.processingCode.slice(0, 2)) {
    out.push(`9C ${t('9C')} (transaction type) is not F3's ${m.processingCode.slice(0, 2)}`);
  }
  if (t('9F02') !== undefined && m.amount !== undefined && /^\d{12}$/.test(m.amount) && t('9F02') !== m.amount) {
    out.push(`9F02 ${t('9F02')} (amount authorised) is not F4 ${m.amount}`);
  }
  if (t('5F2A') !== undefined && m.currency !== undefined && t('5F2A') !== m.currency.padStart(4, '0')) {
    out.push(`5F2A ${t('5F2A')} (transaction currency) is not F49 ${m.currency}`);
  }
  if (t('9A') !== undefined && !isYymmdd(t('9A')!)) out.push(`9A ${t('9A')} is no date YYMMDD`);
  const cid = t('9F27');
  if (cid !== undefined && /^[0-9A-F]{2}$/.test(cid) && (parseInt(cid, 16) & 0xc0) !== 0x80) {
    out.push(`9F27 ${cid} says the card returned no ARQC (bits 8-7 = 10), but the request went online`);
  }
  const cvm = t('9F34');
  if (cvm !== undefined && /^[0-9A-F]{6}$/.test(cvm)) {
    const code = parseInt(cvm.slice(0, 2), 16) & 0x3f;
    if (m.pinBlock && code !== 0x02) {
      out.push(`9F34 ${cvm} says ${cvmCodeName(code)}, but the PIN was taken online (a PIN block travels: CVM code 02)`);
    }
    if (!m.pinBlock && m.contact && code === 0x02) out.push(`9F34 ${cvm} says online enciphered PIN, but no PIN block travels`);
    // EMV Book 3 §10.5: a contact kernel performs only the CVMs its 9F33 byte 2 says the terminal supports.
    const caps = t('9F33');
    const bits = CVM_CAPABILITY_BITS[code];
    if (m.contact && caps !== undefined && /^[0-9A-F]{6}$/.test(caps) && bits) {
      const byte2 = parseInt(caps.slice(2, 4), 16);
      if (bits.some((b) => (byte2 & b) === 0)) {
        out.push(`9F34 ${cvm} says ${cvmCodeName(code)}, a CVM the terminal's capabilities 9F33 ${caps} do not support (byte 2 ${caps.slice(2, 4)})`);
      }
    }
  }
  return out;
}
