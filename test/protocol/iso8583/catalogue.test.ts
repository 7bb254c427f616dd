/**
 * The transaction catalogue: every row is identified from its own request template and from its
 * response, real sample layouts identify as the reference says, and combinations the dialect does not
 * define identify as nothing.
 */
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  decodeFrame,
  decodeFrameBody,
  unpackMessage,
  formatField60,
  identify,
  IsoMessage,
  isTransactionKind,
  listDownloadKind,
  IC_NETWORK_CODES,
  TERMINAL_LIST_NETWORK_CODES,
  requestTemplate,
  responseMtiOf,
  reversedKind,
  TRANSACTION_CATALOGUE,
  TRANSACTION_KINDS,
  transactionKinds,
  transactionSpec,
  type TransactionKind,
} from '../../../protocol/iso8583';
import { loadSamples } from './samples';

describe('transaction catalogue', () => {
  test("电签 upload (cup8583.md §3.1 PAX): 0820 + F25 07 + 60.1 07 + 60.3 800; CLJ's 301 stays the echo, F25 00 is no upload", () => {
    const m = requestTemplate('e-signature', '000001');
    expect([m.mti, m.getString(25), m.getString(60)]).to.deep.equal(['0820', '07', '07000001800']);
    expect(identify(m)).to.equal('e-signature');
    expect(identify(new IsoMessage('0830').set(25, '07').set(60, '07000001800'))).to.equal('e-signature');
    expect(
      identify(new IsoMessage('0820').set(25, '07').set(60, formatField60({ transactionType: '07', batchNumber: '000001', networkCode: '301' }))),
    ).to.equal(undefined);
    expect(identify(new IsoMessage('0820').set(60, '07000001800'))).to.equal(undefined);
    expect(transactionSpec('e-signature').references).to.deep.equal(['sale', 'bill-payment']);
    expect(transactionSpec('e-signature').fields.must).to.include.members([61, 62, 64]);
  });

  test('one row per kind, and every kind has a row', () => {
    expect(TRANSACTION_CATALOGUE.map((s) => s.kind)).to.have.members([...TRANSACTION_KINDS]);
    expect(new Set(TRANSACTION_CATALOGUE.map((s) => s.kind)).size).to.equal(TRANSACTION_CATALOGUE.length);
    for (const kind of TRANSACTION_KINDS) expect(transactionSpec(kind).kind).to.equal(kind);
    expect(() => transactionSpec('pre-auth' as TransactionKind)).to.throw(TypeError, /unknown transaction kind "pre-auth"/);
  });

  test('isTransactionKind knows exactly the catalogue vocabulary', () => {
    expect(isTransactionKind('preauth-completion')).to.equal(true);
    for (const old of ['pre-auth', 'completion', 'completion-void', 'completion-advice', 'unknown', 42, undefined]) {
      expect(isTransactionKind(old), String(old)).to.equal(false);
    }
  });

  test('every row except the reversal is identified from its request template', () => {
    for (const spec of TRANSACTION_CATALOGUE) {
      if (spec.kind === 'reversal') continue;
      const msg = requestTemplate(spec.kind, '000123');
      expect(msg.mti, spec.kind).to.equal(spec.mti);
      expect(identify(msg), spec.kind).to.equal(spec.kind);
    }
    const reversal = requestTemplate('reversal');
    expect(reversal.mti).to.equal('0400');
    expect(identify(reversal)).to.equal('reversal');
  });

  test('a response is identified as its request kind, also from a journal field table', () => {
    for (const spec of TRANSACTION_CATALOGUE) {
      if (spec.kind === 'reversal') continue;
      const req = requestTemplate(spec.kind);
      const fields: Record<number, string> = {};
      for (const n of req.fieldNumbers()) fields[n] = req.getString(n)!;
      expect(identify({ mti: responseMtiOf(spec.mti), fields }), spec.kind).to.equal(spec.kind);
      const resp = req.clone();
      resp.mti = responseMtiOf(req.mti);
      resp.set(39, '00');
      expect(identify(resp), spec.kind).to.equal(spec.kind);
    }
    expect(identify({ mti: '0410', fields: { 3: '000000', 39: '00' } })).to.equal('reversal');
  });

  test('templates preset MTI, F3, F25 and F60 (60.1 + batch + 60.3)', () => {
    const sale = requestTemplate('sale', '000757');
    expect(sale.fieldNumbers()).to.deep.equal([3, 25, 60]);
    expect(sale.getString(3)).to.equal('000000');
    expect(sale.getString(25)).to.equal('00');
    expect(sale.getString(60)).to.equal('22000757000');
    expect(requestTemplate('preauth-completion-void').getString(60)).to.equal('21000000000');
    const signOn = requestTemplate('sign-on', '000001');
    expect(signOn.fieldNumbers()).to.deep.equal([60]);
    expect(signOn.getString(60)).to.equal('00000001003');
    expect(() => requestTemplate('sale', '12')).to.throw(/batchNumber/);
  });

  test('real layouts of cup8583.md §3.1 and §8', () => {
    const m = (mti: string, f: Record<number, string>) => identify({ mti, fields: f });
    expect(m('0200', { 3: '000000', 25: '00', 60: '2200075700060' })).to.equal('sale');
    expect(m('0200', { 3: '000000', 60: '22000015000501' })).to.equal('sale'); // F25 absent = 00
    expect(m('0200', { 3: '500000', 25: '00', 60: '22000001000' })).to.equal('bill-payment');
    expect(m('0200', { 3: '200000', 25: '00', 60: '23000001000' })).to.equal('void');
    expect(m('0220', { 3: '200000', 25: '00', 60: '25000001000' })).to.equal('refund');
    expect(m('0100', { 3: '030000', 25: '06', 60: '10000001000' })).to.equal('preauth');
    expect(m('0100', { 3: '200000', 25: '06', 60: '11000001000' })).to.equal('preauth-void');
    expect(m('0200', { 3: '000000', 25: '06', 60: '20000001000' })).to.equal('preauth-completion');
    expect(m('0200', { 3: '200000', 25: '06', 60: '21000001000' })).to.equal('preauth-completion-void');
    expect(m('0220', { 3: '000000', 25: '06', 60: '24000001000' })).to.equal('preauth-completion-advice');
    expect(m('0810', { 60: '00000001004' })).to.equal('sign-on');
    expect(m('0800', { 60: '00000001001' })).to.equal('sign-on');
    expect(m('0500', { 60: '00000003201' })).to.equal('settlement');
    expect(m('0320', { 60: '00000003201', 48: '01' })).to.equal('batch-upload');
    expect(m('0320', { 3: '200000', 60: '25000003000' })).to.equal('batch-upload'); // one-record upload of a refund
    expect(m('0320', { 60: '00000003203' })).to.equal('batch-upload');
    expect(m('0320', { 60: '00000003202' })).to.equal('batch-upload-end');
    expect(m('0330', { 60: '00000003207' })).to.equal('batch-upload-end');
    expect(m('0820', { 60: '00000003301' })).to.equal('echo');
    expect(m('0830', { 60: '00000003002' })).to.equal('sign-off');
    expect(m('0800', { 60: '00000003360' })).to.equal('parameter-download');
    expect(m('0820', { 60: '00000003362' })).to.equal('status-upload');
    expect(m('0620', { 60: '00000003951' })).to.equal('script-result');
  });

  test('combinations the dialect does not define identify as nothing', () => {
    const m = (mti: string, f: Record<number, string>) => identify({ mti, fields: f });
    expect(m('0200', { 3: '000000', 25: '00', 60: '23000001000' })).to.equal(undefined); // F3 of a sale, 60.1 of a void
    expect(m('0200', { 3: '310000', 25: '06', 60: '01000001000' })).to.equal(undefined); // balance with F25 06
    expect(m('0200', { 3: '000000', 25: '00', 60: '22000001201' })).to.equal(undefined); // financial with 60.3 201
    expect(m('0200', { 3: '000000', 25: '00' })).to.equal(undefined); // no F60
    expect(m('0200', { 3: '000000', 25: '00', 60: 'garbage' })).to.equal(undefined);
    expect(m('0100', { 3: '000000', 25: '06', 60: '10000001000' })).to.equal(undefined);
    expect(m('0800', { 60: '00000001999' })).to.equal(undefined);
    expect(m('0820', { 60: '00000001360' })).to.equal(undefined); // 360 is a 0800
    expect(m('0600', {})).to.equal(undefined);
    expect(m('9999', {})).to.equal(undefined);
    expect(m('', {})).to.equal(undefined);
  });

  test('a reversal names the kind it undoes by F3, F25 and 60.1', () => {
    const rev = (f: Record<number, string>) => reversedKind({ mti: '0400', fields: f });
    expect(rev({ 3: '000000', 25: '00', 60: '22000001000' })).to.equal('sale');
    expect(rev({ 3: '200000', 25: '00', 60: '23000001000' })).to.equal('void');
    expect(rev({ 3: '030000', 25: '06', 60: '10000001000' })).to.equal('preauth');
    expect(rev({ 3: '030000', 25: '60', 60: '10000001000' })).to.equal('preauth-add'); // 追加预授权: F25 alone tells it apart
    expect(rev({ 3: '200000', 25: '06', 60: '21000001000' })).to.equal('preauth-completion-void');
    expect(rev({ 3: '310000', 25: '00', 60: '01000001000' })).to.equal(undefined); // balance is not reversible
    expect(reversedKind({ mti: '0200', fields: { 3: '000000', 25: '00', 60: '22000001000' } })).to.equal(undefined);
  });

  test('rules: reversibility, PIN, settlement sides and voids (cup8583.md §3.1, §3.9)', () => {
    expect(transactionKinds((s) => s.reversible)).to.deep.equal([
      'sale',
      'bill-payment',
      'void',
      'preauth',
      'preauth-add',
      'preauth-void',
      'preauth-completion',
      'preauth-completion-void',
    ]);
    expect(transactionKinds((s) => s.pin === 'required')).to.deep.equal(['sale', 'bill-payment', 'balance', 'preauth', 'preauth-add']);
    expect(transactionKinds((s) => s.settlement === 'debit')).to.deep.equal([
      'sale',
      'bill-payment',
      'preauth-completion',
      'preauth-completion-advice',
    ]);
    expect(transactionKinds((s) => s.settlement === 'credit')).to.deep.equal(['void', 'refund', 'preauth-completion-void']);
    for (const spec of TRANSACTION_CATALOGUE) {
      expect(spec.voidable, spec.kind).to.equal(spec.voidKind !== undefined);
      if (spec.voidKind) expect(transactionSpec(spec.voidKind).settlement, spec.kind).to.not.equal('debit');
    }
  });

  test('field lists are consistent with the identification and with each other', () => {
    for (const spec of TRANSACTION_CATALOGUE) {
      const { must, may, mustNot } = spec.fields;
      const all = [...must, ...may, ...mustNot];
      expect(new Set(all).size, `${spec.kind}: a field in two lists`).to.equal(all.length);
      for (const n of all) expect(n, spec.kind).to.be.within(2, 64);
      expect(must, spec.kind).to.include.members([11, 41, 42, 60]);
      if (spec.processingCode) expect(must, spec.kind).to.include(3);
      if (spec.financial) expect(must, spec.kind).to.include(64);
      if (spec.menu) expect(spec.menu.zh.split('/').length, spec.kind).to.equal(spec.menu.en.split('/').length);
    }
  });

  test('a sale request the emulator would build fits the row', () => {
    const msg = requestTemplate('sale');
    msg.set(4, '000000001000').set(11, '000001').set(22, '051').set(41, 'T0000001').set(42, 'M00000000000001').set(49, '156');
    msg.set(60, formatField60({ transactionType: '22', batchNumber: '000001', networkCode: '000', readCapability: '5', icCondition: '0' }));
    msg.set(64, Buffer.alloc(8));
    const { must, mustNot } = transactionSpec('sale').fields;
    expect(must.filter((n) => !msg.has(n))).to.deep.equal([]);
    expect(mustNot.filter((n) => msg.has(n))).to.deep.equal([]);
    expect(identify(msg)).to.equal('sale');
    expect(identify(new IsoMessage('0200'))).to.equal(undefined);
  });

  test("every list download message names its list and step once; the lists' 60.3 codes come from these rows", () => {
    const rows = TRANSACTION_CATALOGUE.filter((s) => s.listDownload).map(
      (s) => `${s.listDownload!.list}/${s.listDownload!.step}:${s.kind}:${s.networkCode}`,
    );
    expect(rows).to.have.members([
      'capk/query:capk-query:372',
      'capk/download:capk-download:370',
      'capk/end:capk-download-end:371',
      'aid/query:ic-parameter-query:382',
      'aid/download:ic-parameter-download:380',
      'aid/end:ic-parameter-download-end:381',
      'blacklist/download:blacklist-download:390',
      'blacklist/end:blacklist-download-end:391',
      'contactless/download:contactless-parameter-download:394',
      'contactless/end:contactless-parameter-download-end:395',
    ]);
    expect(listDownloadKind('contactless', 'end')).to.equal('contactless-parameter-download-end');
    expect(() => listDownloadKind('blacklist', 'query')).to.throw(/blacklist download has no query message/);
    expect(IC_NETWORK_CODES.aid).to.deep.equal({ query: '382', download: '380', end: '381' });
    expect(TERMINAL_LIST_NETWORK_CODES.contactless).to.deep.equal({ download: '394', end: '395' });
  });
});

describe('transaction catalogue against the real samples (test/fixtures/samples)', () => {
  const expected: Record<string, TransactionKind> = {
    sale_0200_req_ic_qps_easy8583: 'sale',
    sale_0200_req_ic_scandemo: 'sale',
    sale_0210_resp_ic_scandemo: 'sale',
    settle_0500_req_bare: 'settlement',
    signon_0800_req_ajsgn: 'sign-on',
    signon_0810_resp_ajsgn: 'sign-on',
    signon_0810_resp_go_host_testkeys: 'sign-on',
  };
  for (const s of loadSamples()) {
    test(`${s.name} is a ${expected[s.name]}, and a request carries what its row says`, () => {
      const msg =
        s.framing === 'length' ? decodeFrame(s.bytes).message : s.framing === 'tpdu' ? decodeFrameBody(s.bytes).message : unpackMessage(s.bytes);
      expect(expected[s.name], 'a new sample needs its expected kind here').to.not.equal(undefined);
      expect(identify(msg)).to.equal(expected[s.name]);
      if (Number(msg.mti[2]) % 2 === 0) {
        const { must, mustNot } = transactionSpec(expected[s.name]).fields;
        expect(
          must.filter((n) => !msg.has(n)),
          'must fields missing',
        ).to.deep.equal([]);
        expect(
          mustNot.filter((n) => msg.has(n)),
          'must-not fields present',
        ).to.deep.equal([]);
      }
    });
  }
});
