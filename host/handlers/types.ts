/**
 * The contract between the frame pipeline (engine.ts) and a message handler. A handler first reads
 * and checks the request (terminal, F60, MAC, what the request is) and either answers at once or
 * returns the prepared work: `apply` decides and books, `decline` answers with a given F39 and books
 * only what a decline books. Splitting the two lets a filter (force-response-code) replace the
 * decision in one place, after the checks every request must pass.
 */
import type { IsoMessage } from '../../protocol/iso8583';
import type { HostContext, Request } from '../context';

export interface PreparedRequest {
  /** The host's own decision, with its effects on the store. */
  apply(): IsoMessage;
  /** A decline with this F39 (not 00): the reply and what a decline of this family records. */
  decline(code: string, why: string): IsoMessage;
}

export interface MessageHandler {
  /** Family name, for logs and docs. */
  readonly name: string;
  /** Request MTIs this handler serves (one handler per MTI). */
  readonly mtis: readonly string[];
  /** Reads and checks the request; a Decline thrown here is answered with the base reply and its F39. */
  prepare(req: Request, ctx: HostContext): IsoMessage | PreparedRequest;
}

/** Prepared work of a family whose decline is only the base reply with F39. */
export function prepared(out: IsoMessage, apply: () => IsoMessage): PreparedRequest {
  return { apply, decline: (code) => out.set(39, code) };
}
