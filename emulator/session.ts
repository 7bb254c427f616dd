/**
 * One powered-on life of the emulated terminal: from power-on self test to the next power cut.
 * It owns the in-memory copy of the persistent state, the input queue and the running flow.
 * A power cut kills the session: every wait fails with PowerLost and nothing more is shown,
 * printed or saved, so what survives is exactly what was written to the state file before.
 *
 * The flows (消费, 缴费, 撤销, 退货, 余额查询, 预授权, 结算, 重打印, 管理) are async functions
 * that await inputs; the TTP state names (idle, menu, input, card-wait, pin-entry, online, ...)
 * are reported on every screen change.
 */
import * as nodeCrypto from 'node:crypto';
import * as net from 'node:net';
import * as iconv from 'iconv-lite';
import {
  KeyCheckValueError, WorkingKeyLayout, WorkingKeys, buildPinBlockFormat0, buildPinBlockFormat1, desEcbDecrypt,
  encryptPinBlock, maskPan, sm4EcbDecrypt, unwrapWorkingKeys,
} from '../crypto';
import {
  BILL_PAYMENT_PROCESSING_CODE, CupFrame, CupHeader, IsoMessage, applyMac, computeMessageMac, decodeSettlementTotals,
  encodeBillPayee, encodeSettlementTotals, formatField60, formatField61, formatSecurityControl, parseBalance,
  parseField60, parseField63Response, verifyMac,
} from '../protocol/iso8583';
import type {
  TtpCardImage, TtpCardMethod, TtpEcrCommand, TtpEcrResult, TtpPrintCopy, TtpTerminalState,
} from '../protocol/ttp';
import type { DefectName } from './defects';
import { FlowAbort, InputQueue, PowerLost, TerminalInput } from './inputs';
import { HostLinkError } from './errors';
import { HostAddress, HostLine, HostSession, parseHostUrl } from './host-link';
import { SoftwareIcc, reversalField55 } from './icc';
import {
  PendingReversal, StoredField, StoredTransaction, TerminalState, TerminalStateStore, TransactionKind,
} from './state-store';
import { Bilingual, Language, T, formatAmount, pick, responseText } from './texts';
import {
  SettlementTotalsView, renderFaultSlip, renderSettlementSlip, renderVoucher, voucherCopies,
} from './voucher';

export interface Timeouts {
  hostResponseMs: number;
  hostConnectMs: number;
  cardMs: number;
  pinMs: number;
  idleMs: number;
}

/** What the session needs from its terminal (TTP side, options). */
export interface SessionHost {
  readonly defects: ReadonlySet<DefectName>;
  readonly timeouts: Timeouts;
  readonly realisticTiming: boolean;
  readonly operator: string;
  readonly autoSignOn: boolean;
  readonly reversalRetries: number;
  readonly serialNumber: string;
  readonly capabilities: { magstripe: boolean; contact: boolean; contactless: boolean; printer: boolean };
  readonly cardCounters: Map<string, number>;
  display(lines: string[], screen: string, state: TtpTerminalState, detail?: Record<string, unknown>): void;
  print(copy: TtpPrintCopy, lines: string[], reprint: boolean, trace?: string): void;
  beep(kind: 'key' | 'ok' | 'error' | 'alert'): void;
  log(line: string): void;
  /** The ECR request being served finished (or was refused). */
  ecrDone(id: number, outcome: { result?: TtpEcrResult; error?: { code: 'cancelled' | 'timeout' | 'tampered' | 'bad-request' | 'internal'; message: string } }): void;
}

interface FlowResult {
  approved: boolean;
  responseCode?: string;
  message: string;
  amount?: number;
  trace?: string;
  rrn?: string;
  authCode?: string;
  pan?: string;
}

interface CardRead {
  method: TtpCardMethod;
  card: TtpCardImage;
  icc?: SoftwareIcc;
}

interface OnlineOutcome {
  reply?: IsoMessage;
  header?: CupHeader;
  /** Shown to the operator when the exchange did not give a usable answer. */
  failure?: Bilingual;
  approved: boolean;
  responseCode?: string;
}

type EcrRequest = TtpEcrCommand;

const MAIN_MENU: Array<{ key: string; label: Bilingual; flow: string }> = [
  { key: '1', label: T.sale, flow: 'sale' },
  { key: '2', label: T.billPayment, flow: 'bill-payment' },
  { key: '3', label: T.void, flow: 'void' },
  { key: '4', label: T.refund, flow: 'refund' },
  { key: '5', label: T.balance, flow: 'balance' },
  { key: '6', label: T.preAuthMenu, flow: 'pre-auth-menu' },
  { key: '7', label: T.settle, flow: 'settle' },
  { key: '8', label: T.reprint, flow: 'reprint' },
  { key: '9', label: T.manage, flow: 'manage' },
];

const REVERSIBLE: ReadonlySet<string> = new Set(['sale', 'bill-payment', 'void', 'pre-auth', 'pre-auth-void', 'completion']);
const SUCCESS_CODES: ReadonlySet<string> = new Set(['00', '10', '11', 'A2', 'A4', 'A5', 'A6']);

function toStored(msg: IsoMessage): Record<string, StoredField> {
  const out: Record<string, StoredField> = {};
  for (const n of msg.fieldNumbers()) {
    const v = msg.get(n)!;
    out[String(n)] = typeof v === 'string' ? { s: v } : { b: v.toString('hex').toUpperCase() };
  }
  return out;
}

function fromStored(mti: string, fields: Record<string, StoredField>): IsoMessage {
  const msg = new IsoMessage(mti);
  for (const [n, v] of Object.entries(fields)) msg.set(Number(n), 's' in v ? v.s : Buffer.from(v.b, 'hex'));
  return msg;
}

function pad12(n: number): string {
  return String(n).padStart(12, '0');
}

export class TerminalSession {
  private dead = false;
  readonly inputs: InputQueue;
  private keys?: WorkingKeys;
  private readonly sockets = new Set<net.Socket>();
  private currentState: TtpTerminalState = 'booting';
  private busy = false;
  private ecr?: EcrRequest;
  private insertedCard?: TtpCardImage;
  private needSignOn = false;
  private needParameters = false;
  private markBooted: () => void = () => undefined;
  /** Resolves once boot is over (idle, sign-on required, tampered or failed). */
  readonly booted: Promise<void> = new Promise((resolve) => { this.markBooted = resolve; });

  constructor(
    private readonly host: SessionHost,
    private readonly store: TerminalStateStore,
    public state: TerminalState,
    /** Soft reset (TTP reset): straight back to the idle screen, no self test, no sign-on. */
    private readonly skipBoot = false,
  ) {
    this.inputs = new InputQueue((input) => {
      if (input.kind === 'ecr') this.host.ecrDone(input.request.id, { error: { code: 'internal', message: 'terminal is busy' } });
      else if (input.kind === 'key') this.host.beep('error');
    });
  }

  // -------------------------------------------------------------------------------------------
  // life cycle

  get isBusy(): boolean {
    return this.busy;
  }

  get terminalState(): TtpTerminalState {
    return this.currentState;
  }

  get language(): Language {
    return this.state.config.language;
  }

  private get tampered(): boolean {
    return this.state.tampered && !this.host.defects.has('tamper-ignored');
  }

  /** Power cut: stop everything at once; nothing more is saved. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.inputs.kill(new PowerLost());
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (this.ecr) {
      this.host.ecrDone(this.ecr.id, { error: { code: 'cancelled', message: 'terminal lost power' } });
      this.ecr = undefined;
    }
  }

  private alive(): void {
    if (this.dead) throw new PowerLost();
  }

  /** Inserted card state survives flows (the card stays in the slot until removed). */
  cardInserted(card: TtpCardImage | undefined): void {
    this.insertedCard = card;
  }

  get cardInSlot(): TtpCardImage | undefined {
    return this.insertedCard;
  }

  persist(): void {
    this.alive();
    if (this.host.defects.has('reversal-lost-on-power-cut') && this.state.pendingReversal) {
      // The defective firmware keeps the reversal in RAM only.
      this.store.save({ ...this.state, pendingReversal: null });
    } else {
      this.store.save(this.state);
    }
  }

  private t(text: Bilingual): string {
    return pick(text, this.language);
  }

  private show(screen: string, state: TtpTerminalState, lines: string[], detail?: Record<string, unknown>): void {
    this.alive();
    this.currentState = state;
    this.host.display(lines, screen, state, detail);
  }

  private async pause(ms: number): Promise<void> {
    if (!this.host.realisticTiming) return;
    await new Promise((r) => setTimeout(r, ms));
    this.alive();
  }

  private now(): Date {
    return new Date(Date.now() + this.state.clockOffsetMs);
  }

  private stamp(): { date: string; time: string; mmdd: string; yymmdd: string; hhmmss: string } {
    const d = this.now();
    const p = (n: number) => String(n).padStart(2, '0');
    const yyyy = String(d.getUTCFullYear());
    const mm = p(d.getUTCMonth() + 1);
    const dd = p(d.getUTCDate());
    const hh = p(d.getUTCHours());
    const mi = p(d.getUTCMinutes());
    const ss = p(d.getUTCSeconds());
    return { date: `${yyyy}-${mm}-${dd}`, time: `${hh}:${mi}:${ss}`, mmdd: mm + dd, yymmdd: yyyy.slice(2) + mm + dd, hhmmss: hh + mi + ss };
  }

  /** Boot: self test, sign-on when needed, pending reversal, then the idle loop until power is cut. */
  async run(): Promise<void> {
    try {
      if (this.skipBoot) {
        if (this.state.signedOn && this.state.ped.tmk && this.state.ped.workingKeys) {
          this.keys = this.unwrapKeys(this.state.ped.workingKeys.layout, Buffer.from(this.state.ped.workingKeys.f62, 'hex'));
        }
        this.markBooted();
      } else {
        await this.boot();
      }
      await this.idleLoop();
    } catch (e) {
      if (e instanceof PowerLost) return;
      this.host.log(`terminal fault: ${(e as Error).message}`);
      try {
        this.show('fault', 'error', [this.t(T.failed), (e as Error).message.slice(0, 60)]);
      } catch { /* powered off meanwhile */ }
    }
  }


  private async boot(): Promise<void> {
    try {
      this.show('boot', 'booting', [this.t(T.title), this.t(T.selfTest)]);
      await this.pause(800);
      this.show('self-test', 'self-test', [this.t(T.title), this.t(T.selfTest)]);
      if (this.state.ped.tmk && this.state.ped.workingKeys && this.state.signedOn) {
        this.keys = this.unwrapKeys(this.state.ped.workingKeys.layout, Buffer.from(this.state.ped.workingKeys.f62, 'hex'));
        if (!this.keys) this.state.signedOn = false;
      }
      if (this.tampered) return;
      if (!this.state.ped.tmk || !this.state.config.terminalId || !this.state.config.merchantId) return;
      if (!this.state.signedOn && this.host.autoSignOn) {
        await this.signOn(false);
      }
      if (this.state.signedOn && this.needParameters) await this.downloadParameters(false);
      if (this.state.signedOn && this.state.pendingReversal) {
        const session = await this.openHostSafe();
        if (session) {
          try { await this.sendPendingReversal(session); } finally { session.close(); }
        }
      }
    } finally {
      if (!this.dead) this.markBooted();
    }
  }

  // -------------------------------------------------------------------------------------------
  // screens and loops

  private idleScreen(): void {
    if (this.tampered) {
      this.show('tampered', 'tampered', [this.t(T.tamperWarning), this.t(T.tamperBlocked), this.t(T.tamperContact)]);
      this.host.beep('alert');
      return;
    }
    const lines = [this.t(T.title), this.t(T.welcome)];
    if (!this.state.ped.tmk) lines.push(this.t(T.selfTestNoTmk));
    else if (!this.state.config.terminalId || !this.state.config.merchantId) lines.push(this.t(T.selfTestNoIds));
    else if (!this.state.signedOn) lines.push(this.t(T.notSignedOn));
    lines.push(this.t(T.pressEnterForMenu));
    this.show('idle', this.state.signedOn && !this.tampered ? 'idle' : 'sign-on-required', lines);
  }

  private async idleLoop(): Promise<void> {
    for (;;) {
      this.idleScreen();
      const input = await this.inputs.next((i) => i.kind === 'key' || i.kind === 'ecr', 0, 'idle');
      if (input.kind === 'ecr') {
        await this.serveEcr(input.request);
        continue;
      }
      if (this.tampered) {
        this.host.beep('alert');
        continue;
      }
      if (input.kind === 'key' && (input.key === 'ENTER' || input.key === 'MENU')) {
        await this.mainMenu();
      } else if (input.kind === 'key' && MAIN_MENU.some((m) => m.key === input.key)) {
        // Shortcut: a menu number typed on the idle screen selects that entry directly.
        await this.runMenuEntry(MAIN_MENU.find((m) => m.key === input.key)!.flow);
      }
    }
  }

  private async mainMenu(): Promise<void> {
    const lines = [this.t(T.mainMenu), ...MAIN_MENU.map((m) => `${m.key}.${this.t(m.label)}`)];
    this.show('main-menu', 'menu', lines);
    const keys = ['CANCEL', ...MAIN_MENU.map((m) => m.key)];
    let picked: TerminalInput;
    try {
      picked = await this.inputs.next((i) => (i.kind === 'key' && keys.includes(i.key)) || i.kind === 'ecr', this.host.timeouts.idleMs, 'main menu');
    } catch (e) {
      if (e instanceof FlowAbort) return;
      throw e;
    }
    if (picked.kind === 'ecr') { this.inputs.push(picked); return; }
    const input = (picked as { key: string }).key;
    if (input === 'CANCEL') return;
    await this.runMenuEntry(MAIN_MENU.find((m) => m.key === input)!.flow);
  }

  private async runMenuEntry(flow: string): Promise<void> {
    await this.runFlow(flow, undefined);
  }

  private async serveEcr(request: EcrRequest): Promise<void> {
    this.ecr = request;
    await this.runFlow(request.request, request);
  }

  /** Runs a flow with its result screen; reports ECR outcomes. */
  private async runFlow(flow: string, ecr: EcrRequest | undefined): Promise<void> {
    this.busy = true;
    let result: FlowResult | undefined;
    try {
      if (this.tampered) {
        this.show('tampered', 'tampered', [this.t(T.tamperWarning), this.t(T.tamperBlocked), this.t(T.tamperContact)]);
        this.host.beep('alert');
        if (ecr) this.finishEcr(ecr, undefined, { code: 'tampered', message: 'tamper detected: the terminal refuses to transact' });
        await this.waitAnyKey(this.host.timeouts.idleMs);
        return;
      }
      result = await this.dispatch(flow, ecr);
    } catch (e) {
      if (e instanceof FlowAbort) {
        const text = e.reason === 'timeout' ? T.timeout : T.cancelled;
        if (ecr) this.finishEcr(ecr, undefined, { code: e.reason, message: e.message });
        this.show('aborted', 'result', [this.t(text)]);
        this.host.beep('error');
        await this.pause(1000);
        return;
      }
      if (e instanceof PowerLost) throw e;
      if (ecr) this.finishEcr(ecr, undefined, { code: 'internal', message: (e as Error).message });
      this.host.log(`flow ${flow} failed: ${(e as Error).message}`);
      this.show('fault', 'result', [this.t(T.failed), (e as Error).message.slice(0, 60)]);
      await this.waitAnyKey(this.host.timeouts.idleMs);
      return;
    } finally {
      this.busy = false;
    }
    if (result === undefined) return; // a flow without a result screen (menus, reprint)
    if (ecr) this.finishEcr(ecr, result);
    await this.waitAnyKey(this.host.timeouts.idleMs);
    await this.actOnRequirements();
  }

  private finishEcr(ecr: EcrRequest, result?: FlowResult, error?: { code: 'cancelled' | 'timeout' | 'tampered' | 'internal'; message: string }): void {
    if (this.ecr !== ecr) return;
    this.ecr = undefined;
    if (error) {
      this.host.ecrDone(ecr.id, { error });
      return;
    }
    const r = result!;
    this.host.ecrDone(ecr.id, {
      result: {
        request: ecr.request,
        approved: r.approved,
        ...(r.responseCode ? { responseCode: r.responseCode } : {}),
        message: r.message,
        ...(r.amount !== undefined ? { amount: String(r.amount) } : {}),
        ...(r.trace ? { trace: r.trace, batch: this.state.counters.batchNumber } : {}),
        ...(r.rrn ? { rrn: r.rrn } : {}),
        ...(r.authCode ? { authCode: r.authCode } : {}),
        ...(r.pan ? { maskedPan: maskPan(r.pan) } : {}),
        ...(ecr.ecrReference ? { ecrReference: ecr.ecrReference } : {}),
      },
    });
  }

  private async dispatch(flow: string, ecr: EcrRequest | undefined): Promise<FlowResult | undefined> {
    switch (flow) {
      case 'sale': return this.saleFlow('sale', ecr);
      case 'bill-payment': return this.billPaymentFlow(ecr);
      case 'void': return this.voidFlow(ecr);
      case 'refund': return this.refundFlow(ecr);
      case 'balance': return this.balanceFlow();
      case 'pre-auth-menu': return this.preAuthMenu();
      case 'settle': return this.settleFlow(ecr);
      case 'reprint': return this.reprintFlow(ecr);
      case 'manage': return this.manageMenu();
      default: throw new FlowAbort('cancelled', `unknown flow ${flow}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // input helpers

  private async waitKey(keys: readonly string[], timeoutMs: number, what: string): Promise<string> {
    const input = await this.inputs.next((i) => i.kind === 'key' && keys.includes(i.key), timeoutMs, what);
    return (input as { key: string }).key;
  }

  /** Result screens: any key (or an ECR request, or idleMs) leaves them. */
  private async waitAnyKey(timeoutMs: number): Promise<void> {
    try {
      const input = await this.inputs.next((i) => i.kind === 'key' || i.kind === 'ecr', timeoutMs, 'result screen');
      // ECR requests and menu digits are served by the idle loop: leave the result screen and pass them on.
      if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.inputs.push(input);
    } catch (e) {
      if (!(e instanceof FlowAbort)) throw e;
    }
  }

  private async enterAmount(title: Bilingual): Promise<number> {
    let digits = '';
    for (;;) {
      const amount = Number(digits || '0');
      this.show('amount', 'input', [this.t(title), this.t(T.enterAmount), formatAmount(amount)]);
      const key = await this.waitKey(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '00', 'CLEAR', 'ENTER', 'CANCEL'], this.host.timeouts.idleMs, 'amount entry');
      if (key === 'CANCEL') throw new FlowAbort('cancelled', 'amount entry cancelled');
      if (key === 'CLEAR') { digits = digits.slice(0, -1); continue; }
      if (key === 'ENTER') {
        if (amount > 0) return amount;
        this.host.beep('error');
        continue;
      }
      if (digits.length + key.length > 10) { this.host.beep('error'); continue; }
      digits = (digits + key).replace(/^0+/, '');
    }
  }

  private async enterDigits(title: Bilingual, prompt: Bilingual, screen: string, opts: { min: number; max: number; exact?: boolean }): Promise<string> {
    let value = '';
    for (;;) {
      this.show(screen, 'input', [this.t(title), this.t(prompt), value]);
      const input = await this.inputs.next((i) => (i.kind === 'key' && /^(\d|00|CLEAR|ENTER|CANCEL)$/.test(i.key)) || i.kind === 'text',
        this.host.timeouts.idleMs, screen);
      if (input.kind === 'text') {
        const digits = input.text.replace(/\D/g, '');
        value = (value + digits).slice(0, opts.max);
        continue;
      }
      const key = (input as { key: string }).key;
      if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
      if (key === 'CLEAR') { value = value.slice(0, -1); continue; }
      if (key === 'ENTER') {
        if (value.length >= opts.min && value.length <= opts.max) return value;
        this.host.beep('error');
        continue;
      }
      if (value.length + key.length > opts.max) { this.host.beep('error'); continue; }
      value += key;
    }
  }

  /** Free text (payee names, auth codes): TTP `key` with a `text` field types whole strings. */
  private async enterText(title: Bilingual, prompt: Bilingual, screen: string, max: number): Promise<string> {
    let value = '';
    for (;;) {
      this.show(screen, 'input', [this.t(title), this.t(prompt), value]);
      const input = await this.inputs.next((i) => (i.kind === 'key' && /^(\d|00|CLEAR|ENTER|CANCEL)$/.test(i.key)) || i.kind === 'text',
        this.host.timeouts.idleMs, screen);
      if (input.kind === 'text') { value = (value + input.text).slice(0, max); continue; }
      const key = (input as { key: string }).key;
      if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
      if (key === 'CLEAR') { value = [...value].slice(0, -1).join(''); continue; }
      if (key === 'ENTER') {
        if (value.trim().length > 0) return value.trim();
        this.host.beep('error');
        continue;
      }
      if (value.length + key.length <= max) value += key;
    }
  }

  private async confirm(screen: string, lines: string[]): Promise<void> {
    this.show(screen, 'confirm', [...lines, this.t(T.enterConfirmCancel)]);
    const key = await this.waitKey(['ENTER', 'CANCEL'], this.host.timeouts.idleMs, screen);
    if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
  }

  private isChipCard(card: TtpCardImage): boolean {
    return card.serviceCode.startsWith('2') || card.serviceCode.startsWith('6');
  }

  private cardExpired(card: TtpCardImage): boolean {
    const { yymmdd } = this.stamp();
    return card.expiry < yymmdd.slice(0, 4);
  }

  /** 请刷卡/插卡/挥卡: takes a swipe, insert or tap (or the card already in the slot). */
  private async readCard(title: Bilingual, amount: number | undefined, opts: { allowTap?: boolean } = {}): Promise<CardRead> {
    let prompt: Bilingual = T.presentCard;
    for (;;) {
      const lines = [this.t(title)];
      if (amount !== undefined) lines.push(`${this.t(T.amount)}${formatAmount(amount)}`);
      lines.push(this.t(prompt));
      this.show('card', 'card-wait', lines);
      let method: TtpCardMethod;
      let card: TtpCardImage;
      if (this.insertedCard && prompt !== T.useChip) {
        method = 'insert';
        card = this.insertedCard;
      } else {
        const input = await this.inputs.next((i) => i.kind === 'card' || (i.kind === 'key' && i.key === 'CANCEL'),
          this.host.timeouts.cardMs, 'card prompt');
        if (input.kind === 'key') throw new FlowAbort('cancelled', 'card prompt cancelled');
        const c = input as { method: TtpCardMethod; card: TtpCardImage };
        method = c.method;
        card = c.card;
        if (method === 'insert') this.insertedCard = card;
      }
      this.show('card-read', 'card-read', [this.t(title), this.t(T.processing)]);
      await this.pause(300);
      if (method === 'swipe' && this.isChipCard(card) && card.emv) {
        // A chip card must be read by its chip (fallback is not modelled).
        prompt = T.useChip;
        this.host.beep('error');
        continue;
      }
      if ((method === 'insert' || method === 'tap') && !card.emv) {
        this.show('card-error', 'card-wait', [this.t(title), this.t(T.cardUnreadable)]);
        this.host.beep('error');
        prompt = T.presentCard;
        if (method === 'insert') this.insertedCard = undefined;
        await this.pause(800);
        continue;
      }
      if (method === 'tap' && opts.allowTap === false) {
        prompt = T.presentCard;
        this.host.beep('error');
        continue;
      }
      const read: CardRead = { method, card };
      if (method !== 'swipe') read.icc = new SoftwareIcc(card, this.host.cardCounters);
      return read;
    }
  }

  /** 请输入密码: digits shown as *, ENTER with no digits = no PIN. */
  private async enterPin(title: Bilingual, amount: number | undefined): Promise<string> {
    let pin = '';
    for (;;) {
      const shown = this.host.defects.has('pin-echoed-on-screen') ? pin : '*'.repeat(pin.length);
      const lines = [this.t(title)];
      if (amount !== undefined) lines.push(`${this.t(T.amount)}${formatAmount(amount)}`);
      lines.push(this.t(T.enterPin), shown, this.t(T.pinHint));
      this.show('pin', 'pin-entry', lines);
      const key = await this.waitKey(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'CLEAR', 'ENTER', 'CANCEL'], this.host.timeouts.pinMs, 'PIN entry');
      if (key === 'CANCEL') throw new FlowAbort('cancelled', 'PIN entry cancelled');
      if (key === 'CLEAR') { pin = pin.slice(0, -1); continue; }
      if (key === 'ENTER') {
        if (pin.length === 0 || (pin.length >= 4 && pin.length <= 12)) return pin;
        this.host.beep('error');
        continue;
      }
      if (pin.length < 12) pin += key;
    }
  }

  // -------------------------------------------------------------------------------------------
  // ISO 8583 building blocks

  private requestHeader(icc: boolean): CupHeader {
    return { applicationClass: icc ? '61' : '60', specVersion: '31', terminalStatus: '0', processingRequirement: '0', softwareVersion: '310000' };
  }

  private nextStan(financial: boolean): string {
    const c = this.state.counters;
    if (!(financial && this.host.defects.has('stan-not-incremented') && c.stan > 0)) {
      c.stan = c.stan >= 999999 ? 1 : c.stan + 1;
    }
    return String(c.stan).padStart(6, '0');
  }

  private macScheme(): 'cup-ecb' | 'sm4-ecb' {
    return this.state.ped.keyScheme === 'sm4' ? 'sm4-ecb' : 'cup-ecb';
  }

  private applyRequestMac(msg: IsoMessage): void {
    const mak = this.keys!.mak;
    if (this.host.defects.has('wrong-mac')) {
      // Firmware bug: the MAC is computed before field 11 is in place (over the wrong bytes).
      const copy = msg.clone().unset(11);
      msg.set(64, computeMessageMac(copy, mak, this.macScheme()));
    } else {
      applyMac(msg, mak, this.macScheme());
    }
  }

  private entryMode(method: TtpCardMethod | 'manual', pinEntered: boolean): string {
    const pan = this.host.defects.has('entry-mode-always-swipe') ? '02'
      : method === 'swipe' ? '02' : method === 'insert' ? '05' : method === 'tap' ? '07' : '01';
    return pan + (pinEntered ? '1' : '2');
  }

  private field60(type: string, read?: TtpCardMethod | 'manual'): string {
    return formatField60({
      transactionType: type, batchNumber: this.state.counters.batchNumber, networkCode: '000',
      readCapability: read === 'tap' ? '6' : '5', icCondition: '0',
    });
  }

  private track2Of(card: TtpCardImage): string {
    return card.track2 ?? `${card.pan}=${card.expiry}${card.serviceCode}0000000000`.slice(0, 37);
  }

  /** Card data fields (2, 14, 22, 23, 35, 36) and PIN fields (26, 52, 53). */
  private addCardFields(msg: IsoMessage, read: CardRead | undefined, pan: string, pin: string): void {
    const method = read?.method ?? 'manual';
    if (method !== 'swipe') msg.set(2, pan);
    if (read && method !== 'swipe') msg.set(14, read.card.expiry);
    msg.set(22, this.entryMode(method, pin.length > 0));
    if (read?.icc) msg.set(23, (read.card.psn ?? '00').padStart(3, '0'));
    if (read) {
      msg.set(35, this.track2Of(read.card));
      if (method === 'swipe' && read.card.track3) msg.set(36, read.card.track3);
    }
    if (pin.length > 0) {
      msg.set(26, '12');
      const sm4 = this.state.ped.keyScheme === 'sm4';
      const clear = this.host.defects.has('pin-block-format-1')
        ? buildPinBlockFormat1(pin, (n) => nodeCrypto.randomBytes(n))
        : buildPinBlockFormat0(pin, pan, sm4 ? 16 : 8);
      const block = encryptPinBlock(this.keys!.pik, clear, sm4 ? 'sm4' : 'tdes');
      // F52 holds 8 bytes; the 16-byte SM4 block travels in F59 tag A1 (the host's convention).
      if (sm4) msg.set(59, `A1032${block.toString('hex').toUpperCase()}`);
      else msg.set(52, block);
    }
    if (pin.length > 0 || read) {
      msg.set(53, formatSecurityControl({
        pinFormat: pin.length > 0 ? 'x98-with-pan' : 'none',
        encryption: this.state.ped.keyScheme === 'sm4' ? 'sm4' : 'tdes',
        trackEncrypted: false,
      }));
    }
  }

  private addIcc(msg: IsoMessage, read: CardRead | undefined, amount: number, type9c: string): ReturnType<SoftwareIcc['generateArqc']> | undefined {
    if (!read?.icc) return undefined;
    const { yymmdd } = this.stamp();
    const arqc = read.icc.generateArqc({
      amount, date: yymmdd, transactionType: type9c, unpredictableNumber: nodeCrypto.randomBytes(4),
      tvr: Buffer.alloc(5), ifdSerial: this.host.serialNumber,
    }, read.method);
    msg.set(55, arqc.field55);
    return arqc;
  }

  private baseRequest(mti: string): IsoMessage {
    const msg = new IsoMessage(mti);
    msg.set(41, this.state.config.terminalId!);
    msg.set(42, this.state.config.merchantId!);
    return msg;
  }

  private hostAddress(): HostAddress {
    if (!this.state.config.hostUrl) throw new HostLinkError('connect', 'no host address configured (EmulatorOptions.hostUrl or TTP config host)');
    return parseHostUrl(this.state.config.hostUrl);
  }

  private async openHost(): Promise<HostSession> {
    this.alive();
    this.inputs.markBlocked();
    const session = await HostSession.connect(this.hostAddress(), this.host.timeouts.hostConnectMs, (s) => {
      this.sockets.add(s);
      if (this.dead) s.destroy();
      return () => this.sockets.delete(s);
    });
    this.alive();
    return session;
  }

  private async openHostSafe(): Promise<HostLine | undefined> {
    try {
      return await HostLine.open(() => this.openHost());
    } catch (e) {
      if (e instanceof PowerLost) throw e;
      this.host.log(`host unreachable: ${(e as Error).message}`);
      return undefined;
    }
  }

  private frame(msg: IsoMessage, icc: boolean): CupFrame {
    return { tpdu: this.state.config.tpdu.toUpperCase(), header: this.requestHeader(icc), message: msg };
  }

  private logMessage(dir: '->' | '<-', msg: IsoMessage): void {
    const parts = [dir, msg.mti];
    for (const n of [3, 4, 11, 39]) { const v = msg.getString(n); if (v !== undefined) parts.push(`F${n}=${v}`); }
    this.host.log(parts.join(' '));
  }

  /** One exchange; null on timeout / link failure (the caller decides about reversal). */
  private async exchange(session: HostLine, msg: IsoMessage, icc: boolean): Promise<{ reply: IsoMessage; header: CupHeader } | { error: HostLinkError }> {
    this.logMessage('->', msg);
    try {
      const { reply } = await session.exchange(this.frame(msg, icc), this.host.timeouts.hostResponseMs);
      this.alive();
      this.logMessage('<-', reply.message);
      return { reply: reply.message, header: reply.header };
    } catch (e) {
      this.alive();
      if (e instanceof HostLinkError) return { error: e };
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // sign-on

  private unwrapKeys(layout: WorkingKeyLayout, f62: Buffer): WorkingKeys | undefined {
    const tmk = Buffer.from(this.state.ped.tmk!, 'hex');
    const scheme = this.state.ped.keyScheme;
    try {
      return unwrapWorkingKeys(tmk, f62, layout, scheme);
    } catch (e) {
      if (e instanceof KeyCheckValueError && this.host.defects.has('kcv-not-checked')) {
        // Defective firmware: decrypt the keys without looking at their check values.
        const dec = (b: Buffer) => (scheme === 'sm4' ? sm4EcbDecrypt(tmk, b) : desEcbDecrypt(tmk, b));
        const pikLen = layout === '001' ? 8 : 16;
        const macAt = layout === '001' ? 12 : 20;
        const makCipher = f62.subarray(macAt, macAt + (layout === '001' || scheme !== 'sm4' ? 8 : 16));
        return { pik: dec(f62.subarray(0, pikLen)), mak: dec(makCipher) };
      }
      throw e;
    }
  }

  /** 签到 (0800/0810): new working keys under the TMK, checked against their check values. */
  private async signOn(interactive: boolean): Promise<boolean> {
    if (this.tampered) return false;
    this.show('sign-on', 'signing-on', [this.t(T.signOn), this.t(T.signingOn)]);
    const session = await this.openHostSafe();
    if (!session) {
      this.show('sign-on-failed', interactive ? 'result' : 'sign-on-required', [this.t(T.signOnFailed), this.t(T.commError)]);
      this.host.beep('error');
      if (interactive) await this.waitAnyKey(this.host.timeouts.idleMs);
      return false;
    }
    try {
      const layout: WorkingKeyLayout = '004';
      const msg = this.baseRequest('0800');
      msg.set(11, this.nextStan(false));
      msg.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: layout }));
      msg.set(63, `${this.host.operator} `);
      this.persist();
      const got = await this.exchange(session, msg, false);
      const fail = async (why: Bilingual, extra?: string) => {
        this.state.signedOn = false;
        this.keys = undefined;
        this.persist();
        const lines = [this.t(T.signOnFailed), this.t(why)];
        if (extra) lines.push(extra);
        this.show('sign-on-failed', interactive ? 'result' : 'sign-on-required', lines);
        this.host.beep('error');
        if (interactive) await this.waitAnyKey(this.host.timeouts.idleMs);
        return false;
      };
      if ('error' in got) return fail(got.error.kind === 'timeout' ? T.hostTimeout : T.commError);
      const reply = got.reply;
      const code = reply.getString(39) ?? '';
      if (reply.mti !== '0810' || code !== '00') {
        const rt = responseText(code);
        return fail({ zh: rt.zh, en: rt.en }, code ? `[${code}]` : undefined);
      }
      const f62 = reply.getBuffer(62);
      const replyLayout = (() => { try { return parseField60(reply.getString(60) ?? '').networkCode; } catch { return layout; } })();
      const useLayout = (['001', '003', '004'].includes(replyLayout) ? replyLayout : layout) as WorkingKeyLayout;
      if (!f62) return fail(T.kcvMismatch);
      let keys: WorkingKeys | undefined;
      try {
        keys = this.unwrapKeys(useLayout, f62);
      } catch (e) {
        this.host.log(`sign-on: ${(e as Error).message}`);
        return fail(T.kcvMismatch, this.t(T.checkTmk));
      }
      this.keys = keys;
      this.noteRequirement(got.header);
      this.needSignOn = false;
      this.state.ped.workingKeys = { layout: useLayout, f62: f62.toString('hex').toUpperCase() };
      this.state.signedOn = true;
      try {
        const batch = parseField60(reply.getString(60) ?? '').batchNumber;
        if (this.state.batch.length === 0 && /^\d{6}$/.test(batch) && batch !== '000000') this.state.counters.batchNumber = batch;
      } catch { /* keep ours */ }
      this.persist();
      // Interactive (管理 → 签到): a result screen left by a key; at boot: a passing screen on the way to idle.
      this.show('sign-on-ok', interactive ? 'result' : 'signing-on', [this.t(T.signOnOk), `${this.t({ zh: '批次号:', en: 'BATCH:' })}${this.state.counters.batchNumber}`]);
      this.host.beep('ok');
      await this.pause(800);
      return true;
    } finally {
      session.close();
    }
  }

  private async ensureSignedOn(): Promise<boolean> {
    if (this.state.signedOn && this.keys) return true;
    return this.signOn(false);
  }

  /** Header digit 6 of a reply (cup8583.md §1.1): 3 = sign on again, 1 / 6 = download parameters. */
  private noteRequirement(header: CupHeader): void {
    const r = header.processingRequirement;
    if (r === '3') this.needSignOn = true;
    if (r === '1' || r === '6') this.needParameters = true;
  }

  private async actOnRequirements(): Promise<void> {
    if (this.needSignOn) {
      this.needSignOn = false;
      this.state.signedOn = false;
      this.persist();
      if (this.host.autoSignOn) await this.signOn(false);
    }
    if (this.needParameters && this.state.signedOn) await this.downloadParameters(false);
  }

  /**
   * 参数下载 (0800, 60.3 = 360): field 62 is a list of 2-digit id + fixed-length value (cup8583.md
   * §3.4). The merchant name (22) is taken over for vouchers; timeouts and retry counts are kept
   * for the record only (the lab's configured timeouts stay in force).
   */
  private async downloadParameters(interactive: boolean): Promise<boolean> {
    this.needParameters = false;
    this.show('param-download', 'x-parameter-download', [this.t(T.paramDownload), this.t(T.downloading)]);
    const line = await this.openHostSafe();
    const done = async (ok: boolean, why?: Bilingual): Promise<boolean> => {
      const lines = [this.t(ok ? T.paramOk : T.paramFailed), ...(why ? [this.t(why)] : [])];
      this.show(ok ? 'param-ok' : 'param-failed', interactive ? 'result' : 'x-parameter-download', lines);
      this.host.beep(ok ? 'ok' : 'error');
      if (interactive) await this.waitAnyKey(this.host.timeouts.idleMs);
      return ok;
    };
    if (!line) return done(false, T.commError);
    try {
      const msg = this.baseRequest('0800');
      msg.set(11, this.nextStan(false));
      msg.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: '360' }));
      msg.set(63, `${this.host.operator} `);
      this.persist();
      const got = await this.exchange(line, msg, false);
      if ('error' in got) return done(false, got.error.kind === 'timeout' ? T.hostTimeout : T.commError);
      const code = got.reply.getString(39);
      const f62 = got.reply.getBuffer(62);
      if (got.reply.mti !== '0810' || code !== '00' || !f62) return done(false, code ? { zh: responseText(code).zh, en: responseText(code).en } : T.responseMismatch);
      const params = parseParameterBlock(f62);
      if (!params) return done(false, T.responseMismatch);
      this.state.parameters = params;
      if (params['22']) this.state.config.merchantName = params['22'];
      this.persist();
      return done(true);
    } finally {
      line.close();
    }
  }

  /**
   * A network-management notice (0820/0830, cup8583.md §3.3): F11, F41, F42, F60 = 00 + batch +
   * code (301 echo test, 002 sign-off); no MAC. Returns F39, or the reason nothing usable came back.
   */
  private async networkNotice(code: '301' | '002'): Promise<{ responseCode: string } | { why: Bilingual }> {
    const line = await this.openHostSafe();
    if (!line) return { why: T.commError };
    try {
      const msg = this.baseRequest('0820');
      msg.set(11, this.nextStan(false));
      msg.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: code }));
      this.persist();
      const got = await this.exchange(line, msg, false);
      if ('error' in got) return { why: got.error.kind === 'timeout' ? T.hostTimeout : T.commError };
      const rc = got.reply.getString(39);
      if (got.reply.mti !== '0830' || rc === undefined) return { why: T.responseMismatch };
      return { responseCode: rc };
    } finally {
      line.close();
    }
  }

  /** 回响测试 (0820, 60.3 = 301): checks the line to the host; 通讯正常 on 00. */
  private async echoTest(): Promise<void> {
    this.show('echo-test', 'x-echo-test', [this.t(T.echoTest), this.t(T.connecting)]);
    const got = await this.networkNotice('301');
    const ok = 'responseCode' in got && got.responseCode === '00';
    const lines = [this.t(T.echoTest), ok ? this.t(T.echoOk) : this.t(T.commError)];
    if (!ok) lines.push('why' in got ? this.t(got.why) : `${this.t(responseText(got.responseCode))} [${got.responseCode}]`);
    this.show(ok ? 'echo-ok' : 'echo-failed', 'result', lines);
    this.host.beep(ok ? 'ok' : 'error');
    await this.waitAnyKey(this.host.timeouts.idleMs);
  }

  /**
   * 签退 (0820, 60.3 = 002): once the host has acknowledged it the working keys are dropped and
   * the terminal needs 签到 before its next transaction. A refused or unanswered sign-off leaves
   * the terminal signed on (the host still holds its keys).
   */
  private async signOff(): Promise<void> {
    if (!this.state.signedOn) {
      this.show('sign-off-failed', 'result', [this.t(T.signOffFailed), this.t(T.notSignedOn)]);
      this.host.beep('error');
      await this.waitAnyKey(this.host.timeouts.idleMs);
      return;
    }
    this.show('sign-off', 'x-signing-off', [this.t(T.signOff), this.t(T.signingOff)]);
    const got = await this.networkNotice('002');
    if ('responseCode' in got && got.responseCode === '00') {
      this.state.signedOn = false;
      this.state.ped.workingKeys = undefined;
      this.keys = undefined;
      this.persist();
      this.show('sign-off-ok', 'result', [this.t(T.signOffOk), this.t(T.notSignedOn)]);
      this.host.beep('ok');
    } else {
      const why = 'why' in got ? this.t(got.why) : `${this.t(responseText(got.responseCode))} [${got.responseCode}]`;
      this.show('sign-off-failed', 'result', [this.t(T.signOffFailed), why]);
      this.host.beep('error');
    }
    await this.waitAnyKey(this.host.timeouts.idleMs);
  }

  // -------------------------------------------------------------------------------------------
  // reversal

  private async sendPendingReversal(session: HostLine): Promise<boolean> {
    const pending = this.state.pendingReversal;
    if (!pending) return true;
    const times = this.host.defects.has('reversal-sent-twice') ? 2 : 1;
    for (let attempt = pending.attempts; attempt < this.host.reversalRetries; attempt++) {
      this.show('reversal', 'reversal', [this.t(T.sendingReversal)]);
      const msg = fromStored('0400', pending.fields);
      msg.set(39, pending.reason);
      this.applyRequestMac(msg);
      const got = await this.exchange(session, msg, msg.has(55));
      if ('reply' in got && got.reply.mti === '0410') {
        for (let extra = 1; extra < times; extra++) {
          await this.exchange(session, msg, msg.has(55));
        }
        this.state.pendingReversal = null;
        this.persist();
        return true;
      }
      pending.attempts = attempt + 1;
      this.persist();
      if ('error' in got && got.error.kind === 'connect') {
        // The host cannot be reached at all: keep the reversal for the next occasion.
        return false;
      }
    }
    // Every retry failed: print a fault slip for manual handling and drop the record (LY).
    const { date, time } = this.stamp();
    this.host.print('fault', renderFaultSlip({
      kind: pending.kind, trace: pending.trace, batch: this.state.counters.batchNumber,
      ...(pending.maskedPan ? { maskedPan: pending.maskedPan } : {}),
      amount: formatAmount(Number('s' in (pending.fields['4'] ?? {}) ? (pending.fields['4'] as { s: string }).s : '0')),
      dateTime: `${date} ${time}`,
    }, this.voucherIds()), false, pending.trace);
    this.state.pendingReversal = null;
    this.persist();
    this.show('reversal-failed', 'result', [this.t(T.reversalFailed), this.t(T.contactSupport)]);
    this.host.beep('error');
    return false;
  }

  private makeReversal(kind: string, request: IsoMessage): PendingReversal {
    const copy = request.clone();
    for (const n of [35, 36, 52, 26, 53, 37, 64]) copy.unset(n);
    const f55 = request.getBuffer(55);
    if (f55) copy.set(55, reversalField55(f55));
    const pan = request.getString(2) ?? request.getString(35)?.split('=')[0];
    return {
      originalMti: request.mti, fields: toStored(copy), reason: '98', trace: request.getString(11)!, kind, attempts: 0,
      createdAt: new Date().toISOString(), ...(pan ? { maskedPan: maskPan(pan) } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // the online step shared by every financial transaction

  private async goOnline(kind: TransactionKind | 'balance', request: IsoMessage, read: CardRead | undefined, title: Bilingual): Promise<OnlineOutcome> {
    this.show('online', 'online', [this.t(title), this.t(T.connecting)], { transaction: kind });
    const session = await this.openHostSafe();
    if (!session) return { approved: false, failure: T.commError };
    try {
      if (this.state.pendingReversal) {
        const ok = await this.sendPendingReversal(session);
        if (!ok) return { approved: false, failure: T.reversalFailed };
        this.show('online', 'online', [this.t(title), this.t(T.connecting)], { transaction: kind });
      }
      // The STAN is taken only now, after any reversal, so the request carries the newest one.
      request.set(11, this.nextStan(true));
      this.applyRequestMac(request);
      const reversible = REVERSIBLE.has(kind);
      if (reversible) this.state.pendingReversal = this.makeReversal(kind, request);
      this.persist(); // reversal record (and STAN) on disk BEFORE the request leaves
      await this.pause(1200);
      const got = await this.exchange(session, request, read?.icc !== undefined);
      if ('error' in got) {
        if (reversible && this.host.defects.has('no-reversal-after-timeout')) {
          this.state.pendingReversal = null;
          this.persist();
        }
        return { approved: false, failure: got.error.kind === 'timeout' ? T.hostTimeout : T.commError };
      }
      const reply = got.reply;
      this.noteRequirement(got.header);
      const code = reply.getString(39) ?? '';
      const expectedMti = request.mti.slice(0, 2) + String(Number(request.mti[2]) + 1) + request.mti[3];
      const mismatch = reply.mti !== expectedMti
        || (request.has(3) && reply.getString(3) !== request.getString(3))
        || reply.getString(11) !== request.getString(11)
        || reply.getString(41) !== request.getString(41)
        || (code === '00' && reply.getString(42) !== request.getString(42))
        || (request.has(4) && code !== '10' && kind !== 'balance' && reply.has(4) && reply.getString(4) !== request.getString(4));
      if (mismatch) {
        if (reversible && this.state.pendingReversal) { this.state.pendingReversal.reason = '06'; this.persist(); }
        return { approved: false, failure: T.responseMismatch, responseCode: code };
      }
      if (code === '00' && !this.host.defects.has('response-mac-not-verified')) {
        const macOk = reply.has(64) && verifyMac(reply, this.keys!.mak, this.macScheme());
        if (!macOk) {
          if (reversible && this.state.pendingReversal) {
            this.state.pendingReversal.reason = 'A0';
            const auth = reply.getString(38);
            if (auth) this.state.pendingReversal.fields['38'] = { s: auth };
            this.persist();
          }
          return { approved: false, failure: T.macMismatch, responseCode: code };
        }
      }
      const approved = SUCCESS_CODES.has(code);
      if (approved && read?.icc && read.method === 'insert') {
        const issuerAuth = read.icc.verifyIssuerAuthentication(reply.getBuffer(55));
        if (issuerAuth === 'failed') {
          // Second GENERATE AC: the card declines (AAC); the approval must be reversed (reason 06).
          if (reversible && this.state.pendingReversal) {
            this.state.pendingReversal.reason = '06';
            const auth = reply.getString(38);
            if (auth) this.state.pendingReversal.fields['38'] = { s: auth };
            this.persist();
          }
          return { approved: false, failure: T.arpcFailed, responseCode: code };
        }
      }
      if (reversible) {
        this.state.pendingReversal = null;
        this.persist();
      }
      return { approved, reply, header: got.header, responseCode: code };
    } finally {
      session.close();
    }
  }

  private voucherIds(): { merchantName: string; merchantId: string; terminalId: string } {
    return {
      merchantName: this.state.config.merchantName ?? '',
      merchantId: this.state.config.merchantId ?? '',
      terminalId: this.state.config.terminalId ?? '',
    };
  }

  private printVouchers(tx: StoredTransaction, reprint: boolean): void {
    const copies = voucherCopies(this.state.config.voucherCopies, this.host.defects);
    for (const copy of copies) {
      this.host.print(copy, renderVoucher(tx, copy, {
        ...this.voucherIds(), operator: this.host.operator, reprint, defects: this.host.defects,
        terminalMadeRrn: `${tx.date.replace(/-/g, '').slice(2)}${tx.trace}`,
      }), reprint, tx.trace);
    }
  }

  /** Builds the stored record from an approved reply. */
  private record(kind: TransactionKind, request: IsoMessage, reply: IsoMessage, read: CardRead | undefined, pan: string, amount: number, extra: Partial<StoredTransaction>): StoredTransaction {
    const { date, time } = this.stamp();
    let org = 'CUP';
    try { org = parseField63Response(reply.getString(63) ?? 'CUP').cardOrganisation; } catch { /* keep CUP */ }
    const f44 = reply.getString(44);
    const hostTime = reply.getString(12);
    const hostDate = reply.getString(13);
    const tx: StoredTransaction = {
      kind,
      trace: request.getString(11)!,
      batch: this.state.counters.batchNumber,
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

  /** The end of every authorization: result screen, voucher, batch. */
  private async conclude(kind: TransactionKind, title: Bilingual, outcome: OnlineOutcome, request: IsoMessage, read: CardRead | undefined, pan: string, amount: number, extra: Partial<StoredTransaction>, arqc?: ReturnType<SoftwareIcc['generateArqc']>): Promise<FlowResult> {
    const trace = request.getString(11);
    if (outcome.failure) {
      const lines = [this.t(title), this.t(T.failed), this.t(outcome.failure)];
      if (this.state.pendingReversal) lines.push(this.t(T.willReverse));
      this.show('declined', 'result', lines, { transaction: kind, responseCode: outcome.responseCode });
      this.host.beep('error');
      return { approved: false, responseCode: outcome.responseCode, message: this.t(outcome.failure), amount, trace, pan };
    }
    const reply = outcome.reply!;
    const code = outcome.responseCode ?? '';
    const fakeSuccess = code === '51' && this.host.defects.has('response-51-shown-as-success');
    if (!outcome.approved && !fakeSuccess) {
      const rt = responseText(code);
      const lines = [this.t(title), this.t(T.failed), `${this.t(rt)} [${code}]`];
      if (rt.contactBank && !this.host.defects.has('lost-card-no-contact-bank')) lines.push(this.t(T.contactBank));
      this.show('declined', 'result', lines, { transaction: kind, responseCode: code });
      this.host.beep('error');
      return { approved: false, responseCode: code, message: this.t(rt), amount, trace, pan };
    }
    const tx = this.record(kind, request, reply, read, pan, amount, extra);
    if (arqc) {
      tx.emv = {
        arqc: arqc.arqc.toString('hex').toUpperCase(), tvr: arqc.tvr.toString('hex').toUpperCase(), aid: arqc.aid,
        atc: arqc.atc.toString('hex').toUpperCase(), applicationLabel: arqc.applicationLabel, tsi: 'E800',
      };
    }
    if (!fakeSuccess) {
      // Pre-authorizations are kept apart (not in the settlement totals); their voids only close them.
      if (kind === 'pre-auth') this.state.preAuths.push(tx);
      else if (kind !== 'pre-auth-void') this.state.batch.push(tx);
      this.state.lastTrace = tx.trace;
      this.persist();
    }
    this.show('printing', 'printing', [this.t(title), this.t(T.printing)]);
    this.printVouchers(tx, false);
    await this.pause(1500);
    const lines = [this.t(title), this.t(T.success), `${this.t(T.amount)}${formatAmount(amount)}`];
    if (code !== '00' && !fakeSuccess) lines.push(this.t(responseText(code)));
    lines.push(this.t(T.tearOff));
    this.show('approved', 'result', lines, { transaction: kind, responseCode: fakeSuccess ? '00' : code, trace: tx.trace });
    this.host.beep('ok');
    return {
      approved: true, responseCode: fakeSuccess ? '00' : code, message: this.t(T.success), amount,
      trace: tx.trace, rrn: tx.rrn, authCode: tx.authCode, pan,
    };
  }

  private expiredRefusal(title: Bilingual, read: CardRead): FlowResult | undefined {
    if (!this.cardExpired(read.card) || this.host.defects.has('expired-card-accepted')) return undefined;
    this.show('declined', 'result', [this.t(title), this.t(T.failed), this.t(T.cardExpired)], { reason: 'card-expired' });
    this.host.beep('error');
    return { approved: false, message: this.t(T.cardExpired), pan: read.card.pan };
  }

  private async readyToTransact(title: Bilingual): Promise<FlowResult | undefined> {
    if (await this.ensureSignedOn()) return undefined;
    const lines = [this.t(title), this.t(T.signOnFailed)];
    this.show('declined', 'result', lines);
    return { approved: false, message: this.t(T.signOnFailed) };
  }

  private batchFull(title: Bilingual): FlowResult | undefined {
    if (this.state.batch.length < 500) return undefined;
    this.show('declined', 'result', [this.t(title), this.t(T.batchFull)]);
    return { approved: false, message: this.t(T.batchFull) };
  }

  private parseEcrAmount(ecr: EcrRequest | undefined): number | undefined {
    if (!ecr?.amount) return undefined;
    if (!/^\d{1,12}$/.test(ecr.amount) || Number(ecr.amount) === 0) throw new FlowAbort('cancelled', `ecr amount ${ecr.amount} is not 1..12 digits of fen`);
    return Number(ecr.amount);
  }

  // -------------------------------------------------------------------------------------------
  // flows

  private async saleFlow(kind: 'sale' | 'pre-auth', ecr?: EcrRequest): Promise<FlowResult> {
    const title = kind === 'sale' ? T.sale : T.preAuth;
    const notReady = (await this.readyToTransact(title)) ?? this.batchFull(title);
    if (notReady) return notReady;
    const amount = this.parseEcrAmount(ecr) ?? await this.enterAmount(title);
    const read = await this.readCard(title, amount);
    const expired = this.expiredRefusal(title, read);
    if (expired) return expired;
    const pin = await this.enterPin(title, amount);
    const msg = this.baseRequest(kind === 'sale' ? '0200' : '0100');
    msg.set(3, kind === 'sale' ? '000000' : '030000');
    msg.set(4, pad12(amount));
    msg.set(25, kind === 'sale' ? '00' : '06');
    msg.set(49, '156');
    msg.set(60, this.field60(kind === 'sale' ? '22' : '10', read.method));
    this.addCardFields(msg, read, read.card.pan, pin);
    const arqc = this.addIcc(msg, read, amount, kind === 'sale' ? '00' : '03');
    const outcome = await this.goOnline(kind, msg, read, title);
    return this.conclude(kind, title, outcome, msg, read, read.card.pan, amount, {}, arqc);
  }

  private async billPaymentFlow(ecr?: EcrRequest): Promise<FlowResult> {
    const title = T.billPayment;
    const notReady = (await this.readyToTransact(title)) ?? this.batchFull(title);
    if (notReady) return notReady;
    const amount = this.parseEcrAmount(ecr) ?? await this.enterAmount(title);
    const name = ecr?.payee?.name ?? await this.enterText(title, T.enterPayeeName, 'payee-name', 40);
    const account = ecr?.payee?.account ?? await this.enterDigits(title, T.enterPayeeAccount, 'payee-account', { min: 1, max: 32 });
    const reference = ecr?.payee?.reference;
    const payee = { name, account, ...(reference ? { reference } : {}) };
    const payeeBytes = encodeBillPayee(payee); // validates before anything is shown
    const lines = [this.t(T.confirmBill)];
    if (!this.host.defects.has('payee-not-shown')) {
      lines.push(`${this.t(T.payee)}${name}`, `${this.t(T.payeeAccount)}${account}`);
    }
    lines.push(`${this.t(T.amount)}${formatAmount(amount)}`);
    await this.confirm('bill-confirm', lines);
    const read = await this.readCard(title, amount);
    const expired = this.expiredRefusal(title, read);
    if (expired) return expired;
    const pin = await this.enterPin(title, amount);
    const msg = this.baseRequest('0200');
    msg.set(3, BILL_PAYMENT_PROCESSING_CODE);
    msg.set(4, pad12(amount));
    msg.set(25, '00');
    msg.set(49, '156');
    msg.set(60, this.field60('22', read.method));
    msg.set(62, payeeBytes);
    this.addCardFields(msg, read, read.card.pan, pin);
    const arqc = this.addIcc(msg, read, amount, '00');
    const outcome = await this.goOnline('bill-payment', msg, read, title);
    return this.conclude('bill-payment', title, outcome, msg, read, read.card.pan, amount, { payee }, arqc);
  }

  private findInBatch(trace: string): StoredTransaction | undefined {
    return this.state.batch.find((t) => t.trace === trace && t.kind !== 'void' && t.kind !== 'refund');
  }

  private async voidFlow(ecr?: EcrRequest): Promise<FlowResult> {
    const title = T.void;
    const notReady = await this.readyToTransact(title);
    if (notReady) return notReady;
    const trace = ecr?.originalTrace ?? await this.enterDigits(title, T.enterVoucherNo, 'void-trace', { min: 1, max: 6 });
    const original = this.findInBatch(trace.padStart(6, '0'));
    const refuse = (text: Bilingual): FlowResult => {
      this.show('declined', 'result', [this.t(title), this.t(text)]);
      this.host.beep('error');
      return { approved: false, message: this.t(text) };
    };
    if (!original) return refuse(T.voucherNotFound);
    if (original.voided) return refuse(T.alreadyVoided);
    if (!['sale', 'bill-payment', 'completion'].includes(original.kind)) return refuse(T.cannotVoid);
    if (!ecr) {
      await this.confirm('void-confirm', [
        this.t(T.confirmVoid), `${this.t(T.originalVoucher)}${original.trace}`,
        maskPan(original.pan), `${this.t(T.amount)}${formatAmount(original.amount)}`,
      ]);
    }
    const msg = this.baseRequest('0200');
    msg.set(2, original.pan);
    msg.set(3, '200000');
    msg.set(4, pad12(original.amount));
    msg.set(22, this.entryMode('manual', false));
    msg.set(25, original.kind === 'completion' ? '06' : '00');
    msg.set(37, original.rrn || '000000000000');
    if (original.authCode) msg.set(38, original.authCode.padEnd(6, ' '));
    msg.set(49, '156');
    msg.set(60, this.field60(original.kind === 'completion' ? '21' : '23', 'manual'));
    msg.set(61, formatField61({ originalBatch: original.batch, originalTrace: original.trace }));
    const outcome = await this.goOnline('void', msg, undefined, title);
    const result = await this.conclude('void', title, outcome, msg, undefined, original.pan, original.amount, {
      original: { trace: original.trace, rrn: original.rrn, authCode: original.authCode },
      ...(original.payee ? { payee: original.payee } : {}),
    });
    if (result.approved && outcome.approved) {
      original.voided = true;
      this.persist();
    }
    return result;
  }

  private async refundFlow(ecr?: EcrRequest): Promise<FlowResult> {
    const title = T.refund;
    const notReady = (await this.readyToTransact(title)) ?? this.batchFull(title);
    if (notReady) return notReady;
    const read = await this.readCard(title, undefined);
    const rrn = ecr?.originalRrn ?? await this.enterDigits(title, T.enterOrigRrn, 'refund-rrn', { min: 12, max: 12 });
    const date = ecr?.originalDate ?? await this.enterDigits(title, T.enterOrigDate, 'refund-date', { min: 4, max: 4 });
    const amount = this.parseEcrAmount(ecr) ?? await this.enterAmount(title);
    const msg = this.baseRequest('0220');
    msg.set(3, '200000');
    msg.set(4, pad12(amount));
    msg.set(25, '00');
    msg.set(37, rrn);
    msg.set(49, '156');
    msg.set(60, this.field60('25', read.method));
    msg.set(61, formatField61({ originalBatch: '000000', originalTrace: '000000', originalDate: date }));
    msg.set(63, 'CUP');
    this.addCardFields(msg, read, read.card.pan, '');
    const outcome = await this.goOnline('refund', msg, read, title);
    return this.conclude('refund', title, outcome, msg, read, read.card.pan, amount, { original: { rrn, date } });
  }

  private async balanceFlow(): Promise<FlowResult> {
    const title = T.balance;
    const notReady = await this.readyToTransact(title);
    if (notReady) return notReady;
    const read = await this.readCard(title, undefined);
    const expired = this.expiredRefusal(title, read);
    if (expired) return expired;
    const pin = await this.enterPin(title, undefined);
    const msg = this.baseRequest('0200');
    msg.set(3, '310000');
    msg.set(25, '00');
    msg.set(49, '156');
    msg.set(60, this.field60('01', read.method));
    this.addCardFields(msg, read, read.card.pan, pin);
    this.addIcc(msg, read, 0, '31');
    const outcome = await this.goOnline('balance', msg, read, title);
    if (outcome.failure || !outcome.approved) {
      const code = outcome.responseCode ?? '';
      const text = outcome.failure ? this.t(outcome.failure) : `${this.t(responseText(code))} [${code}]`;
      const lines = [this.t(title), this.t(T.failed), text];
      if (!outcome.failure && responseText(code).contactBank && !this.host.defects.has('lost-card-no-contact-bank')) lines.push(this.t(T.contactBank));
      this.show('declined', 'result', lines, { transaction: 'balance', responseCode: code });
      this.host.beep('error');
      return { approved: false, responseCode: outcome.responseCode, message: text, pan: read.card.pan };
    }
    let balanceText = '';
    try {
      const b = parseBalance(outcome.reply!.getString(54) ?? '');
      balanceText = formatAmount(b.amount);
    } catch { balanceText = '--'; }
    this.show('balance', 'result', [this.t(title), this.t(T.balanceOk), this.t(T.availableBalance), balanceText], { transaction: 'balance', responseCode: outcome.responseCode });
    this.host.beep('ok');
    return { approved: true, responseCode: outcome.responseCode, message: `${this.t(T.availableBalance)}${balanceText}`, pan: read.card.pan };
  }

  private async preAuthMenu(): Promise<FlowResult | undefined> {
    this.show('pre-auth-menu', 'menu', [this.t(T.preAuthMenu), `1.${this.t(T.preAuth)}`, `2.${this.t(T.completion)}`, `3.${this.t(T.preAuthVoid)}`]);
    const key = await this.waitKey(['1', '2', '3', 'CANCEL'], this.host.timeouts.idleMs, 'pre-auth menu');
    if (key === 'CANCEL') return undefined;
    if (key === '1') return this.saleFlow('pre-auth');
    return key === '2' ? this.completionFlow() : this.preAuthVoidFlow();
  }

  /** 预授权撤销: 0100, F3 200000, F25 06, 60.1 11, F38 + F61 of the pre-authorization; no PIN. */
  private async preAuthVoidFlow(): Promise<FlowResult> {
    const title = T.preAuthVoid;
    const notReady = await this.readyToTransact(title);
    if (notReady) return notReady;
    const read = await this.readCard(title, undefined);
    const authCode = await this.enterText(title, T.enterAuthCode, 'pre-auth-void-auth', 6);
    const preAuth = this.state.preAuths.find((p) => p.authCode === authCode && p.pan === read.card.pan);
    const amount = preAuth?.amount ?? await this.enterAmount(title);
    const msg = this.baseRequest('0100');
    msg.set(3, '200000');
    msg.set(4, pad12(amount));
    msg.set(25, '06');
    msg.set(38, authCode.padEnd(6, ' '));
    msg.set(49, '156');
    msg.set(60, this.field60('11', read.method));
    msg.set(61, formatField61({
      originalBatch: preAuth?.batch ?? '000000', originalTrace: preAuth?.trace ?? '000000',
      originalDate: preAuth ? preAuth.date.slice(5, 7) + preAuth.date.slice(8, 10) : '0000',
    }));
    this.addCardFields(msg, read, read.card.pan, '');
    const outcome = await this.goOnline('pre-auth-void', msg, read, title);
    const result = await this.conclude('pre-auth-void', title, outcome, msg, read, read.card.pan, amount, {
      original: { authCode, ...(preAuth ? { trace: preAuth.trace } : {}) },
    });
    if (outcome.approved && preAuth) {
      this.state.preAuths = this.state.preAuths.filter((p) => p !== preAuth);
      this.persist();
    }
    return result;
  }

  private async completionFlow(): Promise<FlowResult> {
    const title = T.completion;
    const notReady = (await this.readyToTransact(title)) ?? this.batchFull(title);
    if (notReady) return notReady;
    const read = await this.readCard(title, undefined);
    const expired = this.expiredRefusal(title, read);
    if (expired) return expired;
    const authCode = await this.enterText(title, T.enterAuthCode, 'completion-auth', 6);
    const amount = await this.enterAmount(title);
    const pin = await this.enterPin(title, amount);
    const preAuth = this.state.preAuths.find((p) => p.authCode === authCode && p.pan === read.card.pan);
    const msg = this.baseRequest('0200');
    msg.set(3, '000000');
    msg.set(4, pad12(amount));
    msg.set(25, '06');
    msg.set(38, authCode.padEnd(6, ' '));
    msg.set(49, '156');
    msg.set(60, this.field60('20', read.method));
    msg.set(61, formatField61({
      originalBatch: preAuth?.batch ?? '000000', originalTrace: preAuth?.trace ?? '000000',
      originalDate: preAuth ? preAuth.date.slice(5, 7) + preAuth.date.slice(8, 10) : '0000',
    }));
    this.addCardFields(msg, read, read.card.pan, pin);
    const outcome = await this.goOnline('completion', msg, read, title);
    const result = await this.conclude('completion', title, outcome, msg, read, read.card.pan, amount, {
      original: { authCode, ...(preAuth ? { trace: preAuth.trace } : {}) },
    });
    if (outcome.approved && preAuth) {
      this.state.preAuths = this.state.preAuths.filter((p) => p !== preAuth);
      this.persist();
    }
    return result;
  }

  // settlement ----------------------------------------------------------------------------------

  private totals(): { domestic: SettlementTotalsView; foreign: SettlementTotalsView; byKind: Record<string, [number, number]> } {
    const side = (): SettlementTotalsView => ({ debitCount: 0, debitAmount: 0, creditCount: 0, creditAmount: 0 });
    const domestic = side();
    const foreign = side();
    const byKind: Record<string, [number, number]> = { sale: [0, 0], billPayment: [0, 0], completion: [0, 0], void: [0, 0], refund: [0, 0] };
    for (const tx of this.state.batch) {
      const s = tx.cardOrganisation === 'CUP' ? domestic : foreign;
      const k = tx.kind === 'bill-payment' ? 'billPayment' : tx.kind;
      if (byKind[k]) { byKind[k][0]++; byKind[k][1] += tx.amount; }
      // Debit: sales (including those voided later), bill payments, completions; credit: voids, refunds (cup8583.md §3.9).
      if (tx.kind === 'sale' || tx.kind === 'bill-payment' || tx.kind === 'completion') { s.debitCount++; s.debitAmount += tx.amount; }
      else if (tx.kind === 'void' || tx.kind === 'refund') { s.creditCount++; s.creditAmount += tx.amount; }
    }
    return { domestic, foreign, byKind };
  }

  private async settleFlow(ecr?: EcrRequest): Promise<FlowResult> {
    const title = T.settle;
    const notReady = await this.readyToTransact(title);
    if (notReady) return notReady;
    const totals = this.totals();
    if (!ecr) {
      await this.confirm('settle-confirm', [
        this.t(T.confirmSettle), `${this.t({ zh: '批次号:', en: 'BATCH:' })}${this.state.counters.batchNumber}`,
        `${this.t({ zh: '借记', en: 'DEBIT' })} ${totals.domestic.debitCount + totals.foreign.debitCount} ${formatAmount(totals.domestic.debitAmount + totals.foreign.debitAmount)}`,
        `${this.t({ zh: '贷记', en: 'CREDIT' })} ${totals.domestic.creditCount + totals.foreign.creditCount} ${formatAmount(totals.domestic.creditAmount + totals.foreign.creditAmount)}`,
      ]);
    }
    this.show('settling', 'settling', [this.t(title), this.t(T.settling)]);
    const session = await this.openHostSafe();
    const fail = (why: Bilingual, code?: string): FlowResult => {
      this.show('settle-failed', 'result', [this.t(title), this.t(T.settleFailed), this.t(why)]);
      this.host.beep('error');
      return { approved: false, message: this.t(why), ...(code ? { responseCode: code } : {}) };
    };
    if (!session) return fail(T.commError);
    let uploaded = 0;
    let domesticResult = '0';
    let foreignResult = '0';
    try {
      const reversalFirst = !this.host.defects.has('settlement-before-reversal');
      if (reversalFirst && this.state.pendingReversal && !(await this.sendPendingReversal(session))) return fail(T.reversalFailed);
      const f48Side = (v: SettlementTotalsView) => ({ ...v, result: '0' as const });
      const domestic = f48Side(totals.domestic);
      if (this.host.defects.has('settlement-totals-off-by-one')) domestic.debitCount += 1;
      const msg = this.baseRequest('0500');
      msg.set(11, this.nextStan(false));
      msg.set(48, encodeSettlementTotals({ domestic, foreign: f48Side(totals.foreign) }));
      msg.set(49, '156');
      msg.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: '201' }));
      msg.set(63, `${this.host.operator} `);
      this.persist();
      const got = await this.exchange(session, msg, false);
      if ('error' in got) return fail(got.error.kind === 'timeout' ? T.hostTimeout : T.commError);
      const reply = got.reply;
      const code = reply.getString(39);
      if (reply.mti !== '0510' || (code !== undefined && code !== '00')) {
        return fail(code ? { zh: responseText(code).zh, en: responseText(code).en } : T.responseMismatch, code);
      }
      try {
        const r = decodeSettlementTotals(reply.getString(48) ?? '');
        domesticResult = r.domestic.result;
        foreignResult = r.foreign.result;
      } catch {
        return fail(T.responseMismatch);
      }
      if (!reversalFirst && this.state.pendingReversal) await this.sendPendingReversal(session);
      const balanced = domesticResult === '1' && foreignResult === '1';
      if (!balanced) this.show('batch-upload', 'settling', [this.t(title), this.t(T.batchUploading)]);
      const up = await this.batchUpload(session, balanced);
      if (up === undefined) return fail(T.commError);
      uploaded = up;
    } finally {
      session.close();
    }
    const { date, time } = this.stamp();
    const slip = renderSettlementSlip({
      ...this.voucherIds(), operator: this.host.operator, batch: this.state.counters.batchNumber, dateTime: `${date} ${time}`,
      domesticResult, foreignResult, domestic: totals.domestic, foreign: totals.foreign,
      byKind: totals.byKind as never, batchUploaded: uploaded,
    });
    const settledBatch = this.state.counters.batchNumber;
    this.state.lastSettlement = { batch: settledBatch, lines: slip };
    if (!this.host.defects.has('batch-not-cleared')) {
      this.state.batch = [];
      this.state.lastTrace = undefined;
      const next = Number(settledBatch) >= 999999 ? 1 : Number(settledBatch) + 1;
      this.state.counters.batchNumber = String(next).padStart(6, '0');
    }
    this.persist();
    this.show('printing', 'printing', [this.t(title), this.t(T.printing)]);
    this.host.print('settlement', slip, false);
    const balancedText = domesticResult === '1' ? T.balanced : domesticResult === '2' ? T.unbalanced : T.reconcileError;
    this.show('settled', 'result', [this.t(title), this.t(T.settleOk), `${this.t({ zh: '内卡:', en: 'DOMESTIC:' })}${this.t(balancedText)}`,
      `${this.t({ zh: '批次号:', en: 'BATCH:' })}${settledBatch}`], { transaction: 'settle', batch: settledBatch, uploaded });
    this.host.beep('ok');
    return { approved: true, responseCode: '00', message: this.t(T.settleOk) };
  }

  /**
   * 批上送 (cup8583.md §3.10). Unbalanced (LY "ALLLOG" pass, simplified): every financial record of
   * the batch as 40-digit items, 8 per 0320 (60.3 = 201), then the end message 202 with the count.
   * Balanced: only the end message 207 ("二代平台对账平也需要批结束报文"); it closes the batch at
   * the host. Returns the count uploaded, or undefined when the host stopped answering.
   */
  private async batchUpload(session: HostLine, balanced: boolean): Promise<number | undefined> {
    const records = balanced ? [] : this.state.batch;
    let sent = 0;
    for (let i = 0; i < records.length; i += 8) {
      const chunk = records.slice(i, i + 8);
      const items = chunk.map((tx) => (tx.cardOrganisation === 'CUP' ? '00' : '01') + tx.trace + tx.pan.padStart(20, '0') + pad12(tx.amount));
      const msg = this.baseRequest('0320');
      msg.set(11, this.nextStan(false));
      msg.set(48, String(chunk.length).padStart(2, '0') + items.join(''));
      msg.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: '201' }));
      this.persist();
      const got = await this.exchange(session, msg, false);
      if ('error' in got || got.reply.mti !== '0330') return undefined;
      sent += chunk.length;
    }
    const end = this.baseRequest('0320');
    end.set(11, this.nextStan(false));
    end.set(48, String(sent).padStart(4, '0'));
    end.set(60, formatField60({ transactionType: '00', batchNumber: this.state.counters.batchNumber, networkCode: balanced ? '207' : '202' }));
    this.persist();
    const got = await this.exchange(session, end, false);
    if ('error' in got || got.reply.mti !== '0330') return undefined;
    return sent;
  }

  // reprint / management ----------------------------------------------------------------------------

  private async reprintFlow(ecr?: EcrRequest): Promise<FlowResult | undefined> {
    const title = T.reprint;
    let choice: string;
    if (ecr) choice = ecr.originalTrace ? '2' : '1';
    else {
      this.show('reprint-menu', 'menu', [this.t(title), `1.${this.t(T.reprintLast)}`, `2.${this.t(T.reprintAny)}`, `3.${this.t(T.reprintSettlement)}`]);
      choice = await this.waitKey(['1', '2', '3', 'CANCEL'], this.host.timeouts.idleMs, 'reprint menu');
      if (choice === 'CANCEL') return undefined;
    }
    const none = (): FlowResult => {
      this.show('declined', 'result', [this.t(title), this.t(T.noTransaction)]);
      this.host.beep('error');
      return { approved: false, message: this.t(T.noTransaction) };
    };
    if (choice === '3') {
      const last = this.state.lastSettlement;
      if (!last) return none();
      this.show('printing', 'printing', [this.t(title), this.t(T.printing)]);
      const lines = [...last.lines];
      if (!this.host.defects.has('reprint-not-marked')) lines.push('****重打印/DUPLICATED****');
      this.host.print('settlement', lines, true);
      this.show('reprinted', 'result', [this.t(title), this.t(T.tearOff)]);
      return { approved: true, message: this.t(T.reprint) };
    }
    let trace = this.state.lastTrace;
    if (choice === '2') trace = (ecr?.originalTrace ?? await this.enterDigits(title, T.enterVoucherNo, 'reprint-trace', { min: 1, max: 6 })).padStart(6, '0');
    const tx = trace ? [...this.state.batch, ...this.state.preAuths].find((t) => t.trace === trace) : undefined;
    if (!tx) return none();
    this.show('printing', 'printing', [this.t(title), this.t(T.printing)]);
    this.printVouchers(tx, true);
    this.show('reprinted', 'result', [this.t(title), this.t(T.tearOff)]);
    return { approved: true, message: this.t(T.reprint), trace: tx.trace, amount: tx.amount, rrn: tx.rrn, authCode: tx.authCode, pan: tx.pan };
  }

  private async manageMenu(): Promise<FlowResult | undefined> {
    this.show('manage-menu', 'menu', [
      this.t(T.manage), `1.${this.t(T.signOn)}`, `2.${this.t(T.summary)}`, `3.${this.t(T.language)}`, `4.${this.t(T.paramDownload)}`,
      `5.${this.t(T.echoTest)}`, `6.${this.t(T.signOff)}`,
    ]);
    const key = await this.waitKey(['1', '2', '3', '4', '5', '6', 'CANCEL'], this.host.timeouts.idleMs, 'management menu');
    if (key === 'CANCEL') return undefined;
    if (key === '5') {
      await this.echoTest();
      return undefined;
    }
    if (key === '6') {
      await this.signOff();
      return undefined;
    }
    if (key === '4') {
      if (await this.ensureSignedOn()) await this.downloadParameters(true);
      return undefined;
    }
    if (key === '1') {
      this.state.signedOn = false;
      const ok = await this.signOn(true);
      if (ok) await this.waitAnyKey(this.host.timeouts.idleMs);
      return undefined;
    }
    if (key === '2') {
      const t = this.totals();
      this.show('summary', 'result', [
        this.t(T.summary), `${this.t({ zh: '批次号:', en: 'BATCH:' })}${this.state.counters.batchNumber}`,
        `${this.t({ zh: '借记', en: 'DEBIT' })} ${t.domestic.debitCount + t.foreign.debitCount} ${formatAmount(t.domestic.debitAmount + t.foreign.debitAmount)}`,
        `${this.t({ zh: '贷记', en: 'CREDIT' })} ${t.domestic.creditCount + t.foreign.creditCount} ${formatAmount(t.domestic.creditAmount + t.foreign.creditAmount)}`,
      ]);
      await this.waitAnyKey(this.host.timeouts.idleMs);
      return undefined;
    }
    this.state.config.language = this.state.config.language === 'zh-CN' ? 'en' : 'zh-CN';
    this.persist();
    return undefined;
  }
}

/** Lengths of the 360 parameters (cup8583.md §3.4); 22 (merchant name) is 40 bytes of GBK. */
const PARAMETER_LENGTHS: Readonly<Record<string, number>> = {
  '11': 2, '12': 2, '13': 1, '14': 14, '15': 14, '16': 14, '17': 14, '18': 1, '19': 2, '20': 1, '21': 1,
  '22': 40, '23': 1, '24': 1, '25': 1, '26': 4, '27': 2,
};

/** id → value (trimmed text); undefined when the block does not follow the table. */
export function parseParameterBlock(block: Buffer): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < block.length) {
    if (off + 2 > block.length) return undefined;
    const id = block.toString('latin1', off, off + 2);
    const len = PARAMETER_LENGTHS[id];
    if (len === undefined || off + 2 + len > block.length) return undefined;
    const raw = block.subarray(off + 2, off + 2 + len);
    out[id] = (id === '22' ? iconv.decode(raw, 'gbk') : raw.toString('latin1')).trim();
    off += 2 + len;
  }
  return out;
}
