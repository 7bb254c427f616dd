/**
 * Link factory: one URL, the right link, found through the registry (links/registry.ts): the
 * harness opens the link a URL names, the terminal side listens on one.
 */
import { LinkUrlError } from './errors';
import { ReconnectPolicy, openWithRetry } from './reconnect';
import { type ListeningLink, linkKindOf, linkUrlForms, parseLinkUrl } from './registry';
import { ByteLink } from './types';

export interface OpenLinkOptions {
  /** Retry transient open failures; default: no retry. */
  reconnect?: ReconnectPolicy;
  connectTimeoutMs?: number;
  /** rfc2217: wait this long for the settings to be confirmed. */
  negotiationTimeoutMs?: number;
  /** Only create, do not open (the caller opens later). */
  open?: boolean;
}

/** Create the link a URL names (harness side). Opened unless options.open === false. */
export async function openLink(url: string, options: OpenLinkOptions = {}): Promise<ByteLink> {
  const link = createLink(url, options);
  if (options.open !== false) {
    if (options.reconnect) await openWithRetry(link, options.reconnect);
    else await link.open();
  }
  return link;
}

/** Create without opening. */
export function createLink(url: string, options: OpenLinkOptions = {}): ByteLink {
  const address = parseLinkUrl(url);
  const kind = linkKindOf(address.url)!;
  if (!kind.open) {
    throw new LinkUrlError(
      url,
      `${kind.schemes[0]}: is for the terminal side (listenLink); the harness connects with one of: ${linkUrlForms('open').join('; ')}`,
    );
  }
  return kind.open(address, { connectTimeoutMs: options.connectTimeoutMs, negotiationTimeoutMs: options.negotiationTimeoutMs });
}

/**
 * Terminal side: listen for the harness on a URL whose kind listens (tcp-listen:[HOST:]PORT,
 * serial:/dev/..., emu:NAME). Resolves once listening (the serial device open, the port bound).
 */
export async function listenLink(url: string): Promise<ListeningLink> {
  const address = parseLinkUrl(url);
  const kind = linkKindOf(address.url)!;
  if (!kind.listen) {
    throw new LinkUrlError(url, `the terminal side listens on one of: ${linkUrlForms('listen').join('; ')}; not ${kind.name}`);
  }
  return kind.listen(address);
}
