/**
 * The terminal's screen and keypad: every screen goes out through `show` (TTP display + state
 * events), and every prompt a flow awaits (amount, digits, free text, confirmation, PIN, a menu
 * key) is one coroutine here, so a flow reads like the reference's screen sequence.
 */
import type { TtpTerminalState } from '../../protocol/ttp';
import { FlowAbort } from '../inputs';
import { Bilingual, T, formatAmount } from '../texts';
import type { SessionCore } from './core';

const AMOUNT_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '00', 'CLEAR', 'ENTER', 'CANCEL'];
const PIN_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'CLEAR', 'ENTER', 'CANCEL'];
const TEXT_KEY = /^(\d|00|CLEAR|ENTER|CANCEL)$/;

export class Ui {
  constructor(private readonly core: SessionCore) {}

  t(text: Bilingual): string {
    return this.core.t(text);
  }

  /** The lines on the display now (a 请拔卡 reminder is added under them). */
  lastLines: readonly string[] = [];

  show(screen: string, state: TtpTerminalState, lines: string[], detail?: Record<string, unknown>): void {
    this.core.alive();
    this.lastLines = lines;
    this.core.currentState = state;
    this.core.host.display(lines, screen, state, detail);
  }

  beep(kind: 'key' | 'ok' | 'error' | 'alert'): void {
    this.core.host.beep(kind);
  }

  /** Time a real terminal takes (printing, dialling); skipped unless realistic timing is on. */
  async pause(ms: number): Promise<void> {
    if (!this.core.host.realisticTiming) return;
    await new Promise((r) => setTimeout(r, ms));
    this.core.alive();
  }

  private get idleMs(): number {
    return this.core.host.timeouts.idleMs;
  }

  async waitKey(keys: readonly string[], timeoutMs: number, what: string): Promise<string> {
    const input = await this.core.inputs.next((i) => i.kind === 'key' && keys.includes(i.key), timeoutMs, what);
    return (input as { key: string }).key;
  }

  /** A menu screen: title + `n.label` lines; the key picked, or CANCEL. */
  async menu(screen: string, title: Bilingual, entries: ReadonlyArray<{ key: string; label: Bilingual }>, what: string): Promise<string> {
    this.show(screen, 'menu', [this.t(title), ...entries.map((e) => `${e.key}.${this.t(e.label)}`)]);
    return this.waitKey([...entries.map((e) => e.key), 'CANCEL'], this.idleMs, what);
  }

  /** Result screens: any key (or an ECR request, or idleMs) leaves them. */
  async waitAnyKey(timeoutMs = this.idleMs): Promise<void> {
    try {
      const input = await this.core.inputs.next((i) => i.kind === 'key' || i.kind === 'ecr', timeoutMs, 'result screen');
      // ECR requests and menu digits are served by the idle loop: leave the result screen and pass them on.
      if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);
    } catch (e) {
      if (!(e instanceof FlowAbort)) throw e;
    }
  }

  /** A result screen that ends a flow (declined, refused): lines, error beep. */
  refuse(lines: string[], detail?: Record<string, unknown>): void {
    this.show('declined', 'result', lines, detail);
    this.beep('error');
  }

  async enterAmount(title: Bilingual): Promise<number> {
    let digits = '';
    for (;;) {
      const amount = Number(digits || '0');
      this.show('amount', 'input', [this.t(title), this.t(T.enterAmount), formatAmount(amount)]);
      const key = await this.waitKey(AMOUNT_KEYS, this.idleMs, 'amount entry');
      if (key === 'CANCEL') throw new FlowAbort('cancelled', 'amount entry cancelled');
      if (key === 'CLEAR') {
        digits = digits.slice(0, -1);
        continue;
      }
      if (key === 'ENTER') {
        if (amount > 0) return amount;
        this.beep('error');
        continue;
      }
      if (digits.length + key.length > 10) {
        this.beep('error');
        continue;
      }
      digits = (digits + key).replace(/^0+/, '');
    }
  }

  async enterDigits(title: Bilingual, prompt: Bilingual, screen: string, opts: { min: number; max: number; mask?: boolean }): Promise<string> {
    let value = '';
    for (;;) {
      this.show(screen, 'input', [this.t(title), this.t(prompt), opts.mask ? '*'.repeat(value.length) : value]);
      const input = await this.core.inputs.next((i) => (i.kind === 'key' && TEXT_KEY.test(i.key)) || i.kind === 'text', this.idleMs, screen);
      if (input.kind === 'text') {
        const digits = input.text.replace(/\D/g, '');
        value = (value + digits).slice(0, opts.max);
        continue;
      }
      const key = (input as { key: string }).key;
      if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
      if (key === 'CLEAR') {
        value = value.slice(0, -1);
        continue;
      }
      if (key === 'ENTER') {
        if (value.length >= opts.min && value.length <= opts.max) return value;
        this.beep('error');
        continue;
      }
      if (value.length + key.length > opts.max) {
        this.beep('error');
        continue;
      }
      value += key;
    }
  }

  /**
   * 电签: the signature pad (TTP state `signature`) until the cardholder's image arrives (TTP `sign`);
   * undefined when the cardholder declines (CANCEL) or does not sign in time: the voucher then keeps
   * its paper signature line.
   */
  async takeSignature(title: Bilingual, amount: number): Promise<Buffer | undefined> {
    this.show('signature', 'signature', [this.t(title), `${this.t(T.amount)}${formatAmount(amount)}`, this.t(T.signHere), this.t(T.signOnScreen)]);
    try {
      const input = await this.core.inputs.next((i) => i.kind === 'signature' || (i.kind === 'key' && i.key === 'CANCEL'), this.idleMs, 'signature');
      return input.kind === 'signature' ? input.image : undefined;
    } catch (e) {
      if (e instanceof FlowAbort) return undefined;
      throw e;
    }
  }

  /** Free text (payee names, auth codes): TTP `key` with a `text` field types whole strings. */
  async enterText(title: Bilingual, prompt: Bilingual, screen: string, max: number): Promise<string> {
    let value = '';
    for (;;) {
      this.show(screen, 'input', [this.t(title), this.t(prompt), value]);
      const input = await this.core.inputs.next((i) => (i.kind === 'key' && TEXT_KEY.test(i.key)) || i.kind === 'text', this.idleMs, screen);
      if (input.kind === 'text') {
        value = (value + input.text).slice(0, max);
        continue;
      }
      const key = (input as { key: string }).key;
      if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
      if (key === 'CLEAR') {
        // Defect clear-ignored-in-text-entry: CLEAR leaves the text as it is. The defect call goes first so
        // that, with defects off, nothing after it is evaluated.
        value = this.core.defect('clear-ignored-in-text-entry') ? value : [...value].slice(0, -1).join('');
        continue;
      }
      if (key === 'ENTER') {
        if (value.trim().length > 0) return value.trim();
        this.beep('error');
        continue;
      }
      if (value.length + key.length <= max) value += key;
    }
  }

  async confirm(screen: string, lines: string[]): Promise<void> {
    this.show(screen, 'confirm', [...lines, this.t(T.enterConfirmCancel)]);
    const key = await this.waitKey(['ENTER', 'CANCEL'], this.idleMs, screen);
    if (key === 'CANCEL') throw new FlowAbort('cancelled', `${screen} cancelled`);
  }

  /** 请输入密码: digits shown as *, ENTER with no digits = no PIN. */
  async enterPin(title: Bilingual, amount: number | undefined): Promise<string> {
    let pin = '';
    for (;;) {
      const shown = this.core.defect('pin-echoed-on-screen') ? pin : '*'.repeat(pin.length);
      const lines = [this.t(title)];
      if (amount !== undefined) lines.push(`${this.t(T.amount)}${formatAmount(amount)}`);
      lines.push(this.t(T.enterPin), shown, this.t(T.pinHint));
      this.show('pin', 'pin-entry', lines);
      const key = await this.waitKey(PIN_KEYS, this.core.host.timeouts.pinMs, 'PIN entry');
      if (key === 'CANCEL') throw new FlowAbort('cancelled', 'PIN entry cancelled');
      if (key === 'CLEAR') {
        pin = pin.slice(0, -1);
        continue;
      }
      if (key === 'ENTER') {
        if (pin.length === 0 || (pin.length >= 4 && pin.length <= 12)) return pin;
        this.beep('error');
        continue;
      }
      if (pin.length < 12) pin += key;
    }
  }
}
