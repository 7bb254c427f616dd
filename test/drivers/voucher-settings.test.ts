// Setting the count of voucher copies over TTP config (drivers/voucher-settings.ts): true when the
// terminal took it, false when it keeps the count in its own menu (not-supported / bad-request on
// voucherCopies), and any other refusal passed on.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { TtpRemoteError } from '../../protocol/ttp';
import { setVoucherCopies } from '../../drivers/voucher-settings';

const driver = (answer: (set: unknown) => unknown) => ({
  sent: [] as unknown[],
  async configure(set: unknown) {
    this.sent.push(set);
    return answer(set) as never;
  },
});

describe('setting the voucher copies', () => {
  test('a terminal that takes the count: true, the member sent as voucherCopies', async () => {
    const d = driver(() => ({ voucherCopies: 1 }));
    expect(await setVoucherCopies(d, 1)).to.equal(true);
    expect(d.sent).to.deep.equal([{ voucherCopies: 1 }]);
  });

  test('not-supported or bad-request naming voucherCopies (or no field): false', async () => {
    for (const [code, detail] of [
      ['not-supported', { field: 'voucherCopies' }],
      ['bad-request', { field: 'voucherCopies' }],
      ['not-supported', undefined],
    ] as const) {
      const d = driver(() => {
        throw new TtpRemoteError('config', 7, code, 'cannot set', detail);
      });
      expect(await setVoucherCopies(d, 1), `${code} ${JSON.stringify(detail)}`).to.equal(false);
    }
  });

  test('any other refusal is passed on', async () => {
    const other = driver(() => {
      throw new TtpRemoteError('config', 7, 'invalid-state', 'a transaction runs');
    });
    await setVoucherCopies(other, 1).then(
      () => expect.fail('resolved'),
      (e: Error) => expect(e).to.be.instanceOf(TtpRemoteError),
    );
    const elsewhere = driver(() => {
      throw new TtpRemoteError('config', 7, 'not-supported', 'x', { field: 'timeouts' });
    });
    await setVoucherCopies(elsewhere, 1).then(
      () => expect.fail('resolved'),
      (e: Error) => expect(e).to.be.instanceOf(TtpRemoteError),
    );
  });
});
