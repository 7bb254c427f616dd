/**
 * The card book seen from the harness: look a card up by alias, and build the image a terminal
 * reads from it (TTP `card present`). The issuer master key never leaves the host: the image
 * carries the ICC master key derived from it (EMV option A, PAN + PSN), which is what a real
 * card holds.
 */
import { deriveIccMasterKeyOptionA } from '../crypto';
import type { TtpCardImage } from '../protocol/ttp/messages';
import type { CardConfig, HostConfig } from './config';
import { HostControlError } from './errors';

/** The card of the book with this alias (case-sensitive), or a HostControlError listing the aliases. */
export function cardByAlias(config: HostConfig, alias: string): CardConfig {
  const card = config.cards.find((c) => c.alias === alias);
  if (!card) {
    throw new HostControlError(
      `no card with alias "${alias}" in the card book (${config.sources.join(', ') || 'in-memory config'}); known: ${config.cards.map((c) => c.alias).join(', ')}`,
      { alias },
    );
  }
  return card;
}

/** The card on file with this PAN (cards with onFile: false are not on file). */
export function cardByPan(config: HostConfig, pan: string): CardConfig | undefined {
  return config.cards.find((c) => c.onFile && c.pan === pan);
}

/**
 * Cryptogram conventions of the reference host's cards (also in docs/host.md), for terminal and
 * emulator authors: the ICC derives a common session key from its MK and the ATC
 * (R = ATC ‖ 00×6, EMV CSK), computes the ARQC with ISO 9797-1 alg 3, padding method 2, over the
 * CDOL1 data below (concatenated values, in this order), and checks the ARPC (tag 91 = ARPC ‖ ARC)
 * as ARPC method 1 under the same session key with ARC = the two ASCII bytes of F39.
 */
export const ARQC_CDOL1_TAGS = ['9F02', '9F03', '9F1A', '95', '5F2A', '9A', '9C', '9F37', '82', '9F36', '9F10'] as const;

/** The image a terminal reads from the card (TTP card image). */
export function terminalCardImage(card: CardConfig): TtpCardImage {
  const image: TtpCardImage = {
    name: card.alias,
    pan: card.pan,
    expiry: card.expiry,
    serviceCode: card.serviceCode,
    track2: card.track2,
    psn: card.psn,
    interfaces: [...card.interfaces],
  };
  if (card.cardholderName) image.cardholderName = card.cardholderName;
  if (card.emv) {
    const mk = deriveIccMasterKeyOptionA(card.emv.imk.reveal(), card.pan, card.psn);
    image.emv = {
      aid: card.emv.aid,
      applicationLabel: card.emv.appLabel,
      ...(card.emv.preferredName ? { preferredName: card.emv.preferredName } : {}),
      iccMasterKey: mk.toString('hex').toUpperCase(),
      atc: card.emv.atcStart,
      aip: card.emv.aip,
      issuerApplicationData: card.emv.iad,
      algorithm: 'tdes',
      currencyCode: '156',
    };
  }
  return image;
}
