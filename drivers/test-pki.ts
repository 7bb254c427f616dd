/**
 * A test PKI made at run time for the public-network link (HTTPS, cup8583.md §1.2): a lab CA that
 * the terminal is told to trust, host certificates it issues, and an impostor — a certificate with
 * the same names issued by another CA of the same name, which a terminal that verifies the chain
 * must refuse. Keys come from Node's crypto (RSA 2048); node-forge only builds and signs the X.509.
 * Nothing here is a production key: every run makes its own, kept in memory.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import type { TlsIdentity } from '../host';

export interface TestCa {
  /** The CA certificate (PEM): what a terminal is told to trust. */
  certPem: string;
  readonly name: string;
  /** @internal signing material */
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
}

const DAY_MS = 86_400_000;

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    privateKey: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string) as forge.pki.rsa.PublicKey,
    keyPem,
  };
}

function serial(): string {
  // Positive (high bit clear), 16 bytes: unique per certificate without any counter.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  // A day of slack before now: a terminal whose clock is a little behind still accepts it.
  cert.validity.notBefore = new Date(now.getTime() - DAY_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

/** A self-signed CA (basicConstraints CA, keyCertSign), valid for `days` (default 30). */
export function makeTestCa(name = 'poscert lab test CA', opts: { now?: Date; days?: number } = {}): TestCa {
  const { privateKey, publicKey } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, opts.now ?? new Date(), opts.days ?? 30);
  const subject = [
    { name: 'commonName', value: name },
    { name: 'organizationName', value: 'poscert test PKI' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), name, cert, key: privateKey };
}

/**
 * A server certificate issued by `ca` for `hosts` (IP addresses and DNS names, put in the subject
 * alternative names that TLS checks), with its key, as the host presents it.
 */
export function issueHostIdentity(ca: TestCa, hosts: readonly string[], label: string, opts: { now?: Date; days?: number } = {}): TlsIdentity {
  if (hosts.length === 0) throw new TypeError('issueHostIdentity: give at least one host name or IP address');
  const { privateKey, publicKey, keyPem } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serial();
  validity(cert, opts.now ?? new Date(), opts.days ?? 30);
  cert.setSubject([{ name: 'commonName', value: hosts[0] }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  // The chain a server sends: its own certificate; the terminal holds the CA.
  return { cert: forge.pki.certificateToPem(cert), key: keyPem, label };
}

/** The lab's PKI for one run: the CA the terminal trusts, the host's identity, and an impostor's. */
export interface LabPki {
  ca: TestCa;
  host: TlsIdentity;
  /** Same names as `host`, issued by another CA that merely has the lab CA's name. */
  impostor: TlsIdentity;
}

export function makeLabPki(hosts: readonly string[] = ['127.0.0.1', 'localhost']): LabPki {
  const ca = makeTestCa();
  const rogue = makeTestCa(ca.name);
  return {
    ca,
    host: issueHostIdentity(ca, hosts, 'issued by the lab CA'),
    impostor: issueHostIdentity(rogue, hosts, 'not issued by the lab CA (impostor)'),
  };
}
