/**
 * The card blacklist download (黑名单下载 0800 60.3 390, end 391) and the contactless QuickPass
 * parameter download (非接业务参数 0800 394, end 395), cup8583.md §2.4 / §3.1, built like the §3.5
 * IC downloads (ic-parameters.ts): the lists are HostContext.terminalLists (scenarios/
 * terminal-lists.yaml, or what control.setContactlessParameters put there); a terminal holds a
 * list's current version once it fetched all of it since a request from 0 and sent the end. Until
 * then replies carry header digit 7 / 9 (HostContext.replyRequirement). F62 layouts:
 * protocol/iso8583/terminal-lists.ts. Card numbers appear in notes masked only.
 */
import { maskPan } from '../../crypto';
import {
  TERMINAL_LIST_KINDS,
  TERMINAL_LIST_NETWORK_CODES,
  TRANSACTION_CATALOGUE,
  encodeBlacklistPage,
  encodeContactlessReply,
  parseBlacklistPage,
  parseBlacklistRequest,
  type IsoMessage,
  type TerminalListKind,
  type TransactionKind,
} from '../../protocol/iso8583';
import { Decline, type HostContext, type Request, type TerminalRuntime } from '../context';
import { prepared, type PreparedRequest } from './types';

/** Catalogue kind → which download and which step (the catalogue's listDownload, for the two lists this handler serves). */
export const TERMINAL_LIST_DOWNLOAD_KINDS: ReadonlyMap<TransactionKind, { list: TerminalListKind; step: 'download' | 'end' }> = new Map(
  TRANSACTION_CATALOGUE.flatMap((s) =>
    s.listDownload && (TERMINAL_LIST_KINDS as readonly string[]).includes(s.listDownload.list) && s.listDownload.step !== 'query'
      ? [[s.kind, { list: s.listDownload.list as TerminalListKind, step: s.listDownload.step }] as const]
      : [],
  ),
);

const NAMES: Readonly<Record<TerminalListKind, string>> = { blacklist: 'card blacklist', contactless: 'contactless parameter' };

/** One blacklist / contactless download message of a terminal: the reply, and the terminal's progress. */
export function prepareTerminalListDownload(
  kind: TransactionKind,
  req: Request,
  ctx: HostContext,
  rt: TerminalRuntime,
  out: IsoMessage,
): PreparedRequest {
  const what = TERMINAL_LIST_DOWNLOAD_KINDS.get(kind);
  if (!what) throw new Error(`${kind} is not a blacklist or contactless parameter download message`);
  const { list, step } = what;
  const id = rt.config.terminalId;
  const name = NAMES[list];
  const code = TERMINAL_LIST_NETWORK_CODES[list][step];
  if (!rt.row.signed_on) throw new Decline('Z1', `${name} download (60.3 ${code}) from terminal ${id}, which is not signed on`);
  const lists = ctx.terminalLists;
  const version = list === 'blacklist' ? lists.blacklistVersion : lists.contactlessVersion;

  if (step === 'end')
    return prepared(out, () => {
      const progress = ctx.icProgress(id, list);
      const complete = list === 'blacklist' ? lists.blacklist.every((e) => progress?.fetched.has(e.pan)) : progress?.fetched.has('parameters');
      if (progress && progress.version === version && complete) {
        ctx.icLoaded(id, list, version);
        req.note = `${name} download complete: version ${version || 'empty'}${list === 'blacklist' ? `, ${lists.blacklist.length} cards` : ''}`;
      } else {
        req.note = `${name} download ended ${progress ? 'incomplete' : 'without a download'}: the terminal is asked again`;
      }
      return out.set(39, '00');
    });

  if (list === 'contactless') {
    const params = lists.contactless;
    if (!params) throw new Decline('25', `no contactless parameters are configured for download (scenarios/terminal-lists.yaml)`);
    return prepared(out, () => {
      ctx.icProgress(id, list, { version, fetched: new Set(['parameters']) });
      req.note =
        `contactless parameters version ${version}: no-PIN ${params.noPinEnabled ? `up to ${params.noPinLimitFen} fen` : 'off'}, ` +
        `no-signature ${params.noSignatureEnabled ? `up to ${params.noSignatureLimitFen} fen` : 'off'}`;
      return out.set(62, encodeContactlessReply(params)).set(39, '00');
    });
  }

  let received = 0;
  try {
    received = parseBlacklistRequest(req.msg.getBuffer(62));
  } catch (err) {
    throw new Decline('30', (err as Error).message);
  }
  const pans = lists.blacklist.map((e) => e.pan);
  if (received > pans.length) throw new Decline('30', `${name} request says ${received} entries received; the list has ${pans.length}`);
  return prepared(out, () => {
    // A request from 0 starts a new download: what counts is what is sent from here on.
    if (received === 0) ctx.icProgress(id, list, { version, fetched: new Set() });
    const page = encodeBlacklistPage(pans, received);
    const sent = parseBlacklistPage(page).pans;
    const progress = ctx.icProgress(id, list);
    for (const pan of sent) progress?.fetched.add(pan);
    req.note = `${name}: entries ${received + 1}..${received + sent.length} of ${pans.length} (${sent.map(maskPan).join(', ') || 'none'}; version ${version || 'empty'})`;
    return out.set(62, page).set(39, '00');
  });
}
