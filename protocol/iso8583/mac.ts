/**
 * F64 over a message (cup8583.md §5.3): the MAC input is the packed message from the MTI to the end
 * of field 63, with bit 64 set in the bitmap; TPDU, header and length prefix are not part of it.
 */
import { computeMac, type MacScheme } from '../../crypto';
import type { Dialect } from './types';
import type { IsoMessage } from './message';
import { packInternal } from './codec';
import { CUP_POS_DIALECT } from './cup-dialect';

export function macInput(msg: IsoMessage, dialect: Dialect = CUP_POS_DIALECT): Buffer {
  return packInternal(msg, dialect, true);
}

/** F64 is 8 bytes: the ECB schemes give 8 ASCII hex characters, X9.9/X9.19 the 8-byte binary MAC. */
export function computeMessageMac(msg: IsoMessage, mak: Buffer, scheme: MacScheme = 'cup-ecb', dialect: Dialect = CUP_POS_DIALECT): Buffer {
  const mac = computeMac(scheme, mak, macInput(msg, dialect));
  return mac.length === 8 ? mac : mac.subarray(0, 8);
}

/** Sets field 64 to the MAC of the message under the MAK. Returns the message. */
export function applyMac(msg: IsoMessage, mak: Buffer, scheme: MacScheme = 'cup-ecb', dialect: Dialect = CUP_POS_DIALECT): IsoMessage {
  return msg.set(64, computeMessageMac(msg, mak, scheme, dialect));
}

/** True when field 64 is present and equals the MAC computed under the MAK (constant-time compare). */
export function verifyMac(msg: IsoMessage, mak: Buffer, scheme: MacScheme = 'cup-ecb', dialect: Dialect = CUP_POS_DIALECT): boolean {
  const received = msg.get(64);
  if (!Buffer.isBuffer(received) || received.length !== 8) return false;
  const expected = computeMessageMac(msg, mak, scheme, dialect);
  let diff = 0;
  for (let i = 0; i < 8; i++) diff |= received[i] ^ expected[i];
  return diff === 0;
}
