/**
 * TerminalKeypad: the keypad and menu layer of TerminalDriver (drivers/terminal.ts) — key presses,
 * menu selection by label (bilingual paths, scrolling menus), amounts and free text (TTP 1.1 `text`,
 * 1.0 `x-text`). Split out of drivers/terminal.ts (issue 11: no file over 500 lines); it sits
 * between TerminalSession and TerminalDriver, so the driver's public API is unchanged.
 */
import { TtpCommand, TtpRemoteError, isTtpKey, TTP_KEYS } from '../protocol/ttp';
import { DriverUsageError, TerminalCommandError, TerminalExpectationError } from './errors';
import { findMenuEntry } from './menu';
import { SIGN_ON_REQUIRED_STATE } from './strategy';
import { TerminalSession } from './terminal-session';

export abstract class TerminalKeypad extends TerminalSession {
  // ------------------------------------------------------------------ keypad and menus

  async pressKeys(...keys: string[]): Promise<void> {
    for (const k of keys) {
      if (!isTtpKey(k)) {
        throw new DriverUsageError(`"${k}" is not a TTP key; valid keys: ${TTP_KEYS.join(' ')}`, { key: k });
      }
    }
    if (keys.length === 0) return;
    await this.call({ cmd: 'key', keys: keys as never });
  }

  /**
   * Selects a menu entry by its label (e.g. 缴费 or SALE) on the current screen, by pressing the
   * entry's number key. From idle, the menu is opened first (ENTER). "管理/签到" walks a path.
   */
  async selectMenu(label: string | { zh: string; en: string }, opts: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? this.screenTimeout();
    const split = (l: string) => l.split(/\s*(?:\/|>|›)\s*/).filter(Boolean);
    // A bilingual path (the catalogue's menu): each step is found in whichever language the terminal shows.
    const paths = typeof label === 'string' ? [split(label)] : [split(label.zh), split(label.en)];
    for (let i = 0; i < paths[0].length; i++) {
      await this.selectOne(
        paths.map((p) => p[i]).filter((x): x is string => x !== undefined),
        timeoutMs,
      );
    }
  }

  private async selectOne(labels: string[], timeoutMs: number): Promise<void> {
    const label = labels[0];
    const find = (lines: string[]) => labels.map((l) => findMenuEntry(lines, l)).find((e) => e !== undefined);
    let screen = await this.refreshScreen();
    if (!find(screen.lines) && (screen.state === 'idle' || screen.state === SIGN_ON_REQUIRED_STATE)) {
      const before = this.screens.changes;
      await this.pressKeys('ENTER');
      screen = await this.screens
        .waitFor(
          () => this.screens.changes > before && find(this.screens.currentScreen().lines) !== undefined,
          timeoutMs,
          `a menu with the entry "${label}"`,
        )
        .catch((e: unknown) => this.currentUnlessBroken(e));
    }
    // Long menus scroll: page down a few times looking for the entry.
    for (let page = 0; !find(screen.lines) && page < 4 && /menu/.test(screen.state ?? ''); page++) {
      const before = this.screens.changes;
      await this.pressKeys('DOWN');
      screen = await this.screens
        .waitFor(() => this.screens.changes > before, Math.min(timeoutMs, 1000), 'the next menu page')
        .catch((e: unknown) => this.currentUnlessBroken(e));
    }
    const entry = find(screen.lines);
    if (!entry) {
      throw new TerminalExpectationError(
        `No menu entry "${label}" on the terminal's screen. Recent screens (oldest first):\n${this.screens.describeRecent()}`,
        { label, state: screen.state, lines: screen.lines.map((l) => this.masker.maskText(l)) },
      );
    }
    const before = this.screens.changes;
    await this.pressKeys(...entry.keys);
    await this.screens.waitFor(() => this.screens.changes > before, timeoutMs, `a reaction to menu entry "${label}"`);
  }

  /** Types an amount in fen (1234 = 12.34 元) on the amount screen, then ENTER unless confirm:false. */
  async enterAmount(fen: number, opts: { confirm?: boolean } = {}): Promise<void> {
    if (!Number.isSafeInteger(fen) || fen < 0) {
      throw new DriverUsageError(`Amount must be a whole number of fen (分), got ${fen}`, { fen });
    }
    const keys = String(fen).split('');
    if (opts.confirm !== false) keys.push('ENTER');
    await this.pressKeys(...keys);
  }

  /**
   * Types an amount in fen with one wrong digit taken back by CLEAR (TTP §6.4: it deletes the last
   * entered character), then ENTER: the amount is what remains, as on any keypad.
   */
  async enterAmountWithCorrection(fen: number): Promise<void> {
    if (!Number.isSafeInteger(fen) || fen <= 0) {
      throw new DriverUsageError(`Amount must be a positive whole number of fen (分), got ${fen}`, { fen });
    }
    await this.pressKeys(...String(fen).split(''), '9', 'CLEAR', 'ENTER');
  }

  /**
   * Types text on an input screen (voucher number, payee account, payee name, ...) and confirms
   * with ENTER unless confirm:false. Keypad characters (digits, '.', '*', '#') go as key presses;
   * anything else (a Chinese payee name) as the `x-text` extension of the TTP `key` command
   * (the keypad's alpha / 拼音 mode in test firmware). Firmware without it answers with an error,
   * which surfaces as TerminalCommandError naming the field. With correction:true a wrong digit is
   * typed first and taken back with CLEAR (TTP §6.4: CLEAR deletes the last entered character), as an
   * operator corrects a slip: the field then holds the text alone. First, not before the last
   * character, so the field is never full with a wrong value (a terminal may take a full field at once).
   */
  async enterText(text: string, opts: { confirm?: boolean; correction?: boolean } = {}): Promise<void> {
    if (typeof text !== 'string' || text.length === 0) {
      throw new DriverUsageError('enterText needs a non-empty string', { text: typeof text });
    }
    if (opts.correction) await this.pressKeys('9', 'CLEAR');
    const chars = [...text];
    if (chars.every((c) => isTtpKey(c))) {
      await this.pressKeys(...chars, ...(opts.confirm === false ? [] : ['ENTER']));
      return;
    }
    this.requireCapability('textEntry', 'free text entry');
    try {
      // TTP 1.1 §6.4: `text`; a 1.0 terminal knows it as the x-text extension.
      const command = this.speaks11 ? { cmd: 'key', text } : { cmd: 'key', keys: [], 'x-text': text };
      await this.call(command as unknown as Extract<TtpCommand, { cmd: 'key' }>);
    } catch (err) {
      if (err instanceof TtpRemoteError) {
        throw new TerminalCommandError(
          `Terminal ${this.name} cannot take free text over TTP (x-text): ${err.message}. Use ecr() with the payee, or enable text entry in the test firmware.`,
          { terminal: this.name, ttpCode: err.ttpCode },
        );
      }
      throw err;
    }
    if (opts.confirm !== false) await this.pressKeys('ENTER');
  }
}
