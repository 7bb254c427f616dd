/**
 * A software ICC built from a card image: the part of a PBOC / UICS debit-credit application the
 * POS sees. It answers GENERATE AC with an ARQC over the CDOL1 data (crypto/ EMV functions,
 * session key from the ICC master key and the ATC), checks the issuer's ARPC (tag 91) in the
 * second GENERATE AC and returns its final cryptogram there (TC accepted, AAC declined) for the
 * batch upload's IC records. It also runs the issuer scripts of the reply (71 before the second
 * GENERATE AC, 72 after it, cup8583.md §3.11) command by command and reports them as DF31 results.
 * The card image may carry the issuer master key (the ICC master key is then
 * derived, option A or B) or the ICC master key itself. Test keys only.
 */
import { deriveCommonSessionKey, deriveIccMasterKeyOptionA, deriveIccMasterKeyOptionB, generateArpcMethod1, generateArqc } from '../crypto';
import { TlvNode, decodeTlv, encodeTlv, findTag } from '../protocol/tlv';
import type { IssuerScript, IssuerScriptTemplate, ScriptResult } from '../protocol/iso8583/issuer-script';
import type { TtpCardImage, TtpCardMethod } from '../protocol/ttp';
import { CardImageError } from './errors';

/** Terminal data an ARQC covers (CDOL1 of a UnionPay card). */
export interface ArqcRequestData {
  /** Amount authorised, fen. */
  amount: number;
  /** YYMMDD. */
  date: string;
  /** 9C: 00 goods and services, 31 inquiry, 30 pre-auth... */
  transactionType: string;
  unpredictableNumber: Buffer;
  /** 95, 5 bytes. */
  tvr: Buffer;
  /** 9F1E interface device serial number (8 ASCII characters). */
  ifdSerial: string;
  /** 9F34 CVM results (3 bytes), the CVM the terminal actually did; absent, online PIN (42 03 00). */
  cvmResults?: Buffer;
}

export interface GeneratedArqc {
  /** Field 55 of the request, BER-TLV. */
  field55: Buffer;
  arqc: Buffer;
  atc: Buffer;
  aid: string;
  applicationLabel: string;
  tvr: Buffer;
  iad: Buffer;
}

/** Tags of the reversal's field 55 (cup8583.md §3.8; DF31, the script results, is added when the card ran issuer scripts). */
export const REVERSAL_TAGS = ['95', '9F1E', '9F10', '9F36'] as const;

/** Same order as host/cards.ts ARQC_CDOL1_TAGS (kept here so the emulator does not import host/). */
export const ARQC_INPUT_TAGS = ['9F02', '9F03', '9F1A', '95', '5F2A', '9A', '9C', '9F37', '82', '9F36', '9F10'] as const;

const DEFAULT_AIP = '7C00';
/** PBOC IAD template: length 07, DKI 01, CVN 01, CVR 03 A0 00 00 (ARQC requested, online PIN...). */
const DEFAULT_IAD = '07010103A00000';

function hexOf(value: string | undefined, what: string, bytes?: number): Buffer {
  if (value === undefined) throw new CardImageError(`${what} is missing`);
  if (!/^([0-9A-Fa-f]{2})*$/.test(value) || (bytes !== undefined && value.length !== bytes * 2)) {
    throw new CardImageError(`${what} must be ${bytes ? `${bytes * 2} ` : ''}hex digits, got ${JSON.stringify(value)}`);
  }
  return Buffer.from(value, 'hex');
}

function bcd(digits: string, bytes: number): Buffer {
  return Buffer.from(digits.padStart(bytes * 2, '0'), 'hex');
}

/**
 * The CDOL1 data the card MACs: the values of 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 82 9F36 9F10,
 * concatenated in this order, the reference host's convention (host/cards.ts ARQC_CDOL1_TAGS,
 * docs/host.md). The host rebuilds the same string from field 55 to verify it.
 */
export function arqcInputFromTags(tags: readonly TlvNode[]): Buffer {
  const get = (tag: string): Buffer => {
    const node = findTag(tags, tag);
    if (!node) throw new CardImageError(`field 55 lacks tag ${tag} needed for the ARQC`);
    return node.value;
  };
  return Buffer.concat(ARQC_INPUT_TAGS.map(get));
}

export class SoftwareIcc {
  private atc: number;
  private lastSessionKey?: Buffer;
  private lastArqc?: Buffer;
  private lastCdol1?: Buffer;

  constructor(
    readonly image: TtpCardImage,
    private readonly counters: Map<string, number>,
  ) {
    if (!image.emv) throw new CardImageError('the card has no chip application (emv); swipe it instead', { name: image.name });
    const known = counters.get(image.pan);
    this.atc = Math.max(image.emv.atc, known ?? -1);
    if (!Number.isInteger(this.atc) || this.atc < 0 || this.atc > 0xfffe) throw new CardImageError(`ATC ${image.emv.atc} is outside 0..65534`);
  }

  private masterKey(): Buffer {
    const emv = this.image.emv!;
    if (emv.algorithm === 'sm4') throw new CardImageError('SM4 (国密) card cryptograms are not supported by the emulator', { name: this.image.name });
    if (emv.iccMasterKey) return hexOf(emv.iccMasterKey, 'emv.iccMasterKey', 16);
    const imk = hexOf(emv.imk, 'emv.imk (or emv.iccMasterKey)', 16);
    const psn = (this.image.psn ?? '00').padStart(2, '0');
    return emv.keyDerivation === 'B' ? deriveIccMasterKeyOptionB(imk, this.image.pan, psn) : deriveIccMasterKeyOptionA(imk, this.image.pan, psn);
  }

  /** First GENERATE AC: the card increments its ATC and returns an ARQC. */
  generateArqc(data: ArqcRequestData, method: TtpCardMethod): GeneratedArqc {
    const emv = this.image.emv!;
    this.atc += 1;
    this.counters.set(this.image.pan, this.atc);
    const atc = Buffer.from([(this.atc >> 8) & 0xff, this.atc & 0xff]);
    const aip = hexOf(emv.aip ?? DEFAULT_AIP, 'emv.aip', 2);
    const iad = hexOf(emv.issuerApplicationData ?? DEFAULT_IAD, 'emv.issuerApplicationData');
    const currency = bcd(emv.currencyCode ?? '156', 2);
    const tags: TlvNode[] = [
      { tag: '9F02', value: bcd(String(data.amount), 6) },
      { tag: '9F03', value: bcd('0', 6) },
      { tag: '9F1A', value: bcd('156', 2) },
      { tag: '95', value: data.tvr },
      { tag: '5F2A', value: currency },
      { tag: '9A', value: Buffer.from(data.date, 'hex') },
      { tag: '9C', value: Buffer.from(data.transactionType, 'hex') },
      { tag: '9F37', value: data.unpredictableNumber },
      { tag: '82', value: aip },
      { tag: '9F36', value: atc },
      { tag: '9F10', value: iad },
    ];
    const sessionKey = deriveCommonSessionKey(this.masterKey(), atc);
    const arqc = generateArqc(sessionKey, arqcInputFromTags(tags));
    this.lastSessionKey = sessionKey;
    this.lastArqc = arqc;
    this.lastCdol1 = arqcInputFromTags(tags);
    const aid = hexOf(emv.aid, 'emv.aid');
    const field55 = encodeTlv([
      { tag: '9F26', value: arqc },
      { tag: '9F27', value: Buffer.from([0x80]) },
      ...tags,
      { tag: '9F33', value: Buffer.from('E0E1C8', 'hex') },
      { tag: '9F34', value: data.cvmResults ?? Buffer.from('420300', 'hex') },
      { tag: '9F35', value: Buffer.from([0x22]) },
      { tag: '9F1E', value: Buffer.from(data.ifdSerial.padEnd(8, ' ').slice(0, 8), 'ascii') },
      { tag: '84', value: aid },
      { tag: '9F09', value: Buffer.from('0030', 'hex') },
      { tag: '9F41', value: bcd('1', 4) },
      ...(method === 'tap' ? [{ tag: '9F66', value: Buffer.from('36004000', 'hex') }] : []),
    ]);
    return { field55, arqc, atc, aid: aid.toString('hex').toUpperCase(), applicationLabel: emv.applicationLabel, tvr: data.tvr, iad };
  }

  /**
   * Second GENERATE AC: checks the issuer authentication data (tag 91 = ARPC ‖ ARC, method 1 under
   * the AC session key). Returns 'absent' when the host sent no tag 91 (the card then decides on
   * the response code alone, as for cards without issuer authentication).
   */
  verifyIssuerAuthentication(responseField55: Buffer | undefined): 'ok' | 'failed' | 'absent' {
    if (!responseField55 || responseField55.length === 0 || !this.lastSessionKey || !this.lastArqc) return 'absent';
    let tags: TlvNode[];
    try {
      tags = decodeTlv(responseField55);
    } catch {
      return 'failed';
    }
    const t91 = findTag(tags, '91');
    if (!t91) return 'absent';
    if (t91.value.length < 10) return 'failed';
    const arpc = t91.value.subarray(0, 8);
    const arc = t91.value.subarray(8, 10);
    const expected = generateArpcMethod1(this.lastSessionKey, this.lastArqc, arc);
    return expected.equals(arpc) ? 'ok' : 'failed';
  }

  /** What the card answered to each issuer script command it was given, in order (for logs and tests). */
  readonly scriptLog: IssuerScriptCommandResult[] = [];

  /**
   * Runs the issuer scripts of one template (71 before the second GENERATE AC, 72 after it): each
   * command in order until one fails (the rest of that script is not run), as EMV Book 3 §10.10.
   * A command the card takes is a secure-messaging (CLA 84 / 04) APPLICATION BLOCK / UNBLOCK, CARD
   * BLOCK, PIN CHANGE / UNBLOCK, PUT DATA or UPDATE RECORD with a consistent Lc; anything else gets
   * 6D00 / 6E00 / 6700. The secure-messaging MAC is not verified (test scripts carry zeros).
   */
  runIssuerScripts(scripts: readonly IssuerScript[], template: IssuerScriptTemplate): ScriptResult[] {
    const out: ScriptResult[] = [];
    for (const script of scripts.filter((s) => s.template === template)) {
      const scriptId = script.id ?? '00000000';
      let failedAt = 0;
      script.commands.forEach((apdu, i) => {
        if (failedAt) return;
        const sw = commandStatus(apdu);
        this.scriptLog.push({ scriptId, sequence: i + 1, apdu, sw });
        if (sw !== '9000') failedAt = i + 1;
      });
      out.push(failedAt ? { status: 'failed', failedCommand: Math.min(failedAt, 15), scriptId } : { status: 'performed', scriptId });
    }
    return out;
  }

  /** Second GENERATE AC after the host's answer: TC when `accept`, else AAC; ARC = the response code's two ASCII bytes. */
  secondGenerateAc(accept: boolean, responseCode: string): FinalCryptogram | undefined {
    if (!this.lastSessionKey || !this.lastCdol1) return undefined;
    const arc = Buffer.from(responseCode.padEnd(2, '0').slice(0, 2), 'ascii');
    const cid = accept ? 0x40 : 0x00;
    return { cryptogram: generateArqc(this.lastSessionKey, Buffer.concat([this.lastCdol1, arc, Buffer.from([cid])])), cid };
  }
}

/**
 * F55 of a batch-upload record (§3.10): the request's F55 as stored, with 9F26 overwritten by the
 * card's final cryptogram and 9F27 by its type (40 TC, 00 AAC).
 */
export function withFinalCryptogram(requestField55: Buffer, final: FinalCryptogram): Buffer {
  const tags = decodeTlv(requestField55).map((t): TlvNode => {
    if (t.tag === '9F26') return { tag: t.tag, value: final.cryptogram };
    if (t.tag === '9F27') return { tag: t.tag, value: Buffer.from([final.cid]) };
    return { tag: t.tag, value: t.value };
  });
  return encodeTlv(tags);
}

/**
 * The card's final cryptogram at the second GENERATE AC: a TC (9F27 40) when it accepts the
 * transaction, an AAC (9F27 00) when it declines. The MAC is over the CDOL1 data plus the ARC
 * (CDOL2 as this software card defines it); nobody verifies a TC online, it travels in the batch
 * upload (cup8583.md §3.10) as the record of what the card signed.
 */
export interface FinalCryptogram {
  /** 9F26 value, 8 bytes. */
  cryptogram: Buffer;
  /** 9F27: 0x40 TC, 0x00 AAC. */
  cid: number;
}

/** The tags of a request's field 55 that a reversal carries. */
export function reversalField55(requestField55: Buffer): Buffer {
  const tags = decodeTlv(requestField55);
  const kept: TlvNode[] = [];
  for (const tag of REVERSAL_TAGS) {
    const node = findTag(tags, tag);
    if (node) kept.push({ tag: node.tag, value: node.value });
  }
  return encodeTlv(kept);
}

/** One issuer script command as the card ran it. */
export interface IssuerScriptCommandResult {
  scriptId: string;
  /** 1-based position in its script. */
  sequence: number;
  apdu: string;
  /** Status word, e.g. 9000. */
  sw: string;
}

/** INS of the post-issuance commands a PBOC debit / credit application accepts in a script. */
const SCRIPT_INS = new Set(['16', '18', '1E', '24', 'DA', 'DC']);

/** The card's status word for one script command (APDU hex). */
function commandStatus(apdu: string): string {
  if (!/^([0-9A-F]{2}){4,}$/.test(apdu)) return '6700';
  const cla = apdu.slice(0, 2);
  const ins = apdu.slice(2, 4);
  if (cla !== '84' && cla !== '04') return '6E00';
  if (!SCRIPT_INS.has(ins)) return '6D00';
  const body = apdu.slice(8);
  if (body.length === 0) return '9000';
  const lc = parseInt(body.slice(0, 2), 16);
  const data = body.length / 2 - 1;
  return data === lc || data === lc + 1 ? '9000' : '6700'; // data, or data + Le
}
