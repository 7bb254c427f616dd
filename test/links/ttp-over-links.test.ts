/**
 * TtpChannel end to end over every link kind, with real parts: in-process emu:, a socat PTY pair
 * opened with serialport, ser2net (raw and telnet/RFC 2217) in front of a PTY, tcp-listen. Then
 * noise (bit errors, drops) through withFaults, and clean link-down reports.
 */
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import {
  ByteLink,
  LinkDownError,
  LinkListener,
  PtyPair,
  Rfc2217Link,
  Ser2netInstance,
  createEmuLinkPair,
  listenLink,
  openLink,
  seededRandom,
  startPtyPair,
  startSer2net,
  withFaults,
} from '../../links';
import { TtpLinkBrokenError } from '../../protocol/ttp';
import { SER2NET_SKIP, SOCAT_SKIP, echoResponder, harnessChannel } from './helpers';

async function roundTrips(harness: ByteLink, terminal: ByteLink, n: number) {
  const responder = echoResponder(terminal);
  const channel = harnessChannel(harness);
  const displays: string[][] = [];
  channel.on('event', (e) => {
    if (e.evt === 'display') displays.push(e.lines);
  });
  for (let i = 0; i < n; i++) {
    const r = (await channel.request({ cmd: 'key', keys: ['1', '2', 'ENTER'] })) as unknown as { echo: { id: number; keys: string[] } };
    expect(r.echo.keys).to.deep.equal(['1', '2', 'ENTER']);
  }
  // Binary-unfriendly content: 0xFF can't occur in UTF-8, but high code points and LRCs can be anything.
  const hello = (await channel.request({ cmd: 'hello', ttp: '1.0', client: '测试 ÿ \u00ff' })) as unknown as { echo: { client: string } };
  expect(hello.echo.client).to.equal('测试 ÿ \u00ff');
  expect(displays).to.have.length(n);
  expect([...responder.deliveries.values()].every((c) => c === 1)).to.equal(true);
  channel.close();
  responder.channel.close();
  return { channel, responder };
}

describe('TTP over emu:', () => {
  test('request/response and events over an in-process pair', async () => {
    const [h, t] = createEmuLinkPair();
    await roundTrips(h, t, 20);
    await h.close();
  });

  test('emu:NAME listener: the harness connects by URL', async () => {
    const listener = await listenLink('emu:ttp-test');
    const accepted = new Promise<ByteLink>((r) => listener.on('connection', r));
    const h = await openLink('emu:ttp-test');
    await roundTrips(h, await accepted, 5);
    await h.close();
    await listener.close();
  });
});

describe('TTP over tcp-listen: and tcp://', () => {
  test('request/response over a real TCP socket', async () => {
    const listener = (await listenLink('tcp-listen:0')) as LinkListener & { boundPort: number };
    const accepted = new Promise<ByteLink>((r) => listener.on('connection', r));
    const h = await openLink(`tcp://127.0.0.1:${listener.boundPort}`);
    const t = await accepted;
    await roundTrips(h, t, 20);
    await h.close();
    await listener.close();
  });
});

describe('TTP over a socat PTY pair (serialport)', { skip: SOCAT_SKIP }, () => {
  let pty: PtyPair;
  before(async () => {
    pty = await startPtyPair();
  });
  after(async () => {
    await pty?.stop();
  });

  test('request/response with serial:/path?baud=...', async () => {
    const t = await openLink(`serial:${pty.b}?baud=115200&parity=none&databits=8&stopbits=1&rtscts=false`);
    const h = await openLink(`serial:${pty.a}?baud=115200`);
    await roundTrips(h, t, 20);
    await h.close();
    await t.close();
  });

  test('terminal side via listenLink(serial:...)', async () => {
    const listener = await listenLink(`serial:${pty.b}`);
    const accepted = new Promise<ByteLink>((r) => listener.on('connection', r));
    const h = await openLink(`serial:${pty.a}`);
    await roundTrips(h, await accepted, 5);
    await h.close();
    await listener.close();
  });
});

for (const mode of ['raw', 'rfc2217'] as const) {
  describe(`TTP through ser2net (${mode}) in front of a PTY`, { skip: SER2NET_SKIP }, () => {
    let pty: PtyPair;
    let ser2net: Ser2netInstance;
    before(async () => {
      pty = await startPtyPair();
      ser2net = await startSer2net(pty.a, mode);
    });
    after(async () => {
      await ser2net?.stop();
      await pty?.stop();
    });

    test(`request/response via ${mode === 'raw' ? 'tcp://' : 'rfc2217://'}`, async () => {
      const t = await openLink(`serial:${pty.b}`);
      const url =
        mode === 'raw' ? `tcp://127.0.0.1:${ser2net.port}` : `rfc2217://127.0.0.1:${ser2net.port}?baud=115200&parity=none&databits=8&stopbits=1`;
      const h = await openLink(url);
      await roundTrips(h, t, 20);
      await h.close();
      await t.close();
    });

    if (mode === 'rfc2217') {
      test('the serial settings of the URL reach the device (stty) and ser2net confirms each', async () => {
        const h = (await openLink(`rfc2217://127.0.0.1:${ser2net.port}?baud=9600&parity=even&databits=7&stopbits=2`)) as Rfc2217Link;
        const confirmed = Object.fromEntries([...h.confirmed].map(([k, v]) => [k, [...v]]));
        expect(confirmed).to.deep.include({ 101: [0, 0, 0x25, 0x80], 102: [7], 103: [3], 104: [2], 105: [1] });
        // A Linux PTY keeps speed and stop bits but forces CS8 without parity, so only those two
        // can be read back from the device itself.
        const stty = execFileSync('stty', ['-F', pty.a, '-a']).toString();
        expect(stty).to.match(/speed 9600 baud/);
        expect(stty).to.match(/(^|\s)cstopb(\s|$)/);
        await h.close();
        const back = await openLink(`rfc2217://127.0.0.1:${ser2net.port}?baud=115200`);
        await back.close();
      });
    }

    test('bytes 0x00..0xFF pass unaltered both ways (IAC escaping, binary mode)', async () => {
      const t = await openLink(`serial:${pty.b}`);
      const url = mode === 'raw' ? `tcp://127.0.0.1:${ser2net.port}` : `rfc2217://127.0.0.1:${ser2net.port}`;
      const h = await openLink(url);
      // A byte of the previous test (its last ACK) may still be on its way through ser2net and
      // socat: let the line go quiet before comparing byte for byte.
      const stale: Buffer[] = [];
      const onStale = (b: Buffer) => stale.push(b);
      t.on('data', onStale);
      h.on('data', onStale);
      await new Promise((r) => setTimeout(r, 100));
      t.off('data', onStale);
      h.off('data', onStale);
      const all = Buffer.from(Array.from({ length: 512 }, (_, i) => i & 0xff));
      const collect = (link: ByteLink, n: number) =>
        new Promise<Buffer>((resolve) => {
          const parts: Buffer[] = [];
          let len = 0;
          const on = (b: Buffer) => {
            parts.push(b);
            len += b.length;
            if (len >= n) {
              link.off('data', on);
              resolve(Buffer.concat(parts));
            }
          };
          link.on('data', on);
        });
      const atTerminal = collect(t, all.length);
      await h.write(all);
      const there = await atTerminal;
      expect(there.toString('hex'), `${there.length} bytes`).to.equal(all.toString('hex'));
      const atHarness = collect(h, all.length);
      await t.write(all);
      const back = await atHarness;
      expect(back.toString('hex'), `${back.length} bytes`).to.equal(all.toString('hex'));
      await h.close();
      await t.close();
    });
  });
}

describe('noise: withFaults between harness and terminal', () => {
  test('bit errors and dropped bytes: NAK/retransmission, every request delivered and answered exactly once', async () => {
    const [h, t] = createEmuLinkPair();
    // Both directions disturbed, each with its own seeded source. The rates are the heaviest at
    // which 1 + 3 transmissions reliably get ~100-byte frames through (at 2e-4, 1 run in 10 loses
    // a frame four times running and ends link-broken, as the protocol says it must).
    const noisy = withFaults(h, { bitErrorRate: 5e-5, dropRate: 2e-5, direction: 'tx', random: seededRandom(42) });
    const noisyBack = withFaults(t, { bitErrorRate: 5e-5, dropRate: 2e-5, direction: 'tx', random: seededRandom(4242) });
    const responder = echoResponder(noisyBack);
    const channel = harnessChannel(noisy);
    const n = 150;
    const charged: number[] = [];
    for (let i = 1; i <= n; i++) {
      const r = (await channel.request({ cmd: 'ecr', request: 'sale', amount: String(i) })) as unknown as { echo: { amount: string } };
      charged.push(Number(r.echo.amount));
    }
    expect(charged).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
    const sales = responder.requests.filter((r) => r.cmd === 'ecr');
    expect(sales.map((r) => (r as { amount?: string }).amount)).to.deep.equal(charged.map(String));
    expect([...responder.deliveries.values()].every((c) => c === 1)).to.equal(true);
    const recovered = channel.stats.retransmissions + responder.channel.stats.retransmissions;
    expect(
      noisy.stats.bitsFlipped + noisy.stats.bytesDropped + noisyBack.stats.bitsFlipped + noisyBack.stats.bytesDropped,
      'faults were injected',
    ).to.be.greaterThan(3);
    expect(recovered, 'and recovered by retransmission').to.be.greaterThan(0);
    channel.close();
    responder.channel.close();
    await h.close();
  });

  test('over a real PTY pair too', { skip: SOCAT_SKIP }, async () => {
    const pty = await startPtyPair();
    try {
      const t = await openLink(`serial:${pty.b}`);
      const h = withFaults(await openLink(`serial:${pty.a}`), { bitErrorRate: 1e-4, random: seededRandom(7) });
      const responder = echoResponder(t);
      const channel = harnessChannel(h);
      for (let i = 0; i < 100; i++) await channel.request({ cmd: 'screen' });
      expect(responder.requests).to.have.length(100);
      expect([...responder.deliveries.values()].every((c) => c === 1)).to.equal(true);
      expect(h.stats.bitsFlipped).to.be.greaterThan(0);
      channel.close();
      responder.channel.close();
      await h.close();
      await t.close();
    } finally {
      await pty.stop();
    }
  });

  test('noise too heavy to recover: a clean TtpLinkBrokenError, never a wrong answer', async () => {
    const [h, t] = createEmuLinkPair();
    const noisy = withFaults(h, { bitErrorRate: 0.05, random: seededRandom(3), direction: 'tx' });
    const responder = echoResponder(t);
    const channel = harnessChannel(noisy);
    const err = await channel.request({ cmd: 'screen' }).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    expect(err.code).to.equal('ttp-link-broken');
    expect(responder.requests).to.have.length(0);
    responder.channel.close();
    await h.close();
  });

  test('disconnect after N bytes: LinkDownError on the link, TtpLinkBrokenError (cause LinkDownError) on pending requests', async () => {
    const [h, t] = createEmuLinkPair();
    const cut = withFaults(h, { disconnectAfterBytes: 200 });
    const closed = new Promise<LinkDownError | undefined>((r) => cut.on('close', r));
    echoResponder(t);
    const channel = harnessChannel(cut);
    let err: unknown;
    for (let i = 0; i < 50 && !err; i++)
      err = await channel.request({ cmd: 'screen' }).then(
        () => null,
        (e) => e,
      );
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    expect((err as { cause?: unknown }).cause).to.be.instanceOf(LinkDownError);
    expect(await closed).to.be.instanceOf(LinkDownError);
    await t.close();
  });

  test('socat killed mid-run: the serial link reports LinkDownError, the request fails as link-broken', { skip: SOCAT_SKIP }, async () => {
    const pty = await startPtyPair();
    const t = await openLink(`serial:${pty.b}`);
    const h = await openLink(`serial:${pty.a}`);
    // The terminal takes the command and does not answer, so it is pending when the cable goes.
    echoResponder(t, { silent: true });
    const channel = harnessChannel(h, { responseTimeoutMs: 10000 });
    const closed = new Promise<LinkDownError | undefined>((r) => h.on('close', r));
    const pending = channel.request({ cmd: 'screen' }).then(
      () => null,
      (e) => e,
    );
    await new Promise((r) => setTimeout(r, 50));
    await pty.stop();
    const down = await closed;
    expect(down).to.be.instanceOf(LinkDownError);
    expect(down!.code).to.equal('link-down');
    const err = await pending;
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    await t.close().catch(() => undefined);
  });
});
