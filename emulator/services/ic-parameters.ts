/**
 * IC parameter (AID) and public-key (CAPK) download, cup8583.md §3.5, as a conformant terminal does
 * it: after sign-on when a list is not loaded, and whenever a reply asks (header digit 4 / 5, §1.1).
 * Per list: query (0820 372 / 382) until the control byte says the last page, download every entry
 * (0800 370 / 380; a CAPK's checksum is checked), end (0800 371 / 381), all on one connection.
 * What a superseded list is good for follows the profile (supersededIcLists): 'not-used' drops a list
 * asked for first and stores the new one only once complete, so a chip read never runs on a
 * superseded or half-loaded list (services/card-reader.ts refuses it: IC卡参数未下载);
 * 'used-until-replaced' keeps the previous list until the new one is complete, and the card reader
 * tries the download again before each chip read meanwhile.
 */
import {
  IC_LIST_KINDS,
  IC_NETWORK_CODES,
  capkFromNodes,
  encodeItemRequest,
  encodeListQuery,
  parseItemReply,
  parseListPage,
  type IcListEntry,
  type IcListKind,
  type IsoMessage,
} from '../../protocol/iso8583';
import { encodeTlv, findTag } from '../../protocol/tlv';
import type { HostLine } from '../host-link';
import type { TerminalState } from '../state-store';
import { T } from '../texts';
import type { SessionCore } from './core';
import { ListDownloadFailed, ListDownloads } from './list-download';
import type { Online } from './online';
import type { Requests } from './requests';
import type { Ui } from './ui';

export type IcLists = NonNullable<TerminalState['icParameters']>;

/** Whether the profile keeps using lists a reply superseded until their replacement is complete. */
export function usesSupersededIcLists(core: SessionCore): boolean {
  return core.host.profile.profile.supersededIcLists === 'used-until-replaced';
}

/** Both lists complete and, unless the profile uses superseded lists, none asked for again by a reply: what a chip read needs. */
export function icListsReady(core: SessionCore): boolean {
  const lists = core.state.icParameters;
  return !!lists?.aids && !!lists.capks && (core.needIcLists.size === 0 || usesSupersededIcLists(core));
}

export class IcParameters {
  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly requests: Requests,
    online: Online,
  ) {
    this.downloads = new ListDownloads(core, requests, online);
  }

  private readonly downloads: ListDownloads;

  ready(): boolean {
    return icListsReady(this.core);
  }

  /** Lists to download now: those asked for by a reply and those not loaded. */
  wanted(): IcListKind[] {
    const lists = this.core.state.icParameters;
    return IC_LIST_KINDS.filter((k) => this.core.needIcLists.has(k) || !(k === 'aid' ? lists?.aids : lists?.capks));
  }

  /**
   * Downloads the wanted lists (public keys first, as digit 4 comes before 5); an end reply asking
   * for the other list adds it. True when every list is loaded afterwards.
   */
  download(): Promise<boolean> {
    return this.downloads.run(
      (list) => `IC ${list}`,
      () => this.wanted(),
      (line, list) => this.downloadList(line, list),
      4,
    );
  }

  private async downloadList(line: HostLine, list: IcListKind): Promise<void> {
    const { core, ui } = this;
    const codes = IC_NETWORK_CODES[list];
    const kinds =
      list === 'aid'
        ? ({ query: 'ic-parameter-query', download: 'ic-parameter-download', end: 'ic-parameter-download-end' } as const)
        : ({ query: 'capk-query', download: 'capk-download', end: 'capk-download-end' } as const);
    ui.show(`${list}-download`, 'online', [ui.t(list === 'aid' ? T.icDownloading : T.capkDownloading), ui.t(T.downloading)]);
    const keepsSuperseded = usesSupersededIcLists(core);
    if (!keepsSuperseded) {
      // The superseded list goes first: it is not used again, whatever happens to this download.
      const lists: IcLists = { ...(core.state.icParameters ?? {}) };
      delete lists[list === 'aid' ? 'aids' : 'capks'];
      core.state.icParameters = lists;
      core.needIcLists.delete(list);
      core.persist();
    }

    const entries: IcListEntry[] = [];
    for (let page = 0; ; page++) {
      if (page > 20) throw new ListDownloadFailed(`${codes.query}: more than 20 pages`);
      const reply = await this.downloads.send(
        line,
        this.requests.request(kinds.query).set(62, encodeListQuery(entries.length)),
        `query ${codes.query}`,
      );
      try {
        const p = parseListPage(list, reply.getBuffer(62));
        entries.push(...p.entries);
        if (!p.more) break;
      } catch (e) {
        throw new ListDownloadFailed(`query ${codes.query}: ${(e as Error).message}`);
      }
    }
    const aids: { aid: string; tlv: string }[] = [];
    const capks: { rid: string; index: string; expiry: string; checksum: string }[] = [];
    for (const entry of entries) {
      const reply = await this.downloads.send(
        line,
        this.requests.request(kinds.download).set(62, encodeItemRequest(entry)),
        `download ${codes.download}`,
      );
      try {
        const nodes = parseItemReply(reply.getBuffer(62));
        if (entry.kind === 'aid') {
          const aid = findTag(nodes, '9F06')?.value.toString('hex').toUpperCase();
          if (aid !== entry.aid) throw new Error(`asked for AID ${entry.aid}, got ${aid ?? 'no 9F06'}`);
          aids.push({ aid, tlv: encodeTlv(nodes).toString('hex').toUpperCase() });
        } else {
          const k = capkFromNodes(nodes);
          if (k.rid !== entry.rid || k.index !== entry.index) throw new Error(`asked for CAPK ${entry.rid}/${entry.index}, got ${k.rid}/${k.index}`);
          capks.push({ rid: k.rid, index: k.index, expiry: k.expiry, checksum: k.checksum });
        }
      } catch (e) {
        throw new ListDownloadFailed(`download ${codes.download}: ${(e as Error).message}`);
      }
    }
    // Kept superseded: the list stays asked for until its replacement is complete (cleared before the
    // end, whose reply may ask for it again; back if the end fails).
    if (keepsSuperseded) core.needIcLists.delete(list);
    try {
      await this.downloads.send(line, this.requests.request(kinds.end), `end ${codes.end}`);
    } catch (e) {
      if (keepsSuperseded) core.needIcLists.add(list);
      throw e;
    }
    core.state.icParameters = { ...(core.state.icParameters ?? {}), ...(list === 'aid' ? { aids } : { capks }) };
    core.persist();
  }
}
