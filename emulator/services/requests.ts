/**
 * Building the terminal's ISO 8583 requests (cup8583.md §3): a request of a transaction kind
 * starts from the catalogue's template of the kind (protocol/iso8583 requestTemplate: MTI, F3,
 * F25, 60.1, 60.3) and gets
 * this terminal's ids, batch number and read capability; the card, PIN and chip fields are added
 * from what the card reader and the PIN pad produced. A fallback swipe (磁条降级) says so with F22 80x
 * and 60.5 = 2 (cup8583.md §2.3, §2.4). Four firmware defects live here: `entry-mode-always-swipe`
 * (F22), `fallback-not-marked` (F22 02x and 60.5 = 0 on a fallback), `pan-in-field-2-on-swipe` (F2 on
 * a swipe, §2.2), `pin-block-format-1` (F52), `track2-rebuilt-from-pan` (F35 made up from the PAN,
 * §2.2) and `icc-date-as-ascii` (9A of F55 in ASCII, §3.11).
 */
import * as nodeCrypto from 'node:crypto';
import { buildPinBlockFormat0, buildPinBlockFormat1, encryptPinBlock } from '../../crypto';
import {
  IsoMessage,
  TransactionKind,
  encodeSm4PinBlockF59,
  formatField60,
  formatSecurityControl,
  parseField60,
  requestTemplate,
  transactionSpec,
} from '../../protocol/iso8583';
import { decodeTlv, encodeTlv } from '../../protocol/tlv';
import type { TtpCardImage, TtpCardMethod } from '../../protocol/ttp';
import type { SoftwareIcc } from '../icc';
import { cvmResults, tapWithoutSignature } from '../quickpass';
import type { CardRead } from './card-reader';
import type { SessionCore } from './core';

function pad12(n: number): string {
  return String(n).padStart(12, '0');
}

export class Requests {
  constructor(private readonly core: SessionCore) {}

  /**
   * A request of `kind` from its catalogue template, with F41, F42, F60.2 = the open batch (60.3
   * overridden by `networkCode`; for financial kinds 60.4 = 6 for a tap, else 5, and 60.5 = 0; 60.6 = 1 on a
   * sale when the profile declares partialApproval),
   * F49 when the kind must carry it, and F4 given an amount.
   */
  request(kind: TransactionKind, opts: { amount?: number; read?: TtpCardMethod | 'manual'; networkCode?: string } = {}): IsoMessage {
    const spec = transactionSpec(kind);
    const msg = requestTemplate(kind, this.core.state.counters.batchNumber);
    if (opts.amount !== undefined) msg.set(4, pad12(opts.amount));
    msg.set(41, this.core.state.config.terminalId!);
    msg.set(42, this.core.state.config.merchantId!);
    if (spec.fields.must.includes(49)) msg.set(49, '156');
    const f60 = parseField60(msg.getString(60)!);
    if (opts.networkCode) f60.networkCode = opts.networkCode;
    if (spec.financial) Object.assign(f60, { readCapability: opts.read === 'tap' ? '6' : '5', icCondition: '0' });
    // 60.6 = 1 (cup8583.md §2.4): a sale of a terminal that declares it takes a partial approval (10).
    if (kind === 'sale' && this.core.host.profile.profile.partialApproval) f60.partialApproval = '1';
    msg.set(60, formatField60(f60));
    return msg;
  }

  /** F22: PAN entry mode (02 swipe, 80 fallback swipe, 05 chip, 07 contactless, 01 manual) + PIN capability (1 PIN, 2 none). */
  entryMode(method: TtpCardMethod | 'manual', pinEntered: boolean, fallback = false): string {
    const pan = this.core.defect('entry-mode-always-swipe')
      ? '02'
      : fallback
        ? '80'
        : method === 'swipe'
          ? '02'
          : method === 'insert'
            ? '05'
            : method === 'tap'
              ? '07'
              : '01';
    return pan + (pinEntered ? '1' : '2');
  }

  private track2Of(card: TtpCardImage): string {
    return card.track2 ?? `${card.pan}=${card.expiry}${card.serviceCode}0000000000`.slice(0, 37);
  }

  /** Card data fields (2, 14, 22, 23, 35, 36) and PIN fields (26, 52 or 59 A1, 53). */
  addCard(msg: IsoMessage, read: CardRead | undefined, pan: string, pin: string): void {
    const method = read?.method ?? 'manual';
    // F2 is for chip and manual entry only (cup8583.md §2.2): a swiped card's PAN travels in F35.
    if (method !== 'swipe' || this.core.defect('pan-in-field-2-on-swipe')) msg.set(2, pan);
    if (read && method !== 'swipe') msg.set(14, read.card.expiry);
    const fallback = !!read?.fallback && !this.core.defect('fallback-not-marked');
    msg.set(22, this.entryMode(method, pin.length > 0, fallback));
    if (fallback && msg.has(60)) {
      const f60 = parseField60(msg.getString(60)!);
      if (f60.icCondition !== undefined) msg.set(60, formatField60({ ...f60, icCondition: '2' }));
    }
    if (read?.icc) msg.set(23, (read.card.psn ?? '00').padStart(3, '0'));
    if (read) {
      // Defect track2-rebuilt-from-pan: F35 made up from PAN, expiry and service code, its discretionary data zeros.
      // With defects off it is the card's own track 2 (or track 2 equivalent data).
      msg.set(
        35,
        this.core.defect('track2-rebuilt-from-pan')
          ? `${read.card.pan}=${read.card.expiry}${read.card.serviceCode}0000000000`.slice(0, 37)
          : this.track2Of(read.card),
      );
      if (method === 'swipe' && read.card.track3) msg.set(36, read.card.track3);
    }
    const sm4 = this.core.state.ped.keyScheme === 'sm4';
    if (pin.length > 0) {
      msg.set(26, '12');
      const clear = this.core.defect('pin-block-format-1')
        ? buildPinBlockFormat1(pin, (n) => nodeCrypto.randomBytes(n))
        : buildPinBlockFormat0(pin, pan, sm4 ? 16 : 8);
      const block = encryptPinBlock(this.core.keys!.pik, clear, sm4 ? 'sm4' : 'tdes');
      // F52 holds 8 bytes; the 16-byte SM4 block travels in F59 tag A1 (the host's convention).
      if (sm4) msg.set(59, encodeSm4PinBlockF59(block));
      else msg.set(52, block);
    }
    if (pin.length > 0 || read) {
      msg.set(
        53,
        formatSecurityControl({
          pinFormat: pin.length > 0 ? 'x98-with-pan' : 'none',
          encryption: sm4 ? 'sm4' : 'tdes',
          trackEncrypted: false,
        }),
      );
    }
  }

  /** F55 from the card's first GENERATE AC (chip and contactless reads only). */
  addIcc(msg: IsoMessage, read: CardRead | undefined, amount: number, type9c: string): Arqc | undefined {
    if (!read?.icc) return undefined;
    const { yymmdd } = this.core.stamp();
    // 9F34 says the CVM actually done: the PIN block went with the request (F52, or F59 under SM4), or not.
    const pinTaken = msg.has(52) || msg.has(59);
    const signatureFree = type9c === '00' && tapWithoutSignature(read.method, amount, this.core.quickPassLimits(), this.core.host.defects);
    const arqc = read.icc.generateArqc(
      {
        amount,
        date: yymmdd,
        transactionType: type9c,
        unpredictableNumber: nodeCrypto.randomBytes(4),
        tvr: Buffer.alloc(5),
        ifdSerial: this.core.host.serialNumber,
        cvmResults: cvmResults(pinTaken, signatureFree, (d) => this.core.defect(d)),
      },
      read.method,
    );
    // Defect icc-date-as-ascii: tag 9A of F55 written as the six ASCII digits of YYMMDD instead of BCD (the card's
    // CDOL1 date and so its ARQC stay right). With defects off the card's F55 goes as it is.
    msg.set(
      55,
      this.core.defect('icc-date-as-ascii')
        ? encodeTlv(decodeTlv(arqc.field55).map((t) => (t.tag === '9A' ? { tag: '9A', value: Buffer.from(yymmdd, 'ascii') } : t)))
        : arqc.field55,
    );
    return arqc;
  }

  /** The STAN for the next message (F11); the `stan-not-incremented` defect repeats it for financial ones. */
  nextStan(financial: boolean): string {
    const c = this.core.state.counters;
    if (!(financial && this.core.defect('stan-not-incremented') && c.stan > 0)) {
      c.stan = c.stan >= 999999 ? 1 : c.stan + 1;
    }
    return String(c.stan).padStart(6, '0');
  }
}

export type Arqc = ReturnType<SoftwareIcc['generateArqc']>;
export { pad12 };
