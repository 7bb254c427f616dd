/**
 * The emulator's public-network link (emulator/https-link.ts, cup8583.md §1.2) against the real
 * reference host's HTTPS front over real TLS: a frame goes out as a POST of x-ISO-TPDU/x-auth and its
 * reply comes back; the host certificate must chain to the CA given, else nothing is sent (and with
 * verification off, as the defect tls-verification-off does, the impostor gets the frame); the
 * https:// host URL and the TTP config member hostCa are checked.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import type * as net from 'node:net';
import { formatField60, IsoMessage, type CupFrame } from '../../protocol/iso8583';
import { loadHostConfig, ReferenceHost } from '../../host';
import { makeLabPki, type LabPki } from '../../drivers/test-pki';
import { formatHostUrl, parseHostUrl } from '../../emulator/host-link';
import { HttpsHostSession } from '../../emulator/https-link';
import { HostLinkError, EmulatorConfigError } from '../../emulator/errors';
import { applyConfigSet } from '../../emulator/ttp/config';

function signOn(stan: string): CupFrame {
  const m = new IsoMessage('0800')
    .set(11, stan)
    .set(41, '10000001')
    .set(42, '898310054110001')
    .set(60, formatField60({ transactionType: '00', batchNumber: '000001', networkCode: '003' }))
    .set(63, '01 ');
  return {
    tpdu: '6000030000',
    header: { applicationClass: '60', specVersion: '31', terminalStatus: '0', processingRequirement: '0', softwareVersion: '310000' },
    message: m,
  };
}

describe('emulator public-network link (HTTPS, §1.2)', () => {
  let host: ReferenceHost;
  let pki: LabPki;
  let url: string;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    return () => sockets.delete(s);
  };

  before(async () => {
    pki = makeLabPki();
    host = await ReferenceHost.start({ config: loadHostConfig() });
    const front = await host.startPublicNetwork(pki.host);
    url = `https://127.0.0.1:${front.port}${front.path}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await host.stop();
  });

  test('https:// URLs parse to an address with its path and back; anything else is a typed error', () => {
    expect(parseHostUrl('https://127.0.0.1:5443/unp/webtrans/WPOS')).to.deep.equal({
      host: '127.0.0.1',
      port: 5443,
      https: { path: '/unp/webtrans/WPOS' },
    });
    expect(formatHostUrl(parseHostUrl('https://[::1]:5443/x'))).to.equal('https://[::1]:5443/x');
    expect(parseHostUrl('127.0.0.1:5000')).to.deep.equal({ host: '127.0.0.1', port: 5000 });
    expect(() => parseHostUrl('http://127.0.0.1:80/x')).to.throw(EmulatorConfigError);
    expect(() => parseHostUrl('https://127.0.0.1:70000/x')).to.throw(EmulatorConfigError, /outside/);
  });

  test('a frame goes out as a POST of x-ISO-TPDU/x-auth and the reply frame comes back', async () => {
    const since = new Date().toISOString();
    const session = await HttpsHostSession.connect(parseHostUrl(url), { caPem: pki.ca.certPem, verify: true }, 2000, track);
    const { reply } = await session.exchange(signOn('000201'), 3000);
    session.close();
    expect(reply.message.mti).to.equal('0810');
    expect(reply.message.getString(39)).to.equal('00');
    const [a] = host.control.publicNetwork!.arrivals(since);
    expect(a).to.include({ outcome: 'served', method: 'POST', contentType: 'x-ISO-TPDU/x-auth', mti: '0800' });
  });

  test('a host whose certificate does not chain to the CA given gets nothing; with verification off it gets the frame', async () => {
    await host.control.publicNetwork!.start(pki.impostor);
    try {
      const since = new Date().toISOString();
      const err = await HttpsHostSession.connect(parseHostUrl(url), { caPem: pki.ca.certPem, verify: true }, 2000, track).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(HostLinkError);
      expect((err as HostLinkError).kind).to.equal('connect');
      expect((err as HostLinkError).message).to.match(/does not trust/);
      await new Promise((r) => setTimeout(r, 50));
      expect(host.control.publicNetwork!.arrivals(since).map((a) => a.outcome)).to.deep.equal(['tls-failed']);
      // tls-verification-off: the impostor is taken and the frame handed over.
      const careless = await HttpsHostSession.connect(parseHostUrl(url), { caPem: pki.ca.certPem, verify: false }, 2000, track);
      await careless.exchange(signOn('000202'), 3000);
      careless.close();
      expect(host.control.publicNetwork!.arrivals(since).filter((a) => a.outcome === 'served')).to.have.length(1);
    } finally {
      await host.control.publicNetwork!.start(pki.host);
    }
  });

  test('no CA configured: refused before connecting, with what to configure', async () => {
    const err = await HttpsHostSession.connect(parseHostUrl(url), { caPem: undefined, verify: true }, 2000, track).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).message).to.match(/hostCa/);
  });

  test('a wrong content type is refused by the host with 415, a bad-reply for the terminal', async () => {
    const session = await HttpsHostSession.connect(
      parseHostUrl(url),
      { caPem: pki.ca.certPem, verify: true, contentType: 'application/octet-stream' },
      2000,
      track,
    );
    const err = await session.exchange(signOn('000203'), 3000).then(
      () => undefined,
      (e: unknown) => e,
    );
    session.close();
    expect((err as HostLinkError).kind).to.equal('bad-reply');
    expect((err as Error).message).to.match(/HTTP 415/);
  });

  test('TTP config: host https://… and hostCa are stored; a hostCa that is not PEM is refused and changes nothing', () => {
    const s: { config: Record<string, unknown>; ped: Record<string, unknown> } = { config: {}, ped: {} };
    const mutate = (change: (x: never) => void) => change(s as never);
    const timeouts = { hostResponseMs: 1, hostConnectMs: 1, cardMs: 1, pinMs: 1, idleMs: 1 } as never;
    expect(() => applyConfigSet({ host: url, hostCa: 'not a certificate' } as never, timeouts, mutate as never)).to.throw(EmulatorConfigError, /PEM/);
    expect(s.config.hostUrl).to.equal(undefined);
    applyConfigSet({ host: url, hostCa: pki.ca.certPem } as never, timeouts, mutate as never);
    expect(s.config.hostUrl).to.equal(url);
    expect(s.config.hostCaPem).to.equal(pki.ca.certPem.trim());
    applyConfigSet({ host: '127.0.0.1:5000', hostCa: '' } as never, timeouts, mutate as never);
    expect(s.config.hostUrl).to.equal('tcp://127.0.0.1:5000');
    expect(s.config.hostCaPem).to.equal(undefined);
  });
});
