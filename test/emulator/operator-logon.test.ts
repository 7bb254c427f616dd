/**
 * 操作员签到 (operator logon, cup8583.md §2.6 63.1, §3.2, §6 操作员号) end to end: the emulator over TTP on a
 * socat PTY against the real reference host. Under a profile that declares operatorLogon (supervisor), a
 * sign-on from the menu asks 操作员号 and 操作员密码; a wrong password is refused with nothing sent; the
 * right one signs on with F63 = the operator + space, which the host journals, and the vouchers print it.
 * The reference profile asks nothing and signs on as its default operator 01.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { EmulatorBench, runSale, toIdle, type TtpTestClient } from './harness';

const bench = new EmulatorBench(1);

async function menuSignOn(client: TtpTestClient): Promise<number> {
  const m = client.mark();
  await client.keys('9');
  await client.waitScreen('1.签到', m);
  await client.keys('1');
  return m;
}

describe('emulator and host: operator logon (操作员签到)', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('reference profile: a sign-on from the menu asks no operator and names the default 01', async () => {
    const t = await bench.terminal();
    try {
      const m = await menuSignOn(t.client);
      await t.client.waitScreen('签到成功', m);
      expect(t.client.displays(m).some((s) => s.lines.join('\n').includes('操作员'))).to.equal(false);
      const signOn = bench.host.control.journal({ terminalId: t.terminalId, mti: '0800', direction: 'in' }).at(-1)!;
      expect(signOn.fields['63']).to.equal('01 ');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('supervisor (operatorLogon 03): a wrong password sends nothing; the right one signs on as 03, journalled and printed', async () => {
    const t = await bench.terminal({ profile: 'supervisor' });
    const { client, terminalId } = t;
    try {
      const before = bench.host.control.journal({ terminalId, mti: '0800', direction: 'in' }).length;
      let m = await menuSignOn(client);
      await client.waitScreen('请输入操作员号', m);
      await client.keys('0', '3', 'ENTER');
      await client.waitScreen('请输入操作员密码', m);
      await client.keys('2', '4', '6', '8', 'ENTER');
      await client.waitScreen('操作员密码错误', m);
      expect(bench.host.control.journal({ terminalId, mti: '0800', direction: 'in' })).to.have.length(before);
      await toIdle(client);

      m = await menuSignOn(client);
      await client.waitScreen('请输入操作员号', m);
      await client.keys('0', '3', 'ENTER');
      await client.waitScreen('请输入操作员密码', m);
      await client.keys('1', '3', '5', '7', 'ENTER');
      await client.waitScreen('签到成功', m);
      const signOn = bench.host.control.journal({ terminalId, mti: '0800', direction: 'in' }).at(-1)!;
      expect(signOn.fields['63']).to.equal('03 ');
      expect(signOn.note).to.include('operator 03');
      await toIdle(client);

      const sale = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', sale);
      for (const p of client.prints(sale)) expect(p.lines.join('\n')).to.include('操作员号(OPERATOR NO): 03');
      await toIdle(client);
    } finally {
      await bench.dispose(t);
    }
  });
});
