// The World of a scenario: the worker's terminal driver and host control, the card book, and what
// the scenario has seen so far (journal cursor, opening balances, the message "it" refers to, the
// transactions it made) — the evidence the After hook attaches.
import { IWorldOptions, World, setWorldConstructor } from '@cucumber/cucumber';
import { expect } from 'chai';
import { maskPan } from '../../crypto';
import { cardByAlias, terminalCardImage } from '../../host';
import type { CardConfig, HostControl } from '../../host';
import type { TtpCardImage } from '../../protocol/ttp';
import type { ScreenSnapshot } from '../../drivers/screens';
import type { TerminalDriver, TerminalIdentity } from '../../drivers/terminal';
import type { VoucherCopy } from '../../drivers/vouchers';
import { HostMessage, requestsOf, replyTo, toHostMessage } from './host-view';
import type { EntryMode, TxnKind } from './parse';
import type { WorkerLab } from './lab';
import type { WorldParameters } from './settings';

/** A transaction this scenario made through the terminal (for voids, refunds, reprints). */
export interface ScenarioTxn {
  kind: TxnKind;
  card: string;
  amountFen?: number;
  /** Filled from the host journal once the terminal sent it. */
  request?: HostMessage;
  reply?: HostMessage;
}

export class PoscertWorld extends World<WorldParameters> {
  lab!: WorkerLab;
  /** Journal id before the scenario: everything after it is this scenario's traffic. */
  journalCursor = 0;
  /** Transcript entries before the scenario. */
  transcriptCursor = 0;
  scenarioStartedAt = Date.now();
  caseId = '';
  /** Balances of the cards this scenario used, read before their first use. */
  readonly openingBalances = new Map<string, number>();
  /** The host message the last "the host received …" step found ("it", "its"). */
  current: HostMessage | undefined;
  readonly txns: ScenarioTxn[] = [];
  /** PINs typed in this scenario (to prove none leaks into screens, vouchers, journal). */
  readonly pinsTyped = new Set<string>();
  /** An ECR request in flight (its reply comes when the transaction ends). */
  ecrPending: Promise<unknown> | undefined;
  /** Terminal ids the scenario configured the terminal with (besides the worker's own). */
  readonly terminalIdsUsed = new Set<string>();
  /** Terminal settings changed by the scenario, restored by the After hook. */
  restoreConfig: Record<string, unknown> | undefined;
  restoreTamper = false;
  /** Batch number of the last settlement this scenario ran. */
  settledBatch: string | undefined;
  /** The card the cardholder presented last (whose PIN "the correct PIN" is). */
  lastCard: string | undefined;
  /** When the terminal was last seen at rest by backToIdle (its screen's time). */
  restingScreenAt: number | undefined;
  /** An inserted card stays in the slot until the cardholder takes it out (backToIdle does). */
  cardInSlot = false;
  /** How the last card was presented. */
  lastEntry: EntryMode | undefined;
  /** The amount the operator typed last (for a retry after a wrong PIN). */
  lastAmountFen: number | undefined;
  /** The menu entry the operator chose last. */
  lastMenu: string | undefined;
  /** When the last action step started: "the screen shows" looks at screens from then on. */
  lastActionAt = 0;
  /** Every screen seen in the scenario (the driver keeps a bounded history; AfterStep collects). */
  readonly screensSeen: ScreenSnapshot[] = [];
  private readonly screenKeys = new Set<string>();
  /** Voucher copies of earlier transactions of the scenario (the driver's window starts at each transaction). */
  readonly earlierVouchers: VoucherCopy[] = [];
  /** Terminal identity from "the harness asks the terminal who it is". */
  identity: TerminalIdentity | undefined;

  constructor(options: IWorldOptions<WorldParameters>) {
    super(options);
  }

  get driver(): TerminalDriver {
    return this.lab.driver;
  }

  get host(): HostControl {
    return this.lab.host;
  }

  card(alias: string): CardConfig {
    return cardByAlias(this.lab.config, alias);
  }

  cardImage(alias: string): TtpCardImage {
    return terminalCardImage(this.card(alias));
  }

  pinOf(alias: string): string {
    const pin = this.card(alias).pin;
    if (!pin) throw new Error(`card ${alias} has no PIN in the card book; use a card with a PIN`);
    return pin;
  }

  wrongPinOf(alias: string): string {
    const pin = this.pinOf(alias);
    // Same length, every digit different: wrong whatever the issuer compares.
    return pin.split('').map((d) => String((Number(d) + 1) % 10)).join('');
  }

  /** Reads a card's balance before the scenario first touches it. */
  async rememberBalance(alias: string): Promise<void> {
    if (!this.openingBalances.has(alias)) this.openingBalances.set(alias, this.host.balance(alias).balance);
  }

  async balanceChange(alias: string): Promise<number> {
    const before = this.openingBalances.get(alias);
    expect(before, `the scenario never used card ${alias}, so its balance before is unknown`).to.not.equal(undefined);
    return this.host.balance(alias).balance - before!;
  }

  /** Every message of this terminal since the scenario started, oldest first. */
  async messages(): Promise<HostMessage[]> {
    const ids = new Set([this.lab.terminalId, ...this.terminalIdsUsed]);
    const rows = [...ids].flatMap((terminalId) => this.host.journal({ terminalId }));
    return rows.filter((r) => r.id > this.journalCursor).map(toHostMessage).sort((a, b) => a.id - b.id);
  }

  async requests(kind: TxnKind): Promise<HostMessage[]> {
    return requestsOf(await this.messages(), kind);
  }

  async lastRequest(kind: TxnKind): Promise<HostMessage> {
    const list = await this.requests(kind);
    expect(list.length, `the host received no ${kind} request from terminal ${this.lab.terminalId} in this scenario`).to.be.greaterThan(0);
    return list[list.length - 1];
  }

  async replyTo(request: HostMessage): Promise<HostMessage | undefined> {
    return replyTo(await this.messages(), request);
  }

  /**
   * Text safe for evidence and error messages: full card numbers of the card book masked (first 6
   * + last 4), PINs typed in this scenario hidden. A defective terminal may print or show them; the
   * report says so without repeating them.
   */
  redact(text: string): string {
    let out = text;
    for (const c of this.lab.config.cards) {
      if (c.pan.length > 10 && out.includes(c.pan)) out = out.split(c.pan).join(maskPan(c.pan));
    }
    for (const pin of [...this.pinsTyped].sort((a, b) => b.length - a.length)) {
      if (pin.length >= 4) out = out.split(pin).join('[PIN]');
    }
    return out;
  }

  /** Collects the screens the driver saw since the last call (called after every step). */
  collectScreens(): void {
    for (const s of this.driver.recentScreens(1000)) {
      if (s.at < this.scenarioStartedAt) continue;
      const key = `${s.at}|${s.state}|${s.lines.join('\n')}`;
      if (this.screenKeys.has(key)) continue;
      this.screenKeys.add(key);
      this.screensSeen.push(s);
    }
  }

  /** Screens since the scenario started (or since `from`, ms epoch). */
  screens(from = 0): ScreenSnapshot[] {
    this.collectScreens();
    return this.screensSeen.filter((s) => s.at >= from);
  }

  /** Starts a new voucher window for a new transaction; earlier copies stay in the evidence. */
  newVoucherWindow(): void {
    this.earlierVouchers.push(...this.driver.receipts());
    this.driver.markReceipts();
  }

  /** Marks the start of an operator / cardholder action. */
  action(): void {
    this.collectScreens();
    this.lastActionAt = Date.now();
  }

  /** The message "it" / "its" refers to. */
  it(): HostMessage {
    expect(this.current, 'no host message in focus: a step "the host received a … request" must come first').to.not.equal(undefined);
    return this.current!;
  }

  /** The last transaction of the scenario the host approved (what void / refund / reprint refer to). */
  async lastApproved(kinds: TxnKind[] = ['sale', 'bill-payment']): Promise<{ request: HostMessage; reply: HostMessage }> {
    const msgs = await this.messages();
    const approved = msgs.filter((m) => m.direction === 'in' && kinds.includes(m.kind as TxnKind))
      .map((request) => ({ request, reply: replyTo(msgs, request) }))
      .filter((p): p is { request: HostMessage; reply: HostMessage } => p.reply?.responseCode === '00');
    expect(approved.length, `no approved ${kinds.join(' / ')} in this scenario`).to.be.greaterThan(0);
    return approved[approved.length - 1];
  }
}

setWorldConstructor(PoscertWorld);
