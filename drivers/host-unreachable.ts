/**
 * An acquirer the terminal cannot reach: the terminal's host address (TTP 1.1 config `host`) pointed at a
 * port of the host's machine where nothing listens, so every connection is refused. What every
 * terminal must then do does not depend on its wording (TTP 1.1 §7.6: the final screen's outcome is
 * `comm-error`, "no usable host reply: no connection"; cup8583.md §3.8: nothing was sent, so nothing is
 * charged and nothing is reversed); the words it shows are judged loosely (public-network.ts) where a
 * terminal reports no outcome. Putting the terminal there is the one I/O function; the judging is pure.
 */
import { createServer } from 'node:net';
import type { FlowOutcome } from './flow-outcome';
import { hostNameOf, screenShowsCommunicationFailure } from './public-network';
import type { TerminalDriver } from './terminal';

/** A TCP port of `hostName` where nothing listens (taken from the system, then closed). */
async function closedPort(hostName: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, hostName.replace(/^\[|\]$/g, ''), () => resolve());
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Points the terminal at a closed port of its host's machine; returns the config that puts it back. */
export async function pointAtUnreachableHost(driver: TerminalDriver): Promise<{ address: string; restore: { host: string } }> {
  const current = (await driver.readConfiguration()).host ?? '';
  const hostName = hostNameOf(current);
  const address = `${hostName}:${await closedPort(hostName)}`;
  await driver.configure({ host: address });
  return { address, restore: { host: current } };
}

/**
 * Did the transaction end saying the host could not be reached? By the §7.6 outcome of its final screens
 * when the terminal reports one (TTP 1.1), else by the words of its screens. Returns the problem, or ''.
 */
export function commFailureProblem(outcomes: readonly FlowOutcome[] | undefined, screens: ReadonlyArray<readonly string[]>): string {
  if (outcomes) {
    if (!outcomes.length) return 'no final screen carrying an outcome (TTP 1.1 §7.6)';
    if (outcomes.some((o) => o.result === 'approved')) return `reported approved (outcomes ${outcomes.map((o) => o.result).join(', ')})`;
    return outcomes.some((o) => o.result === 'comm-error')
      ? ''
      : `outcome ${outcomes.map((o) => o.result).join(', ')}, not comm-error (TTP 1.1 §7.6)`;
  }
  return screens.some((lines) => screenShowsCommunicationFailure(lines)) ? '' : 'no screen said the host could not be reached';
}
