/**
 * The harness side of public-network access (cup8583.md §1.2): the test PKI (the host certificate
 * chains to the lab CA and names the host; the impostor's does not chain, though its issuer has the
 * same name), the pure judges CUP-ONB-020 asserts with, and the --host-link / POSCERT_HOST_LINK option.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { makeLabPki } from '../../drivers/test-pki';
import { describeArrivals, hostNameOf, judgeWrapper, screenShowsCommunicationFailure, servedUnderImpostor } from '../../drivers/public-network';
import type { PublicNetworkArrival } from '../../host';
import { parseCertifyArgs } from '../../cli/commands/certify';
import { readRunSettings } from '../../steps/support/settings';

const served: PublicNetworkArrival = {
  at: '2026-12-04T06:00:00.000Z',
  remote: '127.0.0.1:50000',
  outcome: 'served',
  certificate: 'issued by the lab CA',
  tlsProtocol: 'TLSv1.3',
  method: 'POST',
  path: '/unp/webtrans/WPOS',
  contentType: 'x-ISO-TPDU/x-auth',
  status: 200,
  frameBytes: 120,
  mti: '0200',
};

describe('public-network access, harness side', () => {
  test('the host certificate chains to the lab CA and names the host; the impostor does not chain', () => {
    const pki = makeLabPki(['127.0.0.1', 'localhost']);
    const ca = new X509Certificate(pki.ca.certPem);
    const host = new X509Certificate(pki.host.cert);
    const impostor = new X509Certificate(pki.impostor.cert);
    expect(ca.ca).to.equal(true);
    expect(host.verify(ca.publicKey)).to.equal(true);
    expect(host.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(host.checkHost('localhost')).to.equal('localhost');
    expect(impostor.issuer).to.equal(host.issuer); // same name ...
    expect(impostor.verify(ca.publicKey)).to.equal(false); // ... another key
    expect(pki.host.key).to.match(/BEGIN PRIVATE KEY/);
  });

  test('judgeWrapper: POST of x-ISO-TPDU/x-auth over TLS 1.2+ passes; every deviation is named', () => {
    expect(judgeWrapper([served])).to.deep.equal([]);
    expect(judgeWrapper([])).to.deep.equal(['nothing reached the host over the public-network link (HTTPS)']);
    const problems = judgeWrapper([
      { ...served, contentType: 'application/octet-stream' },
      { ...served, tlsProtocol: 'TLSv1' },
      { ...served, outcome: 'refused', status: 415, reason: 'Content-Type' },
      { ...served, outcome: 'tls-failed', reason: 'ECONNRESET' },
    ]);
    expect(problems).to.have.length(4);
    expect(problems.join('\n'))
      .to.match(/application\/octet-stream/)
      .and.match(/TLSv1 /)
      .and.match(/HTTP 415/)
      .and.match(/TLS handshake/);
  });

  test('servedUnderImpostor counts only frames handed over under the impostor certificate', () => {
    const label = 'impostor';
    const list: PublicNetworkArrival[] = [
      served,
      { ...served, certificate: label, outcome: 'tls-failed', frameBytes: undefined },
      { ...served, certificate: label },
    ];
    expect(servedUnderImpostor(list, label)).to.have.length(1);
    expect(describeArrivals(list).split('\n')).to.have.length(3);
    expect(describeArrivals([])).to.match(/nothing/);
  });

  test('a communication failure screen is recognised in Chinese and English, a success is not', () => {
    expect(screenShowsCommunicationFailure(['消费', '通讯失败'])).to.equal(true);
    expect(screenShowsCommunicationFailure(['SALE', 'COMMUNICATION ERROR'])).to.equal(true);
    expect(screenShowsCommunicationFailure(['消费', '交易成功'])).to.equal(false);
  });

  test('hostNameOf reads HOST:PORT and https URLs', () => {
    expect(hostNameOf('192.0.2.1:5000')).to.equal('192.0.2.1');
    expect(hostNameOf('https://pos.example:443/unp/webtrans/WPOS')).to.equal('pos.example');
    expect(hostNameOf('')).to.equal('127.0.0.1');
  });

  test('--host-link tcp | https (default tcp), and POSCERT_HOST_LINK is checked', () => {
    const io = { out: () => undefined, err: () => undefined };
    expect(parseCertifyArgs([], io)).to.deep.include({ hostLink: 'tcp' });
    expect(parseCertifyArgs(['--host-link', 'https'], io)).to.deep.include({ hostLink: 'https' });
    expect(parseCertifyArgs(['--host-link', 'ftp'], io)).to.equal(2);
    expect(readRunSettings({ POSCERT_HOST_LINK: 'https' }).hostLink).to.equal('https');
    expect(readRunSettings({}).hostLink).to.equal('tcp');
    expect(() => readRunSettings({ POSCERT_HOST_LINK: 'http' })).to.throw(/tcp or https/);
  });
});
