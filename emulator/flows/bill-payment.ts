/**
 * 缴费 (bill payment): amount, payee name and account (from the keypad or the ECR request), the
 * confirmation screen, card, PIN; 0200 F3 500000 60.1 22 with the payee in F62.
 */
import { encodeBillPayee } from '../../protocol/iso8583';
import { T, formatAmount, kindLabel } from '../texts';
import { Flow, CARD_DEFECTS, ONLINE_DEFECTS, PIN_DEFECTS, RESULT_DEFECTS, REVERSAL_DEFECTS, VOUCHER_DEFECTS } from './types';

export const billPayment: Flow = {
  name: 'bill-payment',
  menu: { key: '2', label: kindLabel('bill-payment') },
  ecr: { request: 'bill-payment' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...PIN_DEFECTS,
    ...VOUCHER_DEFECTS,
    'e-signature-wrong-trace',
    'expired-card-accepted',
    'payee-not-shown',
    'script-result-not-sent',
    'clear-ignored-in-text-entry',
  ],
  async run({ core, ui, cards, requests, online, transactions }, ecr) {
    const title = kindLabel('bill-payment');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title);
    if (notReady) return notReady;
    const amount = transactions.ecrAmount(ecr) ?? (await ui.enterAmount(title));
    const name = ecr?.payee?.name ?? (await ui.enterText(title, T.enterPayeeName, 'payee-name', 40));
    const account = ecr?.payee?.account ?? (await ui.enterDigits(title, T.enterPayeeAccount, 'payee-account', { min: 1, max: 32 }));
    const reference = ecr?.payee?.reference;
    const payee = { name, account, ...(reference ? { reference } : {}) };
    const payeeBytes = encodeBillPayee(payee); // validates before anything is shown
    const lines = [ui.t(T.confirmBill)];
    if (!core.defect('payee-not-shown')) lines.push(`${ui.t(T.payee)}${name}`, `${ui.t(T.payeeAccount)}${account}`);
    lines.push(`${ui.t(T.amount)}${formatAmount(amount)}`);
    await ui.confirm('bill-confirm', lines);
    const read = await cards.read(title, amount);
    const expired = cards.refuseExpired(title, read);
    if (expired) return expired;
    const pin = await ui.enterPin(title, amount);
    const msg = requests.request('bill-payment', { amount, read: read.method });
    msg.set(62, payeeBytes);
    requests.addCard(msg, read, read.card.pan, pin);
    const arqc = requests.addIcc(msg, read, amount, '00');
    const outcome = await online.authorize('bill-payment', msg, read, title);
    return transactions.conclude('bill-payment', title, outcome, msg, read, read.card.pan, amount, { payee }, arqc);
  },
};
