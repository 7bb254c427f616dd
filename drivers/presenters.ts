/**
 * How a card reaches the terminal and how a PIN is typed. Three bindings per lab terminal:
 *  - ttp:      the terminal's own test firmware takes the card image / key presses over TTP (default);
 *  - device:   a separate card-simulator device (its own link, speaking the TTP `card` command),
 *              for terminals whose firmware cannot take a card image but whose reader can be fed;
 *  - operator: a person inserts the card or types the PIN on a production PED; the console asks
 *              and the driver continues when the terminal reacts.
 */
import type { TtpCardImage, TtpCardMethod } from '../protocol/ttp';
import { OperatorConsole } from './operator';

export type PresenterKind = 'ttp' | 'device' | 'operator';

export interface CardPresenter {
  readonly kind: PresenterKind;
  present(card: TtpCardImage, method: TtpCardMethod): Promise<void>;
  remove(): Promise<void>;
  close?(): Promise<void>;
}

export interface PinEntry {
  readonly kind: PresenterKind;
  /** Types the PIN and confirms it (ENTER). An empty string = bypass (ENTER only). */
  enterPin(pin: string): Promise<void>;
}

/** What presenters need from a TTP endpoint (the terminal's, or a card simulator's). */
export interface CardCommandTarget {
  card(action: 'present' | 'remove', method?: TtpCardMethod, card?: TtpCardImage): Promise<void>;
}

export interface KeyTarget {
  /** Sends key presses with digits masked in the transcript. */
  pressPinKeys(keys: string[]): Promise<void>;
}

/** Something that resolves at the terminal's next visible reaction (screen or state change). */
export type ReactionWatcher = (timeoutMs: number) => Promise<unknown>;

export class TtpCardPresenter implements CardPresenter {
  readonly kind = 'ttp' as const;
  constructor(private readonly target: CardCommandTarget) {}
  present(card: TtpCardImage, method: TtpCardMethod): Promise<void> {
    return this.target.card('present', method, card);
  }
  remove(): Promise<void> {
    return this.target.card('remove');
  }
}

/**
 * A card simulator on its own link (e.g. a reader emulator card wired into the terminal's slot,
 * or a robot adapter), addressed with the same TTP `card` command. The driver opens and closes it.
 */
export class DeviceCardPresenter implements CardPresenter {
  readonly kind = 'device' as const;
  constructor(
    private readonly device: CardCommandTarget & { close(): Promise<void> },
    readonly url: string,
  ) {}
  present(card: TtpCardImage, method: TtpCardMethod): Promise<void> {
    return this.device.card('present', method, card);
  }
  remove(): Promise<void> {
    return this.device.card('remove');
  }
  close(): Promise<void> {
    return this.device.close();
  }
}

export class TtpPinEntry implements PinEntry {
  readonly kind = 'ttp' as const;
  constructor(private readonly keys: KeyTarget) {}
  /**
   * A PIN starts with a mistyped digit taken back by CLEAR (TTP §6.4), as a cardholder corrects a slip:
   * the PIN block then proves CLEAR works on the PIN pad. One digit only, so a PED whose CLEAR empties
   * the whole entry (rather than the last digit) leaves the same PIN.
   */
  enterPin(pin: string): Promise<void> {
    return this.keys.pressPinKeys([...(pin ? ['9', 'CLEAR'] : []), ...pin.split(''), 'ENTER']);
  }
}

const METHOD_WORDS: Record<TtpCardMethod, string> = {
  swipe: 'Swipe card',
  insert: 'Insert card',
  tap: 'Tap card',
};

export class OperatorCardPresenter implements CardPresenter {
  readonly kind = 'operator' as const;
  constructor(
    private readonly console: OperatorConsole,
    private readonly reaction: ReactionWatcher,
    private readonly reactionTimeoutMs = 120_000,
  ) {}
  async present(card: TtpCardImage, method: TtpCardMethod): Promise<void> {
    const name = card.name ?? `ending ${card.pan.slice(-4)}`;
    const where =
      method === 'insert' ? ' into the chip reader' : method === 'tap' ? ' on the contactless reader' : ' through the magnetic stripe reader';
    // A card image with a mute chip is, on a bench, the dead-chip test copy of that card (磁条降级 cases).
    const copy = card.chipFault === 'mute' && method !== 'swipe' ? ' (its dead-chip test copy: a card whose chip does not answer)' : '';
    await this.console.ask({
      instruction: `${METHOD_WORDS[method]} ${name}${copy}${where}.`,
      terminalReaction: this.reaction(this.reactionTimeoutMs),
    });
  }
  async remove(): Promise<void> {
    await this.console.ask({ instruction: 'Remove the card from the terminal.', terminalReaction: this.reaction(this.reactionTimeoutMs) });
  }
}

export class OperatorPinEntry implements PinEntry {
  readonly kind = 'operator' as const;
  constructor(
    private readonly console: OperatorConsole,
    private readonly reaction: ReactionWatcher,
    private readonly reactionTimeoutMs = 120_000,
  ) {}
  async enterPin(pin: string): Promise<void> {
    await this.console.ask({
      instruction: pin === '' ? 'Press ENTER (确认) on the PIN pad without a PIN.' : 'Type the PIN on the PIN pad, then press ENTER (确认).',
      secret: pin === '' ? undefined : pin,
      terminalReaction: this.reaction(this.reactionTimeoutMs),
    });
  }
}
