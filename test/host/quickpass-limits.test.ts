// The host's QuickPass no-PIN limit per card product (cards limits.contactlessNoPin) over the issuer
// rule (rules.contactlessNoPinLimit): a tap without PIN is approved up to the card's own limit, 55 above.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import type { HostConfig, ReferenceHost } from '../../host';
import { hostConfigFromObject } from '../../host';

const MERCHANT = {
  merchantId: '898310054110001',
  name: '测试商户',
  settlementAccount: { bank: '测试银行', accountNumber: '6200009999000001', accountName: '测试' },
};
import { CONFIG, card, signedOn, startHost } from './helpers';
import type { TestTerminal } from './terminal-client';

const PRODUCT_LIMIT = 30000;
const config: HostConfig = {
  ...CONFIG,
  cards: CONFIG.cards.map((c) => (c.alias === 'UP-DEBIT-CTLS' ? { ...c, limits: { ...c.limits, contactlessNoPin: PRODUCT_LIMIT } } : c)),
};

describe('reference host: QuickPass no-PIN limit per card product', () => {
  let host: ReferenceHost;
  let t: TestTerminal;
  before(async () => {
    host = await startHost({ config });
    t = await signedOn(host, '10000001', '003', config);
  });
  after(async () => {
    t.close();
    await host.stop();
  });
  const rc = async (msg: ReturnType<TestTerminal['sale']>) => (await t.send(msg.msg)).rc;

  test('the card product limit, not the issuer rule, decides a tap without PIN', async () => {
    expect(PRODUCT_LIMIT).to.be.below(CONFIG.rules.contactlessNoPinLimit);
    const ctls = card('UP-DEBIT-CTLS');
    expect(await rc(t.sale({ card: ctls, entry: 'tap' }, PRODUCT_LIMIT))).to.equal('00');
    expect(await rc(t.sale({ card: ctls, entry: 'tap' }, PRODUCT_LIMIT + 1))).to.equal('55');
    expect(await rc(t.sale({ card: ctls, entry: 'tap', pin: '123456' }, PRODUCT_LIMIT + 1))).to.equal('00');
  });

  test('the card book reads limits.contactlessNoPin as an amount in yuan', () => {
    const c = hostConfigFromObject(
      {
        merchants: [MERCHANT],
        terminals: [{ terminalId: '10000001', merchantId: MERCHANT.merchantId, keyScheme: '3DES', tmk: '11111111111111111111111111111111' }],
        cards: [
          {
            alias: 'X',
            pan: '6212345678901265',
            expiry: '3012',
            serviceCode: '101',
            pin: '123456',
            account: 'debit',
            openingBalance: '1.00',
            limits: { contactlessNoPin: '300.00' },
          },
        ],
      },
      'inline',
    );
    expect(c.cards[0].limits.contactlessNoPin).to.equal(30000);
  });
});
