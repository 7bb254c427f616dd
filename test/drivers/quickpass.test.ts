// drivers/quickpass.ts: amounts from the declared limits, 9F34 judged in both F55 forms, and the
// signature-free voucher judged on hand-made copies.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  cvmOfCode,
  cvmResultsOf,
  hasQuickPassMark,
  judgeCvmResults,
  judgeNoQuickPassMark,
  judgeSignatureFreeVoucher,
  quickPassAmounts,
  quickPassLimitsInForce,
} from '../../drivers/quickpass';
import { REFERENCE_PROFILE } from '../../protocol/ttp/profile';

const f55 = (v: string) => ({ fields: { 55: v } as Record<number, string> });
const copy = (name: string, lines: string[]) => ({ copy: name, lines, reprint: false, at: 0 });

describe('QuickPass judgement (drivers/quickpass)', () => {
  test('amounts: at the lower of both limits, and one fen over the higher', () => {
    expect(quickPassAmounts(REFERENCE_PROFILE.contactless)).to.deep.equal({ atLimitFen: 100000, overLimitFen: 100001 });
    expect(quickPassAmounts({ noPinLimitFen: 30000, noSignatureLimitFen: 50000 })).to.deep.equal({
      atLimitFen: 30000,
      overLimitFen: 50001,
    });
    expect(() => quickPassAmounts({ noPinLimitFen: 0, noSignatureLimitFen: 50000 })).to.throw(/limit in force is 0/);
  });

  test('limits in force: the downloaded contactless parameters replace the profile; a flag off is 0', () => {
    expect(quickPassLimitsInForce(REFERENCE_PROFILE, undefined)).to.deep.equal(REFERENCE_PROFILE.contactless);
    const downloaded = { noPinEnabled: true, noPinLimitFen: 30000, noSignatureEnabled: false, noSignatureLimitFen: 50000 };
    expect(quickPassLimitsInForce(REFERENCE_PROFILE, downloaded)).to.deep.equal({ noPinLimitFen: 30000, noSignatureLimitFen: 0 });
  });

  test('9F34 read from BER-TLV hex and from TAG=VALUE words', () => {
    expect(cvmResultsOf(f55('9F2701809F34031F0002'))).to.equal('1F0002');
    expect(cvmResultsOf(f55('9F26=AAAA 9F34=420300'))).to.equal('420300');
    expect(cvmResultsOf(f55('9F26=AAAA'))).to.equal(undefined);
    expect(cvmResultsOf({ fields: {} })).to.equal(undefined);
  });

  test('CVM codes: 02 online PIN, 1E signature, 1F / 3F no CVM (bit 7 ignored)', () => {
    expect([0x42, 0x02, 0x1e, 0x5e, 0x1f, 0x3f, 0x01].map(cvmOfCode)).to.deep.equal([
      'online-pin',
      'online-pin',
      'signature',
      'signature',
      'no-cvm',
      'no-cvm',
      'other',
    ]);
  });

  test('judged against what the case expects', () => {
    expect(judgeCvmResults(f55('9F34=1F0002'), 'no-cvm')).to.equal(undefined);
    expect(judgeCvmResults(f55('9F34=3F0000'), 'no-cvm')).to.equal(undefined);
    expect(judgeCvmResults(f55('9F34=420300'), 'no-cvm')).to.match(/says online-pin/);
    expect(judgeCvmResults(f55('9F34=1E0300'), 'no-cvm')).to.match(/says signature/);
    expect(judgeCvmResults(f55('9F34=420300'), 'online-pin')).to.equal(undefined);
    expect(judgeCvmResults(f55('9F34=1F0002'), 'online-pin')).to.match(/says no-cvm/);
    expect(judgeCvmResults(f55('9F26=AA'), 'online-pin')).to.match(/no valid 9F34/);
  });

  test('signature-free voucher: no signature line anywhere, merchant copy marked', () => {
    const ok = [copy('merchant', ['商户存根', '免密免签(NO PIN/NO SIGNATURE)']), copy('cardholder', ['持卡人存根'])];
    expect(judgeSignatureFreeVoucher(ok)).to.deep.equal([]);
    expect(hasQuickPassMark(copy('merchant', ['NO SIGNATURE REQUIRED']))).to.equal(true);
    const signed = [copy('merchant', ['商户存根', '持卡人签名(CARDHOLDER SIGNATURE):']), copy('cardholder', ['持卡人存根'])];
    const problems = judgeSignatureFreeVoucher(signed);
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/asks for a signature/);
    expect(problems[1]).to.match(/not marked 免密 \/ 免签/);
    expect(judgeSignatureFreeVoucher([copy('cardholder', [])])).to.deep.equal(['no merchant copy was printed']);
  });

  test('over the limits: no copy may carry a 免密 / 免签 mark', () => {
    const charged = [copy('merchant', ['商户存根', '持卡人签名(CARDHOLDER SIGNATURE):']), copy('cardholder', ['持卡人存根'])];
    expect(judgeNoQuickPassMark(charged)).to.deep.equal([]);
    const marked = [
      copy('merchant', ['商户存根', '免签(NO SIGNATURE)', '持卡人签名(CARDHOLDER SIGNATURE):']),
      copy('cardholder', ['持卡人存根', '免密(NO PIN)']),
    ];
    const problems = judgeNoQuickPassMark(marked);
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/商户存根[\s\S]*is marked 免密 \/ 免签/);
    expect(problems[1]).to.match(/over the QuickPass limits/);
  });
});
