// The voucher copies (签购单) and the settlement slip the terminal printed, read as a lab reads
// them: the numbers must be the acquirer's, the amount the one authorized, the card masked.
import { expect } from 'chai';
import {
  batchOf,
  copyNames,
  describeCopy,
  hasSignatureLine,
  isLabelledAs,
  maskedPanShape,
  showsAmount,
  showsAmountNegated,
  givesBackToCard,
  showsIssuer,
  showsDateTime,
  showsExpiry,
  showsFigures,
  SLIP_SALE_ROW,
  showsMaskedPan,
  showsMerchantName,
  showsText,
  transactionCopies,
  type TransactionKind,
  type VoucherCopy,
  setVoucherCopies,
  bookedAmounts,
  amountLinesNotBooked,
  otherKindNamed,
  VOUCHER_KINDS,
} from '../drivers';
import { skipWith } from './support/skip';
import { profileCopies } from '../protocol/ttp/profile';
import { step } from './support/define';
import { copies, copyOf, everyCopy, expectEveryCopy, expectFaithfulIcBlock, slip } from './support/printed';
import { formatFen, VoucherCopy as CopyName } from './support/parse';
import { lastSettlement } from './support/host-journal';

/** What a transaction voucher's numbers refer to: the last approved transaction of these kinds (drivers' list, less 预授权撤销). */
const PRINTING: TransactionKind[] = VOUCHER_KINDS.filter((k) => k !== 'preauth-void');

step(['{int} voucher copies are printed', '打印了 {int} 联签购单'], async function (n: number) {
  expect(copyNames(await copies(this, n)), 'voucher copies printed').to.have.length(n);
});

step(['no voucher is printed', '没有打印签购单'], async function () {
  expect(copyNames(await copies(this)), 'voucher copies printed').to.deep.equal([]);
});

step(['every copy shows {text}', '每联都显示{text}'], async function (text: string) {
  await expectEveryCopy(this, (c) => showsText(c, text), `does not show "${text}"`);
});

step(['the {copy} copy shows {text}', '{copy}显示{text}'], async function (copy: CopyName, text: string) {
  const c = await copyOf(this, copy);
  expect(showsText(c, text), `${this.redact(describeCopy(c))}\ndoes not show "${text}"`).to.equal(true);
});

// The amount as the host booked it: a charge (F3 00 / 03) is never printed negated; a void or refund may be.
step(['every copy shows the amount {amount}', '每联都显示金额 {amount}'], async function (fen: number) {
  const printed = (await this.messages()).filter((m) => m.direction === 'in' && VOUCHER_KINDS.includes(m.kind as TransactionKind));
  const charge = printed.length > 0 && !givesBackToCard(printed[printed.length - 1].fields[3]);
  const shows = (c: VoucherCopy) => showsAmount(c, fen) && !(charge && showsAmountNegated(c, fen));
  await expectEveryCopy(this, shows, `does not show the amount ${formatFen(fen)}${charge ? ' as the charge it is (no minus sign)' : ''}`);
});

// §6: every amount a copy prints (金额, 累计金额 / TOTAL …) is one the host holds for the transaction;
// an IC block the copy prints carries the chip data the request sent (expectFaithfulIcBlock).
step(['every amount on every copy is one the host booked', '每联上的金额都是主机记录的金额'], async function () {
  const booked = bookedAmounts(await this.messages());
  const problem = `prints an amount the host did not book (the host's: ${booked.map(formatFen).join(', ')})`;
  await expectEveryCopy(this, (c) => amountLinesNotBooked(c, booked).length === 0, problem);
  await expectFaithfulIcBlock(this, await everyCopy(this));
});

// §6: the copy names its own transaction type and no other (a void does not speak of a pre-authorization).
step(['no copy names another kind of transaction', '没有一联写着其他交易类型'], async function () {
  const { request } = await this.lastApproved([...VOUCHER_KINDS]);
  const kind = request.kind as TransactionKind;
  await expectEveryCopy(this, (c) => otherKindNamed(c, kind) === undefined, `names a transaction type other than its own (${kind}, cup8583.md §6)`);
});

step(['the {copy} copy has a signature line', '{copy}有持卡人签名栏'], async function (copy: CopyName) {
  const c = await copyOf(this, copy);
  expect(hasSignatureLine(c), `${this.redact(describeCopy(c))}\nhas no signature line`).to.equal(true);
});

step(['the {copy} copy has no signature line', '{copy}没有持卡人签名栏'], async function (copy: CopyName) {
  const c = await copyOf(this, copy);
  expect(hasSignatureLine(c), `${this.redact(describeCopy(c))}\nasks for a signature`).to.equal(false);
});

step(['the copies are the merchant copy then the cardholder copy', '先打印商户存根再打印持卡人存根'], async function () {
  const list = await copies(this, 2);
  expect(copyNames(list)).to.deep.equal(['merchant', 'cardholder']);
  await expectEveryCopy(this, (c) => isLabelledAs(c, c.copy), 'is not labelled as that copy (商户存根 / 持卡人存根)', list);
});

step(['every copy shows the card number masked', '每联卡号都已屏蔽'], async function () {
  const pan = this.card(this.cardInHand()).pan;
  await expectEveryCopy(this, (c) => showsMaskedPan(c, pan), `does not show the card number as ${maskedPanShape(pan)}`);
});

step(['no copy shows the full card number', '任何一联都不显示完整卡号'], async function () {
  const pan = this.card(this.cardInHand()).pan;
  const printing = (await everyCopy(this)).filter((c) => showsText(c, pan));
  expect(copyNames(printing), 'copies printing the full card number').to.deep.equal([]);
});

step(['the PIN appears on no voucher', '任何签购单都不显示PIN'], async function () {
  const all = [...this.earlierVouchers, ...(await copies(this))];
  const printing = all.filter((c) => [...this.pinsTyped].some((pin) => showsText(c, pin)));
  expect(copyNames(printing), 'copies printing the PIN').to.deep.equal([]);
});

// §6: 卡有效期(EXP. DATE) when the card has one (every card of the book does).
step(["every copy shows the card's expiry date", '每联都显示卡有效期'], async function () {
  const { expiry } = this.card(this.cardInHand());
  await expectEveryCopy(
    this,
    (c) => showsExpiry(c, expiry),
    `does not show the card's expiry date ${expiry.slice(2)}/${expiry.slice(0, 2)} (YYMM ${expiry})`,
  );
});

// §6: 发卡行(ISSUER) names the bank of 44.1 (its name or its code: the terminal's lookup).
step(["every copy names the card's issuer", '每联都显示发卡行'], async function () {
  await expectEveryCopy(this, showsIssuer, 'has no issuer line (发卡行(ISSUER): <bank of 44.1>, cup8583.md §6)');
});

step(['every copy shows the merchant name and number', '每联都显示商户名称和商户编号'], async function () {
  const merchant = this.terminalConfig().merchant!;
  const shows = (c: VoucherCopy) => showsText(c, merchant.merchantId) && showsMerchantName(c, merchant);
  await expectEveryCopy(this, shows, `does not show the merchant number ${merchant.merchantId} and name ${merchant.name}`);
});

step(['every copy shows the terminal number', '每联都显示终端编号'], async function () {
  await expectEveryCopy(this, (c) => showsText(c, this.lab.terminalId), `does not show the terminal number ${this.lab.terminalId}`);
});

step(['every copy shows the batch number and voucher number the host received', '每联都显示主机收到的批次号和凭证号'], async function () {
  const { request } = await this.lastApproved(PRINTING);
  const shows = (c: VoucherCopy) => showsText(c, String(batchOf(request))) && showsText(c, String(request.stan));
  await expectEveryCopy(this, shows, `does not show batch number ${batchOf(request)} (60.2) and voucher number ${request.stan} (F11)`);
});

step(["every copy shows the host's authorization code", '每联都显示主机的授权码'], async function () {
  const { reply } = await this.lastApproved(PRINTING);
  expect(reply.fields[38], 'the host sent no authorization code (F38)').to.be.a('string');
  await expectEveryCopy(this, (c) => showsText(c, reply.fields[38]), `does not show the authorization code ${reply.fields[38]} (F38)`);
});

step(["every copy shows the host's reference number", '每联都显示主机的参考号'], async function () {
  const { reply } = await this.lastApproved(PRINTING);
  expect(reply.fields[37], 'the host sent no reference number (F37)').to.be.a('string');
  await expectEveryCopy(this, (c) => showsText(c, reply.fields[37]), `does not show the reference number ${reply.fields[37]} (F37)`);
});

step(['every copy shows the transaction date and time', '每联都显示交易日期和时间'], async function () {
  await expectEveryCopy(this, showsDateTime, 'has no date and time');
});

step(['every copy shows the original voucher number', '每联都显示原凭证号'], async function () {
  const [original] = await this.requests('sale');
  expect(original, 'no original sale in this scenario').to.not.equal(undefined);
  await expectEveryCopy(this, (c) => showsText(c, String(original.stan)), `does not show the original voucher number ${original.stan}`);
});

step(['every copy shows the original authorization code', '每联都显示原预授权码'], async function () {
  const { reply } = await this.lastApproved(['preauth']);
  const code = reply.fields[38]?.trim();
  expect(code, 'no original pre-authorization with an authorization code in this scenario').to.be.a('string');
  await expectEveryCopy(this, (c) => showsText(c, code!), `does not show the original authorization code ${code} (原预授权码, cup8583.md §6)`);
});

step(['every copy shows the original reference number', '每联都显示原参考号'], async function () {
  const [original] = await this.requests('sale');
  const rrn = original ? (await this.replyTo(original))?.fields[37] : undefined;
  expect(rrn, 'no original sale with a reference number in this scenario').to.be.a('string');
  await expectEveryCopy(this, (c) => showsText(c, rrn!), `does not show the original reference number ${rrn}`);
});

// ------------------------------------------------------------------ the count of copies (§6 ucTicketNum)

step(['the terminal is set to print {int} voucher copy/copies', '终端被设置为打印 {int} 联签购单'], async function (n: number) {
  if (await setVoucherCopies(this.driver, n as 1 | 2 | 3)) return this.restoreLater({ voucherCopies: this.profile.vouchers.copies });
  const reason = 'not applicable: the terminal does not let the lab set its voucher copies (TTP config voucherCopies: not-supported)';
  return skipWith(this, reason) as unknown as void;
});

step(['the copies printed are those a count of {int} names', '打印的签购单与设置的 {int} 联相符'], async function (n: number) {
  const want = profileCopies({ vouchers: { copies: n as 1 | 2 | 3, signatureOn: [] } });
  expect(copyNames(await copies(this, want.length)), `voucher copies printed when set to ${n} (cup8583.md §6 ucTicketNum)`).to.deep.equal(want);
});

// ------------------------------------------------------------------ reprint

step(['the operator reprints the last voucher', '操作员重打印最后一笔'], async function () {
  this.action();
  await this.driver.toIdle();
  this.newVoucherWindow();
  await this.driver.selectMenu('重打印/重打印最后一笔');
});

step(['a reprinted copy is printed', '打印了重打印的签购单'], async function () {
  expect((await copies(this, 1)).length, 'no copy was reprinted').to.be.greaterThan(0);
});

step(['every reprinted copy is marked {text}', '每张重打印的签购单都标有{text}'], async function (mark: string) {
  await expectEveryCopy(this, (c) => showsText(c, mark), 'is not marked as a reprint');
});

step(['every reprinted copy shows the same voucher number and amount as the original', '重打印的签购单凭证号和金额与原单相同'], async function () {
  expect(transactionCopies(this.earlierVouchers).length, 'the original vouchers were not collected').to.be.greaterThan(0);
  const { request } = await this.lastApproved(['sale']);
  const same = (c: VoucherCopy) => showsText(c, String(request.stan)) && showsAmount(c, Number(request.fields[4]));
  await expectEveryCopy(this, same, `does not show the original's voucher number ${request.stan} and amount ${formatFen(Number(request.fields[4]))}`);
});

// ------------------------------------------------------------------ settlement slip

step(['a settlement slip is printed', '打印了结算单'], async function () {
  await slip(this);
});

step(['the slip shows {text}', '结算单显示{text}'], async function (text: string) {
  const s = await slip(this);
  expect(showsText(s, text), `${this.redact(describeCopy(s))}\ndoes not show "${text}"`).to.equal(true);
});

step(['the slip shows the amount {amount}', '结算单显示金额 {amount}'], async function (fen: number) {
  const s = await slip(this);
  expect(showsAmount(s, fen), `${this.redact(describeCopy(s))}\ndoes not show ${formatFen(fen)}`).to.equal(true);
});

// §6: the slip names the merchant, the terminal and the batch it settles.
step(['the slip shows the merchant, terminal and batch numbers', '结算单显示商户编号、终端编号和批次号'], async function () {
  const [s, { batch }] = [await slip(this), await lastSettlement(this)];
  const missing = [this.terminalConfig().merchant!.merchantId, this.lab.terminalId, batch!].filter((t) => !showsText(s, t));
  expect(missing, `${this.redact(describeCopy(s))}\ndoes not show (merchant, terminal, batch)`).to.deep.equal([]);
});

// A batch of sales only: its debit count and total (the host's own records) are the slip's 消费/SALE row (§6).
step(['the slip shows the count and total of the sales the host recorded', '结算单显示主机记录的消费笔数和金额'], async function () {
  const [s, { batch }] = [await slip(this), await lastSettlement(this)];
  const { debitCount: n, debitAmount: fen } = this.host.settlementTotals(this.lab.terminalId, batch!).domestic;
  const problem = `does not show the host's ${n} sale(s) totalling ${formatFen(fen)} on its 消费/SALE row`;
  expect(showsFigures(s, SLIP_SALE_ROW, n, fen), `${this.redact(describeCopy(s))}\n${problem}`).to.equal(true);
});
