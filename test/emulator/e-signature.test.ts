/**
 * 电签 (electronic signature, cup8583.md §3.1 60.3 800) end to end: the emulator over TTP on a socat
 * PTY against the real reference host. Under the e-signature profile a sale stops at the signature pad
 * (TTP state `signature`), takes the image of `sign` (refusing one that is no PNG), uploads it (0820,
 * F25 07, 60.1 07, 60.3 800, F61 / F37 / F4 of the sale, MAC) and prints its hash in the signature
 * block; the host links it to the sale and journals its hash, never the image. A cardholder who
 * cancels keeps the paper line; the reference profile has no pad.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import { parseField60, parseField61 } from '../../protocol/iso8583';
import { signatureHash, type TtpCommand, type TtpResponse } from '../../protocol/ttp';
import { cardholderSignature } from '../../drivers/e-signature';
import { EmulatorBench, runSale, toIdle } from './harness';

const bench = new EmulatorBench(1);
const image = cardholderSignature('UP-DEBIT-MAG');
const sign = (png: Buffer): TtpCommand => ({ cmd: 'sign', image: png.toString('base64') });
/** The terminal's 0820 e-signature uploads (60.3 800; its IC list queries are 0820 too). */
const uploadsOf = (terminalId: string) =>
  bench.host.control.journal({ terminalId, mti: '0820', direction: 'in' }).filter((e) => parseField60(e.fields['60']).networkCode === '800');

describe('emulator and host: electronic signature (电签)', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('e-signature: the sale waits at the pad, the image is uploaded linked to the sale, journalled by hash, printed by hash', async () => {
    const t = await bench.terminal({ profile: 'e-signature' });
    try {
      const m = await runSale(t.client, { amountKeys: ['6', '6', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitState('signature', m);
      await t.client.waitScreen('请持卡人签名', m);
      const bad = (await t.client.raw(sign(Buffer.from('not a png')))) as TtpResponse;
      expect(bad.ok === false && bad.error.code).to.equal('bad-request');
      const took = await t.client.cmd<{ sha256: string; bytes: number }>(sign(image));
      expect(took).to.deep.equal({ sha256: signatureHash(image), bytes: image.length });
      await t.client.waitScreen('交易成功', m);
      const [sale] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0200', direction: 'in' });
      const [saleReply] = bench.host.control.journal({ terminalId: t.terminalId, mti: '0210', direction: 'out' });
      const [upload] = uploadsOf(t.terminalId);
      const uploadReply = bench.host.control
        .journal({ terminalId: t.terminalId, mti: '0830', direction: 'out' })
        .find((e) => e.fields['11'] === upload.fields['11'])!;
      const f60 = parseField60(upload.fields['60']);
      expect([upload.fields['25'], f60.transactionType, f60.networkCode]).to.deep.equal(['07', '07', '800']);
      const f61 = parseField61(upload.fields['61']);
      expect([f61.originalBatch, f61.originalTrace]).to.deep.equal([parseField60(sale.fields['60']).batchNumber, sale.fields['11']]);
      expect([upload.fields['37'], upload.fields['4']]).to.deep.equal([saleReply.fields['37'], '000000006600']);
      expect(upload.fields['64']).to.be.a('string');
      expect(uploadReply.fields['39']).to.equal('00');
      expect(upload.note)
        .to.include(`e-signature of sale`)
        .and.include(`sha256 ${signatureHash(image)}`)
        .and.include('MAC verified');
      // The image itself is in no journal column: F62 names it, the frame hex masks it.
      expect(upload.fields['62']).to.include(signatureHash(image)).and.not.include(image.toString('hex').toUpperCase().slice(0, 64));
      expect(upload.hex).to.not.include(image.toString('hex').toUpperCase().slice(16, 80));
      const [merchant, cardholder] = t.client.prints(m);
      expect(merchant.lines.join('\n')).to.include(`电子签名(E-SIGNATURE):${signatureHash(image).slice(0, 16)}`);
      expect(cardholder.lines.join('\n')).to.not.include('电子签名');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('e-signature: an upload the host does not answer is kept and goes again, same STAN, before the next sale', async () => {
    const t = await bench.terminal({ profile: 'e-signature' });
    try {
      bench.host.control.injectFault({ match: { terminalId: t.terminalId, mti: '0820' }, action: 'no-response', count: 1 });
      let m = await runSale(t.client, { amountKeys: ['6', '6', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitState('signature', m);
      await t.client.cmd(sign(image));
      await t.client.waitScreen('交易成功', m, 8000);
      const [first] = uploadsOf(t.terminalId);
      const state = JSON.parse(fs.readFileSync(t.statePath, 'utf8')) as { pendingSignatures?: unknown[] };
      expect(state.pendingSignatures).to.have.length(1);
      await toIdle(t.client);
      m = await runSale(t.client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitState('signature', m);
      await t.client.cmd(sign(cardholderSignature('second')));
      await t.client.waitScreen('交易成功', m);
      const ins = bench.host.control.journal({ terminalId: t.terminalId, direction: 'in' }).filter((e) => ['0200', '0820'].includes(e.mti ?? ''));
      const order = ins
        .filter((e) => e.mti === '0200' || parseField60(e.fields['60']).networkCode === '800')
        .map((e) => `${e.mti} ${e.fields['11']}`);
      const sales = ins.filter((e) => e.mti === '0200').map((e) => e.fields['11']);
      const uploads = uploadsOf(t.terminalId).map((e) => e.fields['11']);
      // sale 1, its upload (unanswered), the same upload again before sale 2, then sale 2's own upload.
      expect(order).to.deep.equal([
        `0200 ${sales[0]}`,
        `0820 ${first.fields['11']}`,
        `0820 ${first.fields['11']}`,
        `0200 ${sales[1]}`,
        `0820 ${uploads[2]}`,
      ]);
      const answered = bench.host.control
        .journal({ terminalId: t.terminalId, mti: '0830', direction: 'out' })
        .filter((e) => e.fields['11'] === first.fields['11']);
      // The first was journalled but never sent (fault no-response, its note says so); the repeat was answered.
      expect(answered.at(-1)?.fields['39']).to.equal('00');
      expect(answered[0].note).to.include('no-response');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('e-signature: a cardholder who cancels at the pad keeps the paper signature line and nothing is uploaded', async () => {
    const t = await bench.terminal({ profile: 'e-signature' });
    try {
      const m = await runSale(t.client, { amountKeys: ['1', '2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitState('signature', m);
      await t.client.keys('CANCEL');
      await t.client.waitScreen('交易成功', m);
      expect(uploadsOf(t.terminalId)).to.have.length(0);
      const [merchant] = t.client.prints(m);
      expect(merchant.lines.join('\n')).to.include('持卡人签名').and.not.include('电子签名');
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('reference profile: no signature pad (sign is not-supported) and the sale ends without one', async () => {
    const t = await bench.terminal();
    try {
      const m = await runSale(t.client, { amountKeys: ['1', '2', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await t.client.waitScreen('交易成功', m);
      expect(t.client.displays(m).some((d) => d.lines.join('').includes('请持卡人签名'))).to.equal(false);
      const r = (await t.client.raw(sign(image))) as TtpResponse;
      expect(r.ok === false && r.error.code).to.equal('not-supported');
      expect(uploadsOf(t.terminalId)).to.have.length(0);
      await toIdle(t.client);
    } finally {
      await bench.dispose(t);
    }
  });
});
