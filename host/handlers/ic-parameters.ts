/**
 * IC parameter (AID) and public-key (CAPK) download, cup8583.md §3.5: the query (0820 382 / 372)
 * answered with a page of the list, the download of one item (0800 380 / 370) answered with its
 * parameter TLVs, the end (0800 381 / 371). The lists are the configuration's (scenarios/
 * ic-parameters.yaml); a terminal counts as holding a list's current version once it has fetched
 * every item since its query and sent the end. Until then replies carry header digit 4 / 5
 * (HostContext.replyRequirement). The messages share MTIs 0800 / 0820 with the rest of network
 * management, so network-management.ts hands them here by their catalogue kind.
 */
import {
  IC_NETWORK_CODES,
  capkNodes,
  encodeItemReply,
  encodeListPage,
  parseItemRequest,
  parseListQuery,
  type IcListEntry,
  type IcListKind,
  type IsoMessage,
  type TransactionKind,
} from '../../protocol/iso8583';
import type { TlvNode } from '../../protocol/tlv';
import type { IcParameterLists } from '../config-types';
import { Decline, type HostContext, type Request, type TerminalRuntime } from '../context';
import { prepared, type PreparedRequest } from './types';

type Step = 'query' | 'download' | 'end';

/** Catalogue kind → which list and which step of its download. */
export const IC_DOWNLOAD_KINDS: ReadonlyMap<TransactionKind, { list: IcListKind; step: Step }> = new Map([
  ['capk-query', { list: 'capk', step: 'query' }],
  ['capk-download', { list: 'capk', step: 'download' }],
  ['capk-download-end', { list: 'capk', step: 'end' }],
  ['ic-parameter-query', { list: 'aid', step: 'query' }],
  ['ic-parameter-download', { list: 'aid', step: 'download' }],
  ['ic-parameter-download-end', { list: 'aid', step: 'end' }],
] as const);

/** The list as its query pages name the entries (config order). */
export function icListEntries(lists: IcParameterLists, list: IcListKind): IcListEntry[] {
  return list === 'aid'
    ? lists.aids.map((a) => ({ kind: 'aid' as const, aid: a.aid }))
    : lists.capks.map((k) => ({ kind: 'capk' as const, rid: k.rid, index: k.index, expiry: k.expiry }));
}

/** Current version of a list ('' when the list is empty: nothing to download). */
export function icListVersion(lists: IcParameterLists, list: IcListKind): string {
  return list === 'aid' ? lists.aidVersion : lists.capkVersion;
}

const keyOf = (e: IcListEntry) => (e.kind === 'aid' ? e.aid : `${e.rid}/${e.index}`);

function itemParameters(lists: IcParameterLists, entry: IcListEntry): TlvNode[] | undefined {
  if (entry.kind === 'aid') {
    const a = lists.aids.find((x) => x.aid === entry.aid);
    if (!a) return undefined;
    return [
      { tag: '9F06', value: Buffer.from(a.aid, 'hex') },
      ...Object.entries(a.params).map(([tag, v]) => ({ tag, value: Buffer.from(v, 'hex') })),
    ];
  }
  const k = lists.capks.find((x) => x.rid === entry.rid && x.index === entry.index);
  return k ? capkNodes(k) : undefined;
}

/** One IC download message of a terminal: the reply, and what it records of the terminal's progress. */
export function prepareIcDownload(kind: TransactionKind, req: Request, ctx: HostContext, rt: TerminalRuntime, out: IsoMessage): PreparedRequest {
  const what = IC_DOWNLOAD_KINDS.get(kind);
  if (!what) throw new Error(`${kind} is not an IC download message`);
  const lists = ctx.config.icParameters;
  const id = rt.config.terminalId;
  const { list, step } = what;
  const name = list === 'aid' ? 'IC parameter (AID)' : 'CAPK';
  const code = IC_NETWORK_CODES[list][step];
  if (!rt.row.signed_on) throw new Decline('Z1', `${name} download (60.3 ${code}) from terminal ${id}, which is not signed on`);
  const entries = icListEntries(lists, list);
  const version = icListVersion(lists, list);
  const badF62 = (err: unknown): never => {
    throw new Decline('30', (err as Error).message);
  };
  switch (step) {
    case 'query': {
      let received = 0;
      try {
        received = parseListQuery(req.msg.getBuffer(62));
      } catch (err) {
        badF62(err);
      }
      if (received > entries.length) throw new Decline('30', `${name} query says ${received} entries received; the list has ${entries.length}`);
      return prepared(out, () => {
        // A query from 0 starts a new download of the list: what counts is what is fetched from here on.
        if (received === 0) ctx.icProgress(id, list, { version, fetched: new Set() });
        req.note = `${name} list: entries ${received + 1}.. of ${entries.length} (version ${version || 'empty'})`;
        return out.set(62, encodeListPage(entries, received)).set(39, '00');
      });
    }
    case 'download': {
      let entry: IcListEntry | undefined;
      try {
        entry = parseItemRequest(list, req.msg.getBuffer(62));
      } catch (err) {
        badF62(err);
      }
      const params = itemParameters(lists, entry!);
      if (!params) throw new Decline('25', `${name} ${keyOf(entry!)} is not in the host's list`);
      return prepared(out, () => {
        ctx.icProgress(id, list)?.fetched.add(keyOf(entry!));
        req.note = `${name} ${keyOf(entry!)}`;
        return out.set(62, encodeItemReply(params)).set(39, '00');
      });
    }
    case 'end':
      return prepared(out, () => {
        const progress = ctx.icProgress(id, list);
        const missing = entries.filter((e) => !progress?.fetched.has(keyOf(e))).map(keyOf);
        if (progress && progress.version === version && missing.length === 0) {
          ctx.icLoaded(id, list, version);
          req.note = `${name} download complete: ${entries.length} entries, version ${version || 'empty'}`;
        } else {
          req.note = `${name} download ended without ${progress ? `${missing.join(', ')} (${missing.length} of ${entries.length} not fetched)` : 'a query'}: the terminal is asked again`;
        }
        return out.set(39, '00');
      });
  }
}
