/**
 * One test per catalogued firmware defect: the emulator with that defect switched on, driven over
 * TTP on a socat PTY against the real reference host, shows the behaviour the catalogue claims.
 * The clean behaviour each defect departs from is covered in flows.test.ts and declines.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { DEFECT_CATALOGUE, DefectName } from '../../emulator';
import { cardByAlias, loadHostConfig } from '../../host';
import { terminalLists } from '../../host/config';
import { labPki } from '../../drivers/public-network';
import { EmulatorBench, preauthThenAdd, TtpTestClient, runSale, testHostConfig, waitForHost, toIdle, startSettlement } from './harness';
import { cardholderSignature } from '../../drivers/e-signature';
import { identify, parseField60, parseField61 } from '../../protocol/iso8583';

const bench = new EmulatorBench(1);
const covered = new Set<DefectName>();

async function withDefect(name: DefectName, body: (t: Awaited<ReturnType<EmulatorBench['terminal']>>) => Promise<void>, extra = {}): Promise<void> {
  covered.add(name);
  const t = await bench.terminal({ defects: [name], ...extra });
  try {
    await body(t);
  } finally {
    await bench.dispose(t);
  }
}

function text(lines: string[]): string {
  return lines.join('\n');
}

async function approvedSale(client: TtpTestClient, amountKeys = ['1', '2', '3', '4']): Promise<number> {
  const m = await runSale(client, { amountKeys, method: 'swipe', card: bench.card('MAG') });
  await client.waitScreen('交易成功', m);
  return m;
}

describe('emulator defect catalogue: each defect is observable', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('full-pan-on-voucher: the voucher carries the full PAN', () =>
    withDefect('full-pan-on-voucher', async ({ client }) => {
      const m = await approvedSale(client);
      expect(text(client.prints(m)[0].lines)).to.include('6212345678901265');
    }));

  test('pin-echoed-on-screen: PIN digits appear on the PIN screen', () =>
    withDefect('pin-echoed-on-screen', async ({ client }) => {
      let m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      m = client.mark();
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3');
      await client.waitScreen(/^123$/m, m);
    }));

  test('no-reversal-after-timeout: a timed-out sale is never reversed', () =>
    withDefect('no-reversal-after-timeout', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      const m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
      await toIdle(client);
      await approvedSale(client);
      const booted = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitState('idle', booted);
      expect(bench.host.control.journal({ terminalId, mti: '0400' })).to.have.length(0);
    }));

  test('reversal-sent-twice: two 0400 with the same STAN', () =>
    withDefect('reversal-sent-twice', async ({ client, terminalId }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      const m = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', m);
      // The power reply comes before the terminal acts: wait until it has booted and sent its reversals.
      const booted = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitState('idle', booted);
      await waitForHost(bench.host, terminalId, '0400', 2);
      const reversals = bench.host.control.journal({ terminalId, mti: '0400', direction: 'in' });
      expect(reversals).to.have.length(2);
      expect(reversals[0].stan).to.equal(reversals[1].stan);
    }));

  test('wrong-mac: the host answers A0 and the terminal shows the MAC error', () =>
    withDefect('wrong-mac', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('MAC校验错', m);
      const replies = bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' });
      expect(replies[0].responseCode).to.equal('A0');
    }));

  test('pin-block-format-1: the PIN block is not format 0 and the host declines the PIN', () =>
    withDefect('pin-block-format-1', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易失败', m);
      const replies = bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' });
      expect(replies[0].responseCode).to.be.oneOf(['55', '99']);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0].fields['53']).to.match(/^2/);
    }));

  test('cardholder-copy-missing: only the merchant copy is printed', () =>
    withDefect('cardholder-copy-missing', async ({ client }) => {
      const m = await approvedSale(client);
      expect(client.prints(m).map((p) => p.copy)).to.deep.equal(['merchant']);
    }));

  test('signature-line-missing: the merchant copy has no signature line', () =>
    withDefect('signature-line-missing', async ({ client }) => {
      const m = await approvedSale(client);
      const merchant = client.prints(m).find((p) => p.copy === 'merchant')!;
      expect(text(merchant.lines)).to.not.include('持卡人签名');
    }));

  test('voucher-amount-mismatch: the voucher amount differs from the authorized amount', () =>
    withDefect('voucher-amount-mismatch', async ({ client, terminalId }) => {
      const m = await approvedSale(client);
      expect(text(client.prints(m)[0].lines)).to.include('RMB:12.35');
      expect(bench.host.control.transactions({ terminalId })[0].amount).to.equal(1234);
    }));

  test('voucher-rrn-not-host: the voucher reference number is not the host F37', () =>
    withDefect('voucher-rrn-not-host', async ({ client, terminalId }) => {
      const m = await approvedSale(client);
      const rrn = bench.host.control.transactions({ terminalId })[0].rrn!;
      const line = client.prints(m)[0].lines.find((l) => l.startsWith('交易参考号'))!;
      expect(line).to.not.include(rrn);
    }));

  test('response-51-shown-as-success: insufficient funds shown as 交易成功 with a voucher', () =>
    withDefect('response-51-shown-as-success', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('LOW') });
      await client.waitScreen('交易成功', m);
      expect(client.prints(m)).to.have.length.above(0);
      expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('51');
    }));

  test('lost-card-shown-as-plain-failure: 41 is shown as a bare [41], without 挂失卡', () =>
    withDefect('lost-card-shown-as-plain-failure', async ({ client }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('LOST') });
      const screen = await client.waitScreen('[41]', m);
      expect(text(screen.lines)).to.not.include('挂失卡');
    }));

  test('expired-card-accepted: an expired card is sent online', () =>
    withDefect('expired-card-accepted', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('EXPIRED') });
      await client.waitScreen('交易失败', m);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })).to.have.length(1);
    }));

  test('settlement-totals-off-by-one: the host finds the totals unbalanced and a batch upload follows', () =>
    withDefect('settlement-totals-off-by-one', async ({ client, terminalId }) => {
      await approvedSale(client);
      await toIdle(client);
      const m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      const slip = client.prints(m).find((p) => p.copy === 'settlement')!;
      expect(text(slip.lines)).to.include('对帐不平');
      const sent = bench.host.control.journal({ terminalId, mti: '0500', direction: 'in' })[0];
      expect(sent.fields['48'].slice(12, 15)).to.equal('002');
      expect(bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' }).length).to.be.above(0);
    }));

  test('batch-not-cleared: after settlement the batch keeps its transactions and number', () =>
    withDefect('batch-not-cleared', async ({ client, statePath }) => {
      await approvedSale(client);
      await toIdle(client);
      const before = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      const m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      const after = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      expect(after.batch).to.have.length(1);
      expect(after.counters.batchNumber).to.equal(before.counters.batchNumber);
    }));

  test('stan-not-incremented: two sales share a STAN and the host answers 94', () =>
    withDefect('stan-not-incremented', async ({ client, terminalId }) => {
      await approvedSale(client);
      await toIdle(client);
      const m = await runSale(client, { amountKeys: ['2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易失败', m);
      const reqs = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      expect(reqs).to.have.length(2);
      expect(reqs[0].stan).to.equal(reqs[1].stan);
      expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' }).map((r) => r.responseCode)).to.include('94');
    }));

  test('payee-not-shown: the 缴费 confirmation lacks the payee', () =>
    withDefect('payee-not-shown', async ({ client }) => {
      const m = client.mark();
      await client.keys('2');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', 'ENTER');
      await client.waitScreen('请输入收款方名称', m);
      await client.text('自来水公司');
      await client.keys('ENTER');
      await client.waitScreen('请输入收款方账号', m);
      await client.keys('1', '2', '3', '4', 'ENTER');
      const confirm = await client.waitScreen('请确认缴费信息', m);
      expect(text(confirm.lines)).to.include('金额:1.00');
      expect(text(confirm.lines)).to.not.include('自来水公司');
      expect(text(confirm.lines)).to.not.include('收款方');
    }));

  test('tamper-ignored: a tampered terminal still transacts', () =>
    withDefect(
      'tamper-ignored',
      async ({ client }) => {
        const screen = await client.cmd<{ state: string }>({ cmd: 'screen' });
        expect(screen.state).to.equal('idle');
        await approvedSale(client);
      },
      { tampered: true },
    ));

  test('response-mac-not-verified: a reply with a corrupted MAC is accepted and not reversed', () =>
    withDefect('response-mac-not-verified', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-mac' });
      await approvedSale(client);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
    }));

  test('reprint-not-marked: the reprint carries no 重打印 mark', () =>
    withDefect('reprint-not-marked', async ({ client }) => {
      await approvedSale(client);
      await toIdle(client);
      const m = client.mark();
      await client.keys('8');
      await client.waitScreen('重打印最后一笔', m);
      await client.keys('1');
      await client.waitFor((e) => e.evt === 'print' && e.reprint, m, 3000, 'reprint');
      const reprint = client.prints(m).filter((p) => p.reprint);
      expect(reprint.length).to.be.above(0);
      for (const p of reprint) expect(text(p.lines)).to.not.include('重打印');
    }));

  test('original-marked-as-reprint: the first vouchers of a sale are marked 重打印 and flagged reprint', () =>
    withDefect('original-marked-as-reprint', async ({ client }) => {
      const m = await approvedSale(client);
      await client.waitFor((e) => e.evt === 'print', m, 3000, 'print');
      const prints = client.prints(m);
      expect(prints.length).to.be.above(0);
      for (const p of prints) {
        expect(p.reprint).to.equal(true);
        expect(text(p.lines)).to.include('重打印');
      }
    }));

  test('failed-ic-lost-on-power-cut: the failed-IC records the state file held are gone after power-on', () =>
    withDefect('failed-ic-lost-on-power-cut', async ({ client, statePath }) => {
      await client.cmd({ cmd: 'power', action: 'cut' });
      const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      const record = { kind: 'sale', trace: '000001', batch: state.counters.batchNumber, amount: 3300, pan: '6212345678901265', entryMode: '051' };
      state.failedIc = [{ ...record, cardOrganisation: 'CUP', failure: 'card-declined', icc: '9F2608' + '00'.repeat(8) }];
      fs.writeFileSync(statePath, JSON.stringify(state));
      const on = client.mark();
      await client.cmd({ cmd: 'power', action: 'on' });
      await client.waitState('idle', on);
      await approvedSale(client);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).failedIc ?? []).to.deep.equal([]);
    }));

  test('ecr-busy-after-boot: at the first idle after power-on the cash register is refused busy', () =>
    withDefect('ecr-busy-after-boot', async ({ client }) => {
      const on = client.mark();
      await client.cmd({ cmd: 'power', action: 'cycle' });
      await client.waitState('idle', on);
      const refused = await client.cmd({ cmd: 'ecr', request: 'settle' }, 10000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(JSON.stringify(refused, Object.getOwnPropertyNames(refused ?? {}))).to.match(/busy/);
    }));

  test('foreign-card-booked-domestic: a card answered 63.1 = VIS is booked CUP: no 外卡组织, counted 内卡, both sides unbalanced', () =>
    withDefect('foreign-card-booked-domestic', async ({ client, terminalId, statePath }) => {
      const sold = await runSale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('VISA'), pin: '888888' });
      await client.waitScreen('交易成功', sold);
      const reply = bench.host.control.journal({ terminalId, direction: 'out' }).find((j) => j.mti === '0210');
      expect(reply?.fields['63'], 'the host answered the card as foreign (63.1)').to.match(/^VIS/);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).batch[0].cardOrganisation).to.equal('CUP');
      expect(text(client.prints(sold)[0].lines)).to.not.include('外卡组织');
      await toIdle(client);
      const m = await startSettlement(client);
      await client.waitScreen('结算成功', m);
      const [settlement] = bench.host.control.journal({ terminalId, mti: '0500', direction: 'in' });
      // F48 (§3.9): the 5.00 on the 内卡 debit side [0..15), the 外卡 debit side [31..46) empty.
      expect([settlement.fields['48'].slice(0, 15), settlement.fields['48'].slice(31, 46)]).to.deep.equal(['000000000500001', '000000000000000']);
      const view = bench.host.control.settlementTotals(terminalId, settlement.fields['60'].slice(2, 8));
      expect(view.settlements.map((x) => x.domesticResult + x.foreignResult)).to.deep.equal(['22']);
    }));

  test('reversal-lost-on-power-cut: a power cut mid-online loses the reversal', () =>
    withDefect('reversal-lost-on-power-cut', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await waitForHost(bench.host, terminalId, '0200');
      await client.cmd({ cmd: 'power', action: 'cut' });
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
      await client.cmd({ cmd: 'power', action: 'on' });
      expect(bench.host.control.journal({ terminalId, mti: '0400' })).to.have.length(0);
    }));

  test('settlement-before-reversal: the 0500 goes out before the pending 0400', () =>
    withDefect('settlement-before-reversal', async ({ client, terminalId }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      const s = await runSale(client, { amountKeys: ['3', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易超时', s);
      await toIdle(client);
      const m = client.mark();
      await client.keys('7');
      await client.waitScreen('确认结算', m);
      await client.keys('ENTER');
      await client.waitScreen(/结算/, m);
      await waitForHost(bench.host, terminalId, '0400');
      const order = bench.host.control
        .journal({ terminalId, direction: 'in' })
        .sort((a, b) => a.id - b.id)
        .map((e) => e.mti)
        .filter((mti) => mti === '0400' || mti === '0500');
      expect(order).to.deep.equal(['0500', '0400']);
    }));

  test('entry-mode-always-swipe: an inserted chip card is sent with F22 02x', () =>
    withDefect('entry-mode-always-swipe', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen(/交易/, m);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0].fields['22']).to.match(/^02/);
    }));

  test('kcv-not-checked: keys under a wrong TMK are accepted (签到成功), then every MAC fails', () =>
    withDefect(
      'kcv-not-checked',
      async ({ client, terminalId }) => {
        expect(bench.host.control.terminalState(terminalId).signedOn).to.equal(true);
        await client.waitScreen('签到成功', 0);
        const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
        await client.waitScreen('交易失败', m);
        expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('A0');
      },
      { tmk: '22222222222222222222222222222222' },
    ));

  test('no-remove-card-reminder: after an inserted sale the terminal goes idle with the card in, no 请拔卡', () =>
    withDefect('no-remove-card-reminder', async ({ client }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await client.keys('ENTER');
      await client.waitState('idle', m);
      expect(client.displays(m).filter((d) => d.lines.includes('请拔卡'))).to.deep.equal([]);
      await client.cmd({ cmd: 'card', action: 'remove' });
    }));

  test('stale-card-reused: the next sale reads the card left in the slot without it being presented', () =>
    withDefect('stale-card-reused', async ({ client, terminalId }) => {
      let m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await client.keys('ENTER');
      await client.waitState('idle', m);
      m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('2', '0', '0', 'ENTER');
      await client.waitScreen('请输入密码', m);
      await client.keys(...'123456'.split(''), 'ENTER');
      await waitForHost(bench.host, terminalId, '0200', 2);
      await client.waitScreen('交易成功', m);
      await client.keys('ENTER');
      await client.cmd({ cmd: 'card', action: 'remove' });
    }));

  test('chip-read-without-ic-params: with both IC list downloads refused at power-on, an inserted card is still read and sent online', async () => {
    // The fresh terminal's downloads (at sign-on, then at boot) are refused: it comes up without IC parameters.
    bench.host.control.injectFault({ match: { mti: '0820' }, action: 'force-response-code', responseCode: '96', count: 2 });
    try {
      await withDefect('chip-read-without-ic-params', async ({ client, terminalId }) => {
        const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
        await waitForHost(bench.host, terminalId, '0200', 1);
        await client.waitScreen('交易成功', m);
        expect(client.displays(m).some((d) => d.lines.includes('IC卡参数未下载'))).to.equal(false);
        await client.keys('ENTER');
        await client.cmd({ cmd: 'card', action: 'remove' });
      });
    } finally {
      bench.host.control.clearFaults();
    }
  });

  /** Menu 7 (结算), confirmed; returns the mark taken before. */
  const icSale = async (client: TtpTestClient, amountKeys: string[]) => {
    const m = await runSale(client, { amountKeys, method: 'insert', card: bench.card('IC') });
    await client.waitScreen('交易成功', m);
    await toIdle(client);
  };
  const atcOf = (f55: unknown) =>
    String(f55)
      .split(/\s+/)
      .find((p) => p.startsWith('9F36='));

  test('tc-upload-wrong-cryptogram-type: the TC record carries the ARQC (9F27 80); the host refuses it (30)', () =>
    withDefect(
      'tc-upload-wrong-cryptogram-type',
      async ({ client, terminalId }) => {
        await icSale(client, ['1', '0', '0']);
        const m = await startSettlement(client);
        await client.waitScreen('结算成功', m);
        await waitForHost(bench.host, terminalId, '0320', 2);
        const [record] = bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' });
        expect(String(record.fields['55'])).to.match(/(^| )9F27=80( |$)/);
        expect(bench.host.control.journal({ terminalId, mti: '0330', direction: 'out' })[0].responseCode).to.equal('30');
      },
      { profile: 'tc-upload' },
    ));

  test('tc-upload-duplicated-after-restart: after a power cut mid-upload the acknowledged record goes up again', () =>
    withDefect(
      'tc-upload-duplicated-after-restart',
      async ({ client, terminalId }) => {
        await icSale(client, ['2', '1', '0', '0']);
        await icSale(client, ['2', '2', '0', '0']);
        bench.host.control.injectFault({ match: { terminalId, mti: '0320' }, action: 'delay', delayMs: 0, count: 1 });
        bench.host.control.injectFault({ match: { terminalId, mti: '0320' }, action: 'no-response', count: 1 });
        await startSettlement(client);
        await waitForHost(bench.host, terminalId, '0320', 2);
        await client.cmd({ cmd: 'power', action: 'cut' });
        const on = client.mark();
        await client.cmd({ cmd: 'power', action: 'on' });
        await client.waitState('idle', on);
        await client.waitScreen('结算成功', await startSettlement(client));
        await waitForHost(bench.host, terminalId, '0320', 5);
        const uploads = bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' });
        expect(atcOf(uploads[2].fields['55']), 'the first record after the restart is the one acknowledged before the cut').to.equal(
          atcOf(uploads[0].fields['55']),
        );
        expect(uploads[2].note).to.match(/^duplicate TC record/);
      },
      { profile: 'tc-upload' },
    ));

  test('ic-params-not-downloaded-on-flag: a reply asking for new IC lists (digit 4) is ignored, no download follows', async () => {
    // A host with IC lists (the shared bench has none, so it never asks).
    class IcBench extends EmulatorBench {
      override readonly config = { ...testHostConfig(), icParameters: loadHostConfig().icParameters };
    }
    const icBench = new IcBench(50);
    await icBench.start();
    covered.add('ic-params-not-downloaded-on-flag');
    const t = await icBench.terminal({ defects: ['ic-params-not-downloaded-on-flag'] });
    try {
      const { client, terminalId } = t;
      icBench.host.control.requestIcDownload(terminalId);
      const queries = () => icBench.host.control.journal({ terminalId, mti: '0820', direction: 'in' }).length;
      const before = queries();
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: icBench.card('MAG') });
      await client.waitScreen('交易成功', m);
      await client.keys('ENTER');
      await client.waitState('idle', m);
      expect(queries()).to.equal(before);
      expect(icBench.host.control.terminalState(terminalId).icParameters.capk.loaded).to.equal(null);
    } finally {
      await icBench.dispose(t);
      await icBench.close();
    }
  });

  test('script-result-not-sent: the card runs the issuer script of an approved chip sale, but no 0620 follows', async () => {
    // A host whose card book has a card with an issuer script (the shared bench has none).
    class ScriptBench extends EmulatorBench {
      override readonly config = { ...testHostConfig(), cards: [...testHostConfig().cards, cardByAlias(loadHostConfig(), 'UP-DEBIT-IC-SCRIPT')] };
    }
    const scriptBench = new ScriptBench(55);
    await scriptBench.start();
    covered.add('script-result-not-sent');
    const t = await scriptBench.terminal({ defects: ['script-result-not-sent'] });
    try {
      const { client, terminalId } = t;
      const m = await runSale(client, { amountKeys: ['1', '2', '0', '0'], method: 'insert', card: scriptBench.card('UP-DEBIT-IC-SCRIPT') });
      await client.waitScreen('交易成功', m);
      expect(scriptBench.host.control.journal({ terminalId, mti: '0210' })[0].fields['55']).to.match(/(^| )9F18=11223344 /);
      await client.keys('ENTER');
      await client.cmd({ cmd: 'card', action: 'remove' });
      await toIdle(client);
      expect(scriptBench.host.control.journal({ terminalId, mti: '0620' })).to.have.length(0);
    } finally {
      await scriptBench.dispose(t);
      await scriptBench.close();
    }
  });

  /** A sale whose card's chip does not answer (TTP chipFault mute): insert, 降级交易 请刷卡, take it out, swipe, PIN. */
  async function fallbackSale(client: TtpTestClient, amountKeys: string[]): Promise<number> {
    let m = client.mark();
    await client.keys('1');
    await client.waitScreen('请输入金额', m);
    await client.keys(...amountKeys, 'ENTER');
    await client.waitScreen('请刷卡/插卡/挥卡', m);
    m = client.mark();
    await client.present('insert', { ...bench.card('IC'), chipFault: 'mute' });
    await client.waitScreen('降级交易 请刷卡', m);
    await client.cmd({ cmd: 'card', action: 'remove' });
    await client.present('swipe', bench.card('IC'));
    await client.waitScreen('请输入密码', m);
    await client.keys(...'123456'.split(''), 'ENTER');
    return m;
  }

  test('fallback-without-chip-failure: a chip card swiped first is taken as a fallback, no 请插入IC卡', () =>
    withDefect('fallback-without-chip-failure', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('IC') });
      await waitForHost(bench.host, terminalId, '0200', 1);
      await client.waitScreen('交易成功', m);
      expect(client.displays(m).some((d) => d.lines.includes('请插入IC卡'))).to.equal(false);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0].fields['22']).to.equal('801');
      await toIdle(client);
    }));

  test('fallback-not-marked: the swipe after a chip that does not answer goes as a plain swipe (F22 021, 60.5 = 0)', () =>
    withDefect('fallback-not-marked', async ({ client, terminalId }) => {
      const m = await fallbackSale(client, ['1', '0', '0']);
      await waitForHost(bench.host, terminalId, '0200', 1);
      await client.waitScreen('交易成功', m);
      const [request] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      expect(request.fields['22']).to.equal('021');
      expect(String(request.fields['60']).slice(12, 13), '60.5').to.equal('0');
      await toIdle(client);
    }));

  /** A tap of 10.00 (under the reference no-PIN / no-signature limits of 1,000.00): what the host and the printer got. */
  async function smallTap(client: TtpTestClient, terminalId: string, answerPin: boolean) {
    let m = client.mark();
    await client.keys('1');
    await client.waitScreen('请输入金额', m);
    await client.keys('1', '0', '0', '0', 'ENTER');
    await client.waitScreen('请刷卡/插卡/挥卡', m);
    m = client.mark();
    await client.present('tap', bench.card('IC'));
    if (answerPin) {
      await client.waitScreen('请输入密码', m);
      await client.keys('ENTER');
    }
    await waitForHost(bench.host, terminalId, '0200', 1);
    await client.waitScreen('交易成功', m);
    const [request] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
    const merchant = text(client.prints(m)[0].lines);
    await toIdle(client);
    return { request, merchant };
  }

  test('qps-limit-ignored: a tap under the limits asks for the PIN, prints a signature block and no 免密免签', () =>
    withDefect('qps-limit-ignored', async ({ client, terminalId }) => {
      const { merchant } = await smallTap(client, terminalId, true);
      expect(merchant).to.include('持卡人签名').and.not.include('免密');
    }));

  test('qps-9f34-wrong: a tap under the limits goes without PIN but 9F34 says online PIN', () =>
    withDefect('qps-9f34-wrong', async ({ client, terminalId }) => {
      const { request, merchant } = await smallTap(client, terminalId, false);
      expect(request.fields['52']).to.equal(undefined);
      expect(String(request.fields['55'])).to.match(/9F34=420300/);
      expect(merchant).to.include('免密免签').and.not.include('持卡人签名');
    }));

  test('supervisor-password-not-checked: under a profile with a supervisor password, a wrong one lets the void go on', () =>
    withDefect(
      'supervisor-password-not-checked',
      async ({ client }) => {
        const m = client.mark();
        await client.keys('3');
        await client.waitScreen('请输入主管密码', m);
        await client.keys('0', '0', '0', '0', 'ENTER');
        await client.waitScreen('请输入原凭证号', m);
        expect(
          client
            .displays(m)
            .map((s) => text(s.lines))
            .join('\n'),
        ).to.not.include('主管密码错误');
      },
      { profile: 'supervisor' },
    ));

  test('partial-approval-requested-amount-printed: a 10 for 30.00 of a 50.00 sale prints 50.00 on every copy', () =>
    withDefect(
      'partial-approval-requested-amount-printed',
      async ({ client, terminalId }) => {
        const m = await runSale(client, { amountKeys: ['5', '0', '0', '0'], method: 'swipe', card: bench.card('PARTIAL') });
        await client.waitScreen('部分承兑', m);
        const [reply] = bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' });
        expect([reply.fields['39'], reply.fields['4']]).to.deep.equal(['10', '000000003000']);
        const prints = client.prints(m);
        expect(prints).to.have.length(3);
        for (const p of prints) expect(text(p.lines)).to.include('50.00').and.not.include('30.00');
      },
      { profile: 'three-copies' },
    ));

  test('blacklist-not-checked / contactless-params-not-applied: a listed card goes online; a tap over the downloaded limit goes without PIN', async () => {
    // A host with a blacklist (card LOW) and QuickPass limits of 1.00 (the shared bench has none).
    class ListsBench extends EmulatorBench {
      override readonly config = (() => {
        const c = testHostConfig();
        const low = c.cards.find((x) => x.alias === 'LOW')!;
        const limits = { noPinEnabled: true, noPinLimitFen: 100, noSignatureEnabled: true, noSignatureLimitFen: 100 };
        return { ...c, terminalLists: terminalLists([{ pan: low.pan }], limits) };
      })();
    }
    const listsBench = new ListsBench(58);
    await listsBench.start();
    covered.add('blacklist-not-checked');
    covered.add('contactless-params-not-applied');
    const t = await listsBench.terminal({ defects: ['blacklist-not-checked', 'contactless-params-not-applied'] });
    try {
      const { client, terminalId } = t;
      let m = await runSale(client, { amountKeys: ['5', '0'], method: 'swipe', card: listsBench.card('LOW') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      expect(listsBench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })).to.have.length(1);
      m = client.mark();
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('2', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡/插卡/挥卡', m);
      m = client.mark();
      await client.present('tap', listsBench.card('IC'));
      await client.waitScreen('交易成功', m);
      expect(client.displays(m).some((d) => d.lines.join('').includes('请输入密码'))).to.equal(false);
      await toIdle(client);
    } finally {
      await listsBench.dispose(t);
      await listsBench.close();
    }
  });
  test('preauth-add-sent-as-preauth: the 追加预授权 goes out with F25 06, a second pre-authorization to the host', () =>
    withDefect(
      'preauth-add-sent-as-preauth',
      async ({ client, terminalId }) => {
        const { mark } = await preauthThenAdd(client, bench.host, terminalId, {
          amountKeys: ['1', '0', '0', '0', '0'],
          add: ['5', '0', '0', '0'],
          card: bench.card('MAG'),
        });
        await client.waitScreen('交易成功', mark);
        const add = bench.host.control.journal({ terminalId, mti: '0100', direction: 'in' })[1];
        expect(add.fields['25']).to.equal('06');
        expect(identify({ mti: add.mti!, fields: add.fields })).to.equal('preauth');
        expect(bench.host.control.balance('MAG').holds).to.equal(15000);
        expect(bench.host.control.transactions({ terminalId }).map((x) => x.kind)).to.deep.equal(['preauth', 'preauth']);
      },
      { profile: 'confiscate-texts' },
    ));

  test('operator-not-in-sign-on: after the operator 03 logged on, the 0800 still names the default operator 01', () =>
    withDefect(
      'operator-not-in-sign-on',
      async ({ client, terminalId }) => {
        const m = client.mark();
        await client.keys('9');
        await client.waitScreen('1.签到', m);
        await client.keys('1');
        await client.waitScreen('请输入操作员号', m);
        await client.keys('0', '3', 'ENTER');
        await client.waitScreen('请输入操作员密码', m);
        await client.keys('1', '3', '5', '7', 'ENTER');
        await client.waitScreen('签到成功', m);
        const signOns = bench.host.control.journal({ terminalId, mti: '0800', direction: 'in' });
        expect(signOns.at(-1)!.fields['63']).to.equal('01 ');
      },
      { profile: 'supervisor' },
    ));

  test('e-signature-wrong-trace: the upload of the signature names the trace before the signed sale, and the host cannot link it (25)', () =>
    withDefect(
      'e-signature-wrong-trace',
      async ({ client, terminalId }) => {
        const m = await runSale(client, { amountKeys: ['6', '6', '0', '0'], method: 'swipe', card: bench.card('MAG') });
        await client.waitState('signature', m);
        await client.cmd({ cmd: 'sign', image: cardholderSignature('MAG').toString('base64') });
        await client.waitScreen('交易成功', m);
        const [sale] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
        const upload = bench.host.control
          .journal({ terminalId, mti: '0820', direction: 'in' })
          .find((e) => parseField60(e.fields['60']).networkCode === '800')!;
        expect(parseField61(upload.fields['61']).originalTrace).to.equal(String(Number(sale.fields['11']) - 1).padStart(6, '0'));
        const reply = bench.host.control.journal({ terminalId, mti: '0830', direction: 'out' }).find((e) => e.fields['11'] === upload.fields['11'])!;
        expect(reply.fields['39']).to.equal('25');
      },
      { profile: 'e-signature' },
    ));

  test('tls-verification-off: on the public-network link a sale goes to a host presenting an impostor certificate', () =>
    withDefect('tls-verification-off', async ({ client, terminalId }) => {
      const pki = labPki();
      const front = await bench.host.startPublicNetwork(pki.impostor);
      try {
        await client.cmd({ cmd: 'config', set: { host: `https://127.0.0.1:${front.port}${front.path}`, hostCa: pki.ca.certPem } });
        const since = new Date().toISOString();
        await approvedSale(client);
        const served = front.arrivals(since).filter((a) => a.outcome === 'served' && a.mti === '0200');
        expect(served.map((a) => a.certificate)).to.deep.equal([pki.impostor.label]);
        expect(bench.host.control.journal({ terminalId, mti: '0200' })).to.have.length.greaterThan(0);
      } finally {
        await bench.host.restorePublicNetwork();
      }
    }));

  test('public-network-wrong-content-type: frames are POSTed as application/octet-stream, so the host answers 415', () =>
    withDefect('public-network-wrong-content-type', async ({ client }) => {
      const pki = labPki();
      const front = await bench.host.startPublicNetwork(pki.host);
      try {
        await client.cmd({ cmd: 'config', set: { host: `https://127.0.0.1:${front.port}${front.path}`, hostCa: pki.ca.certPem } });
        const since = new Date().toISOString();
        const m = await runSale(client, { amountKeys: ['1', '2', '3', '4'], method: 'swipe', card: bench.card('MAG') });
        await client.waitScreen(/通讯失败|交易失败|失败/, m, 10_000);
        const arrivals = front.arrivals(since);
        expect(arrivals.map((a) => [a.status, a.contentType])).to.deep.include([415, 'application/octet-stream']);
      } finally {
        await bench.host.restorePublicNetwork();
      }
    }));

  test('reply-mti-not-checked: a 0230 answer to a sale is taken as its answer: 交易成功 and no reversal pending', () =>
    withDefect('reply-mti-not-checked', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'wrong-mti' });
      await approvedSale(client);
      expect(bench.host.control.journal({ terminalId, direction: 'out' }).map((e) => e.mti)).to.include('0230');
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
      expect(bench.host.control.journal({ terminalId, mti: '0400' })).to.have.length(0);
    }));

  test('pan-in-field-2-on-swipe: a swiped sale (F22 02x) carries the card number in F2 as well as F35', () =>
    withDefect('pan-in-field-2-on-swipe', async ({ client, terminalId }) => {
      await approvedSale(client);
      const [sale] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      expect(sale.fields['22']).to.match(/^02/);
      expect(String(sale.fields['2'])).to.match(/^621234\*+1265$/);
    }));

  test('failed-void-marks-original-voided: after a void that timed out (reversal pending) the sale is refused as already voided', () =>
    withDefect('failed-void-marks-original-voided', async ({ client, terminalId, statePath }) => {
      await approvedSale(client);
      await toIdle(client);
      const [sale] = bench.host.control.transactions({ terminalId });
      const startVoid = async (): Promise<number> => {
        const m = client.mark();
        await client.keys('3');
        await client.waitScreen('请输入原凭证号', m);
        await client.keys(...sale.stan.split(''), 'ENTER');
        return m;
      };
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'no-response' });
      let m = await startVoid();
      await client.waitScreen('请确认撤销', m);
      await client.keys('ENTER');
      await client.waitScreen('交易超时', m, 15_000);
      const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
      expect(state.pendingReversal.kind).to.equal('void');
      expect(state.batch.find((t: { trace: string }) => t.trace === sale.stan).voided).to.equal(true);
      await toIdle(client);
      m = await startVoid();
      await client.waitScreen('该交易已撤销', m);
      expect(bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })).to.have.length(2);
    }));

  test('declined-completion-consumes-preauth: after a completion declined 61 the next completion no longer names the pre-authorization (F61 zeros)', () =>
    withDefect('declined-completion-consumes-preauth', async ({ client, terminalId }) => {
      let m = client.mark();
      await client.keys('6');
      await client.waitScreen('1.预授权', m);
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      const preauth = bench.host.control.transactions({ terminalId })[0];
      await toIdle(client);
      const complete = async (amountKeys: string[]): Promise<number> => {
        const at = client.mark();
        await client.keys('6');
        await client.waitScreen('2.预授权完成', at);
        await client.keys('2');
        await client.waitScreen('请刷卡', at);
        await client.present('swipe', bench.card('MAG'));
        await client.waitScreen('请输入原授权码', at);
        await client.text(preauth.authCode!);
        await client.keys('ENTER');
        await client.waitScreen('请输入金额', at);
        await client.keys(...amountKeys, 'ENTER');
        await client.waitScreen('请输入密码', at);
        await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
        return at;
      };
      // 120.00 of a 100.00 hold is over its tolerance (15 %): the acquirer declines it with 61.
      m = await complete(['1', '2', '0', '0', '0']);
      await client.waitScreen('交易金额超限', m);
      expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('61');
      await toIdle(client);
      m = await complete(['9', '0', '0', '0']);
      await waitForHost(bench.host, terminalId, '0200', 2);
      const [declined, second] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      expect(parseField61(declined.fields['61']).originalTrace).to.equal(preauth.stan);
      const f61 = parseField61(second.fields['61']);
      expect([f61.originalBatch, f61.originalTrace]).to.deep.equal(['000000', '000000']);
      await client.waitState('result', m);
      await toIdle(client);
    }));

  test('preauth-void-skips-sign-on-check: after a refused sign-on (keys failing their check values) a 预授权撤销 reaches the host', () =>
    withDefect(
      'preauth-void-skips-sign-on-check',
      async ({ client, terminalId }) => {
        await client.waitScreen('解包密钥验证不符', 0);
        const m = client.mark();
        await client.keys('6');
        await client.waitScreen('3.预授权撤销', m);
        await client.keys('3');
        await client.waitScreen('请刷卡', m);
        await client.present('swipe', bench.card('MAG'));
        await client.waitScreen('请输入原授权码', m);
        await client.text('123456');
        await client.keys('ENTER');
        await client.waitScreen('请输入金额', m);
        await client.keys('1', '0', '0', 'ENTER');
        await waitForHost(bench.host, terminalId, '0100', 1, 5000);
        const [cancel] = bench.host.control.journal({ terminalId, mti: '0100', direction: 'in' });
        expect([cancel.fields['3'], cancel.fields['60'].slice(0, 2)]).to.deep.equal(['200000', '11']);
        // The host answers A0: the MAC is under no key it issued.
        await client.waitScreen('MAC校验错', m);
      },
      { tmk: '22222222222222222222222222222222' },
    ));

  test("list-request-in-reply-ignored: a sale reply's digit 7 (new blacklist) is not followed before the next sale; the sign-on reply's is", async () => {
    // A host with a card blacklist (the shared bench has none), so that replies carry digit 7.
    class BlacklistBench extends EmulatorBench {
      override readonly config = (() => {
        const c = testHostConfig();
        return { ...c, terminalLists: terminalLists([{ pan: c.cards.find((x) => x.alias === 'LOW')!.pan }], undefined) };
      })();
    }
    const listsBench = new BlacklistBench(59);
    await listsBench.start();
    covered.add('list-request-in-reply-ignored');
    const t = await listsBench.terminal({ defects: ['list-request-in-reply-ignored'] });
    try {
      const { client, terminalId } = t;
      const blacklist = () => listsBench.host.control.terminalState(terminalId).terminalLists.blacklist;
      // Loaded at sign-on: the sign-on reply's digit 7 is still followed.
      expect(blacklist().loaded).to.equal(blacklist().current);
      listsBench.host.control.requestIcDownload(terminalId, ['blacklist']);
      for (const amountKeys of [
        ['1', '0', '0'],
        ['2', '0', '0'],
      ]) {
        const m = await runSale(client, { amountKeys, method: 'swipe', card: listsBench.card('MAG') });
        await client.waitScreen('交易成功', m);
        await toIdle(client);
      }
      expect(listsBench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })).to.have.length(2);
      expect(blacklist().current).to.be.a('string');
      expect(blacklist().loaded).to.not.equal(blacklist().current);
    } finally {
      await listsBench.dispose(t);
      await listsBench.close();
    }
  });

  test('list-request-never-cleared: after sign-on the contactless parameters are downloaded again and again on one connection', async () => {
    // A host with QuickPass limits to download (the shared bench has none), so the sign-on reply carries digit 9.
    class LimitsBench extends EmulatorBench {
      override readonly config = (() => {
        const c = testHostConfig();
        const limits = { noPinEnabled: true, noPinLimitFen: 100, noSignatureEnabled: true, noSignatureLimitFen: 100 };
        return { ...c, terminalLists: terminalLists([], limits) };
      })();
    }
    const limitsBench = new LimitsBench(60);
    await limitsBench.start();
    covered.add('list-request-never-cleared');
    const t = await limitsBench.terminal({ defects: ['list-request-never-cleared'] });
    try {
      const downloads = limitsBench.host.control
        .journal({ terminalId: t.terminalId, mti: '0800', direction: 'in' })
        .filter((r) => String(r.fields['60']).endsWith('394'));
      // The clean terminal downloads them once (flows.test.ts); this one round after round, on the one connection.
      expect(downloads.length).to.be.greaterThan(1);
      expect(new Set(downloads.map((r) => r.remote)).size).to.equal(1);
    } finally {
      await limitsBench.dispose(t);
      await limitsBench.close();
    }
  });

  test('track2-rebuilt-from-pan: a swiped sale carries an F35 made up from PAN, expiry and service code; the host declines it 14', () =>
    withDefect('track2-rebuilt-from-pan', async ({ client, terminalId }) => {
      const card = bench.card('MAG');
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card });
      await waitForHost(bench.host, terminalId, '0200', 1);
      const [request] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      // The journal masks F35; its length tells the made-up track (PAN=YYMM+service code+10 zeros) from the card's 37.
      expect(String(request.fields['35'])).to.have.length(`${card.pan}=${card.expiry}${card.serviceCode}0000000000`.length);
      expect(card.track2).to.have.length(37);
      await client.waitState('result', m);
      expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('14');
    }));

  test('icc-date-as-ascii: an inserted sale sends 9A of F55 as six ASCII digits (6 bytes)', () =>
    withDefect('icc-date-as-ascii', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      await waitForHost(bench.host, terminalId, '0200', 1);
      const [request] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      const date = /9A=([0-9A-F]+)/.exec(String(request.fields['55']))![1];
      expect(date).to.have.length(12);
      expect(Buffer.from(date, 'hex').toString('ascii')).to.match(/^\d{6}$/);
      await client.waitState('result', m);
      await toIdle(client);
    }));

  test('tapped-refund-unsigned: a refund tapped under the limits prints no signature block and is marked 免签', () =>
    withDefect('tapped-refund-unsigned', async ({ client, terminalId }) => {
      await smallTap(client, terminalId, false);
      const original = bench.host.control.transactions({ terminalId }).find((x) => x.kind === 'sale')!;
      const m = client.mark();
      await client.keys('4');
      await client.waitScreen('请刷卡', m);
      await client.present('tap', bench.card('IC'));
      await client.waitScreen('请输入原参考号', m);
      await client.text(original.rrn!);
      await client.keys('ENTER');
      await client.waitScreen('请输入原交易日期', m);
      await client.keys(...(original.at.slice(5, 7) + original.at.slice(8, 10)).split(''), 'ENTER');
      await client.waitScreen('请输入金额', m);
      await client.keys('5', '0', '0', 'ENTER');
      await client.waitScreen('交易成功', m);
      const merchant = text(client.prints(m)[0].lines);
      expect(merchant).to.include('退货(REFUND)').and.include('免签').and.not.include('持卡人签名');
      await toIdle(client);
    }));

  test('clear-ignored-in-text-entry: CLEAR leaves the mistyped character in the 原授权码 of a completion, which goes out in F38', () =>
    withDefect('clear-ignored-in-text-entry', async ({ client, terminalId }) => {
      let m = client.mark();
      await client.keys('6');
      await client.waitScreen('1.预授权', m);
      await client.keys('1');
      await client.waitScreen('请输入金额', m);
      await client.keys('1', '0', '0', '0', '0', 'ENTER');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      const authCode = bench.host.control.transactions({ terminalId })[0].authCode!;
      await toIdle(client);
      m = client.mark();
      await client.keys('6');
      await client.waitScreen('2.预授权完成', m);
      await client.keys('2');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(authCode.slice(0, 5));
      await client.keys('9', 'CLEAR');
      await client.text(authCode.slice(5));
      await client.keys('ENTER');
      await client.waitScreen('请输入金额', m);
      await client.keys('9', '0', '0', '0', 'ENTER');
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await waitForHost(bench.host, terminalId, '0200', 1);
      const [completion] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      // Six characters fit: the mistyped 9 stays in and the last one of the code is cut off.
      expect(completion.fields['38']).to.equal(`${authCode.slice(0, 5)}9`);
      expect(completion.fields['38']).to.not.equal(authCode);
      await client.waitState('result', m);
      await toIdle(client);
    }));

  test('timeout-shown-as-cancelled: a card never presented ends as 交易取消, not 操作超时', () =>
    withDefect(
      'timeout-shown-as-cancelled',
      async ({ client }) => {
        const m = client.mark();
        await client.keys('1');
        await client.waitScreen('请输入金额', m);
        await client.keys('1', '0', '0', 'ENTER');
        await client.waitScreen('请刷卡/插卡/挥卡', m);
        const end = await client.waitScreen('交易取消', m, 5000);
        expect(end.lines).to.not.include('操作超时');
        await toIdle(client);
      },
      { timeouts: { hostResponseMs: 1000, hostConnectMs: 2000, cardMs: 300, pinMs: 5000, idleMs: 5000 } },
    ));

  test('preauth-void-drops-all-preauths: after one pre-authorization is voided, a completion of the other sends F61 zeros', () =>
    withDefect('preauth-void-drops-all-preauths', async ({ client, terminalId }) => {
      const preauth = async (amountKeys: string[]): Promise<string> => {
        const at = client.mark();
        await client.keys('6');
        await client.waitScreen('1.预授权', at);
        await client.keys('1');
        await client.waitScreen('请输入金额', at);
        await client.keys(...amountKeys, 'ENTER');
        await client.waitScreen('请刷卡', at);
        await client.present('swipe', bench.card('MAG'));
        await client.waitScreen('请输入密码', at);
        await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
        await client.waitScreen('交易成功', at);
        await toIdle(client);
        return bench.host.control.transactions({ terminalId }).at(-1)!.authCode!;
      };
      const first = await preauth(['1', '0', '0', '0', '0']);
      const second = await preauth(['2', '0', '0', '0', '0']);
      let m = client.mark();
      await client.keys('6');
      await client.waitScreen('3.预授权撤销', m);
      await client.keys('3');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(second);
      await client.keys('ENTER');
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      m = client.mark();
      await client.keys('6');
      await client.waitScreen('2.预授权完成', m);
      await client.keys('2');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入原授权码', m);
      await client.text(first);
      await client.keys('ENTER');
      await client.waitScreen('请输入金额', m);
      await client.keys('9', '0', '0', '0', 'ENTER');
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await waitForHost(bench.host, terminalId, '0200', 1);
      const [completion] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      const f61 = parseField61(completion.fields['61']);
      expect([f61.originalBatch, f61.originalTrace]).to.deep.equal(['000000', '000000']);
      await client.waitState('result', m);
      await toIdle(client);
    }));

  test('ecr-settle-result-empty: a settlement from the cash register is settled but its result says neither approved nor F39', () =>
    withDefect('ecr-settle-result-empty', async ({ client, terminalId }) => {
      await approvedSale(client);
      await toIdle(client);
      const m = client.mark();
      const result = await client.cmd<Record<string, unknown>>({ cmd: 'ecr', request: 'settle' }, 10000);
      await client.waitScreen('结算成功', m);
      expect(bench.host.control.journal({ terminalId, mti: '0510', direction: 'out' })[0].responseCode).to.equal('00');
      expect(result.approved).to.equal(undefined);
      expect(result.responseCode).to.equal(undefined);
      await toIdle(client);
    }));

  test('swipe-reply-mac-not-reversed: a swiped sale whose reply fails its MAC leaves no reversal; an inserted one does', () =>
    withDefect('swipe-reply-mac-not-reversed', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-mac' });
      let m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('解包校验不符', m);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.equal(null);
      await toIdle(client);
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-mac' });
      m = await runSale(client, { amountKeys: ['2', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('解包校验不符', m);
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.include({ reason: 'A0' });
      await toIdle(client);
    }));

  test('decline-mac-verified: a decline whose MAC the host spoiled shows 解包校验不符 and leaves a reversal (A0)', () =>
    withDefect('decline-mac-verified', async ({ client, terminalId, statePath }) => {
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-mac' });
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC'), pin: '000000' });
      await client.waitScreen('解包校验不符', m);
      expect(bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' })[0].responseCode).to.equal('55');
      expect(JSON.parse(fs.readFileSync(statePath, 'utf8')).pendingReversal).to.include({ reason: 'A0' });
      await toIdle(client);
    }));

  test('every catalogued defect has a test above', () => {
    expect(DEFECT_CATALOGUE.length).to.be.at.least(18);
    expect([...covered].sort()).to.deep.equal(DEFECT_CATALOGUE.map((d) => d.name).sort());
  });
});
