/** Shared by the links tests: a trivial TTP responder and skip reasons for missing binaries. */
import { ByteLink, findExecutable, systemScheduler } from '../../links';
import { TtpChannel, TtpRequest, attachTtpChannel } from '../../protocol/ttp';

export const SOCAT_SKIP: string | false = findExecutable('socat')
  ? false
  : 'socat is not installed here (apt-get install socat; .ci/run installs it)';
export const SER2NET_SKIP: string | false =
  SOCAT_SKIP || (findExecutable('ser2net') ? false : 'ser2net is not installed here (apt-get install ser2net; .ci/run installs it)');

/** Short timeouts: tests must be fast, and a lost frame must show up quickly. */
export const FAST = { ackTimeoutMs: 60, frameTimeoutMs: 30, responseTimeoutMs: 3000 };

export function harnessChannel(link: ByteLink, opts: Partial<typeof FAST> = {}): TtpChannel & { detach(): void } {
  return attachTtpChannel(link, { scheduler: systemScheduler(), ...FAST, ...opts });
}

/**
 * Terminal side: answers every request with {echo: request}, and emits a display event before
 * answering `key`. Counts deliveries per id so tests can prove exactly-once.
 */
export function echoResponder(link: ByteLink, opts: Partial<typeof FAST> & { silent?: boolean } = {}) {
  const { silent: _silent, ...timeouts } = opts;
  const channel = attachTtpChannel(link, { scheduler: systemScheduler(), ...FAST, ...timeouts, name: 'echo-terminal' });
  const deliveries = new Map<number, number>();
  const requests: TtpRequest[] = [];
  channel.on('request', (r) => {
    deliveries.set(r.id, (deliveries.get(r.id) ?? 0) + 1);
    requests.push(r);
    if (opts.silent) return; // a terminal that takes commands and never answers
    if (r.cmd === 'key') void channel.emitEvent({ evt: 'display', lines: r.keys.map(String) });
    void channel.reply(r, { echo: r });
  });
  return { channel, deliveries, requests };
}
