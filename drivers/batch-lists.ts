/**
 * The magstripe lists of a batch upload (0320, 60.3 201; cup8583.md §3.10) judged against the
 * terminal's own transactions in the host journal: F48 is a 2-digit count (1..8) and that many
 * 40-digit items, each card organisation 00 / 01 + the original's trace + its PAN zero-padded to 20 +
 * its amount; every item names an approved transaction of the settled batch (same trace, card and
 * amount), the host answered every list 00, and after an unbalanced settlement every approved
 * magstripe sale of the batch is in a list. Pure functions over journal messages (PANs as the
 * journal masks them, first 6 + last 4, on both sides).
 */
import { approvedOfBatch, batchOf, FINANCIAL_KINDS, organisationFlagOf, replyTo, type HostMessage } from './host-view';

const networkCode = (m: HostMessage) => (m.fields[60] ?? '').slice(8, 11);
/** The (masked) card number of a request: F2, else the PAN part of F35. */
const panOf = (m: HostMessage) => m.fields[2] ?? (m.fields[35] ?? '').split(/[=D]/)[0];

/** The 201 lists of a batch, in journal order. */
export function batchListsOf(messages: readonly HostMessage[], batch: string): HostMessage[] {
  return messages.filter((m) => m.direction === 'in' && m.kind === 'batch-upload' && batchOf(m) === batch && networkCode(m) === '201');
}

/**
 * Problems with the magstripe lists uploaded after the settlement of `batch` (`balanced`: the 0510
 * said 对账平 on both sides, when no list is due), or [].
 */
export function judgeBatchLists(messages: readonly HostMessage[], batch: string, balanced: boolean): string[] {
  const lists = batchListsOf(messages, batch);
  const originals = approvedOfBatch(messages, batch, FINANCIAL_KINDS);
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const list of lists) {
    const where = `list STAN ${list.stan}`;
    const reply = replyTo(messages, list);
    if (reply?.responseCode !== '00') problems.push(`${where}: the host answered ${reply ? `F39 ${reply.responseCode}` : 'nothing'}`);
    const f48 = list.fields[48] ?? '';
    const count = Number(f48.slice(0, 2));
    if (!/^\d{2}/.test(f48) || count < 1 || count > 8 || f48.length !== 2 + 40 * count) {
      problems.push(`${where}: F48 ${JSON.stringify(f48.slice(0, 12))}… (${f48.length} digits) is not a count 01..08 and that many 40-digit items`);
      continue;
    }
    for (let i = 0; i < count; i++) {
      const item = f48.slice(2 + 40 * i, 42 + 40 * i);
      const [org, trace, pan, amount] = [item.slice(0, 2), item.slice(2, 8), item.slice(8, 28).replace(/^0+/, ''), item.slice(28)];
      const o = originals.find((m) => m.stan === trace);
      if (!o) {
        problems.push(`${where} item ${i + 1}: trace ${trace} is no approved transaction of batch ${batch}`);
        continue;
      }
      listed.add(trace);
      const want = { org: organisationFlagOf(messages, o), pan: panOf(o), amount: o.fields[4] };
      if (org !== want.org || pan !== want.pan || amount !== want.amount)
        problems.push(
          `${where} item ${i + 1} (${org} ${trace} ${pan} ${amount}) does not match ${o.kind} STAN ${trace} (${want.org} ${want.pan} ${want.amount})`,
        );
    }
  }
  if (!balanced) {
    for (const o of originals.filter((m) => m.kind === 'sale' && /^(02|80)/.test(m.fields[22] ?? '') && !listed.has(m.stan ?? ''))) {
      problems.push(`magstripe sale STAN ${o.stan} (${panOf(o)}, ${o.fields[4]}) is in no list (0320 60.3 201) after the unbalanced settlement`);
    }
  }
  return problems;
}
