/**
 * 退货 (refund): the supervisor password when the profile has one, card, original reference number
 * (12), original date (MMDD), amount; the PIN when the profile asks it;
 * 0220 F3 200000 60.1 25, F37 = the original RRN, F61 = zeros + MMDD, F63 = the original's card
 * organisation (`CUP`, `VIS`, …; `000` when the batch no longer holds it, §2.6). Not reversible.
 */
import { formatField61, UNKNOWN_CARD_ORGANISATION } from '../../protocol/iso8583';
import { T, kindLabel } from '../texts';
import { Flow, CARD_DEFECTS, ONLINE_DEFECTS, RESULT_DEFECTS, VOUCHER_DEFECTS } from './types';

export const refund: Flow = {
  name: 'refund',
  menu: { key: '4', label: kindLabel('refund') },
  ecr: { request: 'refund' },
  defects: [...ONLINE_DEFECTS, ...CARD_DEFECTS, ...RESULT_DEFECTS, ...VOUCHER_DEFECTS, 'supervisor-password-not-checked'],
  async run({ core, ui, cards, requests, online, transactions }, ecr) {
    const title = kindLabel('refund');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title) ?? (await transactions.supervisor(title));
    if (notReady) return notReady;
    const read = await cards.read(title, undefined);
    const rrn = ecr?.originalRrn ?? (await ui.enterDigits(title, T.enterOrigRrn, 'refund-rrn', { min: 12, max: 12 }));
    const date = ecr?.originalDate ?? (await ui.enterDigits(title, T.enterOrigDate, 'refund-date', { min: 4, max: 4 }));
    const amount = transactions.ecrAmount(ecr) ?? (await ui.enterAmount(title));
    const pin = core.host.profile.profile.supervisor.refund.asksPin ? await ui.enterPin(title, amount) : '';
    const msg = requests.request('refund', { amount, read: read.method });
    msg.set(37, rrn);
    msg.set(61, formatField61({ originalBatch: '000000', originalTrace: '000000', originalDate: date }));
    // 63.1 = the original's card organisation (cup8583.md §2.6: LY, PAX PackRefund), as its reply named it when
    // this batch holds it; 000 (unknown) for an original the terminal no longer holds, e.g. one already settled.
    const original = core.state.batch.find((t) => t.rrn === rrn && t.kind !== 'void' && t.kind !== 'refund');
    msg.set(63, original?.cardOrganisation ?? UNKNOWN_CARD_ORGANISATION);
    requests.addCard(msg, read, read.card.pan, pin);
    const outcome = await online.authorize('refund', msg, read, title);
    return transactions.conclude('refund', title, outcome, msg, read, read.card.pan, amount, { original: { rrn, date } });
  },
};
