// drivers/e-signature.ts over hand-made journal messages: the 0820 60.3 800 upload carrying the image the
// cardholder drew, linked to the approved sale (F61 batch + trace, F37 RRN, F4 amount, MAC, host 00) and
// sent before the next transaction; and the cardholder's drawn signature (a deterministic PNG per label).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { cardholderSignature, judgeSignatureUpload, signatureUploadsAfter } from '../../drivers/e-signature';
import type { HostMessage } from '../../drivers/host-view';
import { signatureHash, signatureImageProblem } from '../../protocol/ttp/signature';

const IMAGE = cardholderSignature('UP-DEBIT-MAG');
const SHA = signatureHash(IMAGE);
const F62 = `<signature PNG 160x48, ${IMAGE.length} bytes, sha256 ${SHA}>`;
const UPLOAD = { 4: '000000006600', 25: '07', 37: '000000000123', 60: '07000003800', 61: '0000030000101204', 62: F62, 64: 'ABCD1234' };

let id = 0;
const msg = (
  direction: 'in' | 'out',
  mti: string,
  kind: HostMessage['kind'],
  stan: string,
  fields: Record<number, string>,
  terminalId = 'T1',
): HostMessage => ({
  id: ++id,
  at: '',
  direction,
  terminalId,
  mti,
  stan,
  kind,
  fields: { 11: stan, ...fields },
  responseCode: fields[39],
  hex: '',
  note: undefined,
});

function traffic(
  upload: Record<number, string> | undefined,
  o: { answer?: string; saleAnswer?: string; nextFirst?: boolean; terminal?: string } = {},
): HostMessage[] {
  id = 0;
  const out = [
    msg('in', '0200', 'sale', '000010', { 4: '000000006600', 60: '22000003000' }),
    msg('out', '0210', 'sale', '000010', { 37: '000000000123', 39: o.saleAnswer ?? '00' }),
  ];
  if (o.nextFirst) out.push(msg('in', '0200', 'sale', '000012', { 4: '000000000100', 60: '22000003000' }));
  if (upload) {
    out.push(
      msg('in', '0820', 'e-signature', '000011', upload, o.terminal),
      msg('out', '0830', 'e-signature', '000011', { 39: o.answer ?? '00' }, o.terminal),
    );
  }
  return out;
}

describe('drivers/e-signature: the signature as the acquirer holds it', () => {
  test('the drawn signature is a PNG that fits F62, the same per label and different between labels', () => {
    expect(signatureImageProblem(IMAGE)).to.equal(undefined);
    expect(cardholderSignature('UP-DEBIT-MAG').equals(IMAGE)).to.equal(true);
    expect(cardholderSignature('UP-DEBIT-IC').equals(IMAGE)).to.equal(false);
  });

  test('the upload of that image, linked to the approved sale and answered 00 before anything else: no problem', () => {
    const msgs = traffic(UPLOAD);
    expect(signatureUploadsAfter(msgs, msgs[0]).map((m) => m.stan)).to.deep.equal(['000011']);
    expect(judgeSignatureUpload(msgs, msgs[0], SHA)).to.deep.equal([]);
  });

  test('each way of getting it wrong is named', () => {
    const judge = (upload: Record<number, string> | undefined, o = {}) => {
      const msgs = traffic(upload, o);
      return judgeSignatureUpload(msgs, msgs[0], SHA).join('\n');
    };
    expect(judge(undefined)).to.match(/no e-signature upload .* the terminal uploaded no signature/);
    expect(judge({ ...UPLOAD, 62: '<signature PNG 160x48, 10 bytes, sha256 00FF>' })).to.match(/uploads seen: STAN 000011 F62 <signature/);
    expect(judge({ ...UPLOAD, 61: '0000030000091204' })).to.match(/F61 0000030000091204 does not name batch 000003 trace 000010/);
    expect(judge({ ...UPLOAD, 37: '000000000999' })).to.match(/F37 000000000999 is not the RRN 000000000123/);
    expect(judge({ ...UPLOAD, 4: '000000006601' })).to.match(/F4 000000006601 is not the amount 000000006600/);
    const { 64: _mac, ...noMac } = UPLOAD;
    expect(judge(noMac)).to.match(/carries no MAC/);
    expect(judge(UPLOAD, { answer: '25' })).to.match(/host answered the e-signature upload STAN 000011 with 25/);
    expect(judge(UPLOAD, { saleAnswer: '51' })).to.match(/was not approved \(F39 51\)/);
    expect(judge(UPLOAD, { nextFirst: true })).to.match(/sent its next sale \(STAN 000012\) before the e-signature upload/);
    expect(judge(UPLOAD, { terminal: 'T2' })).to.match(/came from terminal T2/);
  });
});
