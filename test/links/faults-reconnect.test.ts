import { describe, test } from 'node:test';
import * as net from 'node:net';
import { expect } from 'chai';
import {
  ByteLink,
  DEFAULT_RECONNECT_POLICY,
  LinkDownError,
  LinkPermissionError,
  LinkRefusedError,
  LinkUrlError,
  backoffDelays,
  createEmuLinkPair,
  createLink,
  freeTcpPort,
  openWithRetry,
  seededRandom,
  withFaults,
} from '../../links';

/**
 * Send `bytes` and collect until `expected(sent stats)` bytes arrived (fault injection on the
 * sending side is synchronous, so the count is known once write() returned), or 2 s passed.
 */
async function pump(from: ByteLink, to: ByteLink, bytes: Buffer, expected: () => number = () => bytes.length): Promise<Buffer> {
  const got: Buffer[] = [];
  let len = 0;
  const on = (b: Buffer) => {
    got.push(b);
    len += b.length;
  };
  to.on('data', on);
  await from.write(bytes);
  const deadline = Date.now() + 2000;
  while (len < expected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  to.off('data', on);
  return Buffer.concat(got);
}

describe('withFaults', () => {
  const data = Buffer.alloc(20000, 0x55);

  test('bit errors near the configured rate, and the same seed gives the same damage', async () => {
    const runOnce = async () => {
      const [a, b] = createEmuLinkPair();
      const f = withFaults(a, { bitErrorRate: 1e-3, random: seededRandom(99) });
      const out = await pump(f, b, data);
      await a.close();
      return { out, stats: { ...f.stats } };
    };
    const r1 = await runOnce();
    const r2 = await runOnce();
    expect(r1.out.equals(r2.out)).to.equal(true);
    expect(r1.stats.bitsFlipped).to.equal(r2.stats.bitsFlipped);
    // 160000 bits at 1e-3: about 160 flips.
    expect(r1.stats.bitsFlipped).to.be.within(100, 230);
    let diffBits = 0;
    for (let i = 0; i < data.length; i++) {
      let x = data[i] ^ r1.out[i];
      while (x) {
        diffBits += x & 1;
        x >>= 1;
      }
    }
    expect(diffBits).to.equal(r1.stats.bitsFlipped);
  });

  test('dropped bytes near the configured rate', async () => {
    const [a, b] = createEmuLinkPair();
    const f = withFaults(a, { dropRate: 0.01, random: seededRandom(5) });
    const out = await pump(f, b, data, () => data.length - f.stats.bytesDropped);
    expect(out.length).to.equal(data.length - f.stats.bytesDropped);
    expect(f.stats.bytesDropped).to.be.within(120, 280);
    await a.close();
  });

  test('direction rx disturbs only what arrives', async () => {
    const [a, b] = createEmuLinkPair();
    const f = withFaults(a, { bitErrorRate: 0.01, direction: 'rx', random: seededRandom(1) });
    expect((await pump(f, b, data)).equals(data)).to.equal(true);
    expect((await pump(b, f, data)).equals(data)).to.equal(false);
    await a.close();
  });

  test('delay keeps order', async () => {
    const [a, b] = createEmuLinkPair();
    const f = withFaults(b, { delayMs: 20 });
    const got: number[] = [];
    f.on('data', (x) => got.push(...x));
    const t0 = Date.now();
    await a.write(Buffer.from([1]));
    await a.write(Buffer.from([2]));
    await a.write(Buffer.from([3]));
    await new Promise((r) => setTimeout(r, 60));
    expect(got).to.deep.equal([1, 2, 3]);
    expect(Date.now() - t0).to.be.greaterThan(15);
    await a.close();
  });

  test('disconnect after exactly N bytes: the first N pass, then LinkDownError', async () => {
    const [a, b] = createEmuLinkPair();
    const f = withFaults(a, { disconnectAfterBytes: 10 });
    const closed = new Promise<LinkDownError | undefined>((r) => f.on('close', r));
    const got: Buffer[] = [];
    b.on('data', (x) => got.push(x));
    const err = await f.write(Buffer.alloc(25, 7)).then(
      () => null,
      (e) => e,
    );
    await new Promise((r) => setImmediate(r));
    expect(err).to.be.instanceOf(LinkDownError);
    expect(Buffer.concat(got).length).to.equal(10);
    const down = await closed;
    expect(down).to.be.instanceOf(LinkDownError);
    expect(down!.context).to.deep.include({ faultInjected: true });
  });

  test('bad settings are refused with a typed error', () => {
    const [a] = createEmuLinkPair();
    expect(() => withFaults(a, { bitErrorRate: 2 })).to.throw(LinkUrlError, /between 0 and 1/);
    expect(() => withFaults(a, { disconnectAfterBytes: -1 })).to.throw(LinkUrlError);
  });
});

describe('reconnect policy', () => {
  test('backoff delays grow by the factor up to the cap', () => {
    expect(backoffDelays({ attempts: 5, initialDelayMs: 100, factor: 2, maxDelayMs: 300 })).to.deep.equal([100, 200, 300, 300]);
    expect(backoffDelays(DEFAULT_RECONNECT_POLICY)).to.have.length(DEFAULT_RECONNECT_POLICY.attempts - 1);
  });

  test('a refused connection is retried until ser2net comes up', async () => {
    const port = await freeTcpPort();
    const link = createLink(`tcp://127.0.0.1:${port}`);
    let server: net.Server | undefined;
    const retries: number[] = [];
    const opened = openWithRetry(link, { attempts: 6, initialDelayMs: 30, factor: 1.5, maxDelayMs: 100 }, (n) => {
      retries.push(n);
      if (n === 2) {
        server = net.createServer((s) => s.on('data', () => undefined));
        server.listen(port, '127.0.0.1');
      }
    });
    await opened;
    expect(link.isOpen).to.equal(true);
    expect(retries.slice(0, 2)).to.deep.equal([1, 2]);
    await link.close();
    await new Promise<void>((r) => server!.close(() => r()));
  });

  test('gives up after the attempts with the last error, attempts in its context', async () => {
    const port = await freeTcpPort();
    const err = await openWithRetry(createLink(`tcp://127.0.0.1:${port}`), { attempts: 3, initialDelayMs: 5, factor: 1, maxDelayMs: 5 }).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkRefusedError);
    expect(err.context.attempts).to.equal(3);
  });

  test('permission problems are not retried', async () => {
    let calls = 0;
    const link = {
      url: 'serial:/dev/x',
      isOpen: false,
      open: async () => {
        calls++;
        throw new LinkPermissionError('serial:/dev/x', 'denied', 'dialout');
      },
    } as unknown as ByteLink;
    const err = await openWithRetry(link, { attempts: 5, initialDelayMs: 1, factor: 1, maxDelayMs: 1 }).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkPermissionError);
    expect(calls).to.equal(1);
  });
});
