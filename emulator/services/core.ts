/**
 * What every service and flow of one powered-on life of the emulated terminal shares: the
 * terminal's options (SessionHost), the in-memory copy of the persistent state and its store, the
 * input queue, the working keys in the PED, the card in the slot and the power flag. A power cut
 * sets `dead`: from then on every service call fails with PowerLost, so nothing more is shown,
 * printed or saved.
 */
import type * as net from 'node:net';
import type { WorkingKeys } from '../../crypto';
import type { IcListKind, TerminalListKind } from '../../protocol/iso8583';
import type { TtpCardImage, TtpEcrResult, TtpPrintCopy, TtpTerminalState } from '../../protocol/ttp';
import type { DefectName } from '../defects';
import type { EmulatorProfile } from '../profiles';
import { InputQueue, PowerLost } from '../inputs';
import { limitsInEffect, type QuickPassLimits } from '../quickpass';
import type { TerminalState, TerminalStateStore } from '../state-store';
import { Bilingual, Language, pick } from '../texts';

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
  /** The conformant profile this terminal runs (copies, texts, supervisor, expiry, upload style). */
  readonly profile: EmulatorProfile;
  readonly serialNumber: string;
  readonly capabilities: { magstripe: boolean; contact: boolean; contactless: boolean; printer: boolean };
  readonly cardCounters: Map<string, number>;
  display(lines: string[], screen: string, state: TtpTerminalState, detail?: Record<string, unknown>): void;
  print(copy: TtpPrintCopy, lines: string[], reprint: boolean, trace?: string): void;
  beep(kind: 'key' | 'ok' | 'error' | 'alert'): void;
  log(line: string): void;
  /** The ECR request being served finished (or was refused). */
  ecrDone(
    id: number,
    outcome: { result?: TtpEcrResult; error?: { code: 'cancelled' | 'timeout' | 'tampered' | 'bad-request' | 'internal'; message: string } },
  ): void;
}

export class SessionCore {
  dead = false;
  /** Working keys unwrapped from the state file's field 62 (the PED's RAM copy). */
  keys?: WorkingKeys;
  /** The card stays in the slot across flows until removed. */
  insertedCard?: TtpCardImage;
  /** The card in the slot was read by a flow already: the next transaction needs it presented again. */
  insertedCardRead = false;
  /** Set by a reply header (cup8583.md §1.1): sign on again / download parameters after the transaction. */
  needSignOn = false;
  needParameters = false;
  /** IC lists a reply asked for (digit 4 public keys, 5 IC parameters, cup8583.md §1.1): not used until downloaded again. */
  readonly needIcLists = new Set<IcListKind>();
  /** The blacklist / contactless parameters a reply asked for (digit 7 / 9, cup8583.md §1.1): downloaded after the transaction. */
  readonly needTerminalLists = new Set<TerminalListKind>();
  currentState: TtpTerminalState = 'booting';
  /** The flow running now (none at boot and between flows), for the defect declaration check. */
  runningFlow?: { readonly name: string; readonly defects: readonly DefectName[] };
  readonly sockets = new Set<net.Socket>();

  constructor(
    readonly host: SessionHost,
    private readonly store: TerminalStateStore,
    public state: TerminalState,
    readonly inputs: InputQueue,
  ) {}

  /** The operator the terminal works as (F63 of sign-on and settlement, 操作员号 on vouchers): who logged on, else the default. */
  get operator(): string {
    return this.state.operator ?? this.host.operator;
  }

  /**
   * Is this catalogued firmware defect switched on? Every defect branch of the emulator asks here.
   * A defect that bites inside a flow which does not declare it is logged: the flow's `defects`
   * list is wrong (what `coverage:defects` checks statically).
   */
  defect(name: DefectName): boolean {
    const on = this.host.defects.has(name);
    if (on && this.runningFlow && !this.runningFlow.defects.includes(name)) {
      this.host.log(`defect ${name} bit in flow ${this.runningFlow.name}, which does not declare it (emulator/flows)`);
    }
    return on;
  }

  /** The QuickPass limits in force: the profile's shipped ones until contactless parameters (394) are downloaded. */
  quickPassLimits(): QuickPassLimits {
    return limitsInEffect(this.host.profile.profile.contactless, this.state.terminalLists?.contactless, (n) => this.defect(n));
  }

  get language(): Language {
    return this.state.config.language;
  }

  get tampered(): boolean {
    return this.state.tampered && !this.defect('tamper-ignored');
  }

  t(text: Bilingual): string {
    return pick(text, this.language);
  }

  alive(): void {
    if (this.dead) throw new PowerLost();
  }

  /** Writes the state file (what a real terminal writes to flash). */
  persist(): void {
    this.alive();
    if (this.defect('reversal-lost-on-power-cut') && this.state.pendingReversal) {
      // The defective firmware keeps the reversal in RAM only.
      this.store.save({ ...this.state, pendingReversal: null });
    } else {
      this.store.save(this.state);
    }
  }

  now(): Date {
    return new Date(Date.now() + this.state.clockOffsetMs);
  }

  stamp(): { date: string; time: string; mmdd: string; yymmdd: string; hhmmss: string } {
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

  voucherIds(): { merchantName: string; merchantId: string; terminalId: string } {
    return {
      merchantName: this.state.config.merchantName ?? '',
      merchantId: this.state.config.merchantId ?? '',
      terminalId: this.state.config.terminalId ?? '',
    };
  }
}
