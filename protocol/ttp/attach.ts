/**
 * Bind a TtpChannel to a byte link. Structural types only, so protocol/ stays free of I/O: the
 * caller passes a links/ ByteLink (or anything shaped like one) and a scheduler.
 */
import { TtpChannel, TtpChannelOptions } from './channel';

export interface TtpByteLinkLike {
  readonly url?: string;
  write(bytes: Uint8Array): Promise<void>;
  on(event: 'data', listener: (bytes: Buffer) => void): unknown;
  on(event: 'close', listener: (err?: Error) => void): unknown;
  off?(event: 'data', listener: (bytes: Buffer) => void): unknown;
  off?(event: 'close', listener: (err?: Error) => void): unknown;
}

/**
 * A channel whose frames go to `link` and whose input comes from it. When the link closes with an
 * error (a LinkDownError), pending work fails with TtpLinkBrokenError whose `cause` is that error;
 * a deliberate close() of the link closes the channel. `detach()` unhooks the listeners.
 */
export function attachTtpChannel(link: TtpByteLinkLike, options: Omit<TtpChannelOptions, 'write'>): TtpChannel & { detach(): void } {
  const channel = new TtpChannel({ name: link.url, ...options, write: (bytes) => link.write(bytes) });
  const onData = (b: Buffer): void => channel.receive(b);
  const onClose = (err?: Error): void => {
    if (err) channel.linkDown(err);
    else channel.close();
  };
  link.on('data', onData);
  link.on('close', onClose);
  return Object.assign(channel, {
    detach(): void {
      link.off?.('data', onData);
      link.off?.('close', onClose);
    },
  });
}
