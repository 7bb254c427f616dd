/**
 * The host's public-network front (HTTPS, cup8583.md §1.2) over real TLS sockets: a sign-on POSTed in
 * the x-ISO-TPDU/x-auth wrapper is answered in it and journalled as any other; whatever is not the
 * wrapper (another method, path or content type, a body that is not one frame, bytes that are not
 * HTTP, a client that does not speak TLS) gets an HTTP error or a dropped handshake and a warning,
 * and the host goes on serving; an impostor certificate is refused by a client that verifies.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { decodeFrame, encodeFrame, formatField60, IsoMessage } from '../../protocol/iso8583';
import { PUBLIC_NETWORK_CONTENT_TYPE, type HostLogger, type ReferenceHost } from '../../host';
import { makeLabPki, type LabPki } from '../../drivers/test-pki';
import { identity, startHost } from './helpers';
import { REQUEST_HEADER, REQUEST_TPDU } from './terminal-client';

const TERMINAL = '10000001';

function signOnFrame(stan: string): Buffer {
  const id = identity(TERMINAL);
  const m = new IsoMessage('0800')
    .set(11, stan)
    .set(41, id.terminalId)
    .set(42, id.merchantId)
    .set(60, formatField60({ transactionType: '00', batchNumber: '000001', networkCode: '003' }))
    .set(63, '01 ');
  return encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: m });
}

interface Answer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

function post(port: number, ca: string, body: Buffer | string, o: { method?: string; path?: string; contentType?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        ca,
        method: o.method ?? 'POST',
        path: o.path ?? '/unp/webtrans/WPOS',
        agent: false,
        headers: { 'Content-Type': o.contentType ?? PUBLIC_NETWORK_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(o.method === 'GET' ? undefined : body);
  });
}

/** Bytes over a verified TLS connection, and what comes back before the host closes it. */
function rawTls(port: number, ca: string, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca }, () => s.write(bytes));
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('close', () => resolve(Buffer.concat(got).toString('latin1')));
    s.on('error', reject);
  });
}

describe('host public-network front (HTTPS, §1.2)', () => {
  let host: ReferenceHost;
  // Where the host's arrivals stand now: arrivals(since) takes an ISO time, and an arrival of the test
  // before can carry the very millisecond the mark was taken in; counting what is there keeps it out.
  const arrivalMark = (): { at: string; seen: number } => {
    const at = new Date().toISOString();
    return { at, seen: host.control.publicNetwork!.arrivals(at).length };
  };
  const arrivalsAfter = (mark: { at: string; seen: number }) => host.control.publicNetwork!.arrivals(mark.at).slice(mark.seen);
  let pki: LabPki;
  let port: number;
  const warnings: string[] = [];
  const logger: HostLogger = { info() {}, warn: (l) => warnings.push(l), error: (l) => warnings.push(l) };

  before(async () => {
    pki = makeLabPki();
    host = await startHost({ logger });
    port = (await host.startPublicNetwork(pki.host)).port;
  });
  after(async () => {
    await host.stop();
  });

  test('a sign-on POSTed as x-ISO-TPDU/x-auth is answered in the same wrapper and journalled as arrived over HTTPS', async () => {
    const since = arrivalMark();
    const r = await post(port, pki.ca.certPem, signOnFrame('000101'));
    expect(r.status).to.equal(200);
    expect(r.contentType).to.equal(PUBLIC_NETWORK_CONTENT_TYPE);
    const reply = decodeFrame(r.body);
    expect(reply.message.mti).to.equal('0810');
    expect(reply.message.getString(39)).to.equal('00');
    expect(reply.tpdu).to.equal('6000000003'); // addresses swapped, as on TCP
    const rows = host.control.journal({ terminalId: TERMINAL, stan: '000101' });
    expect(rows.map((row) => row.remote?.startsWith('https 127.0.0.1:'))).to.include(true);
    const [a] = arrivalsAfter(since);
    expect(a).to.include({ outcome: 'served', method: 'POST', path: '/unp/webtrans/WPOS', status: 200, mti: '0800', certificate: pki.host.label });
    expect(a.tlsProtocol).to.match(/^TLSv1\.[23]$/);
  });

  test('another method, path or content type, or a body that is not one frame: an HTTP error and a warning', async () => {
    const frame = signOnFrame('000102');
    const cases: [Promise<Answer>, number][] = [
      [post(port, pki.ca.certPem, '', { method: 'GET' }), 405],
      [post(port, pki.ca.certPem, frame, { path: '/other' }), 404],
      [post(port, pki.ca.certPem, frame, { contentType: 'application/octet-stream' }), 415],
      [post(port, pki.ca.certPem, frame.subarray(0, frame.length - 3)), 400],
      [post(port, pki.ca.certPem, Buffer.from('hello')), 400],
      [post(port, pki.ca.certPem, Buffer.alloc(5000)), 413],
    ];
    const before = warnings.length;
    for (const [answer, status] of cases) expect((await answer).status).to.equal(status);
    expect(warnings.length - before).to.equal(cases.length);
    expect(warnings.slice(before).join('\n')).to.match(/415|x-ISO-TPDU\/x-auth/);
    expect(host.control.journal({ stan: '000102' })).to.deep.equal([]);
  });

  test('bytes that are not HTTP get 400 and the connection closed; a client without TLS is dropped; the host serves on', async () => {
    const since = arrivalMark();
    expect(await rawTls(port, pki.ca.certPem, Buffer.from('\x00\x10 not http at all\r\n\r\n', 'latin1'))).to.match(/^HTTP\/1\.1 400/);
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(signOnFrame('000103')));
      s.on('close', () => resolve());
      s.on('error', () => undefined);
    });
    const outcomes = arrivalsAfter(since).map((a) => a.outcome);
    expect(outcomes).to.deep.equal(['refused', 'tls-failed']);
    expect((await post(port, pki.ca.certPem, signOnFrame('000104'))).status).to.equal(200);
  });

  test('an impostor certificate is refused by a verifying client before anything is sent; restore goes back', async () => {
    const since = arrivalMark();
    await host.control.publicNetwork!.start(pki.impostor);
    const err = await post(port, pki.ca.certPem, signOnFrame('000105')).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).to.match(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
    await new Promise((r) => setTimeout(r, 50));
    const arrivals = arrivalsAfter(since);
    expect(arrivals.map((a) => [a.outcome, a.certificate])).to.deep.equal([['tls-failed', pki.impostor.label]]);
    expect(host.control.journal({ stan: '000105' })).to.deep.equal([]);
    // The front was the case's own (no baseline): restore stops it.
    await host.control.publicNetwork!.restore();
    expect(host.publicNetwork).to.equal(undefined);
    port = (await host.startPublicNetwork(pki.host, { baseline: true })).port;
    await host.control.publicNetwork!.start(pki.impostor);
    await host.control.publicNetwork!.restore();
    expect(host.publicNetwork?.certificate).to.equal(pki.host.label);
    expect((await post(port, pki.ca.certPem, signOnFrame('000106'))).status).to.equal(200);
  });
});
