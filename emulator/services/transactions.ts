/**
 * The terminal's batch and the end of every authorization: may this terminal transact now
 * (signed on, batch not full), the result screen, the stored record, the vouchers, and the
 * settlement totals of the open batch. Defects that bite here: response-51-shown-as-success,
 * lost-card-shown-as-plain-failure (result screens); the voucher defects are applied by voucher.ts.
 * A paperless terminal (profile electronicSignature) takes the cardholder's signature on its screen
 * after an approved purchase, uploads it (online.ts) and prints it on the voucher (电签).
 */
import { DOMESTIC_CARD_ORGANISATION, IsoMessage, parseField63Response, transactionSpec } from '../../protocol/iso8583';
import type { TtpEcrCommand } from '../../protocol/ttp';
import { FlowAbort } from '../inputs';
import type { StoredKind, StoredTransaction } from '../state-store';
import { Bilingual, T, formatAmount, responseText } from '../texts';
import { SettlementTotalsView, SlipKindRows, renderVoucher, voucherCopies } from '../voucher';
import type { CardRead } from './card-reader';
import type { SessionCore } from './core';
import type { Management } from './management';
import { signatureHash } from '../../protocol/ttp/signature';
import { tapWithoutSignature } from '../quickpass';
import type { Online, OnlineOutcome } from './online';
import type { Arqc } from './requests';
import type { Ui } from './ui';

/** What a flow ends with: the result screen's meaning, and the ECR reply. */
export interface FlowResult {
  approved: boolean;
  responseCode?: string;
  message: string;
  amount?: number;
  trace?: string;
  rrn?: string;
  authCode?: string;
  pan?: string;
}

export interface BatchTotals {
  domestic: SettlementTotalsView;
  foreign: SettlementTotalsView;
  /** The settlement slip's rows by kind, per side: §6 prints the 内卡 rows, then the same for 外卡. */
  byKind: { domestic: SlipKindRows; foreign: SlipKindRows };
}

/** The settlement slip's rows by kind (the debit / credit sides come from the catalogue). */
const BY_KIND: Partial<Record<StoredKind, keyof SlipKindRows>> = {
  sale: 'sale',
  'bill-payment': 'billPayment',
  'preauth-completion': 'completion',
  void: 'void',
  refund: 'refund',
};

export class Transactions {
  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly management: Management,
    private readonly online: Online,
  ) {}

  /**
   * 电签: a purchase whose voucher asks for a signature (not a tap under the 免签 limit) is signed on
   * the screen of a terminal that declares electronicSignature; the image is uploaded (0820 60.3 800)
   * and its hash kept with the record for the voucher. A cardholder who does not sign leaves the
   * paper signature line.
   */
  private async electronicSignature(kind: StoredKind, title: Bilingual, tx: StoredTransaction): Promise<void> {
    const { host } = this.core;
    if (!host.profile.profile.electronicSignature || (kind !== 'sale' && kind !== 'bill-payment')) return;
    if (tapWithoutSignature(tx.entry, tx.amount, host.profile.profile.contactless, host.defects)) return;
    const image = await this.ui.takeSignature(title, tx.amount);
    if (!image) return;
    tx.eSignature = { sha256: signatureHash(image), bytes: image.length };
    this.core.persist();
    this.ui.show('online', 'online', [this.ui.t(title), this.ui.t(T.signatureUploading)], { transaction: kind });
    await this.online.uploadSignature(this.online.signatureUpload(tx, image));
  }

  /** Signed on (signing on now if needed), or the refusal. */
  async readyToTransact(title: Bilingual): Promise<FlowResult | undefined> {
    if (await this.management.ensureSignedOn()) return undefined;
    this.ui.show('declined', 'result', [this.ui.t(title), this.ui.t(T.signOnFailed)]);
    return { approved: false, message: this.ui.t(T.signOnFailed) };
  }

  /** 500 records is the batch's capacity: settle first. */
  batchFull(title: Bilingual): FlowResult | undefined {
    if (this.core.state.batch.length < 500) return undefined;
    this.ui.show('declined', 'result', [this.ui.t(title), this.ui.t(T.batchFull)]);
    return { approved: false, message: this.ui.t(T.batchFull) };
  }

  /** The amount an ECR request brought, checked (fen, 1..12 digits, not zero). */
  ecrAmount(ecr: TtpEcrCommand | undefined): number | undefined {
    if (!ecr?.amount) return undefined;
    if (!/^\d{1,12}$/.test(ecr.amount) || Number(ecr.amount) === 0)
      throw new FlowAbort('cancelled', `ecr amount ${ecr.amount} is not 1..12 digits of fen`);
    return Number(ecr.amount);
  }

  /** A batch record (not voided, not a void or refund) by its voucher number. */
  findInBatch(trace: string): StoredTransaction | undefined {
    return this.core.state.batch.find((t) => t.trace === trace && t.kind !== 'void' && t.kind !== 'refund');
  }

  printVouchers(tx: StoredTransaction, reprint: boolean): void {
    const { host } = this.core;
    for (const copy of voucherCopies(this.core.state.config.voucherCopies, host.defects)) {
      host.print(
        copy,
        renderVoucher(tx, copy, {
          ...this.core.voucherIds(),
          operator: this.core.operator,
          reprint,
          defects: host.defects,
          terminalMadeRrn: `${tx.date.replace(/-/g, '').slice(2)}${tx.trace}`,
          quickPass: this.core.quickPassLimits(),
        }),
        reprint,
        tx.trace,
      );
    }
  }

  /** Builds the stored record from an approved reply. */
  private record(
    kind: StoredKind,
    request: IsoMessage,
    reply: IsoMessage,
    read: CardRead | undefined,
    pan: string,
    amount: number,
    extra: Partial<StoredTransaction>,
  ): StoredTransaction {
    const { date, time } = this.core.stamp();
    let org = 'CUP';
    try {
      org = parseField63Response(reply.getString(63) ?? 'CUP').cardOrganisation;
    } catch {
      /* keep CUP */
    }
    // Defect foreign-card-booked-domestic: 63.1 ignored, every card booked 内卡 (§3.9 totals, §3.10 flags, §6 外卡组织).
    if (org !== DOMESTIC_CARD_ORGANISATION && this.core.defect('foreign-card-booked-domestic')) org = DOMESTIC_CARD_ORGANISATION;
    const f44 = reply.getString(44);
    const hostTime = reply.getString(12);
    const hostDate = reply.getString(13);
    const tx: StoredTransaction = {
      kind,
      trace: request.getString(11)!,
      batch: this.core.state.counters.batchNumber,
      amount,
      pan,
      entry: read?.method ?? 'manual',
      entryMode: request.getString(22) ?? '012',
      rrn: reply.getString(37) ?? '',
      authCode: (reply.getString(38) ?? '').trim(),
      date: hostDate ? `${date.slice(0, 4)}-${hostDate.slice(0, 2)}-${hostDate.slice(2, 4)}` : date,
      time: hostTime ? `${hostTime.slice(0, 2)}:${hostTime.slice(2, 4)}:${hostTime.slice(4, 6)}` : time,
      responseCode: reply.getString(39) ?? '',
      cardOrganisation: org,
      voided: false,
      pinEntered: request.has(52),
      ...extra,
    };
    if (read) tx.expiry = read.card.expiry;
    if (read?.card.psn) tx.psn = read.card.psn;
    if (f44) {
      tx.issuerId = f44.slice(0, 11).trim();
      tx.acquirerId = f44.slice(11).trim();
    }
    if (request.has(55)) tx.icc = request.getBuffer(55)!.toString('hex').toUpperCase();
    return tx;
  }

  /**
   * 主管密码 before a void or refund when the profile has a supervisor password: undefined when
   * given right, else the refusal (密码错误) as the flow's result.
   */
  async supervisor(title: Bilingual): Promise<FlowResult | undefined> {
    const password = this.core.host.profile.profile.supervisor.password;
    if (!password) return undefined;
    const typed = await this.ui.enterDigits(title, T.supervisorPassword, 'supervisor-password', { min: 4, max: 8, mask: true });
    if (typed === password || this.core.defect('supervisor-password-not-checked')) return undefined;
    this.ui.refuse([this.ui.t(title), this.ui.t(T.failed), this.ui.t(T.supervisorWrong)], { reason: 'supervisor-password' });
    return { approved: false, message: this.ui.t(T.supervisorWrong) };
  }

  /** The declined screen of a reply (§7 text + code, 请联系银行 where the code asks for it). */
  declineLines(title: Bilingual, code: string): string[] {
    const rt = responseText(code);
    const profile = this.core.host.profile;
    // The profile's own wording (a vendor's §7 variant) in Chinese; English stays the reference's.
    const own = this.core.language === 'zh-CN' ? profile.responseTexts?.[code] : undefined;
    // The defect hides what a lost / stolen card is: a bare failure with the code only.
    const hidden = (code === '41' || code === '43') && this.core.defect('lost-card-shown-as-plain-failure');
    const lines = [this.ui.t(title), this.ui.t(T.failed), hidden ? `[${code}]` : `${own ?? this.ui.t(rt)} [${code}]`];
    if (rt.contactBank && profile.contactBankLine && !hidden) lines.push(this.ui.t(T.contactBank));
    return lines;
  }

  /** The end of every authorization: result screen, voucher, batch. */
  async conclude(
    kind: StoredKind,
    title: Bilingual,
    outcome: OnlineOutcome,
    request: IsoMessage,
    read: CardRead | undefined,
    pan: string,
    amount: number,
    extra: Partial<StoredTransaction>,
    arqc?: Arqc,
  ): Promise<FlowResult> {
    const { core, ui } = this;
    const trace = request.getString(11);
    if (outcome.failure) {
      const lines = [ui.t(title), ui.t(T.failed), ui.t(outcome.failure)];
      if (core.state.pendingReversal) lines.push(ui.t(T.willReverse));
      ui.refuse(lines, { transaction: kind, responseCode: outcome.responseCode });
      return { approved: false, responseCode: outcome.responseCode, message: ui.t(outcome.failure), amount, trace, pan };
    }
    const reply = outcome.reply!;
    const code = outcome.responseCode ?? '';
    const fakeSuccess = code === '51' && core.defect('response-51-shown-as-success');
    if (!outcome.approved && !fakeSuccess) {
      ui.refuse(this.declineLines(title, code), { transaction: kind, responseCode: code });
      return { approved: false, responseCode: code, message: ui.t(responseText(code)), amount, trace, pan };
    }
    // 10 部分承兑 (cup8583.md §7): the reply's F4 is what the issuer approved; it is what the terminal
    // shows, prints and books (the defect prints the amount asked for).
    const requested = amount;
    if (code === '10' && /^\d{12}$/.test(reply.getString(4) ?? '')) amount = Number(reply.getString(4));
    const tx = this.record(kind, request, reply, read, pan, amount, extra);
    if (arqc) {
      tx.emv = {
        arqc: arqc.arqc.toString('hex').toUpperCase(),
        tvr: arqc.tvr.toString('hex').toUpperCase(),
        aid: arqc.aid,
        atc: arqc.atc.toString('hex').toUpperCase(),
        applicationLabel: arqc.applicationLabel,
        tsi: 'E800',
        ...(outcome.tc ? { tc: outcome.tc.cryptogram.toString('hex').toUpperCase() } : {}),
      };
    }
    if (!fakeSuccess) {
      // Pre-authorizations are kept apart (not in the settlement totals); their voids only close them and
      // an addition (追加预授权) only raises them (the flow does).
      if (kind === 'preauth') core.state.preAuths.push(tx);
      else if (kind !== 'preauth-void' && kind !== 'preauth-add') core.state.batch.push(tx);
      core.state.lastTrace = tx.trace;
      core.persist();
    }
    if (!fakeSuccess) await this.electronicSignature(kind, title, tx);
    ui.show('printing', 'printing', [ui.t(title), ui.t(T.printing)]);
    const printedWrong = amount !== requested && core.defect('partial-approval-requested-amount-printed');
    // Defect original-marked-as-reprint: the first print goes out as a reprint (§6 prints the mark on a reprint only).
    this.printVouchers(printedWrong ? { ...tx, amount: requested } : tx, core.defect('original-marked-as-reprint'));
    await ui.pause(1500);
    const lines = [ui.t(title), ui.t(T.success), `${ui.t(T.amount)}${formatAmount(amount)}`];
    if (code !== '00' && !fakeSuccess) lines.push(ui.t(responseText(code)));
    lines.push(ui.t(T.tearOff));
    ui.show('approved', 'result', lines, { transaction: kind, responseCode: fakeSuccess ? '00' : code, trace: tx.trace });
    ui.beep('ok');
    return {
      approved: true,
      responseCode: fakeSuccess ? '00' : code,
      message: ui.t(T.success),
      amount,
      trace: tx.trace,
      rrn: tx.rrn,
      authCode: tx.authCode,
      pan,
    };
  }

  /** Debit (sales incl. those voided later, bill payments, completions) and credit (voids, refunds) of the open batch. */
  totals(): BatchTotals {
    const side = (): SettlementTotalsView => ({ debitCount: 0, debitAmount: 0, creditCount: 0, creditAmount: 0 });
    const domestic = side();
    const foreign = side();
    const kinds = (): SlipKindRows => ({ sale: [0, 0], billPayment: [0, 0], completion: [0, 0], void: [0, 0], refund: [0, 0] });
    const byKind: BatchTotals['byKind'] = { domestic: kinds(), foreign: kinds() };
    for (const tx of this.core.state.batch) {
      const s = tx.cardOrganisation === 'CUP' ? domestic : foreign;
      // The slip's rows follow the same side as the totals (a foreign card's refund is no 内卡 退货).
      const rows = s === domestic ? byKind.domestic : byKind.foreign;
      const k = BY_KIND[tx.kind];
      if (k) {
        rows[k][0]++;
        rows[k][1] += tx.amount;
      }
      const sideOf = transactionSpec(tx.kind).settlement;
      if (sideOf === 'debit') {
        s.debitCount++;
        s.debitAmount += tx.amount;
      } else if (sideOf === 'credit') {
        s.creditCount++;
        s.creditAmount += tx.amount;
      }
    }
    return { domestic, foreign, byKind };
  }

  /** 借记 n x.xx / 贷记 n x.xx lines of the settlement confirmation and 交易汇总. */
  totalsLines(t: BatchTotals): string[] {
    const ui = this.ui;
    return [
      `${ui.t(T.batchNo)}${this.core.state.counters.batchNumber}`,
      `${ui.t(T.debit)} ${t.domestic.debitCount + t.foreign.debitCount} ${formatAmount(t.domestic.debitAmount + t.foreign.debitAmount)}`,
      `${ui.t(T.credit)} ${t.domestic.creditCount + t.foreign.creditCount} ${formatAmount(t.domestic.creditAmount + t.foreign.creditAmount)}`,
    ];
  }
}
