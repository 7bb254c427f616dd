import { PoscertError } from '../../errors';

/** Why a byte string is not a message of the dialect. Stable strings, used by tests and reports. */
export type Iso8583DecodeReason =
  'truncated' | 'bad-bcd-nibble' | 'length-over-max' | 'undefined-field' | 'trailing-bytes' | 'secondary-bitmap' | 'bad-length-prefix' | 'bad-text';

/**
 * The bytes are not a valid message. `field` is absent for MTI/bitmap/framing problems; `offset` is the
 * byte offset (from the start of the bytes handed to the decoder) where the problem was found.
 */
export class Iso8583DecodeError extends PoscertError {
  readonly field?: number;
  readonly offset: number;
  readonly reason: Iso8583DecodeReason;
  /** The explanation without the position prefix. */
  readonly detail: string;
  constructor(reason: Iso8583DecodeReason, offset: number, detail: string, field?: number) {
    const where = field === undefined ? `at byte ${offset}` : `in field ${field} at byte ${offset}`;
    super('ISO8583_DECODE', `cannot decode ISO 8583 message: ${reason} ${where}: ${detail}`, {
      reason,
      offset,
      ...(field === undefined ? {} : { field }),
    });
    this.reason = reason;
    this.offset = offset;
    this.detail = detail;
    if (field !== undefined) this.field = field;
  }
}

/** A value set on an IsoMessage cannot be packed under the dialect (wrong type, characters, length). */
export class Iso8583EncodeError extends PoscertError {
  readonly field?: number;
  constructor(detail: string, field?: number) {
    super(
      'ISO8583_ENCODE',
      field === undefined ? `cannot pack ISO 8583 message: ${detail}` : `cannot pack field ${field}: ${detail}`,
      field === undefined ? {} : { field },
    );
    if (field !== undefined) this.field = field;
  }
}

/** A length prefix announces a frame larger than the reader accepts (protects the host from garbage). */
export class FrameTooLargeError extends PoscertError {
  readonly announced: number;
  readonly maxFrameSize: number;
  constructor(announced: number, maxFrameSize: number) {
    super(
      'ISO8583_FRAME_TOO_LARGE',
      `length prefix announces ${announced} bytes, more than the maximum of ${maxFrameSize}; ` +
        'the peer is not sending 2-byte-length CUP frames or the stream is out of sync; close the connection',
      { announced, maxFrameSize },
    );
    this.announced = announced;
    this.maxFrameSize = maxFrameSize;
  }
}

/** A sub-field helper (F60, F61, F48, F54, F62 payee ...) was given a value it cannot parse or format. */
export class FieldContentError extends PoscertError {
  readonly field: number | string;
  constructor(field: number | string, detail: string, context: Record<string, unknown> = {}) {
    super('ISO8583_FIELD_CONTENT', `field ${field}: ${detail}`, { field, ...context });
    this.field = field;
  }
}
