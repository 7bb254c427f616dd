import { describe, test } from 'node:test';
import { expect } from 'chai';
import { IsoMessage, macInput, applyMac, verifyMac, packMessage, decodeFrame, unpackMessage } from '../../../protocol/iso8583';
import { loadSamples } from './samples';

const MAK = Buffer.from('313215FDA2C4AB4C', 'hex');

describe('F64 MAC over the message (cup8583.md §5.3)', () => {
  const sample = loadSamples().find((s) => s.name === 'sale_0200_req_ic_qps_easy8583')!;
  const msg = decodeFrame(sample.bytes).message;

  test('macInput is the 261 bytes from the MTI up to field 64 (offset 13 to len-8 of the sample)', () => {
    const input = macInput(msg);
    expect(input.length).to.equal(261);
    expect(input.equals(sample.bytes.subarray(13, sample.bytes.length - 8))).to.equal(true);
  });

  test('macInput sets bit 64 even when field 64 is absent', () => {
    const noMac = msg.clone().unset(64);
    expect(macInput(noMac).equals(macInput(msg))).to.equal(true);
    expect(packMessage(noMac)[9] & 1).to.equal(0);
  });

  test('applyMac reproduces the worked example: ASCII "B7133B57"', () => {
    const fresh = msg.clone().unset(64);
    applyMac(fresh, MAK);
    expect(fresh.getBuffer(64)!.toString('ascii')).to.equal('B7133B57');
    expect(packMessage(fresh).equals(sample.bytes.subarray(13))).to.equal(true);
  });

  test('verifyMac accepts the sample and rejects any change, a wrong key, or a missing MAC', () => {
    expect(verifyMac(msg, MAK)).to.equal(true);
    expect(verifyMac(msg.clone().set(4, '000000000002'), MAK)).to.equal(false);
    expect(verifyMac(msg, Buffer.from('413215FDA2C4AB4C', 'hex'))).to.equal(false);
    expect(verifyMac(msg.clone().unset(64), MAK)).to.equal(false);
  });

  test('other schemes give an 8-byte F64 that verifies', () => {
    const key16 = Buffer.concat([MAK, MAK]);
    for (const scheme of ['x9.9', 'x9.19'] as const) {
      const m = new IsoMessage('0200', { 3: '000000', 4: '000000000100', 11: '000001', 41: '12345678' });
      applyMac(m, scheme === 'x9.9' ? MAK : key16, scheme);
      expect(m.getBuffer(64)!.length).to.equal(8);
      expect(verifyMac(unpackMessage(packMessage(m)), scheme === 'x9.9' ? MAK : key16, scheme)).to.equal(true);
    }
    // Over the same 261-byte input, X9.9 with K and X9.19 with K||K both give 69BF007E4AF3D071 (§5.3).
    const m = msg.clone();
    applyMac(m, MAK, 'x9.9');
    expect(m.getString(64)).to.equal('69BF007E4AF3D071');
  });
});
