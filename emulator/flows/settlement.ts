/**
 * 结算 (settlement, cup8583.md §3.9–3.10): the totals confirmation (none for an ECR request), any
 * pending reversal first, 0500 with F48 debit/credit totals, then 批上送: balanced, the IC TC and
 * failed-IC records (203 / 204) when the profile uploads them, then the end 207; unbalanced, the
 * magstripe and voided records 8 per 0320 (201), the TC records (205) and failed-IC records (206),
 * then the end 202. The upload's progress is saved record by record and resumed after a power cut.
 * Then the slip; the batch emptied and its number advanced.
 */
import { IsoMessage, decodeSettlementTotals, encodeSettlementTotals, formatField60, responseMtiOf } from '../../protocol/iso8583';
import type { HostLine } from '../host-link';
import { withFinalCryptogram } from '../icc';
import { IC_RECORD_KINDS } from '../services/online';
import type { BatchUploadProgress, FailedIcRecord, StoredTransaction } from '../state-store';
import { Bilingual, T, kindLabel, responseText } from '../texts';
import { pad12 } from '../services/requests';
import { SettlementTotalsView, renderSettlementSlip } from '../voucher';
import { Flow, FlowContext, FlowResult } from './types';

/** One 0320 of the batch upload: its progress key, how many records it counts, and the message. */
interface UploadItem {
  key: string;
  records: number;
  build(): IsoMessage;
}

/** F62 of an IC record (§3.10, LY): `61` TC / `71` failed, card-organisation digits, amount n12, 156, failure code. */
function icRecordF62(kind: 'tc' | 'failed', org: string, amount: number, failure?: FailedIcRecord['failure']): Buffer {
  const foreign = org !== 'CUP';
  const text =
    kind === 'tc'
      ? `61${foreign ? '01' : '00'}00${pad12(amount)}156`
      : failure === 'card-declined'
        ? `71${foreign ? '01' : '00'}11${pad12(amount)}15610`
        : `71${foreign ? '01' : '00'}05${pad12(amount)}15622`;
  return Buffer.from(text, 'ascii');
}

/**
 * The 0320 messages a settlement's 批上送 sends (LY PosBatchUp, cup8583.md §3.10), in LY's order:
 * unbalanced (ALLLOG): the magstripe and voided records as 40-digit items 8 per 0320 (201), each
 * inserted chip record as a TC record (205), each failed IC record (206); balanced (EMVLOG) with a
 * profile that uploads TCs: the TC records (203) and failed IC records (204) only; balanced otherwise:
 * none. The end message (207 balanced, 202 not) follows.
 */
function uploadItems({ core, requests }: FlowContext, balanced: boolean): UploadItem[] {
  const tcUpload = !balanced || core.host.profile.profile.balancedUpload === 'tc';
  const isTc = (tx: StoredTransaction) =>
    tx.entry === 'insert' && !!tx.icc && !!tx.emv?.tc && !tx.voided && (IC_RECORD_KINDS as readonly string[]).includes(tx.kind);
  const tcs = tcUpload ? core.state.batch.filter(isTc) : [];
  const listed = balanced ? [] : core.state.batch.filter((tx) => !isTc(tx));
  const failed = tcUpload ? (core.state.failedIc ?? []).filter((r) => r.batch === core.state.counters.batchNumber) : [];
  const items: UploadItem[] = [];
  const icMessage = (networkCode: string, r: { pan: string; amount: number; entryMode: string; psn?: string }, f55: Buffer, f62: Buffer) => {
    const msg = requests.request('batch-upload', { networkCode });
    msg.set(
      60,
      formatField60({ transactionType: '00', batchNumber: core.state.counters.batchNumber, networkCode, readCapability: '5', icCondition: '0' }),
    );
    msg.set(2, r.pan);
    msg.set(4, pad12(r.amount));
    msg.set(11, requests.nextStan(false));
    msg.set(22, r.entryMode);
    if (r.psn) msg.set(23, r.psn.padStart(3, '0'));
    msg.set(55, f55);
    msg.set(62, f62);
    return msg;
  };
  for (let i = 0; i < listed.length; i += 8) {
    const chunk = listed.slice(i, i + 8);
    items.push({
      key: `list:${chunk.map((tx) => tx.trace).join(',')}`,
      records: chunk.length,
      build: () => {
        const msg = requests.request('batch-upload');
        msg.set(11, requests.nextStan(false));
        const lines = chunk.map((tx) => (tx.cardOrganisation === 'CUP' ? '00' : '01') + tx.trace + tx.pan.padStart(20, '0') + pad12(tx.amount));
        msg.set(48, String(chunk.length).padStart(2, '0') + lines.join(''));
        return msg;
      },
    });
  }
  for (const tx of tcs) {
    items.push({
      key: `tc:${tx.trace}`,
      records: 1,
      build: () => {
        const stored = Buffer.from(tx.icc!, 'hex');
        // The record carries what the card finally signed (TC, 9F27 40), not the ARQC of the request.
        const f55 = core.defect('tc-upload-wrong-cryptogram-type')
          ? stored
          : withFinalCryptogram(stored, { cryptogram: Buffer.from(tx.emv!.tc!, 'hex'), cid: 0x40 });
        return icMessage(balanced ? '203' : '205', tx, f55, icRecordF62('tc', tx.cardOrganisation, tx.amount));
      },
    });
  }
  for (const r of failed) {
    items.push({
      key: `failed:${r.trace}`,
      records: 1,
      build: () => icMessage(balanced ? '204' : '206', r, Buffer.from(r.icc, 'hex'), icRecordF62('failed', r.cardOrganisation, r.amount, r.failure)),
    });
  }
  return items;
}

/**
 * 批上送, resumable: each 0320 the host acknowledges is marked in the saved progress before the next
 * leaves (LY ucBatchSendFlag), so after a power cut the upload goes on with the rest and the end
 * message's F48 still counts every record. Returns the count uploaded, or undefined when the host
 * stopped answering (the progress stays for the next attempt).
 */
async function batchUpload(s: FlowContext, line: HostLine, progress: BatchUploadProgress): Promise<number | undefined> {
  const { core, requests, online } = s;
  const balanced = progress.domesticResult === '1' && progress.foreignResult === '1';
  for (const item of uploadItems(s, balanced)) {
    if (progress.sent.includes(item.key)) continue;
    const msg = item.build();
    core.persist();
    const got = await online.exchange(line, msg, false);
    if ('error' in got || got.reply.mti !== responseMtiOf(msg.mti)) return undefined;
    progress.sent.push(item.key);
    progress.count += item.records;
    core.persist();
  }
  const end = requests.request('batch-upload-end', { networkCode: balanced ? '207' : '202' });
  end.set(11, requests.nextStan(false));
  end.set(48, String(progress.count).padStart(4, '0'));
  core.persist();
  const got = await online.exchange(line, end, false);
  if ('error' in got || got.reply.mti !== responseMtiOf(end.mti)) return undefined;
  return progress.count;
}

export const settlement: Flow = {
  name: 'settlement',
  menu: { key: '7', label: kindLabel('settlement') },
  ecr: { request: 'settle' },
  // A pending reversal goes out first: its MAC and its repetition are this flow's too.
  defects: [
    'tamper-ignored',
    'wrong-mac',
    'reversal-sent-twice',
    'settlement-totals-off-by-one',
    'batch-not-cleared',
    'settlement-before-reversal',
    'tc-upload-wrong-cryptogram-type',
    'tc-upload-duplicated-after-restart',
    'ecr-settle-result-empty',
    // These two bite at power-on (session.ts boot), before any flow runs; a settlement is where they show.
    'failed-ic-lost-on-power-cut',
    'ecr-busy-after-boot',
    // Bites where a transaction is booked (transactions.ts record, RESULT_DEFECTS); shows in this flow's F48 and upload flags.
    'foreign-card-booked-domestic',
  ],
  async run(s, ecr) {
    const { core, ui, requests, online, transactions } = s;
    const title = kindLabel('settlement');
    const notReady = await transactions.readyToTransact(title);
    if (notReady) return notReady;
    const totals = transactions.totals();
    if (!ecr) await ui.confirm('settle-confirm', [ui.t(T.confirmSettle), ...transactions.totalsLines(totals)]);
    ui.show('settling', 'settling', [ui.t(title), ui.t(T.settling)]);
    const line = await online.open();
    const fail = (why: Bilingual, code?: string): FlowResult => {
      // TTP §7.6: the outcome names the F39 the acquirer answered, when it answered.
      ui.show('settle-failed', 'result', [ui.t(title), ui.t(T.settleFailed), ui.t(why)], {
        transaction: 'settle',
        ...(code ? { responseCode: code } : {}),
      });
      ui.beep('error');
      return { approved: false, message: ui.t(why), ...(code ? { responseCode: code } : {}) };
    };
    if (!line) return fail(T.commError);
    let uploaded = 0;
    let domesticResult = '0';
    let foreignResult = '0';
    try {
      // A settlement whose batch upload a power cut (or the line) interrupted: the host has settled
      // this batch already, so the upload resumes where it stopped (no second 0500).
      let progress = core.state.batchUpload?.batch === core.state.counters.batchNumber ? core.state.batchUpload : undefined;
      if (progress && core.defect('tc-upload-duplicated-after-restart')) progress = { ...progress, sent: [], count: 0 };
      if (!progress) {
        const reversalFirst = !core.defect('settlement-before-reversal');
        if (reversalFirst && core.state.pendingReversal && !(await online.sendPendingReversal(line))) return fail(T.reversalFailed);
        // 电签 uploads still unanswered go before the batch is closed (the acquirer holds every signature of it).
        if (core.state.pendingSignatures?.length) await online.sendPendingSignatures(line);
        const f48Side = (v: SettlementTotalsView) => ({ ...v, result: '0' as const });
        const domestic = f48Side(totals.domestic);
        if (core.defect('settlement-totals-off-by-one')) domestic.debitCount += 1;
        const msg = requests.request('settlement');
        msg.set(11, requests.nextStan(false));
        msg.set(48, encodeSettlementTotals({ domestic, foreign: f48Side(totals.foreign) }));
        msg.set(63, `${core.operator} `);
        core.persist();
        const got = await online.exchange(line, msg, false);
        if ('error' in got) return fail(online.linkFailure(got.error));
        const code = got.reply.getString(39);
        if (got.reply.mti !== responseMtiOf(msg.mti) || (code !== undefined && code !== '00')) {
          return fail(code ? { zh: responseText(code).zh, en: responseText(code).en } : T.responseMismatch, code);
        }
        let r: ReturnType<typeof decodeSettlementTotals>;
        try {
          r = decodeSettlementTotals(got.reply.getString(48) ?? '');
        } catch {
          return fail(T.responseMismatch);
        }
        if (!reversalFirst && core.state.pendingReversal) await online.sendPendingReversal(line);
        progress = { batch: core.state.counters.batchNumber, domesticResult: r.domestic.result, foreignResult: r.foreign.result, sent: [], count: 0 };
      }
      core.state.batchUpload = progress;
      core.persist();
      domesticResult = progress.domesticResult;
      foreignResult = progress.foreignResult;
      const balanced = domesticResult === '1' && foreignResult === '1';
      if (!balanced) ui.show('batch-upload', 'settling', [ui.t(title), ui.t(T.batchUploading)]);
      const up = await batchUpload(s, line, progress);
      if (up === undefined) return fail(T.commError);
      uploaded = up;
    } finally {
      line.close();
    }
    const { date, time } = core.stamp();
    const slip = renderSettlementSlip({
      ...core.voucherIds(),
      operator: core.operator,
      batch: core.state.counters.batchNumber,
      dateTime: `${date} ${time}`,
      domesticResult,
      foreignResult,
      domestic: totals.domestic,
      foreign: totals.foreign,
      byKind: totals.byKind,
      batchUploaded: uploaded,
    });
    const settledBatch = core.state.counters.batchNumber;
    core.state.lastSettlement = { batch: settledBatch, lines: slip };
    core.state.batchUpload = undefined;
    if (!core.defect('batch-not-cleared')) {
      core.state.batch = [];
      core.state.failedIc = undefined;
      core.state.lastTrace = undefined;
      const next = Number(settledBatch) >= 999999 ? 1 : Number(settledBatch) + 1;
      core.state.counters.batchNumber = String(next).padStart(6, '0');
    }
    core.persist();
    ui.show('printing', 'printing', [ui.t(title), ui.t(T.printing)]);
    core.host.print('settlement', slip, false);
    const balancedText = domesticResult === '1' ? T.balanced : domesticResult === '2' ? T.unbalanced : T.reconcileError;
    ui.show('settled', 'result', [ui.t(title), ui.t(T.settleOk), `${ui.t(T.domestic)}${ui.t(balancedText)}`, `${ui.t(T.batchNo)}${settledBatch}`], {
      transaction: 'settle',
      batch: settledBatch,
      uploaded,
    });
    ui.beep('ok');
    // Defect ecr-settle-result-empty: the cash register gets a result that says nothing of how it ended (only the
    // cash register reads it: a settlement from the menu shows the same screens). With defects off the result says so.
    return core.defect('ecr-settle-result-empty') ? ({} as FlowResult) : { approved: true, responseCode: '00', message: ui.t(T.settleOk) };
  },
};
