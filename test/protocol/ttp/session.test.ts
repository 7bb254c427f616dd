// TTP sessions (docs/terminal-test-protocol.md §3.2): a terminal channel that outlives harness
// connections (serial line, ser2net) must answer every new connection's hello, drop a real
// retransmission once, and forget duplicates after the window. Plus the worked example's bytes.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TTP_ACK, TtpChannel, TtpMessage, TtpRequest, TtpScheduler, encodeTtpFrame } from '../../../protocol/ttp';

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

const HELLO_RESULT = {
  ttp: '1.0',
  vendor: 'v',
  model: 'm',
  serialNumber: 's',
  firmwareVersion: 'f',
  capabilities: { magstripe: true, contact: true, contactless: true, printer: true, pinpad: true, sm4: false },
};

/** A terminal-side channel fed raw frames, as a serial line that stays up between harness runs delivers them. */
function terminal(opts: { ackTimeoutMs?: number } = {}) {
  const sched = new ManualScheduler();
  const sent: Buffer[] = [];
  const t = new TtpChannel({
    write: (b) => {
      sent.push(Buffer.from(b));
    },
    scheduler: sched,
    name: 'terminal',
    ackTimeoutMs: opts.ackTimeoutMs ?? 100,
  });
  const requests: TtpRequest[] = [];
  const sessions: Array<number | undefined> = [];
  t.on('request', (r) => {
    requests.push(r);
    if (r.cmd === 'hello') void t.reply(r, HELLO_RESULT);
    else void t.reply(r, {});
  });
  t.on('session', ({ session }) => sessions.push(session));
  /** The harness side: deliver a frame, and ACK whatever the terminal sent back. */
  const deliver = (m: TtpMessage) => {
    t.receive(encodeTtpFrame(m));
    t.receive(Buffer.from([TTP_ACK]));
  };
  return { sched, t, sent, requests, sessions, deliver };
}

describe('TTP sessions (§3.2)', () => {
  test('the issue: two runs against a terminal that stays up, each starting with {"id":1,"cmd":"hello"}, both answered', () => {
    // A TTP 1.0 harness (no session member) that restarts ids at 1: the hello is executed every time.
    const { requests, deliver, sessions } = terminal();
    const hello = { id: 1, cmd: 'hello', ttp: '1.0', client: 'poscert 0.1.0' } as TtpMessage;
    deliver(hello);
    deliver(hello);
    expect(requests.map((r) => r.cmd)).to.deep.equal(['hello', 'hello']);
    expect(sessions).to.deep.equal([undefined, undefined]);
  });

  test('a new session nonce starts a new session; the same hello again within the window is a retransmission', () => {
    const { t, requests, deliver, sessions } = terminal();
    deliver({ cmd: 'hello', ttp: '1.0', session: 1234567890, id: 7001 } as TtpMessage);
    deliver({ cmd: 'screen', id: 7002 } as TtpMessage);
    deliver({ cmd: 'hello', ttp: '1.0', session: 987654321, id: 52113 } as TtpMessage);
    deliver({ cmd: 'hello', ttp: '1.0', session: 987654321, id: 52113 } as TtpMessage); // ACK lost, sent again
    expect(requests.map((r) => `${r.cmd}:${r.id}`)).to.deep.equal(['hello:7001', 'screen:7002', 'hello:52113']);
    expect(sessions).to.deep.equal([1234567890, 987654321]);
    expect(t.stats.sessions).to.equal(2);
    expect(t.stats.duplicatesDropped).to.equal(1);
  });

  test('an identical frame after the duplicate window is executed (it cannot be a retransmission)', () => {
    const { sched, t, requests, deliver } = terminal({ ackTimeoutMs: 100 });
    const screen = { id: 5, cmd: 'screen' } as TtpMessage;
    deliver(screen);
    sched.advance(300);
    deliver(screen); // within 2 × (3 + 1) × 100 ms: a retransmission
    sched.advance(799);
    deliver(screen); // 799 ms after the last copy: still within the window
    sched.advance(801);
    deliver(screen); // after the window: a new frame
    expect(requests).to.have.length(2);
    expect(t.stats.duplicatesDropped).to.equal(2);
  });

  test('harness channels start their ids where told (random per connection in the driver); bad values are refused', async () => {
    const sched = new ManualScheduler();
    const out: Buffer[] = [];
    const h = new TtpChannel({
      write: (b) => {
        out.push(Buffer.from(b));
      },
      scheduler: sched,
      firstId: 52113,
    });
    void h.request({ cmd: 'hello', ttp: '1.0', session: 987654321 }).catch(() => undefined);
    expect(out[0].equals(encodeTtpFrame({ cmd: 'hello', ttp: '1.0', session: 987654321, id: 52113 } as TtpMessage))).to.equal(true);
    h.close();
    for (const bad of [0, -1, 1.5, 2 ** 31]) {
      expect(() => new TtpChannel({ write: () => undefined, scheduler: sched, firstId: bad })).to.throw(RangeError);
    }
  });

  test("worked example of §3.2: the document's bytes are what the encoder produces", () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'terminal-test-protocol.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### 3.2 Sessions'), doc.indexOf('## 4. Resynchronisation'));
    expect(section.length).to.be.greaterThan(0);
    const json = /→ (\{"cmd":"hello".*\})/.exec(section)![1];
    const blocks = [...section.matchAll(/```\n([0-9a-f ]+(?:\n[0-9a-f ]+)*)\n```/g)].map((m) => m[1]);
    expect(blocks).to.have.length(1);
    const hex = blocks[0].replace(/\s+/g, '');
    const frame = encodeTtpFrame(JSON.parse(json) as TtpMessage);
    expect(hex).to.equal(frame.toString('hex'));
    expect(section).to.include(`${frame.readUInt16BE(1)} (\`0x${frame.readUInt16BE(1).toString(16)}\`) bytes`);
    expect(section).to.include(`LRC \`0x${frame[frame.length - 1].toString(16)}\``);
    expect(section).to.include(`the same ${frame.length} bytes again`);
  });
});
