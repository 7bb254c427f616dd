/**
 * One powered-on life of the emulated terminal: from power-on self test to the next power cut.
 * It owns the services of that life (services/: ui, card reader, requests, online, management,
 * transactions, over one SessionCore holding the in-memory state), the idle screen, the main menu
 * and its sub-menus and the ECR dispatch, all read from the flow registry (flows/index.ts), and
 * runs one flow at a time with its result screen. A power cut kills the session: every wait
 * fails with PowerLost and nothing more is shown, printed or saved, so what survives is exactly
 * what was written to the state file before.
 */
import { maskPan } from '../crypto';
import type { TtpCardImage, TtpEcrCommand, TtpTerminalState } from '../protocol/ttp';
import { Flow, FlowResult, MAIN_MENU, MenuGroup, flowForEcr, subMenu } from './flows';
import { FlowAbort, InputQueue, PowerLost } from './inputs';
import { SessionCore, SessionHost, TerminalServices } from './services';
import { CardReadRefused } from './services/card-reader';
import type { TerminalState, TerminalStateStore } from './state-store';
import { Language, T } from './texts';

export type { SessionHost, Timeouts } from './services';

type EcrError = { code: 'cancelled' | 'timeout' | 'tampered' | 'internal'; message: string };

export class TerminalSession {
  readonly inputs: InputQueue;
  private readonly core: SessionCore;
  private readonly services: TerminalServices;
  private busy = false;
  private ecr?: TtpEcrCommand;
  private markBooted: () => void = () => undefined;
  /** Resolves once boot is over (idle, sign-on required, tampered or failed). */
  readonly booted: Promise<void> = new Promise((resolve) => {
    this.markBooted = resolve;
  });

  constructor(
    private readonly host: SessionHost,
    store: TerminalStateStore,
    state: TerminalState,
    /** Soft reset (TTP reset): straight back to the idle screen, no self test, no sign-on. */
    private readonly skipBoot = false,
  ) {
    this.inputs = new InputQueue((input) => {
      if (input.kind === 'ecr') this.host.ecrDone(input.request.id, { error: { code: 'internal', message: 'terminal is busy' } });
      else if (input.kind === 'key') this.host.beep('error');
    });
    this.core = new SessionCore(host, store, state, this.inputs);
    this.services = new TerminalServices(this.core);
  }

  // -------------------------------------------------------------------------------------------
  // life cycle

  get state(): TerminalState {
    return this.core.state;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  get terminalState(): TtpTerminalState {
    return this.core.currentState;
  }

  get language(): Language {
    return this.core.language;
  }

  /** Power cut: stop everything at once; nothing more is saved. */
  kill(): void {
    if (this.core.dead) return;
    this.core.dead = true;
    this.inputs.kill(new PowerLost());
    for (const s of this.core.sockets) s.destroy();
    this.core.sockets.clear();
    if (this.ecr) {
      this.host.ecrDone(this.ecr.id, { error: { code: 'cancelled', message: 'terminal lost power' } });
      this.ecr = undefined;
    }
  }

  /** Inserted card state survives flows (the card stays in the slot until removed). */
  cardInserted(card: TtpCardImage | undefined): void {
    this.core.insertedCard = card;
    this.core.insertedCardRead = false;
  }

  get cardInSlot(): TtpCardImage | undefined {
    return this.core.insertedCard;
  }

  persist(): void {
    this.core.persist();
  }

  /** Boot: self test, sign-on when needed, pending reversal, then the idle loop until power is cut. */
  async run(): Promise<void> {
    try {
      if (this.skipBoot) {
        this.services.management.restoreKeys();
        this.markBooted();
      } else {
        await this.boot();
      }
      await this.idleLoop();
    } catch (e) {
      if (e instanceof PowerLost) return;
      this.host.log(`terminal fault: ${(e as Error).message}`);
      try {
        this.services.ui.show('fault', 'error', [this.core.t(T.failed), (e as Error).message.slice(0, 60)]);
      } catch {
        /* powered off meanwhile */
      }
    }
  }

  private async boot(): Promise<void> {
    const { ui, management, online } = this.services;
    const core = this.core;
    const state = core.state;
    try {
      ui.show('boot', 'booting', [ui.t(T.title), ui.t(T.selfTest)]);
      await ui.pause(800);
      ui.show('self-test', 'self-test', [ui.t(T.title), ui.t(T.selfTest)]);
      management.restoreKeys();
      // Defect failed-ic-lost-on-power-cut: the failed-IC records lived in RAM only (the §3.10 upload misses them).
      if (core.defect('failed-ic-lost-on-power-cut')) state.failedIc = undefined;
      if (state.signedOn && state.ped.tmk && state.ped.workingKeys && !core.keys) state.signedOn = false;
      if (core.tampered) return;
      if (!state.ped.tmk || !state.config.terminalId || !state.config.merchantId) return;
      if (!state.signedOn && this.host.autoSignOn) await management.signOn(false);
      if (state.signedOn && core.needParameters) await management.downloadParameters(false);
      if (state.signedOn && management.ic.wanted().length > 0) await management.downloadIcLists();
      // The blacklist and contactless parameters when a reply asked (digit 7 / 9; the 360 reply at the latest).
      if (state.signedOn && management.lists.wanted().length > 0) await management.actOnRequirements();
      if (state.signedOn && state.pendingReversal) await online.reverseAtBoot();
    } finally {
      // Defect ecr-busy-after-boot: the cash register is refused busy until a flow has run (runFlowToResult clears it).
      if (core.defect('ecr-busy-after-boot')) this.busy = true;
      if (!core.dead) this.markBooted();
    }
  }

  // -------------------------------------------------------------------------------------------
  // idle screen, menus, ECR

  private showTampered(): void {
    const ui = this.services.ui;
    ui.show('tampered', 'tampered', [ui.t(T.tamperWarning), ui.t(T.tamperBlocked), ui.t(T.tamperContact)]);
    ui.beep('alert');
  }

  private idleScreen(): void {
    if (this.core.tampered) {
      this.showTampered();
      return;
    }
    const { state } = this.core;
    const ui = this.services.ui;
    const lines = [ui.t(T.title), ui.t(T.welcome)];
    if (!state.ped.tmk) lines.push(ui.t(T.selfTestNoTmk));
    else if (!state.config.terminalId || !state.config.merchantId) lines.push(ui.t(T.selfTestNoIds));
    else if (!state.signedOn) lines.push(ui.t(T.notSignedOn));
    lines.push(ui.t(T.pressEnterForMenu));
    ui.show('idle', state.signedOn && !this.core.tampered ? 'idle' : 'sign-on-required', lines);
  }

  private async idleLoop(): Promise<void> {
    for (;;) {
      this.idleScreen();
      const input = await this.inputs.next((i) => i.kind === 'key' || i.kind === 'ecr', 0, 'idle');
      if (input.kind === 'ecr') {
        this.ecr = input.request;
        await this.runFlow(flowForEcr(input.request), input.request);
        continue;
      }
      if (this.core.tampered) {
        this.host.beep('alert');
        continue;
      }
      if (input.kind !== 'key') continue;
      if (input.key === 'ENTER' || input.key === 'MENU') {
        await this.mainMenu();
      } else {
        // Shortcut: a menu number typed on the idle screen selects that entry directly.
        const entry = MAIN_MENU.find((m) => m.key === input.key);
        if (entry) await this.runFlow('flow' in entry ? entry.flow : entry.group, undefined);
      }
    }
  }

  private async mainMenu(): Promise<void> {
    const ui = this.services.ui;
    ui.show('main-menu', 'menu', [ui.t(T.mainMenu), ...MAIN_MENU.map((m) => `${m.key}.${ui.t(m.label)}`)]);
    const keys = ['CANCEL', ...MAIN_MENU.map((m) => m.key)];
    let picked;
    try {
      picked = await this.inputs.next((i) => (i.kind === 'key' && keys.includes(i.key)) || i.kind === 'ecr', this.host.timeouts.idleMs, 'main menu');
    } catch (e) {
      if (e instanceof FlowAbort) return;
      throw e;
    }
    if (picked.kind === 'ecr') {
      this.inputs.push(picked);
      return;
    }
    const key = (picked as { key: string }).key;
    const entry = MAIN_MENU.find((m) => m.key === key);
    if (entry) await this.runFlow('flow' in entry ? entry.flow : entry.group, undefined);
  }

  /** A group's sub-menu, then the flow picked (CANCEL: back to idle, no result screen). */
  private async openGroup(group: MenuGroup): Promise<FlowResult | undefined> {
    const flows = subMenu(group, this.core.host.profile.profile);
    const key = await this.services.ui.menu(
      group.screen,
      group.title,
      flows.map((f) => f.menu),
      group.what,
    );
    const flow = flows.find((f) => f.menu.key === key);
    if (!flow) return undefined;
    this.core.runningFlow = flow;
    return flow.run(this.services);
  }

  /**
   * Runs a flow with its result screen, then asks back a card left in the slot (请拔卡 until it is
   * removed): the terminal never returns to idle with a card in, so no next flow reads it unpresented.
   */
  private async runFlow(target: Flow | MenuGroup | undefined, ecr: TtpEcrCommand | undefined): Promise<void> {
    await this.runFlowToResult(target, ecr);
    await this.services.cards.awaitRemoval();
  }

  /** Runs a flow (or a sub-menu and its flow) with its result screen; reports ECR outcomes. */
  private async runFlowToResult(target: Flow | MenuGroup | undefined, ecr: TtpEcrCommand | undefined): Promise<void> {
    const ui = this.services.ui;
    const name = ecr ? ecr.request : target?.name;
    this.busy = true;
    let result: FlowResult | undefined;
    try {
      if (this.core.tampered) {
        this.showTampered();
        if (ecr) this.finishEcr(ecr, undefined, { code: 'tampered', message: 'tamper detected: the terminal refuses to transact' });
        await ui.waitAnyKey();
        return;
      }
      if (!target) throw new FlowAbort('cancelled', `unknown flow ${name}`);
      if ('run' in target) this.core.runningFlow = target;
      result = 'run' in target ? await target.run(this.services, ecr) : await this.openGroup(target);
    } catch (e) {
      if (e instanceof CardReadRefused) {
        // Refused at the card reader (its screen is shown): a result like any decline, then what the host asked.
        result = e.result;
      } else if (e instanceof FlowAbort) {
        // Defect timeout-shown-as-cancelled: a timed-out input ends as cancelled (ECR error and final screen). The
        // defect call goes first so that, with defects off, nothing after it is evaluated.
        const reason = this.core.defect('timeout-shown-as-cancelled') ? 'cancelled' : e.reason;
        if (ecr) this.finishEcr(ecr, undefined, { code: reason, message: e.message });
        ui.show('aborted', 'result', [ui.t(reason === 'timeout' ? T.timeout : T.cancelled)]);
        ui.beep('error');
        await ui.pause(1000);
        return;
      } else {
        if (e instanceof PowerLost) throw e;
        if (ecr) this.finishEcr(ecr, undefined, { code: 'internal', message: (e as Error).message });
        this.host.log(`flow ${name} failed: ${(e as Error).message}`);
        ui.show('fault', 'result', [ui.t(T.failed), (e as Error).message.slice(0, 60)]);
        await ui.waitAnyKey();
        return;
      }
    } finally {
      this.busy = false;
      this.core.runningFlow = undefined;
    }
    if (result === undefined) return; // a flow that left its own screen (menus cancelled, 管理)
    if (ecr) this.finishEcr(ecr, result);
    // A card in the slot: the result stays with 请拔卡 under it until the card is out, then idle.
    if (!(await this.services.cards.awaitRemoval())) await ui.waitAnyKey();
    await this.services.management.actOnRequirements();
  }

  private finishEcr(ecr: TtpEcrCommand, result?: FlowResult, error?: EcrError): void {
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
        ...(r.trace ? { trace: r.trace, batch: this.core.state.counters.batchNumber } : {}),
        ...(r.rrn ? { rrn: r.rrn } : {}),
        ...(r.authCode ? { authCode: r.authCode } : {}),
        ...(r.pan ? { maskedPan: maskPan(r.pan) } : {}),
        ...(ecr.ecrReference ? { ecrReference: ecr.ecrReference } : {}),
      },
    });
  }
}
