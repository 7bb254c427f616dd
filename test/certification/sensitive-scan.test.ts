// certification/sensitive-scan: every secret of the run, in every encoding, in every file written.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  clearPinBlockFormat0,
  describeFinding,
  extractSecrets,
  loadSecrets,
  scanBuffer,
  scanDirectory,
  type Secret,
} from '../../certification/sensitive-scan';
import { SecretSourceError } from '../../certification/errors';
import { buildPinBlockFormat0, deriveIccMasterKeyOptionA } from '../../crypto';
import { defaultSecretFiles } from '../../certification/certify';

const PAN = '6222021234567891234';
const PIN = '246810';
const TMK = '0123456789ABCDEFFEDCBA9876543210';
const secrets: Secret[] = extractSecrets(parseYaml(fs.readFileSync(path.join(__dirname, 'fixtures', 'cards.yaml'), 'utf8')), 'cards.yaml');

const at = (text: string | Buffer) => scanBuffer(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), secrets, 'f');

describe('certification/sensitive-scan: the run fails on full PAN, clear PIN, track 2 or clear key', () => {
  test('secrets are read from the card and key files by field name, with where they came from', () => {
    expect(secrets.map((s) => [s.kind, s.label])).to.deep.equal([
      ['pan', 'cards.yaml FX-DEBIT pan'],
      ['pin', 'cards.yaml FX-DEBIT pin'],
      ['track2', 'cards.yaml FX-DEBIT track 2 equivalent'],
      ['key', 'cards.yaml 99000001 tmk'],
    ]);
    expect(secrets.find((s) => s.kind === 'pin')!.pan).to.equal(PAN);
    expect(secrets.find((s) => s.kind === 'track2')!.value).to.equal(`${PAN}D3012101`);
  });

  test('the project card book and terminal keys yield PANs, PINs and keys', () => {
    const root = path.join(__dirname, '..', '..');
    const all = loadSecrets([path.join(root, 'scenarios', 'cards.yaml'), path.join(root, 'scenarios', 'merchants.yaml')]);
    const kinds = new Set(all.map((s) => s.kind));
    for (const k of ['pan', 'pin', 'key', 'track2']) expect(kinds.has(k as Secret['kind']), k).to.equal(true);
    expect(all.filter((s) => s.kind === 'pan').length).to.be.greaterThan(5);
  });

  test('a full PAN is found as digits, grouped by four, spaced BCD, hex of ASCII, packed BCD and base64 — with the byte offset', () => {
    expect(at(`voucher: card ${PAN} ok`)).to.deep.equal([
      { file: 'f', offset: 14, kind: 'pan', label: 'cards.yaml FX-DEBIT pan', encoding: 'ascii' },
    ]);
    expect(at(`card 6222 0212 3456 7891 234`)[0]).to.include({ kind: 'pan', encoding: 'grouped', offset: 5 });
    expect(at(`F2 ${Buffer.from(PAN).toString('hex').toUpperCase()}`)[0]).to.include({ encoding: 'hex-of-ascii', offset: 3 });
    const bcd = Buffer.concat([Buffer.from([0x02, 0x00, 0x19]), Buffer.from(`${PAN}F`, 'hex')]);
    expect(at(bcd)[0]).to.include({ encoding: 'bcd', offset: 3 });
    for (let lead = 0; lead < 3; lead++) {
      const b64 = Buffer.concat([Buffer.alloc(lead, 0x41), Buffer.from(`pan=${PAN}&x`)]).toString('base64');
      expect(
        at(`{"body":"${b64}"}`).some((f) => f.kind === 'pan' && f.encoding === 'base64'),
        `alignment ${lead}`,
      ).to.equal(true);
    }
  });

  test('a PAN after an LLVAR length in a hex dump is still found', () => {
    expect(at(`F002: 19${PAN}F`)[0]).to.include({ kind: 'pan', offset: 8 });
  });

  test("a masked PAN, another card number and the PAN's last 4 are not findings", () => {
    expect(at('622202*********1234 6222021234567890000 ****1234')).to.deep.equal([]);
  });

  test('track 2 data is reported as track 2 (not also as a PAN), with = or D as separator', () => {
    const f = at(`F35 ${PAN}=30121010000`);
    expect(f).to.have.length(1);
    expect(f[0]).to.include({ kind: 'track2', offset: 4 });
    expect(at(`${PAN}D3012101`)[0]).to.include({ kind: 'track2' });
    expect(at(Buffer.from(`${PAN}D3012101F`, 'hex'))[0]).to.include({ kind: 'track2', encoding: 'bcd' });
  });

  test('a clear PIN next to "PIN"/"密码", as keypad presses, or as a clear format 0 PIN block is found', () => {
    expect(at(`{"pin":"${PIN}"}`)[0]).to.include({ kind: 'pin', encoding: 'pin-context', offset: 8 });
    expect(at(`输入密码: ${PIN}`)[0]).to.include({ kind: 'pin', encoding: 'pin-context' });
    expect(at(`PIN 2468101`)).to.deep.equal([]); // a longer number is not the PIN
    // A TTP frame's sequence number or command id after a PIN screen's name is a counter, not the PIN.
    expect(at(`{"evt":"display","screen":"pin","seq":${PIN}}`)).to.deep.equal([]);
    expect(at(`{\\"screen\\":\\"pin\\",\\"seq\\":${PIN}}`)).to.deep.equal([]);
    expect(at(`{"cmd":"pin","id":${PIN}}`)).to.deep.equal([]);
    expect(at(`{"screen":"pin","value":${PIN}}`)[0]).to.include({ kind: 'pin', encoding: 'pin-context' });
    expect(at(`{"keys":["2","4","6","8","1","0","ENTER"]}`)[0]).to.include({ kind: 'pin', encoding: 'keypad' });
    // Part of a longer run of digit keys (an amount, an account number) is not the PIN.
    expect(at(`{"keys":["2","4","6","8","1","0","7","ENTER"]}`)).to.deep.equal([]);
    expect(at(`{"keys":["9","2","4","6","8","1","0"]}`)).to.deep.equal([]);
    const block = clearPinBlockFormat0(PIN, PAN);
    expect(block).to.equal(buildPinBlockFormat0(PIN, PAN).toString('hex').toUpperCase());
    expect(at(`F52 clear ${block}`)[0]).to.include({ kind: 'pin-block', offset: 10 });
    expect(at(Buffer.from(block, 'hex'))[0]).to.include({ kind: 'pin-block', encoding: 'binary' });
  });

  test('one place matching several cards that share a PIN is one finding naming them all', () => {
    const shared: Secret[] = [
      { kind: 'pin', label: 'A pin', value: '111111' },
      { kind: 'pin', label: 'B pin', value: '111111' },
    ];
    expect(scanBuffer(Buffer.from('PIN: 111111'), shared)).to.deep.equal([
      { file: '(buffer)', offset: 5, kind: 'pin', label: 'A pin, B pin', encoding: 'pin-context' },
    ]);
  });

  test('an amount or STAN equal to the PIN digits is not a finding', () => {
    expect(at(`STAN ${PIN} amount 000000${PIN}`)).to.deep.equal([]);
  });

  test('a clear key is found as hex (any case, spaced) and raw bytes; its check value is not', () => {
    expect(at(`tmk=${TMK}`)[0]).to.include({ kind: 'key', encoding: 'hex', offset: 4 });
    expect(at(TMK.toLowerCase())[0]).to.include({ kind: 'key' });
    expect(at('01 23 45 67 89 AB CD EF FE DC BA 98 76 54 32 10')[0]).to.include({ kind: 'key', encoding: 'spaced-hex' });
    expect(at(Buffer.concat([Buffer.from('xx'), Buffer.from(TMK, 'hex')]))[0]).to.include({ kind: 'key', encoding: 'binary', offset: 2 });
    expect(at('KCV 08D7C2')).to.deep.equal([]);
  });

  test('scanDirectory walks every file and names it relative to the folder; the finding text never holds the value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-scan-'));
    try {
      fs.mkdirSync(path.join(dir, 'allure-results'));
      fs.writeFileSync(path.join(dir, 'allure-results', 'a-attachment.txt'), `screen: 卡号 ${PAN}`);
      fs.writeFileSync(path.join(dir, 'clean.json'), '{"pan":"622202*********1234"}');
      // An earlier run's file in a subfolder is not this run's output.
      fs.mkdirSync(path.join(dir, 'old-run'));
      fs.writeFileSync(path.join(dir, 'old-run', 'x.txt'), PAN);
      const old = new Date(Date.now() - 3_600_000);
      fs.utimesSync(path.join(dir, 'old-run', 'x.txt'), old, old);
      expect(scanDirectory(dir, secrets).findings).to.have.length(2);
      const r = scanDirectory(dir, secrets, { since: Date.now() - 60_000 });
      expect(r.filesScanned).to.equal(2);
      expect(r.findings).to.have.length(1);
      expect(r.findings[0]).to.include({ file: 'allure-results/a-attachment.txt', offset: 15, kind: 'pan' });
      const line = describeFinding(r.findings[0]);
      expect(line).to.equal('allure-results/a-attachment.txt at byte 15: full PAN (cards.yaml FX-DEBIT pan; ascii)');
      expect(line).not.to.include(PAN);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unreadable card file is a typed error naming it; a missing one is skipped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-scan-'));
    try {
      fs.writeFileSync(path.join(dir, 'cards.yaml'), 'cards: [ {pan: "1"');
      expect(() => loadSecrets([path.join(dir, 'cards.yaml')])).to.throw(SecretSourceError, /cards\.yaml/);
      expect(loadSecrets([path.join(dir, 'nope.yaml')])).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a TMK of the run planted in any artifact is found: the transcript as text, the message stream as base64', () => {
    const root = path.join(__dirname, '..', '..');
    const known = loadSecrets(defaultSecretFiles(root));
    const merchants = parseYaml(fs.readFileSync(path.join(root, 'scenarios', 'merchants.yaml'), 'utf8')) as {
      terminals: Array<{ terminalId: string; tmk: string }>;
    };
    const worker2 = merchants.terminals.find((t) => t.terminalId === '10000002')!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-scan-'));
    try {
      fs.mkdirSync(path.join(dir, 'allure-results'));
      const line = `12:00:00.001 tx frame {"id":9,"cmd":"config","set":{"terminalId":"10000002","x-tmk":"${worker2.tmk}","x-keyScheme":"tdes"}}`;
      fs.writeFileSync(path.join(dir, 'allure-results', 'x-attachment.txt'), line);
      fs.writeFileSync(
        path.join(dir, 'messages.ndjson'),
        JSON.stringify({ attachment: { body: Buffer.from(line).toString('base64'), contentEncoding: 'BASE64' } }),
      );
      fs.writeFileSync(path.join(dir, 'masked.txt'), line.replace(worker2.tmk, '[key removed]'));
      const r = scanDirectory(dir, known);
      const keys = r.findings.filter((f) => f.kind === 'key');
      expect(keys.map((f) => [f.file, f.encoding])).to.deep.include.members([
        ['allure-results/x-attachment.txt', 'hex'],
        ['messages.ndjson', 'base64'],
      ]);
      expect(keys.every((f) => f.label.includes('merchants.yaml 10000002 tmk'))).to.equal(true);
      expect(r.findings.filter((f) => f.file === 'masked.txt')).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the ICC master key derived for each chip card is a key of the run too', () => {
    const book = { issuerKeys: [{ id: 'IMK-1', imk: TMK }], cards: [{ alias: 'CHIP', pan: PAN, psn: '01', emv: { issuerKey: 'IMK-1' } }] };
    const found = extractSecrets(book, 'cards.yaml').filter((s) => s.label.includes('ICC master key'));
    const mk = deriveIccMasterKeyOptionA(Buffer.from(TMK, 'hex'), PAN, '01').toString('hex').toUpperCase();
    expect(found).to.deep.equal([{ kind: 'key', label: 'cards.yaml CHIP ICC master key (derived)', value: mk }]);
    expect(scanBuffer(Buffer.from(`{"card":{"emv":{"iccMasterKey":"${mk}"}}}`), found)[0]).to.include({ kind: 'key', encoding: 'hex' });
  });
});
