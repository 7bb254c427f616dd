import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as net from 'node:net';
import { decodeFrame, encodeFrame, IsoMessage, LengthPrefixedReader } from '../../protocol/iso8583';
import { type HostLogger, type ReferenceHost } from '../../host';
import { card, identity, signedOn, startHost } from './helpers';
import { REQUEST_HEADER, REQUEST_TPDU, TestTerminal } from './terminal-client';
import { seededRandom as prng } from '../../links/faults';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Raw client: writes bytes, collects every reply frame, resolves when the host closes or after `waitMs`. */
function rawExchange(port: number, chunks: Buffer[], waitMs = 300, expectReplies = Infinity): Promise<{ replies: Buffer[]; closedByHost: boolean }> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    const reader = new LengthPrefixedReader({ maxFrameSize: 65535 });
    let closedByHost = false;
    let done = false;
    const socket = net.connect(port, '127.0.0.1', async () => {
      for (const c of chunks) {
        if (socket.destroyed) break;
        socket.write(c);
        await new Promise((r) => setTimeout(r, 1));
      }
    });
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closedByHost });
    };
    socket.on('data', (d) => {
      try {
        replies.push(...reader.push(d));
      } catch {
        /* ignore */
      }
      if (replies.length >= expectReplies) finish();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closedByHost = !done;
      finish();
    });
    const timer = setTimeout(finish, waitMs);
  });
}

function frameWithBody(mti: string, body: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from(REQUEST_TPDU, 'hex'), Buffer.from('603100310730', 'hex'), Buffer.from(mti, 'hex'), body]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(head.length);
  return Buffer.concat([len, head]);
}

describe('reference host: bad input', () => {
  let host: ReferenceHost;
  const warnings: string[] = [];
  const logger: HostLogger = { info() {}, warn: (l) => warnings.push(l), error: (l) => warnings.push(`ERROR ${l}`) };
  before(async () => {
    host = await startHost({ logger, maxFrameBytes: 2048 });
  });
  after(async () => {
    await host.stop();
  });

  test('readable header and MTI with an undecodable body: 30 with the TPDU swapped; the connection stays usable', async () => {
    const bitmapForF2 = Buffer.from('4000000000000000', 'hex');
    const truncatedPan = Buffer.concat([bitmapForF2, Buffer.from([0x16, 0x62, 0x12])]);
    const echo = encodeFrame({
      tpdu: REQUEST_TPDU,
      header: REQUEST_HEADER,
      message: new IsoMessage('0820').set(11, '000001').set(41, '10000001').set(42, '898310054110001').set(60, '00000001301'),
    });
    const { replies, closedByHost } = await rawExchange(host.port, [frameWithBody('0200', truncatedPan), echo]);
    expect(closedByHost).to.equal(false);
    expect(replies).to.have.length(2);
    const first = decodeFrame(replies[0]);
    expect(first.message.mti).to.equal('0210');
    expect(first.message.getString(39)).to.equal('30');
    expect(first.tpdu).to.equal('6000000003');
    expect(decodeFrame(replies[1]).message.getString(39)).to.equal('00');
    const j = host.control.journal({ mti: '0200' });
    expect(j.at(-1)!.note).to.match(/format error/);
    expect(j.at(-1)!.hex).to.not.include('6212');
  });

  test('unreadable MTI, a frame shorter than TPDU + header + MTI, an oversized length: the connection is closed and the reason logged', async () => {
    const notBcd = frameWithBody('AB00', Buffer.alloc(10));
    expect((await rawExchange(host.port, [notBcd])).closedByHost).to.equal(true);
    expect((await rawExchange(host.port, [Buffer.from([0x00, 0x03, 0x60, 0x00, 0x03])])).closedByHost).to.equal(true);
    expect((await rawExchange(host.port, [Buffer.from([0xff, 0xff, 0x00])])).closedByHost).to.equal(true);
    const responseMti = frameWithBody('0210', Buffer.from('FFFF', 'hex'));
    expect((await rawExchange(host.port, [responseMti])).closedByHost).to.equal(true);
    expect(warnings.some((w) => /closing/.test(w) && /more than the maximum/.test(w))).to.equal(true);
    expect(warnings.some((w) => /unreadable frame/.test(w))).to.equal(true);
    expect(warnings.some((w) => w.startsWith('ERROR'))).to.equal(false);
  });

  test('a valid frame split at every offset is still one message', async () => {
    const t = await TestTerminal.connect(host.port, identity('10000008'));
    await t.signOn();
    t.close();
    const frame = encodeFrame({
      tpdu: REQUEST_TPDU,
      header: REQUEST_HEADER,
      message: new IsoMessage('0820').set(11, '000009').set(41, '10000008').set(42, '898584070110004').set(60, '00000001301'),
    });
    for (let cut = 1; cut < frame.length; cut++) {
      const { replies } = await rawExchange(host.port, [frame.subarray(0, cut), frame.subarray(cut)], 1000, 1);
      expect(replies, `cut at ${cut}`).to.have.length(1);
      expect(decodeFrame(replies[0]).message.getString(39)).to.equal('00');
    }
  });

  test('bursts of random, truncated and corrupted frames from 6 attackers (150 connections) while a good terminal keeps transacting', async () => {
    const good = await signedOn(host, '10000001');
    const before = host.control.balance('UP-DEBIT-MAG').balance;
    const rnd = prng(20261126);
    const valid = encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: good.sale(MAG, 1).msg });
    // Each attacker sends its bad inputs one connection at a time (the host closes a connection on
    // unreadable input, so one connection would only ever deliver the first).
    const outcomes = { replied30: 0, closed: 0, silent: 0 };
    const attacker = async () => {
      for (let i = 0; i < 25; i++) {
        const kind = Math.floor(rnd() * 5);
        let bad: Buffer;
        if (kind === 0) bad = randomBytes(rnd, 1 + Math.floor(rnd() * 300));
        else if (kind === 1)
          bad = valid.subarray(0, 2 + Math.floor(rnd() * (valid.length - 2))); // truncated
        else if (kind === 2) bad = frameWithBody('0200', randomBytes(rnd, 8 + Math.floor(rnd() * 200)));
        else if (kind === 3) {
          bad = Buffer.from(valid);
          bad[15 + Math.floor(rnd() * (bad.length - 15))] ^= 0xff;
        } else bad = frameWithBody('0800', randomBytes(rnd, Math.floor(rnd() * 40)));
        const r = await rawExchange(host.port, [bad], 80, 1);
        if (r.replies.some((f) => f.length > 15 && decodeFrame(f).message.getString(39) === '30')) outcomes.replied30++;
        else if (r.closedByHost) outcomes.closed++;
        else outcomes.silent++;
      }
    };
    const attacks = Array.from({ length: 6 }, () => attacker());
    let approved = 0;
    for (let i = 0; i < 60; i++) {
      const r = await good.send(good.sale(MAG, 10).msg);
      if (r.rc === '00') approved++;
    }
    await Promise.all(attacks);
    // And after the storm: still serving, new connections accepted.
    const after = await signedOn(host, '10000002');
    expect((await after.send(after.sale(MAG, 10).msg)).rc).to.equal('00');
    expect(approved).to.equal(60);
    expect(outcomes.replied30 + outcomes.closed + outcomes.silent).to.equal(150);
    expect(outcomes.replied30, JSON.stringify(outcomes)).to.be.above(10);
    expect(outcomes.closed, JSON.stringify(outcomes)).to.be.above(10);
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(before - 610);
    expect(
      warnings.some((w) => w.startsWith('ERROR')),
      warnings.filter((w) => w.startsWith('ERROR')).join('\n'),
    ).to.equal(false);
    good.close();
    after.close();
  });

  test('a host bug while processing one request: it alone is answered 96 and rolled back; requests beside it are booked', async () => {
    const engine = (host as unknown as { engine: { handleFrame: (f: Buffer, r: string) => unknown } }).engine;
    const original = engine.handleFrame;
    // Unit-level fault: the real processing runs (and books), then throws, as a bug after the booking would.
    engine.handleFrame = function (this: unknown, frame: Buffer, remote: string) {
      const outcome = original.call(this, frame, remote);
      if (frame.includes(Buffer.from('424242', 'hex'))) throw new Error('simulated host bug');
      return outcome;
    };
    try {
      const terms = await Promise.all(['10000003', '10000004', '10000005'].map((tid) => signedOn(host, tid)));
      const before = host.control.balance('UP-DEBIT-MAG').balance;
      const buggy = terms[0].sale(MAG, 7000).msg.set(11, '424242');
      const replies = await Promise.all([
        terms[0].send(terms[0].mac(buggy)),
        terms[1].send(terms[1].sale(MAG, 100).msg),
        terms[2].send(terms[2].sale(MAG, 200).msg),
      ]);
      expect(replies.map((r) => r.rc)).to.deep.equal(['96', '00', '00']);
      expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(before - 300);
      expect(host.control.transactions({ stan: '424242' })).to.have.length(0);
      expect(warnings.some((w) => /simulated host bug/.test(w))).to.equal(true);
      for (const t of terms) t.close();
    } finally {
      engine.handleFrame = original;
      warnings.length = 0;
    }
  });

  test('a slow-loris sender (a byte now and then, never idle) is closed at the frame deadline while a good terminal goes on', async () => {
    const warned: string[] = [];
    const quick = await startHost({
      idleTimeoutMs: 5000,
      frameDeadlineMs: 300,
      logger: { info() {}, warn: (l) => warned.push(l), error: (l) => warned.push(l) },
    });
    const loris = net.connect(quick.port, '127.0.0.1');
    let drip: NodeJS.Timeout | undefined;
    try {
      const closed = new Promise<number>((resolve) => {
        setTimeout(() => resolve(-1), 4000).unref();
        loris.on('close', () => resolve(Date.now()));
      });
      loris.on('error', () => {});
      await new Promise((r) => loris.once('connect', r));
      const began = Date.now();
      loris.write(Buffer.from([0x00, 0x40]));
      drip = setInterval(() => {
        if (!loris.destroyed) loris.write(Buffer.from([0x60]));
      }, 50);
      const good = await signedOn(quick, '10000001');
      expect((await good.send(good.sale(MAG, 100).msg)).rc).to.equal('00');
      good.close();
      const closedAt = await closed;
      expect(closedAt, 'the host kept the slow sender open').to.not.equal(-1);
      expect(closedAt - began).to.be.greaterThanOrEqual(250);
      expect(
        warned.some((w) => /still incomplete/.test(w) && /closing the connection/.test(w)),
        warned.join('\n'),
      ).to.equal(true);
    } finally {
      if (drip) clearInterval(drip);
      loris.destroy();
      await quick.stop();
    }
  });

  test('connections beyond maxConnections are closed at once, with a warning, and the open ones keep working', async () => {
    const warned: string[] = [];
    const quick = await startHost({ maxConnections: 2, logger: { info() {}, warn: (l) => warned.push(l), error: (l) => warned.push(l) } });
    const sockets: net.Socket[] = [];
    try {
      const first = await signedOn(quick, '10000001');
      for (let i = 0; i < 1; i++) {
        const s = net.connect(quick.port, '127.0.0.1');
        s.on('error', () => {});
        sockets.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      const extra = net.connect(quick.port, '127.0.0.1');
      extra.on('error', () => {});
      sockets.push(extra);
      const closed = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 2000);
        extra.on('close', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      expect(closed).to.equal(true);
      expect(
        warned.some((w) => /refused: 2 connections open/.test(w)),
        warned.join('\n'),
      ).to.equal(true);
      expect((await first.send(first.sale(MAG, 100).msg)).rc).to.equal('00');
      first.close();
    } finally {
      for (const s of sockets) s.destroy();
      await quick.stop();
    }
  });

  test('an idle connection is closed after idleTimeoutMs', async () => {
    const quick = await startHost({ idleTimeoutMs: 150 });
    try {
      const t = await TestTerminal.connect(quick.port, identity('10000001'));
      expect(await t.waitClosed(2000)).to.equal(true);
    } finally {
      await quick.stop();
    }
  });
});
