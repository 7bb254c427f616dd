/**
 * The handler table: which handler serves which request MTI. A new message family is one file in
 * this folder and one entry here.
 */
import { batchUploadHandler } from './batch-upload';
import { financialHandler } from './financial';
import { networkManagementHandler } from './network-management';
import { reversalHandler } from './reversal';
import { scriptResultHandler } from './script-result';
import { settlementHandler } from './settlement';
import type { MessageHandler } from './types';

export type { MessageHandler, PreparedRequest } from './types';

export const HANDLERS: readonly MessageHandler[] = [
  networkManagementHandler,
  financialHandler,
  reversalHandler,
  settlementHandler,
  batchUploadHandler,
  scriptResultHandler,
];

/** Request MTI → handler; two handlers claiming one MTI is a programming error caught at load. */
export function handlerTable(handlers: readonly MessageHandler[] = HANDLERS): ReadonlyMap<string, MessageHandler> {
  const table = new Map<string, MessageHandler>();
  for (const h of handlers) {
    for (const mti of h.mtis) {
      const other = table.get(mti);
      if (other) throw new Error(`MTI ${mti} is claimed by both the ${other.name} and the ${h.name} handler`);
      table.set(mti, h);
    }
  }
  return table;
}

/** Every request MTI this host serves. */
export const REQUEST_MTIS: ReadonlySet<string> = new Set(handlerTable().keys());
