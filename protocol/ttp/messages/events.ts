/**
 * TTP events (terminal -> harness, unsolicited), the union of everything a frame may carry, and
 * the guards that tell a request, a reply and an event apart. Split out of messages.ts (issue 11:
 * no source file over 500 lines); re-exported there. Pure data and types.
 */
import type { TtpPrintCopy, TtpTerminalState } from './capabilities';
import type { TtpRequest } from './commands';
import type { TtpOutcome } from './outcome';
import type { TtpResponse } from './replies';

// ---------------------------------------------------------------------------------------------
// Events (terminal -> harness, unsolicited). Every event carries `seq`.
// ---------------------------------------------------------------------------------------------

export interface TtpEventBase {
  /** Sequence number of the event, +1 per event since power-on, starting at 1. */
  seq?: number;
}

export interface TtpDisplayEvent extends TtpEventBase {
  evt: 'display';
  /** The whole screen, top to bottom, after the change. */
  lines: string[];
  screen?: string;
  /** 1.1: on final screens (state result), §7.6. */
  outcome?: TtpOutcome;
  /** 1.1: 'pinpad' for a separate PIN pad's display. */
  device?: string;
}

export interface TtpPrintEvent extends TtpEventBase {
  evt: 'print';
  copy: TtpPrintCopy;
  /** Voucher lines as printed (PAN masked as the terminal prints it). */
  lines: string[];
  /** True on 重打印 reprints. */
  reprint: boolean;
  /** Trace number of the transaction the voucher belongs to, if any. */
  trace?: string;
}

export interface TtpStateEvent extends TtpEventBase {
  evt: 'state';
  state: TtpTerminalState;
  /** Previous state. */
  from?: TtpTerminalState;
  /** Extra facts, e.g. {transaction: 'sale'}. */
  detail?: Record<string, unknown>;
}

export interface TtpBeepEvent extends TtpEventBase {
  evt: 'beep';
  kind?: 'key' | 'ok' | 'error' | 'alert';
  durationMs?: number;
}

export type TtpEvent = TtpDisplayEvent | TtpPrintEvent | TtpStateEvent | TtpBeepEvent;
export type TtpEventName = TtpEvent['evt'];
export const TTP_EVENTS: readonly TtpEventName[] = ['display', 'print', 'state', 'beep'];

/** Anything a TTP frame may carry. */
export type TtpMessage = TtpRequest | TtpResponse | TtpEvent;

export function isTtpRequest(m: unknown): m is TtpRequest {
  return isObject(m) && typeof m.cmd === 'string' && typeof m.id === 'number';
}
export function isTtpResponse(m: unknown): m is TtpResponse {
  return isObject(m) && typeof m.ok === 'boolean' && typeof m.id === 'number' && !('cmd' in m);
}
export function isTtpEvent(m: unknown): m is TtpEvent {
  return isObject(m) && typeof m.evt === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
