/**
 * 结算 (settlement, cup8583.md §3.9–3.10): the totals confirmation (none for an ECR request), any
 * pending reversal first, 0500 with F48 debit/credit totals, then 批上送: the end message 207 when
 * the host says balanced (after the IC TC records, 60.3 203, when the profile uploads them), or every record 8 per 0320 (60.3 201) + end 202 when not; the slip; the
 * batch emptied and its number advanced.
 */
import { decodeSettlementTotals, encodeSettlementTotals, responseMtiOf } from '../../protocol/iso8583';
import type { HostLine } from '../host-link';
import { Bilingual, T, kindLabel, responseText } from '../texts';
import { pad12 } from '../services/requests';
import { SettlementTotalsView, renderSettlementSlip } from '../voucher';
import { Flow, FlowContext, FlowResult } from './types';

/**
 * 批上送. Unbalanced (LY "ALLLOG" pass, simplified): every financial record of the batch as
 * 40-digit items, 8 per 0320 (60.3 = 201), then the end message 202 with the count. Balanced:
 * only the end message 207 ("二代平台对账平也需要批结束报文"); it closes the batch at the host.
 * Returns the count uploaded, or undefined when the host stopped answering.
 */
async function batchUpload({ core, requests, online }: FlowContext, line: HostLine, balanced: boolean): Promise<number | undefined> {
  const records = balanced ? [] : core.state.batch;
  let sent = 0;
  // A profile with TC upload (LY "EMVLOG" pass): after a balanced settlement every approved IC
  // online record goes up on its own (60.3 203: F2, F4, F22, F23, F55 as stored), then 207.
  const tcRecords = balanced && core.host.profile.profile.balancedUpload === 'tc'
    ? core.state.batch.filter((tx) => tx.icc && ['sale', 'preauth-completion', 'bill-payment'].includes(tx.kind))
    : [];
  for (const tx of tcRecords) {
    const msg = requests.request('batch-upload', { networkCode: '203' });
    msg.set(2, tx.pan);
    msg.set(4, pad12(tx.amount));
    msg.set(11, requests.nextStan(false));
    msg.set(22, tx.entryMode);
    if (tx.psn) msg.set(23, tx.psn.padStart(3, '0'));
    msg.set(55, Buffer.from(tx.icc!, 'hex'));
    core.persist();
    const got = await online.exchange(line, msg, false);
    if ('error' in got || got.reply.mti !== responseMtiOf(msg.mti)) return undefined;
    sent += 1;
  }
  for (let i = 0; i < records.length; i += 8) {
    const chunk = records.slice(i, i + 8);
    const items = chunk.map((tx) => (tx.cardOrganisation === 'CUP' ? '00' : '01') + tx.trace + tx.pan.padStart(20, '0') + pad12(tx.amount));
    const msg = requests.request('batch-upload');
    msg.set(11, requests.nextStan(false));
    msg.set(48, String(chunk.length).padStart(2, '0') + items.join(''));
    core.persist();
    const got = await online.exchange(line, msg, false);
    if ('error' in got || got.reply.mti !== responseMtiOf(msg.mti)) return undefined;
    sent += chunk.length;
  }
  const end = requests.request('batch-upload-end', { networkCode: balanced ? '207' : '202' });
  end.set(11, requests.nextStan(false));
  end.set(48, String(sent).padStart(4, '0'));
  core.persist();
  const got = await online.exchange(line, end, false);
  if ('error' in got || got.reply.mti !== responseMtiOf(end.mti)) return undefined;
  return sent;
}

export const settlement: Flow = {
  name: 'settlement',
  menu: { key: '7', label: kindLabel('settlement') },
  ecr: { request: 'settle' },
  // A pending reversal goes out first: its MAC and its repetition are this flow's too.
  defects: ['tamper-ignored', 'wrong-mac', 'reversal-sent-twice', 'settlement-totals-off-by-one', 'batch-not-cleared', 'settlement-before-reversal'],
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
      ui.show('settle-failed', 'result', [ui.t(title), ui.t(T.settleFailed), ui.t(why)]);
      ui.beep('error');
      return { approved: false, message: ui.t(why), ...(code ? { responseCode: code } : {}) };
    };
    if (!line) return fail(T.commError);
    let uploaded = 0;
    let domesticResult = '0';
    let foreignResult = '0';
    try {
      const reversalFirst = !core.defect('settlement-before-reversal');
      if (reversalFirst && core.state.pendingReversal && !(await online.sendPendingReversal(line))) return fail(T.reversalFailed);
      const f48Side = (v: SettlementTotalsView) => ({ ...v, result: '0' as const });
      const domestic = f48Side(totals.domestic);
      if (core.defect('settlement-totals-off-by-one')) domestic.debitCount += 1;
      const msg = requests.request('settlement');
      msg.set(11, requests.nextStan(false));
      msg.set(48, encodeSettlementTotals({ domestic, foreign: f48Side(totals.foreign) }));
      msg.set(63, `${core.host.operator} `);
      core.persist();
      const got = await online.exchange(line, msg, false);
      if ('error' in got) return fail(online.linkFailure(got.error));
      const code = got.reply.getString(39);
      if (got.reply.mti !== responseMtiOf(msg.mti) || (code !== undefined && code !== '00')) {
        return fail(code ? { zh: responseText(code).zh, en: responseText(code).en } : T.responseMismatch, code);
      }
      try {
        const r = decodeSettlementTotals(got.reply.getString(48) ?? '');
        domesticResult = r.domestic.result;
        foreignResult = r.foreign.result;
      } catch {
        return fail(T.responseMismatch);
      }
      if (!reversalFirst && core.state.pendingReversal) await online.sendPendingReversal(line);
      const balanced = domesticResult === '1' && foreignResult === '1';
      if (!balanced) ui.show('batch-upload', 'settling', [ui.t(title), ui.t(T.batchUploading)]);
      const up = await batchUpload(s, line, balanced);
      if (up === undefined) return fail(T.commError);
      uploaded = up;
    } finally {
      line.close();
    }
    const { date, time } = core.stamp();
    const slip = renderSettlementSlip({
      ...core.voucherIds(), operator: core.host.operator, batch: core.state.counters.batchNumber, dateTime: `${date} ${time}`,
      domesticResult, foreignResult, domestic: totals.domestic, foreign: totals.foreign, byKind: totals.byKind, batchUploaded: uploaded,
    });
    const settledBatch = core.state.counters.batchNumber;
    core.state.lastSettlement = { batch: settledBatch, lines: slip };
    if (!core.defect('batch-not-cleared')) {
      core.state.batch = [];
      core.state.lastTrace = undefined;
      const next = Number(settledBatch) >= 999999 ? 1 : Number(settledBatch) + 1;
      core.state.counters.batchNumber = String(next).padStart(6, '0');
    }
    core.persist();
    ui.show('printing', 'printing', [ui.t(title), ui.t(T.printing)]);
    core.host.print('settlement', slip, false);
    const balancedText = domesticResult === '1' ? T.balanced : domesticResult === '2' ? T.unbalanced : T.reconcileError;
    ui.show('settled', 'result', [ui.t(title), ui.t(T.settleOk), `${ui.t(T.domestic)}${ui.t(balancedText)}`,
      `${ui.t(T.batchNo)}${settledBatch}`], { transaction: 'settle', batch: settledBatch, uploaded });
    ui.beep('ok');
    return { approved: true, responseCode: '00', message: ui.t(T.settleOk) };
  },
};
