/**
 * 部分承兑 (partial approval, cup8583.md §2.4 60.6, §7 10) end to end: the emulator over TTP on a socat
 * PTY against the real reference host. A profile that declares partialApproval (three-copies) asks for
 * it and concludes a 10 at the reply's F4 (screen, every copy, batch, ledger); the reference profile
 * does not ask, and the same card over its balance is declined 51.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { parseField60 } from '../../protocol/iso8583';
import { EmulatorBench, runSale, toIdle } from './harness';

const bench = new EmulatorBench(1);

describe('emulator and host: partial approval (部分承兑)', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('reference profile: no 60.6 = 1, the card over its balance is declined 51 and nothing is booked', async () => {
    const t = await bench.terminal();
    try {
      const m = await runSale(t.client, { amountKeys: ['5', '0', '0', '0'], method: 'swipe', card: bench.card('PARTIAL') });
      await t.client.waitScreen('可用余额不足', m);
      const [request] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' });
      expect(parseField60(request.fields['60']).partialApproval).to.not.equal('1');
      const [reply] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0210', direction: 'out' });
      expect(reply.fields['39']).to.equal('51');
      const bal = bench.host.control.balance('PARTIAL');
      expect(bal.balance).to.equal(bal.openingBalance);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('three-copies (partialApproval): 60.6 = 1, a 10 for 30.00 of 50.00 shown, printed on every copy, batched and debited at 30.00', async () => {
    const t = await bench.terminal({ profile: 'three-copies' });
    try {
      const m = await runSale(t.client, { amountKeys: ['5', '0', '0', '0'], method: 'swipe', card: bench.card('PARTIAL') });
      await t.client.waitScreen('部分承兑', m);
      const [request] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' });
      expect(parseField60(request.fields['60']).partialApproval).to.equal('1');
      expect(request.fields['4']).to.equal('000000005000');
      const [reply] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0210', direction: 'out' });
      expect([reply.fields['39'], reply.fields['4']]).to.deep.equal(['10', '000000003000']);
      const result = t.client
        .displays(m)
        .map((s) => s.lines.join('\n'))
        .find((x) => x.includes('部分承兑'))!;
      expect(result).to.include('30.00').and.not.include('50.00');
      const prints = t.client.prints(m);
      expect(prints).to.have.length(3);
      for (const p of prints) expect(p.lines.join('\n')).to.include('30.00').and.not.include('50.00');
      const bal = bench.host.control.balance('PARTIAL');
      expect(bal.openingBalance - bal.balance).to.equal(3000);
      const [tx] = bench.host.control.transactions({ card: 'PARTIAL' }).filter((x) => x.approved);
      expect([tx.amount, tx.responseCode]).to.deep.equal([3000, '10']);
      const batch = (JSON.parse(fs.readFileSync(t.statePath, 'utf8')) as { batch: Array<{ amount: number }> }).batch;
      expect(batch.map((x) => x.amount)).to.deep.equal([3000]);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });
});
