// Message conformance (protocol/iso8583/conformance.ts): the real samples of test/fixtures/samples
// conform, and a hand-broken message trips each rule with its id, field, severity and section.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import {
  CONFORMANCE_RULES,
  CONFORMANCE_RULE_IDS,
  carriesPinBlock,
  checkMessage,
  checkTraffic,
  decodeFrame,
  decodeFrameBody,
  encodeSm4PinBlockF59,
  formatFindings,
  iccLengthProblems,
  iccValues,
  keySchemeOfSignOn,
  unpackMessage,
  wireMessageOf,
  type ConformanceFinding,
  type ConformanceRuleId,
  type MessageContext,
  type TrafficMessage,
  type WireMessage,
} from '../../../protocol/iso8583';
import { loadSamples } from './samples';
import { decodeTlv, encodeTlv } from '../../../protocol/tlv';

const samples = new Map(
  loadSamples().map((s) => {
    const body = s.framing === 'length' ? decodeFrame(s.bytes) : s.framing === 'tpdu' ? decodeFrameBody(s.bytes) : undefined;
    return [s.name, wireMessageOf(body ? body.message : unpackMessage(s.bytes))];
  }),
);
const sample = (name: string): WireMessage => {
  const m = samples.get(name);
  if (!m) throw new Error(`no sample ${name}`);
  return m;
};

/** A copy of a message with fields changed (undefined removes one). */
function edit(m: WireMessage, change: Record<number, string | undefined>, mti = m.mti): WireMessage {
  const fields: Record<number, string | undefined> = { ...m.fields };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete fields[Number(k)];
    else fields[Number(k)] = v;
  }
  return { mti, fields };
}

const rules = (fs: ConformanceFinding[]) => fs.map((f) => `${f.severity} ${f.rule} ${f.field ?? ''}`.trim());
function expectOnly(m: WireMessage, expected: string[], ctx: MessageContext = {}): ConformanceFinding[] {
  const found = checkMessage(m, ctx);
  expect(rules(found), formatFindings([{ index: 0, message: { ...m, direction: 'in' }, kind: undefined, findings: found }])).to.have.members(
    expected,
  );
  return found;
}

// The scandemo IC sale with PIN (051, F26 06, F52, F53 26…, F55) and the easy8583 contactless sale without PIN (072, F35, F55).
const icSale = () => sample('sale_0200_req_ic_scandemo');
const tapSale = () => sample('sale_0200_req_ic_qps_easy8583');

describe('message conformance: real samples', () => {
  test('every request of the samples conforms, with the key scheme their F53 / sign-on name', () => {
    for (const name of ['sale_0200_req_ic_scandemo', 'sale_0200_req_ic_qps_easy8583', 'settle_0500_req_bare', 'signon_0800_req_ajsgn']) {
      expect(rules(checkMessage(sample(name), { keyScheme: 'tdes' })), name).to.deep.equal([]);
    }
  });

  test("a sale with the terminal's local time and date (F12 / F13, as the whty sample sends) conforms", () => {
    expect(checkMessage(edit(icSale(), { 12: '165419', 13: '1115' }))).to.deep.equal([]);
  });

  test("responses are the host's business: no findings", () => {
    for (const name of ['sale_0210_resp_ic_scandemo', 'signon_0810_resp_ajsgn', 'signon_0810_resp_go_host_testkeys']) {
      expect(checkMessage(sample(name)), name).to.deep.equal([]);
    }
  });

  test('every rule has a title and a cup8583.md section, and findings cite it', () => {
    for (const id of CONFORMANCE_RULE_IDS) expect(CONFORMANCE_RULES[id].section, id).to.match(/^§\d/);
    const [f] = checkMessage(edit(icSale(), { 49: '840' }));
    expect(f).to.deep.include({ severity: 'error', rule: 'MSG-F49', field: 'F49', section: 'cup8583.md §2.2' });
    expect(f.message).to.contain('840');
  });
});

describe('message conformance: hand-broken messages, one rule each', () => {
  test('MSG-KIND: a combination §3.1 does not define, and bytes that are no message', () => {
    expectOnly(edit(icSale(), { 60: '2200000020160' }), ['error MSG-KIND MTI']);
    expectOnly({ mti: '', fields: {} }, ['error MSG-KIND MTI']);
  });

  test('MSG-F3-601: 60.1 says void, F3 says sale', () => {
    expectOnly(edit(icSale(), { 60: '2300000000060' }), ['error MSG-F3-601 F3', 'error MSG-KIND MTI']);
    expectOnly(edit(icSale(), { 60: '7700000000060' }), ['error MSG-F3-601 60.1', 'error MSG-KIND MTI']);
  });

  test('MSG-MUST and MSG-MUST-NOT: a sale without F25 or F41, a sale with F37 / F61', () => {
    expectOnly(edit(icSale(), { 25: undefined, 41: undefined }), ['error MSG-MUST F25', 'error MSG-MUST F41']);
    expectOnly(edit(icSale(), { 37: '000000000000' }), ['error MSG-MUST-NOT F37']);
    expectOnly(edit(sample('settle_0500_req_bare'), { 3: '000000' }), ['error MSG-MUST-NOT F3']);
  });

  test('MSG-UNUSED: a field the kind does not use is a warning', () => {
    expectOnly(edit(icSale(), { 48: '0012' }), ['warning MSG-UNUSED F48']);
  });

  test('MSG-MAC: a sale without F64, a sign-on or settlement with one', () => {
    expectOnly(edit(icSale(), { 64: undefined }), ['error MSG-MAC F64']);
    expectOnly(edit(sample('signon_0800_req_ajsgn'), { 64: '3132333435363738' }), ['error MSG-MAC F64']);
    expectOnly(edit(sample('settle_0500_req_bare'), { 64: '3132333435363738' }), ['error MSG-MAC F64']);
  });

  test('MSG-F60: undecodable, 60.3 of a reversal, 60.4 missing on a sale, 60.4 on a sign-on', () => {
    expectOnly(edit(icSale(), { 60: '22AB' }), ['error MSG-KIND MTI'], {});
    expectOnly(edit(icSale(), { 60: '22000000000' }), ['warning MSG-F60 60.4']);
    expectOnly(edit(sample('signon_0800_req_ajsgn'), { 60: '000001720035' }), ['warning MSG-F60 60.4']);
    const reversal = edit(icSale(), { 39: '98', 26: undefined, 52: undefined, 53: undefined, 59: undefined, 60: '2200000020160' }, '0400');
    expectOnly(reversal, ['error MSG-F60 60.3']);
    expectOnly(edit(reversal, { 60: '22AB' }), ['error MSG-F60 F60']);
  });

  test('MSG-F49: currency other than 156', () => {
    // The chip's 5F2A (0156) then disagrees with F49 too (MSG-F55).
    expectOnly(edit(icSale(), { 49: '840' }), ['error MSG-F49 F49', 'error MSG-F55 F55']);
    expectOnly(edit(sample('settle_0500_req_bare'), { 49: '344' }), ['error MSG-F49 F49']);
  });

  test('MSG-CARD: swipe without track 2, keyed entry without PAN, chip read without PAN or track', () => {
    const swiped = edit(icSale(), { 22: '021', 55: undefined, 23: undefined, 2: undefined, 14: undefined });
    expectOnly(swiped, ['error MSG-CARD F35']);
    expectOnly(edit(swiped, { 22: '011', 2: '6217970000000005090' }), []);
    expectOnly(edit(swiped, { 22: '011' }), ['error MSG-CARD F2']);
    expectOnly(edit(tapSale(), { 2: undefined, 35: undefined }), ['error MSG-CARD F2']);
  });

  test('MSG-CARD: card data of another entry mode (F2 / F14 on a swipe or fallback, F36 on a chip read, F35 / F36 keyed)', () => {
    const track2 = '621797*********5090=2312**************';
    const swiped = edit(icSale(), { 22: '021', 55: undefined, 23: undefined, 2: undefined, 14: undefined, 35: track2 });
    expectOnly(swiped, []);
    expectOnly(edit(swiped, { 36: '996217970000000005090' }), []);
    expectOnly(edit(swiped, { 14: '2312' }), ['error MSG-CARD F14']);
    expectOnly(edit(swiped, { 2: '6217970000000005090' }), ['error MSG-CARD F2']);
    expectOnly(edit(swiped, { 22: '801', 14: '2312' }), ['error MSG-CARD F14']);
    expectOnly(edit(icSale(), { 36: '996217970000000005090' }), ['error MSG-CARD F36']);
    expectOnly(edit(tapSale(), { 36: '996217970000000005090' }), ['error MSG-CARD F36']);
    const keyed = edit(swiped, { 22: '011', 35: undefined, 2: '6217970000000005090', 14: '2312' });
    expectOnly(keyed, []);
    expectOnly(edit(keyed, { 35: track2 }), ['error MSG-CARD F35']);
    const f = checkMessage(edit(swiped, { 14: '2312' }), {});
    expect(f[0].message).to.match(/F22 021 .*swiped.*F14 travels.*§2\.2/);
  });

  test('MSG-F22-F55: chip read without F55 (error on a sale, warning on a void); swipe or fallback with F55', () => {
    expectOnly(edit(icSale(), { 55: undefined }), ['error MSG-F22-F55 F55']);
    expectOnly(edit(icSale(), { 22: '021', 2: undefined, 14: undefined, 35: '621797*********5090=2312**************' }), ['error MSG-F22-F55 F22']);
    expectOnly(edit(icSale(), { 22: '801', 2: undefined, 14: undefined, 35: '621797*********5090=2312**************' }), ['error MSG-F22-F55 F22']);
    const fallback = edit(icSale(), {
      22: '801',
      55: undefined,
      23: undefined,
      2: undefined,
      14: undefined,
      35: '621797*********5090=2312**************',
    });
    expect(rules(checkMessage(fallback)).filter((r) => r.includes('MSG-F22-F55'))).to.deep.equal([]);
    const f60 = String(icSale().fields[60]);
    expect(
      rules(checkMessage(edit(fallback, { 22: '021', 60: `${f60.slice(0, 12)}2${f60.slice(13)}` }))).filter((r) => r.includes('MSG-F22-F55')),
    ).to.deep.equal([]);
    expectOnly(edit(icSale(), { 60: `${f60.slice(0, 12)}2${f60.slice(13)}` }), ['error MSG-F22-F55 60.5']);
    const voidIc = edit(icSale(), { 3: '200000', 37: '000000000000', 61: '000000000022', 60: '2300000000060', 55: undefined });
    expectOnly(voidIc, ['warning MSG-F22-F55 F55']);
  });

  test('MSG-F22-PIN: F22 says PIN entered without a PIN block, or no PIN with one', () => {
    expectOnly(edit(icSale(), { 22: '052' }), ['error MSG-F22-PIN F22']);
    expectOnly(edit(tapSale(), { 22: '071' }), ['error MSG-F22-PIN F22']);
  });

  test('MSG-F26-PIN: PIN block without F26, F26 without a PIN block, F26 out of 04–12', () => {
    expectOnly(edit(icSale(), { 26: undefined }), ['error MSG-F26-PIN F26']);
    expectOnly(edit(tapSale(), { 26: '12' }), ['error MSG-F26-PIN F26']);
    expectOnly(edit(icSale(), { 26: '20' }), ['warning MSG-F26-PIN F26']);
  });

  test('MSG-F53-PIN: PIN block without F53, 53.1 = 0 with a PIN block, 53.1 = 2 without one, not n16', () => {
    expectOnly(edit(icSale(), { 53: undefined }), ['error MSG-F53-PIN F53']);
    expectOnly(edit(icSale(), { 53: '0600000000000000' }), ['error MSG-F53-PIN 53.1']);
    expectOnly(edit(tapSale(), { 53: '2600000000000000' }), ['error MSG-F53-PIN 53.1']);
    expectOnly(edit(icSale(), { 53: '26' }), ['error MSG-F53-PIN F53']);
    expectOnly(edit(icSale(), { 53: '2600000000000007' }), ['warning MSG-F53-PIN 53.4']);
  });

  test("MSG-F53-SCHEME: 53.2 against the terminal's key scheme", () => {
    expectOnly(icSale(), ['error MSG-F53-SCHEME 53.2'], { keyScheme: 'sm4' });
    expectOnly(icSale(), ['error MSG-F53-SCHEME 53.2'], { keyScheme: 'des' });
    expectOnly(edit(icSale(), { 53: '2900000000000000' }), ['error MSG-F53-SCHEME 53.2']);
    expectOnly(edit(icSale(), { 53: '2300000000000000' }), [], { keyScheme: 'sm4' });
  });

  test('the 国密 PIN form: F52 zeros (or absent) and the block in F59 tag A1 is a PIN block', () => {
    const sm4 = edit(icSale(), { 52: '0000000000000000', 53: '2300000000000000', 59: encodeSm4PinBlockF59(Buffer.alloc(16, 0xab)) });
    expect(carriesPinBlock(sm4)).to.equal(true);
    expectOnly(sm4, [], { keyScheme: 'sm4' });
    expect(carriesPinBlock(edit(sm4, { 59: undefined }))).to.equal(false);
    // 9F34 420300 then reports an online PIN no block carries (MSG-F55).
    expectOnly(edit(sm4, { 59: undefined }), ['error MSG-F22-PIN F22', 'error MSG-F26-PIN F26', 'error MSG-F53-PIN 53.1', 'error MSG-F55 F55'], {
      keyScheme: 'sm4',
    });
  });
});

describe('message conformance: field 55 as EMV data (MSG-F55)', () => {
  /** The scandemo IC sale with F55 rebuilt from `change` (tag → value hex; undefined drops the tag). */
  const withTags = (m: WireMessage, change: Record<string, string | undefined>): WireMessage => {
    const nodes = decodeTlv(Buffer.from(m.fields[55]!, 'hex'))
      .filter((n) => !(n.tag in change) || change[n.tag] !== undefined)
      .map((n) => (n.tag in change ? { tag: n.tag, value: Buffer.from(change[n.tag]!, 'hex') } : n));
    return edit(m, { 55: encodeTlv(nodes).toString('hex').toUpperCase() });
  };
  const f55Messages = (m: WireMessage) =>
    checkMessage(m, { keyScheme: 'tdes' })
      .filter((f) => f.rule === 'MSG-F55')
      .map((f) => f.message);

  test('a tag written in another encoding than its EMV format (9A, 9F33, 9F66 as ASCII text) is an error', () => {
    const ascii = (hex: string) => Buffer.from(hex, 'utf8').toString('hex').toUpperCase();
    expect(f55Messages(withTags(icSale(), { '9A': ascii('161115') }))[0]).to.match(/tag 9A is 6 byte/);
    expect(f55Messages(withTags(icSale(), { '9F33': ascii('E0E1C8') }))[0]).to.match(/tag 9F33 is 6 byte.* 3 byte/);
    expect(f55Messages(edit(tapSale(), { 55: tapSale().fields[55] + '9F6608' + ascii('36004000') }))[0]).to.match(/tag 9F66 is 8 byte/);
    expect(f55Messages(edit(tapSale(), { 55: tapSale().fields[55] + '9F660436004000' }))).to.deep.equal([]);
  });

  test('an online chip request lacks a tag §3.11 makes mandatory (9F33, 9F1A, 9F03 included); optional ones may be absent', () => {
    expect(f55Messages(withTags(icSale(), { '9F33': undefined, '9F1A': undefined }))).to.deep.equal(["an online sale's F55 lacks 9F1A, 9F33"]);
    expect(f55Messages(withTags(icSale(), { '9F03': undefined }))[0]).to.match(/lacks 9F03/);
    expect(f55Messages(withTags(icSale(), { '84': undefined, '9F09': undefined, '9F41': undefined, '9F1E': undefined }))).to.deep.equal([]);
  });

  test('values the terminal supplies agree with the message: 9C with F3, 9F02 with F4, 9A a date, 9F27 an ARQC', () => {
    expect(f55Messages(withTags(icSale(), { '9C': '31' }))[0]).to.match(/9C 31 .* not F3's 00/);
    expect(f55Messages(withTags(icSale(), { '9F02': '000000005589' }))[0]).to.match(/9F02 .* not F4 000000005588/);
    expect(f55Messages(withTags(icSale(), { '9A': '161315' }))[0]).to.match(/no date/);
    expect(f55Messages(withTags(icSale(), { '9F27': '40' }))[0]).to.match(/no ARQC/);
    expect(f55Messages(edit(withTags(icSale(), { '9C': '31' }), { 3: '310000', 4: undefined, 60: '0100001100050' }))).to.deep.equal([]);
  });

  test('9F34 reports an online PIN when a PIN block travels, and on a contact read only then (a qPBOC tap may say 02 without one)', () => {
    expect(f55Messages(withTags(icSale(), { '9F34': '1F0002' }))[0]).to.match(/no CVM required, but the PIN was taken online/);
    expect(f55Messages(withTags(icSale(), { '9F34': '1E0300' }))[0]).to.match(/says signature/);
    const noPin = edit(icSale(), { 22: '052', 26: undefined, 52: undefined, 53: '0600000000000000' });
    expect(f55Messages(noPin)[0]).to.match(/online enciphered PIN, but no PIN block/);
    expect(f55Messages(withTags(noPin, { '9F34': '1E0300' }))).to.deep.equal([]);
    // A contact kernel performs only CVMs its 9F33 supports: E0E1C8 has no 'No CVM required' (byte 2 b4).
    expect(f55Messages(withTags(noPin, { '9F34': '1F0002' }))[0]).to.match(
      /no CVM required, a CVM the terminal's capabilities 9F33 E0E1C8 do not support/,
    );
    expect(f55Messages(withTags(noPin, { '9F34': '1F0002', '9F33': 'E0E9C8' }))).to.deep.equal([]);
    expect(f55Messages(withTags(noPin, { '9F34': '3F0001' }))).to.deep.equal([]);
    expect(f55Messages(tapSale())).to.deep.equal([]);
  });

  test('an F55 that is no BER-TLV is an error; the journal form (TAG=VALUE words) is judged as the hex one', () => {
    expect(f55Messages(edit(icSale(), { 55: '<12 bytes, not BER-TLV>' }))[0]).to.match(/not BER-TLV/);
    const words = iccValues('9A=323631323034 9F33=E0E1C8')!;
    expect(iccLengthProblems(words)).to.deep.equal(['tag 9A is 6 byte(s) (323631323034), its EMV format is 3 byte(s)']);
  });
});

// ---------------------------------------------------------------------------------------------- traffic

const base = { 41: '10000001', 42: '123456789012345', 49: '156', 64: '3132333435363738' };
const inMsg = (id: number, mti: string, fields: Record<number, string>): TrafficMessage => ({
  id,
  direction: 'in',
  mti,
  fields: { ...base, ...fields },
});
const outMsg = (id: number, mti: string, fields: Record<number, string>): TrafficMessage => ({
  id,
  direction: 'out',
  mti,
  fields: { ...base, ...fields },
});
const card = {
  2: '621081*********4940',
  14: '2706',
  22: '051',
  23: '001',
  25: '00',
  26: '12',
  52: 'AABBCCDDEEFF0011',
  53: '2600000000000000',
  // §3.11's online tags for a 12.00 sale with an online PIN (9F34 420300).
  55: '9F2608ED1D6BA78357FB259F2701809F100707010103A000009F3704591D37169F36020001950500000000009A032612049C01009F02060000000012005F2A02015682027C009F1A0201569F03060000000000009F3303E0E1C89F3403420300',
};
const signOn = inMsg(1, '0800', { 11: '000001', 60: '00000001004', 63: '01 ', 49: undefined as never, 64: undefined as never });
const sale = inMsg(3, '0200', { ...card, 3: '000000', 4: '000000001200', 11: '000002', 60: '2200000100050' });
const saleReply = outMsg(4, '0210', { 3: '000000', 4: '000000001200', 11: '000002', 13: '1204', 37: '120400000007', 38: '654321', 39: '00' });
const voidOf = (f: Record<number, string>) =>
  inMsg(5, '0200', {
    ...card,
    3: '200000',
    4: '000000001200',
    11: '000003',
    37: '120400000007',
    60: '2300000100050',
    61: '000001000002',
    ...f,
  });
const judge = (traffic: TrafficMessage[], keyScheme?: 'tdes' | 'sm4') => {
  const clean = traffic.map((m) => ({ ...m, fields: Object.fromEntries(Object.entries(m.fields).filter(([, v]) => v !== undefined)) }));
  return checkTraffic(clean, { keyScheme });
};
const last = (traffic: TrafficMessage[], keyScheme?: 'tdes' | 'sm4') => rules(judge(traffic, keyScheme).pop()!.findings);

describe("message conformance over a terminal's traffic", () => {
  test('a clean sign-on, sale and void of the sale conform', () => {
    const judged = judge([signOn, outMsg(2, '0810', { 11: '000001', 39: '00' }), sale, saleReply, voidOf({})], 'tdes');
    expect(judged.map((j) => j.kind)).to.deep.equal(['sign-on', 'sale', 'void']);
    expect(judged.flatMap((j) => rules(j.findings))).to.deep.equal([]);
  });

  test('MSG-F61: a void whose amount, RRN or batch differ from the sale F61 names', () => {
    const t = [signOn, sale, saleReply];
    expect(last([...t, voidOf({ 4: '000000001300' })])).to.deep.equal(['error MSG-F61 F4']);
    expect(last([...t, voidOf({ 37: '999999999999' })])).to.deep.equal(['error MSG-F61 F37']);
    expect(last([...t, voidOf({ 37: '000000000000' })]), 'zeros = RRN unknown').to.deep.equal([]);
    expect(last([...t, voidOf({ 61: '000009000002' })])).to.deep.equal(['error MSG-F61 61.1']);
    expect(last([...t, voidOf({ 61: '000001000077' })])).to.deep.equal(['warning MSG-F61 61.2']);
    expect(last([...t, voidOf({ 61: '0000010' })])).to.deep.equal(['error MSG-F61 F61']);
    expect(last([...t, voidOf({ 38: '111111' })])).to.deep.equal(['error MSG-F61 F38']);
  });

  test('MSG-F61: a pre-authorization void takes the authorised total, the pre-authorization and each 追加预授权 approved for it', () => {
    const pre = { ...card, 3: '030000', 25: '06' };
    const preauth = inMsg(3, '0100', { ...pre, 4: '000000030000', 11: '000002', 60: '1000000100050' });
    const preauthReply = outMsg(4, '0110', { 3: '030000', 4: '000000030000', 11: '000002', 13: '1204', 37: '120400000007', 38: '654321', 39: '00' });
    const add = (id: number, stan: string, amount: string, auth: string) =>
      inMsg(id, '0100', { ...pre, 25: '60', 4: amount, 11: stan, 38: auth, 60: '1000000100050', 61: '0000000000000000' });
    const addReply = (id: number, stan: string, amount: string, code: string) =>
      outMsg(id, '0110', { 3: '030000', 4: amount, 11: stan, 13: '1204', 37: '120400000008', 38: '654322', 39: code });
    const voidOfPreauth = (amount: string) =>
      inMsg(9, '0100', { ...pre, 3: '200000', 4: amount, 11: '000005', 38: '654321', 60: '1100000100050', 61: '0000010000021204' });
    const f4 = (t: TrafficMessage[]) => last(t).filter((r) => r.endsWith('F4'));
    const t = [signOn, preauth, preauthReply, add(5, '000003', '000000020000', '654321'), addReply(6, '000003', '000000020000', '00')];
    expect(f4([...t, voidOfPreauth('000000050000')]), 'the total after an approved addition').to.deep.equal([]);
    expect(f4([...t, voidOfPreauth('000000030000')]), 'the first amount only').to.deep.equal(['error MSG-F61 F4']);
    const declined = [signOn, preauth, preauthReply, add(5, '000003', '000000020000', '654321'), addReply(6, '000003', '000000020000', '51')];
    expect(f4([...declined, voidOfPreauth('000000030000')]), 'a declined addition adds nothing').to.deep.equal([]);
    const other = [signOn, preauth, preauthReply, add(5, '000003', '000000020000', '999999'), addReply(6, '000003', '000000020000', '00')];
    expect(f4([...other, voidOfPreauth('000000030000')]), "another pre-authorization's addition").to.deep.equal([]);
    // An approval the terminal could not keep (ARPC refused by the card, MAC failed) is reversed (§3.8): it adds nothing.
    const reversal = inMsg(7, '0400', { ...pre, 25: '60', 4: '000000020000', 11: '000003', 39: '06', 60: '1000000100050' });
    expect(f4([...t, reversal, voidOfPreauth('000000030000')]), 'a reversed addition adds nothing').to.deep.equal([]);
    expect(f4([...t, reversal, voidOfPreauth('000000050000')]), 'the total with a reversed addition').to.deep.equal(['error MSG-F61 F4']);
  });

  test('the 0620 script-result notice (§3.1, §3.11): MACed, 60.3 951, F61 / F37 / F38 agreeing with the chip sale it names', () => {
    const notice = (f: Record<number, string | undefined>) =>
      inMsg(5, '0620', {
        2: card[2],
        3: '000000',
        4: '000000001200',
        11: '000003',
        22: '051',
        25: '00',
        37: '120400000007',
        38: '654321',
        55: '9F3602000ADF31052011223344',
        60: '00000001951',
        61: '0000010000021204',
        ...f,
      } as Record<number, string>);
    const t = [signOn, sale, saleReply];
    expect(judge([...t, notice({})]).pop()!.kind).to.equal('script-result');
    expect(last([...t, notice({})])).to.deep.equal([]);
    expect(last([...t, notice({ 64: undefined })])).to.deep.equal(['error MSG-MAC F64']);
    expect(last([...t, notice({ 55: undefined, 3: undefined })])).to.have.members(['error MSG-MUST F55', 'error MSG-MUST F3']);
    expect(last([...t, notice({ 37: '999999999999' })])).to.deep.equal(['error MSG-F61 F37']);
    expect(last([...t, notice({ 61: '000001000002' })]), 'the original date (61.3) is carried').to.deep.equal(['error MSG-F61 61.3']);
    expect(last([...t, notice({ 61: '0000010000771204' })])).to.deep.equal(['warning MSG-F61 61.2']);
  });

  test('MSG-F61: a refund without 61.3; 61.3 not the original date is a warning', () => {
    const refund = (f61: string) =>
      inMsg(5, '0220', { ...card, 3: '200000', 4: '000000000500', 11: '000003', 37: '120400000007', 60: '2500000100050', 61: f61, 63: 'CUP' });
    expect(last([signOn, sale, saleReply, refund('000001000002')])).to.deep.equal(['error MSG-F61 61.3']);
    expect(last([signOn, sale, saleReply, refund('0000010000021204')])).to.deep.equal([]);
    expect(last([signOn, sale, saleReply, refund('0000010000020000')])).to.deep.equal([]);
    expect(last([signOn, sale, saleReply, refund('0000010000021130')])).to.deep.equal(['warning MSG-F61 61.3']);
    // Keyed by RRN and date only (batch and trace unknown: zeros): the original is found by its RRN.
    expect(last([signOn, sale, saleReply, refund('0000000000001204')])).to.deep.equal([]);
    expect(last([signOn, sale, saleReply, refund('0000000000001130')])).to.deep.equal(['warning MSG-F61 61.3']);
    expect(last([signOn, refund('0000000000001204')])).to.deep.equal(['warning MSG-F61 61.2']);
  });

  test("MSG-F61: a refund's 63.1 is the original's card organisation (its reply's 63.1) or 000", () => {
    const refund = (f63: string) =>
      inMsg(5, '0220', {
        ...card,
        3: '200000',
        4: '000000000500',
        11: '000003',
        37: '120400000007',
        60: '2500000100050',
        61: '0000000000001204',
        63: f63,
      });
    const foreignReply = outMsg(4, '0210', { ...saleReply.fields, 63: 'VIS测试主机' });
    expect(last([signOn, sale, foreignReply, refund('VIS')])).to.deep.equal([]);
    expect(last([signOn, sale, foreignReply, refund('000')]), 'unknown is allowed').to.deep.equal([]);
    expect(last([signOn, sale, foreignReply, refund('CUP')]), 'a foreign original refunded as CUP').to.deep.equal(['error MSG-F61 F63']);
    // The reply shows 63 as hex (bytes): the same reading.
    const hexReply = outMsg(4, '0210', { ...saleReply.fields, 63: Buffer.from('VIS', 'latin1').toString('hex').toUpperCase() + 'B2E2' });
    expect(last([signOn, sale, hexReply, refund('CUP')])).to.deep.equal(['error MSG-F61 F63']);
    // An original whose reply carries no F63 cannot be compared.
    expect(last([signOn, sale, saleReply, refund('JCB')])).to.deep.equal([]);
  });

  test('MSG-REVERSAL: the reversal of a sale copies it, with reason 98 / A0 / 06', () => {
    const rev = (f: Record<number, string>) =>
      inMsg(5, '0400', {
        2: card[2],
        14: card[14],
        22: '051',
        23: '001',
        25: '00',
        3: '000000',
        4: '000000001200',
        11: '000002',
        39: '98',
        60: '2200000100050',
        55: '950500000000009F1E0831323334353637389F100707010103A000009F36020001',
        ...f,
      });
    expect(last([signOn, sale, rev({})])).to.deep.equal([]);
    expect(last([signOn, sale, rev({ 39: '00' })])).to.deep.equal(['error MSG-REVERSAL F39']);
    expect(last([signOn, sale, rev({ 4: '000000001300' })])).to.deep.equal(['error MSG-REVERSAL F4']);
    expect(last([signOn, sale, rev({ 60: '2200000200050' })])).to.deep.equal(['error MSG-REVERSAL 60.2']);
    expect(last([signOn, rev({})])).to.deep.equal(['warning MSG-REVERSAL F11']);
    // §3.11: the reversal's F55 carries 95, 9F1E, 9F10 and 9F36, the ATC of the transaction it undoes.
    expect(last([signOn, sale, rev({ 55: '950500000000009F1E0831323334353637389F100707010103A000009F36020002' })])).to.deep.equal([
      'error MSG-F55 F55',
    ]);
    expect(last([signOn, sale, rev({ 55: '9F36020001' })])).to.deep.equal(['error MSG-F55 F55']);
    expect(last([signOn, sale, rev({ 52: 'AABBCCDDEEFF0011', 35: '621081*********4940=2706**************' })])).to.have.members([
      'error MSG-MUST-NOT F52',
      'error MSG-MUST-NOT F35',
      'error MSG-REVERSAL F52',
    ]);
    expect(last([signOn, sale, rev({ 59: encodeSm4PinBlockF59(Buffer.alloc(16, 1)) })]), 'the 国密 PIN block').to.deep.equal(
      ['error MSG-REVERSAL F59', 'warning MSG-UNUSED F59'].reverse(),
    );
    expect(last([signOn, sale, rev({ 22: '021' })])).to.deep.equal(['error MSG-REVERSAL F22']);
    const balance = inMsg(3, '0200', { ...card, 3: '310000', 11: '000002', 60: '0100000100050', 4: undefined as never });
    expect(last([signOn, balance, rev({ 3: '310000', 60: '0100000100050', 4: undefined as never })])).to.have.members([
      'error MSG-MUST F4',
      'error MSG-REVERSAL F3',
      'error MSG-REVERSAL F11',
    ]);
  });

  test('the key scheme: declared, single DES after a 001 sign-on, SM4 after 005 / 006, else from the sign-on', () => {
    expect(keySchemeOfSignOn('001')).to.equal('des');
    expect(keySchemeOfSignOn('006')).to.equal('sm4');
    const des = inMsg(1, '0800', { 11: '000001', 60: '00000001001', 49: undefined as never, 64: undefined as never });
    expect(last([des, sale], 'tdes')).to.deep.equal(['error MSG-F53-SCHEME 53.2']);
    expect(last([signOn, sale], 'sm4'), 'an SM4 terminal asking 004').to.deep.equal(['error MSG-F53-SCHEME 53.2']);
    expect(last([signOn, sale]), 'no declaration: 004 = 3DES').to.deep.equal([]);
  });

  test('formatFindings lists the messages with findings, errors first, with rule, field and section', () => {
    const text = formatFindings(judge([signOn, sale, saleReply, voidOf({ 4: '000000001300', 48: '01' })]));
    expect(text).to.match(/^#5 0200 void STAN 000003\n {2}ERROR +MSG-F61 +F4 .*cup8583\.md §2\.5, §2\.6, §3\.7\)\n {2}WARNING +MSG-UNUSED +F48/);
  });
});

describe('MSG-LIST-REPEAT: a list is not downloaded again on the connection that completed it unless a reply asks', () => {
  const mgmt = { 49: undefined as never, 64: undefined as never };
  const on = (m: TrafficMessage, connection: string | undefined, requirement?: string): TrafficMessage => ({
    ...m,
    ...(connection !== undefined ? { connection } : {}),
    ...(requirement !== undefined ? { requirement } : {}),
  });
  const cl = (id: number, stan: string, c = 'c1') => on(inMsg(id, '0800', { ...mgmt, 11: stan, 60: '00000001394' }), c);
  const clEnd = (id: number, stan: string, c = 'c1') => on(inMsg(id, '0800', { ...mgmt, 11: stan, 60: '00000001395' }), c);
  const reply = (id: number, stan: string, digit: string, c = 'c1', code = '00') =>
    on(outMsg(id, '0810', { ...mgmt, 11: stan, 39: code, 60: '00000001394' }), c, digit);
  const download = (first: number, stan: number, endDigit: string, c = 'c1', duringDigit = '0') => [
    cl(first, String(stan).padStart(6, '0'), c),
    reply(first + 1, String(stan).padStart(6, '0'), duringDigit, c),
    clEnd(first + 2, String(stan + 1).padStart(6, '0'), c),
    reply(first + 3, String(stan + 1).padStart(6, '0'), endDigit, c),
  ];
  const repeatFindings = (traffic: TrafficMessage[]) =>
    judge(traffic).flatMap((j) => j.findings.filter((f) => f.rule === 'MSG-LIST-REPEAT').map((f) => `#${j.message.id} ${f.field}`));

  test('one complete download, then the same list again on its connection with nothing asking: an error on the repeat', () => {
    expect(repeatFindings([...download(1, 10, '0'), ...download(5, 12, '0')])).to.deep.equal(['#5 60.3']);
  });

  test('a reply asking while the download was under way allows one more download, not a third', () => {
    // The host asks (9) until it sees the end; a terminal may take that as a new request once.
    expect(repeatFindings([...download(1, 10, '0', 'c1', '9'), ...download(5, 12, '0')])).to.deep.equal([]);
    expect(repeatFindings([...download(1, 10, '0', 'c1', '9'), ...download(5, 12, '0'), ...download(9, 14, '0')])).to.deep.equal(['#9 60.3']);
  });

  test('a repeat the end reply (or a later reply) asked for with digit 9 conforms', () => {
    expect(repeatFindings([...download(1, 10, '9'), ...download(5, 12, '0')])).to.deep.equal([]);
  });

  test('a download on a new connection, or after a refused end, or with the connection unknown, is not judged', () => {
    expect(repeatFindings([...download(1, 10, '0', 'c1'), ...download(5, 12, '0', 'c2')])).to.deep.equal([]);
    const refusedEnd = download(1, 10, '0');
    refusedEnd[3] = reply(4, '000011', '0', 'c1', '96');
    expect(repeatFindings([...refusedEnd, ...download(5, 12, '0')])).to.deep.equal([]);
    const unknown = [...download(1, 10, '0'), ...download(5, 12, '0')].map(({ connection: _c, ...m }) => m as TrafficMessage);
    expect(repeatFindings(unknown)).to.deep.equal([]);
  });

  test('a reply whose header digit 6 cannot be read leaves the repeat unjudged; another list on the connection is no repeat', () => {
    const unread = download(1, 10, '0');
    unread[3] = { ...unread[3], requirement: undefined };
    expect(repeatFindings([...unread, ...download(5, 12, '0')])).to.deep.equal([]);
    const blacklist = on(inMsg(5, '0800', { ...mgmt, 11: '000012', 60: '00000001390', 62: '31303030' }), 'c1');
    expect(repeatFindings([...download(1, 10, '0'), blacklist])).to.deep.equal([]);
  });
});

const _typecheck: ConformanceRuleId = 'MSG-KIND';
void _typecheck;
