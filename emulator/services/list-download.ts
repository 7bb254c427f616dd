/**
 * What every list download of the terminal shares (IC lists, services/ic-parameters.ts; blacklist and
 * contactless parameters, services/terminal-lists.ts): one connection for the whole download, rounds
 * of lists until none is wanted (an end reply may ask for another list, header digits 4 / 5 / 7 / 9 of
 * cup8583.md §1.1), and the exchange rule of §3.5: each message gets its own STAN, and only the
 * matching response MTI with F39 00 moves the download on; anything else stops it (the list stays
 * wanted, the previous one in force) and the reason goes to the log.
 */
import { responseMtiOf, type IsoMessage } from '../../protocol/iso8583';
import type { HostLine } from '../host-link';
import type { SessionCore } from './core';
import type { Exchanged, Online } from './online';
import type { Requests } from './requests';

/** Why a list's download stopped (for the log; the download reports false). */
export class ListDownloadFailed extends Error {}

export class ListDownloads {
  constructor(
    private readonly core: SessionCore,
    private readonly requests: Requests,
    private readonly online: Online,
  ) {}

  /**
   * Downloads every list `wanted()` names, at most `rounds` times over, on one connection.
   * True when none is wanted afterwards; false when the host cannot be reached or a list failed.
   */
  async run<K extends string>(
    what: (list: K) => string,
    wanted: () => readonly K[],
    downloadList: (line: HostLine, list: K) => Promise<void>,
    rounds: number,
  ): Promise<boolean> {
    const line = await this.online.open();
    if (!line) return false;
    try {
      for (let round = 0; round < rounds; round++) {
        const todo = wanted();
        if (todo.length === 0) break;
        for (const list of todo) {
          try {
            await downloadList(line, list);
          } catch (e) {
            if (!(e instanceof ListDownloadFailed)) throw e;
            this.core.host.log(`${what(list)} download: ${e.message}`);
            return false;
          }
        }
      }
    } finally {
      line.close();
    }
    return wanted().length === 0;
  }

  /** One exchange of a download: the reply, or ListDownloadFailed naming the step (`what`). */
  async send(line: HostLine, msg: IsoMessage, what: string): Promise<IsoMessage> {
    msg.set(11, this.requests.nextStan(false));
    this.core.persist();
    const got: Exchanged = await this.online.exchange(line, msg, false);
    if ('error' in got) throw new ListDownloadFailed(`${what}: ${got.error.message}`);
    const code = got.reply.getString(39);
    if (got.reply.mti !== responseMtiOf(msg.mti) || code !== '00')
      throw new ListDownloadFailed(`${what} answered ${got.reply.mti} F39 ${code ?? '(none)'}`);
    // A reply may ask for another list (taken in the next round) or for sign-on / parameters (after).
    this.online.noteRequirement(got.header);
    return got.reply;
  }
}
