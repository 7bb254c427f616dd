import { describe, test } from 'node:test';
import { expect } from 'chai';
import { deriveCommonSessionKey, deriveIccMasterKeyOptionA, generateArpcMethod1, generateArqc } from '../../crypto';
import { decodeTlv, encodeTlv, findTag } from '../../protocol/tlv';
import { ARQC_CDOL1_TAGS } from '../../host/cards';
import { ARQC_INPUT_TAGS, SoftwareIcc, arqcInputFromTags, reversalField55 } from '../../emulator/icc';
import type { TtpCardImage } from '../../protocol/ttp';

const IMK = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
const image: TtpCardImage = {
  pan: '6200000000000047',
  expiry: '3112',
  serviceCode: '220',
  psn: '01',
  emv: { aid: 'A000000333010101', applicationLabel: 'UnionPay Debit', imk: IMK.toString('hex'), atc: 5 },
};
const request = {
  amount: 1234,
  date: '260101',
  transactionType: '00',
  unpredictableNumber: Buffer.from('11223344', 'hex'),
  tvr: Buffer.alloc(5),
  ifdSerial: 'EMU00001',
};

describe('software ICC', () => {
  test('uses the host CDOL1 order', () => {
    expect([...ARQC_INPUT_TAGS]).to.deep.equal([...ARQC_CDOL1_TAGS]);
  });

  test('ARQC = MAC alg 3 under the session key of MK(option A) and the incremented ATC, over the CDOL1 values', () => {
    const icc = new SoftwareIcc(image, new Map());
    const out = icc.generateArqc(request, 'insert');
    expect(out.atc.toString('hex')).to.equal('0006');
    const tags = decodeTlv(out.field55);
    const sk = deriveCommonSessionKey(deriveIccMasterKeyOptionA(IMK, image.pan, '01'), out.atc);
    expect(generateArqc(sk, arqcInputFromTags(tags)).equals(out.arqc)).to.equal(true);
    expect(findTag(tags, '9F26')!.value.equals(out.arqc)).to.equal(true);
    expect(findTag(tags, '9F02')!.value.toString('hex')).to.equal('000000001234');
    // A second card presentation continues the counter.
    const counters = new Map<string, number>();
    new SoftwareIcc(image, counters).generateArqc(request, 'tap');
    expect(new SoftwareIcc(image, counters).generateArqc(request, 'tap').atc.toString('hex')).to.equal('0007');
  });

  test('issuer authentication: a good ARPC passes, a wrong one fails, none is absent', () => {
    const icc = new SoftwareIcc(image, new Map());
    const out = icc.generateArqc(request, 'insert');
    const sk = deriveCommonSessionKey(deriveIccMasterKeyOptionA(IMK, image.pan, '01'), out.atc);
    const arc = Buffer.from('00', 'ascii');
    const arpc = generateArpcMethod1(sk, out.arqc, arc);
    expect(icc.verifyIssuerAuthentication(encodeTlv([{ tag: '91', value: Buffer.concat([arpc, arc]) }]))).to.equal('ok');
    const bad = Buffer.from(arpc);
    bad[0] ^= 1;
    expect(icc.verifyIssuerAuthentication(encodeTlv([{ tag: '91', value: Buffer.concat([bad, arc]) }]))).to.equal('failed');
    expect(icc.verifyIssuerAuthentication(undefined)).to.equal('absent');
  });

  test('the reversal carries only 95, 9F1E, 9F10, 9F36', () => {
    const out = new SoftwareIcc(image, new Map()).generateArqc(request, 'insert');
    expect(decodeTlv(reversalField55(out.field55)).map((n) => n.tag)).to.deep.equal(['95', '9F1E', '9F10', '9F36']);
  });
});
