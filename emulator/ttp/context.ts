/**
 * What the emulator's TTP command handlers (card-keys.ts, ecr.ts) may touch of the terminal: the
 * running session, the reply and event senders, and the few pieces of terminal state they read or
 * set. EmulatedTerminal builds one per command; the handlers stay free of the class's internals.
 */
import type { TtpCapabilities, TtpErrorBody, TtpEvent, TtpRequest, TtpTerminalState } from '../../protocol/ttp';
import type { DefectName } from '../defects';
import type { TerminalSession } from '../session';
import type { TerminalState } from '../state-store';

/** A key or card reply waits at most this long for the screen it causes (TTP: reply within 2 s). */
export const KEY_SETTLE_MS = 1500;

export interface TtpCommandContext {
  /** The session of the powered terminal. */
  readonly session: TerminalSession;
  readonly capabilities: TtpCapabilities;
  readonly defects: ReadonlySet<DefectName>;
  /** The TTP state now shown. */
  readonly currentState: TtpTerminalState;
  /** `ecr` requests whose reply comes when the transaction ends, by request id. */
  readonly pendingEcr: Map<number, TtpRequest>;
  /** A card was inserted over TTP and not removed: it is physically in the slot. */
  slotOccupied: boolean;
  readState(): TerminalState;
  reply(req: TtpRequest, result?: unknown): void;
  fail(req: TtpRequest, code: TtpErrorBody['code'], message: string, detail?: Record<string, unknown>): void;
  emit(event: TtpEvent): void;
}

/** A command as the handlers read it: its typed members and any other member the harness sent. */
export type LooseTtpRequest = TtpRequest & Record<string, unknown>;
