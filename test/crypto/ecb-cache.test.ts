import { test } from 'node:test';
import { expect } from 'chai';
import * as nodeCrypto from 'node:crypto';
import { desEcbDecrypt, desEcbEncrypt, sm4EcbDecrypt, sm4EcbEncrypt } from '../../crypto';

// ECB cipher objects are reused per key (crypto/ciphers.ts): results must not depend on what ran before.
test('reused ECB ciphers give the same bytes as fresh ones, whatever the call order and data length', () => {
  const keys = [
    Buffer.from('0123456789ABCDEF', 'hex'),
    Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'),
    Buffer.from('0123456789ABCDEFFEDCBA987654321089ABCDEF01234567', 'hex'),
  ];
  for (let round = 0; round < 50; round++) {
    for (const key of keys) {
      const data = nodeCrypto.randomBytes(8 * (1 + (round % 5)));
      const fresh = nodeCrypto
        .createCipheriv(key.length === 24 ? 'des-ede3-ecb' : 'des-ede-ecb', key.length === 8 ? Buffer.concat([key, key]) : key, null)
        .setAutoPadding(false);
      const expected = Buffer.concat([fresh.update(data), fresh.final()]);
      const enc = desEcbEncrypt(key, data);
      expect(enc.toString('hex')).to.equal(expected.toString('hex'));
      expect(desEcbDecrypt(key, enc).toString('hex')).to.equal(data.toString('hex'));
    }
    const sm4Key = Buffer.alloc(16, round);
    const block = nodeCrypto.randomBytes(16 * (1 + (round % 3)));
    expect(sm4EcbDecrypt(sm4Key, sm4EcbEncrypt(sm4Key, block)).toString('hex')).to.equal(block.toString('hex'));
  }
});
