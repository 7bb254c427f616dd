/**
 * One financial request (not a reversal): reads the card, PIN and chip data, decides (cup8583.md §7
 * response codes, the issuer rules of the host configuration), records the transaction row and books
 * its effect on the ledger. The handler in financial.ts builds the reply around it.
 */
import {
  decryptPinBlock,
  deriveCommonSessionKey,
  deriveIccMasterKeyOptionA,
  generateArpcMethod1,
  generateArqc,
  maskPan,
  recoverPin,
} from '../../crypto';
import {
  DOMESTIC_CARD_ORGANISATION,
  decodeBillPayee,
  decryptTrackData,
  FieldContentError,
  IsoMessage,
  parseField61,
  parsePosEntryMode,
  parseSecurityControl,
  sm4PinBlockFromF59,
  transactionKinds,
  transactionSpec,
  type BillPayee,
  type Field60,
  type TransactionKind,
} from '../../protocol/iso8583';
import { decodeTlv, encodeTlv, TlvDecodeError, type TlvNode } from '../../protocol/tlv';
import { issuerScriptTlv } from '../../protocol/iso8583/issuer-script';
import { ARQC_CDOL1_TAGS } from '../cards';
import { fallbackRefusal } from '../fallback-policy';
import type { CardConfig, HostConfig } from '../config';
import { checkCurrency, Decline, formatFen, type HostContext, type Request, type TerminalRuntime } from '../context';
import type { AccountRow, HostStore, TransactionRow } from '../store';

/** What a refund may refund: the settlement debits (sales, bill payments, completions). */
const REFUNDABLE_KINDS: readonly TransactionKind[] = transactionKinds((s) => s.settlement === 'debit');

/** The answers that approve (and book): 00, and 10 部分承兑 at the amount approved. */
export function approvedCode(code: string): boolean {
  return code === '00' || code === '10';
}

function flattenTlv(nodes: TlvNode[], out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const n of nodes) {
    if (n.children) flattenTlv(n.children, out);
    else if (!out.has(n.tag)) out.set(n.tag, n.value);
  }
  return out;
}

export class FinancialRequest {
  card?: CardConfig;
  pan?: string;
  amount = 0;
  authCode?: string;
  rrn: string;
  arpc?: (code: string) => Buffer;
  private original?: TransactionRow;
  private payee?: BillPayee;
  private txnId = 0;
  private readonly store: HostStore;
  private readonly config: HostConfig;
  private readonly now: Date;

  constructor(
    private readonly ctx: HostContext,
    private readonly req: Request,
    private readonly rt: TerminalRuntime,
    private readonly f60: Field60,
    private readonly stan: string,
    private readonly kind: TransactionKind,
  ) {
    this.store = ctx.store;
    this.config = ctx.config;
    this.now = req.now;
    this.rrn = ctx.nextRrn();
  }

  private get msg(): IsoMessage {
    return this.req.msg;
  }

  /** What a decline decided elsewhere (a fault) still records: the amount and the card, when readable. */
  readForDecline(): void {
    const f4raw = this.msg.getString(4);
    if (f4raw !== undefined && /^\d+$/.test(f4raw)) this.amount = Number(f4raw);
    try {
      this.readCard();
    } catch {
      /* the given code wins */
    }
  }

  /** The decision: '00', '10' (a sale partly approved: `amount` is what was), or a Decline with the F39 and why. */
  decide(): string {
    const rules = this.config.rules;
    const f4raw = this.msg.getString(4);
    if (f4raw !== undefined && /^\d+$/.test(f4raw)) this.amount = Number(f4raw);

    // A batch the host closed (0500 settled it, or 0320 ended its upload) takes no new transactions.
    const batch = this.f60.batchNumber;
    const closed = this.store.batchState(this.rt.config.terminalId, batch);
    if (closed) {
      throw new Decline(
        '12',
        `batch ${batch} is already ${closed.state} (0500/0510): it takes no new transactions; the terminal must settle and start its next batch`,
      );
    }
    checkCurrency(this.msg);

    if (this.kind !== 'balance') {
      const f4 = this.msg.getString(4);
      if (f4 === undefined) throw new Decline('30', 'F4 (amount) missing');
      this.amount = Number(f4);
      if (this.amount <= 0 || this.amount > rules.maxTransactionAmount) {
        throw new Decline('13', `amount ${formatFen(this.amount)} is outside 0.01..${formatFen(rules.maxTransactionAmount)}`);
      }
    }
    if (this.kind === 'bill-payment') {
      const f62 = this.msg.get(62);
      if (!Buffer.isBuffer(f62)) throw new Decline('30', 'bill payment without the payee (F62)');
      try {
        this.payee = decodeBillPayee(f62);
      } catch (err) {
        throw new Decline('30', (err as FieldContentError).message);
      }
    }
    this.readCard();
    const card = this.card!;

    if (card.status === 'lost') throw new Decline('41', 'card reported lost');
    if (card.status === 'stolen') throw new Decline('43', 'card reported stolen');
    if (card.status === 'expired' || card.expiry < this.ctx.yymm(this.now)) throw new Decline('54', `card expired (${card.expiry})`);
    if (card.status === 'restricted') throw new Decline('62', 'restricted card');
    const fallback = fallbackRefusal(card, this.msg.getString(22), this.f60);
    if (fallback) throw fallback;

    const acct = this.store.account(card.alias)!;
    this.checkPin(card, acct);
    this.checkChip(card);

    const available = acct.balance - acct.holds;
    const limit = card.limits.perTransaction;
    switch (this.kind) {
      case 'sale':
      case 'bill-payment':
      case 'preauth':
        if (limit !== undefined && this.amount > limit) throw new Decline('61', `amount over the card's per-transaction limit ${formatFen(limit)}`);
        if (this.amount > available) {
          // 部分承兑 (cup8583.md §2.4 60.6, §7 10): only a sale, only when the terminal says it takes one.
          if (this.kind === 'sale' && card.partialApproval && this.f60.partialApproval === '1' && available > 0) {
            this.amount = available;
            this.authCode = this.ctx.nextAuthCode();
            return '10';
          }
          throw new Decline('51', 'insufficient funds');
        }
        break;
      case 'balance':
        break;
      case 'void': {
        const o = this.findOriginal(['sale', 'bill-payment']);
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `transaction ${o.id} is already voided`);
        if (o.refunded > 0) throw new Decline('12', `transaction ${o.id} has been refunded`);
        if (o.amount !== this.amount)
          throw new Decline('64', `void amount ${formatFen(this.amount)} differs from the original ${formatFen(o.amount)}`);
        break;
      }
      case 'refund': {
        const o = this.findRefundOriginal();
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `transaction ${o.id} was voided`);
        if (o.refunded + this.amount > o.amount) {
          throw new Decline('13', `refund ${formatFen(this.amount)} exceeds what remains refundable (${formatFen(o.amount - o.refunded)})`);
        }
        break;
      }
      case 'preauth-add': {
        // 追加预授权 (cup8583.md §3.1 F25 = 60): only onto an open pre-authorisation of this card (25 / 12
        // otherwise, findPreauth); the added amount must be available, as a pre-authorisation's is.
        this.findPreauth();
        if (limit !== undefined && this.amount > limit) throw new Decline('61', `amount over the card's per-transaction limit ${formatFen(limit)}`);
        if (this.amount > available) throw new Decline('51', 'insufficient funds for the additional pre-authorisation');
        break;
      }
      case 'preauth-void': {
        const o = this.findPreauth();
        const total = this.ctx.authorisedTotal(o);
        if (total !== this.amount)
          throw new Decline('64', `pre-authorisation void amount ${formatFen(this.amount)} differs from the authorised ${formatFen(total)}`);
        break;
      }
      case 'preauth-completion':
      case 'preauth-completion-advice': {
        const o = this.findPreauth();
        // Up to the authorised total (the pre-authorisation and its 追加预授权) + the tolerance.
        const total = this.ctx.authorisedTotal(o);
        const max = Math.floor((total * (100 + rules.completionTolerancePercent)) / 100);
        if (this.amount > max)
          throw new Decline(
            '61',
            `completion ${formatFen(this.amount)} exceeds the authorised ${formatFen(total)} + ${rules.completionTolerancePercent}%`,
          );
        if (this.kind === 'preauth-completion' && this.amount > available + o.hold) throw new Decline('51', 'insufficient funds for the completion');
        break;
      }
      case 'preauth-completion-void': {
        const o = this.findOriginal(['preauth-completion', 'preauth-completion-advice']);
        if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `completion ${o.id} is already voided`);
        if (o.amount !== this.amount) throw new Decline('64', `completion void amount ${formatFen(this.amount)} differs from ${formatFen(o.amount)}`);
        break;
      }
      default:
        break;
    }
    if (this.kind !== 'balance') this.authCode = this.ctx.nextAuthCode();
    return '00';
  }

  private active(id: number): boolean {
    const t = this.store.transactionById(id);
    return !!t && t.approved === 1 && t.reversed === 0;
  }

  /** PAN from F2, else from track 2 (decrypted with the TDK when 53.3 = 1); the card must be on file. */
  private readCard(): void {
    const f2 = this.msg.getString(2);
    let track2 = this.msg.getString(35);
    const f53 = this.msg.getString(53);
    let security: ReturnType<typeof parseSecurityControl> | undefined;
    if (f53) {
      try {
        security = parseSecurityControl(f53);
      } catch (err) {
        throw new Decline('30', (err as Error).message);
      }
    }
    if (track2 && security?.trackEncrypted) {
      if (!this.rt.keys?.tdk) throw new Decline('30', 'track data marked encrypted (53.3 = 1) but the terminal signed on without a TDK (60.3 = 004)');
      track2 = decryptTrackData(this.rt.keys.tdk, track2);
    }
    const trackPan = track2 ? track2.split('=')[0] : undefined;
    if (f2 && trackPan && f2 !== trackPan) throw new Decline('30', 'F2 and the PAN of track 2 differ');
    const pan = f2 ?? trackPan;
    if (!pan || !/^\d{12,19}$/.test(pan)) throw new Decline('30', 'no PAN: neither F2 nor track 2 (F35)');
    this.pan = pan;
    const card = this.config.cards.find((c) => c.onFile && c.pan === pan);
    if (!card) throw new Decline('14', `card ${maskPan(pan)} is not on file`);
    this.card = card;
    this.checkCardData(card, track2);
  }

  /**
   * The card data a request carries must be what the card holds (cup8583.md §2.2 F14, F23, F35; §3.6:
   * F35 is the card's track 2, for a chip read its track-2 equivalent): an issuer checks the track data
   * (its verification value sits in the discretionary digits), so a terminal that rebuilds track 2 from
   * the PAN and expiry, or sends another expiry or card sequence number, gets 14. A chip's track-2
   * equivalent may carry other discretionary digits than the stripe (iCVV), so for a chip or tap read
   * only PAN = expiry + service code is compared with the card book.
   */
  private checkCardData(card: CardConfig, track2: string | undefined): void {
    const mismatch = (what: string) => {
      throw new Decline('14', `${what} is not what card ${maskPan(card.pan)} holds (cup8583.md §2.2, §3.6): the terminal altered the card data`);
    };
    let panEntry: string | undefined;
    try {
      panEntry = parsePosEntryMode(this.msg.getString(22) ?? '').panEntry;
    } catch {
      panEntry = undefined;
    }
    const chip = panEntry === 'contact' || panEntry === 'contactless' || panEntry === 'contactless-pboc';
    if (track2 !== undefined) {
      const head = `${card.pan}=${card.expiry}${card.serviceCode}`;
      if (chip ? !track2.startsWith(head) : track2 !== card.track2) mismatch(`F35 (${track2.length} characters, the card's ${card.track2.length})`);
    }
    const f14 = this.msg.getString(14);
    if (f14 !== undefined && f14 !== card.expiry) mismatch(`F14 ${f14}`);
    const f23 = this.msg.getString(23);
    if (chip && f23 !== undefined && f23 !== card.psn.padStart(3, '0')) mismatch(`F23 ${f23}`);
  }

  private checkPin(card: CardConfig, acct: AccountRow): void {
    const cipher = this.ctx.pinCipher(this.rt);
    let block: Buffer | undefined;
    if (cipher === 'sm4') {
      try {
        block = sm4PinBlockFromF59(this.msg.getString(59));
      } catch (err) {
        throw new Decline('30', (err as FieldContentError).message);
      }
    } else {
      const f52 = this.msg.get(52);
      block = Buffer.isBuffer(f52) ? f52 : undefined;
    }
    const entry = this.msg.getString(22);
    let contactless = false;
    if (entry) {
      try {
        const mode = parsePosEntryMode(entry);
        contactless = mode.panEntry === 'contactless' || mode.panEntry === 'contactless-pboc';
      } catch (err) {
        throw new Decline('30', (err as Error).message);
      }
    }
    const rules = this.config.rules;
    if (!block) {
      // 小额免密: the card product's own limit, else the issuer rule.
      const noPinLimit = card.limits.contactlessNoPin ?? rules.contactlessNoPinLimit;
      const noPinOk = contactless && this.kind !== 'balance' && this.amount <= noPinLimit;
      if (card.requirePin && transactionSpec(this.kind).pin === 'required' && !noPinOk) throw new Decline('55', 'PIN required but no PIN block sent');
      return;
    }
    if (acct.pin_tries >= rules.pinTryLimit) throw new Decline('75', `PIN tries exhausted (${acct.pin_tries} of ${rules.pinTryLimit})`);
    let pin: string;
    try {
      const security = this.msg.getString(53) ? parseSecurityControl(this.msg.getString(53)!) : undefined;
      const clear = decryptPinBlock(this.rt.keys!.pik, block, cipher);
      pin = security?.pinFormat === 'x98-without-pan' ? recoverPin(clear, undefined, 1) : recoverPin(clear, this.pan, 0);
    } catch (err) {
      // Not a PIN block under this PIK in the announced format: PIN format error, the terminal must sign on again.
      throw new Decline('99', `PIN block does not decode: ${(err as Error).message}`);
    }
    if (card.pin === undefined || pin !== card.pin) {
      const tries = acct.pin_tries + 1;
      this.store.setPinTries(card.alias, tries);
      if (tries >= rules.pinTryLimit) throw new Decline('75', `wrong PIN, try ${tries} of ${rules.pinTryLimit}: tries exhausted`);
      throw new Decline('55', `wrong PIN (try ${tries} of ${rules.pinTryLimit})`);
    }
    if (acct.pin_tries !== 0) this.store.setPinTries(card.alias, 0);
  }

  /** ARQC in F55 verified with the card's keys (59 when wrong); the reply carries 91 = ARPC ‖ ARC. */
  private checkChip(card: CardConfig): void {
    const f55 = this.msg.get(55);
    if (!Buffer.isBuffer(f55)) return;
    let tags: Map<string, Buffer>;
    try {
      tags = flattenTlv(decodeTlv(f55));
    } catch (err) {
      throw new Decline('30', `F55 is not BER-TLV: ${(err as TlvDecodeError).message}`);
    }
    const arqc = tags.get('9F26');
    if (!arqc || !card.emv || !this.config.rules.verifyArqc) return;
    if (arqc.length !== 8) throw new Decline('30', 'F55 tag 9F26 (ARQC) must be 8 bytes');
    const atc = tags.get('9F36');
    if (!atc || atc.length !== 2) throw new Decline('30', 'F55 lacks tag 9F36 (ATC, 2 bytes)');
    const missing = ARQC_CDOL1_TAGS.filter((t) => !tags.has(t));
    if (missing.length) throw new Decline('30', `F55 lacks CDOL1 tag(s) ${missing.join(', ')} needed to verify the ARQC`);
    const cdol = Buffer.concat(ARQC_CDOL1_TAGS.map((t) => tags.get(t)!));
    const f23 = this.msg.getString(23);
    const psn = f23 ? f23.slice(-2) : card.psn;
    const mk = deriveIccMasterKeyOptionA(card.emv.imk.reveal(), card.pan, psn);
    const sk = deriveCommonSessionKey(mk, atc);
    const expected = generateArqc(sk, cdol, 2);
    this.store.setLastAtc(card.alias, atc.readUInt16BE(0));
    this.arpc = (code: string) => {
      const arc = Buffer.from(code.padEnd(2, '0').slice(0, 2), 'ascii');
      const reply: TlvNode[] = [{ tag: '91', value: Buffer.concat([generateArpcMethod1(sk, arqc, arc), arc]) }];
      // The card's issuer script (scenarios/cards.yaml emv.issuerScript) rides on an approval (§3.11).
      const script = card.emv!.issuerScript;
      if (script && code === '00') {
        reply.push(issuerScriptTlv(script));
        this.req.note ??= `issuer script ${script.template} id ${script.id} (${script.commands.length} command(s)${script.label ? `, ${script.label}` : ''}) returned in F55`;
      }
      return encodeTlv(reply);
    };
    if (!expected.equals(arqc)) throw new Decline('59', 'ARQC does not verify (wrong card keys, PSN, ATC or CDOL1 data)');
  }

  private originalRef(): { batch: string; trace: string } {
    const f61 = this.msg.getString(61);
    if (!f61) throw new Decline('30', `${this.kind} needs F61 (original batch + trace)`);
    try {
      const p = parseField61(f61);
      return { batch: p.originalBatch, trace: p.originalTrace };
    } catch (err) {
      throw new Decline('30', (err as Error).message);
    }
  }

  /** The original of a void or a completion void: approved, same card, and in a batch that is still open. */
  private findOriginal(kinds: TransactionKind[]): TransactionRow {
    const ref = this.originalRef();
    const o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
    if (!o || !kinds.includes(o.kind) || !o.approved || o.reversed || o.card_alias !== this.card!.alias) {
      throw new Decline('25', `no approved ${kinds.join('/')} with batch ${ref.batch} trace ${ref.trace} for this card`);
    }
    // A void undoes a transaction of the open batch only; once settled the way back is a refund (退货).
    const settled = this.store.batchState(this.rt.config.terminalId, o.batch);
    if (settled) {
      throw new Decline(
        '22',
        `${o.kind} ${o.id} belongs to batch ${o.batch}, already ${settled.state}: a ${this.kind} is possible only within the open batch (refund it instead)`,
      );
    }
    this.original = o;
    return o;
  }

  private findRefundOriginal(): TransactionRow {
    const rrn = this.msg.getString(37);
    let o: TransactionRow | undefined;
    if (rrn && !/^0+$/.test(rrn)) o = this.store.transactionByRrn(rrn);
    if (!o && this.msg.has(61)) {
      const ref = this.originalRef();
      o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
    }
    if (!o || !REFUNDABLE_KINDS.includes(o.kind) || !o.approved || o.reversed || o.card_alias !== this.card!.alias) {
      throw new Decline('25', `no approved original for the refund (RRN ${rrn ?? '-'}) with this card`);
    }
    this.original = o;
    return o;
  }

  private findPreauth(): TransactionRow {
    let o: TransactionRow | undefined;
    if (this.msg.has(61)) {
      const ref = this.originalRef();
      o = this.store.transactionByStan(this.rt.config.terminalId, ref.batch, ref.trace);
      if (o && o.kind !== 'preauth') o = undefined;
    }
    const auth = this.msg.getString(38);
    if (!o && auth) o = this.store.transactionByAuthCode(this.rt.config.terminalId, auth, 'preauth');
    if (!o || !o.approved || o.reversed || o.card_alias !== this.card!.alias)
      throw new Decline('25', 'no approved pre-authorisation found (F61 / F38) for this card');
    if (o.voided_by !== null && this.active(o.voided_by)) throw new Decline('12', `pre-authorisation ${o.id} was voided`);
    if (o.completed_by !== null && this.active(o.completed_by)) throw new Decline('12', `pre-authorisation ${o.id} is already completed`);
    this.original = o;
    return o;
  }

  record(code: string): void {
    const entry = this.msg.getString(22);
    this.txnId = this.store.insertTransaction({
      terminal_id: this.rt.config.terminalId,
      merchant_id: this.rt.config.merchantId,
      batch: this.f60.batchNumber,
      stan: this.stan,
      mti: this.msg.mti,
      processing_code: this.msg.getString(3) ?? '',
      kind: this.kind,
      card_alias: this.card?.alias ?? null,
      pan_masked: this.pan ? maskPan(this.pan) : null,
      amount: this.amount,
      response_code: code,
      auth_code: approvedCode(code) ? (this.authCode ?? null) : null,
      rrn: this.rrn,
      at: this.now.toISOString(),
      approved: approvedCode(code) ? 1 : 0,
      original_id: this.original?.id ?? null,
      hold: 0,
      payee_name: this.payee?.name ?? null,
      payee_account: this.payee?.account ?? null,
      payee_reference: this.payee?.reference ?? null,
      entry_mode: entry ?? null,
      // The side of the settlement it counts on (cup8583.md §3.9): the organisation 63.1 of the reply names.
      card_org: this.card?.organisation ?? DOMESTIC_CARD_ORGANISATION,
    });
    if (!approvedCode(code)) this.authCode = undefined;
  }

  book(): void {
    const alias = this.card!.alias;
    const at = this.now.toISOString();
    const id = this.txnId;
    const o = this.original;
    switch (this.kind) {
      case 'sale':
      case 'bill-payment':
        this.store.book(id, alias, -this.amount, 'book', at);
        break;
      case 'void':
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.setVoidedBy(o!.id, id);
        break;
      case 'refund':
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.addRefunded(o!.id, this.amount);
        break;
      case 'preauth':
        this.store.setHold(id, this.amount);
        this.store.addHolds(alias, this.amount);
        break;
      case 'preauth-add':
        this.ctx.changePreauthHold(o!.id, this.amount);
        break;
      case 'preauth-void':
        this.ctx.closePreauth(o!.id, null);
        this.store.setVoidedBy(o!.id, id);
        break;
      case 'preauth-completion':
      case 'preauth-completion-advice':
        this.store.book(id, alias, -this.amount, 'book', at);
        this.ctx.closePreauth(o!.id, id);
        break;
      case 'preauth-completion-void': {
        this.store.book(id, alias, this.amount, 'book', at);
        this.store.setVoidedBy(o!.id, id);
        if (o!.original_id !== null) this.ctx.reopenPreauth(o!.original_id);
        break;
      }
      default:
        break;
    }
  }
}
