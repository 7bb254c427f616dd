import { describe, test } from 'node:test';
import { expect } from 'chai';
import { decodeFrame, dumpMessage, IsoMessage, messageToJson, maskTrack, packMessage, unpackMessage } from '../../../protocol/iso8583';
import { loadSamples } from './samples';

describe('dumpMessage / messageToJson', () => {
  const sample = loadSamples().find((s) => s.name === 'sale_0200_req_ic_qps_easy8583')!;
  const msg = decodeFrame(sample.bytes).message;

  test('field table with number, name, format and value; coded fields explained; F55 tags listed', () => {
    const text = dumpMessage(msg);
    expect(text).to.match(/^MTI 0200 {2}bitmap 7024068020C08211/);
    expect(text).to.match(/\n22 +服务点输入方式码 .* n3 +072 +\[contactless, PIN not-entered\]/);
    expect(text).to.match(/\n60 .*n\.\.\.19 LLLVAR +2200075700060 .*60\.3=000/);
    expect(text).to.match(/9F26 \(8\) ED1D6BA78357FB25/);
    expect(text).to.match(/\n41 .*"73782214"/);
  });

  test('PAN and track 2 are masked unless unmask; no clear PAN or track anywhere', () => {
    const text = dumpMessage(msg);
    const json = JSON.stringify(messageToJson(msg));
    for (const out of [text, json]) {
      expect(out).not.to.contain('6210810840003424940');
      expect(out).not.to.contain('27062207001000100');
      expect(out).to.contain('621081*********4940');
    }
    expect(messageToJson(msg).fields['35']).to.equal('621081*********4940=*****************');
    expect(messageToJson(msg, { unmask: true }).fields['2']).to.equal('6210810840003424940');
  });

  test('JSON: digits without pad nibbles, text, upper-case hex', () => {
    const j = messageToJson(msg);
    expect(j.mti).to.equal('0200');
    expect(j.bitmap).to.equal('7024068020C08211');
    expect(j.fields['22']).to.equal('072');
    expect(j.fields['64']).to.equal('4237313333423537');
    expect(j.fields['42']).to.equal('898411341310014');
  });

  test('PIN block as encrypted hex only', () => {
    const scan = loadSamples().find((s) => s.name === 'sale_0200_req_ic_scandemo')!;
    const m = unpackMessage(scan.bytes.subarray(11));
    expect(messageToJson(m).fields['52']).to.equal('086BDB118D7AC25E');
  });

  test('maskTrack', () => {
    expect(maskTrack('6210810840003424940=2706')).to.equal('621081*********4940=****');
    expect(maskTrack('6210810840003424940')).to.equal('621081*********4940');
  });
});

describe('dump annotations', () => {
  test('settlement totals, balance, original data, bill payee', async () => {
    const { IsoMessage, encodeBillPayee } = await import('../../../protocol/iso8583');
    const settle = unpackMessage(loadSamples().find((s) => s.name === 'settle_0500_req_bare')!.bytes);
    expect(dumpMessage(settle)).to.match(/domestic: debit 7 \/ 7 fen, credit 0 \/ 0 fen, result 0/);
    const bill = new IsoMessage('0200', {
      3: '500000',
      54: '1002156C000000624712',
      61: '000001000023',
      62: encodeBillPayee({ name: '国网电力', account: '1234567890' }),
    });
    const text = dumpMessage(bill);
    expect(text).to.match(/payee "国网电力", account 1234567890/);
    expect(text).to.match(/balance 624712 fen/);
    expect(text).to.match(/original batch 000001, trace 000023/);
  });
});

describe('field 55 card data in dumps', () => {
  // A chip-card F55 that carries the PAN (5A) and the track 2 equivalent (57) besides the cryptogram.
  const pan = '6212345678901234567';
  const icc = Buffer.from('9F2608ED1D6BA78357FB25' + '5A0A' + pan + 'F' + '5711' + '6212345678901234567D2512201123456F' + '9F360201A5', 'hex');
  const withF55 = (f55: Buffer) => unpackMessage(packMessage(new IsoMessage('0200').set(3, '000000').set(55, f55)));

  test('5A and 57 are masked in messageToJson and in the dump, other tags stay readable, unmask shows all', () => {
    const msg = withF55(icc);
    const json = messageToJson(msg).fields['55'];
    expect(json).not.to.contain(pan);
    expect(json).to.contain('ED1D6BA78357FB25');
    expect(json.length).to.equal(icc.length * 2);
    const text = dumpMessage(msg);
    expect(text).not.to.contain(pan);
    expect(text).to.match(/5A \(10\) 621234\*+/);
    expect(text).to.match(/57 \(17\) 621234\*+4567D\*+/);
    expect(messageToJson(msg, { unmask: true }).fields['55']).to.contain(pan);
  });

  test('an F55 that is not BER-TLV is masked wholesale', () => {
    expect(messageToJson(withF55(Buffer.from('5A10', 'hex'))).fields['55']).to.equal('****');
  });
});
