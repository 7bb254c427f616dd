// The World of a scenario: the worker's terminal driver and host control, the card book, and what
// the scenario has seen so far (journal cursor, opening balances, the message "it" refers to, the
// transactions it made) — the evidence the After hook attaches. Its transaction methods add the
// scenario's bookkeeping (cards used, PINs typed, voucher windows) around the driver's interaction.
import { IWorldOptions, World, setWorldConstructor } from '@cucumber/cucumber';
import { expect } from 'chai';
import {
  cardByAlias,
  declaredKeyScheme,
  ecrEndingProblems,
  ecrFlowRequest,
  ecrResultProblems,
  EvidenceMasker,
  faultMatchFor,
  judgeTraffic,
  menuFinancialKinds,
  REFERENCE_PROFILE,
  authorisedTotalFen,
  replyTo,
  requestsOf,
  terminalCardImage,
  TerminalExpectationError,
  toHostMessage,
  type CardConfig,
  type ConformanceReport,
  type DriverAnswers,
  type EcrEnding,
  type EcrResultFigures,
  type HostControl,
  type HostMessage,
  type MerchantConfig,
  type PromptKind,
  type ScreenSnapshot,
  type TerminalConfig,
  type TerminalDriver,
  type TerminalIdentity,
  type TerminalProfile,
  type TransactionKind,
  type TransactionRunOptions,
  type TtpCardImage,
  type VoucherCopy,
} from '../../drivers';
import type { CardLeftObservation } from '../../drivers/card-removal';
import { flowShownAfter, outcomesAfter, type FlowOutcome } from '../../drivers/flow-outcome';
import { reversedTrustedDeclines, spoiledReplies, unreversedSpoiledReplies, untrustedOutcomeProblems } from '../../drivers/untrusted-reply';
import { speaksTtp11 } from '../../protocol/ttp';
import { quickPassLimitsInForce } from '../../drivers/quickpass';
import { copiesWithMalformedValues, screensWithMalformedValues } from '../../drivers/shown-values';
import { judgeSignatureBlocks } from '../../drivers/signature-waiver';
import { judgeSlipFields } from '../../drivers/slip-fields';
import { withDeadChip } from '../../drivers/fallback';
import type { PublicNetworkArrival } from '../../host';
import type { EntryMode } from './parse';
import type { WorkerLab } from './lab';
import type { WorldParameters } from './settings';
import { ScenarioSetupError } from './errors';

/** When this worker started: the traffic of this run is what the host journal holds from then on. */
const WORKER_STARTED_AT = Date.now();

/** What a step answers the terminal with, in the scenario's words: card by alias, PIN by meaning. */
export interface StepAnswers {
  amountFen?: number;
  payee?: { name: string; account: string };
  originalTrace?: string;
  originalRrn?: string;
  originalDate?: string;
  originalAuthCode?: string;
  card?: string;
  entry?: EntryMode;
  /** 'correct' (default) types the card's PIN when asked; 'wrong' a wrong one; 'none' confirms without. */
  pin?: 'correct' | 'wrong' | 'none';
  /** 'declared' (default) gives the profile's supervisor password when 主管密码 is asked; 'wrong' a wrong one. */
  supervisor?: 'declared' | 'wrong';
}

/** A transaction this scenario made through the terminal (for voids, refunds, reprints). */
export interface ScenarioTxn {
  kind: TransactionKind;
  card: string;
  amountFen?: number;
  /** Filled from the host journal once the terminal sent it. */
  request?: HostMessage;
  reply?: HostMessage;
}

/** The transaction an `ecr` request starts (TTP §6.9); a reprint asks the host nothing. */
const ECR_REQUEST_KINDS: Readonly<Record<string, TransactionKind | undefined>> = {
  sale: 'sale',
  'bill-payment': 'bill-payment',
  void: 'void',
  refund: 'refund',
  balance: 'balance',
  settle: 'settlement',
};

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
  /** Pre-authorization holds (fen) on each card when the scenario first used it. */
  readonly openingHolds = new Map<string, number>();
  /** The host message the last "the host received …" step found ("it", "its"). */
  current: HostMessage | undefined;
  /** The pre-authorization the last completion or void named (its request and the host's reply). */
  namedPreauth: { request: HostMessage; reply: HostMessage } | undefined;
  readonly txns: ScenarioTxn[] = [];
  /** PINs typed in this scenario (to prove none leaks into screens, vouchers, journal). */
  readonly pinsTyped = new Set<string>();
  /** An ECR request in flight (its reply comes when the transaction ends). */
  ecrPending: Promise<unknown> | undefined;
  /** Where the last cash-register request started: transcript seq, journal id, and what it asked. */
  ecrStart: { seq: number; journalId: number; request: string } | undefined;
  /** Terminal ids the scenario configured the terminal with (besides the worker's own). */
  readonly terminalIdsUsed = new Set<string>();
  /** Terminal settings changed by the scenario, restored by the After hook. */
  restoreConfig: Record<string, unknown> | undefined;
  /** The last TTP frame seq before the last transaction started (its outcomes are the ones after it). */
  lastTransactionSeq = 0;
  restoreTamper = false;
  /** Batch number of the last settlement this scenario ran. */
  settledBatch: string | undefined;
  /** The card the cardholder presented last (whose PIN "the correct PIN" is). */
  lastCard: string | undefined;
  /** How the last card was presented. */
  lastEntry: EntryMode | undefined;
  /**
   * Cards this scenario presented as their dead-chip copy (steps/fallback.steps.ts). A later swipe of such a
   * card is the swipe of that same copy: its stripe reads, only its chip is mute (TTP 1.1 §6.5.1: chipFault
   * fails chip reads only), as a bench swipes the very card whose chip failed.
   */
  readonly deadChipCards = new Set<string>();
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
  /** The prompts the driver answered in the last transaction this scenario made (in order). */
  lastPrompts: PromptKind[] = [];
  /** The card wait (ms) the case set on the terminal ("the terminal waits N seconds for a card"). */
  cardTimeoutMs = 0;
  /** The TTP §7.6 outcomes of the final screens a step waited for (a prompt left to time out). */
  outcomesSeen: FlowOutcome[] = [];
  /** What the terminal showed and how it beeped while the card was left in the reader. */
  cardLeftInReader: CardLeftObservation | undefined;

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
    return pin
      .split('')
      .map((d) => String((Number(d) + 1) % 10))
      .join('');
  }

  /** Reads a card's balance before the scenario first touches it. */
  async rememberBalance(alias: string): Promise<void> {
    if (this.openingBalances.has(alias)) return;
    const { balance, holds } = this.host.balance(alias);
    this.openingBalances.set(alias, balance);
    this.openingHolds.set(alias, holds);
  }

  /** How much more (fen) the host holds for pre-authorizations of the card than when the scenario first used it. */
  holdChange(alias: string): number {
    const before = this.openingHolds.get(alias);
    expect(before, `the scenario never used card ${alias}, so its holds before are unknown`).to.not.equal(undefined);
    return this.host.balance(alias).holds - before!;
  }

  async balanceChange(alias: string): Promise<number> {
    const before = this.openingBalances.get(alias);
    expect(before, `the scenario never used card ${alias}, so its balance before is unknown`).to.not.equal(undefined);
    return this.host.balance(alias).balance - before!;
  }

  /** The journal of the scenario's terminals since the host started (not only this scenario's part): what a batch holds. */
  async wholeJournal(): Promise<HostMessage[]> {
    return this.journalAfter(0);
  }

  /** Every message of this terminal since the scenario started, oldest first. */
  async messages(): Promise<HostMessage[]> {
    return this.journalAfter(this.journalCursor);
  }

  /** The journal rows of the scenario's terminal ids after row `cursor`, as messages, oldest first. */
  private journalAfter(cursor: number): HostMessage[] {
    const ids = new Set([this.lab.terminalId, ...this.terminalIdsUsed]);
    return [...ids]
      .flatMap((terminalId) => this.host.journal({ terminalId }))
      .filter((r) => r.id > cursor)
      .map(toHostMessage)
      .sort((a, b) => a.id - b.id);
  }

  /**
   * Message conformance (drivers/message-conformance.ts) of the requests of this scenario (the
   * default) or of the whole run on this worker's terminal ids, each judged with all before it.
   */
  conformance(scope: 'scenario' | 'run' = 'scenario'): ConformanceReport {
    const ids = [...new Set([this.lab.terminalId, ...(scope === 'scenario' ? this.terminalIdsUsed : [])])];
    const since = new Date(WORKER_STARTED_AT).toISOString();
    return judgeTraffic(
      ids.map((terminalId) => ({
        terminalId,
        messages: this.host.journal({ terminalId, since }).map(toHostMessage),
        keyScheme: declaredKeyScheme(this.lab.config.terminals.find((t) => t.terminalId === terminalId)?.keyScheme),
      })),
      scope === 'scenario' ? this.journalCursor : 0,
    );
  }

  async requests(kind: TransactionKind): Promise<HostMessage[]> {
    return requestsOf(await this.messages(), kind);
  }

  async lastRequest(kind: TransactionKind): Promise<HostMessage> {
    const list = await this.requests(kind);
    expect(list.length, `the host received no ${kind} request from terminal ${this.lab.terminalId} in this scenario`).to.be.greaterThan(0);
    return list[list.length - 1];
  }

  /**
   * Waits until the host has received a request of the kind (a step that acts while the terminal is
   * still online). The host journal has no events: it is read every 10 ms, for one screen timeout.
   */
  async waitForRequest(kind: TransactionKind): Promise<void> {
    const deadline = Date.now() + this.lab.settings.screenTimeoutMs;
    while ((await this.requests(kind)).length === 0) {
      expect(Date.now() < deadline, `the host received no ${kind} request within ${this.lab.settings.screenTimeoutMs} ms`).to.equal(true);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async replyTo(request: HostMessage): Promise<HostMessage | undefined> {
    return replyTo(await this.messages(), request);
  }

  /**
   * Text safe for evidence and error messages, masked by meaning (drivers/masking.ts): card numbers
   * of the card book as first 6 + last 4, track data, the lab's terminal master keys. A PIN is masked
   * where it was typed (the transcript, PIN entry screens: redactScreen), never by searching text
   * for its digits, which would also hide a payee account or a key that contains them.
   */
  redact(text: string): string {
    return this.evidenceMasker().maskText(text);
  }

  /** A screen's lines as evidence: redact(), and every digit masked on a PIN entry screen. */
  redactScreen(lines: readonly string[], state: string | undefined): string[] {
    return this.evidenceMasker().maskScreenLines(lines, state);
  }

  private masker: EvidenceMasker | undefined;
  private evidenceMasker(): EvidenceMasker {
    this.masker ??= new EvidenceMasker({
      pans: this.lab.config.cards.map((c) => c.pan),
      keys: this.lab.config.terminals.map((t) => t.tmk.reveal().toString('hex')),
    });
    return this.masker;
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

  /** How many of screensSeen / of the scenario's voucher copies judgeShownValues() has judged. */
  private shownValuesJudged = { screens: 0, copies: 0 };

  /**
   * Every screen and voucher line seen since the last call holds no malformed value (NaN, undefined,
   * null, Infinity, [object Object]: drivers/shown-values.ts); called after every step, so a case fails
   * at the step that showed one. The lab's merchant names are free text a terminal prints verbatim.
   */
  judgeShownValues(): void {
    const screens = this.screensSeen.slice(this.shownValuesJudged.screens);
    const copies = this.driver.receiptsSince(this.scenarioStartedAt).slice(this.shownValuesJudged.copies);
    this.shownValuesJudged = { screens: this.screensSeen.length, copies: this.shownValuesJudged.copies + copies.length };
    const freeText = this.lab.config.merchants.flatMap((m) => [m.name, m.nameEn ?? '']);
    const problems = [...screensWithMalformedValues(screens, freeText), ...copiesWithMalformedValues(copies, freeText)];
    if (problems.length) {
      throw new TerminalExpectationError(
        `The terminal showed or printed a value its firmware failed to fill in: ${this.redact(problems[0])}` +
          `\n(no conformant screen or voucher carries NaN, undefined, null, Infinity or [object …]: cup8583.md §6, TTP §7.1)` +
          (problems.length > 1
            ? `\n  ${problems
                .slice(1)
                .map((p) => this.redact(p))
                .join('\n  ')}`
            : ''),
        { problems: problems.length },
      );
    }
  }

  /** How many of the scenario's voucher copies judgeSignatures() has judged. */
  private signaturesJudged = 0;

  /**
   * Every transaction copy printed since the last call carries the signature block unless its
   * transaction is a 消费 tapped under the no-signature limit, and only such a copy is marked 免密 / 免签
   * (drivers/signature-waiver.ts); called after every step. The limits are the most lenient a terminal
   * may be applying in this case: its declared ones or the acquirer's downloaded ones (a case may change
   * those midway), so no conformant terminal is failed for the limits it had when it printed.
   */
  async judgeSignatures(): Promise<void> {
    const copies = this.driver.receiptsSince(this.scenarioStartedAt).slice(this.signaturesJudged);
    if (!copies.length) return;
    this.signaturesJudged += copies.length;
    const declared = this.profile.contactless;
    const downloaded = quickPassLimitsInForce(this.profile, this.host.contactlessParameters());
    const limits = {
      noPinLimitFen: Math.max(declared.noPinLimitFen, downloaded.noPinLimitFen),
      noSignatureLimitFen: Math.max(declared.noSignatureLimitFen, downloaded.noSignatureLimitFen),
    };
    const problems = judgeSignatureBlocks(copies, await this.messages(), limits, this.profile);
    if (problems.length) throw new TerminalExpectationError(this.redact(problems.join('\n\n')), { problems: problems.length });
  }

  /** How many of the scenario's slips judgeSlips() has judged. */
  private slipsJudged = 0;

  /**
   * Every slip printed since the last call carries the fields cup8583.md §6 makes it carry, with the
   * host's values (drivers/slip-fields.ts: the numbers of a transaction copy, its booked amount, 外卡组织
   * only for a foreign card, no reprint mark on its first print; a settlement slip's numbers, columns
   * and results); called after every step.
   */
  async judgeSlips(): Promise<void> {
    const all = this.driver.receiptsSince(this.scenarioStartedAt);
    const copies = all.slice(this.slipsJudged);
    if (!copies.length) return;
    const earlier = all.slice(0, this.slipsJudged);
    this.slipsJudged += copies.length;
    // A settlement slip's rows are judged against the whole batch, which earlier cases may have filled: the terminals' whole journal.
    const messages = await this.messages();
    const batchMessages = copies.some((c) => c.copy === 'settlement') ? await this.wholeJournal() : messages;
    const problems = judgeSlipFields(copies, messages, { earlier, batchMessages });
    if (problems.length) throw new TerminalExpectationError(this.redact(problems.join('\n\n')), { problems: problems.length });
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

  /** "it" of a host step: the request in focus, else the last request of the scenario other than reversals and uploads. */
  async focus(): Promise<HostMessage> {
    if (this.current) return this.current;
    const msgs = (await this.messages()).filter((m) => m.direction === 'in' && !['reversal', 'batch-upload', 'batch-upload-end'].includes(m.kind));
    expect(msgs.length, `the host received no request from terminal ${this.lab.terminalId} in this scenario`).to.be.greaterThan(0);
    return msgs[msgs.length - 1];
  }

  /** The host's reply to a request, which must exist. */
  async replyOf(request: HostMessage): Promise<HostMessage> {
    const reply = await this.replyTo(request);
    expect(reply, `the host sent no reply to the ${request.kind} request (STAN ${request.stan})`).to.not.equal(undefined);
    return reply!;
  }

  /** The last request of the kind, which the host must have approved (a set-up transaction); it becomes "it". */
  async expectApproved(kind: TransactionKind, what: string): Promise<{ request: HostMessage; reply: HostMessage }> {
    const request = await this.lastRequest(kind);
    const reply = await this.replyTo(request);
    expect(reply?.responseCode, `${what}: the host answered ${reply?.responseCode ?? 'nothing'}`).to.equal('00');
    this.current = request;
    return { request, reply: reply! };
  }

  /** The message "it" / "its" refers to. */
  it(): HostMessage {
    expect(this.current, 'no host message in focus: a step "the host received a … request" must come first').to.not.equal(undefined);
    return this.current!;
  }

  /** The last transaction of the scenario the host approved (what void / refund / reprint refer to). */
  async lastApproved(kinds: TransactionKind[] = ['sale', 'bill-payment']): Promise<{ request: HostMessage; reply: HostMessage }> {
    const approved = await this.approvedList(kinds);
    return approved[approved.length - 1];
  }

  /** The approved requests of the kinds in this scenario with the host's replies, oldest first (at least one). */
  async approvedList(kinds: TransactionKind[]): Promise<Array<{ request: HostMessage; reply: HostMessage }>> {
    const msgs = await this.messages();
    const approved = msgs
      .filter((m) => m.direction === 'in' && kinds.includes(m.kind as TransactionKind))
      .map((request) => ({ request, reply: replyTo(msgs, request) }))
      .filter((p): p is { request: HostMessage; reply: HostMessage } => p.reply?.responseCode === '00');
    expect(approved.length, `no approved ${kinds.join(' / ')} in this scenario`).to.be.greaterThan(0);
    return approved;
  }

  // ------------------------------------------------------------------ at the terminal (the driver's interaction)

  /** The step's answers as the driver takes them; notes the card presented and the PIN typed. */
  private answers(a: StepAnswers): { answers: DriverAnswers; onAnswer: (p: PromptKind) => void } {
    const { card, entry, pin: which, ...rest } = a;
    let pin: string | undefined;
    try {
      pin = which === 'none' ? 'none' : card ? (which === 'wrong' ? this.wrongPinOf(card) : this.pinOf(card)) : undefined;
    } catch {
      pin = undefined; // a card without a PIN in the card book: a PIN prompt is then unanswerable
    }
    const answers: DriverAnswers = { ...rest, pin, card: card && entry ? { image: this.cardImage(card), method: entry } : undefined };
    const onAnswer = (p: PromptKind) => {
      this.lastPrompts.push(p);
      if (p === 'pin' && pin && pin !== 'none') this.pinsTyped.add(pin);
      if (p === 'card') {
        this.lastCard = card;
        this.lastEntry = entry;
      }
    };
    return { answers, onAnswer };
  }

  /** A whole transaction from the terminal's menu, every prompt answered until it ends. */
  async transact(kind: TransactionKind, a: StepAnswers, run: Pick<TransactionRunOptions, 'mayStayOn'> = {}): Promise<ScreenSnapshot> {
    if (a.card) await this.rememberBalance(a.card);
    if (a.amountFen !== undefined) this.lastAmountFen = a.amountFen;
    // At rest first: the end of the previous flow (a voucher printing, 请撕下凭条) can reach a
    // real terminal's harness after this step began; it belongs before this action, not to it.
    await this.driver.toIdle();
    this.action();
    this.newVoucherWindow();
    const { answers, onAnswer } = this.answers(a);
    this.lastPrompts = [];
    const fromSeq = Math.max(0, ...this.driver.transcript({ all: true }).map((e) => e.seq));
    const fromId = Math.max(0, ...(await this.messages()).map((m) => m.id));
    this.lastTransactionSeq = fromSeq;
    const end = await this.driver.runTransaction(kind, answers, { onAnswer, ...run });
    this.txns.push({ kind, card: a.card ?? '', amountFen: a.amountFen });
    await this.judgeUntrustedReplies({ fromSeq, fromId });
    return end;
  }

  /** The TTP 1.1 §7.6 outcomes of the last transaction's final screens; undefined when the terminal reports none (TTP 1.0). */
  lastTransactionOutcomes(): FlowOutcome[] | undefined {
    if (!speaksTtp11(this.driver.terminalIdentity?.ttp)) return undefined;
    return outcomesAfter(this.driver.transcript({ all: true }), this.lastTransactionSeq);
  }

  /**
   * After every transaction (and settlement) of every case (drivers/untrusted-reply.ts): a reply the host
   * spoiled on purpose for the transaction since `since` ends it unapproved with the outcome that says why
   * (TTP 1.1 §7.6), and every spoiled approval of the scenario so far was reversed before the next
   * request (cup8583.md §3.6, §3.8), while no decline whose MAC the host spoiled was (§3.6: no MAC check
   * when F39 is not 00).
   */
  async judgeUntrustedReplies(since?: { fromSeq: number; fromId: number }): Promise<void> {
    const msgs = await this.messages();
    const spoiled = spoiledReplies(msgs);
    const reversedDeclines = reversedTrustedDeclines(msgs);
    if (!spoiled.length && !reversedDeclines.length) return;
    const mine = since ? spoiled.filter((s) => s.request.id > since.fromId) : [];
    const ttp11 = since && speaksTtp11(this.driver.terminalIdentity?.ttp);
    const outcomes = ttp11 ? outcomesAfter(this.driver.transcript({ all: true }), since.fromSeq) : undefined;
    const problems = [...(outcomes ? untrustedOutcomeProblems(mine, outcomes) : []), ...unreversedSpoiledReplies(msgs, spoiled), ...reversedDeclines];
    expect(problems.length, `a reply the terminal must not trust (cup8583.md §3.6, §3.8; TTP 1.1 §7.6):\n  ${problems.join('\n  ')}`).to.equal(0);
  }

  /**
   * A sale from the menu. `approved`: a set-up sale the host must have approved. `mayBeRefused`: an
   * attempt the terminal may refuse before it starts (tamper): a menu it does not offer ends it.
   */
  async sale(fen: number, alias: string, entry: EntryMode, o: { approved?: boolean; mayBeRefused?: boolean } = {}): Promise<void> {
    try {
      await this.transact('sale', { amountFen: fen, card: alias, entry });
    } catch (err) {
      if (!o.mayBeRefused || !(err instanceof TerminalExpectationError) || !/No menu entry/.test(err.message)) throw err;
      return;
    }
    if (o.approved) await this.expectApproved('sale', `set-up sale of card ${alias}`);
  }

  /**
   * A sale by each entry method the terminal declares other than `except`, the host spoiling each reply
   * with `fault` (a MAC or message-type fault: what §3.6 / §3.8 ask does not depend on how the card was
   * read), then one good inserted sale that carries the last reversal out. transact judges each sale and
   * each reversal (drivers/untrusted-reply.ts). Returns what was tried: each card must end uncharged.
   */
  async spoiledSaleByEveryEntry(fault: 'corrupt-mac' | 'wrong-mti', except: EntryMode): Promise<Array<{ entry: EntryMode; card: string }>> {
    const ways: Array<{ entry: EntryMode; card: string; capability: 'magstripe' | 'contact' | 'contactless' }> = [
      { entry: 'swipe', card: 'UP-DEBIT-MAG', capability: 'magstripe' },
      { entry: 'insert', card: 'UP-DEBIT-IC', capability: 'contact' },
      { entry: 'tap', card: 'UP-DEBIT-CTLS', capability: 'contactless' },
    ];
    const tried = ways.filter((w) => w.entry !== except && this.driver.supports(w.capability));
    for (const [i, w] of tried.entries()) {
      this.host.injectFault({ match: { ...faultMatchFor('sale'), terminalId: this.lab.terminalId }, action: fault, count: 1 });
      await this.sale(3100 + i * 100, w.card, w.entry);
    }
    if (tried.length) await this.sale(3000, 'UP-DEBIT-IC', 'insert');
    return tried.map(({ entry, card }) => ({ entry, card }));
  }

  /** Voids the last approved sale or bill payment, the card presented as asked. */
  async voidLast(alias: string, entry: EntryMode, o: Pick<StepAnswers, 'supervisor'> = {}): Promise<void> {
    const { request } = await this.lastApproved(['sale', 'bill-payment']);
    await this.transact('void', { originalTrace: request.stan, card: alias, entry, ...o });
  }

  /**
   * Refunds part or all of the last approved sale, naming it by reference number and date (61.3).
   * `referenceShort`: the reference typed without its last character, an entry a terminal may refuse
   * by staying on it (the refund is then cancelled) or take; what it sends is judged after.
   */
  async refundLast(
    fen: number,
    alias: string,
    entry: EntryMode,
    o: Pick<StepAnswers, 'supervisor'> & { referenceShort?: boolean } = {},
  ): Promise<void> {
    const { reply } = await this.lastApproved(['sale']);
    const rrn = o.referenceShort ? reply.fields[37]?.slice(0, -1) : reply.fields[37];
    // A terminal that refuses it stays on the prompt; 1.5 s after ENTER the case cancels the refund.
    const mayStayOn = o.referenceShort ? { prompt: 'original-rrn' as const, waitMs: 1500 } : undefined;
    await this.transact(
      'refund',
      { amountFen: fen, card: alias, entry, originalRrn: rrn, originalDate: reply.fields[13], supervisor: o.supervisor },
      { mayStayOn },
    );
  }

  /**
   * Completes the last (or the first) approved pre-authorization of the scenario, naming it by
   * authorization code and date; it becomes the one "it refers to the original authorization" judges.
   */
  async completePreauth(fen: number, alias: string, entry: EntryMode, which: 'first' | 'last' = 'last'): Promise<void> {
    const approved = await this.approvedList(['preauth']);
    this.namedPreauth = which === 'first' ? approved[0] : approved[approved.length - 1];
    const { reply } = this.namedPreauth;
    const original = { originalAuthCode: reply.fields[38], originalDate: reply.fields[13] };
    await this.transact('preauth-completion', { amountFen: fen, card: alias, entry, ...original });
  }

  /**
   * 预授权撤销 of the last approved pre-authorization, named by its authorization code (F38) and date;
   * when asked, its amount is the authorised total: the pre-authorization and each 追加预授权 approved since.
   */
  async voidPreauth(alias: string, entry: EntryMode): Promise<void> {
    this.namedPreauth = await this.lastApproved(['preauth']);
    const { request, reply } = this.namedPreauth;
    const original = { originalAuthCode: reply.fields[38]?.trim(), originalDate: reply.fields[13] };
    const total = authorisedTotalFen(await this.messages(), request);
    await this.transact('preauth-void', { amountFen: total, card: alias, entry, ...original });
  }

  /** A set-up pre-authorization by inserting the card, which the host must have approved. */
  async approvedPreauth(fen: number, alias: string): Promise<void> {
    await this.transact('preauth', { amountFen: fen, card: alias, entry: 'insert' });
    await this.expectApproved('preauth', `set-up pre-authorization of card ${alias}`);
  }

  /** 追加预授权 onto the last approved pre-authorization, naming it by its authorization code (F38). */
  async addToPreauth(fen: number, alias: string, entry: EntryMode): Promise<void> {
    const { reply } = await this.lastApproved(['preauth']);
    await this.transact('preauth-add', { amountFen: fen, card: alias, entry, originalAuthCode: reply.fields[38] });
  }

  /**
   * Starts each financial transaction of the terminal's menu in turn, with an answer to anything it may
   * ask (card, amount, PIN, original, payee), so that a kind which does not stop at its start goes as
   * far as it would go: what reached the host is then judged.
   */
  async tryEveryFinancialTransaction(alias: string): Promise<Array<{ kind: TransactionKind; outcomes: FlowOutcome[] }>> {
    const original = { originalTrace: '000001', originalRrn: '000000000001', originalDate: '0101', originalAuthCode: '000001' };
    const payee = { name: '电费', account: '000000000001' };
    const attempts: Array<{ kind: TransactionKind; outcomes: FlowOutcome[] }> = [];
    for (const kind of menuFinancialKinds(this.profile.additionalPreAuth)) {
      const from = Math.max(0, ...this.driver.transcript({ all: true }).map((e) => e.seq));
      await this.transact(kind, { amountFen: 100, card: alias, entry: 'insert', payee, ...original });
      attempts.push({ kind, outcomes: outcomesAfter(this.driver.transcript({ all: true }), from) });
    }
    return attempts;
  }

  /** A management entry (管理: parameter download, echo test, sign-off): a transaction with nothing to answer. */
  async manage(kind: TransactionKind): Promise<void> {
    this.action();
    await this.driver.runTransaction(kind, {});
  }

  /** Answers the prompts of a transaction already started (cash register, a step-by-step case). */
  async answerPrompts(a: StepAnswers): Promise<ScreenSnapshot> {
    const { answers, onAnswer } = this.answers(a);
    return this.driver.answerPrompts(answers, { onAnswer });
  }

  /**
   * Starts a cash-register request whose flow asks nothing of the cardholder (settle): the terminal
   * may answer only when it ends, so a refusal is kept as its result for ecrResult to judge.
   */
  async startEcrToEnd(req: Parameters<TerminalDriver['startEcr']>[0]): Promise<void> {
    try {
      this.ecrPending = (await this.startEcr(req)).result;
    } catch (err) {
      const refused = Promise.reject(err);
      refused.catch(() => undefined); // judged when the result is read
      this.ecrPending = refused;
    }
  }

  /** A cash-register request from idle, once the terminal has taken it up; `result` settles at the end. */
  async startEcr(req: Parameters<TerminalDriver['startEcr']>[0]): Promise<{ result: Promise<unknown> }> {
    this.action();
    await this.driver.toIdle({ look: true });
    this.newVoucherWindow();
    const seq = Math.max(0, ...this.driver.transcript({ all: true }).map((e) => e.seq));
    this.ecrStart = { seq, journalId: Math.max(0, ...(await this.messages()).map((m) => m.id)), request: req.request };
    if (req.amount) this.lastAmountFen = Number(req.amount);
    try {
      return await this.driver.startEcr({ ...req, ecrReference: this.caseId || 'poscert' });
    } catch (err) {
      // TTP §6.9 (1.1): ecr is accepted at idle, busy only while another flow runs. The terminal was brought to
      // idle just now; still idle after its refusal, and no screen or state of a flow of its own shown since
      // the request (an automatic sign-on that took the busy and ended at once), it refused at idle (a
      // terminal just powered on refusing the cash register until its first transaction, say).
      if (
        (err as { ttpCode?: unknown }).ttpCode === 'busy' &&
        !flowShownAfter(this.driver.transcript({ all: true }), seq) &&
        (await this.driver.currentScreen()).state === 'idle'
      )
        expect.fail(
          `the terminal answered the cash register's ${req.request} busy at its idle screen, no flow running (TTP §6.9: ecr is accepted at idle)`,
        );
      throw err;
    }
  }

  /**
   * The result of the cash register's request in flight, with why it disagrees with how the flow ended
   * (TTP §6.9, §7.6: approved, responseCode = the host's F39 to the flow's request, the final screen's
   * outcome) and, when approved, with the figures the host approved.
   */
  async ecrResult(): Promise<{ result: EcrEnding & EcrResultFigures & { message?: string }; problems: string[] }> {
    expect(this.ecrPending, 'no cash-register request was made').to.not.equal(undefined);
    const pending = this.ecrPending!;
    this.ecrPending = undefined;
    const start = this.ecrStart!;
    const kind = ECR_REQUEST_KINDS[start.request];
    const msgs = await this.messages();
    const request = kind ? ecrFlowRequest(msgs, kind, start.journalId) : undefined;
    const result = (await pending.catch((err: unknown) => {
      // TTP §6.9: errors are for requests that sent nothing to the host; one that did is a result (ok, approved false).
      const code = (err as { ttpCode?: unknown }).ttpCode;
      if (typeof code !== 'string' || !request) throw err;
      expect.fail(
        `the terminal answered the cash register's ${start.request} with the error ${code} after its ${kind} request reached the host (TTP §6.9)`,
      );
    })) as EcrEnding & EcrResultFigures & { message?: string };
    const finals = outcomesAfter(this.driver.transcript({ all: true }), start.seq);
    const reply = request ? replyTo(msgs, request) : undefined;
    // A reply the host journaled but withheld (a no-response or close fault) never reached the terminal.
    const withheld = /\bfault (no-response|close)\b/.test(reply?.note ?? '');
    const hostCode = kind ? (withheld ? undefined : reply?.responseCode) : null;
    const problems = ecrEndingProblems(result, finals[finals.length - 1], hostCode);
    if (result.approved === true && kind !== 'settlement') problems.push(...ecrResultProblems(result, msgs));
    return { result, problems };
  }

  /**
   * A 缴费 started by the cash register (ECR `bill-payment` with the payee), the card and PIN given
   * at the terminal: how billing systems hand a payee name to a terminal without an alpha keypad.
   */
  async billPaymentFromEcr(a: StepAnswers & { payee: { name: string; account: string }; amountFen: number }): Promise<unknown> {
    if (a.card) await this.rememberBalance(a.card);
    const { result } = await this.startEcr({ request: 'bill-payment', amount: String(a.amountFen), payee: a.payee });
    await this.answerPrompts(a);
    this.txns.push({ kind: 'bill-payment', card: a.card ?? '', amountFen: a.amountFen });
    return result.catch((err: unknown) => err);
  }

  /** The cardholder presents a card when the terminal asks for one. */
  async presentCard(alias: string, entry: EntryMode): Promise<void> {
    this.lastCard = alias;
    this.lastEntry = entry;
    await this.rememberBalance(alias);
    await this.waitForState(['card-wait']);
    const image = this.cardImage(alias);
    await this.driver.presentCard(entry === 'swipe' && this.deadChipCards.has(alias) ? withDeadChip(image) : image, entry);
  }

  /** The cardholder types a PIN when the terminal asks for it. */
  async enterPin(pin: string): Promise<void> {
    await this.waitForState(['pin-entry']);
    this.pinsTyped.add(pin);
    await this.driver.enterPin(pin);
  }

  waitForState(states: string[]): Promise<ScreenSnapshot> {
    return this.driver.waitForState(states, { timeoutMs: this.lab.settings.screenTimeoutMs });
  }

  /** Waits for the end of the transaction in progress (a result or idle screen) and for the terminal to go quiet. */
  async transactionEnd(): Promise<ScreenSnapshot> {
    const end = await this.waitForState(['result', 'idle']);
    await this.driver.waitUntilQuiet();
    return end;
  }

  /** Waits for the end of the transaction in progress if it comes within a screen timeout, then for the terminal to go quiet. */
  async afterTransaction(): Promise<void> {
    await this.waitForState(['result', 'idle']).catch(() => undefined);
    await this.driver.waitUntilQuiet();
  }

  /** Screens as a failure message lists them: one line each, masked. */
  describeScreens(screens: ReadonlyArray<{ lines: readonly string[] }>): string[] {
    return screens.map((s) => this.redact(s.lines.join(' | ')));
  }

  // ------------------------------------------------------------------ what the scenario is about

  /** The card the cardholder presented last (whose PIN "the correct PIN" is). */
  cardInHand(): string {
    expect(this.lastCard, 'no card was presented in this scenario yet').to.be.a('string');
    return this.lastCard!;
  }

  /** This worker's terminal and its merchant as the host configuration has them. */
  terminalConfig(): { terminal: TerminalConfig; merchant: MerchantConfig | undefined } {
    const terminal = this.lab.config.terminals.find((t) => t.terminalId === this.lab.terminalId);
    if (!terminal) throw new ScenarioSetupError(`terminal ${this.lab.terminalId} is not in the host configuration`);
    return { terminal, merchant: this.lab.config.merchants.find((m) => m.merchantId === terminal.merchantId) };
  }

  /** Remembers how to put a terminal setting back after the scenario (first value wins). */
  restoreLater(settings: Record<string, unknown>): void {
    this.restoreConfig = { ...settings, ...(this.restoreConfig ?? {}) };
  }

  // ------------------------------------------------------------------ how the terminal is judged

  /** The profile the terminal is judged by (declared in hello or the lab file), else the reference profile. */
  /** What reached the host's HTTPS front (public network, §1.2) since the scenario started. */
  publicNetworkArrivals(): PublicNetworkArrival[] {
    return this.host.publicNetwork?.arrivals(new Date(this.scenarioStartedAt).toISOString()) ?? [];
  }

  get profile(): TerminalProfile {
    return this.driver.profile ?? REFERENCE_PROFILE;
  }
}

setWorldConstructor(PoscertWorld);
