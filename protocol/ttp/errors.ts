/**
 * Errors of the TTP layer. None blames the terminal: no reply in time is *broken* (terminal-timeout,
 * "terminal did not answer"), a broken link *broken* (link), the rest a harness problem.
 */
import { PoscertError, broken, type DeclaredOutcome } from '../../errors';

/** Base of every error the TTP layer throws: the harness could not use the channel. */
export class TtpError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
}

/** A payload larger than the agreed maximum: the sender must split or shorten it. */
export class TtpPayloadTooLargeError extends TtpError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(size: number, max: number, context: Record<string, unknown> = {}) {
    super(
      'ttp-payload-too-large',
      `TTP payload of ${size} bytes exceeds the maximum of ${max} bytes; shorten the message (e.g. fewer voucher lines per print event)`,
      { size, max, ...context },
    );
  }
}

/**
 * The peer did not acknowledge a frame after every retransmission, or the byte link failed.
 * The harness cannot judge the terminal any more: scenarios end *broken*, never *failed*.
 */
export class TtpLinkBrokenError extends TtpError {
  static override readonly outcome: DeclaredOutcome = broken('link');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('ttp-link-broken', message, context);
  }
}

/** No reply to a request within its response timeout (frame was acknowledged, answer never came). */
export class TtpResponseTimeoutError extends TtpError {
  static override readonly outcome: DeclaredOutcome = broken('terminal-timeout');
  constructor(cmd: string, id: number, timeoutMs: number) {
    super(
      'ttp-response-timeout',
      `terminal acknowledged TTP command '${cmd}' (id ${id}) but sent no reply within ${timeoutMs} ms; check that the test firmware answers every command, or raise the timeout`,
      { cmd, id, timeoutMs },
    );
  }
}

/** The terminal answered with ok:false. `ttpCode` is the TTP error code (e.g. 'not-supported'). */
export class TtpRemoteError extends TtpError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  readonly ttpCode: string;
  readonly detail?: Record<string, unknown>;
  constructor(cmd: string, id: number, ttpCode: string, remoteMessage: string, detail?: Record<string, unknown>) {
    super('ttp-remote-error', `terminal rejected TTP command '${cmd}' (id ${id}): ${ttpCode}: ${remoteMessage}`, { cmd, id, ttpCode, detail });
    this.ttpCode = ttpCode;
    this.detail = detail;
  }
}

/** The channel was closed by its owner while the operation was pending. */
export class TtpChannelClosedError extends TtpError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(what: string) {
    super('ttp-channel-closed', `TTP channel closed while ${what}`, {});
  }
}
