/**
 * The issuer's magstripe fallback policy (磁条降级): a swipe that says the card's chip could not be
 * read first (F22 80x, or 02x with 60.5 = 2; cup8583.md §2.3, §2.4) is taken or declined with 45
 * (不允许降级交易, shown as 请使用芯片, §7), as the card book says per card (`fallback`).
 */
import type { Field60 } from '../protocol/iso8583';
import type { CardConfig } from './config';
import { Decline } from './context';

/** Does this request say it is a fallback swipe? Both spellings of the reference count. */
export function isFallbackSwipe(f22: string | undefined, f60: Pick<Field60, 'icCondition'>): boolean {
  const entry = f22?.slice(0, 2);
  return entry === '80' || (entry === '02' && f60.icCondition === '2');
}

/** The 45 decline a fallback of this card gets, or undefined when the request is no fallback or the card allows it. */
export function fallbackRefusal(card: CardConfig, f22: string | undefined, f60: Pick<Field60, 'icCondition'>): Decline | undefined {
  if (!isFallbackSwipe(f22, f60) || (card.fallback ?? 'allow') === 'allow') return undefined;
  return new Decline(
    '45',
    `magstripe fallback (F22 ${f22}, 60.5 ${f60.icCondition ?? '-'}) of chip card ${card.alias}, whose issuer declines fallback (cards: fallback decline)`,
  );
}
