/**
 * Issuer scripts and their results (cup8583.md §3.11): the host's reply F55 may carry tag 71 (run
 * before the second GENERATE AC) or 72 (after it) templates, each an optional script identifier 9F18
 * (4 bytes) and issuer script commands 86 (APDUs); the terminal reports what the card did in DF31,
 * 5 bytes per script (EMV Book 4 "Issuer Script Results"): byte 1 = result in the high nibble (0 not
 * performed, 1 failed, 2 performed) and, when it failed, the sequence number of the failing command in
 * the low nibble (F = 15 or more); bytes 2-5 = the script identifier (zeros when the script had none).
 * DF31 travels in the 0620 script-result notice (60.3 951) and in a reversal's F55 (§3.8). Pure.
 */
import { decodeTlv, encodeTlv, type TlvNode } from '../tlv';
import { FieldContentError } from './errors';

export type IssuerScriptTemplate = '71' | '72';

export interface IssuerScript {
  template: IssuerScriptTemplate;
  /** 9F18, 8 hex digits; undefined when the script carries none. */
  id?: string;
  /** The 86 commands (APDUs), upper-case hex, in order. */
  commands: string[];
}

export type ScriptStatus = 'not-performed' | 'failed' | 'performed';

export interface ScriptResult {
  status: ScriptStatus;
  /** 1-based sequence number of the command that failed (15 = 15th or later); undefined unless failed. */
  failedCommand?: number;
  /** The script identifier (9F18), 8 hex digits; 00000000 when the script had none. */
  scriptId: string;
}

const STATUS_NIBBLE: Record<ScriptStatus, number> = { 'not-performed': 0, failed: 1, performed: 2 };

/** The TLV of one issuer script (71 / 72 with 9F18 and its 86 commands). */
export function issuerScriptTlv(script: IssuerScript): TlvNode {
  const children: TlvNode[] = [];
  if (script.id !== undefined) children.push({ tag: '9F18', value: Buffer.from(script.id, 'hex') });
  for (const c of script.commands) children.push({ tag: '86', value: Buffer.from(c, 'hex') });
  return { tag: script.template, value: Buffer.alloc(0), children };
}

/** The issuer scripts of a reply's F55, in order (none when F55 carries no 71 / 72). */
export function issuerScriptsOf(field55: Buffer | undefined): IssuerScript[] {
  if (!field55 || field55.length === 0) return [];
  let nodes: TlvNode[];
  try {
    nodes = decodeTlv(field55);
  } catch (err) {
    throw new FieldContentError(55, `reply F55 is not BER-TLV: ${(err as Error).message}`);
  }
  const out: IssuerScript[] = [];
  for (const n of nodes) {
    if (n.tag !== '71' && n.tag !== '72') continue;
    const kids = n.children ?? [];
    const id = kids.find((k) => k.tag === '9F18')?.value;
    out.push({
      template: n.tag,
      ...(id ? { id: id.toString('hex').toUpperCase() } : {}),
      commands: kids.filter((k) => k.tag === '86').map((k) => k.value.toString('hex').toUpperCase()),
    });
  }
  return out;
}

/** DF31 value: 5 bytes per script result. */
export function encodeScriptResults(results: readonly ScriptResult[]): Buffer {
  return Buffer.concat(
    results.map((r) => {
      const low = r.status === 'failed' ? Math.min(15, Math.max(0, r.failedCommand ?? 0)) : 0;
      if (!/^[0-9A-Fa-f]{8}$/.test(r.scriptId))
        throw new FieldContentError('55.DF31', `script id must be 8 hex digits, got ${JSON.stringify(r.scriptId)}`);
      return Buffer.concat([Buffer.from([(STATUS_NIBBLE[r.status] << 4) | low]), Buffer.from(r.scriptId, 'hex')]);
    }),
  );
}

/** DF31 value (bytes or hex) → the script results; a clear error when it is not 5 bytes per script. */
export function decodeScriptResults(value: Buffer | string): ScriptResult[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'hex') : value;
  if (bytes.length === 0 || bytes.length % 5 !== 0) {
    throw new FieldContentError('55.DF31', `the script results are 5 bytes per script (result + script id), got ${bytes.length} byte(s)`);
  }
  const out: ScriptResult[] = [];
  for (let i = 0; i < bytes.length; i += 5) {
    const high = bytes[i] >> 4;
    const status = Object.entries(STATUS_NIBBLE).find(([, v]) => v === high)?.[0] as ScriptStatus | undefined;
    if (!status)
      throw new FieldContentError(
        '55.DF31',
        `result byte ${bytes[i].toString(16).padStart(2, '0').toUpperCase()} of script ${i / 5 + 1} is not 0x (not performed), 1x (failed) or 2x (performed)`,
      );
    const low = bytes[i] & 0x0f;
    out.push({
      status,
      ...(status === 'failed' && low > 0 ? { failedCommand: low } : {}),
      scriptId: bytes
        .subarray(i + 1, i + 5)
        .toString('hex')
        .toUpperCase(),
    });
  }
  return out;
}

/** Tags of the 0620 script-result notice's F55 besides DF31, taken from the request (§3.11). */
export const SCRIPT_RESULT_TAGS = ['9F33', '95', '9F37', '9F1E', '9F10', '9F26', '9F36', '82', '9F1A', '9A'] as const;

/** F55 of a 0620: the §3.11 tags of the original request's F55 (when present) and DF31. */
export function scriptResultField55(requestField55: Buffer, results: readonly ScriptResult[]): Buffer {
  const tags = decodeTlv(requestField55);
  const kept: TlvNode[] = [];
  for (const tag of SCRIPT_RESULT_TAGS) {
    const node = tags.find((t) => t.tag === tag);
    if (node) kept.push({ tag, value: node.value });
  }
  kept.push({ tag: 'DF31', value: encodeScriptResults(results) });
  return encodeTlv(kept);
}

/** A F55 with DF31 (the script results) added or replaced, as a reversal carries it (§3.8). */
export function withScriptResults(field55: Buffer, results: readonly ScriptResult[]): Buffer {
  const tags = decodeTlv(field55)
    .filter((t) => t.tag !== 'DF31')
    .map((t) => ({ tag: t.tag, value: t.value }));
  return encodeTlv([...tags, { tag: 'DF31', value: encodeScriptResults(results) }]);
}
