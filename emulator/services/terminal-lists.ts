/**
 * The card blacklist (黑名单下载 0800 60.3 390, end 391) and the contactless QuickPass parameters
 * (非接业务参数 0800 394, end 395) as a conformant terminal downloads them: whenever a reply asks
 * (header digit 7 / 9, cup8583.md §1.1; the sign-on reply and the IC download's replies included, so
 * a fresh terminal loads them at its first sign-on), on one connection like the
 * IC lists (services/ic-parameters.ts). A list is stored only once its end is answered; until then
 * the previous one stays in force. Blacklisted cards are kept as SHA-256 digests of the card
 * number with the masked number (no clear card number in the state file or the log); the card
 * reader refuses a card whose digest is listed (blacklist-not-checked does not). The downloaded
 * QuickPass limits replace the profile's shipped ones (SessionCore.quickPassLimits). Defect
 * list-request-in-reply-ignored (services/online.ts) drops a transaction reply's digit 7, so only the
 * sign-on reply's blacklist request is followed; defect list-request-never-cleared keeps the request
 * once the list is in, so the same list is downloaded again and again.
 */
import { createHash } from 'node:crypto';
import { maskPan } from '../../crypto';
import {
  TERMINAL_LIST_KINDS,
  TERMINAL_LIST_NETWORK_CODES,
  encodeBlacklistRequest,
  parseBlacklistPage,
  parseContactlessReply,
  type IsoMessage,
  type TerminalListKind,
} from '../../protocol/iso8583';
import type { HostLine } from '../host-link';
import type { TerminalState } from '../state-store';
import { T } from '../texts';
import type { SessionCore } from './core';
import { ListDownloadFailed, ListDownloads } from './list-download';
import type { Online } from './online';
import type { Requests } from './requests';
import type { Ui } from './ui';

type Lists = NonNullable<TerminalState['terminalLists']>;

/** The digest a blacklisted card is kept as (what the check compares). */
export function cardDigest(pan: string): string {
  return createHash('sha256').update(pan, 'latin1').digest('hex').toUpperCase();
}

/** Is this card on the downloaded blacklist? */
export function isBlacklisted(state: TerminalState, pan: string): boolean {
  const list = state.terminalLists?.blacklist;
  if (!list?.length) return false;
  const d = cardDigest(pan);
  return list.some((e) => e.digest === d);
}

const KINDS = {
  blacklist: { download: 'blacklist-download', end: 'blacklist-download-end', label: T.blacklistDownloading },
  contactless: { download: 'contactless-parameter-download', end: 'contactless-parameter-download-end', label: T.contactlessDownloading },
} as const;

export class TerminalLists {
  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly requests: Requests,
    online: Online,
  ) {
    this.downloads = new ListDownloads(core, requests, online);
  }

  private readonly downloads: ListDownloads;

  /**
   * Lists to download now: those a reply asked for. Unlike the IC lists (without which no chip is
   * read) neither is needed to transact, and an acquirer may have none to give: the host's digit 7 /
   * 9 says when there is one the terminal does not hold, the sign-on reply included (§1.1).
   */
  wanted(): TerminalListKind[] {
    return TERMINAL_LIST_KINDS.filter((k) => this.core.needTerminalLists.has(k));
  }

  /** Downloads the wanted lists; true when none is wanted afterwards. */
  download(): Promise<boolean> {
    return this.downloads.run(
      (list) => list,
      () => this.wanted(),
      (line, list) => this.downloadList(line, list),
      3,
    );
  }

  private async downloadList(line: HostLine, list: TerminalListKind): Promise<void> {
    const { core, ui } = this;
    const codes = TERMINAL_LIST_NETWORK_CODES[list];
    const kinds = KINDS[list];
    ui.show(`${list}-download`, 'online', [ui.t(kinds.label), ui.t(T.downloading)]);
    let update: Partial<Lists>;
    if (list === 'blacklist') {
      const pans: string[] = [];
      for (let page = 0; ; page++) {
        if (page > 50) throw new ListDownloadFailed(`${codes.download}: more than 50 pages`);
        const reply = await this.downloads.send(
          line,
          this.requests.request(kinds.download).set(62, encodeBlacklistRequest(pans.length)),
          `download ${codes.download}`,
        );
        try {
          const p = parseBlacklistPage(reply.getBuffer(62));
          pans.push(...p.pans);
          if (!p.more) break;
        } catch (e) {
          throw new ListDownloadFailed(`download ${codes.download}: ${(e as Error).message}`);
        }
      }
      update = { blacklist: pans.map((pan) => ({ digest: cardDigest(pan), masked: maskPan(pan) })) };
    } else {
      const reply = await this.downloads.send(line, this.requests.request(kinds.download), `download ${codes.download}`);
      try {
        update = { contactless: parseContactlessReply(reply.getBuffer(62)) };
      } catch (e) {
        throw new ListDownloadFailed(`download ${codes.download}: ${(e as Error).message}`);
      }
    }
    // Cleared before the end, whose reply may ask for it again; back if the end fails.
    core.needTerminalLists.delete(list);
    // Defect list-request-never-cleared: the request stays, so the list is downloaded again and again.
    if (core.defect('list-request-never-cleared')) core.needTerminalLists.add(list);
    try {
      await this.downloads.send(line, this.requests.request(kinds.end), `end ${codes.end}`);
    } catch (e) {
      core.needTerminalLists.add(list);
      throw e;
    }
    core.state.terminalLists = { ...(core.state.terminalLists ?? {}), ...update };
    core.persist();
    core.host.log(
      list === 'blacklist'
        ? `card blacklist loaded: ${update.blacklist!.length} cards (${update.blacklist!.map((e) => e.masked).join(', ')})`
        : `contactless parameters loaded: ${JSON.stringify(update.contactless)}`,
    );
  }
}
