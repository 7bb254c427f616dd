// drivers/input-timeout.ts: the card wait set through TTP config (the timeouts before kept to put back,
// a terminal that refuses it told apart) and a flow left to time out judged by its §7.6 outcome.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeTimedOut, setCardTimeout } from '../../drivers/input-timeout';
import { TtpRemoteError } from '../../protocol/ttp';

describe('an input left to time out', () => {
  test('the card wait is set and the timeouts before are returned', async () => {
    const sets: unknown[] = [];
    const driver = {
      configure: async (set: Record<string, unknown>) => {
        sets.push(set);
        return { timeouts: { cardMs: 60000, pinMs: 60000 } } as never;
      },
    };
    expect(await setCardTimeout(driver, 1000)).to.deep.equal({ cardMs: 60000, pinMs: 60000 });
    expect(sets).to.deep.equal([{}, { timeouts: { cardMs: 1000 } }]);
  });

  test('a terminal that does not let the lab set it: undefined; any other error goes on', async () => {
    const refusing = {
      configure: async (set: Record<string, unknown>) => {
        if (!set.timeouts) return {} as never;
        throw new TtpRemoteError('config', 3, 'not-supported', 'no', { field: 'timeouts' });
      },
    };
    expect(await setCardTimeout(refusing, 1000)).to.equal(undefined);
    const broken = {
      configure: async () => {
        throw new TtpRemoteError('config', 3, 'internal', 'flash');
      },
    };
    await setCardTimeout(broken, 1000).then(
      () => expect.fail('resolved'),
      (e: unknown) => expect(e).to.be.instanceOf(TtpRemoteError),
    );
  });

  test('only timeout is a timed-out end', () => {
    expect(judgeTimedOut([{ result: 'timeout', transaction: 'sale' }], 'the sale')).to.equal(undefined);
    expect(judgeTimedOut([{ result: 'cancelled' }], 'the sale')).to.contain('outcome cancelled, not timeout');
    expect(judgeTimedOut([], 'the sale')).to.contain('no final screen');
  });
});
