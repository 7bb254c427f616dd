// protocol/iso8583/issuer-script.ts: 71 / 72 templates out of a reply's F55, DF31 results (5 bytes
// per script, EMV Book 4 layout) both ways with clear errors, the 0620 F55 and DF31 in a reversal.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  decodeScriptResults,
  encodeScriptResults,
  issuerScriptTlv,
  issuerScriptsOf,
  scriptResultField55,
  withScriptResults,
} from '../../../protocol/iso8583/issuer-script';
import { FieldContentError } from '../../../protocol/iso8583';
import { decodeTlv, encodeTlv } from '../../../protocol/tlv';

describe('issuer scripts and DF31 script results (cup8583.md §3.11)', () => {
  test('a script TLV round-trips through a reply F55 beside the ARPC', () => {
    const script = { template: '72' as const, id: '11223344', commands: ['841800000400000000', '842400000400000000'] };
    const f55 = encodeTlv([
      { tag: '91', value: Buffer.from('0102030405060708', 'hex') },
      issuerScriptTlv(script),
      issuerScriptTlv({ template: '71', commands: ['8418000000'] }),
    ]);
    expect(f55.toString('hex').toUpperCase()).to.include('721D9F180411223344860984180000040000000086098424');
    expect(issuerScriptsOf(f55)).to.deep.equal([script, { template: '71', commands: ['8418000000'] }]);
    expect(issuerScriptsOf(undefined)).to.deep.equal([]);
    expect(issuerScriptsOf(Buffer.from('91020102', 'hex'))).to.deep.equal([]);
    expect(() => issuerScriptsOf(Buffer.from('72FF', 'hex'))).to.throw(FieldContentError, /reply F55 is not BER-TLV/);
  });

  test('DF31: result nibble + failing command + script id, five bytes per script, both ways', () => {
    const results = [
      { status: 'performed' as const, scriptId: '11223344' },
      { status: 'failed' as const, failedCommand: 2, scriptId: 'AABBCCDD' },
      { status: 'not-performed' as const, scriptId: '00000000' },
    ];
    const bytes = encodeScriptResults(results);
    expect(bytes.toString('hex').toUpperCase()).to.equal('2011223344' + '12AABBCCDD' + '0000000000');
    expect(decodeScriptResults(bytes)).to.deep.equal(results);
    expect(decodeScriptResults('1F11223344')).to.deep.equal([{ status: 'failed', failedCommand: 15, scriptId: '11223344' }]);
    expect(encodeScriptResults([{ status: 'failed', failedCommand: 40, scriptId: '11223344' }]).toString('hex')).to.equal('1f11223344');
  });

  test('a DF31 that is not 5 bytes per script, or with an unknown result, is a clear error', () => {
    expect(() => decodeScriptResults('20112233')).to.throw(FieldContentError, /5 bytes per script .* got 4 byte/);
    expect(() => decodeScriptResults('')).to.throw(FieldContentError, /got 0 byte/);
    expect(() => decodeScriptResults('3011223344')).to.throw(FieldContentError, /result byte 30 of script 1/);
    expect(() => encodeScriptResults([{ status: 'performed', scriptId: '1122' }])).to.throw(FieldContentError, /8 hex digits/);
  });

  test('the 0620 F55 keeps the §3.11 tags of the request and adds DF31; a reversal F55 gains DF31 once', () => {
    const request = encodeTlv([
      { tag: '9F26', value: Buffer.alloc(8, 1) },
      { tag: '9F27', value: Buffer.from([0x80]) },
      { tag: '9F02', value: Buffer.alloc(6) },
      { tag: '95', value: Buffer.alloc(5) },
      { tag: '9F36', value: Buffer.from('0002', 'hex') },
      { tag: '9F33', value: Buffer.from('E0E1C8', 'hex') },
    ]);
    const performed = [{ status: 'performed' as const, scriptId: '11223344' }];
    expect(decodeTlv(scriptResultField55(request, performed)).map((t) => t.tag)).to.deep.equal(['9F33', '95', '9F26', '9F36', 'DF31']);
    const reversal = encodeTlv([
      { tag: '95', value: Buffer.alloc(5) },
      { tag: '9F36', value: Buffer.from('0002', 'hex') },
    ]);
    const once = withScriptResults(reversal, performed);
    const twice = withScriptResults(once, [{ status: 'failed', failedCommand: 1, scriptId: '11223344' }]);
    expect(decodeTlv(twice).map((t) => `${t.tag}=${t.value.toString('hex').toUpperCase()}`)).to.deep.equal([
      '95=0000000000',
      '9F36=0002',
      'DF31=1111223344',
    ]);
  });
});
