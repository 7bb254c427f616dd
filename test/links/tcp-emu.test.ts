import { describe, test } from 'node:test';
import * as net from 'node:net';
import { expect } from 'chai';
import {
  ByteLink,
  LinkBusyError,
  LinkDownError,
  LinkNotFoundError,
  LinkRefusedError,
  createEmuLinkPair,
  freeTcpPort,
  listenLink,
  openLink,
} from '../../links';

function nextData(link: ByteLink): Promise<Buffer> {
  return new Promise((r) => link.once('data', r));
}
function nextClose(link: ByteLink): Promise<LinkDownError | undefined> {
  return new Promise((r) => link.once('close', r));
}

describe('tcp:// links', () => {
  test('connection refused: LinkRefusedError that mentions ser2net and the port', async () => {
    const port = await freeTcpPort();
    const err = await openLink(`tcp://127.0.0.1:${port}`).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkRefusedError);
    expect(err.code).to.equal('link-refused');
    expect(err.message).to.include(`127.0.0.1:${port}`).and.include('ser2net');
  });

  test('unknown host: LinkNotFoundError', async () => {
    const err = await openLink('tcp://no-such-host.invalid:3001').then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkNotFoundError);
  });

  test('the peer closing mid-run: close event with LinkDownError; writes then fail typed', async () => {
    const server = net.createServer((s) => setTimeout(() => s.destroy(), 20));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const link = await openLink(`tcp://127.0.0.1:${port}`);
    const err = await nextClose(link);
    expect(err).to.be.instanceOf(LinkDownError);
    expect(err!.code).to.equal('link-down');
    const w = await link.write(Buffer.from([1])).then(
      () => null,
      (e) => e,
    );
    expect(w.code).to.equal('link-not-open');
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('deliberate close: close event without error, the listener sees LinkDownError', async () => {
    const listener = (await listenLink('tcp-listen:0')) as unknown as {
      boundPort: number;
      on: (e: 'connection', l: (l: ByteLink) => void) => void;
      close: () => Promise<void>;
    };
    const accepted = new Promise<ByteLink>((r) => listener.on('connection', r));
    const link = await openLink(`tcp://127.0.0.1:${listener.boundPort}`);
    const server = await accepted;
    const serverClosed = nextClose(server);
    const data = nextData(server);
    await link.write(Buffer.from('hi'));
    expect((await data).toString()).to.equal('hi');
    const mine = nextClose(link);
    await link.close();
    expect(await mine).to.equal(undefined);
    expect(await serverClosed).to.be.instanceOf(LinkDownError);
    await listener.close();
  });

  test('tcp-listen on a port in use: LinkBusyError', async () => {
    const first = (await listenLink('tcp-listen:0')) as unknown as { boundPort: number; close: () => Promise<void> };
    const err = await listenLink(`tcp-listen:${first.boundPort}`).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkBusyError);
    expect(err.message).to.match(/already in use/);
    await first.close();
  });
});

describe('emu: links', () => {
  test('a pair delivers asynchronously, in order', async () => {
    const [a, b] = createEmuLinkPair();
    const got: number[] = [];
    b.on('data', (x) => got.push(...x));
    await a.write(Buffer.from([1, 2]));
    await a.write(Buffer.from([3]));
    expect(got).to.deep.equal([]); // not re-entrant
    await new Promise((r) => setImmediate(r));
    expect(got).to.deep.equal([1, 2, 3]);
    await a.close();
  });

  test('closing one end is a LinkDownError on the other', async () => {
    const [a, b] = createEmuLinkPair();
    const down = nextClose(b);
    await a.close();
    expect(await down).to.be.instanceOf(LinkDownError);
    const err = await b.write(Buffer.from([1])).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(Error);
  });

  test('emu:NAME without an emulator: LinkNotFoundError; two emulators on one name: LinkBusyError', async () => {
    const err = await openLink('emu:nobody-here').then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkNotFoundError);
    const l = await listenLink('emu:taken');
    const err2 = await listenLink('emu:taken').then(
      () => null,
      (e) => e,
    );
    expect(err2).to.be.instanceOf(LinkBusyError);
    await l.close();
    const l2 = await listenLink('emu:taken');
    await l2.close();
  });
});
