/**
 * Bad input to crypto/ gets a typed PoscertError that says what and where; crypto/ stays pure.
 */
import { test, describe } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PoscertError } from '../../errors';
import {
  desEcbEncrypt,
  desEcbDecrypt,
  desCbcEncrypt,
  sm4EcbEncrypt,
  sm4CbcEncrypt,
  KeyLengthError,
  BlockLengthError,
  CryptoInputError,
  PinBlockError,
  buildPinBlockFormat0,
  recoverPin,
  computeMac,
  iso9797Alg3Mac,
  iso9797Alg1Mac,
  padIso9797,
  luhnCheckDigit,
  isLuhnValid,
  maskPan,
  dukptIpek,
  dukptTransactionKey,
  dukptCounter,
  generateArpcMethod1,
  generateArpcMethod2,
  deriveCommonSessionKey,
  deriveIccMasterKeyOptionA,
  encryptPinBlock,
  MacScheme,
} from '../../crypto';

const h = (hex: string): Buffer => Buffer.from(hex, 'hex');

describe('crypto/ input errors', () => {
  test('key lengths', () => {
    const err = (() => {
      try {
        desEcbEncrypt(h('00'.repeat(12)), Buffer.alloc(8));
      } catch (e) {
        return e;
      }
    })();
    expect(err).to.be.instanceOf(KeyLengthError).and.instanceOf(PoscertError);
    expect((err as KeyLengthError).code).to.equal('CRYPTO_KEY_LENGTH');
    expect((err as Error).message).to.match(/12 bytes, expected 8 or 16 or 24 bytes/);
    expect(() => sm4EcbEncrypt(h('00'.repeat(8)), Buffer.alloc(16))).to.throw(KeyLengthError, /expected 16/);
    expect(() => iso9797Alg3Mac(h('00'.repeat(8)), Buffer.alloc(8))).to.throw(KeyLengthError, /X9\.19/);
    expect(() => iso9797Alg1Mac(h('00'.repeat(7)), Buffer.alloc(8))).to.throw(KeyLengthError, /X9\.9/);
  });

  test('data that is not a block multiple is refused, never padded silently', () => {
    expect(() => desEcbEncrypt(h('00'.repeat(8)), Buffer.alloc(7))).to.throw(BlockLengthError, /7 bytes, not a multiple of the 8-byte block/);
    expect(() => desEcbDecrypt(h('00'.repeat(16)), Buffer.alloc(9))).to.throw(BlockLengthError);
    expect(() => sm4EcbEncrypt(h('00'.repeat(16)), Buffer.alloc(8))).to.throw(BlockLengthError, /16-byte block/);
    expect(() => padIso9797(Buffer.alloc(9), 0)).to.throw(BlockLengthError);
    expect(() => padIso9797(Buffer.alloc(8), 4 as never)).to.throw(CryptoInputError, /method/);
  });

  test('IV sizes', () => {
    expect(() => desCbcEncrypt(h('00'.repeat(8)), Buffer.alloc(16), Buffer.alloc(8))).to.throw(CryptoInputError, /IV must be 8 bytes/);
    expect(() => sm4CbcEncrypt(h('00'.repeat(16)), Buffer.alloc(8), Buffer.alloc(16))).to.throw(CryptoInputError, /IV must be 16 bytes/);
  });

  test('PIN and PAN checks', () => {
    expect(() => buildPinBlockFormat0('123', '6212345678901265')).to.throw(CryptoInputError, /4 to 12/);
    expect(() => buildPinBlockFormat0('1234567890123', '6212345678901265')).to.throw(CryptoInputError, /4 to 12/);
    expect(() => buildPinBlockFormat0('12a4', '6212345678901265')).to.throw(CryptoInputError, /non-digits/);
    expect(() => buildPinBlockFormat0('1234', '621234567890')).to.throw(CryptoInputError, /13 to 19/);
    expect(() => recoverPin(Buffer.alloc(7), '6212345678901265', 0)).to.throw(PinBlockError, /8 bytes/);
    expect(() => recoverPin(h('041234FFFFFFFFFF'), undefined, 0)).to.throw(PinBlockError, /needs the PAN/);
    expect(() => recoverPin(h('241234FFFFFFFFFF'), undefined, 1)).to.throw(PinBlockError, /control nibble is 2, expected 1/);
    expect(() => recoverPin(h('2F1234FFFFFFFFFF'), undefined, 2)).to.throw(PinBlockError, /length nibble F/);
    expect(() => recoverPin(h('2412A4FFFFFFFFFF'), undefined, 2)).to.throw(PinBlockError, /not decimal/);
    expect(() => recoverPin(h('241234FFFFFFFF0F'), undefined, 2)).to.throw(PinBlockError, /fill/);
    expect(() => encryptPinBlock(h('00'.repeat(16)), Buffer.alloc(8), 'des')).to.throw(KeyLengthError);
  });

  test('PIN errors never echo the PIN', () => {
    try {
      recoverPin(h('241234FFFFFFFF0F'), undefined, 2);
      expect.fail('bad fill accepted');
    } catch (e) {
      expect(e).to.be.instanceOf(PinBlockError);
      expect((e as Error).message).to.not.contain('1234');
      expect(JSON.stringify((e as PoscertError).context)).to.not.contain('1234');
    }
  });

  test('unknown MAC scheme', () => {
    expect(() => computeMac('cbc' as MacScheme, h('00'.repeat(8)), Buffer.alloc(8))).to.throw(CryptoInputError, /cup-ecb, x9\.9, x9\.19, sm4-ecb/);
  });

  test('EMV and DUKPT argument sizes', () => {
    const k16 = h('0123456789ABCDEFFEDCBA9876543210');
    expect(() => deriveIccMasterKeyOptionA(h('00'.repeat(8)), '6212345678901265', '00')).to.throw(KeyLengthError);
    expect(() => deriveIccMasterKeyOptionA(k16, '6212345678901265', '1')).to.throw(CryptoInputError, /PAN sequence number/);
    expect(() => deriveCommonSessionKey(k16, h('001C00'))).to.throw(CryptoInputError, /2-byte ATC or the 8-byte R/);
    expect(() => generateArpcMethod1(k16, Buffer.alloc(8), Buffer.alloc(1))).to.throw(CryptoInputError, /ARC/);
    expect(() => generateArpcMethod2(k16, Buffer.alloc(8), Buffer.alloc(4), Buffer.alloc(9))).to.throw(CryptoInputError, /0 to 8/);
    expect(() => dukptIpek(k16, h('9876543210E00001'))).to.throw(CryptoInputError, /10 bytes/);
    expect(() => dukptTransactionKey(h('00'.repeat(8)), h('FFFF9876543210E00001'))).to.throw(KeyLengthError, /IPEK/);
    expect(dukptCounter(h('FFFF9876543210EFF800'))).to.equal(0x0ff800);
  });

  test('Luhn and masking', () => {
    expect(() => luhnCheckDigit('12a')).to.throw(CryptoInputError);
    expect(isLuhnValid('4111-1111-1111-1111')).to.equal(false);
    expect(isLuhnValid('')).to.equal(false);
    expect(maskPan('6212345678901265')).to.equal('621234******1265');
    expect(maskPan('6205500000000000004')).to.equal('620550*********0004');
    expect(maskPan('12345678901')).to.equal('123456*8901');
    expect(maskPan('1234567890')).to.equal('**********');
    expect(maskPan('')).to.equal('');
  });
});

describe('crypto/ purity', () => {
  test('no I/O, clock or own randomness in crypto/*.ts', () => {
    const dir = path.join(__dirname, '..', '..', 'crypto');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).to.be.greaterThan(5);
    for (const f of files) {
      const src = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(src, f).to.not.match(/from 'node:(fs|net|tls|http|https|child_process|dgram|os)'/);
      expect(src, f).to.not.match(/Date\.now|new Date\(|Math\.random|randomBytes|process\.(env|argv|stdout)|console\./);
    }
  });
});
