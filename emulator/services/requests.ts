/**
 * Building the terminal's ISO 8583 requests (cup8583.md §3): a request of a transaction kind
 * starts from the kind's row of the transaction catalogue (MTI, F3, F25, 60.1, 60.3) and gets
 * this terminal's ids, batch number and read capability; the card, PIN and chip fields are added
 * from what the card reader and the PIN pad produced. Two firmware defects live here:
 * `entry-mode-always-swipe` (F22) and `pin-block-format-1` (F52).
 */
import * as nodeCrypto from 'node:crypto';
import { buildPinBlockFormat0, buildPinBlockFormat1, encryptPinBlock } from '../../crypto';
import { IsoMessage, formatField60, formatSecurityControl } from '../../protocol/iso8583';
import type { TtpCardImage, TtpCardMethod } from '../../protocol/ttp';
import type { SoftwareIcc } from '../icc';
import type { CardRead } from './card-reader';
import type { SessionCore } from './core';

/** Every kind of message the emulated terminal sends (the catalogue's vocabulary). */
export type RequestKind =
  | 'sale' | 'bill-payment' | 'void' | 'refund' | 'balance' | 'preauth' | 'preauth-void' | 'preauth-completion'
  | 'preauth-completion-void' | 'sign-on' | 'sign-off' | 'echo' | 'parameter-download' | 'settlement' | 'batch-upload'
  | 'batch-upload-end';

interface RequestSpec { mti: string; processingCode?: string; conditionCode?: string; transactionType: string; networkCode: string }

const SPECS: Record<RequestKind, RequestSpec> = {
  sale: { mti: '0200', processingCode: '000000', conditionCode: '00', transactionType: '22', networkCode: '000' },
  'bill-payment': { mti: '0200', processingCode: '500000', conditionCode: '00', transactionType: '22', networkCode: '000' },
  void: { mti: '0200', processingCode: '200000', conditionCode: '00', transactionType: '23', networkCode: '000' },
  refund: { mti: '0220', processingCode: '200000', conditionCode: '00', transactionType: '25', networkCode: '000' },
  balance: { mti: '0200', processingCode: '310000', conditionCode: '00', transactionType: '01', networkCode: '000' },
  preauth: { mti: '0100', processingCode: '030000', conditionCode: '06', transactionType: '10', networkCode: '000' },
  'preauth-void': { mti: '0100', processingCode: '200000', conditionCode: '06', transactionType: '11', networkCode: '000' },
  'preauth-completion': { mti: '0200', processingCode: '000000', conditionCode: '06', transactionType: '20', networkCode: '000' },
  'preauth-completion-void': { mti: '0200', processingCode: '200000', conditionCode: '06', transactionType: '21', networkCode: '000' },
  'sign-on': { mti: '0800', transactionType: '00', networkCode: '004' },
  'sign-off': { mti: '0820', transactionType: '00', networkCode: '002' },
  echo: { mti: '0820', transactionType: '00', networkCode: '301' },
  'parameter-download': { mti: '0800', transactionType: '00', networkCode: '360' },
  settlement: { mti: '0500', transactionType: '00', networkCode: '201' },
  'batch-upload': { mti: '0320', transactionType: '00', networkCode: '201' },
  'batch-upload-end': { mti: '0320', transactionType: '00', networkCode: '202' },
};

function pad12(n: number): string {
  return String(n).padStart(12, '0');
}

export class Requests {
  constructor(private readonly core: SessionCore) {}

  /**
   * A request of `kind` from its catalogue row, with F41, F42, F60 (60.2 = the open batch; for
   * financial kinds 60.4 = 6 for a tap, else 5) and, given an amount, F4 + F49.
   */
  request(kind: RequestKind, opts: { amount?: number; read?: TtpCardMethod | 'manual'; networkCode?: string } = {}): IsoMessage {
    const spec = SPECS[kind];
    const msg = new IsoMessage(spec.mti);
    if (spec.processingCode) msg.set(3, spec.processingCode);
    if (opts.amount !== undefined) msg.set(4, pad12(opts.amount));
    if (spec.conditionCode) msg.set(25, spec.conditionCode);
    msg.set(41, this.core.state.config.terminalId!);
    msg.set(42, this.core.state.config.merchantId!);
    if (opts.amount !== undefined || spec.networkCode === '000' || kind === 'settlement') msg.set(49, '156');
    const batchNumber = this.core.state.counters.batchNumber;
    const networkCode = opts.networkCode ?? spec.networkCode;
    msg.set(60, spec.networkCode === '000'
      ? formatField60({ transactionType: spec.transactionType, batchNumber, networkCode, readCapability: opts.read === 'tap' ? '6' : '5', icCondition: '0' })
      : formatField60({ transactionType: spec.transactionType, batchNumber, networkCode }));
    return msg;
  }

  /** F22: PAN entry mode (02 swipe, 05 chip, 07 contactless, 01 manual) + PIN capability (1 PIN, 2 none). */
  entryMode(method: TtpCardMethod | 'manual', pinEntered: boolean): string {
    const pan = this.core.defect('entry-mode-always-swipe') ? '02'
      : method === 'swipe' ? '02' : method === 'insert' ? '05' : method === 'tap' ? '07' : '01';
    return pan + (pinEntered ? '1' : '2');
  }

  private track2Of(card: TtpCardImage): string {
    return card.track2 ?? `${card.pan}=${card.expiry}${card.serviceCode}0000000000`.slice(0, 37);
  }

  /** Card data fields (2, 14, 22, 23, 35, 36) and PIN fields (26, 52 or 59 A1, 53). */
  addCard(msg: IsoMessage, read: CardRead | undefined, pan: string, pin: string): void {
    const method = read?.method ?? 'manual';
    if (method !== 'swipe') msg.set(2, pan);
    if (read && method !== 'swipe') msg.set(14, read.card.expiry);
    msg.set(22, this.entryMode(method, pin.length > 0));
    if (read?.icc) msg.set(23, (read.card.psn ?? '00').padStart(3, '0'));
    if (read) {
      msg.set(35, this.track2Of(read.card));
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
      if (sm4) msg.set(59, `A1032${block.toString('hex').toUpperCase()}`);
      else msg.set(52, block);
    }
    if (pin.length > 0 || read) {
      msg.set(53, formatSecurityControl({
        pinFormat: pin.length > 0 ? 'x98-with-pan' : 'none', encryption: sm4 ? 'sm4' : 'tdes', trackEncrypted: false,
      }));
    }
  }

  /** F55 from the card's first GENERATE AC (chip and contactless reads only). */
  addIcc(msg: IsoMessage, read: CardRead | undefined, amount: number, type9c: string): Arqc | undefined {
    if (!read?.icc) return undefined;
    const { yymmdd } = this.core.stamp();
    const arqc = read.icc.generateArqc({
      amount, date: yymmdd, transactionType: type9c, unpredictableNumber: nodeCrypto.randomBytes(4),
      tvr: Buffer.alloc(5), ifdSerial: this.core.host.serialNumber,
    }, read.method);
    msg.set(55, arqc.field55);
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
