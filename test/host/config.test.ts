import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { deriveIccMasterKeyOptionA, isLuhnValid } from '../../crypto';
import { cardByAlias, HostConfigError, hostConfigFromObject, loadHostConfig, parseAmountToFen, terminalCardImage } from '../../host';

function withFiles(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-hostcfg-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function problems(fn: () => unknown): HostConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(HostConfigError);
    return err as HostConfigError;
  }
  throw new Error('expected a HostConfigError');
}

const MERCHANT = {
  merchantId: '898310054110001',
  name: '测试商户',
  settlementAccount: { bank: '测试银行', accountNumber: '6200009999000001', accountName: '测试' },
};

describe('host configuration', () => {
  test("the repo's scenarios: ≥ 8 active 3DES terminals, an SM4, a suspended and an unregistered one; the card aliases", () => {
    const c = loadHostConfig();
    const active3des = c.terminals.filter((t) => t.status === 'active' && t.keyScheme === '3DES');
    expect(active3des.map((t) => t.terminalId)).to.include.members([
      '10000001',
      '10000002',
      '10000003',
      '10000004',
      '10000005',
      '10000006',
      '10000007',
      '10000008',
    ]);
    expect(c.terminals.some((t) => t.keyScheme === 'SM4' && t.status === 'active')).to.equal(true);
    expect(c.terminals.some((t) => t.status === 'suspended')).to.equal(true);
    expect(c.terminals.some((t) => t.status === 'unregistered')).to.equal(true);
    for (const alias of [
      'UP-DEBIT-MAG',
      'UP-DEBIT-IC',
      'UP-DEBIT-CTLS',
      'UP-CREDIT-IC',
      'UP-LOST',
      'UP-STOLEN',
      'UP-EXPIRED',
      'UP-LOW-BALANCE',
      'UP-RESTRICTED',
      'UP-INVALID',
    ]) {
      const card = cardByAlias(c, alias);
      expect(card.pan.startsWith('62'), alias).to.equal(true);
      expect(isLuhnValid(card.pan), alias).to.equal(true);
    }
    expect(cardByAlias(c, 'UP-INVALID').onFile).to.equal(false);
    for (const m of c.merchants) expect(m.merchantId).to.match(/^\d{15}$/);
    expect(c.merchants.some((m) => /[\u4e00-\u9fff]/.test(m.name))).to.equal(true);
  });

  test('keys never print: JSON, inspect and template strings show only their length', () => {
    const c = loadHostConfig();
    const text = JSON.stringify(c) + inspect(c, { depth: 10 }) + `${c.terminals[0].tmk}`;
    expect(text).to.not.match(/11111111111111111111111111111111/);
    expect(text).to.not.include('0123456789ABCDEFFEDCBA9876543210');
    expect(text).to.include('<secret 16 bytes>');
  });

  test('terminalCardImage: the image carries the ICC master key derived with option A, never the issuer key', () => {
    const c = loadHostConfig();
    const card = cardByAlias(c, 'UP-DEBIT-IC');
    const image = terminalCardImage(card);
    expect(image).to.include({
      name: 'UP-DEBIT-IC',
      pan: card.pan,
      expiry: card.expiry,
      serviceCode: card.serviceCode,
      track2: card.track2,
      psn: card.psn,
    });
    const mk = deriveIccMasterKeyOptionA(Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'), card.pan, card.psn);
    expect(image.emv!.iccMasterKey).to.equal(mk.toString('hex').toUpperCase());
    expect(image.emv).to.include({ aid: 'A000000333010101', applicationLabel: 'UnionPay Debit', atc: 1 });
    expect(JSON.stringify(image)).to.not.include('0123456789ABCDEFFEDCBA9876543210');
    const mag = terminalCardImage(cardByAlias(c, 'UP-DEBIT-MAG'));
    expect(mag.emv).to.equal(undefined);
    expect(mag.interfaces).to.deep.equal(['swipe']);
    expect(() => cardByAlias(c, 'NOPE')).to.throw(/no card with alias "NOPE".*UP-DEBIT-MAG/);
  });

  test('every problem of every file at once, each with file, line, entry and what is wrong', () => {
    withFiles(
      {
        'merchants.yaml': [
          'merchants:',
          '  - merchantId: "12345"',
          '    name: 坏商户',
          'terminals:',
          '  - terminalId: "1000000X1"',
          '    merchantId: "898310054110001"',
          '    keyScheme: AES',
          '    tmk: 1234',
          '    colour: red',
          '  - { terminalId: "10000002", merchantId: "898310054119999", keyScheme: 3DES, tmk: "11111111111111111111111111111111" }',
        ].join('\n'),
        'cards.yaml': [
          'cards:',
          '  - alias: A',
          '    pan: "6212345678901266"',
          '    expiry: "3012"',
          '    serviceCode: "101"',
          '    pin: "123456"',
          '    account: debit',
          '    openingBalance: "12.345"',
          '  - { alias: B, pan: "6212345678901266", expiry: "3013", serviceCode: "101", account: savings, openingBalance: 1 }',
        ].join('\n'),
      },
      (dir) => {
        const e = problems(() => loadHostConfig(dir));
        const lines = e.message.split('\n');
        const m = path.join(dir, 'merchants.yaml');
        const cards = path.join(dir, 'cards.yaml');
        expect(lines).to.include(`  ${m}:2: merchants[0] (12345) merchantId: merchantId must be exactly 15 digits`);
        expect(lines).to.include(
          `  ${m}:2: merchants[0] (12345) settlementAccount: settlementAccount (bank, accountNumber, accountName) is required`,
        );
        expect(lines).to.include(`  ${m}:5: terminals[0] (1000000X1) terminalId: terminalId must be 8 characters (F41 ans8), e.g. 10000001`);
        expect(lines).to.include(`  ${m}:7: terminals[0] (1000000X1) keyScheme: keyScheme must be 3DES or SM4`);
        expect(e.message).to.include('tmk must be a quoted string of hex digits');
        expect(e.message).to.include('unknown key(s) colour');
        expect(e.message).to.include(`${cards}:8: cards[0] (A) openingBalance: openingBalance must be a CNY amount like 1234.56`);
        expect(e.message).to.include('cards[1] (B) expiry: expiry month must be 01..12');
        expect(e.message).to.include('cards[1] (B) account: account must be debit or credit');
        expect(e.problems.length).to.be.at.least(9);
      },
    );
  });

  test('cross-references: unknown merchant, unknown issuer key, duplicates, Luhn, a debit card without PIN', () => {
    const e = problems(() =>
      hostConfigFromObject(
        {
          merchants: [MERCHANT],
          terminals: [
            { terminalId: '10000001', merchantId: '898310054119999', keyScheme: '3DES', tmk: '11111111111111111111111111111111' },
            { terminalId: '10000001', merchantId: '898310054110001', keyScheme: '3DES', tmk: '11111111111111111111111111111111' },
          ],
          cards: [
            {
              alias: 'A',
              pan: '6212345678901265',
              expiry: '3012',
              serviceCode: '220',
              pin: '123456',
              account: 'debit',
              openingBalance: 1,
              emv: { issuerKey: 'NOPE', aid: 'A000000333010101', appLabel: 'X' },
            },
            { alias: 'B', pan: '6212345678901266', expiry: '3012', serviceCode: '101', account: 'debit', openingBalance: 1 },
          ],
        },
        'inline',
      ),
    );
    const text = e.message;
    expect(text).to.include('terminals[0] (10000001) merchantId: merchant 898310054119999 is not in merchants');
    expect(text).to.include('duplicate terminalId 10000001');
    expect(text).to.include('issuer key NOPE is not in issuerKeys');
    expect(text).to.include('cards[1] (B) pan: fails the Luhn check');
    expect(text).to.include('cards[1] (B) pin: requirePin is true');
  });

  test('JSON files work as well as YAML; a missing path and an empty folder are clear errors', () => {
    withFiles(
      {
        'host.json': JSON.stringify({
          merchants: [MERCHANT],
          terminals: [{ terminalId: '10000001', merchantId: MERCHANT.merchantId, keyScheme: 'SM4', tmk: '0123456789ABCDEFFEDCBA9876543210' }],
          cards: [
            { alias: 'A', pan: '6212345678901265', expiry: '3012', serviceCode: '101', pin: '123456', account: 'debit', openingBalance: '99.5' },
          ],
          rules: { pinTryLimit: 5 },
        }),
      },
      (dir) => {
        const c = loadHostConfig(path.join(dir, 'host.json'));
        expect(c.terminals[0].keyScheme).to.equal('SM4');
        expect(c.cards[0].openingBalance).to.equal(9950);
        expect(c.rules.pinTryLimit).to.equal(5);
        expect(c.rules.contactlessNoPinLimit).to.equal(100000);
        expect(problems(() => loadHostConfig(dir)).message).to.match(/holds none of merchants.yaml/);
      },
    );
    expect(problems(() => loadHostConfig('/nonexistent/poscert')).message).to.match(/does not exist/);
    withFiles({ 'merchants.yaml': 'merchants: [\n' }, (dir) => {
      expect(problems(() => loadHostConfig(dir)).message).to.match(/YAML syntax/);
    });
  });

  test('amounts: yuan with at most two decimals to fen', () => {
    expect(parseAmountToFen('1234.5')).to.equal(123450);
    expect(parseAmountToFen(10)).to.equal(1000);
    expect(parseAmountToFen('0.01')).to.equal(1);
    expect(parseAmountToFen('1.234')).to.equal(undefined);
    expect(parseAmountToFen('-1')).to.equal(undefined);
  });
});
