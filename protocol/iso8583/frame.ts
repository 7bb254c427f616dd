/**
 * The CUP TCP frame: LEN(2, binary big-endian, excludes itself) + TPDU(5) + header(6) + message
 * (cup8583.md §1.1), and a stream reader that cuts a TCP byte stream into frames.
 */
import type { Dialect } from './types';
import { IsoMessage } from './message';
import { packMessage, unpackMessage } from './codec';
import { CUP_POS_DIALECT } from './cup-dialect';
import { FrameTooLargeError, Iso8583DecodeError, Iso8583EncodeError } from './errors';

/**
 * The 6-byte (12-nibble) header. Digit strings as on the wire; hex letters are kept (upper case) because
 * real terminals send non-BCD sub-versions such as `31FFF1`.
 */
export interface CupHeader {
  /** 应用类别: 60 magstripe, 61 IC, 62/63 value-added. */
  applicationClass: string;
  /** 软件总版本号: 22, 31, 32 ... */
  specVersion: string;
  /** 终端状态: 0 normal, 1 test. */
  terminalStatus: string;
  /** 处理要求 (meaningful in responses): 0 none, 3 sign on again, 5 download IC parameters ... */
  processingRequirement: string;
  /** 软件分版本号, 6 characters. */
  softwareVersion: string;
}

export interface CupFrame {
  /** 10 hex digits: 60 + destination (NII) + originator. */
  tpdu: string;
  header: CupHeader;
  message: IsoMessage;
}

export const TPDU_LENGTH = 5;
export const HEADER_LENGTH = 6;

const HEX_RE = /^[0-9A-Fa-f]*$/;

function hexToBytes(hex: string, bytes: number, what: string): Buffer {
  if (typeof hex !== 'string' || hex.length !== bytes * 2 || !HEX_RE.test(hex)) {
    throw new Iso8583EncodeError(`${what} must be ${bytes * 2} hex digits, got ${JSON.stringify(hex)}`);
  }
  return Buffer.from(hex, 'hex');
}

export function formatHeader(header: CupHeader): string {
  const parts: [string, number][] = [
    [header.applicationClass, 2],
    [header.specVersion, 2],
    [header.terminalStatus, 1],
    [header.processingRequirement, 1],
    [header.softwareVersion, 6],
  ];
  const names = ['applicationClass', 'specVersion', 'terminalStatus', 'processingRequirement', 'softwareVersion'];
  return parts
    .map(([v, n], i) => {
      if (typeof v !== 'string' || v.length !== n || !HEX_RE.test(v)) {
        throw new Iso8583EncodeError(`header.${names[i]} must be ${n} digit(s), got ${JSON.stringify(v)}`);
      }
      return v.toUpperCase();
    })
    .join('');
}

export function parseHeader(bytes: Buffer): CupHeader {
  if (bytes.length !== HEADER_LENGTH) {
    throw new Iso8583DecodeError('truncated', 0, `header needs ${HEADER_LENGTH} bytes, got ${bytes.length}`);
  }
  const h = bytes.toString('hex').toUpperCase();
  return {
    applicationClass: h.slice(0, 2),
    specVersion: h.slice(2, 4),
    terminalStatus: h.slice(4, 5),
    processingRequirement: h.slice(5, 6),
    softwareVersion: h.slice(6, 12),
  };
}

/** Response TPDU: same ID, destination and originator addresses exchanged (cup8583.md §1.1). */
export function swapTpdu(tpdu: string): string {
  if (typeof tpdu !== 'string' || tpdu.length !== 10 || !HEX_RE.test(tpdu)) {
    throw new Iso8583EncodeError(`TPDU must be 10 hex digits, got ${JSON.stringify(tpdu)}`);
  }
  const t = tpdu.toUpperCase();
  return t.slice(0, 2) + t.slice(6, 10) + t.slice(2, 6);
}

/**
 * Header of a response: the request header echoed with digit 6 (处理要求) set, e.g. '3' to ask the
 * terminal to sign on again or '5' to download IC parameters (cup8583.md §1.1).
 */
export function responseHeader(request: CupHeader, processingRequirement = '0'): CupHeader {
  return { ...request, processingRequirement };
}

/** The frame that answers `request`: TPDU addresses swapped, header echoed (digit 6 as given). */
export function replyFrame(request: CupFrame, message: IsoMessage, processingRequirement = '0'): CupFrame {
  return { tpdu: swapTpdu(request.tpdu), header: responseHeader(request.header, processingRequirement), message };
}

/** Frame with the 2-byte length prefix. */
export function encodeFrame(frame: CupFrame, dialect: Dialect = CUP_POS_DIALECT): Buffer {
  const tpdu = hexToBytes(frame.tpdu, TPDU_LENGTH, 'TPDU');
  const header = Buffer.from(formatHeader(frame.header), 'hex');
  const body = packMessage(frame.message, dialect);
  const len = TPDU_LENGTH + HEADER_LENGTH + body.length;
  if (len > 0xffff) throw new Iso8583EncodeError(`frame of ${len} bytes does not fit a 2-byte length prefix`);
  const out = Buffer.allocUnsafe(2 + len);
  out.writeUInt16BE(len, 0);
  tpdu.copy(out, 2);
  header.copy(out, 2 + TPDU_LENGTH);
  body.copy(out, 2 + TPDU_LENGTH + HEADER_LENGTH);
  return out;
}

/**
 * Decodes one frame including its 2-byte length. The prefix must match the bytes that follow exactly;
 * error offsets are relative to the start of `bytes` (the length prefix).
 */
export function decodeFrame(bytes: Buffer, dialect: Dialect = CUP_POS_DIALECT): CupFrame {
  if (bytes.length < 2) throw new Iso8583DecodeError('truncated', 0, `length prefix needs 2 bytes, got ${bytes.length}`);
  const announced = bytes.readUInt16BE(0);
  if (announced !== bytes.length - 2) {
    throw new Iso8583DecodeError(
      announced > bytes.length - 2 ? 'truncated' : 'trailing-bytes',
      0,
      `length prefix says ${announced} bytes follow, ${bytes.length - 2} do`,
    );
  }
  return decodeFrameBody(bytes.subarray(2), dialect, 2);
}

/** TPDU + header + message, without the length prefix (serial links, captures without LEN). */
export function decodeFrameBody(bytes: Buffer, dialect: Dialect = CUP_POS_DIALECT, baseOffset = 0): CupFrame {
  const minimum = TPDU_LENGTH + HEADER_LENGTH;
  if (bytes.length < minimum) {
    throw new Iso8583DecodeError('truncated', baseOffset, `TPDU + header need ${minimum} bytes, got ${bytes.length}`);
  }
  const tpdu = bytes.toString('hex', 0, TPDU_LENGTH).toUpperCase();
  const header = parseHeader(bytes.subarray(TPDU_LENGTH, minimum));
  let message: IsoMessage;
  try {
    message = unpackMessage(bytes.subarray(minimum), dialect);
  } catch (err) {
    if (err instanceof Iso8583DecodeError) throw rebase(err, baseOffset + minimum);
    throw err;
  }
  return { tpdu, header, message };
}

/** The same error with its offset moved from message-relative to frame-relative. */
export function rebase(err: Iso8583DecodeError, delta: number): Iso8583DecodeError {
  if (delta === 0) return err;
  return new Iso8583DecodeError(err.reason, err.offset + delta, err.detail, err.field);
}

/**
 * Cuts a TCP byte stream into complete frames (each returned with its 2-byte length). Chunks may
 * split anywhere, including inside the length prefix. A prefix over maxFrameSize throws
 * FrameTooLargeError: the stream cannot be resynchronised, the caller should close the connection.
 */
export class LengthPrefixedReader {
  private readonly maxFrameSize: number;
  private pending: Buffer = Buffer.alloc(0);

  constructor(options: { maxFrameSize?: number } = {}) {
    this.maxFrameSize = options.maxFrameSize ?? 8192;
  }

  push(chunk: Buffer): Buffer[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    let off = 0;
    while (data.length - off >= 2) {
      const len = data.readUInt16BE(off);
      if (len > this.maxFrameSize) {
        this.pending = Buffer.alloc(0);
        throw new FrameTooLargeError(len, this.maxFrameSize);
      }
      if (data.length - off < 2 + len) break;
      frames.push(Buffer.from(data.subarray(off, off + 2 + len)));
      off += 2 + len;
    }
    this.pending = off === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(off));
    return frames;
  }

  /** Bytes received that do not yet form a complete frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}
