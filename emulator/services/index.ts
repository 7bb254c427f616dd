/**
 * The services of one powered-on life of the terminal, wired together once per session: what a
 * flow receives as its context (flows/types.ts FlowContext). Each service is one concern:
 * ui (screens and keypad), cards (card reader), requests (ISO 8583 building), online (host line
 * and reversal), management (sign-on, parameters, notices), transactions (batch, result, vouchers).
 */
import { CardReader } from './card-reader';
import type { SessionCore } from './core';
import { Management } from './management';
import { Online } from './online';
import { Requests } from './requests';
import { Transactions } from './transactions';
import { Ui } from './ui';

export class TerminalServices {
  readonly ui: Ui;
  readonly cards: CardReader;
  readonly requests: Requests;
  readonly online: Online;
  readonly management: Management;
  readonly transactions: Transactions;

  constructor(readonly core: SessionCore) {
    this.ui = new Ui(core);
    this.cards = new CardReader(core, this.ui, () => this.management.downloadIcLists());
    this.requests = new Requests(core);
    this.online = new Online(core, this.ui, this.requests);
    this.management = new Management(core, this.ui, this.requests, this.online);
    this.transactions = new Transactions(core, this.ui, this.management, this.online);
  }
}

export { SessionCore } from './core';
export type { SessionHost, Timeouts } from './core';
export type { CardRead } from './card-reader';
export type { FlowResult, BatchTotals } from './transactions';
export type { OnlineOutcome } from './online';
