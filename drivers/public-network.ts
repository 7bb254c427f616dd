/**
 * Public-network access (银联"公网接入", cup8583.md §1.2) as a lab exercises it: the terminal is put on
 * the host's HTTPS front (TTP config host https://…, hostCa = the lab CA it must trust), and what the
 * host saw arrive there is judged — every request a POST over TLS with Content-Type
 * x-ISO-TPDU/x-auth carrying one length-prefixed frame, and nothing at all while the host presents
 * a certificate that does not chain to that CA. The judging is pure; putting the terminal on the
 * link is the one I/O function here.
 */
import type { HostControl, PublicNetworkArrival, ReferenceHost } from '../host';
import { PUBLIC_NETWORK_CONTENT_TYPE } from '../host';
import { makeLabPki, type LabPki } from './test-pki';
import type { TerminalDriver } from './terminal';
import { TerminalHostError } from './errors';

/** Words a terminal's final screen carries for a failed link (§7 has no code for it; common wordings). */
export const COMMUNICATION_FAILURE_WORDINGS: readonly string[] = ['通讯失败', '通讯错误', '通信失败', '连接失败', '网络', 'COMMUNICATION', 'CONNECT'];

/** Does a screen say the host could not be reached? */
export function screenShowsCommunicationFailure(lines: readonly string[]): boolean {
  const text = lines.join('\n').toUpperCase();
  return COMMUNICATION_FAILURE_WORDINGS.some((w) => text.includes(w.toUpperCase()));
}

let pki: LabPki | undefined;

/** The run's test PKI (one per process: RSA key generation takes a moment). */
export function labPki(): LabPki {
  pki ??= makeLabPki();
  return pki;
}

/** What to configure to put the terminal back on its own link afterwards. */
export interface PublicNetworkSwitch {
  url: string;
  restore: Record<string, unknown>;
}

/**
 * Starts the host's HTTPS front with a certificate the lab CA issued for the address the terminal
 * already reaches the host at, and points the terminal at it, trusting that CA.
 */
export async function putOnPublicNetwork(driver: TerminalDriver, host: HostControl): Promise<PublicNetworkSwitch> {
  if (!host.publicNetwork) throw new TerminalHostError('the host control has no public-network front (an in-process reference host is needed)', {});
  const before = await driver.readConfiguration();
  const current = before.host ?? '';
  const hostName = hostNameOf(current);
  const { port, path } = await host.publicNetwork.start(labPki().host);
  const url = `https://${hostName}:${port}${path}`;
  await driver.configure({ host: url, hostCa: labPki().ca.certPem });
  return { url, restore: { host: current, hostCa: before.hostCa ?? '' } };
}

/** The host name or address of a TTP config `host` (HOST:PORT or https://HOST:PORT/PATH); loopback when unknown. */
export function hostNameOf(configured: string): string {
  return /^https:\/\/(\[[^\]]+\]|[^:/]+)/.exec(configured)?.[1] ?? /^(\[[^\]]+\]|[^:]+):\d+$/.exec(configured)?.[1] ?? '127.0.0.1';
}

/**
 * The whole run over the public network (`certify --host-link https`): the host's own HTTPS front
 * (its baseline, kept between cases) with the lab CA's certificate, and the terminal pointed at it.
 */
export async function runOverPublicNetwork(driver: TerminalDriver, host: ReferenceHost): Promise<string> {
  const hostName = hostNameOf((await driver.readConfiguration()).host ?? '');
  const front = await host.startPublicNetwork(labPki().host, { baseline: true });
  const url = `https://${hostName}:${front.port}${front.path}`;
  await driver.configure({ host: url, hostCa: labPki().ca.certPem });
  return url;
}

/** Problems with the arrivals of a scenario on the public-network link (empty: all in the §1.2 wrapper over TLS). */
export function judgeWrapper(arrivals: readonly PublicNetworkArrival[]): string[] {
  if (arrivals.length === 0) return ['nothing reached the host over the public-network link (HTTPS)'];
  const problems: string[] = [];
  for (const a of arrivals) {
    const what = `${a.at} ${a.method ?? '?'} ${a.path ?? ''} (${a.remote})`;
    if (a.outcome === 'tls-failed') problems.push(`${a.at} a TLS handshake from ${a.remote} failed against the lab certificate: ${a.reason}`);
    else if (a.outcome === 'refused') problems.push(`${what}: refused with HTTP ${a.status}: ${a.reason}`);
    else {
      if (!/^TLSv1\.[23]$/.test(a.tlsProtocol ?? '')) problems.push(`${what}: TLS version ${a.tlsProtocol ?? 'unknown'} (1.2 or 1.3 expected)`);
      if (a.method !== 'POST') problems.push(`${what}: not a POST`);
      if ((a.contentType ?? '').split(';')[0].trim().toLowerCase() !== PUBLIC_NETWORK_CONTENT_TYPE.toLowerCase())
        problems.push(`${what}: Content-Type "${a.contentType ?? ''}", not ${PUBLIC_NETWORK_CONTENT_TYPE}`);
    }
  }
  return problems;
}

/** Requests (8583 frames) the host got while it presented a certificate the lab CA did not issue. */
export function servedUnderImpostor(arrivals: readonly PublicNetworkArrival[], impostorLabel: string): PublicNetworkArrival[] {
  return arrivals.filter((a) => a.certificate === impostorLabel && a.outcome !== 'tls-failed' && a.frameBytes !== undefined);
}

/** One line per arrival, for evidence and failure messages. */
export function describeArrivals(arrivals: readonly PublicNetworkArrival[]): string {
  return (
    arrivals
      .map((a) =>
        `${a.at} ${a.outcome} [${a.certificate}] ${a.tlsProtocol ?? ''} ${a.method ?? ''} ${a.path ?? ''} ${a.contentType ?? ''} ${a.status ?? ''} ${a.mti ?? ''} ${a.reason ?? ''}`
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .join('\n') || '(nothing reached the HTTPS port)'
  );
}
