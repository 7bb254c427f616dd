/**
 * TtpEndpoint: one TTP endpoint of the harness — a byte link (links/) and the TTP channel on it,
 * one harness session. Split out of drivers/terminal.ts (issue 11: no file over 500 lines) because
 * opening a link and a channel is its own concern: TerminalDriver opens one for the terminal and,
 * for a card-simulator device, a second one.
 */
import { randomInt } from 'node:crypto';
import * as links from '../links';
import { TtpCardImage, TtpCardMethod, TtpChannel, TtpCommand, TtpCommandName, TtpLinkBrokenError, TtpResultByCommand } from '../protocol/ttp';

/** Largest TTP id / session value (TTP numbers are integers within ±2^31). */
const TTP_MAX_INT = 0x7fffffff;

/**
 * One TTP endpoint: a link and the channel on it, one harness session (TTP §3.2). A card-simulator
 * device is one too. Each open draws a new session nonce (sent in hello) and a random first request
 * id, so a terminal that outlives the connection (serial line, ser2net) never takes this
 * connection's frames for retransmissions of the previous one's, nor a stale reply for a new one.
 */
export class TtpEndpoint {
  private constructor(
    readonly link: links.ByteLink,
    readonly channel: TtpChannel,
    readonly session: number,
    private readonly detach: () => void,
  ) {}

  static async open(
    url: string,
    opts: {
      link?: links.ByteLink;
      wrapLink?: (l: links.ByteLink) => links.ByteLink;
      linkOptions?: links.OpenLinkOptions;
      ackTimeoutMs?: number;
      responseTimeoutMs?: number;
      name: string;
    },
  ): Promise<TtpEndpoint> {
    const raw = opts.link ?? (await links.openLink(url, opts.linkOptions));
    const link = opts.wrapLink ? opts.wrapLink(raw) : raw;
    if (!link.isOpen) await link.open();
    const channel = new TtpChannel({
      name: opts.name,
      firstId: randomInt(1, TTP_MAX_INT),
      write: (bytes) => link.write(bytes),
      scheduler: {
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        now: () => performance.timeOrigin + performance.now(),
      },
      ackTimeoutMs: opts.ackTimeoutMs,
      responseTimeoutMs: opts.responseTimeoutMs,
    });
    const onData = (b: Buffer) => channel.receive(b);
    const onClose = (err?: links.LinkDownError) => channel.linkDown(err ?? new links.LinkDownError(link.url, 'closed'));
    link.on('data', onData);
    link.on('close', onClose);
    return new TtpEndpoint(link, channel, randomInt(1, TTP_MAX_INT), () => {
      link.off('data', onData);
      link.off('close', onClose);
    });
  }

  async close(): Promise<void> {
    this.detach();
    this.channel.close();
    if (this.link.isOpen) await this.link.close();
  }

  /** A card-simulator device only needs the `card` command. */
  async card(action: 'present' | 'remove', method?: TtpCardMethod, card?: TtpCardImage): Promise<void> {
    await request(this.channel, action === 'present' ? { cmd: 'card', action, method, card } : { cmd: 'card', action });
  }
}

/** Sends a request; a link that went down surfaces as the link's own LinkDownError. */
export async function request<K extends TtpCommandName>(
  channel: TtpChannel,
  command: Extract<TtpCommand, { cmd: K }>,
  opts: { timeoutMs?: number } = {},
): Promise<TtpResultByCommand[K]> {
  try {
    return await channel.request(command, opts);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof TtpLinkBrokenError && cause instanceof links.LinkError) throw cause;
    throw err;
  }
}
