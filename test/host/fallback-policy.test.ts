// The issuer's magstripe fallback policy (host/fallback-policy.ts) and its card-book key: both
// spellings of a fallback swipe count, `decline` answers 45, `allow` (the default) takes it, and a
// policy on a magstripe-only card is a configuration error.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { hostConfigFromObject, type CardConfig } from '../../host';
import { fallbackRefusal, isFallbackSwipe } from '../../host/fallback-policy';

const base = { pan: '6200000000000047', expiry: '3112', serviceCode: '220', pin: '123456', account: 'debit', openingBalance: '100.00' };

function book(card: Record<string, unknown>): CardConfig {
  return hostConfigFromObject({ cards: [{ alias: 'C', ...base, ...card }] }, 'test').cards[0];
}

describe('host fallback policy', () => {
  test('F22 80x, or 02x with 60.5 = 2, is a fallback swipe; a plain swipe or a chip read is not', () => {
    expect(isFallbackSwipe('801', { icCondition: '2' })).to.equal(true);
    expect(isFallbackSwipe('802', { icCondition: '0' })).to.equal(true);
    expect(isFallbackSwipe('021', { icCondition: '2' })).to.equal(true);
    expect(isFallbackSwipe('021', { icCondition: '0' })).to.equal(false);
    expect(isFallbackSwipe('051', { icCondition: '2' })).to.equal(false);
    expect(isFallbackSwipe(undefined, {})).to.equal(false);
  });

  test('decline answers 45 with the reason; allow and the default take it', () => {
    const refusal = fallbackRefusal(book({ fallback: 'decline' }), '801', { icCondition: '2' });
    expect(refusal?.code).to.equal('45');
    expect(refusal?.why).to.match(/fallback.*F22 801.*C/);
    expect(fallbackRefusal(book({ fallback: 'decline' }), '021', { icCondition: '0' })).to.equal(undefined);
    expect(fallbackRefusal(book({ fallback: 'allow' }), '801', { icCondition: '2' })).to.equal(undefined);
    expect(fallbackRefusal(book({}), '801', { icCondition: '2' })).to.equal(undefined);
  });

  test('the card book refuses a policy on a magstripe-only card and an unknown policy, naming the field', () => {
    expect(() => book({ serviceCode: '101', fallback: 'decline' })).to.throw(/fallback.*chip cards/);
    expect(() => book({ fallback: 'sometimes' })).to.throw(/fallback must be allow or decline/);
  });

  test('the repo card book: UP-DEBIT-IC allows fallback, UP-CREDIT-IC declines it', async () => {
    const { loadHostConfig, cardByAlias } = await import('../../host');
    const config = loadHostConfig();
    expect(cardByAlias(config, 'UP-DEBIT-IC').fallback ?? 'allow').to.equal('allow');
    expect(cardByAlias(config, 'UP-CREDIT-IC').fallback).to.equal('decline');
  });
});
