/**
 * Fuzz target: the emulated terminal over TTP. An EmulatedTerminal on an in-process emu: link gets
 * generated and mutated commands (known commands with wrong arguments, unknown commands, raw frames
 * with bad envelopes), and runs sales against the reference host through a TCP proxy that mutates
 * the host's replies (flipped bytes, truncated frames, wrong lengths, dropped replies).
 *
 * A crash is: an untyped rejection, a reply without `ok`, a terminal that stops answering `screen`
 * (a hang), an unhandled rejection in the process (counted by the caller). A sale through a mutated
 * reply may end any way the terminal chooses (declined, MAC error, timeout and reversal) but must end.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { createEmuLinkPair } from '../../links';
import { EmulatedTerminal } from '../../emulator';
import { ReferenceHost } from '../../host';
import { TtpChannel, encodeTtpFrameBytes, type TtpCommand, type TtpResponse } from '../../protocol/ttp';
import { PoscertError } from '../../errors';
import { MERCHANT_ID, TEST_TMK, card, testHostConfig } from '../emulator/harness';
import { count, crash, mutate, mutationArb, newReport, type FuzzBudget, type FuzzReport, type Mutation } from './engine';

const KNOWN = ['hello', 'reset', 'power', 'key', 'card', 'screen', 'config', 'clock', 'ecr'];

const commandArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc
    .record({
      cmd: fc.constantFrom(...KNOWN, 'x-unknown', '', 'HELLO'),
      args: fc.dictionary(
        fc.constantFrom('keys', 'action', 'method', 'card', 'set', 'request', 'amount', 'x-text', 'lines', 'ttp'),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 4 },
      ),
    })
    .map(({ cmd, args }) => ({ ...args, cmd })),
  fc.record({
    cmd: fc.constant('key'),
    keys: fc.array(fc.oneof(fc.constantFrom('0', '1', '9', 'ENTER', 'CANCEL', 'CLEAR', 'F1', 'UP'), fc.string({ maxLength: 3 })), { maxLength: 12 }),
  }),
  fc.record({
    cmd: fc.constant('card'),
    action: fc.constantFrom('present', 'remove', 'x'),
    method: fc.constantFrom('swipe', 'insert', 'tap', 'wave'),
    card: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
  }),
  fc.record({
    cmd: fc.constant('ecr'),
    request: fc.constantFrom('sale', 'void', 'refund', 'balance', 'settle', 'reprint', 'x'),
    amount: fc.oneof(fc.constantFrom('1', '0', '-1', '999999999999', '1.5', ''), fc.string({ maxLength: 8 })),
  }),
  fc.record({
    cmd: fc.constant('config'),
    set: fc.dictionary(fc.constantFrom('host', 'tpdu', 'terminalId', 'merchantId', 'x-tampered', 'language'), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 3,
    }),
  }),
);

/** A TCP proxy to the host that mutates the host's replies by a seeded plan. */
async function mutatingProxy(hostPort: number, plan: () => Mutation[] | 'drop' | undefined): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(hostPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      const p = plan();
      if (p === 'drop') return;
      client.write(p ? mutate(d, p) : d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

export async function fuzzEmulatorTtp(budget: FuzzBudget): Promise<FuzzReport> {
  const r = newReport('emulator over ttp');
  const t0 = Date.now();
  const config = testHostConfig();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-fuzz-emu-'));
  const host = await ReferenceHost.start({ config, port: 0 });
  const plans = fc.sample(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant('drop' as const) },
    ),
    { seed: budget.seed, numRuns: 997 },
  );
  let planIndex = 0;
  const proxy = await mutatingProxy(host.port, () => plans[planIndex++ % plans.length]);
  const [harnessLink, terminalLink] = createEmuLinkPair('emu:fuzz');
  const terminal = new EmulatedTerminal({
    hostUrl: `tcp://127.0.0.1:${proxy.port}`,
    statePath: path.join(dir, 'state.json'),
    terminalId: 'EMU00001',
    merchantId: MERCHANT_ID,
    merchantName: '上海测试便利店',
    tmk: TEST_TMK,
    voucherCopies: 1,
    timeouts: { hostResponseMs: 400, hostConnectMs: 1000, cardMs: 2000, pinMs: 2000, idleMs: 5000 },
  });
  terminal.attach(terminalLink);
  const channel = new TtpChannel({
    write: (b) => harnessLink.write(b),
    scheduler: {
      setTimeout: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return t;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      now: () => Date.now(),
    },
    name: 'fuzz-harness',
    responseTimeoutMs: 10_000,
  });
  harnessLink.on('data', (b: Buffer) => channel.receive(b));
  const request = async (c: Record<string, unknown>): Promise<TtpResponse | string> => {
    try {
      return await channel.requestRaw(c as unknown as TtpCommand);
    } catch (err) {
      return err instanceof PoscertError ? err.code : `untyped ${(err as Error).message}`;
    }
  };
  try {
    await terminal.powerOn();
    const commands = fc.sample(commandArb, { seed: budget.seed, numRuns: budget.count });
    const image = card(config, 'MAG');
    for (let i = 0; i < commands.length; i++) {
      if (Date.now() - t0 > budget.timeMs) {
        r.stoppedByTime = true;
        break;
      }
      r.inputs++;
      const c = commands[i];
      if (c.cmd === 'power' && c.action === 'cut') continue; // a cut terminal answers nothing until powered on: not a finding
      const res = await request(c);
      if (typeof res === 'string') {
        if (res.startsWith('untyped')) crash(r, res, JSON.stringify(c));
        else {
          r.typedErrors++;
          count(r, `channel ${res}`);
        }
      } else if (typeof res.ok !== 'boolean') crash(r, 'a reply without ok', JSON.stringify(res));
      else if (res.ok) {
        r.accepted++;
        count(r, `${String(c.cmd)} ok`);
      } else {
        r.typedErrors++;
        count(r, `error ${res.error?.code}`);
      }
      // Every 16 inputs: a raw frame with a mutated envelope, then a sale through the mutating proxy.
      if (i % 16 === 15) {
        const raw = mutate(encodeTtpFrameBytes(Buffer.from(JSON.stringify({ id: 999_000 + i, ...c }))), [{ op: 'flip', at: i, bit: i % 8 }]);
        await harnessLink.write(raw);
        r.inputs++;
        await request({ cmd: 'key', keys: ['CANCEL', 'CANCEL'] });
        await request({ cmd: 'card', action: 'remove' });
        await request({ cmd: 'key', keys: ['1'] });
        await request({ cmd: 'key', keys: ['1', '0', '0', 'ENTER'] });
        await request({ cmd: 'card', action: 'present', method: 'swipe', card: image });
        await request({ cmd: 'key', keys: ['1', '2', '3', '4', '5', '6', 'ENTER'] });
        await new Promise((res) => setTimeout(res, 50));
        r.inputs++;
      }
      // The terminal must still answer.
      if (i % 8 === 7) {
        const alive = await request({ cmd: 'screen' });
        if (typeof alive === 'string' || !alive.ok) {
          // Power it back if a command switched it off; otherwise it stopped answering.
          const on = await request({ cmd: 'power', action: 'on' });
          if (typeof on === 'string') {
            r.hangs++;
            crash(r, `the terminal stopped answering (${alive}, then ${on})`, JSON.stringify(commands.slice(Math.max(0, i - 8), i + 1)));
            break;
          }
        }
      }
    }
    r.notes.push(
      `host replies mutated or dropped by the proxy: ${planIndex} replies passed through; host journal ${host.control.journal({}).length} rows`,
    );
  } finally {
    r.ms = Date.now() - t0;
    channel.close();
    await terminal.shutdown().catch(() => undefined);
    await harnessLink.close().catch(() => undefined);
    await terminalLink.close().catch(() => undefined);
    await proxy.close();
    await host.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return r;
}
