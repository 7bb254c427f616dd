/**
 * Fault injection for the next N requests that match: what a certification case uses to see how a
 * terminal copes with a slow, silent, rude or dishonest acquirer.
 */
import { HostControlError } from './errors';

/** §7's approvals an approve-with-response-code fault may answer (10 changes F4: the card book's partial cards do that). */
export const APPROVAL_CODES: readonly string[] = ['11', 'A2', 'A4', 'A5', 'A6'];

export type FaultAction =
  'delay' | 'no-response' | 'close' | 'force-response-code' | 'approve-with-response-code' | 'corrupt-mac' | 'corrupt-arpc' | 'wrong-mti';
export const FAULT_ACTIONS: readonly FaultAction[] = [
  'delay',
  'no-response',
  'close',
  'force-response-code',
  'approve-with-response-code',
  'corrupt-mac',
  'corrupt-arpc',
  'wrong-mti',
];

export interface FaultMatch {
  /** Request MTI, e.g. '0200'. */
  mti?: string;
  /** Request F3, e.g. '000000'. */
  processingCode?: string;
  terminalId?: string;
}

export interface FaultSpec {
  match?: FaultMatch;
  action: FaultAction;
  /** How many matching requests the fault applies to (default 1). */
  count?: number;
  /** For delay: milliseconds before the reply is written (default 1000). */
  delayMs?: number;
  /**
   * For force-response-code: the F39 to answer (not 00; nothing is booked). For
   * approve-with-response-code: one of §7's other approvals (10 excluded: it changes F4) put in
   * place of the 00 of an approval the host books as usual.
   */
  responseCode?: string;
}

export interface ActiveFault {
  id: number;
  match: FaultMatch;
  action: FaultAction;
  remaining: number;
  delayMs: number;
  responseCode?: string;
}

export function validateFault(spec: FaultSpec): ActiveFault {
  if (!spec || typeof spec !== 'object') throw new HostControlError('injectFault needs an object {match, action, count?, delayMs?, responseCode?}');
  if (!FAULT_ACTIONS.includes(spec.action)) {
    throw new HostControlError(`unknown fault action ${JSON.stringify(spec.action)}; use one of ${FAULT_ACTIONS.join(', ')}`, {
      action: spec.action,
    });
  }
  const match = spec.match ?? {};
  if (typeof match !== 'object') throw new HostControlError('fault match must be an object {mti?, processingCode?, terminalId?}');
  const unknownKeys = Object.keys(match).filter((k) => !['mti', 'processingCode', 'terminalId'].includes(k));
  if (unknownKeys.length)
    throw new HostControlError(`fault match has unknown key(s) ${unknownKeys.join(', ')} (use mti, processingCode, terminalId)`);
  if (match.mti !== undefined && !/^\d{4}$/.test(match.mti))
    throw new HostControlError(`fault match.mti must be 4 digits, got ${JSON.stringify(match.mti)}`);
  if (match.processingCode !== undefined && !/^\d{6}$/.test(match.processingCode)) {
    throw new HostControlError(`fault match.processingCode must be 6 digits, got ${JSON.stringify(match.processingCode)}`);
  }
  const count = spec.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new HostControlError(`fault count must be a positive integer, got ${JSON.stringify(spec.count)}`);
  const delayMs = spec.delayMs ?? 1000;
  if (!Number.isFinite(delayMs) || delayMs < 0 || delayMs > 600_000)
    throw new HostControlError(`fault delayMs must be 0..600000, got ${JSON.stringify(spec.delayMs)}`);
  if (spec.action === 'force-response-code') {
    if (typeof spec.responseCode !== 'string' || !/^[0-9A-Z]{2}$/.test(spec.responseCode)) {
      throw new HostControlError(`force-response-code needs responseCode, two characters such as 51 or A0; got ${JSON.stringify(spec.responseCode)}`);
    }
    if (spec.responseCode === '00')
      throw new HostControlError('force-response-code cannot force 00: an approval must be earned (remove the fault instead)');
  }
  if (spec.action === 'approve-with-response-code' && !APPROVAL_CODES.includes(spec.responseCode ?? '')) {
    throw new HostControlError(
      `approve-with-response-code needs responseCode, one of the approvals of cup8583.md §7 other than 00 and 10 (${APPROVAL_CODES.join(', ')}); got ${JSON.stringify(spec.responseCode)}`,
    );
  }
  return { id: 0, match: { ...match }, action: spec.action, remaining: count, delayMs, responseCode: spec.responseCode };
}

export class FaultSet {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    const fault = validateFault(spec);
    fault.id = this.nextId++;
    this.faults.push(fault);
    return { ...fault };
  }

  clear(): void {
    this.faults = [];
  }

  /** A copy of the pending faults, to restore when the requests that took them are rolled back. */
  snapshot(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f, match: { ...f.match } }));
  }

  restore(snapshot: ActiveFault[]): void {
    this.faults = snapshot.map((f) => ({ ...f, match: { ...f.match } }));
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f, match: { ...f.match } }));
  }

  /** The first fault matching this request, its count taken down by one (removed at zero). */
  take(mti: string, processingCode: string | undefined, terminalId: string | undefined): ActiveFault | undefined {
    const i = this.faults.findIndex(
      (f) =>
        (f.match.mti === undefined || f.match.mti === mti) &&
        (f.match.processingCode === undefined || f.match.processingCode === processingCode) &&
        (f.match.terminalId === undefined || f.match.terminalId === terminalId),
    );
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return { ...f };
  }
}
