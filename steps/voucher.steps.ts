// The voucher copies (签购单) and the settlement slip the terminal printed, read as a lab reads
// them: the numbers must be the acquirer's, the amount the one authorized, the card masked.
import { expect } from 'chai';
import { amountPattern, batchOf, voucherText as squash, type VoucherCopy } from '../drivers';
import { step } from './support/define';
import { formatFen, VoucherCopy as CopyName } from './support/parse';
import type { PoscertWorld } from './support/world';

const TRANSACTION_COPIES = ['merchant', 'cardholder', 'bank'];
const SIGNATURE = /持卡人签名|CARDHOLDER SIGNATURE|CARD HOLDER SIGNATURE/i;

/** The transaction copies of the current window, once the terminal has finished printing. */
async function copies(w: PoscertWorld, atLeast = 0): Promise<VoucherCopy[]> {
  if (atLeast > 0) await w.driver.waitForReceipts(atLeast, { timeoutMs: w.lab.settings.screenTimeoutMs });
  await w.driver.toIdle();
  return w.driver.receipts().filter((c) => TRANSACTION_COPIES.includes(c.copy));
}

async function everyCopy(w: PoscertWorld): Promise<VoucherCopy[]> {
  const list = await copies(w, 1);
  expect(list.length, 'the terminal printed no voucher').to.be.greaterThan(0);
  return list;
}

/** A copy for an error message: its lines, with any full PAN or PIN it printed masked. */
function describe(w: PoscertWorld, c: VoucherCopy): string {
  return w.redact(`${c.copy} copy:\n    ${c.lines.join('\n    ')}`);
}

step(['{int} voucher copies are printed', '打印了 {int} 联签购单'], async function (n: number) {
  const list = await copies(this, n);
  expect(list.map((c) => c.copy), 'voucher copies printed').to.have.length(n);
});

step(['no voucher is printed', '没有打印签购单'], async function () {
  const list = await copies(this);
  expect(list.map((c) => c.copy), 'voucher copies printed').to.deep.equal([]);
});

step(['every copy shows {text}', '每联都显示{text}'], async function (text: string) {
  for (const c of await everyCopy(this)) {
    expect(squash(c).includes(text.replace(/\s+/g, '')), `${describe(this, c)}\ndoes not show "${text}"`).to.equal(true);
  }
});

step(['the {copy} copy shows {text}', '{copy}显示{text}'], async function (copy: CopyName, text: string) {
  const c = (await everyCopy(this)).find((x) => x.copy === copy);
  expect(c, `no ${copy} copy was printed`).to.not.equal(undefined);
  expect(squash(c!).includes(text.replace(/\s+/g, '')), `${describe(this, c!)}\ndoes not show "${text}"`).to.equal(true);
});

step(['every copy shows the amount {amount}', '每联都显示金额 {amount}'], async function (fen: number) {
  for (const c of await everyCopy(this)) {
    expect(amountPattern(fen).test(c.lines.join('\n')), `${describe(this, c)}\ndoes not show the amount ${formatFen(fen)}`).to.equal(true);
  }
});

step(['the {copy} copy has a signature line', '{copy}有持卡人签名栏'], async function (copy: CopyName) {
  const c = (await everyCopy(this)).find((x) => x.copy === copy);
  expect(c, `no ${copy} copy was printed`).to.not.equal(undefined);
  expect(c!.lines.some((l) => SIGNATURE.test(l)), `${describe(this, c!)}\nhas no signature line`).to.equal(true);
});

step(['the {copy} copy has no signature line', '{copy}没有持卡人签名栏'], async function (copy: CopyName) {
  const c = (await everyCopy(this)).find((x) => x.copy === copy);
  expect(c, `no ${copy} copy was printed`).to.not.equal(undefined);
  expect(c!.lines.some((l) => SIGNATURE.test(l)), `${describe(this, c!)}\nasks for a signature`).to.equal(false);
});

step(['the copies are the merchant copy then the cardholder copy', '先打印商户存根再打印持卡人存根'], async function () {
  const list = await copies(this, 2);
  expect(list.map((c) => c.copy)).to.deep.equal(['merchant', 'cardholder']);
  expect(list[0].lines.some((l) => /商户存根|MERCHANT COPY/i.test(l)), `${describe(this, list[0])}\nis not labelled 商户存根`).to.equal(true);
  expect(list[1].lines.some((l) => /持卡人存根|CARDHOLDER COPY/i.test(l)), `${describe(this, list[1])}\nis not labelled 持卡人存根`).to.equal(true);
});

function panOfCardInHand(w: PoscertWorld): string {
  expect(w.lastCard, 'no card was presented in this scenario').to.be.a('string');
  return w.card(w.lastCard!).pan;
}

step(['every copy shows the card number masked', '每联卡号都已屏蔽'], async function () {
  const pan = panOfCardInHand(this);
  const masked = new RegExp(`${pan.slice(0, 6)}\\*{${pan.length - 10}}${pan.slice(-4)}`);
  for (const c of await everyCopy(this)) {
    expect(masked.test(squash(c)), `${describe(this, c)}\ndoes not show the card number as ${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`).to.equal(true);
  }
});

step(['no copy shows the full card number', '任何一联都不显示完整卡号'], async function () {
  const pan = panOfCardInHand(this);
  for (const c of await everyCopy(this)) {
    expect(squash(c).includes(pan), `the ${c.copy} copy prints the full card number`).to.equal(false);
  }
});

step(['the PIN appears on no voucher', '任何签购单都不显示PIN'], async function () {
  const all = [...this.earlierVouchers, ...(await copies(this))];
  for (const pin of this.pinsTyped) {
    expect(all.filter((c) => squash(c).includes(pin)).map((c) => c.copy), 'copies printing the PIN').to.deep.equal([]);
  }
});

step(['every copy shows the merchant name and number', '每联都显示商户名称和商户编号'], async function () {
  const terminal = this.lab.config.terminals.find((t) => t.terminalId === this.lab.terminalId)!;
  const merchant = this.lab.config.merchants.find((m) => m.merchantId === terminal.merchantId)!;
  for (const c of await everyCopy(this)) {
    expect(squash(c), `${describe(this, c)}\nmerchant number`).to.include(merchant.merchantId);
    expect(squash(c).includes(merchant.name.replace(/\s+/g, '')) || (merchant.nameEn !== undefined && squash(c).includes(merchant.nameEn.replace(/\s+/g, ''))),
      `${describe(this, c)}\ndoes not show the merchant name ${merchant.name}`).to.equal(true);
  }
});

step(['every copy shows the terminal number', '每联都显示终端编号'], async function () {
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\nterminal number`).to.include(this.lab.terminalId);
});

async function lastApproved(w: PoscertWorld) {
  return w.lastApproved(['sale', 'bill-payment', 'void', 'refund', 'preauth', 'preauth-completion']);
}

step(['every copy shows the batch number and voucher number the host received', '每联都显示主机收到的批次号和凭证号'], async function () {
  const { request } = await lastApproved(this);
  for (const c of await everyCopy(this)) {
    expect(squash(c), `${describe(this, c)}\nbatch number (60.2)`).to.include(batchOf(request));
    expect(squash(c), `${describe(this, c)}\nvoucher number (F11)`).to.include(request.stan);
  }
});

step(["every copy shows the host's authorization code", '每联都显示主机的授权码'], async function () {
  const { reply } = await lastApproved(this);
  expect(reply.fields[38], 'the host sent no authorization code (F38)').to.be.a('string');
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\nauthorization code (F38)`).to.include(reply.fields[38].trim());
});

step(["every copy shows the host's reference number", '每联都显示主机的参考号'], async function () {
  const { reply } = await lastApproved(this);
  expect(reply.fields[37], 'the host sent no reference number (F37)').to.be.a('string');
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\nreference number (F37)`).to.include(reply.fields[37].trim());
});

step(['every copy shows the transaction date and time', '每联都显示交易日期和时间'], async function () {
  for (const c of await everyCopy(this)) {
    expect(/\d{4}[/-]\d{2}[/-]\d{2}\s*\d{2}:\d{2}(:\d{2})?/.test(c.lines.join('\n')), `${describe(this, c)}\nhas no date and time`).to.equal(true);
  }
});

step(['every copy shows the original voucher number', '每联都显示原凭证号'], async function () {
  const sales = await this.requests('sale');
  const original = sales[0];
  expect(original, 'no original sale in this scenario').to.not.equal(undefined);
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\noriginal voucher number`).to.include(original.stan);
});

step(['every copy shows the original reference number', '每联都显示原参考号'], async function () {
  const sales = await this.requests('sale');
  const reply = sales.length ? await this.replyTo(sales[0]) : undefined;
  expect(reply?.fields[37], 'no original sale with a reference number in this scenario').to.be.a('string');
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\noriginal reference number`).to.include(reply!.fields[37].trim());
});

// ------------------------------------------------------------------ reprint

step(['the operator reprints the last voucher', '操作员重打印最后一笔'], async function () {
  this.action();
  await this.driver.toIdle();
  this.newVoucherWindow();
  await this.driver.selectMenu('重打印/重打印最后一笔');
});

step(['a reprinted copy is printed', '打印了重打印的签购单'], async function () {
  const list = await copies(this, 1);
  expect(list.length, 'no copy was reprinted').to.be.greaterThan(0);
});

step(['every reprinted copy is marked {text}', '每张重打印的签购单都标有{text}'], async function (mark: string) {
  for (const c of await everyCopy(this)) expect(squash(c), `${describe(this, c)}\nis not marked as a reprint`).to.include(mark);
});

step(['every reprinted copy shows the same voucher number and amount as the original', '重打印的签购单凭证号和金额与原单相同'], async function () {
  const original = this.earlierVouchers.filter((c) => TRANSACTION_COPIES.includes(c.copy));
  expect(original.length, 'the original vouchers were not collected').to.be.greaterThan(0);
  const { request } = await this.lastApproved(['sale']);
  for (const c of await everyCopy(this)) {
    expect(squash(c), `${describe(this, c)}\nvoucher number`).to.include(request.stan);
    expect(amountPattern(Number(request.fields[4])).test(c.lines.join('\n')), `${describe(this, c)}\namount`).to.equal(true);
  }
});

// ------------------------------------------------------------------ settlement slip

async function slip(w: PoscertWorld): Promise<VoucherCopy> {
  await w.driver.waitForReceipts(1, { timeoutMs: w.lab.settings.screenTimeoutMs });
  await w.driver.toIdle();
  const s = w.driver.receipts().filter((c) => c.copy === 'settlement');
  expect(s.length, 'no settlement slip was printed').to.be.greaterThan(0);
  return s[s.length - 1];
}

step(['a settlement slip is printed', '打印了结算单'], async function () {
  await slip(this);
});

step(['the slip shows {text}', '结算单显示{text}'], async function (text: string) {
  const s = await slip(this);
  expect(squash(s), describe(this, s)).to.include(text.replace(/\s+/g, ''));
});

step(['the slip shows the amount {amount}', '结算单显示金额 {amount}'], async function (fen: number) {
  const s = await slip(this);
  expect(amountPattern(fen).test(s.lines.join('\n')), `${describe(this, s)}\ndoes not show ${formatFen(fen)}`).to.equal(true);
});
