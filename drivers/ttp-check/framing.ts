/**
 * Framing, NAK and resynchronisation checks (§2, §3 items 2-3 and 5, §4): damaged frames are
 * built byte by byte and written raw, and the terminal's ACK/NAK and replies are timed.
 */
import { TTP_ACK, TTP_NAK } from '../../protocol/ttp';
import { CheckContext, describeReply } from './context';
import { ProbeItem, delay, isReply } from './probe';

/** A NAK "at once" arrives well before any frame timeout would fire. */
const AT_ONCE_MS = 200;

function nakWithin(ctx: CheckContext, from: number, ms: number): Promise<ProbeItem | undefined> {
  return ctx.probe.waitFor((it) => it.kind === 'nak' || it.kind === 'ack', ms, from);
}

function replyTo(ctx: CheckContext, id: number, from: number, ms: number): Promise<ProbeItem | undefined> {
  return ctx.probe.waitFor((it) => it.kind === 'frame' && isReply(it.message) && it.message.id === id, ms, from);
}

/**
 * A damaged frame whose leftover bytes cannot start a false frame when the terminal rescans it:
 * ids are drawn until the LRC byte is none of STX, ETX, ACK, NAK (the LEN bytes of these short
 * frames never are), so that a late NAK cannot be mistaken for the answer to the next check.
 */
function cleanDamaged(ctx: CheckContext, damage: (f: Buffer) => void): Buffer {
  for (;;) {
    const f = ctx.probe.frameOf({ id: ctx.probe.allocateId(), cmd: 'screen' });
    damage(f);
    if (![0x02, 0x03, 0x06, 0x15].includes(f[f.length - 1])) return f;
  }
}

/** Checks that need only ACK/NAK from the terminal (they run even when its replies are unreadable). */
export async function checkNaks(ctx: CheckContext): Promise<void> {
  const p = ctx.probe;
  const ackTimeout = ctx.opts.ackTimeoutMs;

  // FRAME-ACK: the worked example of §2.2, byte for byte.
  {
    const worked = Buffer.from('0200177b226964223a312c22636d64223a2273637265656e227d0364', 'hex');
    const from = p.mark;
    const sentAt = await p.write(worked);
    const ans = await nakWithin(ctx, from, ackTimeout);
    const ok = ans?.kind === 'ack';
    ctx.expect(
      'FRAME-ACK',
      ok,
      ok
        ? `ACK ${Math.round(ans!.at - sentAt)} ms after the worked example frame`
        : `the worked example frame got ${ans ? ans.kind.toUpperCase() : `no answer within ${ackTimeout} ms`}`,
      ok ? { ackDelayMs: round(ans!.at - sentAt) } : undefined,
    );
    if (ok) ctx.ackDelays.push(ans!.at - sentAt);
    await replyTo(ctx, 1, from, 1000);
  }

  // FRAME-NAK-LRC
  {
    const f = cleanDamaged(ctx, (x) => {
      x[x.length - 1] ^= 0x01;
    });
    const id = JSON.parse(f.subarray(3, f.length - 2).toString()).id as number;
    const from = p.mark;
    await p.write(f);
    const ans = await nakWithin(ctx, from, ackTimeout);
    const acted = await replyTo(ctx, id, from, 300);
    ctx.expect(
      'FRAME-NAK-LRC',
      ans?.kind === 'nak' && !acted,
      `frame with LRC off by one bit: ${ans ? ans.kind.toUpperCase() : 'no answer'}${acted ? ', and the command was executed (reply received)' : ', not executed'}`,
    );
  }

  // FRAME-NAK-ETX
  {
    const f = cleanDamaged(ctx, (x) => {
      x[x.length - 2] = 0x04;
    });
    const from = p.mark;
    await p.write(f);
    const ans = await nakWithin(ctx, from, ackTimeout);
    ctx.expect(
      'FRAME-NAK-ETX',
      ans?.kind === 'nak',
      `frame with 04 where ETX belongs: ${ans ? ans.kind.toUpperCase() : `no answer within ${ackTimeout} ms`}`,
    );
  }

  // FRAME-NAK-OVERSIZE: STX and a LEN of 65535, nothing more.
  {
    const from = p.mark;
    const sentAt = await p.write(Buffer.from([0x02, 0xff, 0xff]));
    const ans = await nakWithin(ctx, from, ackTimeout);
    const ms = ans ? ans.at - sentAt : undefined;
    ctx.expect(
      'FRAME-NAK-OVERSIZE',
      ans?.kind === 'nak' && ms! <= AT_ONCE_MS,
      ans?.kind === 'nak'
        ? `LEN 65535: NAK after ${round(ms!)} ms${ms! > AT_ONCE_MS ? ` (not at once: over ${AT_ONCE_MS} ms, the frame timeout rather than the LEN check)` : ''}`
        : `LEN 65535: ${ans ? ans.kind.toUpperCase() : `no NAK within ${ackTimeout} ms`}`,
      ms !== undefined ? { nakAfterMs: round(ms) } : undefined,
    );
  }

  // FRAME-NAK-INVALID: an intact envelope around a payload that is not a message.
  {
    const results: string[] = [];
    let ok = true;
    for (const [what, payload] of [
      ['not JSON', '{"id":7,"cmd":"screen"'],
      ['JSON but not a message', '{"foo":1}'],
      ['not UTF-8', '{"id":7,"cmd":"\u00ff"}'],
    ] as const) {
      const bytes =
        what === 'not UTF-8' ? Buffer.from([...Buffer.from('{"id":7,"cmd":"'), 0xff, ...Buffer.from('"}')]) : Buffer.from(payload, 'utf8');
      const f = Buffer.alloc(bytes.length + 5);
      f[0] = 0x02;
      f.writeUInt16BE(bytes.length, 1);
      bytes.copy(f, 3);
      f[3 + bytes.length] = 0x03;
      let lrc = 0;
      for (let i = 1; i < 4 + bytes.length; i++) lrc ^= f[i];
      f[4 + bytes.length] = lrc;
      const from = p.mark;
      await p.write(f);
      const ans = await nakWithin(ctx, from, ackTimeout);
      if (ans?.kind !== 'nak') ok = false;
      results.push(`${what}: ${ans ? ans.kind.toUpperCase() : 'no answer'}`);
    }
    ctx.expect('FRAME-NAK-INVALID', ok, results.join('; '));
  }

  // FRAME-TIMEOUT: the first 10 bytes of a frame, then silence.
  {
    const f = p.frameOf({ id: p.allocateId(), cmd: 'screen' });
    const from = p.mark;
    const sentAt = await p.write(f.subarray(0, 10));
    const ans = await nakWithin(ctx, from, ackTimeout + 300);
    const ms = ans ? ans.at - sentAt : undefined;
    ctx.expect(
      'FRAME-TIMEOUT',
      ans?.kind === 'nak' && ms! < ackTimeout,
      ans?.kind === 'nak'
        ? `partial frame NAKed ${round(ms!)} ms after its last byte${ms! >= ackTimeout ? ` (not before the ${ackTimeout} ms ACK timeout)` : ''}`
        : `partial frame: ${ans ? ans.kind.toUpperCase() : 'never NAKed'}`,
      ms !== undefined ? { frameTimeoutMs: round(ms) } : undefined,
    );
  }

  // FRAME-STRAY-ANSWER: ACK and NAK with nothing outstanding (everything the terminal sent is acknowledged).
  {
    await delay(100);
    const lastFrame = [...p.items].reverse().find((it) => it.kind === 'frame');
    const from = p.mark;
    await p.write(Buffer.from([TTP_NAK, TTP_ACK, TTP_NAK]));
    const copies = (await p.collect(from, ackTimeout)).filter(
      (it) => it.kind === 'frame' && lastFrame?.kind === 'frame' && it.raw.equals(lastFrame.raw),
    );
    ctx.expect(
      'FRAME-STRAY-ANSWER',
      copies.length === 0,
      copies.length === 0
        ? 'NAK ACK NAK with nothing outstanding: ignored'
        : `NAK ACK NAK with nothing outstanding: the terminal sent its last frame again ${copies.length} time(s)`,
    );
  }
}

/** Checks that also need readable replies. */
export async function checkResync(ctx: CheckContext): Promise<void> {
  const p = ctx.probe;
  const ackTimeout = ctx.opts.ackTimeoutMs;

  // FRAME-NAK-CONTROL and FRAME-RESYNC-DAMAGED: LEN enlarged by a bit error, a good frame right behind.
  {
    const bad = p.frameOf({ id: p.allocateId(), cmd: 'screen' });
    bad[2] = (bad[2] + 0x40) & 0xff;
    const goodId = p.allocateId();
    const good = p.frameOf({ id: goodId, cmd: 'screen' });
    const from = p.mark;
    const sentAt = await p.write(Buffer.concat([bad, good]));
    const nak = await p.waitFor((it) => it.kind === 'nak', ackTimeout, from);
    const ms = nak ? nak.at - sentAt : undefined;
    ctx.expect(
      'FRAME-NAK-CONTROL',
      nak !== undefined && ms! <= AT_ONCE_MS,
      nak
        ? `LEN enlarged so that the real ETX falls in the payload: NAK after ${round(ms!)} ms${ms! > AT_ONCE_MS ? ' (only after the frame timeout: payload bytes are not checked as they arrive)' : ''}`
        : 'LEN enlarged: never NAKed',
      ms !== undefined ? { nakAfterMs: round(ms) } : undefined,
    );
    const reply = await replyTo(ctx, goodId, from, ackTimeout + 1500);
    ctx.expect(
      'FRAME-RESYNC-DAMAGED',
      reply !== undefined,
      reply
        ? 'the good frame behind the damaged one was found and answered'
        : "the good frame behind the damaged one was swallowed (scanning did not resume after the damaged frame's STX)",
    );
  }

  // FRAME-RESYNC-NOISE
  {
    const id = p.allocateId();
    const from = p.mark;
    await p.write(Buffer.concat([Buffer.from([0x00, 0xff, 0x41, 0x7b, 0x03, 0x20, 0x80]), p.frameOf({ id, cmd: 'screen' })]));
    const reply = await replyTo(ctx, id, from, 2000);
    ctx.expect('FRAME-RESYNC-NOISE', reply !== undefined, reply ? '7 noise bytes, then a frame: answered' : '7 noise bytes, then a frame: no reply');
  }

  // FRAME-MAX-PAYLOAD: a request padded (with an unknown member) to exactly the maximum.
  {
    const max = ctx.maxPayload();
    const id = p.allocateId();
    const base = JSON.stringify({ id, cmd: 'screen', 'x-poscert-padding': '' }).length;
    const frame = p.frameOf({ id, cmd: 'screen', 'x-poscert-padding': 'p'.repeat(Math.max(0, max - base)) });
    // At 115200 baud 16 KB take 1.4 s on the wire: the ACK cannot come sooner.
    const airMs = Math.ceil((frame.length * 10 * 1000) / 115200);
    const r = await p.requestFrame(frame, id, { ackTimeoutMs: ctx.opts.ackTimeoutMs + airMs, timeoutMs: 3000 });
    ctx.expect(
      'FRAME-MAX-PAYLOAD',
      r.transmissions === 1 && r.reply?.ok === true,
      `${frame.length - 5}-byte payload (maximum ${max}${ctx.hello?.maxPayload !== undefined ? ', declared' : ', TTP default'}): ${r.transmissions > 1 ? `needed ${r.transmissions} transmissions, ` : ''}${describeReply(r)}`,
    );
  }

  // FRAME-UNKNOWN-MEMBERS
  {
    const r = await ctx.request({ cmd: 'screen', futureMember: { nested: [1, 'two', null] }, 'x-vendor': true });
    ctx.expect('FRAME-UNKNOWN-MEMBERS', r.reply?.ok === true, `screen with members futureMember and x-vendor: ${describeReply(r)}`);
  }
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
