/**
 * The IC records of a batch upload as the acquirer saw them (cup8583.md §3.10), judged against the
 * terminal's own transactions in the host journal: every chip sale that stood goes up as a TC record
 * (60.3 203 balanced when the profile uploads them, 205 unbalanced; F55 with the card's TC, 9F27 40;
 * F62 `61…`), every chip sale the card declined after the host's approval as a failed-IC record (204
 * / 206; F62 `71…`), each matched by the host to its original, its F62 naming the card organisation
 * the host answered for that original (00 CUP / 01 foreign); and after a power cut mid-upload the
 * terminal resends at most the record that was in flight. Pure functions over journal messages.
 */
import type { TerminalProfile } from '../protocol/ttp/profile';
import { approvedOfBatch, batchOf, organisationFlagOf, replyTo, type HostMessage } from './host-view';

const RECORD_KINDS = ['sale', 'bill-payment', 'preauth-completion'] as const;

const tagOf = (m: HostMessage, tag: string): string | undefined =>
  (m.fields[55] ?? '')
    .split(/\s+/)
    .find((p) => p.startsWith(`${tag}=`))
    ?.slice(tag.length + 1);
const networkCode = (m: HostMessage) => (m.fields[60] ?? '').slice(8, 11);
const isChip = (m: HostMessage) => /^0[57]/.test(m.fields[22] ?? '') && m.fields[55] !== undefined;
/** F62 as text (the journal shows binary fields as hex). */
const f62Text = (m: HostMessage) => {
  const v = m.fields[62] ?? '';
  return /^([0-9A-F]{2})+$/.test(v) ? Buffer.from(v, 'hex').toString('latin1') : v;
};
const describe = (m: HostMessage) => `${m.kind} STAN ${m.stan} (${m.fields[2] ?? '?'}, ${m.fields[4] ?? '?'})`;
/** The same card, amount and transaction counter: a record and its original. */
const sameTransaction = (record: HostMessage, original: HostMessage) =>
  record.fields[2] === original.fields[2] &&
  record.fields[4] === original.fields[4] &&
  tagOf(record, '9F36') !== undefined &&
  tagOf(record, '9F36') === tagOf(original, '9F36');

/** IC records (60.3 203-206) of a batch, in journal order. */
export function icRecordsOf(messages: readonly HostMessage[], batch: string | undefined): HostMessage[] {
  return messages.filter(
    (m) => m.direction === 'in' && m.kind === 'batch-upload' && batchOf(m) === batch && ['203', '204', '205', '206'].includes(networkCode(m)),
  );
}

/** Whether the host took a record: its reply 00 and its note naming the original it matched (or a tolerated duplicate). */
function hostMatched(messages: readonly HostMessage[], record: HostMessage): string | undefined {
  const reply = replyTo(messages, record);
  if (!reply) return 'the host did not answer it';
  if (reply.responseCode !== '00') return `the host refused it with ${reply.responseCode}${record.note ? ` (${record.note})` : ''}`;
  if (!/matched to|^duplicate /.test(record.note ?? ''))
    return `the host's journal does not say it matched an original (${record.note ?? 'no note'})`;
  return undefined;
}

/**
 * TC records after the settlement of `batch` (`balanced`: the 0510 said 对账平 on both sides). Every
 * chip sale of the batch that stood (approved, not reversed, not voided) must be there once when the
 * upload is due (unbalanced, or balanced with a profile that uploads TCs), with the right 60.3, the
 * card's TC and F62, and matched by the host; when it is not due, there must be none. Problems, or [].
 */
export function judgeTcRecords(messages: readonly HostMessage[], batch: string, balanced: boolean, profile: TerminalProfile): string[] {
  const records = icRecordsOf(messages, batch).filter((m) => ['203', '205'].includes(networkCode(m)));
  if (balanced && profile.balancedUpload === 'none') {
    return records.length
      ? [`the profile declares no upload after a balanced settlement (balancedUpload none), but ${records.length} TC record(s) went up`]
      : [];
  }
  const voided = new Set(
    messages
      .filter((m) => m.direction === 'in' && m.kind === 'void' && replyTo(messages, m)?.responseCode === '00')
      .map((m) => (m.fields[61] ?? '').slice(6, 12)),
  );
  const originals = approvedOfBatch(messages, batch, RECORD_KINDS).filter(
    (m) => isChip(m) && /^05/.test(m.fields[22] ?? '') && !voided.has(m.stan ?? ''),
  );
  const code = balanced ? '203' : '205';
  const problems: string[] = [];
  for (const o of originals) {
    const mine = records.filter((r) => sameTransaction(r, o));
    if (!mine.length) {
      problems.push(`${describe(o)}: no TC record (0320 60.3 ${code}) reached the host`);
      continue;
    }
    const r = mine[0];
    const where = `TC record STAN ${r.stan} for ${describe(o)}`;
    if (networkCode(r) !== code)
      problems.push(`${where}: 60.3 is ${networkCode(r)}, after a${balanced ? ' balanced' : 'n unbalanced'} settlement it is ${code}`);
    if (tagOf(r, '9F27') !== '40') problems.push(`${where}: 9F27 is ${tagOf(r, '9F27') ?? 'absent'}, a TC record carries the card's TC (9F27 40)`);
    if (tagOf(r, '9F26') === tagOf(o, '9F26')) problems.push(`${where}: 9F26 is the ARQC of the request, not the card's final cryptogram (TC)`);
    // The card-organisation digits name the card of the original (00 CUP, 01 foreign), as in the 201 lists.
    const org = organisationFlagOf(messages, o);
    if (!new RegExp(`^61${org}00${o.fields[4]}156$`).test(f62Text(r)))
      problems.push(
        `${where}: F62 ${JSON.stringify(f62Text(r))} is not 61 + ${org} (${org === '00' ? 'a CUP card' : 'a foreign card'}) + 00 + amount + 156`,
      );
    const host = hostMatched(messages, r);
    if (host) problems.push(`${where}: ${host}`);
  }
  for (const r of records.filter((x) => !originals.some((o) => sameTransaction(x, o)))) {
    problems.push(`TC record STAN ${r.stan} (${r.fields[2] ?? '?'}, ${r.fields[4] ?? '?'}) stands for no chip sale of batch ${batch} that stood`);
  }
  return problems;
}

/**
 * Failed-IC records after the settlement of `batch`: every approved chip sale of the batch the
 * terminal then reversed with reason 06 (the card declined at its second GENERATE AC) goes up as a
 * failed-IC record (204 balanced when the profile uploads, 206 unbalanced; F62 `71…`), matched by the host.
 */
export function judgeFailedIcRecords(messages: readonly HostMessage[], batch: string, balanced: boolean, profile: TerminalProfile): string[] {
  const records = icRecordsOf(messages, batch).filter((m) => ['204', '206'].includes(networkCode(m)));
  if (balanced && profile.balancedUpload === 'none') {
    return records.length
      ? [`the profile declares no upload after a balanced settlement (balancedUpload none), but ${records.length} failed-IC record(s) went up`]
      : [];
  }
  const declinedByCard = messages.filter(
    (m) =>
      m.direction === 'in' &&
      (RECORD_KINDS as readonly string[]).includes(m.kind) &&
      batchOf(m) === batch &&
      isChip(m) &&
      replyTo(messages, m)?.responseCode === '00' &&
      messages.some((r) => r.direction === 'in' && r.kind === 'reversal' && r.stan === m.stan && r.fields[39] === '06'),
  );
  const code = balanced ? '204' : '206';
  const problems: string[] = [];
  if (!declinedByCard.length)
    problems.push(`no chip sale of batch ${batch} was approved by the host and then reversed with reason 06 (the card's decline)`);
  for (const o of declinedByCard) {
    const r = records.find((x) => sameTransaction(x, o));
    if (!r) {
      problems.push(`${describe(o)}: the card declined it after the host's approval, but no failed-IC record (0320 60.3 ${code}) reached the host`);
      continue;
    }
    const where = `failed-IC record STAN ${r.stan} for ${describe(o)}`;
    if (networkCode(r) !== code)
      problems.push(`${where}: 60.3 is ${networkCode(r)}, after a${balanced ? ' balanced' : 'n unbalanced'} settlement it is ${code}`);
    const f62 = f62Text(r);
    const org = organisationFlagOf(messages, o);
    if (!new RegExp(`^71${org}(11${o.fields[4]}15610|05${o.fields[4]}15622)$`).test(f62)) {
      problems.push(
        `${where}: F62 ${JSON.stringify(f62)} is not 71 + ${org} (${org === '00' ? 'a CUP card' : 'a foreign card'}) + 11 + amount + 156 + 10 (card declined) or 71 + ${org} + 05 + amount + 156 + 22`,
      );
    }
    if (f62.slice(4, 6) === '11' && tagOf(r, '9F27') !== '00')
      problems.push(`${where}: F62 says the card declined but 9F27 is ${tagOf(r, '9F27') ?? 'absent'}, not 00 (AAC)`);
    const host = hostMatched(messages, r);
    if (host) problems.push(`${where}: ${host}`);
  }
  return problems;
}

/** What identifies one upload message's content: an IC record by card, amount and ATC; a list or other record by its F48 / F11 content. */
function uploadIdentity(m: HostMessage): string {
  if (['203', '204', '205', '206'].includes(networkCode(m))) return `ic:${m.fields[2]}:${m.fields[4]}:${tagOf(m, '9F36')}`;
  if (networkCode(m) === '201') return `list:${m.fields[48]}`;
  return `one:${m.fields[2]}:${m.fields[4]}:${m.fields[61] ?? ''}`;
}

/**
 * After a power cut during the upload (`cutAfterId`: the last journal id before the cut), the
 * terminal resumes: only the upload message in flight at the cut (the last one the host received
 * before it, whose answer the terminal may never have seen) may come again; any other repeat is a
 * record the terminal had seen acknowledged. Also: the upload ended (202 / 207) after the restart.
 */
export function judgeResumedUpload(messages: readonly HostMessage[], batch: string, cutAfterId: number): string[] {
  const uploads = messages.filter((m) => m.direction === 'in' && m.kind === 'batch-upload' && batchOf(m) === batch);
  const before = uploads.filter((m) => m.id <= cutAfterId);
  const after = uploads.filter((m) => m.id > cutAfterId);
  const problems: string[] = [];
  if (!before.length) problems.push(`the host received no batch upload of batch ${batch} before the power cut`);
  const inFlight = before.length ? uploadIdentity(before[before.length - 1]) : undefined;
  const acknowledged = new Set(before.slice(0, -1).map(uploadIdentity));
  for (const m of after) {
    if (acknowledged.has(uploadIdentity(m)))
      problems.push(`0320 STAN ${m.stan} (60.3 ${networkCode(m)}) repeats a record the host had acknowledged before the power cut`);
  }
  const repeatsInFlight = after.filter((m) => uploadIdentity(m) === inFlight).length;
  if (repeatsInFlight > 1) problems.push(`the record in flight at the power cut was sent ${repeatsInFlight} times after the restart`);
  const end = messages.find((m) => m.direction === 'in' && m.kind === 'batch-upload-end' && batchOf(m) === batch && m.id > cutAfterId);
  if (!end) problems.push(`no batch upload end (0320 60.3 202 / 207) for batch ${batch} after the restart`);
  return problems;
}

/** Whether the host's 0510 for the last settlement of `batch` said 对账平 on both sides; undefined without one. */
export function settlementBalanced(messages: readonly HostMessage[], batch: string): boolean | undefined {
  const req = messages.filter((m) => m.direction === 'in' && m.kind === 'settlement' && batchOf(m) === batch).pop();
  const f48 = req ? replyTo(messages, req)?.fields[48] : undefined;
  return f48 === undefined ? undefined : f48[30] === '1' && f48[61] === '1';
}
