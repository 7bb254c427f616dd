import { after, before, beforeEach, describe, test } from 'node:test';
import { expect } from 'chai';
import { buildPinBlockFormat1, encryptPinBlock } from '../../crypto';
import { formatField60 } from '../../protocol/iso8583';
import { type HostConfig, type ReferenceHost } from '../../host';
import { CONFIG, card, identity, signedOn, startHost } from './helpers';
import { TestTerminal } from './terminal-client';

const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };

describe('reference host: decisions (cup8583.md §7 codes)', () => {
  let host: ReferenceHost;
  let t: TestTerminal;
  const extra: TestTerminal[] = [];
  const connect = async (tid: string) => {
    const c = await TestTerminal.connect(host.port, identity(tid));
    extra.push(c);
    return c;
  };

  before(async () => {
    host = await startHost();
    t = await signedOn(host, '10000001');
  });
  after(async () => {
    t.close();
    for (const c of extra) c.close();
    await host.stop();
  });
  beforeEach(() => host.control.reset());

  const rc = async (msg: ReturnType<TestTerminal['sale']>) => (await t.send(msg.msg)).rc;

  test('A0: wrong or missing MAC (reply MACed under the current MAK, header digit 3); nothing booked', async () => {
    const s = t.sale(MAG, 100).msg;
    const mac = Buffer.from(s.get(64) as Buffer);
    mac[3] ^= 0x01;
    const r = await t.send(s.set(64, mac));
    expect(r.rc).to.equal('A0');
    expect(r.frame.header.processingRequirement).to.equal('3');
    expect(t.verifyReplyMac(r.msg)).to.equal(true);
    const noMac = t.sale(MAG, 100).msg.unset(64);
    expect((await t.send(noMac)).rc).to.equal('A0');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance);
  });

  test('terminal never signed on: A0, header digit 3, no MAC in the reply', async () => {
    const fresh = await connect('10000004');
    fresh.keys = t.keys; // it MACs with keys the host never gave it
    const r = await fresh.send(fresh.sale(MAG, 100).msg);
    expect(r.rc).to.equal('A0');
    expect(r.frame.header.processingRequirement).to.equal('3');
    expect(r.msg.has(64)).to.equal(false);
  });

  test('55 wrong PIN, 55 no PIN on a debit card, 99 a PIN block that does not decode', async () => {
    expect(await rc(t.sale({ ...MAG, pin: '654321' }, 100))).to.equal('55');
    expect(await rc(t.sale({ card: MAG.card }, 100))).to.equal('55');
    const s = t.sale(MAG, 100).msg;
    s.set(
      52,
      encryptPinBlock(
        t.keys!.pik,
        buildPinBlockFormat1('123456', () => Buffer.alloc(16, 7)),
        'tdes',
      ),
    );
    expect((await t.send(t.mac(s))).rc).to.equal('99');
    expect(host.control.balance('UP-DEBIT-MAG').pinTries).to.equal(1);
  });

  test('contactless: no PIN up to the limit, 55 above it', async () => {
    const ctls = card('UP-DEBIT-CTLS');
    expect(await rc(t.sale({ card: ctls, entry: 'tap' }, CONFIG.rules.contactlessNoPinLimit))).to.equal('00');
    expect(await rc(t.sale({ card: ctls, entry: 'tap' }, CONFIG.rules.contactlessNoPinLimit + 1))).to.equal('55');
    expect(await rc(t.sale({ card: ctls, entry: 'tap', pin: '123456' }, CONFIG.rules.contactlessNoPinLimit + 1))).to.equal('00');
  });

  test('41 lost, 43 stolen, 54 expired, 62 restricted, 14 not on file; nothing booked', async () => {
    const pin = '123456';
    expect(await rc(t.sale({ card: card('UP-LOST'), pin }, 100))).to.equal('41');
    expect(await rc(t.sale({ card: card('UP-STOLEN'), pin }, 100))).to.equal('43');
    expect(await rc(t.sale({ card: card('UP-EXPIRED'), pin }, 100))).to.equal('54');
    expect(await rc(t.sale({ card: card('UP-RESTRICTED'), pin }, 100))).to.equal('62');
    expect(await rc(t.sale({ card: card('UP-INVALID'), pin }, 100))).to.equal('14');
    for (const a of ['UP-LOST', 'UP-STOLEN', 'UP-EXPIRED', 'UP-RESTRICTED']) {
      expect(host.control.balance(a).balance, a).to.equal(card(a).openingBalance);
    }
  });

  test('51 insufficient funds, 61 over the card limit, 13 invalid amount', async () => {
    expect(await rc(t.sale({ card: card('UP-LOW-BALANCE'), pin: '123456' }, 1001))).to.equal('51');
    expect(await rc(t.sale({ card: card('UP-LOW-BALANCE'), pin: '123456' }, 1000))).to.equal('00');
    const credit = card('UP-CREDIT-IC');
    expect(await rc(t.sale({ card: credit, entry: 'insert' }, credit.limits.perTransaction! + 1))).to.equal('61');
    expect(await rc(t.sale(MAG, 0))).to.equal('13');
    expect(await rc(t.sale(MAG, CONFIG.rules.maxTransactionAmount + 1))).to.equal('13');
  });

  test('94 duplicate STAN in the batch: booked once', async () => {
    const s = t.sale(MAG, 300);
    expect((await t.send(s.msg)).rc).to.equal('00');
    expect((await t.send(s.msg)).rc).to.equal('94');
    const other = t.sale(MAG, 999).msg.set(11, s.stan);
    expect((await t.send(t.mac(other))).rc).to.equal('94');
    expect(host.control.balance('UP-DEBIT-MAG').balance).to.equal(MAG.card.openingBalance - 300);
  });

  test('97 unknown and unregistered terminals; 03 suspended terminal, suspended merchant, wrong merchant', async () => {
    const unknown = await TestTerminal.connect(host.port, { ...identity('10000001'), terminalId: '99999999' });
    extra.push(unknown);
    expect((await unknown.signOn()).rc).to.equal('97');
    expect((await (await connect('10000011')).signOn()).rc).to.equal('97');
    expect((await (await connect('10000010')).signOn()).rc).to.equal('03');
    expect((await (await connect('10000012')).signOn()).rc).to.equal('03');
    const wrongMerchant = await TestTerminal.connect(host.port, { ...identity('10000002'), merchantId: '898310054119999' });
    extra.push(wrongMerchant);
    expect((await wrongMerchant.signOn()).rc).to.equal('03');
    const s = t.sale(MAG, 100).msg.set(41, '99999999');
    expect((await t.send(t.mac(s))).rc).to.equal('97');
  });

  test('25 original not found (void, refund, reversal, completion); 64 void amount differs; 12 already voided', async () => {
    expect(await rc(t.void(MAG, 100, { stan: '123456' }))).to.equal('25');
    expect(await rc(t.refund(MAG, 100, { stan: '123456', rrn: '000000999999' }))).to.equal('25');
    expect(await rc(t.completion({ card: card('UP-DEBIT-IC'), entry: 'insert', pin: '123456' }, 100, { stan: '123456', auth: '000000' }))).to.equal(
      '25',
    );
    const lost = t.sale(MAG, 100).msg.set(11, '654321');
    expect((await t.send(t.reversal(t.mac(lost)))).rc).to.equal('25');
    const s = t.sale(MAG, 500);
    await t.send(s.msg);
    expect(await rc(t.void(MAG, 499, { stan: s.stan }))).to.equal('64');
    expect(await rc(t.void(MAG, 500, { stan: s.stan }))).to.equal('00');
    expect(await rc(t.void(MAG, 500, { stan: s.stan }))).to.equal('12');
    // A void with another card than the original's finds nothing.
    const s2 = t.sale(MAG, 700);
    await t.send(s2.msg);
    expect(await rc(t.void({ card: card('UP-DEBIT-19'), pin: '123456' }, 700, { stan: s2.stan }))).to.equal('25');
  });

  test('30 format error: F60 missing, bill payment without payee, undecodable F55; 40 unknown transaction', async () => {
    const noF60 = t.sale(MAG, 100).msg.unset(60);
    expect((await t.send(t.mac(noF60))).rc).to.equal('30');
    const bill = t.billPayment(MAG, 100, { name: '水费', account: '1234' }).msg.unset(62);
    expect((await t.send(t.mac(bill))).rc).to.equal('30');
    const badIc = t.sale({ card: card('UP-DEBIT-IC'), entry: 'insert', pin: '123456' }, 100).msg.set(55, Buffer.from('9F2608AABB', 'hex'));
    expect((await t.send(t.mac(badIc))).rc).to.equal('30');
    const odd = t.sale(MAG, 100).msg.set(3, '990000');
    expect((await t.send(t.mac(odd))).rc).to.equal('40');
  });

  test('59 ARQC that does not verify (the reply still carries 91 with ARC 59)', async () => {
    const r = await t.send(t.sale({ card: card('UP-DEBIT-IC'), entry: 'insert', pin: '123456', badArqc: true }, 100).msg);
    expect(r.rc).to.equal('59');
    expect(t.arpcValid(r.msg)).to.equal(true);
  });

  test('network management for an unknown 60.3 answers 40; a settlement without F48 answers 30', async () => {
    expect((await t.network('0800', '396')).rc).to.equal('40');
    const s = t.base('0500').set(60, formatField60({ transactionType: '00', batchNumber: t.batch, networkCode: '201' }));
    expect((await t.send(s)).rc).to.equal('30');
  });
});

describe('reference host: PIN tries (configurable count)', () => {
  test('with pinTryLimit 2: 55, then 75, then 75 even with the right PIN; reset unblocks', async () => {
    const config: HostConfig = { ...CONFIG, rules: { ...CONFIG.rules, pinTryLimit: 2 } };
    const host = await startHost({ config });
    try {
      const t = await signedOn(host, '10000001', '003', config);
      const pinlock = card('UP-DEBIT-PINLOCK');
      const sale = (pin: string) => t.send(t.sale({ card: pinlock, pin }, 100).msg);
      expect((await sale('111111')).rc).to.equal('55');
      expect((await sale('222222')).rc).to.equal('75');
      expect((await sale('123456')).rc).to.equal('75');
      expect(host.control.balance('UP-DEBIT-PINLOCK').pinTries).to.equal(2);
      expect(host.control.terminalState('10000001').pinTries).to.deep.equal({ 'UP-DEBIT-PINLOCK': 2 });
      host.control.reset();
      expect((await sale('123456')).rc).to.equal('00');
      t.close();
    } finally {
      await host.stop();
    }
  });

  test('a right PIN before the limit clears the count', async () => {
    const host = await startHost();
    try {
      const t = await signedOn(host, '10000002');
      const pinlock = card('UP-DEBIT-PINLOCK');
      const sale = (pin: string) => t.send(t.sale({ card: pinlock, pin }, 100).msg);
      expect((await sale('111111')).rc).to.equal('55');
      expect((await sale('111111')).rc).to.equal('55');
      expect((await sale('123456')).rc).to.equal('00');
      expect((await sale('111111')).rc).to.equal('55');
      expect(host.control.balance('UP-DEBIT-PINLOCK').pinTries).to.equal(1);
      t.close();
    } finally {
      await host.stop();
    }
  });
});
