// Steps that accept every conformant variant: they read the terminal's declared profile and ask
// drivers/conformance for the judgement (copies, §7 wording or a declared synonym, expired swipe
// refused locally or sent for 54, uploads after a balanced settlement). Thin: parse, judge, assert.
import { expect } from 'chai';
import { step } from './support/define';
import { REFERENCE_PROFILE, type TerminalProfile } from '../protocol/ttp/profile';
import { copyNeedsSignature, expectedCopies, judgeBalancedUpload, judgeExpiredSwipe, screenShowsOutcome, wordingsFor } from '../drivers/conformance';
import { FINANCIAL_KINDS, type TransactionKind } from '../drivers';
import type { PoscertWorld } from './support/world';

const COPY_LABEL = { merchant: /商户存根|MERCHANT COPY/i, bank: /银行存根|BANK COPY/i, cardholder: /持卡人存根|CARDHOLDER COPY/i };
const SIGNATURE = /持卡人签名|CARDHOLDER SIGNATURE|CARD HOLDER SIGNATURE/i;
const TRANSACTION_COPIES = ['merchant', 'bank', 'cardholder'];

function profileOf(w: PoscertWorld): TerminalProfile {
  return w.driver.profile ?? REFERENCE_PROFILE;
}

async function printedCopies(w: PoscertWorld, atLeast: number) {
  await w.driver.waitForReceipts(atLeast, { timeoutMs: w.lab.settings.screenTimeoutMs });
  await w.driver.toIdle();
  return w.driver.receipts().filter((c) => TRANSACTION_COPIES.includes(c.copy));
}

step(['the declared voucher copies are printed', '打印了终端声明联数的签购单'], async function () {
  const want = expectedCopies(profileOf(this));
  const list = await printedCopies(this, want.length);
  expect(list.map((c) => c.copy), `voucher copies printed (the profile declares ${want.length}: ${want.join(', ')})`).to.deep.equal(want);
});

step(['every copy is labelled and signed as the profile declares', '每联的存根名称和签名栏符合终端声明'], async function () {
  const profile = profileOf(this);
  const list = await printedCopies(this, expectedCopies(profile).length);
  for (const c of list) {
    const kind = c.copy as keyof typeof COPY_LABEL;
    const text = this.redact(`${c.copy} copy:\n    ${c.lines.join('\n    ')}`);
    expect(c.lines.some((l) => COPY_LABEL[kind].test(l)), `${text}\nis not labelled as the ${kind} copy`).to.equal(true);
    expect(c.lines.some((l) => SIGNATURE.test(l)), `${text}\n${copyNeedsSignature(kind, profile) ? 'has no signature line' : 'asks for a signature'}`)
      .to.equal(copyNeedsSignature(kind, profile));
  }
});

step(['the screen shows the message for response code {string}', '屏幕显示应答码{string}对应的提示'], async function (code: string) {
  const profile = profileOf(this);
  const shows = (lines: readonly string[]) => screenShowsOutcome(lines, code, profile).found !== undefined;
  if (!this.screens(this.lastActionAt).some((s) => shows(s.lines))) {
    // The result screen may still be coming: wait for the end of the transaction, then judge.
    await this.driver.waitForState(['result', 'idle'], { timeoutMs: this.lab.settings.screenTimeoutMs }).catch(() => undefined);
    await this.driver.waitUntilQuiet();
  }
  const seen = this.screens(this.lastActionAt);
  expect(seen.some((s) => shows(s.lines)),
    `no screen showed what ${code} means (§7: ${wordingsFor(code, profile).join(' / ')}); screens:\n  ${seen.map((s) => this.redact(s.lines.join(' | '))).join('\n  ')}`).to.equal(true);
});

step(['the expired card is refused as the terminal declares', '过期卡按终端声明的方式被拒绝'], async function () {
  const profile = profileOf(this);
  await this.driver.waitForState(['result', 'idle'], { timeoutMs: this.lab.settings.screenTimeoutMs }).catch(() => undefined);
  await this.driver.waitUntilQuiet();
  const msgs = (await this.messages()).filter((m) => FINANCIAL_KINDS.includes(m.kind as TransactionKind));
  const problem = judgeExpiredSwipe({
    financialRequests: msgs.filter((m) => m.direction === 'in').length,
    responseCodes: msgs.filter((m) => m.direction === 'out').map((m) => m.responseCode ?? ''),
    screenShowsExpired: this.screens(this.lastActionAt).some((s) => screenShowsOutcome(s.lines, '54', profile).found !== undefined),
  }, profile);
  if (problem) expect.fail(`expired swiped card (profile: magstripeExpiry ${profile.magstripeExpiry}): ${problem}`);
});

step(['any batch upload after the balanced settlement is one the profile allows', '对账平后的批上送符合终端声明'], async function () {
  const uploads = (await this.messages()).filter((m) => m.direction === 'in' && m.kind === 'batch-upload');
  const problems = judgeBalancedUpload(uploads.map((m) => (m.fields[60] ?? '').slice(8, 11)), profileOf(this));
  if (problems.length) expect.fail(`batch upload after a balanced settlement (cup8583.md §3.10): ${problems.join('; ')}`);
});

// The reference prescribes no wording for the settlement result: judge the outcome. The terminal has
// ended the settlement (a result or idle screen, no error state) and the acquirer closed the batch
// the terminal settled (after the upload end, when there was one).
step(['the terminal completed the settlement', '终端完成了结算'], async function () {
  const end = await this.driver.waitForState(['result', 'idle'], { timeoutMs: this.lab.settings.screenTimeoutMs });
  await this.driver.waitUntilQuiet();
  const settlements = (await this.messages()).filter((m) => m.direction === 'in' && m.kind === 'settlement');
  expect(settlements.length, 'the host received no settlement request (0500)').to.be.greaterThan(0);
  const batch = (settlements[settlements.length - 1].fields[60] ?? '').slice(2, 8);
  const state = this.host.settlementTotals(this.lab.terminalId, batch).state;
  expect(state, `host state of the settled batch ${batch} (terminal ended on: ${this.redact(end.lines.join(' | '))})`).to.equal('closed');
});
