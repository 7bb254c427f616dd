/**
 * TTP framing: STX LEN(2, big-endian) PAYLOAD(UTF-8 JSON) ETX LRC, LRC = XOR of LEN..ETX.
 * Single bytes ACK (06) and NAK (15) travel between frames. The decoder is a push parser: feed it
 * whatever the link delivered, in any split, and it returns what it found.
 */
import { TtpPayloadTooLargeError } from './errors';
import { TTP_ACK, TTP_ETX, TTP_MAX_PAYLOAD, TTP_NAK, TTP_STX, TtpMessage, isTtpEvent, isTtpRequest, isTtpResponse } from './messages';

/** XOR of every byte of `bytes` (pass LEN..ETX). */
export function computeLrc(bytes: Uint8Array): number {
  let lrc = 0;
  for (const b of bytes) lrc ^= b;
  return lrc;
}

/** Frame raw payload bytes (already UTF-8 JSON). Exposed for tests and for vendors' conformance tools. */
export function encodeTtpFrameBytes(payload: Uint8Array, maxPayload = TTP_MAX_PAYLOAD): Buffer {
  if (payload.length > maxPayload) throw new TtpPayloadTooLargeError(payload.length, maxPayload);
  const frame = Buffer.alloc(payload.length + 5);
  frame[0] = TTP_STX;
  frame.writeUInt16BE(payload.length, 1);
  frame.set(payload, 3);
  frame[3 + payload.length] = TTP_ETX;
  frame[4 + payload.length] = computeLrc(frame.subarray(1, 4 + payload.length));
  return frame;
}

/** Encode one message as a frame. Throws TtpPayloadTooLargeError above `maxPayload`. */
export function encodeTtpFrame(payload: TtpMessage, maxPayload = TTP_MAX_PAYLOAD): Buffer {
  // JSON.stringify escapes every control character, so the payload never contains STX/ETX/ACK/NAK.
  return encodeTtpFrameBytes(Buffer.from(JSON.stringify(payload), 'utf8'), maxPayload);
}

export const TTP_ACK_BYTE: Buffer = Buffer.from([TTP_ACK]);
export const TTP_NAK_BYTE: Buffer = Buffer.from([TTP_NAK]);

/**
 * Why bytes were rejected.
 * - garbage: bytes outside any frame that are neither STX, ACK nor NAK (skipped; not NAKed)
 * - oversized: LEN above the maximum payload (frame dropped, NAK)
 * - control-byte-in-payload: a byte below 0x20 other than TAB/LF/CR inside the payload region,
 *   e.g. the real ETX where a corrupted, too large LEN expects payload (NAK, at once)
 * - bad-etx: no ETX where LEN says it is (NAK)
 * - bad-lrc: LRC mismatch (NAK)
 * - truncated: the frame stopped arriving (expire() was called) (NAK)
 * - bad-utf8 / bad-json / bad-message: LEN, ETX and LRC check out but the payload is not a UTF-8
 *   JSON object shaped as a request, response or event. Either a sender bug or line damage the
 *   LRC missed (two flips in one bit column); receivers NAK it (a retransmission repairs damage,
 *   a buggy sender ends with a broken link and this reason in the receiver's report)
 */
export type TtpDecodeErrorReason =
  'garbage' | 'oversized' | 'control-byte-in-payload' | 'bad-etx' | 'bad-lrc' | 'truncated' | 'bad-utf8' | 'bad-json' | 'bad-message';

export type TtpDecodeEvent =
  | { kind: 'frame'; payload: TtpMessage; raw: Buffer }
  | { kind: 'ack' }
  | { kind: 'nak' }
  | {
      kind: 'error';
      reason: TtpDecodeErrorReason;
      /** Human-readable explanation with offsets and sizes. */
      detail: string;
      /** Bytes discarded (garbage) or the frame's claimed payload length. */
      bytes: number;
      /** True when the envelope (LEN, ETX, LRC) checked out and only the payload is invalid. */
      intact: boolean;
    };

export interface TtpFrameDecoderOptions {
  maxPayload?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes that cannot appear in a UTF-8 JSON text: C0 controls except TAB, LF, CR. */
const IMPOSSIBLE_IN_PAYLOAD: boolean[] = Array.from({ length: 256 }, (_, b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);

export class TtpFrameDecoder {
  private readonly maxPayload: number;
  private buf: Buffer = Buffer.alloc(0);
  /** Total bytes consumed so far, for offsets in error details. */
  private consumed = 0;
  /** Payload bytes of the partial frame at buf[0] already checked for control bytes. */
  private checked = 0;

  constructor(options: TtpFrameDecoderOptions = {}) {
    this.maxPayload = options.maxPayload ?? TTP_MAX_PAYLOAD;
  }

  /** True while a frame has started (STX seen) but is not complete. */
  get inFrame(): boolean {
    return this.buf.length > 0 && this.buf[0] === TTP_STX;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): TtpDecodeEvent[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    return this.drain(false);
  }

  /**
   * Give up on a partial frame (the sender went quiet): report it as truncated and rescan the
   * bytes after its STX, which may hold the start of a later frame.
   */
  expire(): TtpDecodeEvent[] {
    if (!this.inFrame) return [];
    return this.drain(true);
  }

  reset(): void {
    this.checked = 0;
    this.consumed += this.buf.length;
    this.buf = Buffer.alloc(0);
  }

  private drain(expireFirstPartial: boolean): TtpDecodeEvent[] {
    const out: TtpDecodeEvent[] = [];
    let expire = expireFirstPartial;
    let pos = 0;
    let garbage = 0;
    let partialChecked = 0;
    const flushGarbage = (): void => {
      if (garbage > 0) {
        out.push({
          kind: 'error',
          reason: 'garbage',
          detail: `skipped ${garbage} byte(s) outside any frame before offset ${this.consumed + pos}`,
          bytes: garbage,
          intact: false,
        });
        garbage = 0;
      }
    };
    const buf = this.buf;
    // Rescanning a damaged frame from the byte after its STX, its LEN and LRC bytes are not
    // ACK/NAK even when they happen to be 06 or 15 (payload bytes never are). Taking them for a
    // spurious ACK would make the peer's sender believe a frame arrived that did not.
    const notControl = new Set<number>();
    const damaged = (at: number, lrcAt?: number): void => {
      notControl.add(at + 1);
      notControl.add(at + 2);
      if (lrcAt !== undefined) notControl.add(lrcAt);
    };
    while (pos < buf.length) {
      const b = buf[pos];
      if ((b === TTP_ACK || b === TTP_NAK) && !notControl.has(pos)) {
        flushGarbage();
        out.push({ kind: b === TTP_ACK ? 'ack' : 'nak' });
        pos++;
        continue;
      }
      if (b !== TTP_STX) {
        garbage++;
        pos++;
        continue;
      }
      flushGarbage();
      const at = this.consumed + pos;
      const available = buf.length - pos;
      if (available < 3) {
        if (expire) {
          expire = false;
          out.push(truncated(at, available));
          damaged(pos);
          pos++;
          continue;
        }
        break;
      }
      const len = buf.readUInt16BE(pos + 1);
      if (len > this.maxPayload) {
        damaged(pos);
        out.push({
          kind: 'error',
          reason: 'oversized',
          detail: `frame at offset ${at} claims ${len} payload bytes, maximum is ${this.maxPayload}`,
          bytes: len,
          intact: false,
        });
        pos++; // resynchronise on the next STX after this one
        continue;
      }
      // Payload bytes can never be control characters (JSON escapes them), so one in the
      // payload region proves LEN or the data is corrupt: report it now instead of waiting for
      // bytes a corrupted LEN promised (which would stall until the frame timeout).
      const payloadEnd = Math.min(pos + 3 + len, buf.length);
      const scanFrom = pos + 3 + (pos === 0 ? this.checked : 0);
      let bad = -1;
      for (let i = scanFrom; i < payloadEnd; i++) {
        if (IMPOSSIBLE_IN_PAYLOAD[buf[i]]) {
          bad = i;
          break;
        }
      }
      if (bad >= 0) {
        damaged(pos);
        out.push({
          kind: 'error',
          reason: 'control-byte-in-payload',
          detail: `frame at offset ${at} (LEN ${len}): byte 0x${hex(buf[bad])} at offset ${this.consumed + bad} cannot occur in a JSON payload`,
          bytes: len,
          intact: false,
        });
        pos++;
        continue;
      }
      if (available < len + 5) {
        if (expire) {
          expire = false;
          out.push(truncated(at, available));
          damaged(pos);
          pos++;
          continue;
        }
        partialChecked = payloadEnd - pos - 3;
        break;
      }
      const etxAt = pos + 3 + len;
      if (buf[etxAt] !== TTP_ETX) {
        damaged(pos);
        out.push({
          kind: 'error',
          reason: 'bad-etx',
          detail: `frame at offset ${at} (LEN ${len}): expected ETX at offset ${this.consumed + etxAt}, found 0x${hex(buf[etxAt])}`,
          bytes: len,
          intact: false,
        });
        pos++;
        continue;
      }
      const lrc = computeLrc(buf.subarray(pos + 1, etxAt + 1));
      if (lrc !== buf[etxAt + 1]) {
        damaged(pos, etxAt + 1);
        out.push({
          kind: 'error',
          reason: 'bad-lrc',
          detail: `frame at offset ${at} (LEN ${len}): LRC 0x${hex(buf[etxAt + 1])}, computed 0x${hex(lrc)}`,
          bytes: len,
          intact: false,
        });
        pos++;
        continue;
      }
      const raw = Buffer.from(buf.subarray(pos + 3, etxAt));
      pos = etxAt + 2;
      out.push(parsePayload(raw, at));
    }
    flushGarbage();
    this.checked = partialChecked;
    this.consumed += pos;
    this.buf = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    return out;
  }
}

function truncated(at: number, have: number): TtpDecodeEvent {
  return { kind: 'error', reason: 'truncated', detail: `frame at offset ${at} stopped after ${have} byte(s)`, bytes: have, intact: false };
}

function parsePayload(raw: Buffer, at: number): TtpDecodeEvent {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { kind: 'error', reason: 'bad-utf8', detail: `frame at offset ${at}: payload is not valid UTF-8`, bytes: raw.length, intact: true };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      kind: 'error',
      reason: 'bad-json',
      detail: `frame at offset ${at}: payload is not JSON (${(e as Error).message})`,
      bytes: raw.length,
      intact: true,
    };
  }
  if (!isTtpRequest(value) && !isTtpResponse(value) && !isTtpEvent(value)) {
    return {
      kind: 'error',
      reason: 'bad-message',
      detail: `frame at offset ${at}: JSON is neither a request ({id, cmd}), a response ({id, ok}) nor an event ({evt})`,
      bytes: raw.length,
      intact: true,
    };
  }
  return { kind: 'frame', payload: value, raw };
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, '0');
}
