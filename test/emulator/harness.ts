/**
 * Test harness for the emulator's integration tests: a real reference host over TCP, a socat PTY
 * pair whose two ends are opened with serialport (links/ SerialLink), and a small TTP client that
 * records every event so tests can wait for screens and collect vouchers. Everything started here
 * is stopped by `close()`.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ByteLink, openLink } from '../../links';
import { TtpChannel, TtpCommand, TtpDisplayEvent, TtpEvent, TtpPrintEvent, TtpResponse, TtpCardImage } from '../../protocol/ttp';
import { EmulatedTerminal, EmulatorOptions } from '../../emulator';
import { HostConfig, ReferenceHost, cardByAlias, hostConfigFromObject, terminalCardImage } from '../../host';

export const TEST_TMK = '11111111111111111111111111111111';
export const MERCHANT_ID = '898310054110001';
export const IMK = '0123456789ABCDEFFEDCBA9876543210';
export const SM4_TMK = '0123456789ABCDEFFEDCBA9876543210';

/** Terminals EMU00001..EMU00060 on one merchant; cards for every decision the tests need. */
export function testHostConfig(): HostConfig {
  const terminals = [];
  for (let i = 1; i <= 60; i++) {
    terminals.push({ terminalId: `EMU${String(i).padStart(5, '0')}`, merchantId: MERCHANT_ID, keyScheme: '3DES', tmk: TEST_TMK });
  }
  terminals.push({ terminalId: 'EMUSM401', merchantId: MERCHANT_ID, keyScheme: 'SM4', tmk: SM4_TMK });
  return hostConfigFromObject(
    {
      merchants: [
        {
          merchantId: MERCHANT_ID,
          name: '上海测试便利店',
          mcc: '5411',
          settlementAccount: { bank: '中国工商银行', accountNumber: '1001200309000012345', accountName: '上海测试便利店有限公司' },
        },
      ],
      terminals,
      issuerKeys: [{ id: 'IMK1', imk: IMK, algorithm: 'tdes' }],
      cards: [
        { alias: 'MAG', pan: '6212345678901265', expiry: '3012', serviceCode: '101', pin: '123456', account: 'debit', openingBalance: '10000.00' },
        {
          alias: 'IC',
          pan: '6200000000000047',
          expiry: '3112',
          serviceCode: '220',
          psn: '01',
          pin: '123456',
          account: 'debit',
          openingBalance: '10000.00',
          interfaces: ['insert', 'tap', 'swipe'],
          emv: { issuerKey: 'IMK1', aid: 'A000000333010101', appLabel: 'UnionPay Debit', atcStart: 1 },
        },
        {
          alias: 'LOST',
          pan: '6212345678901232',
          expiry: '3012',
          serviceCode: '101',
          pin: '123456',
          account: 'debit',
          status: 'lost',
          openingBalance: '1000.00',
        },
        // A foreign card: the host answers 63.1 = VIS (cup8583.md §2.6); a credit card the issuer takes without PIN.
        {
          alias: 'VISA',
          pan: '4012888888881881',
          expiry: '3012',
          serviceCode: '101',
          pin: '888888',
          account: 'credit',
          requirePin: false,
          openingBalance: '10000.00',
          organisation: 'VIS',
        },
        { alias: 'LOW', pan: '6212345678901240', expiry: '3012', serviceCode: '101', pin: '123456', account: 'debit', openingBalance: '1.00' },
        {
          alias: 'PARTIAL',
          pan: '6212345678901307',
          expiry: '3012',
          serviceCode: '101',
          pin: '123456',
          account: 'debit',
          openingBalance: '30.00',
          partialApproval: true,
        },
        {
          alias: 'EXPIRED',
          pan: '6212345678901257',
          expiry: '2001',
          serviceCode: '101',
          pin: '123456',
          account: 'debit',
          status: 'expired',
          openingBalance: '1000.00',
        },
      ],
    },
    'test/emulator/harness.ts',
  );
}

export function card(config: HostConfig, alias: string): TtpCardImage {
  return terminalCardImage(cardByAlias(config, alias));
}

/** socat PTY pair; the link names live in a fresh temp dir. */
export class PtyPair {
  private constructor(
    readonly dir: string,
    readonly a: string,
    readonly b: string,
    private readonly proc: ChildProcess,
  ) {}

  static async start(): Promise<PtyPair> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-emu-pty-'));
    const a = path.join(dir, 'terminal');
    const b = path.join(dir, 'harness');
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.resume();
    const deadline = Date.now() + 5000;
    while (!(fs.existsSync(a) && fs.existsSync(b))) {
      if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}; is socat installed (apt-get install socat)?`);
      if (Date.now() > deadline) {
        proc.kill('SIGTERM');
        throw new Error('socat did not create the PTY links within 5 s');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return new PtyPair(dir, a, b, proc);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The harness side of TTP, recording every event. */
export class TtpTestClient {
  readonly events: TtpEvent[] = [];
  private readonly channel: TtpChannel;
  private readonly onData = (b: Buffer) => this.channel.receive(b);
  private wakeups: Array<() => void> = [];

  constructor(private readonly link: ByteLink) {
    this.channel = new TtpChannel({
      write: (bytes) => link.write(bytes),
      scheduler: {
        setTimeout: (fn, ms) => {
          const t = setTimeout(fn, ms);
          t.unref();
          return t;
        },
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
        now: () => Date.now(),
      },
      name: 'test-harness',
      responseTimeoutMs: 8000,
    });
    link.on('data', this.onData);
    this.channel.on('event', (e) => {
      this.events.push(e);
      const w = this.wakeups;
      this.wakeups = [];
      for (const f of w) f();
    });
  }

  close(): void {
    this.link.off('data', this.onData);
    this.channel.close();
  }

  raw(command: TtpCommand, timeoutMs?: number): Promise<TtpResponse> {
    return this.channel.requestRaw(command, timeoutMs ? { timeoutMs } : {});
  }

  async cmd<T = unknown>(command: TtpCommand, timeoutMs?: number): Promise<T> {
    const r = await this.raw(command, timeoutMs);
    if (!r.ok) throw new Error(`TTP ${command.cmd} failed: ${r.error.code}: ${r.error.message}`);
    return r.result as T;
  }

  keys(...keys: string[]): Promise<unknown> {
    return this.cmd({ cmd: 'key', keys } as TtpCommand);
  }

  text(text: string): Promise<unknown> {
    return this.cmd({ cmd: 'key', 'x-text': text } as unknown as TtpCommand);
  }

  present(method: 'swipe' | 'insert' | 'tap', image: TtpCardImage): Promise<unknown> {
    return this.cmd({ cmd: 'card', action: 'present', method, card: image });
  }

  mark(): number {
    return this.events.length;
  }

  displays(since = 0): TtpDisplayEvent[] {
    return this.events.slice(since).filter((e): e is TtpDisplayEvent => e.evt === 'display');
  }

  prints(since = 0): TtpPrintEvent[] {
    return this.events.slice(since).filter((e): e is TtpPrintEvent => e.evt === 'print');
  }

  /** Waits for an event after `since` matching `pred`; the error lists the last screens. */
  async waitFor(pred: (e: TtpEvent) => boolean, since: number, timeoutMs = 5000, what = 'event'): Promise<TtpEvent> {
    const deadline = Date.now() + timeoutMs;
    let from = since;
    for (;;) {
      for (let i = from; i < this.events.length; i++) if (pred(this.events[i])) return this.events[i];
      from = this.events.length;
      const left = deadline - Date.now();
      if (left <= 0) {
        const recent = this.displays(Math.max(0, this.events.length - 12)).map((d) => d.lines.join(' | '));
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; recent screens:\n  ${recent.join('\n  ')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wakeups.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a screen containing `text` (substring of any line, or a RegExp on the joined lines). */
  async waitScreen(text: string | RegExp, since: number, timeoutMs = 5000): Promise<TtpDisplayEvent> {
    const match = (lines: string[]) => (typeof text === 'string' ? lines.some((l) => l.includes(text)) : text.test(lines.join('\n')));
    return (await this.waitFor((e) => e.evt === 'display' && match(e.lines), since, timeoutMs, `screen ${String(text)}`)) as TtpDisplayEvent;
  }

  async waitState(state: string, since: number, timeoutMs = 5000): Promise<void> {
    await this.waitFor((e) => e.evt === 'state' && e.state === state, since, timeoutMs, `state ${state}`);
  }
}

/** One host + one PTY pair for a test file; one terminal (own terminal id, own state file) per test. */
export class EmulatorBench {
  readonly config = testHostConfig();
  host!: ReferenceHost;
  pty!: PtyPair;
  terminalLink!: ByteLink;
  harnessLink!: ByteLink;
  private readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-emu-state-'));
  private nextTerminal = 1;

  constructor(private readonly firstTerminal = 1) {
    this.nextTerminal = firstTerminal;
  }

  async start(): Promise<void> {
    this.host = await ReferenceHost.start({ config: this.config, port: 0 });
    this.pty = await PtyPair.start();
    this.terminalLink = await openLink(`serial:${this.pty.a}`);
    this.harnessLink = await openLink(`serial:${this.pty.b}`);
  }

  async close(): Promise<void> {
    await this.terminalLink?.close().catch(() => undefined);
    await this.harnessLink?.close().catch(() => undefined);
    await this.pty?.stop();
    await this.host?.stop();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  card(alias: string): TtpCardImage {
    return card(this.config, alias);
  }

  /** A new terminal (next free id) on the serial link, powered on and signed on. */
  async terminal(
    extra: Partial<EmulatorOptions> = {},
  ): Promise<{ terminal: EmulatedTerminal; client: TtpTestClient; terminalId: string; statePath: string }> {
    const terminalId = extra.terminalId ?? `EMU${String(this.nextTerminal++).padStart(5, '0')}`;
    const statePath = path.join(this.tmp, `${terminalId}.json`);
    const terminal = new EmulatedTerminal({
      hostUrl: `tcp://127.0.0.1:${this.host.port}`,
      statePath,
      terminalId,
      merchantId: MERCHANT_ID,
      merchantName: '上海测试便利店',
      tmk: TEST_TMK,
      timeouts: { hostResponseMs: 1000, hostConnectMs: 2000, cardMs: 5000, pinMs: 5000, idleMs: 5000 },
      ...extra,
    });
    terminal.attach(this.terminalLink);
    const client = new TtpTestClient(this.harnessLink);
    await terminal.powerOn();
    return { terminal, client, terminalId, statePath };
  }

  async dispose(t: { terminal: EmulatedTerminal; client: TtpTestClient }): Promise<void> {
    await t.terminal.shutdown();
    t.client.close();
    // Let the last ACKs cross the PTY so the next test's channels start clean.
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** Menu 1 (消费): amount, card, PIN, ENTER. Returns the event mark taken before the card was presented. */
export async function runSale(
  client: TtpTestClient,
  opts: { amountKeys: string[]; method: 'insert' | 'swipe' | 'tap'; card: TtpCardImage; pin?: string },
): Promise<number> {
  let m = client.mark();
  await client.keys('1');
  await client.waitScreen('请输入金额', m);
  await client.keys(...opts.amountKeys, 'ENTER');
  await client.waitScreen('请刷卡/插卡/挥卡', m);
  m = client.mark();
  await client.present(opts.method, opts.card);
  await client.waitScreen('请输入密码', m);
  await client.keys(...(opts.pin ?? '123456').split(''), 'ENTER');
  return m;
}

/**
 * Menu 6 (预授权): 1.预授权 of `amountKeys` by swiping, then, when `add` is given, 4.追加预授权 of `add` onto it
 * (card, 原授权码, amount, PIN). Returns the pre-authorization's auth code and the mark taken before the add.
 */
export async function preauthThenAdd(
  client: TtpTestClient,
  host: ReferenceHost,
  terminalId: string,
  opts: { amountKeys: string[]; add: string[]; card: TtpCardImage },
): Promise<{ authCode: string; mark: number }> {
  let m = client.mark();
  await client.keys('6');
  await client.waitScreen('1.预授权', m);
  await client.keys('1');
  await client.waitScreen('请输入金额', m);
  await client.keys(...opts.amountKeys, 'ENTER');
  await client.waitScreen('请刷卡', m);
  await client.present('swipe', opts.card);
  await client.waitScreen('请输入密码', m);
  await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
  await client.waitScreen('交易成功', m);
  const authCode = host.control.transactions({ terminalId })[0].authCode!;
  await toIdle(client);
  m = client.mark();
  await client.keys('6');
  await client.waitScreen('4.追加预授权', m);
  await client.keys('4');
  await client.waitScreen('请刷卡', m);
  await client.present('swipe', opts.card);
  await client.waitScreen('请输入原授权码', m);
  await client.text(authCode);
  await client.keys('ENTER');
  await client.waitScreen('请输入金额', m);
  await client.keys(...opts.add, 'ENTER');
  await client.waitScreen('请输入密码', m);
  await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
  return { authCode, mark: m };
}

/** Waits until the host has journalled `count` inbound messages of this MTI for the terminal. */
export async function waitForHost(host: ReferenceHost, terminalId: string, mti: string, count = 1, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (host.control.journal({ terminalId, mti, direction: 'in' }).length < count) {
    if (Date.now() > deadline) throw new Error(`host did not receive ${count} × ${mti} from ${terminalId} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** 结算 from the idle screen's menu (key 7), confirmed; returns the mark taken before, to wait on its screens and slip. */
export async function startSettlement(client: TtpTestClient): Promise<number> {
  const m = client.mark();
  await client.keys('7');
  await client.waitScreen('确认结算', m);
  await client.keys('ENTER');
  return m;
}

/** CANCEL back to the idle screen (from a result screen or a prompt), taking back a card the terminal asks for (请拔卡). */
export async function toIdle(client: TtpTestClient): Promise<void> {
  const m = client.mark();
  await client.keys('CANCEL');
  const asked = (x: TtpEvent) => x.evt === 'display' && x.lines.includes('请拔卡');
  const last = client.displays().at(-1);
  const lastState = [...client.events].reverse().find((x) => x.evt === 'state');
  if (lastState && (lastState as { state?: string }).state === 'idle') return;
  const e =
    last && asked(last) ? last : await client.waitFor((x) => (x.evt === 'state' && x.state === 'idle') || asked(x), m, 5000, 'idle or 请拔卡');
  if (asked(e)) {
    await client.cmd({ cmd: 'card', action: 'remove' });
    await client.waitState('idle', m);
  }
}
