/**
 * 消费 (sale): amount, card, PIN, 0200 F3 000000 60.1 22, voucher (cup8583.md §3.5). A tap at or
 * under the profile's no-PIN limit goes without the PIN prompt (小额免密, emulator/quickpass.ts). A
 * profile with partialApproval sends 60.6 = 1 and concludes a 10 at the approved amount (transactions.ts).
 */
import { T, kindLabel } from '../texts';
import { tapWithoutPin } from '../quickpass';
import { Flow, CARD_DEFECTS, ONLINE_DEFECTS, PIN_DEFECTS, RESULT_DEFECTS, REVERSAL_DEFECTS, VOUCHER_DEFECTS } from './types';

export const sale: Flow = {
  name: 'sale',
  menu: { key: '1', label: kindLabel('sale') },
  ecr: { request: 'sale' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...PIN_DEFECTS,
    ...VOUCHER_DEFECTS,
    'expired-card-accepted',
    'script-result-not-sent',
    'qps-limit-ignored',
    'qps-9f34-wrong',
    'partial-approval-requested-amount-printed',
    'e-signature-wrong-trace',
  ],
  async run({ ui, cards, requests, online, transactions, core }, ecr) {
    const title = kindLabel('sale');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title);
    if (notReady) return notReady;
    const amount = transactions.ecrAmount(ecr) ?? (await ui.enterAmount(title));
    const read = await cards.read(title, amount);
    const expired = cards.refuseExpired(title, read);
    if (expired) return expired;
    const noPin = tapWithoutPin(read.method, amount, core.quickPassLimits(), core.host.defects);
    const pin = noPin ? '' : await ui.enterPin(title, amount);
    const msg = requests.request('sale', { amount, read: read.method });
    requests.addCard(msg, read, read.card.pan, pin);
    const arqc = requests.addIcc(msg, read, amount, '00');
    const outcome = await online.authorize('sale', msg, read, title);
    return transactions.conclude('sale', title, outcome, msg, read, read.card.pan, amount, {}, arqc);
  },
};
