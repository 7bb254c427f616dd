import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  TTP_ACK,
  TtpChannel,
  TtpChannelClosedError,
  TtpEvent,
  TtpFrameDecoder,
  TtpLinkBrokenError,
  TtpRemoteError,
  TtpRequest,
  TtpResponseTimeoutError,
  TtpScheduler,
  TtpTraceEntry,
  encodeTtpFrame,
  encodeTtpFrameBytes,
} from '../../../protocol/ttp';

/** Deterministic clock: timers fire only when the test advances time. */
class ManualScheduler implements TtpScheduler {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  now(): number {
    return this.t;
  }
  get pendingTimers(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

/** A wire whose deliveries the test controls: queue, then flush (optionally tampering). */
class Wire {
  queue: Array<{ to: 'a' | 'b'; bytes: Buffer }> = [];
  a!: TtpChannel;
  b!: TtpChannel;
  tamper?: (to: 'a' | 'b', bytes: Buffer) => Buffer | null;
  flush(): void {
    for (let n = 0; this.queue.length && n < 10000; n++) {
      const { to, bytes } = this.queue.shift()!;
      const out = this.tamper ? this.tamper(to, bytes) : bytes;
      if (out) (to === 'a' ? this.a : this.b).receive(out);
    }
  }
}

function pair(opts: { ackTimeoutMs?: number; responseTimeoutMs?: number } = {}) {
  const sched = new ManualScheduler();
  const wire = new Wire();
  const a = new TtpChannel({
    write: (b) => {
      wire.queue.push({ to: 'b', bytes: Buffer.from(b) });
    },
    scheduler: sched,
    name: 'harness',
    ackTimeoutMs: 100,
    responseTimeoutMs: 1000,
    ...opts,
  });
  const b = new TtpChannel({
    write: (x) => {
      wire.queue.push({ to: 'a', bytes: Buffer.from(x) });
    },
    scheduler: sched,
    name: 'terminal',
    ackTimeoutMs: 100,
    ...opts,
  });
  wire.a = a;
  wire.b = b;
  return { sched, wire, a, b };
}

/** Let promise callbacks run, flushing the wire in between. */
async function settle(wire: Wire): Promise<void> {
  for (let i = 0; i < 20; i++) {
    wire.flush();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
}

describe('TtpChannel correlation and events', () => {
  test('replies are matched by id even when they come out of order', async () => {
    const { wire, a, b } = pair();
    const seen: TtpRequest[] = [];
    b.on('request', (r) => seen.push(r));
    const p1 = a.request({ cmd: 'screen' });
    const p2 = a.request({ cmd: 'hello', ttp: '1.0' });
    await settle(wire);
    expect(seen.map((r) => r.cmd)).to.deep.equal(['screen', 'hello']);
    void b.reply(seen[1], {
      ttp: '1.0',
      vendor: 'v',
      model: 'm',
      serialNumber: 's',
      firmwareVersion: 'f',
      capabilities: { magstripe: true, contact: true, contactless: false, printer: true, pinpad: true, sm4: false },
    });
    void b.reply(seen[0], { lines: ['READY'], state: 'idle' });
    await settle(wire);
    expect((await p2).vendor).to.equal('v');
    expect((await p1).lines).to.deep.equal(['READY']);
    expect(a.outstandingRequests).to.equal(0);
  });

  test('ok:false becomes TtpRemoteError carrying the TTP code', async () => {
    const { wire, a, b } = pair();
    b.on('request', (r) => void b.replyError(r, { code: 'not-supported', message: 'no contactless reader' }));
    const p = a
      .request({ cmd: 'card', action: 'present', method: 'tap', card: { pan: '6222021234567890123', expiry: '3012', serviceCode: '220' } })
      .then(
        () => null,
        (e) => e,
      );
    await settle(wire);
    const err = await p;
    expect(err).to.be.instanceOf(TtpRemoteError);
    expect(err.ttpCode).to.equal('not-supported');
    expect(err.message).to.not.include('6222021234567890123');
  });

  test('events arrive in order with sequence numbers', async () => {
    const { wire, a, b } = pair();
    const got: TtpEvent[] = [];
    a.on('event', (e) => got.push(e));
    void b.emitEvent({ evt: 'display', lines: ['请插卡'] });
    void b.emitEvent({ evt: 'beep', kind: 'key' });
    void b.emitEvent({ evt: 'print', copy: 'merchant', lines: ['商户存根'], reprint: false });
    await settle(wire);
    expect(got.map((e) => [e.evt, e.seq])).to.deep.equal([
      ['display', 1],
      ['beep', 2],
      ['print', 3],
    ]);
  });

  test('a request to an end that serves no commands is answered unknown-command, never silence', async () => {
    const { wire, a, b } = pair();
    const p = b.request({ cmd: 'screen' }).then(
      () => null,
      (e) => e,
    );
    await settle(wire);
    const err = await p;
    expect(err).to.be.instanceOf(TtpRemoteError).with.property('ttpCode', 'unknown-command');
    void a;
  });

  test('no reply within the response timeout: TtpResponseTimeoutError; a late reply is reported, not misdelivered', async () => {
    const { sched, wire, a, b } = pair({ responseTimeoutMs: 300 });
    const reqs: TtpRequest[] = [];
    b.on('request', (r) => reqs.push(r));
    const errors: string[] = [];
    a.on('protocol-error', (e) => errors.push(e.reason));
    const p = a.request({ cmd: 'screen' });
    await settle(wire);
    sched.advance(299);
    sched.advance(1);
    const err = await p.then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TtpResponseTimeoutError);
    void b.reply(reqs[0], { lines: [], state: 'idle' });
    await settle(wire);
    expect(errors).to.deep.equal(['unexpected-response']);
  });
});

describe('TtpChannel reliability', () => {
  test('a corrupted frame is NAKed, retransmitted and delivered exactly once', async () => {
    const { wire, a, b } = pair();
    const got: TtpRequest[] = [];
    b.on('request', (r) => {
      got.push(r);
      void b.reply(r, { lines: [], state: 'idle' });
    });
    let corrupted = 0;
    wire.tamper = (to, bytes) => {
      if (to === 'b' && bytes.length > 1 && corrupted < 2) {
        corrupted++;
        const c = Buffer.from(bytes);
        c[5] ^= 0x01;
        return c;
      }
      return bytes;
    };
    const p = a.request({ cmd: 'screen' });
    await settle(wire);
    await p;
    expect(got).to.have.length(1);
    expect(a.stats.naksReceived).to.equal(2);
    expect(a.stats.retransmissions).to.equal(2);
    expect(b.stats.naksSent).to.equal(2);
  });

  test('a lost ACK makes the sender retransmit; the receiver ACKs again and drops the duplicate', async () => {
    const { sched, wire, a, b } = pair();
    const got: TtpRequest[] = [];
    b.on('request', (r) => got.push(r));
    let dropped = false;
    wire.tamper = (to, bytes) => {
      if (to === 'a' && bytes.length === 1 && bytes[0] === TTP_ACK && !dropped) {
        dropped = true;
        return null;
      }
      return bytes;
    };
    const p = a.request({ cmd: 'screen' });
    await settle(wire);
    sched.advance(100); // ACK timeout: retransmit
    await settle(wire);
    expect(got).to.have.length(1);
    expect(b.stats.duplicatesDropped).to.equal(1);
    expect(a.stats.ackTimeouts).to.equal(1);
    void b.reply(got[0], { lines: [], state: 'idle' });
    await settle(wire);
    await p;
  });

  test('a late ACK for a retransmitted frame is not credited to the next frame (no sequence bit in ACK)', async () => {
    const { sched, wire, a, b } = pair();
    const got: string[] = [];
    a.on('event', (e) => got.push((e as { lines: string[] }).lines[0]));
    // Terminal b sends E1; a's ACK for it is held back past b's ACK timeout.
    let held: Buffer | undefined;
    let droppedE2 = false;
    wire.tamper = (to, bytes) => {
      if (to === 'b' && bytes.length === 1 && !held) {
        held = bytes;
        return null;
      }
      if (to === 'a' && !droppedE2 && bytes.includes(Buffer.from('"E2"'))) {
        droppedE2 = true;
        return null;
      }
      return bytes;
    };
    const e1 = b.emitEvent({ evt: 'display', lines: ['E1'] });
    const e2 = b.emitEvent({ evt: 'display', lines: ['E2'] });
    await settle(wire);
    sched.advance(100); // ACK timeout: E1 again; a ACKs the duplicate at once
    await settle(wire);
    await e1;
    wire.queue.push({ to: 'b', bytes: held! }); // the late ACK of E1's first copy arrives now
    await settle(wire);
    expect(b.stats.strayAcks).to.equal(1);
    sched.advance(100); // drain over (or not needed); E2 goes out and is lost, then retransmitted
    await settle(wire);
    sched.advance(100);
    await settle(wire);
    await e2;
    expect(got).to.deep.equal(['E1', 'E2']);
  });

  test('no ACK after 1 + 3 transmissions: link broken, everything pending rejected, timers cleared', async () => {
    const { sched, wire, a } = pair();
    wire.tamper = () => null; // the terminal is deaf
    const broken: TtpLinkBrokenError[] = [];
    a.on('link-broken', (e) => broken.push(e));
    const p1 = a.request({ cmd: 'screen' });
    const p2 = a.request({ cmd: 'hello', ttp: '1.0' });
    for (let i = 0; i < 4; i++) {
      await settle(wire);
      sched.advance(100);
    }
    const [e1, e2] = await Promise.all([
      p1.then(
        () => null,
        (e) => e,
      ),
      p2.then(
        () => null,
        (e) => e,
      ),
    ]);
    expect(e1).to.be.instanceOf(TtpLinkBrokenError);
    expect(e1.message).to.match(/not acknowledged after 4 transmissions/);
    expect(e2).to.be.instanceOf(TtpLinkBrokenError);
    expect(broken).to.have.length(1);
    expect(a.stats.framesSent).to.equal(4);
    expect(sched.pendingTimers).to.equal(0);
    expect(a.isBroken).to.equal(true);
    const later = await a.request({ cmd: 'screen' }).then(
      () => null,
      (e) => e,
    );
    expect(later).to.be.instanceOf(TtpLinkBrokenError);
  });

  test('NAK on every attempt also breaks the link after the retransmission limit', async () => {
    const { wire, a } = pair();
    wire.tamper = (to, bytes) => (to === 'b' ? Buffer.from([0x15]) : bytes);
    wire.b.on('request', () => undefined);
    const p = a.request({ cmd: 'screen' }).then(
      () => null,
      (e) => e,
    );
    // Each NAK the "terminal" gets is garbage to it; the harness sees NAK for each frame.
    wire.tamper = (to, bytes) => {
      if (to === 'b') {
        wire.queue.push({ to: 'a', bytes: Buffer.from([0x15]) });
        return null;
      }
      return bytes;
    };
    await settle(wire);
    const err = await p;
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    expect(a.stats.naksReceived).to.equal(4);
  });

  test('resumeAfterBreak (terminal side): after a broken spell the channel serves the harness again', async () => {
    const sched = new ManualScheduler();
    const wire = new Wire();
    const a = new TtpChannel({
      write: (b) => {
        wire.queue.push({ to: 'b', bytes: Buffer.from(b) });
      },
      scheduler: sched,
      ackTimeoutMs: 100,
    });
    const b = new TtpChannel({
      write: (x) => {
        wire.queue.push({ to: 'a', bytes: Buffer.from(x) });
      },
      scheduler: sched,
      ackTimeoutMs: 100,
      resumeAfterBreak: true,
    });
    wire.a = a;
    wire.b = b;
    b.on('request', (r) => void b.reply(r, { lines: [], state: 'idle' }));
    const broken: unknown[] = [];
    b.on('link-broken', (e) => broken.push(e));
    wire.tamper = () => null; // harness unplugged
    const lost = b.emitEvent({ evt: 'beep' }).then(
      () => null,
      (e) => e,
    );
    for (let i = 0; i < 4; i++) {
      await settle(wire);
      sched.advance(100);
    }
    expect(await lost).to.be.instanceOf(TtpLinkBrokenError);
    expect(broken).to.have.length(1);
    wire.tamper = undefined; // plugged back in
    const p = a.request({ cmd: 'screen' });
    await settle(wire);
    expect((await p).state).to.equal('idle');
  });

  test('stop-and-wait: the second frame is not sent before the first is acknowledged', async () => {
    const { wire, a } = pair();
    void a.request({ cmd: 'screen' }).catch(() => undefined);
    void a.request({ cmd: 'screen' }).catch(() => undefined);
    expect(wire.queue).to.have.length(1);
    a.close();
  });

  test('an intact envelope around bad JSON is NAKed (LRC misses some double errors) and reported', async () => {
    const { wire, a, b } = pair();
    const errors: string[] = [];
    b.on('protocol-error', (e) => errors.push(e.reason));
    b.receive(encodeTtpFrameBytes(Buffer.from('{not json')));
    expect(errors).to.deep.equal(['bad-json']);
    expect(wire.queue.map((q) => [...q.bytes])).to.deep.equal([[0x15]]);
    void a;
  });

  test('a double bit error the LRC cannot see, which breaks the JSON, is repaired by retransmission', async () => {
    const { wire, a, b } = pair();
    const got: TtpRequest[] = [];
    b.on('request', (r) => {
      got.push(r);
      void b.reply(r, {});
    });
    let done = false;
    wire.tamper = (to, bytes) => {
      if (to !== 'b' || bytes.length < 10 || done) return bytes;
      done = true;
      const c = Buffer.from(bytes);
      c[3] ^= 0x01; // '{' -> 'z'
      c[5] ^= 0x01; // same bit column: LRC unchanged
      return c;
    };
    const p = a.request({ cmd: 'reset' });
    await settle(wire);
    await p;
    expect(got).to.have.length(1);
    expect(a.stats.naksReceived).to.equal(1);
  });

  test('a frame cut off mid-way is abandoned after the frame timeout and NAKed', async () => {
    const { sched, wire, b } = pair();
    b.on('request', () => undefined);
    const f = encodeTtpFrame({ id: 9, cmd: 'screen' });
    b.receive(f.subarray(0, 8));
    expect(wire.queue).to.have.length(0);
    sched.advance(1000);
    expect(wire.queue.map((q) => [...q.bytes])).to.deep.equal([[0x15]]);
    expect(b.stats.decodeErrors).to.equal(1);
  });

  test('close() rejects pending requests with TtpChannelClosedError and clears timers', async () => {
    const { sched, a } = pair();
    const p = a.request({ cmd: 'screen' });
    a.close();
    expect(
      await p.then(
        () => null,
        (e) => e,
      ),
    ).to.be.instanceOf(TtpChannelClosedError);
    expect(sched.pendingTimers).to.equal(0);
  });

  test('linkDown() from the byte link rejects pending work with TtpLinkBrokenError naming the cause', async () => {
    const { a } = pair();
    const p = a.request({ cmd: 'screen' });
    a.linkDown(Object.assign(new Error('serial device gone'), { code: 'link-down' }));
    const err = await p.then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TtpLinkBrokenError);
    expect(err.message).to.include('serial device gone');
  });

  test('synchronous write functions (direct channel-to-channel) keep frames in order', async () => {
    const sched = new ManualScheduler();
    let a!: TtpChannel;
    let b!: TtpChannel;
    a = new TtpChannel({ write: (x) => b.receive(x), scheduler: sched });
    b = new TtpChannel({ write: (x) => a.receive(x), scheduler: sched });
    const evts: number[] = [];
    a.on('event', (e) => evts.push(e.seq!));
    b.on('request', (r) => {
      void b.emitEvent({ evt: 'beep' });
      void b.emitEvent({ evt: 'beep' });
      void b.reply(r, { lines: [], state: 'idle' });
    });
    const r = await a.request({ cmd: 'screen' });
    expect(r.state).to.equal('idle');
    expect(evts).to.deep.equal([1, 2]);
  });

  test('the trace records every frame, ACK and retransmission with timestamps', async () => {
    const { wire, a, b } = pair();
    const trace: TtpTraceEntry[] = [];
    a.on('trace', (t) => trace.push(t));
    b.on('request', (r) => void b.reply(r, {}));
    const p = a.request({ cmd: 'reset' });
    await settle(wire);
    await p;
    expect(trace.map((t) => `${t.dir}:${t.kind}`)).to.deep.equal(['tx:frame', 'rx:ack', 'rx:frame', 'tx:ack']);
    const d = new TtpFrameDecoder();
    void d;
  });
});
