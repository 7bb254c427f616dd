// The words of the by-hand steps (drivers/operator-script.ts): what the person at an operator
// terminal is told and asked, with the failure each "no" records.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import { COUNT_COPIES, ask, tell } from '../../drivers/operator-script';

describe('operator script', () => {
  test('instructions name the card by its label, the amount in 元, the ECR payee', () => {
    expect(tell.presentCard('insert', 'UP-DEBIT-IC (card number 622202******1234)')).to.equal(
      'Insert test card UP-DEBIT-IC (card number 622202******1234) into the chip reader (leave it in until the terminal says to remove it).',
    );
    expect(tell.presentCard('tap', 'X')).to.equal('Tap test card X on the contactless reader.');
    expect(tell.amount('100.00')).to.equal('Key the amount 100.00 and press ENTER (确认).');
    expect(tell.ecrBillPayment('88.00', '电费', '310000123456')).to.match(
      /^On the cash register .* start 缴费 \(bill payment\) of 88\.00 to payee “电费”, account “310000123456”\.$/,
    );
    expect(tell.selectMenu('消费')).to.equal("On the terminal's main menu, choose “消费”.");
  });

  test('questions name the copy in both languages and say what a "no" means', () => {
    expect(ask.signatureLine('merchant')).to.deep.equal({
      question: "Does the merchant copy (商户存根) have a line for the cardholder's signature (持卡人签名)?",
      failure: 'the merchant copy has no signature line',
    });
    expect(ask.noSignatureLine('cardholder').failure).to.equal('the cardholder copy asks for a signature');
    expect(ask.copyShows('vendor-copy', 'X').question).to.equal('Does the vendor-copy show “X”?');
    expect(ask.everyCopyShowsAmount('1.00').failure).to.equal('a voucher copy does not show the amount 1.00');
    expect(ask.screenShows('交易成功').failure).to.equal('the screen did not show "交易成功"');
    expect(COUNT_COPIES).to.match(/how many voucher copies/);
  });
});
