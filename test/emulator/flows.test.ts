/**
 * The emulated terminal against the real reference host over TCP, driven by TTP frames over a socat
 * PTY pair opened with serialport: a sale, a 缴费, a void, a settlement, the power-cut reversal and
 * the tamper refusal.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { EmulatorBench, runSale } from './harness';

const bench = new EmulatorBench(1);

const sale = runSale;

describe('emulated terminal: flows against the reference host over a serial PTY', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('power-on signs on (keys checked) and shows the idle screen', async () => {
    const t = await bench.terminal();
    try {
      const hello = await t.client.cmd<{ capabilities: Record<string, boolean>; ttp: string }>({ cmd: 'hello', ttp: '1.0' });
      expect(hello.ttp).to.equal('1.1');
      expect(hello.capabilities.contactless).to.equal(true);
      const screen = await t.client.cmd<{ lines: string[]; state: string }>({ cmd: 'screen' });
      expect(screen.state).to.equal('idle');
      expect(screen.lines.join('\n')).to.include('银联POS');
      const state = bench.host.control.terminalState(t.terminalId);
      expect(state.signedOn).to.equal(true);
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.signedOn).to.equal(true);
      // What is stored is the sign-on field 62 as received: keys under the TMK plus their check values.
      expect(saved.ped.workingKeys.layout).to.equal('004');
      expect(saved.ped.workingKeys.f62).to.include(state.keyCheckValues.pik!.toUpperCase());
    } finally {
      await bench.dispose(t);
    }
  });

  test('sale by insert: amount as typed, PIN as *, ARQC in F55, two vouchers, 交易成功, booked once', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      let m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '2');
      await client.waitScreen('0.12', m);
      await client.keys('3', '4', 'ENTER');
      await client.waitScreen('请刷卡/插卡/挥卡', m);
      m = client.mark();
      await client.present('insert', bench.card('IC'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3');
      await client.waitScreen(/^\*\*\*$/m, m);
      await client.keys('4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      expect(client.displays(m).some((d) => d.lines.some((l) => l.includes('123')))).to.equal(false);
      const prints = client.prints(m);
      expect(prints.map((p) => p.copy)).to.deep.equal(['merchant', 'cardholder']);
      const merchant = prints[0].lines.join('\n');
      expect(merchant).to.include('620000******0047');
      expect(merchant).to.not.include('6200000000000047');
      expect(merchant).to.include('RMB:12.34');
      expect(merchant).to.include('持卡人签名');
      expect(prints[1].lines.join('\n')).to.not.include('持卡人签名');
      const txns = bench.host.control.transactions({ terminalId: t.terminalId });
      expect(txns).to.have.length(1);
      expect(txns[0]).to.include({ kind: 'sale', amount: 1234, approved: true, responseCode: '00' });
      expect(merchant).to.include(`交易参考号(REF. NO):${txns[0].rrn}`);
      const req = bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' })[0];
      expect(req.fields['22']).to.equal('051');
      expect(req.fields).to.have.property('55');
      expect(req.fields).to.have.property('52');
      expect(req.fields['53']).to.match(/^26/);
      expect(req.fields['60']).to.match(/^22\d{6}00050$/);
    } finally {
      await bench.dispose(t);
    }
  });

  test("after an inserted sale the result stays with 请拔卡 and alert beeps, keys do not leave it, and only the card's removal brings idle", async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      let m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      const reminder = await client.waitScreen('请拔卡', m);
      expect(reminder.lines).to.include('交易成功');
      m = client.mark();
      await client.keys('ENTER');
      await new Promise((r) => setTimeout(r, 1300));
      expect(client.events.slice(m).filter((e) => e.evt === 'beep' && e.kind === 'alert').length).to.be.at.least(1);
      expect(client.events.slice(m).filter((e) => e.evt === 'state' && e.state === 'idle')).to.deep.equal([]);
      m = client.mark();
      await client.cmd({ cmd: 'card', action: 'remove' });
      await client.waitState('idle', m);
    } finally {
      await bench.dispose(t);
    }
  });

  test('swipe and tap map to F22 02x / 07x and 60.4 5 / 6; a swiped chip card is asked to be inserted', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      await sale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      let m = client.mark();
      await client.waitScreen('交易成功', 0);
      await client.keys('CANCEL');
      await client.waitState('idle', m);
      m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('6', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('swipe', bench.card('IC'));
      await client.waitScreen('请插入IC卡', m);
      m = client.mark();
      await client.present('tap', bench.card('IC'));
      await client.waitScreen('交易成功', m); // no PIN prompt: a tap under the profile's no-PIN limit (小额免密)
      expect(client.displays(m).some((d) => d.lines.includes('请输入密码'))).to.equal(false);
      const reqs = bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' }).sort((a, b) => a.id - b.id);
      expect(reqs.map((r) => r.fields['22'])).to.deep.equal(['021', '072']);
      expect(reqs[0].fields['60'].slice(11, 12)).to.equal('5');
      expect(reqs[1].fields['60'].slice(11, 12)).to.equal('6');
    } finally {
      await bench.dispose(t);
    }
  });

  test('缴费: amount, payee name (Chinese) and account, confirmation with payee and amount, card, PIN, two-copy voucher with payee, 交易成功', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      let m = client.mark();
      await client.keys('2');
      await client.waitScreen('请输入金额', m);
      await client.keys('8', '8', '0', '0', 'ENTER');
      await client.waitScreen('请输入收款方名称', m);
      await client.text('广州供电局');
      await client.waitScreen('广州供电局', m);
      await client.keys('ENTER');
      await client.waitScreen('请输入收款方账号', m);
      await client.keys('4', '4', '0', '1', '0', '2', '0', '3', 'ENTER');
      const confirm = await client.waitScreen('请确认缴费信息', m);
      expect(confirm.lines.join('\n')).to.include('收款方:广州供电局').and.include('收款账号:44010203').and.include('金额:88.00');
      await client.keys('ENTER');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('insert', bench.card('IC'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      const done = await client.waitScreen('交易成功', m);
      const prints = client.prints(m);
      expect(prints.map((p) => p.copy)).to.deep.equal(['merchant', 'cardholder']);
      expect(client.events.indexOf(prints[1])).to.be.below(client.events.indexOf(done));
      for (const p of prints) {
        expect(p.lines.join('\n'))
          .to.include('收款方(PAYEE):广州供电局')
          .and.include('收款账号(PAYEE ACCOUNT):44010203')
          .and.include('缴费(BILL PAYMENT)');
      }
      expect(prints[0].lines.join('\n')).to.include('持卡人签名');
      const txns = bench.host.control.transactions({ terminalId: t.terminalId });
      expect(txns[0]).to.include({ kind: 'bill-payment', amount: 8800, approved: true });
      expect(txns[0].payee).to.deep.include({ name: '广州供电局', account: '44010203' });
      expect(bench.host.control.balance('IC').balance).to.be.below(bench.host.control.balance('IC').openingBalance);
    } finally {
      await bench.dispose(t);
    }
  });

  test('void by voucher number, then settlement: 0500 balanced, 207 end, slip printed, batch number advances and batch empties', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      await sale(client, { amountKeys: ['1', '0', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', 0);
      await sale(client, { amountKeys: ['2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitFor((e) => e.evt === 'print' && e.lines.join('').includes('RMB:2.00'), 0, 5000, 'second sale voucher');
      const first = bench.host.control.transactions({ terminalId: t.terminalId }).find((x) => x.amount === 1000)!;
      let m = client.mark();
      await client.keys('CANCEL');
      await client.waitState('idle', m);
      m = client.mark();
      await client.keys('3');
      await client.waitScreen('请输入原凭证号', m);
      await client.keys(...first.stan.split(''), 'ENTER');
      const confirm = await client.waitScreen('请确认撤销', m);
      expect(confirm.lines.join('\n')).to.include('10.00').and.include('621234******1265');
      await client.keys('ENTER');
      await client.waitScreen('交易成功', m);
      expect(client.prints(m)[0].lines.join('\n')).to.include('消费撤销(VOID)').and.include(`原凭证号(VOUCHER):${first.stan}`);
      const voided = bench.host.control.transactions({ terminalId: t.terminalId }).find((x) => x.id === first.id)!;
      expect(voided.voidedBy).to.not.equal(null);

      const before = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      m = client.mark();
      await client.keys('CANCEL');
      await client.waitState('idle', m);
      m = client.mark();
      await client.keys('7');
      await client.waitScreen('确认结算', m);
      await client.keys('ENTER');
      await client.waitScreen('结算成功', m);
      const slip = client.prints(m).find((p) => p.copy === 'settlement')!;
      expect(slip.lines.join('\n')).to.include('对帐平').and.include(`批次号(BATCH NO):${before.counters.batchNumber}`);
      const view = bench.host.control.settlementTotals(t.terminalId, before.counters.batchNumber);
      expect(view.settlements[0].domesticResult).to.equal('1');
      expect(view.state).to.equal('closed');
      const after = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(after.batch).to.deep.equal([]);
      expect(Number(after.counters.batchNumber)).to.equal(Number(before.counters.batchNumber) + 1);
      expect(bench.host.control.terminalState(t.terminalId).batch).to.equal(after.counters.batchNumber);
    } finally {
      await bench.dispose(t);
    }
  });

  test('power cut while waiting for the host: the reversal persisted before the request goes out after power-up', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      bench.host.control.injectFault({ match: { terminalId: t.terminalId, mti: '0200' }, action: 'no-response' });
      await sale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitState('online', 0);
      // Wait until the request is at the host, then pull the plug.
      const deadline = Date.now() + 2000;
      while (bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' }).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await client.cmd({ cmd: 'power', action: 'cut' });
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.pendingReversal).to.include({ reason: '98', kind: 'sale' });
      const m = client.mark();
      await client.cmd({ cmd: 'power', action: 'on' });
      await client.waitState('idle', m);
      const reversals = bench.host.control.journal({ terminalId: t.terminalId, mti: '0400', direction: 'in' });
      expect(reversals).to.have.length(1);
      expect(reversals[0].stan).to.equal(saved.pendingReversal.trace);
      expect(reversals[0].fields['39']).to.equal('98');
      expect(reversals[0].fields).to.not.have.property('35');
      expect(reversals[0].fields).to.not.have.property('52');
      expect(JSON.parse(fs.readFileSync(t.statePath, 'utf8')).pendingReversal).to.equal(null);
      const bal = bench.host.control.balance('MAG');
      expect(bal.balance).to.equal(
        bal.openingBalance -
          bench.host.control
            .transactions({ card: 'MAG' })
            .filter((x) => x.approved && !x.reversed && x.kind === 'sale' && !x.voidedBy)
            .reduce((s, x) => s + x.amount, 0),
      );
    } finally {
      await bench.dispose(t);
    }
  });

  test('host timeout: reversal (98) goes out before the next transaction', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      bench.host.control.injectFault({ match: { terminalId: t.terminalId, mti: '0200' }, action: 'no-response' });
      let m = await sale(client, { amountKeys: ['4', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      const failed = await client.waitScreen('交易超时', m);
      expect(failed.lines.join('\n')).to.include('交易失败');
      m = client.mark();
      await client.keys('CANCEL');
      await client.waitState('idle', m);
      await sale(client, { amountKeys: ['4', '1', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const inbound = bench.host.control
        .journal({ terminalId: t.terminalId, direction: 'in' })
        .sort((a, b) => a.id - b.id)
        .filter((e) => e.mti === '0200' || e.mti === '0400');
      expect(inbound.map((e) => e.mti)).to.deep.equal(['0200', '0400', '0200']);
      expect(inbound[1].stan).to.equal(inbound[0].stan);
      expect(inbound[1].fields['39']).to.equal('98');
    } finally {
      await bench.dispose(t);
    }
  });

  test('a reply whose MAC fails is reversed with reason A0', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      bench.host.control.injectFault({ match: { terminalId: t.terminalId, mti: '0200' }, action: 'corrupt-mac' });
      const m = await sale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('解包校验不符', m);
      expect(client.prints(m)).to.have.length(0);
      const saved = JSON.parse(fs.readFileSync(t.statePath, 'utf8'));
      expect(saved.pendingReversal.reason).to.equal('A0');
      await client.cmd({ cmd: 'power', action: 'cycle' });
      const rev = bench.host.control.journal({ terminalId: t.terminalId, mti: '0400', direction: 'in' });
      expect(rev).to.have.length(1);
      expect(rev[0].fields['39']).to.equal('A0');
    } finally {
      await bench.dispose(t);
    }
  });

  test('a tampered terminal shows a warning and refuses to transact (keys and ECR)', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      await client.cmd({ cmd: 'config', set: { 'x-tampered': true } });
      const m = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      const warning = await client.waitScreen('警告:终端已被拆机', m);
      expect(warning.lines).to.include('禁止交易');
      const screen = await client.cmd<{ state: string }>({ cmd: 'screen' });
      expect(screen.state).to.equal('tampered');
      await client.keys('1');
      await new Promise((r) => setTimeout(r, 100));
      expect(client.displays(m).some((d) => d.lines.some((l) => l.includes('请输入金额')))).to.equal(false);
      const r = await client.raw({ cmd: 'ecr', request: 'sale', amount: '100' });
      expect(r.ok).to.equal(false);
      expect(!r.ok && r.error.code).to.equal('tampered');
      expect(bench.host.control.journal({ terminalId: t.terminalId, mti: '0200' })).to.have.length(0);
    } finally {
      await bench.dispose(t);
    }
  });

  test('ECR sale: the reply carries the result once the transaction is done', async () => {
    const t = await bench.terminal();
    try {
      const { client } = t;
      const m = client.mark();
      const pending = client.cmd<{ approved: boolean; responseCode: string; rrn: string; maskedPan: string; amount: string }>(
        { cmd: 'ecr', request: 'sale', amount: '2500', ecrReference: 'POS-1' },
        10000,
      );
      await client.waitScreen('请刷卡', m);
      await client.present('insert', bench.card('IC'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      const result = await pending;
      expect(result).to.include({ approved: true, responseCode: '00', amount: '2500', maskedPan: '620000******0047' });
      expect(result.rrn).to.match(/^\w{12}$/);
    } finally {
      await bench.dispose(t);
    }
  });
});
