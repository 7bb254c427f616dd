/**
 * Terminal Test Protocol (TTP) 1.1 — the message vocabulary (1.0 messages stay valid).
 *
 * Normative text: docs/terminal-test-protocol.md. This file is the TypeScript mirror of it: every
 * command the harness may send, every reply shape, every unsolicited event the terminal may emit,
 * the error codes, and the card image the harness hands to the terminal. Pure data and types.
 *
 * The vocabulary lives in messages/ by section (capabilities, outcome, card, commands, replies,
 * events), re-exported here so every import of this module keeps working.
 */

/** Protocol version carried in `hello` (request and result). Major changes break compatibility. */
export const TTP_VERSION = '1.1';

// ---------------------------------------------------------------------------------------------
// Framing constants (see frame.ts)
// ---------------------------------------------------------------------------------------------

export const TTP_STX = 0x02;
export const TTP_ETX = 0x03;
export const TTP_ACK = 0x06;
export const TTP_NAK = 0x15;
/** Largest payload (UTF-8 JSON bytes) a receiver MUST accept; larger frames are rejected. */
export const TTP_MAX_PAYLOAD = 16384;
/** Frame overhead: STX + LEN(2) + ETX + LRC. */
export const TTP_FRAME_OVERHEAD = 5;
/** A frame not acknowledged within this many ms is retransmitted. */
export const TTP_DEFAULT_ACK_TIMEOUT_MS = 500;
/** Retransmissions after the first transmission before the link is declared broken. */
export const TTP_MAX_RETRANSMISSIONS = 3;
/** A frame whose bytes stop arriving for this long is abandoned (receiver resynchronises). Shorter than the ACK timeout, so the receiver NAKs before the sender gives up waiting. */
export const TTP_DEFAULT_FRAME_TIMEOUT_MS = 300;
/** Default time the harness waits for the reply to a command (ecr replies may take much longer). */
export const TTP_DEFAULT_RESPONSE_TIMEOUT_MS = 5000;

export * from './messages/capabilities';
export * from './messages/outcome';
export * from './messages/card';
export * from './messages/commands';
export * from './messages/replies';
export * from './messages/events';
