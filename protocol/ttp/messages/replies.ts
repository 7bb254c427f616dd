/**
 * TTP replies: the error codes and the ok / error reply shapes. Split out of messages.ts
 * (issue 11: no source file over 500 lines); re-exported there. Pure data and types.
 */

export const TTP_ERROR_CODES = [
  'unknown-command', // cmd not known to this terminal
  'bad-request', // a field is missing, of the wrong type or out of range
  'unsupported-version', // hello with a major version the terminal does not speak
  'not-supported', // the terminal lacks the capability (e.g. tap without contactless)
  'invalid-state', // command not possible now (e.g. card present while powered off)
  'busy', // a command of this kind is still in progress (e.g. a second ecr)
  'powered-off', // terminal is off; only `power on|cycle`, `hello` and `screen` work
  'tampered', // tamper detected; terminal refuses to transact
  'timeout', // the terminal gave up waiting (e.g. ecr: no card in time)
  'cancelled', // operator or CANCEL/reset ended the operation
  'payload-too-large', // the frame carried more than the terminal's max payload
  'internal', // firmware fault; message says what
] as const;
export type TtpErrorCode = (typeof TTP_ERROR_CODES)[number];

export interface TtpErrorBody {
  code: TtpErrorCode | `x-${string}`;
  message: string;
  /** Machine-readable detail (field name, state, ...). */
  detail?: Record<string, unknown>;
}

export interface TtpOkResponse<R = unknown> {
  id: number;
  ok: true;
  result?: R;
}
export interface TtpErrorResponse {
  id: number;
  ok: false;
  error: TtpErrorBody;
}
export type TtpResponse<R = unknown> = TtpOkResponse<R> | TtpErrorResponse;
