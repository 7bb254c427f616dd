// Message conformance applied to the host journal (drivers/message-conformance.ts): journal rows as
// the host control API returns them (card data masked, F55 as TAG=VALUE), per terminal, reported
// from a scenario's journal cursor on but judged with everything before it.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { processingRequirementOf, toHostMessage, type HostMessage } from '../../drivers/host-view';
import { declaredKeyScheme, judgeTraffic } from '../../drivers/message-conformance';

function row(id: number, direction: 'in' | 'out', terminalId: string, mti: string, fields: Record<string, string>): HostMessage {
  return toHostMessage({
    id,
    direction,
    time: '2026-12-04T00:00:00Z',
    terminalId,
    mti,
    stan: fields['11'] ?? null,
    responseCode: direction === 'out' ? (fields['39'] ?? null) : null,
    hex: '',
    fields,
    note: null,
  });
}

// What the reference host's journal shows of an inserted-card sale with PIN (host/redact.ts maskedFields).
const ids = (tid: string) => ({ 41: tid, 42: '123456789012345' });
const saleFields = (tid: string, stan: string, f: Record<string, string> = {}) => ({
  ...ids(tid),
  2: '621081*********4940',
  3: '000000',
  4: '000000001200',
  11: stan,
  14: '2706',
  22: '051',
  23: '001',
  25: '00',
  26: '12',
  35: '621081*********4940=****************',
  49: '156',
  52: '8F1E2D3C4B5A6978',
  53: '2600000000000000',
  55: '9F26=ED1D6BA78357FB25 9F27=80 9F10=07010103A00000 9F37=591D3716 9F36=0001 95=0000000000 9A=261204 9C=00 9F02=000000001200 5F2A=0156 82=7C00 9F1A=0156 9F03=000000000000 9F33=E0E1C8 9F34=420300',
  60: '2200000100050',
  64: '3441423231443043',
  ...f,
});
const signOn = (id: number, tid: string) => row(id, 'in', tid, '0800', { ...ids(tid), 11: '000001', 60: '00000001004', 63: '01 ' });

describe("message conformance of a run's journal", () => {
  test('a clean journal: every request judged, no finding, a one-line summary', () => {
    const r = judgeTraffic([
      {
        terminalId: '10000001',
        keyScheme: 'tdes',
        messages: [
          signOn(2, '10000001'),
          row(3, 'out', '10000001', '0810', { ...ids('10000001'), 11: '000001', 39: '00', 60: '00000001004' }),
          row(4, 'in', '10000001', '0200', saleFields('10000001', '000002')),
        ],
      },
    ]);
    expect(r.judged.map((j) => j.kind)).to.deep.equal(['sign-on', 'sale']);
    expect(r.errors).to.deep.equal([]);
    expect(r.text).to.equal('2 request(s) of terminal 10000001 judged against cup8583.md: 0 error(s), 0 warning(s)');
  });

  test("reports only after the scenario's cursor, but finds the original before it", () => {
    const sale = row(4, 'in', '10000001', '0200', saleFields('10000001', '000002'));
    const reply = row(5, 'out', '10000001', '0210', {
      ...ids('10000001'),
      3: '000000',
      4: '000000001200',
      11: '000002',
      37: '120400000007',
      38: '654321',
      39: '00',
    });
    const voided = row(
      6,
      'in',
      '10000001',
      '0200',
      saleFields('10000001', '000003', { 3: '200000', 4: '000000009900', 37: '120400000007', 60: '2300000100050', 61: '000001000002' }),
    );
    const r = judgeTraffic([{ terminalId: '10000001', keyScheme: 'tdes', messages: [voided, reply, sale, signOn(2, '10000001')] }], 5);
    expect(r.judged.map((j) => j.message.id)).to.deep.equal([6]);
    expect(r.errors.map((f) => `${f.rule} ${f.field}`)).to.deep.equal(['MSG-F61 F4']);
    expect(r.text).to.contain('#6 0200 void STAN 000003').and.contain('ERROR   MSG-F61');
    expect(r.errorLines).to.deep.equal([
      "#6 0200 void STAN 000003: MSG-F61 F4 F4 000000009900 differs from the original sale's 000000001200 (a void takes the original amount) (cup8583.md §2.5, §2.6, §3.7)",
    ]);
  });

  test("each terminal is judged with its own traffic and declared scheme (an SM4 terminal's F53 says 3)", () => {
    const sm4Sale = saleFields('20000002', '000002', { 53: '2300000000000000' });
    const r = judgeTraffic([
      { terminalId: '10000001', keyScheme: declaredKeyScheme('3DES'), messages: [signOn(1, '10000001'), row(3, 'in', '10000001', '0200', sm4Sale)] },
      { terminalId: '20000002', keyScheme: declaredKeyScheme('SM4'), messages: [signOn(2, '20000002'), row(4, 'in', '20000002', '0200', sm4Sale)] },
    ]);
    expect(r.judged).to.have.length(4);
    expect(r.errors.map((f) => `${f.rule} ${f.field}`)).to.deep.equal(['MSG-F53-SCHEME 53.2']);
    expect(r.judged.find((j) => j.findings.length)?.message.id).to.equal(3);
  });

  test("a request the host could not decode is an error; the host's replies are not judged", () => {
    const r = judgeTraffic([
      {
        terminalId: '10000001',
        messages: [
          toHostMessage({
            id: 8,
            direction: 'in',
            time: '2026-12-04T00:00:00Z',
            terminalId: '10000001',
            mti: null as never,
            stan: null,
            responseCode: null,
            hex: '0200FF',
            fields: {},
            note: 'undecodable',
          }),
          row(9, 'out', '10000001', '0210', { ...ids('10000001'), 11: '000002', 39: '30' }),
        ],
      },
    ]);
    expect(r.errors.map((f) => f.rule)).to.deep.equal(['MSG-KIND']);
  });

  test("a list downloaded again on the connection that completed it is judged from the journal's connection and reply headers", () => {
    const tid = '10000001';
    // A reply frame: LEN, TPDU, header with digit 6 = `digit`, then (for this test) nothing more.
    const replyHex = (digit: string) => `0000${'6000000003'}60310${digit}310000${'0810'}`;
    const msg = (id: number, direction: 'in' | 'out', code: string, stan: string, remote: string, digit = '0') =>
      toHostMessage({
        id,
        direction,
        time: '2026-12-04T00:00:00Z',
        terminalId: tid,
        mti: direction === 'in' ? '0800' : '0810',
        stan,
        responseCode: direction === 'out' ? '00' : null,
        hex: direction === 'out' ? replyHex(digit) : '',
        fields: { ...ids(tid), 11: stan, 60: `00000001${code}`, ...(direction === 'out' ? { 39: '00' } : {}) },
        note: null,
        remote,
      });
    const run = (endDigit: string, second: string) =>
      judgeTraffic([
        {
          terminalId: tid,
          messages: [
            msg(1, 'in', '394', '000010', 'a:1'),
            msg(2, 'out', '394', '000010', 'a:1', '0'),
            msg(3, 'in', '395', '000011', 'a:1'),
            msg(4, 'out', '395', '000011', 'a:1', endDigit),
            msg(5, 'in', '394', '000012', second),
          ],
        },
      ]).errors.map((f) => f.rule);
    expect(run('0', 'a:1')).to.deep.equal(['MSG-LIST-REPEAT']);
    expect(run('9', 'a:1')).to.deep.equal([]);
    expect(run('0', 'a:2')).to.deep.equal([]);
    expect(processingRequirementOf({ hex: replyHex('7') })).to.equal('7');
    expect(processingRequirementOf({ hex: '0200FF' })).to.equal(undefined);
  });

  test('declaredKeyScheme maps the host configuration', () => {
    expect(declaredKeyScheme('SM4')).to.equal('sm4');
    expect(declaredKeyScheme('3DES')).to.equal('tdes');
    expect(declaredKeyScheme(undefined)).to.equal(undefined);
  });
});
