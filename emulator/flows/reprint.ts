/**
 * 重打印 (reprint, sub-menu 8): 1.重打印最后一笔, 2.重打印任意一笔 (voucher number), 3.重打印结算单.
 * Reprints carry ****重打印/DUPLICATED**** and `reprint: true` (defect: reprint-not-marked). By
 * ECR: `reprint` with originalTrace reprints that voucher, without it the last one.
 */
import { T } from '../texts';
import { REPRINT_MARK } from '../voucher';
import { Flow, FlowContext, FlowResult, VOUCHER_DEFECTS } from './types';

function nothingToPrint({ ui }: FlowContext): FlowResult {
  ui.refuse([ui.t(T.reprint), ui.t(T.noTransaction)]);
  return { approved: false, message: ui.t(T.noTransaction) };
}

/** The voucher(s) of a record of the batch (or an open pre-authorization), marked as a reprint. */
function reprintVoucher(s: FlowContext, trace: string | undefined): FlowResult {
  const { core, ui, transactions } = s;
  const tx = trace ? [...core.state.batch, ...core.state.preAuths].find((t) => t.trace === trace) : undefined;
  if (!tx) return nothingToPrint(s);
  ui.show('printing', 'printing', [ui.t(T.reprint), ui.t(T.printing)]);
  transactions.printVouchers(tx, true);
  ui.show('reprinted', 'result', [ui.t(T.reprint), ui.t(T.tearOff)]);
  return { approved: true, message: ui.t(T.reprint), trace: tx.trace, amount: tx.amount, rrn: tx.rrn, authCode: tx.authCode, pan: tx.pan };
}

export const reprintLast: Flow = {
  name: 'reprint-last',
  menu: { key: '1', label: T.reprintLast, under: 'reprint' },
  ecr: { request: 'reprint', when: (r) => !r.originalTrace },
  defects: ['reprint-not-marked', ...VOUCHER_DEFECTS],
  async run(s) {
    return reprintVoucher(s, s.core.state.lastTrace);
  },
};

export const reprintAny: Flow = {
  name: 'reprint-any',
  menu: { key: '2', label: T.reprintAny, under: 'reprint' },
  ecr: { request: 'reprint', when: (r) => Boolean(r.originalTrace) },
  defects: ['reprint-not-marked', ...VOUCHER_DEFECTS],
  async run(s, ecr) {
    const trace = ecr?.originalTrace ?? (await s.ui.enterDigits(T.reprint, T.enterVoucherNo, 'reprint-trace', { min: 1, max: 6 }));
    return reprintVoucher(s, trace.padStart(6, '0'));
  },
};

export const reprintSettlement: Flow = {
  name: 'reprint-settlement',
  menu: { key: '3', label: T.reprintSettlement, under: 'reprint' },
  defects: ['reprint-not-marked'],
  async run(s) {
    const { core, ui } = s;
    const last = core.state.lastSettlement;
    if (!last) return nothingToPrint(s);
    ui.show('printing', 'printing', [ui.t(T.reprint), ui.t(T.printing)]);
    const lines = [...last.lines];
    if (!core.defect('reprint-not-marked')) lines.push(REPRINT_MARK);
    core.host.print('settlement', lines, true);
    ui.show('reprinted', 'result', [ui.t(T.reprint), ui.t(T.tearOff)]);
    return { approved: true, message: ui.t(T.reprint) };
  },
};
