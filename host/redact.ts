/**
 * What the journal keeps of a message: the frame hex with every PAN / track / cardholder-data value
 * masked in place, and the decoded field table from the codec's messageToJson (which masks F2, F35
 * and F36, the card numbers of a blacklist download reply's F62 (60.3 390), and the EMV card-data tags of F55: 5A PAN, 57 track 2 equivalent, 5F20 name, 9F1F / 9F20 / 56 track data). PIN blocks and keys stay as the encrypted bytes
 * that were on the wire. The image of an e-signature upload (0820 60.3 800, F62) is never kept: the
 * frame shows it as '*' and the field table as its size and SHA-256 (protocol/ttp/signature.ts).
 */
import { maskPan } from '../crypto';
import {
  IsoMessage,
  identify,
  messageToJson,
  EMV_CARD_DATA_TAGS,
  parseBlacklistPage,
  parseField60,
  TERMINAL_LIST_NETWORK_CODES,
} from '../protocol/iso8583';
import { describeSignatureImage } from '../protocol/ttp/signature';
import { decodeTlv, TlvNode } from '../protocol/tlv';

function maskDigitsHex(hex: string): string {
  // PAN-like: keep first 6 and last 4 characters; track-like (contains D separator): mask after the PAN.
  const sep = hex.indexOf('D');
  if (sep < 0) return maskPan(hex);
  return maskPan(hex.slice(0, sep)) + 'D' + '*'.repeat(hex.length - sep - 1);
}

function collectCardDataHex(nodes: TlvNode[], out: string[]): void {
  for (const n of nodes) {
    if (n.children) collectCardDataHex(n.children, out);
    else if (EMV_CARD_DATA_TAGS.has(n.tag) && n.value.length > 0) out.push(n.value.toString('hex').toUpperCase());
  }
}

/** The card numbers of a blacklist download reply's F62 (60.3 390, BCD in the frame), or none. */
function blacklistPans(msg: IsoMessage): string[] {
  const f62 = msg.getBuffer(62);
  if (!f62) return [];
  try {
    if (parseField60(msg.getString(60) ?? '').networkCode !== TERMINAL_LIST_NETWORK_CODES.blacklist.download) return [];
    return parseBlacklistPage(f62).pans;
  } catch {
    return [];
  }
}

/**
 * The card numbers of a magstripe batch-upload list (0320, or the 0330 echoing it; 60.3 201): F48 = 2-digit count + 40-digit
 * items, each PAN right-aligned and zero-padded to 20 digits at offset 8 (cup8583.md §3.10); or none.
 */
function batchListPans(msg: IsoMessage): string[] {
  if (msg.mti !== '0320' && msg.mti !== '0330') return [];
  try {
    if (parseField60(msg.getString(60) ?? '').networkCode !== '201') return [];
  } catch {
    return [];
  }
  const f48 = msg.getString(48) ?? '';
  const pans: string[] = [];
  for (let at = 2; at + 40 <= f48.length; at += 40) {
    const pan = f48.slice(at + 8, at + 28).replace(/^0+/, '');
    if (pan.length >= 12) pans.push(pan);
  }
  return pans;
}

/** Sensitive substrings (upper-case hex as they appear in the packed frame), longest first. */
function sensitiveHexValues(msg: IsoMessage): string[] {
  const values: string[] = [...blacklistPans(msg), ...batchListPans(msg)];
  for (const n of [35, 36]) {
    const v = msg.getString(n);
    if (v) values.push(v.replace(/=/g, 'D').toUpperCase());
  }
  const pan = msg.getString(2);
  if (pan) values.push(pan);
  const f55 = msg.get(55);
  if (Buffer.isBuffer(f55)) {
    try {
      collectCardDataHex(decodeTlv(f55), values);
    } catch {
      // Undecodable F55: its raw bytes are masked wholesale below.
      values.push(f55.toString('hex').toUpperCase());
    }
  }
  return values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}

/** The signature image of an e-signature upload (request F62), which no journal or log keeps. */
function signatureImageOf(msg: IsoMessage): Buffer | undefined {
  return identify(msg) === 'e-signature' && msg.mti === '0820' ? msg.getBuffer(62) : undefined;
}

/** Frame bytes as upper-case hex with card data masked in place ('*'); same length as the plain hex. */
export function maskedFrameHex(frame: Buffer, msg: IsoMessage | undefined): string {
  let hex = frame.toString('hex').toUpperCase();
  if (!msg) return hex;
  const image = signatureImageOf(msg);
  if (image && image.length > 0) hex = hex.split(image.toString('hex').toUpperCase()).join('*'.repeat(image.length * 2));
  for (const v of sensitiveHexValues(msg)) {
    const masked = v.includes('D') || v.length > 19 ? maskDigitsHex(v) : maskPan(v);
    hex = hex.split(v).join(masked.padEnd(v.length, '*').slice(0, v.length));
  }
  return hex;
}

/** F55 for the journal as a readable TLV list (`TAG=VALUE ...`), card-data tags masked. */
function maskF55(hex: string): string {
  try {
    const parts: string[] = [];
    const walk = (list: TlvNode[]) => {
      for (const n of list) {
        if (n.children) {
          walk(n.children);
          continue;
        }
        const v = n.value.toString('hex').toUpperCase();
        parts.push(`${n.tag}=${EMV_CARD_DATA_TAGS.has(n.tag) ? maskDigitsHex(v) : v}`);
      }
    };
    walk(decodeTlv(Buffer.from(hex, 'hex')));
    return parts.join(' ');
  } catch {
    return `<${hex.length / 2} bytes, not BER-TLV>`;
  }
}

/** Decoded field table for the journal: {field number: display value}, card data masked. */
export function maskedFields(msg: IsoMessage): Record<string, string> {
  // messageToJson masks F2, F35 and F36; F55 is listed tag by tag (the steps read it in that form).
  const json = messageToJson(msg, { unmask: true });
  const fields = messageToJson(msg).fields;
  if (json.fields['55'] !== undefined) fields['55'] = maskF55(json.fields['55']);
  // A blacklist page (390 reply) carries card numbers in F62: each masked wherever it shows.
  if (fields['62'] !== undefined) for (const pan of blacklistPans(msg)) fields['62'] = fields['62'].split(pan).join(maskPan(pan));
  const image = signatureImageOf(msg);
  if (image) fields['62'] = describeSignatureImage(image);
  // So does a magstripe batch-upload list (201) in F48; the mask keeps each item's 40-digit width.
  if (fields['48'] !== undefined) for (const pan of batchListPans(msg)) fields['48'] = fields['48'].split(pan).join(maskPan(pan));
  return fields;
}
