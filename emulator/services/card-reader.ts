/**
 * The card reader: 请刷卡/插卡/挥卡 takes a swipe, an insert or a tap (or the card already in the
 * slot), sends a swiped chip card to its chip (请插入IC卡), refuses a chip interface without a chip, and opens
 * the software ICC for chip reads. A chip that does not answer (card image `chipFault: mute`) makes
 * the prompt 降级交易 请刷卡: that card's swipe is then a fallback (磁条降级, cup8583.md §2.3 / §2.4).
 * A card on the downloaded blacklist is refused here (受限制的卡, nothing sent). Expiry is checked here too (the terminal's own check, before
 * anything goes online). At the end of a flow a card left in the slot is asked back (请拔卡, with a
 * beep every second) and the terminal does not go idle until it is taken out.
 */
import type { TtpCardImage, TtpCardMethod } from '../../protocol/ttp';
import { SoftwareIcc } from '../icc';
import { FlowAbort } from '../inputs';
import { Bilingual, T, formatAmount } from '../texts';
import type { SessionCore } from './core';
import { icListsReady, usesSupersededIcLists } from './ic-parameters';
import { isBlacklisted } from './terminal-lists';
import type { FlowResult } from './transactions';
import type { Ui } from './ui';

/** A card read the terminal refused before any message (no IC parameters, a blacklisted card): the flow ends with this result. */
export class CardReadRefused extends Error {
  constructor(readonly result: FlowResult) {
    super(result.message);
  }
}

export interface CardRead {
  method: TtpCardMethod;
  card: TtpCardImage;
  icc?: SoftwareIcc;
  /** A chip card swiped after its chip read failed at this prompt (磁条降级): F22 80x and 60.5 = 2. */
  fallback?: boolean;
}

export class CardReader {
  /** `retryIcDownload`: the IC list download, tried again before a chip read on superseded lists. */
  constructor(
    private readonly core: SessionCore,
    private readonly ui: Ui,
    private readonly retryIcDownload?: () => Promise<boolean>,
  ) {}

  isChipCard(card: TtpCardImage): boolean {
    return card.serviceCode.startsWith('2') || card.serviceCode.startsWith('6');
  }

  isExpired(card: TtpCardImage): boolean {
    const { yymmdd } = this.core.stamp();
    return card.expiry < yymmdd.slice(0, 4);
  }

  /** The expired-card refusal screen (nothing goes to the host), or undefined when the card may be used. */
  refuseExpired(title: Bilingual, read: CardRead): { approved: false; message: string; pan: string } | undefined {
    if (!this.isExpired(read.card) || this.core.defect('expired-card-accepted')) return undefined;
    // A profile with an online magstripe expiry check leaves a swiped card to the issuer (54); chip
    // reads are refused by the kernel either way.
    if (read.method === 'swipe' && this.core.host.profile.profile.magstripeExpiry === 'online') return undefined;
    this.ui.refuse([this.ui.t(title), this.ui.t(T.failed), this.ui.t(T.cardExpired)], { reason: 'card-expired' });
    return { approved: false, message: this.ui.t(T.cardExpired), pan: read.card.pan };
  }

  /**
   * The end of a flow with a card in the slot: 请拔卡 and a beep every second until it is removed
   * (keys are ignored meanwhile), so a card is never left behind nor read again unpresented.
   * Defects: no-remove-card-reminder and stale-card-reused go back to idle silently instead.
   */
  async awaitRemoval(): Promise<boolean> {
    if (!this.core.insertedCard) return false;
    if (this.core.defect('no-remove-card-reminder') || this.core.defect('stale-card-reused')) return false;
    await this.untilRemoved(this.ui.lastLines);
    return true;
  }

  /** 请拔卡 under the lines shown (the result stays readable), a beep a second, until the card is out. */
  private async untilRemoved(above: readonly string[]): Promise<void> {
    const ui = this.ui;
    const reminder = ui.t(T.removeCard);
    ui.show('remove-card', 'result', [...above.filter((l) => l !== reminder), reminder]);
    ui.beep('alert');
    while (this.core.insertedCard) {
      try {
        await this.core.inputs.next((i) => i.kind === 'card-removed', 1000, 'remove card');
      } catch (e) {
        if (!(e instanceof FlowAbort)) throw e;
        if (this.core.insertedCard) ui.beep('alert');
      }
    }
  }

  /** 请刷卡/插卡/挥卡 until a usable read, CANCEL or the card timeout. */
  async read(title: Bilingual, amount: number | undefined, opts: { allowTap?: boolean } = {}): Promise<CardRead> {
    const ui = this.ui;
    let prompt: Bilingual = T.presentCard;
    /** The card whose chip did not answer at this prompt: only its swipe is a fallback. */
    let chipFailedPan: string | undefined;
    for (;;) {
      const lines = [ui.t(title)];
      if (amount !== undefined) lines.push(`${ui.t(T.amount)}${formatAmount(amount)}`);
      if (prompt === T.fallbackSwipe) lines.push(ui.t(T.chipReadFailed));
      lines.push(ui.t(prompt));
      ui.show('card', 'card-wait', lines);
      let method: TtpCardMethod;
      let card: TtpCardImage;
      if (this.core.insertedCard && this.core.insertedCardRead && !this.core.defect('stale-card-reused')) {
        // A card an earlier flow already read is not this transaction's: take it out, present again.
        await this.untilRemoved([ui.t(title)]);
        continue;
      }
      if (this.core.insertedCard && prompt !== T.useChip && prompt !== T.fallbackSwipe) {
        method = 'insert';
        card = this.core.insertedCard;
      } else {
        const input = await this.core.inputs.next(
          (i) => i.kind === 'card' || (i.kind === 'key' && i.key === 'CANCEL'),
          this.core.host.timeouts.cardMs,
          'card prompt',
        );
        if (input.kind === 'key') throw new FlowAbort('cancelled', 'card prompt cancelled');
        const c = input as { method: TtpCardMethod; card: TtpCardImage };
        method = c.method;
        card = c.card;
        if (method === 'insert') {
          this.core.insertedCard = card;
          this.core.insertedCardRead = false;
        }
      }
      ui.show('card-read', 'card-read', [ui.t(title), ui.t(T.processing)]);
      await ui.pause(300);
      let fallback = false;
      if (method === 'swipe' && this.isChipCard(card) && card.emv) {
        // A chip card must be read by its chip; its magstripe only after its chip failed here (fallback).
        // Defect fallback-without-chip-failure takes the swipe as a fallback without trying the chip.
        fallback = chipFailedPan === card.pan || this.core.defect('fallback-without-chip-failure');
        if (!fallback) {
          prompt = T.useChip;
          ui.beep('error');
          continue;
        }
      }
      if ((method === 'insert' || method === 'tap') && !card.emv) {
        ui.show('card-error', 'card-wait', [ui.t(title), ui.t(T.cardUnreadable)]);
        ui.beep('error');
        prompt = T.presentCard;
        if (method === 'insert') this.core.insertedCard = undefined;
        await ui.pause(800);
        continue;
      }
      if ((method === 'insert' || method === 'tap') && card.chipFault === 'mute') {
        // No answer to reset: after a failed contact read the card's magstripe may be swiped (the
        // card may stay in the slot meanwhile); a failed tap asks for the contact interface first.
        ui.beep('error');
        if (method === 'insert') chipFailedPan = card.pan;
        prompt = method === 'insert' ? T.fallbackSwipe : T.useChip;
        continue;
      }
      if (method === 'tap' && opts.allowTap === false) {
        prompt = T.presentCard;
        ui.beep('error');
        continue;
      }
      if (
        method !== 'swipe' &&
        this.core.needIcLists.size > 0 &&
        usesSupersededIcLists(this.core) &&
        this.core.state.signedOn &&
        this.retryIcDownload
      ) {
        // The profile reads chips on its previous lists while new ones are due: it tries them again first.
        await this.retryIcDownload();
      }
      if (method !== 'swipe' && !icListsReady(this.core) && !this.core.defect('chip-read-without-ic-params')) {
        // No AID list to select from and no public keys (never loaded, or superseded by a reply's digit
        // 4 / 5 and not loaded again, cup8583.md §3.5): the chip is not read, and no swipe is offered instead.
        if (method === 'insert') this.core.insertedCardRead = true;
        ui.refuse([ui.t(title), ui.t(T.failed), ui.t(T.icParamsMissing), ui.t(T.icParamsHint)], { reason: 'no-ic-parameters' });
        throw new CardReadRefused({ approved: false, message: ui.t(T.icParamsMissing), ...(amount !== undefined ? { amount } : {}) });
      }
      if (isBlacklisted(this.core.state, card.pan) && !this.core.defect('blacklist-not-checked')) {
        // On the acquirer's blacklist (黑名单, 60.3 390): refused here, nothing sent, whatever the interface.
        if (method === 'insert') this.core.insertedCardRead = true;
        ui.refuse([ui.t(title), ui.t(T.failed), ui.t(T.cardBlacklisted), ui.t(T.cardBlacklistedHint)], { reason: 'card-blacklisted' });
        throw new CardReadRefused({ approved: false, message: ui.t(T.cardBlacklisted), pan: card.pan, ...(amount !== undefined ? { amount } : {}) });
      }
      const read: CardRead = { method, card, ...(fallback ? { fallback } : {}) };
      if (method !== 'swipe') read.icc = new SoftwareIcc(card, this.core.host.cardCounters);
      if (method === 'insert') this.core.insertedCardRead = true;
      return read;
    }
  }
}
