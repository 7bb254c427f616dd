/**
 * The clean terminal's behaviour the defects depart from, and the remaining flows: declines with
 * the §7 texts, local expiry refusal, key check values at sign-on, reprint marking, reversal before
 * settlement, balance inquiry, refund, pre-authorization and completion, English screens.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { EmulatorBench, SM4_TMK, TtpTestClient, runSale, toIdle, startSettlement } from './harness';

const bench = new EmulatorBench(1);

describe('emulated terminal: declines and the other flows', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('51 shows 可用余额不足 without a voucher; 41 shows 挂失卡 and 请联系银行', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      let m = await runSale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('LOW') });
      const low = await client.waitScreen('交易失败', m);
      expect(low.lines.join('\n')).to.include('可用余额不足 [51]');
      expect(client.prints(m)).to.have.length(0);
      await toIdle(client);
      m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('LOST') });
      const lost = await client.waitScreen('挂失卡', m);
      expect(lost.lines).to.include('请联系银行');
      expect(JSON.parse(fs.readFileSync(t.statePath, 'utf8')).batch).to.have.length(0);
    } finally {
      await bench.dispose(t);
    }
  });

  test('an expired card is refused at the terminal: 该卡已过期, nothing sent to the host (also after a clock change)', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      const later = await client.cmd<{ now: string }>({ cmd: 'clock', set: '2031-01-15T10:00:00' });
      expect(later.now.startsWith('2031-01-15T10:0')).to.equal(true);
      const c = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', c);
      await client.keys('1', 'ENTER');
      await client.waitScreen('请刷卡', c);
      await client.present('swipe', bench.card('MAG')); // expires 3012: expired on the terminal's clock
      await client.waitScreen('该卡已过期', c);
      await client.cmd({ cmd: 'clock', set: new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19) });
      await toIdle(client);
      let m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('swipe', bench.card('EXPIRED'));
      await client.waitScreen('该卡已过期', m);
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0200' })).to.have.length(0);
    } finally {
      await bench.dispose(t);
    }
  });

  test('sign-on with a wrong TMK: 签到失败 / 解包密钥验证不符, and no transaction is possible', async () => {
    const t = await bench.terminal({ tmk: '22222222222222222222222222222222' });
    try {
      const { client } = t;
      await client.waitScreen('解包密钥验证不符', 0);
      const screen = await client.cmd<{ state: string }>({ cmd: 'screen' });
      expect(screen.state).to.equal('sign-on-required');
      const m = client.mark();
      await client.keys('1');
      await client.waitScreen('签到失败', m);
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0200' })).to.have.length(0);
    } finally {
      await bench.dispose(t);
    }
  });

  test('STAN increments, reprints are marked 重打印/DUPLICATED, a pending reversal goes before settlement', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      let m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      m = await runSale(client, { amountKeys: ['2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const stans = bench.host.control
        .journal({ terminalId, mti: '0200', direction: 'in' })
        .map((e) => Number(e.stan))
        .sort((a, b) => a - b);
      expect(stans[1]).to.equal(stans[0] + 1);
      await toIdle(client);
      m = client.mark();
      await client.keys('8');
      await client.waitScreen('重打印任意一笔', m);
      await client.keys('2');
      await client.waitScreen('请输入原凭证号', m);
      await client.keys(...String(stans[0]).split(''), 'ENTER');
      await client.waitFor((e) => e.evt === 'print' && e.reprint, m, 3000, 'reprint');
      const reprints = client.prints(m);
      expect(reprints.every((p) => p.reprint && p.lines.includes('****重打印/DUPLICATED****'))).to.equal(true);
      expect(reprints[0].lines.join('\n')).to.include('RMB:1.00');

      await toIdle(client);
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      await toIdle(client);
      m = client.mark();
      await client.keys('7');
      await client.waitScreen('确认结算', m);
      await client.keys('ENTER');
      await client.waitScreen('结算成功', m);
      const order = bench.host.control
        .journal({ terminalId, direction: 'in' })
        .sort((a, b) => a.id - b.id)
        .map((e) => e.mti)
        .filter((x) => x === '0400' || x === '0500' || x === '0320');
      expect(order).to.deep.equal(['0400', '0500', '0320']);
    } finally {
      await bench.dispose(t);
    }
  });

  test('balance inquiry shows 可用余额 from F54; refund (0220) by original reference number', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      let m = client.mark();
      await client.keys('5');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('insert', bench.card('IC'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      const bal = await client.waitScreen('查询成功', m);
      expect(bal.lines.join('\n')).to.match(/可用余额:\n\d+\.\d\d/);
      await client.cmd({ cmd: 'card', action: 'remove' });
      await toIdle(client);

      m = await runSale(client, { amountKeys: ['9', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const original = bench.host.control.transactions({ terminalId }).find((x) => x.kind === 'sale')!;
      await toIdle(client);
      m = client.mark();
      await client.keys('4');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原参考号', m);
      await client.text(original.rrn!);
      await client.keys('ENTER');
      await client.waitScreen('请输入原交易日期', m);
      const mmdd = original.at.slice(5, 7) + original.at.slice(8, 10);
      await client.keys(...mmdd.split(''), 'ENTER');
      await client.waitScreen('请输入金额', m);
      await client.keys('5', '0', '0', 'ENTER');
      await client.waitScreen('交易成功', m);
      expect(client.prints(m)[0].lines).to.include('退货(REFUND)');
      const refund = bench.host.control.journal({ terminalId, mti: '0220', direction: 'in' });
      expect(refund).to.have.length(1);
      expect(refund[0].fields['37']).to.equal(original.rrn);
      expect(refund[0].fields['3']).to.equal('200000');
    } finally {
      await bench.dispose(t);
    }
  });

  // cup8583.md §2.6: a refund's 63.1 is the card organisation of the original (CUP, or 000 when unknown), so a
  // foreign card's refund names the organisation its sale was answered with. The emulator used to send CUP always.
  test('refund (0220) 63.1: the organisation of an original in the batch (VIS), 000 for one the terminal does not hold', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      const refund = async (rrn: string, mmdd: string): Promise<void> => {
        const m = client.mark();
        await client.keys('4');
        await client.waitScreen('请刷卡', m);
        await client.present('swipe', bench.card('VISA'));
        await client.waitScreen('请输入原参考号', m);
        await client.text(rrn);
        await client.keys('ENTER');
        await client.waitScreen('请输入原交易日期', m);
        await client.keys(...mmdd.split(''), 'ENTER');
        await client.waitScreen('请输入金额', m);
        await client.keys('1', '0', '0', 'ENTER');
        await client.waitScreen(/交易成功|交易失败/, m);
        await toIdle(client);
      };
      const m = await runSale(client, { amountKeys: ['9', '0', '0'], method: 'swipe', card: bench.card('VISA'), pin: '888888' });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      const original = bench.host.control.transactions({ terminalId }).find((x) => x.kind === 'sale')!;
      expect(original.cardOrganisation).to.equal('VIS');
      const mmdd = original.at.slice(5, 7) + original.at.slice(8, 10);
      await refund(original.rrn!, mmdd);
      await refund('999999999999', mmdd);
      const sent = bench.host.control.journal({ terminalId, mti: '0220', direction: 'in' }).map((j) => j.fields['63']);
      expect(sent).to.deep.equal(['VIS', '000']);
    } finally {
      await bench.dispose(t);
    }
  });

  // cup8583.md §6: the settlement slip prints the 内卡 rows by type, then the same for 外卡. The emulator used to print
  // one set of rows, every card's, under 内卡, so a foreign card's sale and refund showed as domestic ones.
  test('settlement slip: a foreign card counts in the rows under 外卡, not under 内卡', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      let m = await runSale(client, { amountKeys: ['9', '0', '0'], method: 'swipe', card: bench.card('VISA'), pin: '888888' });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      m = await runSale(client, { amountKeys: ['2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      const slip = client.prints(m).find((p) => p.copy === 'settlement')!.lines;
      const foreignAt = slip.findIndex((l) => l.startsWith('外卡'));
      const sales = (lines: string[]) => lines.filter((l) => l.startsWith('消费/SALE')).map((l) => l.replace(/\s+/g, ' '));
      expect(sales(slip.slice(0, foreignAt)), '内卡 rows').to.deep.equal(['消费/SALE 1 2.00']);
      expect(sales(slip.slice(foreignAt)), '外卡 rows').to.deep.equal(['消费/SALE 1 9.00']);
      const [settlement] = bench.host.control.journal({ terminalId, mti: '0510', direction: 'out' });
      expect(settlement.fields['48'].slice(30, 31) + settlement.fields['48'].slice(61, 62), 'both sides balanced').to.equal('11');
    } finally {
      await bench.dispose(t);
    }
  });

  test('pre-authorization (0100, F25 06), its completion (0200, F25 06, F38) and a pre-auth void (0100 200000, 60.1 11)', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      let m = client.mark();
      await client.keys('6');
      await client.waitScreen('1.预授权', m);
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      expect(client.prints(m)[0].lines).to.include('预授权(AUTH)');
      const preauth = bench.host.control.transactions({ terminalId })[0];
      expect(preauth.mti).to.equal('0100');
      await toIdle(client);
      m = client.mark();
      await client.keys('6');
      await client.waitScreen('2.预授权完成', m);
      await client.keys('2');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(preauth.authCode!);
      await client.keys('ENTER');
      await client.waitScreen('请输入金额', m);
      await client.keys('9', '0', '0', '0', 'ENTER');
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      const completion = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0];
      expect(completion.fields['25']).to.equal('06');
      expect(completion.fields['38']).to.equal(preauth.authCode);
      expect(completion.fields['60'].slice(0, 2)).to.equal('20');

      // A second pre-authorization, then its void (预授权撤销): amount taken from the stored pre-auth.
      await toIdle(client);
      m = client.mark();
      await client.keys('6');
      await client.waitScreen('1.预授权', m);
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('5', '0', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      const second = bench.host.control.transactions({ terminalId }).find((x) => x.mti === '0100' && x.amount === 5000)!;
      await toIdle(client);
      m = client.mark();
      await client.keys('6');
      await client.waitScreen('3.预授权撤销', m);
      await client.keys('3');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(second.authCode!);
      await client.keys('ENTER');
      await client.waitScreen('交易成功', m);
      expect(client.prints(m)[0].lines).to.include('预授权撤销(CANCEL)');
      const cancel = bench.host.control.journal({ terminalId, mti: '0100', direction: 'in' }).find((e) => e.fields['3'] === '200000')!;
      expect(cancel.fields['60'].slice(0, 2)).to.equal('11');
      expect(cancel.fields['4']).to.equal('000000005000');
    } finally {
      await bench.dispose(t);
    }
  });

  test('reset abandons the flow back to idle without power loss; a pending reversal stays pending', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId, statePath } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      let m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.cmd({ cmd: 'reset' });
      const screen = await client.cmd<{ state: string }>({ cmd: 'screen' });
      expect(screen.state).to.equal('idle');
      expect(client.events.slice(m).some((e) => e.evt === 'state' && e.state === 'booting')).to.equal(false);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.include({ reason: '98' });
      expect(bench.host.control.journal({ terminalId, mti: '0400' })).to.have.length(0);
      const on = await client.raw({ cmd: 'power', action: 'on' });
      expect(!on.ok && on.error.code).to.equal('invalid-state');
    } finally {
      await bench.dispose(t);
    }
  });

  test('an SM4 (国密) terminal signs on (SM4 keys and check values), MACs with SM4 and sends its PIN block in F59', async () => {
    const t = await bench.terminal({ terminalId: 'EMUSM401', keyScheme: 'sm4', tmk: SM4_TMK });
    try {
      const { client, terminalId } = t;
      const m = await runSale(client, { amountKeys: ['7', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const req = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0];
      expect(req.fields).to.have.property('59');
      expect(req.fields).to.not.have.property('52');
      expect(req.fields['53']).to.match(/^23/);
      const hello = await client.cmd<{ capabilities: { sm4: boolean } }>({ cmd: 'hello', ttp: '1.0' });
      expect(hello.capabilities.sm4).to.equal(true);
    } finally {
      await bench.dispose(t);
    }
  });

  test("an SM4 terminal's reversal leaves its PIN block (F59 tag A1) out, like F52 (cup8583.md §3.8)", async () => {
    const t = await bench.terminal({ terminalId: 'EMUSM401', keyScheme: 'sm4', tmk: SM4_TMK });
    try {
      const { client, terminalId } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      let m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      m = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitState('idle', m, 10000);
      const [sale] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      const [reversal] = bench.host.control.journal({ terminalId, mti: '0400', direction: 'in' });
      expect(sale.fields).to.have.property('59');
      expect(reversal.fields).to.not.have.property('59');
      expect(reversal.fields).to.not.have.property('52');
    } finally {
      await bench.dispose(t);
    }
  });

  test('an unanswered reversal is retried on a fresh connection; after 3 tries a fault slip is printed and the record dropped', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId, statePath } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      let m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      bench.host.control.injectFault({ match: { terminalId, mti: '0400' }, action: 'no-response', count: 1 });
      m = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitState('idle', m, 10000);
      expect(bench.host.control.journal({ terminalId, mti: '0400', direction: 'in' })).to.have.length(2);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
      expect(client.prints(m)).to.have.length(0);

      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      m = await runSale(client, { amountKeys: ['3', '1', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      bench.host.control.injectFault({ match: { terminalId, mti: '0400' }, action: 'no-response', count: 3 });
      m = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      const slip = await client.waitFor((e) => e.evt === 'print' && e.copy === 'fault', m, 15000, 'fault slip');
      expect((slip as { lines: string[] }).lines).to.include('冲正不成功,请人工处理');
      expect((slip as { lines: string[] }).lines.join('\n'))
        .to.include('621234******1265')
        .and.not.include('6212345678901265');
      await client.waitState('idle', m, 10000);
      expect(bench.host.control.journal({ terminalId, mti: '0400', direction: 'in' })).to.have.length(5);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
    } finally {
      await bench.dispose(t);
    }
  });

  test('管理 → 签到 signs on again: new keys at the host, 签到成功 as a result screen, ENTER back to idle', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      const before = bench.host.control.terminalState(terminalId).signOnCount;
      const m = client.mark();
      await client.keys('9');
      await client.waitScreen('1.签到', m);
      await client.keys('1');
      await client.waitScreen('签到成功', m);
      expect((await client.cmd<{ state: string }>({ cmd: 'screen' })).state).to.equal('result');
      await client.keys('ENTER');
      await client.waitState('idle', m);
      expect(bench.host.control.terminalState(terminalId).signOnCount).to.equal(before + 1);
    } finally {
      await bench.dispose(t);
    }
  });

  test('parameter download (0800 360): at boot when the host asks (header digit 6 = 1), and from 管理 → 4', async () => {
    const t = await bench.terminal({ merchantName: 'OLD NAME' });
    try {
      const { client, terminalId, statePath } = t;
      expect(bench.host.control.terminalState(terminalId).parameterVersion).to.equal(1);
      const saved = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      expect(saved.parameters['22']).to.equal('上海测试便利店');
      expect(saved.config.merchantName).to.equal('上海测试便利店');
      const m = client.mark();
      await client.keys('9');
      await client.waitScreen('4.参数下载', m);
      await client.keys('4');
      await client.waitScreen('参数下载成功', m);
      await client.keys('ENTER');
      await client.waitState('idle', m);
      const downloads = bench.host.control.journal({ terminalId, mti: '0800', direction: 'in' }).filter((e) => e.fields['60'].endsWith('360'));
      expect(downloads).to.have.length(2);
    } finally {
      await bench.dispose(t);
    }
  });

  test('管理 → 5 回响测试 (0820 301, no MAC): 通讯正常 from the host; 通讯失败 when the host does not answer', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      let m = client.mark();
      await client.keys('9');
      await client.waitScreen('5.回响测试', m);
      await client.keys('5');
      await client.waitScreen('通讯正常', m);
      await client.keys('ENTER');
      await client.waitState('idle', m);
      // The IC list queries at sign-on (0820 372 / 382, ic-parameters.test.ts) are not this flow's.
      const echo = bench.host.control
        .journal({ terminalId, mti: '0820', direction: 'in' })
        .filter((j) => !['372', '382'].includes(j.fields['60'].slice(-3)));
      expect(echo).to.have.length(1);
      expect(echo[0].fields['60'].slice(-3)).to.equal('301');
      expect(echo[0].fields).to.not.have.property('64');
      expect(bench.host.control.journal({ terminalId, mti: '0830', direction: 'out' })[0].fields['39']).to.equal('00');

      bench.host.control.injectFault({ match: { terminalId, mti: '0820' }, action: 'no-response' });
      m = client.mark();
      await client.keys('9');
      await client.waitScreen('5.回响测试', m);
      await client.keys('5');
      const failed = await client.waitScreen('交易超时', m);
      expect(failed.lines).to.include('通讯失败').and.not.include('通讯正常');
    } finally {
      await bench.dispose(t);
    }
  });

  test('管理 → 6 签退 (0820 002): the host drops the keys, the terminal needs 签到 again and signs on before its next sale', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId, statePath } = t;
      let m = client.mark();
      await client.keys('9');
      await client.waitScreen('6.签退', m);
      await client.keys('6');
      await client.waitScreen('签退成功', m);
      await client.keys('ENTER');
      await client.waitState('sign-on-required', m);
      const off = bench.host.control
        .journal({ terminalId, mti: '0820', direction: 'in' })
        .filter((j) => !['372', '382'].includes(j.fields['60'].slice(-3)));
      expect(off).to.have.length(1);
      expect(off[0].fields['60'].slice(-3)).to.equal('002');
      expect(bench.host.control.terminalState(terminalId).signedOn).to.equal(false);
      const saved = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      expect(saved.signedOn).to.equal(false);
      expect(saved.ped.workingKeys).to.equal(undefined);
      // The next sale signs on first (new keys at the host), then goes through.
      const signOns = bench.host.control.terminalState(terminalId).signOnCount;
      m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      expect(bench.host.control.terminalState(terminalId).signOnCount).to.equal(signOns + 1);
    } finally {
      await bench.dispose(t);
    }
  });

  test('English screens when the language is en', async () => {
    const t = await bench.terminal({ language: 'en' });
    try {
      const { client } = t;
      const m = client.mark();
      await client.keys('ENTER');
      const menu = await client.waitScreen('MAIN MENU', m);
      expect(menu.lines).to.include('2.BILL PAYMENT');
      await client.keys('1');
      await client.waitScreen('ENTER AMOUNT:', m);
      await client.keys('CANCEL');
      await client.waitScreen('CANCELLED', m);
      // A TTP config change persists across a power cycle (the construction options applied once).
      await client.keys('CANCEL');
      await client.cmd({ cmd: 'config', set: { language: 'zh', merchantName: '测试二店' } });
      const c = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitScreen('欢迎使用', c);
      expect(await client.cmd({ cmd: 'config' })).to.include({ language: 'zh', merchantName: '测试二店' });
    } finally {
      await bench.dispose(t);
    }
  });

  test('TTP errors: keys while off, unknown keys, bad card images, unknown commands', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      const badKey = await client.raw({ cmd: 'key', keys: ['X'] } as never);
      expect(!badKey.ok && badKey.error.code).to.equal('bad-request');
      const badCard = await client.raw({ cmd: 'card', action: 'present', method: 'swipe', card: { pan: '12', expiry: '3012', serviceCode: '101' } });
      expect(!badCard.ok && badCard.error.message).to.include('pan');
      const unknown = await client.raw({ cmd: 'dance' } as never);
      expect(!unknown.ok && unknown.error.code).to.equal('unknown-command');
      await client.cmd({ cmd: 'power', action: 'cut' });
      const off = await client.raw({ cmd: 'key', keys: ['1'] });
      expect(!off.ok && off.error.code).to.equal('powered-off');
      const screen = await client.cmd<{ state: string; lines: string[] }>({ cmd: 'screen' });
      expect(screen).to.deep.include({ state: 'off', lines: [] });
      const config = await client.cmd<Record<string, unknown>>({ cmd: 'config' });
      expect(config).to.include({ terminalId: t.terminalId, 'x-tmkLoaded': true });
      expect(JSON.stringify(config)).to.not.include('1111111111111111');
    } finally {
      await bench.dispose(t);
    }
  });
});
