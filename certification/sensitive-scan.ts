/**
 * The sensitive-data scan (DESIGN.md "Identity, evidence and data protection"): after every run,
 * everything under the output folder is searched for the run's own card and key data — full PANs,
 * track 2 equivalents, clear PINs (and clear format 0 PIN blocks), clear keys — in every encoding
 * poscert or its libraries might write them: ASCII digits, digits grouped by four, hex of the
 * ASCII, packed BCD, hex, raw bytes and base64 (cucumber's message stream base64-encodes binary
 * attachments). A finding names the file and the byte offset, never the value.
 *
 * Secrets come from the data the run used (scenarios/cards.yaml and scenarios/merchants.yaml),
 * read generically by field name so the scan keeps working when those files grow new fields; with
 * them every key the run knows: terminal master keys, issuer master keys, and the ICC master key
 * the harness derives from them for each chip card (it travels in the TTP card image). The masker
 * (crypto/masking.ts) hides keys by field; this scan is what notices when a key escapes it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deriveIccMasterKeyOptionA } from '../crypto/emv';
import { sensitiveField } from '../crypto/masking';
import { SecretSourceError } from './errors';

export type SecretKind = 'pan' | 'track2' | 'pin' | 'pin-block' | 'key';

export interface Secret {
  kind: SecretKind;
  /** Where the secret came from, without its value: "cards.yaml UP-DEBIT-IC pan". */
  label: string;
  value: string;
  /** For PINs: the PAN of the same card (the clear format 0 PIN block depends on it). */
  pan?: string;
}

export interface ScanFinding {
  /** Path relative to the scanned folder, with forward slashes. */
  file: string;
  /** Byte offset of the first byte of the finding. */
  offset: number;
  kind: SecretKind;
  label: string;
  /** How the value was written: ascii, grouped, hex, hex-of-ascii, bcd, binary, base64, pin-context, keypad. */
  encoding: string;
}

export interface ScanReport {
  filesScanned: number;
  bytesScanned: number;
  findings: ScanFinding[];
}

// ---------------------------------------------------------------------------------------------
// Secrets from the card and key files

const HEX_KEY_VALUE = /^(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/;

function identify(node: Record<string, unknown>, fallback: string): string {
  for (const k of ['alias', 'name', 'id', 'terminalId', 'merchantId', 'label']) {
    const v = node[k];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return fallback;
}

/**
 * Walks parsed YAML (cards, merchants/terminals/keys) and collects its secrets by field name.
 * Works for lists and for maps keyed by alias.
 */
export function extractSecrets(data: unknown, sourceName: string): Secret[] {
  const out: Secret[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) =>
        walk(child, child && typeof child === 'object' ? identify(child as Record<string, unknown>, `${where}[${i}]`) : `${where}[${i}]`),
      );
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    let pan: string | undefined;
    for (const [k, v] of Object.entries(obj)) {
      if ((typeof v === 'string' || typeof v === 'number') && sensitiveField(k) === 'pan' && /^[0-9]{12,19}$/.test(String(v))) pan = String(v);
    }
    for (const [k, v] of Object.entries(obj)) {
      const label = `${sourceName} ${where} ${k}`.replace(/\s+/g, ' ').trim();
      if (v && typeof v === 'object') {
        walk(v, Array.isArray(obj) ? where : where ? `${where}.${k}` : k);
        continue;
      }
      if (typeof v !== 'string' && typeof v !== 'number') continue;
      const s = String(v);
      // Which fields hold what: the masker's rules (crypto/masking.ts sensitiveField), one set for both.
      const field = sensitiveField(k);
      if (field === 'pan' && /^[0-9]{12,19}$/.test(s)) out.push({ kind: 'pan', label, value: s });
      else if (field === 'track' && /^[0-9]{12,19}[=Dd][0-9]*[Ff]?$/.test(s)) out.push({ kind: 'track2', label, value: s.replace(/d/, 'D') });
      else if (field === 'pin' && /^[0-9]{4,12}$/.test(s)) out.push({ kind: 'pin', label, value: s, pan });
      else if (field === 'key' && HEX_KEY_VALUE.test(s)) out.push({ kind: 'key', label, value: s.toUpperCase() });
    }
    // A card given as PAN + expiry + service code: its track 2 equivalent starts PAN=YYMMSSS.
    const expiry = obj.expiry ?? obj.expiryDate;
    const serviceCode = obj.serviceCode ?? obj.service_code;
    if (pan && /^[0-9]{4}$/.test(String(expiry ?? '')) && /^[0-9]{3}$/.test(String(serviceCode ?? ''))) {
      out.push({
        kind: 'track2',
        label: `${sourceName} ${where} track 2 equivalent`.replace(/\s+/g, ' ').trim(),
        value: `${pan}D${expiry}${serviceCode}`,
      });
    }
  };
  walk(data, '');
  out.push(...derivedCardKeys(data, sourceName));
  return out;
}

/**
 * The ICC master key of each chip card of a card book (`issuerKeys: [{id, imk}]`, cards with
 * `emv.issuerKey`, `pan`, `psn`): EMV option A, as the harness derives it for the TTP card image.
 */
function derivedCardKeys(data: unknown, sourceName: string): Secret[] {
  if (!data || typeof data !== 'object') return [];
  const book = data as { issuerKeys?: unknown; cards?: unknown };
  if (!Array.isArray(book.issuerKeys) || !Array.isArray(book.cards)) return [];
  const imkById = new Map<string, string>();
  for (const k of book.issuerKeys as Array<Record<string, unknown>>) {
    if (k && typeof k.id === 'string' && typeof k.imk === 'string' && /^[0-9A-Fa-f]{32}$/.test(k.imk)) imkById.set(k.id, k.imk);
  }
  const out: Secret[] = [];
  for (const c of book.cards as Array<Record<string, unknown>>) {
    const emv = c?.emv as { issuerKey?: unknown } | undefined;
    const imk = typeof emv?.issuerKey === 'string' ? imkById.get(emv.issuerKey) : undefined;
    const pan = String(c?.pan ?? '');
    const psn = String(c?.psn ?? '00');
    if (!imk || !/^[0-9]{12,19}$/.test(pan) || !/^[0-9]{2}$/.test(psn)) continue;
    const mk = deriveIccMasterKeyOptionA(Buffer.from(imk, 'hex'), pan, psn).toString('hex').toUpperCase();
    out.push({ kind: 'key', label: `${sourceName} ${String(c.alias ?? pan.slice(-4))} ICC master key (derived)`, value: mk });
  }
  return out;
}

/** Reads the run's card and key files (missing files are skipped; unreadable ones are an error). */
export function loadSecrets(files: readonly string[]): Secret[] {
  const secrets: Secret[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    let data: unknown;
    try {
      data = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new SecretSourceError(`cannot read ${file} for the sensitive-data scan: ${(err as Error).message}`, { file });
    }
    secrets.push(...extractSecrets(data, path.basename(file)));
  }
  // The same value named twice (a card listed in two files) is searched once.
  const seen = new Set<string>();
  return secrets.filter((s) => {
    const key = `${s.kind}:${s.value}:${s.pan ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Needles: every byte sequence that would reveal a secret

interface Needle {
  kind: SecretKind;
  label: string;
  encoding: string;
  text: string; /* latin1: one char per byte */
}

const latin1 = (b: Buffer): string => b.toString('latin1');

/** Packed BCD of a digit string (odd lengths padded with the given nibble on the right). */
function bcd(digits: string, pad: 'F' | '0'): Buffer {
  const s = digits.length % 2 ? digits + pad : digits;
  return Buffer.from(s, 'hex');
}

/** Base64 fragments that appear whatever the alignment of the value inside the encoded data. */
function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = Buffer.concat([Buffer.alloc(lead), bytes]);
    const b64 = padded.toString('base64').replace(/=+$/, '');
    // Drop characters influenced by the leading filler and by whatever follows the value.
    const start = Math.ceil((lead * 8) / 6);
    const end = Math.floor(((lead + bytes.length) * 8) / 6);
    if (end - start >= 8) out.push(b64.slice(start, end));
  }
  return out;
}

/** The clear ISO 9564 format 0 PIN block (PIN field XOR PAN field), as hex. */
export function clearPinBlockFormat0(pin: string, pan: string): string {
  const pinField = `0${pin.length.toString(16)}${pin}`.padEnd(16, 'F');
  const panField = `0000${pan.slice(0, -1).slice(-12).padStart(12, '0')}`;
  let out = '';
  for (let i = 0; i < 16; i++) out += (parseInt(pinField[i], 16) ^ parseInt(panField[i], 16)).toString(16).toUpperCase();
  return out;
}

function needlesFor(secret: Secret): Needle[] {
  const n: Needle[] = [];
  const add = (encoding: string, text: string) => n.push({ kind: secret.kind, label: secret.label, encoding, text });
  const addDigitsForms = (digits: string) => {
    add('ascii', digits);
    add('hex-of-ascii', Buffer.from(digits, 'ascii').toString('hex').toUpperCase());
    add('hex-of-ascii', Buffer.from(digits, 'ascii').toString('hex'));
    add('bcd', latin1(bcd(digits.replace(/[=D]/g, 'D'), 'F')));
    if (digits.length % 2) add('bcd', latin1(bcd(digits.replace(/[=D]/g, 'D'), '0')));
    for (const f of base64Fragments(Buffer.from(digits, 'ascii'))) add('base64', f);
  };
  switch (secret.kind) {
    case 'pan': {
      const d = secret.value;
      addDigitsForms(d);
      const grouped = d.match(/.{1,4}/g)!;
      add('grouped', grouped.join(' '));
      add('grouped', grouped.join('-'));
      // Hex dumps that space the bytes of a BCD field: "62 22 02 12 ...".
      if (d.length % 2 === 0) add('spaced-bcd', d.match(/.{2}/g)!.join(' '));
      break;
    }
    case 'track2': {
      const t = secret.value.replace(/[Ff]$/, '');
      const withEq = t.replace('D', '=');
      const withD = t.replace('=', 'D');
      add('ascii', withEq);
      add('ascii', withD);
      add('hex-of-ascii', Buffer.from(withEq, 'ascii').toString('hex').toUpperCase());
      // Track 2 in field 35 is BCD with D as the separator: hex dumps show it as digits with D.
      add('hex', withD.toUpperCase());
      add('hex', withD.toLowerCase());
      add('bcd', latin1(bcd(withD, 'F')));
      if (withD.length % 2) add('bcd', latin1(bcd(withD, '0')));
      for (const f of base64Fragments(Buffer.from(withEq, 'ascii'))) add('base64', f);
      break;
    }
    case 'key': {
      const bytes = Buffer.from(secret.value, 'hex');
      add('hex', secret.value.toUpperCase());
      add('hex', secret.value.toLowerCase());
      add('binary', latin1(bytes));
      add('spaced-hex', secret.value.toUpperCase().match(/.{2}/g)!.join(' '));
      add('spaced-hex', secret.value.toLowerCase().match(/.{2}/g)!.join(' '));
      for (const f of base64Fragments(bytes)) add('base64', f);
      for (const f of base64Fragments(Buffer.from(secret.value.toUpperCase(), 'ascii'))) add('base64', f);
      break;
    }
    case 'pin': {
      // A bare 4–6 digit PIN is everywhere (amounts, STANs); look for it next to "PIN"/"密码" and as
      // a keypad sequence instead, and for the clear PIN block, which is unambiguous.
      add('keypad', secret.value.split('').join('","'));
      add('keypad', secret.value.split('').join('", "'));
      if (secret.pan) {
        const block = clearPinBlockFormat0(secret.value, secret.pan);
        n.push({ kind: 'pin-block', label: `${secret.label} (clear format 0 PIN block)`, encoding: 'hex', text: block });
        n.push({ kind: 'pin-block', label: `${secret.label} (clear format 0 PIN block)`, encoding: 'hex', text: block.toLowerCase() });
        n.push({
          kind: 'pin-block',
          label: `${secret.label} (clear format 0 PIN block)`,
          encoding: 'binary',
          text: latin1(Buffer.from(block, 'hex')),
        });
      }
      break;
    }
    default:
      break;
  }
  return n;
}

// "PIN", "pin", "Pin", "密码" (as UTF-8 bytes read as latin1), then up to 24 non-digit bytes, then digits.
const PIN_WORD = `(?:[Pp][Ii][Nn]|${latin1(Buffer.from('密码', 'utf8')).replace(/[\u0080-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)})`;

// A TTP frame's own counters ("seq": and "id": numbers, JSON-escaped or not in the cucumber messages) follow
// "screen":"pin" in every PIN prompt's event: such a number is a sequence number, not a PIN that happens to match.
const NOT_A_COUNTER = String.raw`(?<!"(?:seq|id)\\?":)`;

function pinContextRegex(pins: Secret[]): RegExp | undefined {
  if (pins.length === 0) return undefined;
  const alternatives = [...new Set(pins.map((p) => p.value))].join('|');
  return new RegExp(`${PIN_WORD}[^0-9\\n]{0,24}(?<![0-9])${NOT_A_COUNTER}(${alternatives})(?![0-9])`, 'g');
}

// ---------------------------------------------------------------------------------------------
// The scan

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

/** Scans one buffer; offsets are byte offsets. */
export function scanBuffer(bytes: Buffer, secrets: readonly Secret[], file = '(buffer)'): ScanFinding[] {
  const text = latin1(bytes);
  const findings: ScanFinding[] = [];
  for (const secret of secrets) {
    for (const needle of needlesFor(secret)) {
      let from = 0;
      for (;;) {
        const at = text.indexOf(needle.text, from);
        if (at < 0) break;
        // A short digit needle must not be a piece of a longer number. A PAN-sized one counts even
        // inside a digit run: a hex dump shows an LLVAR length right before the PAN.
        const shortDigits = /^[0-9]+$/.test(needle.text) && needle.text.length < 12;
        const before = at > 0 ? text[at - 1] : '';
        const after = text[at + needle.text.length] ?? '';
        let isolated = !shortDigits || !(/[0-9]/.test(before) || /[0-9]/.test(after));
        // A keypad run is the PIN only when no other digit key comes right before or after it.
        if (needle.encoding === 'keypad') {
          const sep = needle.text.includes('", "') ? '", "' : '","';
          const head = text.slice(Math.max(0, at - sep.length - 1), at);
          const tail = text.slice(at + needle.text.length, at + needle.text.length + sep.length + 1);
          isolated = !(new RegExp(`[0-9]${sep}$`).test(head) || new RegExp(`^${sep}[0-9]`).test(tail));
        }
        if (isolated) findings.push({ file, offset: at, kind: needle.kind, label: needle.label, encoding: needle.encoding });
        from = at + 1;
      }
    }
  }
  const re = pinContextRegex(secrets.filter((s) => s.kind === 'pin'));
  if (re) {
    for (const m of text.matchAll(re)) {
      const pinAt = (m.index ?? 0) + m[0].length - m[1].length;
      for (const secret of secrets.filter((x) => x.kind === 'pin' && x.value === m[1])) {
        findings.push({ file, offset: pinAt, kind: 'pin', label: secret.label, encoding: 'pin-context' });
      }
    }
  }
  return dedupe(findings);
}

/**
 * A PAN inside a track 2 finding is reported as the track; the same place matching several
 * secrets of the same value (cards sharing a test PIN) is one finding naming them all.
 */
function dedupe(findings: ScanFinding[]): ScanFinding[] {
  const tracks = findings.filter((f) => f.kind === 'track2');
  const byPlace = new Map<string, ScanFinding>();
  for (const f of findings) {
    if (f.kind === 'pan' && tracks.some((t) => t.offset === f.offset)) continue;
    const k = `${f.offset}:${f.kind}:${f.encoding}`;
    const seen = byPlace.get(k);
    if (!seen) byPlace.set(k, { ...f });
    else if (!seen.label.split(', ').includes(f.label)) seen.label = `${seen.label}, ${f.label}`;
  }
  return [...byPlace.values()].sort((a, b) => a.offset - b.offset);
}

/**
 * Scans every file under `dir` (recursively). With `since` (ms since the epoch), only files written
 * at or after that time: the outputs of this run, not those of earlier runs kept in subfolders.
 */
export function scanDirectory(dir: string, secrets: readonly Secret[], opts: { since?: number; skip?: string } = {}): ScanReport {
  const report: ScanReport = { filesScanned: 0, bytesScanned: 0, findings: [] };
  // `skip`: a folder another process is still writing (the Allure report), scanned on its own later.
  const skip = opts.skip ? path.resolve(opts.skip) + path.sep : undefined;
  for (const file of listFiles(dir)) {
    if (skip && path.resolve(file).startsWith(skip)) continue;
    // mtime has at best millisecond resolution on some file systems: allow for rounding down.
    if (opts.since !== undefined && fs.statSync(file).mtimeMs < opts.since - 1000) continue;
    const bytes = fs.readFileSync(file);
    report.filesScanned++;
    report.bytesScanned += bytes.length;
    const rel = path.relative(dir, file).split(path.sep).join('/');
    report.findings.push(...scanBuffer(bytes, secrets, rel));
  }
  return report;
}

/** One line per finding, for the console and the certificate. Never shows the value. */
export function describeFinding(f: ScanFinding): string {
  return `${f.file} at byte ${f.offset}: ${f.kind === 'pin-block' ? 'clear PIN block' : f.kind === 'track2' ? 'track 2 data' : f.kind === 'key' ? 'clear key' : f.kind === 'pan' ? 'full PAN' : 'clear PIN'} (${f.label}; ${f.encoding})`;
}
