/**
 * A minimal terminal for the host's own tests and benchmark: real TCP, CUP frames, MAC and PIN
 * block with the working keys it got at sign-on, and an ICC computing real ARQCs from the card
 * image. Deliberately small and independent of emulator/: it checks the host, the emulator checks
 * itself against the host.
 */
import * as net from 'node:net';
import {
  buildPinBlockFormat0,
  deriveCommonSessionKey,
  encryptPinBlock,
  generateArqc,
  generateArpcMethod1,
  unwrapWorkingKeys,
  type KeyScheme,
  type WorkingKeys,
} from '../../crypto';
import {
  applyMac,
  decodeFrame,
  encodeBillPayee,
  encodeFrame,
  encodeSettlementTotals,
  formatField60,
  formatField61,
  formatSecurityControl,
  IsoMessage,
  LengthPrefixedReader,
  verifyMac,
  type BillPayee,
  type CupFrame,
  type CupHeader,
  type SettlementTotals,
  encodeItemRequest,
  encodeListQuery,
  IC_NETWORK_CODES,
  TERMINAL_LIST_NETWORK_CODES,
  encodeBlacklistRequest,
  parseBlacklistPage,
  type TerminalListKind,
  parseListPage,
  type IcListEntry,
  type IcListKind,
} from '../../protocol/iso8583';
import { decodeTlv, encodeTlv } from '../../protocol/tlv';
import { ARQC_CDOL1_TAGS, encodeSm4PinBlockF59, type CardConfig, terminalCardImage } from '../../host';

export const REQUEST_HEADER: CupHeader = {
  applicationClass: '60',
  specVersion: '31',
  terminalStatus: '0',
  processingRequirement: '0',
  softwareVersion: '310730',
};
export const REQUEST_TPDU = '6000030000';

export interface Reply {
  frame: CupFrame;
  msg: IsoMessage;
  raw: Buffer;
  rc: string | undefined;
}

export interface TerminalIdentity {
  terminalId: string;
  merchantId: string;
  /** Clear TMK hex (test key). */
  tmk: string;
  scheme: '3DES' | 'SM4';
}

export type EntryMethod = 'swipe' | 'insert' | 'tap' | 'manual';

export interface CardPresentation {
  card: CardConfig;
  entry?: EntryMethod;
  /** PIN typed; undefined = no PIN. */
  pin?: string;
  /** Tamper with the ARQC (chip cards). */
  badArqc?: boolean;
}

export class TestTerminal {
  keys?: WorkingKeys;
  batch = '000001';
  private stan = 0;
  private readonly reader = new LengthPrefixedReader({ maxFrameSize: 65535 });
  private readonly waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private closedError?: Error;
  private atc = new Map<string, number>();

  private constructor(
    readonly socket: net.Socket,
    readonly id: TerminalIdentity,
    public timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      for (const raw of this.reader.push(chunk)) {
        const w = this.waiting.shift();
        if (!w) continue;
        clearTimeout(w.timer);
        try {
          const frame = decodeFrame(raw);
          w.resolve({ frame, msg: frame.message, raw, rc: frame.message.getString(39) });
        } catch (err) {
          w.reject(err as Error);
        }
      }
    });
    const fail = (err?: Error) => {
      this.closedError = err ?? new Error('connection closed by the host');
      for (const w of this.waiting.splice(0)) {
        clearTimeout(w.timer);
        w.reject(this.closedError);
      }
    };
    socket.on('error', (err) => fail(err));
    socket.on('close', () => fail());
  }

  static connect(port: number, id: TerminalIdentity, timeoutMs = 3000): Promise<TestTerminal> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new TestTerminal(socket, id, timeoutMs));
      });
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  nextStan(): string {
    this.stan = (this.stan % 999999) + 1;
    return String(this.stan).padStart(6, '0');
  }

  setStan(n: number): void {
    this.stan = n;
  }

  /** Continue where another connection of the same terminal left off (keys, batch, STAN, ATCs). */
  resumeFrom(other: TestTerminal): this {
    this.keys = other.keys;
    this.batch = other.batch;
    this.stan = other.stan;
    this.atc = other.atc;
    return this;
  }

  /** Sends a message (no MAC added) and waits for the reply. */
  send(msg: IsoMessage, header: CupHeader = REQUEST_HEADER): Promise<Reply> {
    return this.sendRaw(encodeFrame({ tpdu: REQUEST_TPDU, header, message: msg }));
  }

  sendRaw(bytes: Buffer): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.findIndex((w) => w.timer === timer);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.push({ resolve, reject, timer });
      this.socket.write(bytes);
    });
  }

  /** Waits until the host closes the connection (or the timeout). */
  waitClosed(timeoutMs = 2000): Promise<boolean> {
    if (this.closedError || this.socket.destroyed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private get keyScheme(): KeyScheme {
    return this.id.scheme === 'SM4' ? 'sm4' : 'tdes';
  }

  base(mti: string): IsoMessage {
    return new IsoMessage(mti).set(11, this.nextStan()).set(41, this.id.terminalId).set(42, this.id.merchantId);
  }

  async signOn(layout: '001' | '003' | '004' = '003'): Promise<Reply> {
    const m = this.base('0800')
      .set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode: layout }))
      .set(63, '01 ');
    const r = await this.send(m);
    if (r.rc === '00') {
      this.keys = unwrapWorkingKeys(Buffer.from(this.id.tmk, 'hex'), r.msg.get(62) as Buffer, layout, this.keyScheme);
      this.batch = r.msg.getString(60)!.slice(2, 8);
    }
    return r;
  }

  network(mti: '0800' | '0820', networkCode: string): Promise<Reply> {
    return this.send(this.base(mti).set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode })));
  }

  /**
   * The §3.5 downloads of both IC lists (public keys, then IC parameters): query pages, every item,
   * end; then the card blacklist (390 pages, 391) and the contactless parameters (394, 395), as the
   * host's digits 4, 5, 7, 9 ask. Returns the replies in order.
   */
  async downloadIcLists(lists: readonly (IcListKind | TerminalListKind)[] = ['capk', 'aid', 'blacklist', 'contactless']): Promise<Reply[]> {
    const replies: Reply[] = [];
    const send = async (mti: '0800' | '0820', code: string, f62?: Buffer) => {
      const m = this.base(mti).set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode: code }));
      if (f62) m.set(62, f62);
      const r = await this.send(m);
      replies.push(r);
      return r;
    };
    for (const list of lists) {
      if (list === 'blacklist' || list === 'contactless') {
        // The 390 pages (or the 394 parameters), then the end (protocol/iso8583/terminal-lists.ts).
        const codes = TERMINAL_LIST_NETWORK_CODES[list];
        for (let received = 0; list === 'blacklist';) {
          const page = await send('0800', codes.download, encodeBlacklistRequest(received));
          if (page.rc !== '00') throw new Error(`blacklist download answered ${page.rc}`);
          const p = parseBlacklistPage(page.msg.get(62) as Buffer);
          received += p.pans.length;
          if (!p.more) break;
        }
        if (list === 'contactless') await send('0800', codes.download);
        await send('0800', codes.end);
        continue;
      }
      const codes = IC_NETWORK_CODES[list];
      const entries: IcListEntry[] = [];
      for (;;) {
        const q = await send('0820', codes.query, encodeListQuery(entries.length));
        if (q.rc !== '00') throw new Error(`IC ${list} query answered ${q.rc}`);
        const page = parseListPage(list, q.msg.get(62) as Buffer);
        entries.push(...page.entries);
        if (!page.more) break;
      }
      for (const e of entries) await send('0800', codes.download, encodeItemRequest(e));
      await send('0800', codes.end);
    }
    return replies;
  }

  mac(msg: IsoMessage): IsoMessage {
    if (!this.keys) throw new Error('not signed on');
    return applyMac(msg, this.keys.mak, this.id.scheme === 'SM4' ? 'sm4-ecb' : 'cup-ecb');
  }

  verifyReplyMac(msg: IsoMessage): boolean {
    if (!this.keys) return false;
    return verifyMac(msg, this.keys.mak, this.id.scheme === 'SM4' ? 'sm4-ecb' : 'cup-ecb');
  }

  /** Card data, entry mode, PIN and (chip) F55 on a financial request. */
  presentCard(m: IsoMessage, p: CardPresentation, amount: number): IsoMessage {
    const entry = p.entry ?? 'swipe';
    const card = p.card;
    const panEntry = { swipe: '02', insert: '05', tap: '07', manual: '01' }[entry];
    m.set(22, panEntry + (p.pin !== undefined ? '1' : '2'));
    if (entry === 'swipe') m.set(35, card.track2);
    else m.set(2, card.pan);
    if (entry === 'insert' || entry === 'tap') {
      m.set(23, card.psn.padStart(3, '0')).set(14, card.expiry).set(35, card.track2);
      m.set(55, this.iccData(card, amount, m.getString(3) === '310000' ? '31' : '00', p.badArqc));
    }
    if (entry === 'manual') m.set(14, card.expiry);
    if (p.pin !== undefined) {
      if (!this.keys) throw new Error('not signed on');
      const cipher = this.id.scheme === 'SM4' ? 'sm4' : this.keys.pik.length === 8 ? 'des' : 'tdes';
      const clear = buildPinBlockFormat0(p.pin, card.pan, cipher === 'sm4' ? 16 : 8);
      const block = encryptPinBlock(this.keys.pik, clear, cipher);
      if (cipher === 'sm4') m.set(59, encodeSm4PinBlockF59(block));
      else m.set(52, block);
      m.set(26, '12');
      m.set(
        53,
        formatSecurityControl({
          pinFormat: 'x98-with-pan',
          encryption: cipher === 'sm4' ? 'sm4' : cipher === 'des' ? 'des' : 'tdes',
          trackEncrypted: false,
        }),
      );
    }
    return m;
  }

  /** F55 as a software ICC would produce it: CDOL1 data and the ARQC under the card's session key. */
  iccData(card: CardConfig, amount: number, txnType: string, badArqc = false): Buffer {
    const image = terminalCardImage(card);
    const mk = Buffer.from(image.emv!.iccMasterKey!, 'hex');
    const atcValue = (this.atc.get(card.alias) ?? image.emv!.atc) + 1;
    this.atc.set(card.alias, atcValue);
    const atc = Buffer.alloc(2);
    atc.writeUInt16BE(atcValue);
    const values: Record<string, Buffer> = {
      '9F02': Buffer.from(String(amount).padStart(12, '0'), 'hex'),
      '9F03': Buffer.alloc(6),
      '9F1A': Buffer.from('0156', 'hex'),
      '95': Buffer.from('0000000000', 'hex'),
      '5F2A': Buffer.from('0156', 'hex'),
      '9A': Buffer.from('261126', 'hex'),
      '9C': Buffer.from(txnType, 'hex'),
      '9F37': Buffer.from('1A2B3C4D', 'hex'),
      '82': Buffer.from(image.emv!.aip ?? '7C00', 'hex'),
      '9F36': atc,
      '9F10': Buffer.from(image.emv!.issuerApplicationData ?? '07010103A00000', 'hex'),
    };
    const sk = deriveCommonSessionKey(mk, atc);
    const arqc = generateArqc(sk, Buffer.concat(ARQC_CDOL1_TAGS.map((t) => values[t])), 2);
    if (badArqc) arqc[0] ^= 0xff;
    this.lastSessionKey = sk;
    this.lastArqc = arqc;
    return encodeTlv([
      { tag: '9F26', value: arqc },
      { tag: '9F27', value: Buffer.from([0x80]) },
      ...ARQC_CDOL1_TAGS.map((t) => ({ tag: t, value: values[t] })),
      { tag: '9F33', value: Buffer.from('E0E1C8', 'hex') },
    ]);
  }
  lastSessionKey?: Buffer;
  lastArqc?: Buffer;

  /** True when F55 of the reply has 91 = ARPC ‖ ARC matching the last ARQC and F39. */
  arpcValid(reply: IsoMessage): boolean {
    const f55 = reply.get(55);
    if (!Buffer.isBuffer(f55) || !this.lastSessionKey || !this.lastArqc) return false;
    const t91 = decodeTlv(f55).find((n) => n.tag === '91');
    if (!t91 || t91.value.length !== 10) return false;
    const arc = t91.value.subarray(8);
    return (
      arc.toString('ascii') === reply.getString(39) && generateArpcMethod1(this.lastSessionKey, this.lastArqc, arc).equals(t91.value.subarray(0, 8))
    );
  }

  private financial(
    mti: string,
    pcode: string,
    f25: string,
    type: string,
    amount: number | undefined,
    p: CardPresentation | undefined,
    extra?: (m: IsoMessage) => void,
  ): { msg: IsoMessage; stan: string } {
    const m = this.base(mti).set(3, pcode).set(25, f25).set(49, '156');
    if (amount !== undefined) m.set(4, String(amount).padStart(12, '0'));
    m.set(60, formatField60({ transactionType: type, batchNumber: this.batch, networkCode: '000', readCapability: '6', icCondition: '0' }));
    if (p) this.presentCard(m, p, amount ?? 0);
    extra?.(m);
    return { msg: this.mac(m), stan: m.getString(11)! };
  }

  sale(p: CardPresentation, amount: number) {
    return this.financial('0200', '000000', '00', '22', amount, p);
  }
  billPayment(p: CardPresentation, amount: number, payee: BillPayee) {
    return this.financial('0200', '500000', '00', '22', amount, p, (m) => m.set(62, encodeBillPayee(payee)));
  }
  balance(p: CardPresentation) {
    return this.financial('0200', '310000', '00', '01', undefined, p);
  }
  void(
    p: CardPresentation,
    amount: number,
    orig: { batch?: string; stan: string; rrn?: string; auth?: string },
    pcodeType: { f25?: string; type?: string } = {},
  ) {
    return this.financial('0200', '200000', pcodeType.f25 ?? '00', pcodeType.type ?? '23', amount, p, (m) => {
      m.set(61, formatField61({ originalBatch: orig.batch ?? this.batch, originalTrace: orig.stan }));
      m.set(37, orig.rrn ?? '000000000000');
      if (orig.auth) m.set(38, orig.auth);
    });
  }
  refund(p: CardPresentation, amount: number, orig: { batch?: string; stan: string; rrn: string }) {
    return this.financial('0220', '200000', '00', '25', amount, p, (m) => {
      m.set(37, orig.rrn)
        .set(61, formatField61({ originalBatch: orig.batch ?? this.batch, originalTrace: orig.stan, originalDate: '0000' }))
        .set(63, 'CUP');
    });
  }
  preauth(p: CardPresentation, amount: number) {
    return this.financial('0100', '030000', '06', '10', amount, p);
  }
  /** 追加预授权: F25 = 60 (cup8583.md §3.1), F38 = the original authorization code, F61 = 16 zeros (§2.5). */
  preauthAdd(p: CardPresentation, amount: number, orig: { auth: string }) {
    return this.financial('0100', '030000', '60', '10', amount, p, (m) => {
      m.set(38, orig.auth).set(61, formatField61({ originalBatch: '000000', originalTrace: '000000', originalDate: '0000' }));
    });
  }
  preauthVoid(p: CardPresentation, amount: number, orig: { batch?: string; stan: string; auth: string }) {
    return this.financial('0100', '200000', '06', '11', amount, p, (m) => {
      m.set(38, orig.auth).set(61, formatField61({ originalBatch: orig.batch ?? this.batch, originalTrace: orig.stan, originalDate: '0000' }));
    });
  }
  completion(p: CardPresentation, amount: number, orig: { batch?: string; stan: string; auth: string }) {
    return this.financial('0200', '000000', '06', '20', amount, p, (m) => {
      m.set(38, orig.auth).set(61, formatField61({ originalBatch: orig.batch ?? this.batch, originalTrace: orig.stan, originalDate: '0000' }));
    });
  }
  completionVoid(p: CardPresentation, amount: number, orig: { batch?: string; stan: string; auth: string; rrn?: string }) {
    return this.financial('0200', '200000', '06', '21', amount, p, (m) => {
      m.set(38, orig.auth)
        .set(37, orig.rrn ?? '000000000000')
        .set(61, formatField61({ originalBatch: orig.batch ?? this.batch, originalTrace: orig.stan, originalDate: '0000' }));
    });
  }

  /** 0400 for an original request built by this terminal: same STAN, F3, F4, F25, F60; no track, PIN or F53. */
  reversal(original: IsoMessage, reason = '98'): IsoMessage {
    const m = new IsoMessage('0400');
    for (const n of [2, 3, 4, 11, 14, 22, 23, 25, 38, 41, 42, 49, 60, 61]) {
      const v = original.get(n);
      if (v !== undefined) m.set(n, v);
    }
    m.set(39, reason);
    return this.mac(m);
  }

  settlement(totals: SettlementTotals): IsoMessage {
    return this.base('0500')
      .set(48, encodeSettlementTotals(totals))
      .set(49, '156')
      .set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode: '201' }))
      .set(63, '01 ');
  }

  /** A magstripe list (60.3 201); each item's card-organisation flag is `00` (CUP) unless it says `01` (foreign). */
  batchUpload(items: { stan: string; pan: string; amount: number; org?: '00' | '01' }[]): IsoMessage {
    const f48 =
      String(items.length).padStart(2, '0') +
      items.map((i) => (i.org ?? '00') + i.stan + i.pan.padStart(20, '0') + String(i.amount).padStart(12, '0')).join('');
    return this.base('0320')
      .set(48, f48)
      .set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode: '201' }));
  }

  batchEnd(count: number, networkCode: '202' | '207'): IsoMessage {
    return this.base('0320')
      .set(48, String(count).padStart(4, '0'))
      .set(60, formatField60({ transactionType: '00', batchNumber: this.batch, networkCode }));
  }
}
