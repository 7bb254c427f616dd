/**
 * The emulator's conformant profiles (emulator/profiles.ts) are real behaviour, not labels: each one,
 * driven over TTP on a socat PTY against the real reference host, does what it declares and what the
 * reference terminal does not — and reports the profile in hello.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { EmulatorBench, runSale, toIdle, waitForHost } from './harness';
import type { TtpHelloResult } from '../../protocol/ttp';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EMULATOR_PROFILES } from '../../emulator/profiles';
import { emulatorProfileOf } from '../../cli/commands/certify';

const bench = new EmulatorBench(1);

async function withProfile(profile: string, body: (t: Awaited<ReturnType<EmulatorBench['terminal']>>) => Promise<void>): Promise<void> {
  const t = await bench.terminal({ profile });
  try {
    await body(t);
  } finally {
    await bench.dispose(t);
  }
}

describe('emulator profiles on the command line', () => {
  test('poscert emulator --list-profiles prints one profile per line, name first', () => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'poscert.js'), 'emulator', '--list-profiles'], {
      encoding: 'utf8',
    });
    expect(r.status).to.equal(0);
    const names = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[0]);
    expect(names).to.deep.equal(EMULATOR_PROFILES.map((p) => p.name));
  });

  test('certify --terminal emu:NAME names a profile; an unknown one lists the known names', () => {
    expect(emulatorProfileOf('emu:tc-upload').name).to.equal('tc-upload');
    expect(emulatorProfileOf('emulator').name).to.equal('reference');
    expect(() => emulatorProfileOf('emu:nosuch')).to.throw(/unknown emulator profile "nosuch"; known: reference, three-copies/);
  });
});

describe('emulator conformant profiles', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('hello reports the profile the terminal runs', () =>
    withProfile('three-copies', async ({ client }) => {
      const hello = await client.cmd<TtpHelloResult>({ cmd: 'hello', ttp: '1.0' });
      expect(hello.profile).to.deep.include({ name: 'three-copies' });
      expect(hello.profile?.vouchers).to.deep.equal({ copies: 3, signatureOn: ['merchant', 'bank'] });
    }));

  test('three-copies: merchant, bank and cardholder copies; the bank copy is signed too', () =>
    withProfile('three-copies', async ({ client }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const copies = client.prints(m);
      expect(copies.map((c) => c.copy)).to.deep.equal(['merchant', 'bank', 'cardholder']);
      expect(copies[1].lines.join('\n'))
        .to.include('银行存根')
        .and.match(/持卡人签名/);
    }));

  test('expiry-online: an expired swiped card goes to the host, which answers 54, and 该卡已过期 is shown', () =>
    withProfile('expiry-online', async ({ client, terminalId }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('EXPIRED') });
      await client.waitScreen('该卡已过期', m);
      const replies = bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' });
      expect(replies.map((r) => r.responseCode)).to.deep.equal(['54']);
    }));

  test('confiscate-texts: a lost card shows 挂失卡 请没收 and no 请联系银行', () =>
    withProfile('confiscate-texts', async ({ client }) => {
      const m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('LOST') });
      const screen = await client.waitScreen('挂失卡 请没收', m);
      expect(screen.lines.join('\n')).to.not.include('请联系银行');
    }));

  test('supervisor: void asks the supervisor password, then reads the card and asks the PIN', () =>
    withProfile('supervisor', async ({ client, terminalId }) => {
      let m = await runSale(client, { amountKeys: ['5', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', m);
      const stan = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[0].stan!;
      await toIdle(client);
      m = client.mark();
      await client.keys('3');
      await client.waitScreen('请输入主管密码', m);
      await client.keys('2', '5', '8', '0', 'ENTER');
      await client.waitScreen('请输入原凭证号', m);
      await client.keys(...stan.split(''), 'ENTER');
      await client.waitScreen('请确认撤销', m);
      await client.keys('ENTER');
      await client.waitScreen('请刷卡', m);
      await client.present('swipe', bench.card('MAG'));
      await client.waitScreen('请输入密码', m);
      await client.keys('1', '2', '3', '4', '5', '6', 'ENTER');
      await client.waitScreen('交易成功', m);
      const voidReq = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' })[1];
      expect(voidReq.fields['22']).to.match(/^02/);
      expect(voidReq.fields).to.have.property('52');
    }));

  test('supervisor: a wrong supervisor password refuses the void before anything else', () =>
    withProfile('supervisor', async ({ client }) => {
      const m = client.mark();
      await client.keys('3');
      await client.waitScreen('请输入主管密码', m);
      await client.keys('0', '0', '0', '0', 'ENTER');
      await client.waitScreen('主管密码错误', m);
    }));

  test('tc-upload: after a balanced settlement the IC sale goes up as a TC record (0320 60.3 203), then 207', () =>
    withProfile('tc-upload', async ({ client, terminalId }) => {
      let m = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'insert', card: bench.card('IC') });
      await client.waitScreen('交易成功', m);
      await toIdle(client);
      m = client.mark();
      await client.keys('7');
      await client.waitScreen('确认结算', m);
      await client.keys('ENTER');
      await client.waitScreen('结算成功', m);
      await waitForHost(bench.host, terminalId, '0320', 2);
      const uploads = bench.host.control.journal({ terminalId, mti: '0320', direction: 'in' });
      expect(uploads.map((u) => String(u.fields['60']).slice(8, 11))).to.deep.equal(['203', '207']);
      expect(uploads[1].fields['48']).to.equal('0001');
      // The record carries the card's TC (9F27 40), not the request's ARQC, and the host matched it.
      expect(String(uploads[0].fields['55'])).to.match(/(^| )9F27=40( |$)/);
      expect(uploads[0].note).to.match(/^TC record \(60\.3 203\) matched to sale/);
    }));
});
