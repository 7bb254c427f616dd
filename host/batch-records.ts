/**
 * IC records of the batch upload (cup8583.md §3.10): one 0320 per chip transaction, 60.3 203 / 205
 * for a TC record (the card's final cryptogram, 9F27 40, F62 `61…`) and 204 / 206 for a failed IC
 * record (F62 `71…`). The host parses each, finds its original in the batch's ledger and tells a
 * duplicate (an original an earlier record already covered: a terminal resuming its upload after a
 * power cut resends the record that was in flight) from a new one, so the batch's count of uploaded
 * records stays true. Pure reads over the store; the handler books what it decides.
 *
 * The original is the transaction of the record's batch with the same PAN (masked, as the ledger
 * keeps it), amount and chip transaction counter (9F36, read from the original request's F55 in the
 * journal); when several qualify the one whose trace equals the record's F11 comes first (LY sends
 * the original trace), then the oldest not yet covered.
 */
import type Database from 'better-sqlite3';
import { maskPan } from '../crypto';
import type { IsoMessage } from '../protocol/iso8583';
import { decodeTlv, findTag, type TlvNode } from '../protocol/tlv';
import { Decline } from './context';
import type { HostStore, TransactionRow } from './store';

export const TC_RECORD_CODES = ['203', '205'] as const;
export const FAILED_IC_RECORD_CODES = ['204', '206'] as const;
export const IC_RECORD_CODES: readonly string[] = [...TC_RECORD_CODES, ...FAILED_IC_RECORD_CODES];

/**
 * Kinds whose chip transactions may be uploaded as IC records: §3.10 names "IC online sales /
 * pre-auths" (a bill payment is a sale; a completion and an added pre-authorization are of the
 * pre-auth family). A terminal that uploads a pre-auth's TC is conformant even though the reference
 * terminal does not, so the host must not refuse it with 25.
 */
const RECORD_KINDS = ['sale', 'bill-payment', 'preauth', 'preauth-add', 'preauth-completion'];

export interface IcRecord {
  networkCode: string;
  failed: boolean;
  panMasked: string;
  amount: number;
  /** 9F36 hex. */
  atc: string;
  /** 9F27 hex (40 TC, 00 AAC). */
  cid: string;
  /** F62 as text. */
  f62: string;
  foreign: boolean;
  /** For failed records: 'card-declined' (F62 …11…10) or 'other' (…05…22). */
  failure?: 'card-declined' | 'other';
}

/** Parses one IC record; a malformed one is refused with 30 and what is wrong. */
export function parseIcRecord(msg: IsoMessage, networkCode: string): IcRecord {
  const failed = (FAILED_IC_RECORD_CODES as readonly string[]).includes(networkCode);
  const what = `${failed ? 'failed-IC' : 'TC'} record (60.3 ${networkCode})`;
  const pan = msg.getString(2);
  if (!pan || !/^\d{12,19}$/.test(pan)) throw new Decline('30', `${what}: F2 (PAN) missing or not 12-19 digits`);
  const f4 = msg.getString(4);
  if (!f4 || !/^\d{12}$/.test(f4)) throw new Decline('30', `${what}: F4 (amount) missing or not 12 digits`);
  const f55 = msg.getBuffer(55);
  if (!f55 || f55.length === 0) throw new Decline('30', `${what}: F55 (IC data with the card's final cryptogram) missing`);
  let tags: TlvNode[];
  try {
    tags = decodeTlv(f55);
  } catch (err) {
    throw new Decline('30', `${what}: F55 is not BER-TLV (${(err as Error).message})`);
  }
  const hexOf = (tag: string) => findTag(tags, tag)?.value.toString('hex').toUpperCase();
  const cryptogram = hexOf('9F26');
  const cid = hexOf('9F27');
  const atc = hexOf('9F36');
  if (!cryptogram || cryptogram.length !== 16) throw new Decline('30', `${what}: F55 lacks 9F26 (8-byte application cryptogram)`);
  if (!cid) throw new Decline('30', `${what}: F55 lacks 9F27 (cryptogram information data)`);
  if (!atc) throw new Decline('30', `${what}: F55 lacks 9F36 (ATC), which ties the record to its original`);
  if (!failed && cid !== '40')
    throw new Decline('30', `${what}: 9F27 is ${cid}, a TC record carries the card's TC (9F27 40), not the request's ARQC (80)`);
  const f62 = msg.getBuffer(62)?.toString('latin1') ?? msg.getString(62);
  if (!f62) throw new Decline('30', `${what}: F62 missing (61… for a TC record, 71… for a failed one)`);
  const amount = Number(f4);
  if (!failed) {
    const m = /^61(00|01)00(\d{12})156$/.exec(f62);
    if (!m) throw new Decline('30', `${what}: F62 ${JSON.stringify(f62)} is not 61 + 00/01 + 00 + amount n12 + 156`);
    if (Number(m[2]) !== amount) throw new Decline('30', `${what}: F62 amount ${m[2]} differs from F4 ${f4}`);
    return { networkCode, failed, panMasked: maskPan(pan), amount, atc, cid, f62, foreign: m[1] === '01' };
  }
  const m = /^71(00|01)(11|05)(\d{12})156(10|22)$/.exec(f62);
  if (!m || (m[2] === '11') !== (m[4] === '10')) {
    throw new Decline(
      '30',
      `${what}: F62 ${JSON.stringify(f62)} is not 71 + 0011 + amount n12 + 156 + 10 (card declined) or 71 + 0005 + amount + 156 + 22 (other failure)`,
    );
  }
  if (Number(m[3]) !== amount) throw new Decline('30', `${what}: F62 amount ${m[3]} differs from F4 ${f4}`);
  const failure = m[2] === '11' ? ('card-declined' as const) : ('other' as const);
  if (failure === 'card-declined' && cid !== '00')
    throw new Decline('30', `${what}: F62 says the card declined (…10) but 9F27 is ${cid}, not 00 (AAC)`);
  return { networkCode, failed, panMasked: maskPan(pan), amount, atc, cid, f62, foreign: m[1] === '01', failure };
}

/** What a record of the batch upload turned out to be. */
export type RecordMatch =
  | { kind: 'matched'; original: TransactionRow }
  | { kind: 'duplicate'; original: TransactionRow; earlier: { stan: string; at: string } }
  | { kind: 'unmatched'; why: string };

/** Detail kept per IC record in batch_uploads (JSON). */
export interface IcRecordDetail {
  originalId: number | null;
  originalStan: string | null;
  pan: string;
  amount: number;
  atc: string;
  duplicateOf?: string;
}

const statements = new WeakMap<
  Database.Database,
  {
    candidates: Database.Statement;
    journalF55: Database.Statement;
    uploads: Database.Statement;
  }
>();

function prepared(db: Database.Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      candidates: db.prepare(`SELECT * FROM transactions WHERE terminal_id = ? AND batch = ? AND pan_masked = ? AND amount = ?
        AND kind IN (${RECORD_KINDS.map((k) => `'${k}'`).join(',')}) ORDER BY id`),
      journalF55: db.prepare(`SELECT in_fields FROM journal WHERE terminal_id = ? AND stan = ? AND mti = ? ORDER BY id DESC LIMIT 1`),
      uploads: db.prepare(
        `SELECT stan, at, detail FROM batch_uploads WHERE terminal_id = ? AND batch = ? AND network_code IN ('203','204','205','206') ORDER BY id`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

/** The ATC (9F36) of an original request as the journal shows its F55 (`TAG=VALUE …`); undefined when not journaled. */
function originalAtc(db: Database.Database, t: TransactionRow): string | undefined {
  const row = prepared(db).journalF55.get(t.terminal_id, t.stan, t.mti) as { in_fields: string | null } | undefined;
  if (!row?.in_fields) return undefined;
  try {
    const f55 = (JSON.parse(row.in_fields) as Record<string, string>)['55'];
    return f55
      ?.split(/\s+/)
      .find((p) => p.startsWith('9F36='))
      ?.slice(5);
  } catch {
    return undefined;
  }
}

/** Finds the record's original in its batch and whether an earlier record already covered it. */
export function matchIcRecord(store: HostStore, terminalId: string, batch: string, recordStan: string, rec: IcRecord): RecordMatch {
  const s = prepared(store.db);
  const all = s.candidates.all(terminalId, batch, rec.panMasked, rec.amount) as TransactionRow[];
  // A TC record stands for an approval that stood; a failed record for one the card or the terminal undid.
  const eligible = all.filter((t) => (rec.failed ? true : t.approved === 1 && t.reversed === 0));
  const sameCard = eligible.filter((t) => {
    const atc = originalAtc(store.db, t);
    return atc === undefined || atc === rec.atc;
  });
  const what = `${rec.failed ? 'failed-IC' : 'TC'} record (60.3 ${rec.networkCode}) ${rec.panMasked} ${(rec.amount / 100).toFixed(2)} ATC ${rec.atc}`;
  if (!sameCard.length) {
    const why = !all.length
      ? `no chip transaction of batch ${batch} has this card and amount`
      : !eligible.length
        ? `the transaction(s) of batch ${batch} with this card and amount were not approved or were reversed (a TC record stands for an approval that stood)`
        : `no transaction of batch ${batch} with this card and amount has ATC ${rec.atc}`;
    return { kind: 'unmatched', why: `${what} matches no original: ${why}` };
  }
  const covered = new Map<number, { stan: string; at: string }>();
  for (const u of s.uploads.all(terminalId, batch) as { stan: string; at: string; detail: string | null }[]) {
    try {
      const d = JSON.parse(u.detail ?? '{}') as Partial<IcRecordDetail>;
      if (typeof d.originalId === 'number' && !covered.has(d.originalId)) covered.set(d.originalId, { stan: u.stan, at: u.at });
    } catch {
      /* an older detail format: not an IC record of this module */
    }
  }
  const ordered = [...sameCard.filter((t) => t.stan === recordStan), ...sameCard.filter((t) => t.stan !== recordStan)];
  const fresh = ordered.find((t) => !covered.has(t.id));
  if (fresh) return { kind: 'matched', original: fresh };
  const original = ordered[0];
  return { kind: 'duplicate', original, earlier: covered.get(original.id)! };
}
