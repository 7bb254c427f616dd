/**
 * startEmulator: an emulated terminal serving TTP on a link named by URL, powered on.
 *   emu:          an in-process pair; the harness end is returned as `harnessLink`
 *   emu:NAME      in-process endpoint a harness opens with openLink('emu:NAME')
 *   tcp-listen:PORT   a TCP port (0 = ephemeral, see boundPort); each new connection replaces the last
 *   serial:/dev/pts/N a serial device (one end of a socat PTY pair, a USB-serial adapter ...)
 */
import { ByteLink, LinkListener, createEmuLinkPair, listenLink } from '../links';
import { EmulatorConfigError } from './errors';
import { EmulatedTerminal, EmulatorOptions } from './terminal';

export interface StartEmulatorOptions extends EmulatorOptions {
  link: string;
}

export interface RunningEmulator {
  readonly terminal: EmulatedTerminal;
  readonly url: string;
  /** tcp-listen:0 → the port actually bound. */
  readonly boundPort?: number;
  /** emu: (no name) → the harness end of the in-process pair. */
  readonly harnessLink?: ByteLink;
  /** Power off, stop listening, close the link. */
  close(): Promise<void>;
}

export async function startEmulator(options: StartEmulatorOptions): Promise<RunningEmulator> {
  const { link: url, ...terminalOptions } = options;
  if (typeof url !== 'string' || url.length === 0) throw new EmulatorConfigError('link', 'give emu:, emu:NAME, tcp-listen:PORT or serial:/dev/...');
  const terminal = new EmulatedTerminal(terminalOptions);
  const links = new Set<ByteLink>();
  let listener: (LinkListener & { readonly boundPort?: number }) | undefined;
  let harnessLink: ByteLink | undefined;
  if (url === 'emu:') {
    const [harness, terminalSide] = createEmuLinkPair(url);
    harnessLink = harness;
    links.add(terminalSide);
    terminal.attach(terminalSide);
  } else {
    listener = await listenLink(url);
    listener.on('connection', (link) => {
      links.add(link);
      link.on('close', () => links.delete(link));
      terminal.attach(link);
    });
    listener.on('error', (err) => terminalOptions.log?.(`link ${url}: ${err.message}`));
  }
  try {
    await terminal.powerOn();
  } catch (e) {
    await listener?.close().catch(() => undefined);
    for (const l of links) await l.close().catch(() => undefined);
    throw e;
  }
  return {
    terminal,
    url,
    ...(listener?.boundPort !== undefined ? { boundPort: listener.boundPort } : {}),
    ...(harnessLink ? { harnessLink } : {}),
    async close() {
      await terminal.shutdown();
      await listener?.close().catch(() => undefined);
      for (const l of links) await l.close().catch(() => undefined);
      if (harnessLink) await harnessLink.close().catch(() => undefined);
    },
  };
}
