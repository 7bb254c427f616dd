/**
 * Reliability checks (§3, §3.1, §3.2): the checker withholds or refuses ACKs and watches what the
 * terminal sends again, and sends byte-identical copies of its own frames to see that they are
 * acknowledged but executed once.
 */
import { TTP_ACK, TTP_NAK } from '../../protocol/ttp';
import { CheckContext } from './context';
import { round } from './framing';
import { ProbeItem, delay, isReply } from './probe';

type FrameItem = Extract<ProbeItem, { kind: 'frame' }>;

function framesFrom(ctx: CheckContext, from: number): FrameItem[] {
  return ctx.probe.items.slice(from).filter((it): it is FrameItem => it.kind === 'frame');
}

export async function checkLink(ctx: CheckContext): Promise<void> {
  const p = ctx.probe;
  const ackTimeout = ctx.opts.ackTimeoutMs;
  await delay(50);

  // LINK-RETRANSMIT-NAK: NAK the reply, expect the identical frame again.
  p.autoAnswer = 'none';
  try {
    const id = p.allocateId();
    const from = p.mark;
    await p.write(p.frameOf({ id, cmd: 'screen' }));
    const first = (await p.waitFor((it) => it.kind === 'frame', 2000, from)) as FrameItem | undefined;
    if (!first) {
      ctx.record('LINK-RETRANSMIT-NAK', 'not-judged', 'the terminal sent nothing after a screen request');
    } else {
      const at = p.mark;
      await p.write(Buffer.from([TTP_NAK]));
      const again = (await p.waitFor((it) => it.kind === 'frame', ackTimeout + 300, at)) as FrameItem | undefined;
      ctx.expect(
        'LINK-RETRANSMIT-NAK',
        again !== undefined && again.raw.equals(first.raw),
        !again
          ? 'after NAK the frame was not sent again'
          : again.raw.equals(first.raw)
            ? `after NAK the identical frame came again ${round(again.at - first.at)} ms later`
            : 'after NAK a different frame came (the NAKed frame was given up)',
      );
      await p.write(Buffer.from([TTP_ACK]));
      await delay(100);
    }
  } finally {
    p.autoAnswer = 'ack';
  }
  await settle(ctx);

  // LINK-RETRANSMIT-TIMEOUT, -LIMIT, STOP-AND-WAIT, RESUME: two requests, no ACK for anything.
  p.autoAnswer = 'none';
  let copies: FrameItem[] = [];
  let others: FrameItem[] = [];
  const windowStart = p.mark;
  try {
    await p.write(p.frameOf({ id: p.allocateId(), cmd: 'screen' }));
    await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, windowStart);
    const second = p.mark;
    await p.write(p.frameOf({ id: p.allocateId(), cmd: 'screen' }));
    await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, second);
    await delay(4 * ackTimeout + 600);
    const frames = framesFrom(ctx, windowStart);
    if (frames.length > 0) {
      copies = frames.filter((f) => f.raw.equals(frames[0].raw));
      others = frames.filter((f) => !f.raw.equals(frames[0].raw));
    }
  } finally {
    p.autoAnswer = 'ack';
  }
  ctx.seqGapsAllowedAt.push(p.mark);
  if (copies.length === 0) {
    for (const id of ['LINK-RETRANSMIT-TIMEOUT', 'LINK-RETRANSMIT-LIMIT', 'LINK-STOP-AND-WAIT', 'TIME-ACK-TIMEOUT'])
      ctx.record(id, 'not-judged', 'the terminal sent nothing while its frames went unacknowledged');
  } else {
    const gaps = copies.slice(1).map((c, i) => c.at - copies[i].at);
    const mean = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : undefined;
    ctx.expect(
      'LINK-RETRANSMIT-TIMEOUT',
      copies.length >= 2,
      copies.length >= 2
        ? `unacknowledged frame sent ${copies.length} times, ${gaps.map((g) => `${round(g)} ms`).join(', ')} apart`
        : 'unacknowledged frame sent once, never again',
      mean !== undefined ? { transmissions: copies.length, meanIntervalMs: round(mean) } : { transmissions: copies.length },
    );
    if (copies.length > 4) ctx.fail('LINK-RETRANSMIT-LIMIT', `unacknowledged frame sent ${copies.length} times (at most 4: 1 + 3 retransmissions)`);
    else if (copies.length === 4) ctx.pass('LINK-RETRANSMIT-LIMIT', 'sent 4 times (1 + 3 retransmissions), then stopped');
    else
      ctx.record(
        'LINK-RETRANSMIT-LIMIT',
        'not-judged',
        `sent only ${copies.length} time(s): the limit was not reached (see LINK-RETRANSMIT-TIMEOUT)`,
      );
    ctx.expect(
      'LINK-STOP-AND-WAIT',
      others.length === 0 || others[0].at > copies[copies.length - 1].at + 1,
      others.length === 0
        ? 'the second reply waited while the first was unacknowledged'
        : 'a different frame was sent while the first was unacknowledged',
    );
    if (mean !== undefined) {
      const ok = Math.abs(mean - ackTimeout) <= Math.max(100, ackTimeout * 0.2);
      ctx.expect('TIME-ACK-TIMEOUT', ok, `retransmission interval ${round(mean)} ms (harness ACK timeout ${ackTimeout} ms)`, {
        meanIntervalMs: round(mean),
      });
    } else {
      ctx.record('TIME-ACK-TIMEOUT', 'not-judged', 'no retransmission to measure');
    }
  }
  {
    const r = await ctx.request({ cmd: 'screen' }, { timed: false });
    ctx.expect(
      'LINK-RESUME',
      r.reply?.ok === true,
      r.reply ? 'the next request after the broken link was answered' : 'the next request after the broken link was not answered',
    );
  }
  await settle(ctx);

  // LINK-DUPLICATE: the same request frame twice.
  {
    const id = p.allocateId();
    const f = p.frameOf({ id, cmd: 'screen' });
    const from = p.mark;
    await p.write(f);
    const a1 = await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, from);
    const mid = p.mark;
    await p.write(f);
    const a2 = await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, mid);
    await delay(600);
    const replies = framesFrom(ctx, from).filter((it) => isReply(it.message) && it.message.id === id);
    // Every reply is ACKed at once, so two replies with this id are two executions, not a retransmission.
    ctx.expect(
      'LINK-DUPLICATE',
      a1?.kind === 'ack' && a2?.kind === 'ack' && replies.length === 1,
      `the same screen request twice: ${a1?.kind ?? 'no answer'} / ${a2?.kind ?? 'no answer'}, ${replies.length === 0 ? 'no reply' : replies.length > 1 ? `executed ${replies.length} times (${replies.length} replies)` : 'executed once'}`,
    );
  }

  // LINK-SESSION (§3.2 items 3 and 4): a retransmitted hello with a session is answered once; a
  // hello without session (a first-edition harness reconnecting with the same bytes) always.
  {
    const replies = async (f: Buffer, id: number): Promise<number> => {
      const from = p.mark;
      await p.write(f);
      await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, from);
      const mid = p.mark;
      await p.write(f);
      await p.waitFor((it) => it.kind === 'ack' || it.kind === 'nak', ackTimeout, mid);
      await delay(500);
      return framesFrom(ctx, from).filter((it) => isReply(it.message) && it.message.id === id).length;
    };
    const sid = p.allocateId();
    const withSession = await replies(p.frameOf({ cmd: 'hello', ttp: '1.0', session: 1 + Math.floor(Math.random() * 0x7ffffffe), id: sid }), sid);
    const lid = p.allocateId();
    const legacy = await replies(p.frameOf({ id: lid, cmd: 'hello', ttp: '1.0', client: 'poscert ttp check' }), lid);
    ctx.expect(
      'LINK-SESSION',
      withSession === 1 && legacy === 2,
      `hello with session sent twice: answered ${withSession} time(s) (once expected); hello without session sent twice: answered ${legacy} time(s) (twice expected)`,
    );
  }
  await settle(ctx);

  // LINK-REOPEN (§3.2 item 5): the old link's last accepted frame, first on the new link.
  if (!ctx.opts.reopen) {
    ctx.record(
      'LINK-REOPEN',
      'not-applicable',
      'the terminal cannot see this link close (a serial line, or ser2net in front of one); give --reopen-visible when it listens itself (TCP, USB CDC-ACM)',
    );
  } else {
    const id = p.allocateId();
    const f = p.frameOf({ id, cmd: 'screen' });
    const from = p.mark;
    await p.write(f);
    const first = await p.waitFor((it) => it.kind === 'frame' && isReply(it.message) && it.message.id === id, 2000, from);
    await ctx.opts.reopen();
    await delay(100);
    const mid = p.mark;
    await p.write(f);
    const again = await p.waitFor((it) => it.kind === 'frame' && isReply(it.message) && it.message.id === id, 2000, mid);
    ctx.expect(
      'LINK-REOPEN',
      first !== undefined && again !== undefined,
      !first
        ? 'the request before the reopen was not answered'
        : again
          ? 'after close and reopen the same request bytes were executed again'
          : "after close and reopen the same request bytes were taken for a duplicate of the old link's frame (ACK, no reply)",
    );
    await ctx.request({ cmd: 'hello', ttp: '1.0', client: 'poscert ttp check', session: 1 + Math.floor(Math.random() * 0x7ffffffe) });
  }
}

/** Let frames in flight arrive and be acknowledged. */
async function settle(ctx: CheckContext): Promise<void> {
  await delay(Math.min(200, ctx.opts.ackTimeoutMs));
}
