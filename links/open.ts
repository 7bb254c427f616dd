/** Link factory: one URL, the right link. */
import { EmuClientLink, listenEmu } from './emu';
import { LinkUrlError } from './errors';
import { ReconnectPolicy, openWithRetry } from './reconnect';
import { Rfc2217Link } from './rfc2217';
import { SerialLink, SerialLinkListener } from './serial';
import { TcpLink, TcpLinkListener } from './tcp';
import { ByteLink, LinkListener } from './types';
import { parseLinkUrl } from './url';

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
  const a = parseLinkUrl(url);
  switch (a.kind) {
    case 'serial': return new SerialLink(a.url, a.path, a.settings);
    case 'tcp': return new TcpLink(a.url, a.host, a.port, { connectTimeoutMs: options.connectTimeoutMs });
    case 'rfc2217': return new Rfc2217Link(a.url, a.host, a.port, a.settings, { connectTimeoutMs: options.connectTimeoutMs, negotiationTimeoutMs: options.negotiationTimeoutMs });
    case 'emu': return new EmuClientLink(a.url, a.name);
    case 'tcp-listen': throw new LinkUrlError(url, 'tcp-listen: is for the terminal side (listenLink); the harness connects with tcp://HOST:PORT');
  }
}

/**
 * Terminal side: listen for the harness on `tcp-listen:[HOST:]PORT`, `serial:/dev/...` or
 * `emu:NAME`. Resolves once listening (the serial device open, the port bound).
 */
export async function listenLink(url: string): Promise<LinkListener & { readonly boundPort?: number }> {
  const a = parseLinkUrl(url);
  switch (a.kind) {
    case 'tcp-listen': {
      const l = new TcpLinkListener(a.url, a.host, a.port);
      await l.listen();
      return l;
    }
    case 'serial': {
      const l = new SerialLinkListener(a.url, a.path, a.settings);
      await l.listen();
      return l;
    }
    case 'emu':
      return listenEmu(a.url, a.name);
    default:
      throw new LinkUrlError(url, `the terminal side listens on tcp-listen:PORT, serial:/dev/... or emu:NAME, not ${a.kind}`);
  }
}
