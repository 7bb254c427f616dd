/**
 * 追加预授权 (additional pre-authorization, cup8583.md §3.1 F25 = 60, §2.5, §6 ADD-AUTH) end to end: the emulator
 * over TTP on a socat PTY against the real reference host. The reference profile does not offer it; a profile
 * that declares additionalPreAuth (confiscate-texts, LY-style) sends it with F25 60, F38 = the original auth
 * code and F61 zeros, prints 追加预授权 with the 累计金额, the host raises the hold, and a later pre-authorization
 * void names the total.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { identify } from '../../protocol/iso8583';
import { EmulatorBench, preauthThenAdd, toIdle } from './harness';

const bench = new EmulatorBench(1);

describe('emulator and host: 追加预授权 (additional pre-authorization)', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('reference profile: the pre-auth menu has no 追加预授权', async () => {
    const t = await bench.terminal();
    try {
      const m = t.client.mark();
      await t.client.keys('6');
      const menu = await t.client.waitScreen('1.预授权', m);
      expect(menu.lines.join('\n')).to.include('3.预授权撤销').and.not.include('追加预授权');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('confiscate-texts (additionalPreAuth): F25 60 with F38, voucher 追加预授权 and 累计金额, hold raised, void at the total', async () => {
    const t = await bench.terminal({ profile: 'confiscate-texts' });
    const { client, terminalId } = t;
    try {
      const { authCode, mark } = await preauthThenAdd(client, bench.host, terminalId, {
        amountKeys: ['1', '0', '0', '0', '0'],
        add: ['5', '0', '0', '0'],
        card: bench.card('MAG'),
      });
      await client.waitScreen('交易成功', mark);
      const add = bench.host.control.journal({ terminalId, mti: '0100', direction: 'in' })[1];
      expect(identify({ mti: add.mti!, fields: add.fields })).to.equal('preauth-add');
      expect([add.fields['3'], add.fields['25'], add.fields['60'].slice(0, 2), add.fields['4']]).to.deep.equal([
        '030000',
        '60',
        '10',
        '000000005000',
      ]);
      expect(add.fields['38']).to.equal(authCode);
      expect(add.fields['61']).to.match(/^0+$/);
      const [reply] = bench.host.control.journal({ terminalId, mti: '0110', direction: 'out' }).slice(1);
      expect(reply.fields['39']).to.equal('00');
      const prints = client.prints(mark);
      expect(prints.length).to.be.at.least(1);
      for (const p of prints) {
        const text = p.lines.join('\n');
        expect(text).to.include('追加预授权(ADD-AUTH)').and.include(`原预授权码(AUTH NO):${authCode}`);
        expect(text).to.match(/累计金额\(TOTAL\):\nRMB:150\.00/);
      }
      expect(bench.host.control.balance('MAG').holds).to.equal(15000);
      await toIdle(client);

      // 预授权撤销 of the pre-authorization: the terminal kept the total, the host releases all of it.
      const m = client.mark();
      await client.keys('6');
      await client.waitScreen('3.预授权撤销', m);
      await client.keys('3');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(authCode);
      await client.keys('ENTER');
      await client.waitScreen('交易成功', m);
      const cancel = bench.host.control.journal({ terminalId, mti: '0100', direction: 'in' }).find((e) => e.fields['3'] === '200000')!;
      expect(cancel.fields['4']).to.equal('000000015000');
      expect(bench.host.control.balance('MAG').holds).to.equal(0);
      await toIdle(client);
    } finally {
      await bench.dispose(t);
    }
  });
});
