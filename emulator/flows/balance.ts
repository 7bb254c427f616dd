/**
 * 余额查询 (balance inquiry): card, PIN; 0200 F3 310000 60.1 01; the balance comes in F54 and is
 * shown, nothing is printed or stored.
 */
import { parseBalance } from '../../protocol/iso8583';
import { T, formatAmount, kindLabel } from '../texts';
import { Flow, CARD_DEFECTS, ONLINE_DEFECTS, PIN_DEFECTS } from './types';

export const balance: Flow = {
  name: 'balance',
  menu: { key: '5', label: kindLabel('balance') },
  ecr: { request: 'balance' },
  defects: [...ONLINE_DEFECTS, ...CARD_DEFECTS, ...PIN_DEFECTS, 'expired-card-accepted', 'script-result-not-sent'],
  async run({ ui, cards, requests, online, transactions }) {
    const title = kindLabel('balance');
    const notReady = await transactions.readyToTransact(title);
    if (notReady) return notReady;
    const read = await cards.read(title, undefined);
    const expired = cards.refuseExpired(title, read);
    if (expired) return expired;
    const pin = await ui.enterPin(title, undefined);
    const msg = requests.request('balance', { read: read.method });
    requests.addCard(msg, read, read.card.pan, pin);
    requests.addIcc(msg, read, 0, '31');
    const outcome = await online.authorize('balance', msg, read, title);
    if (outcome.failure || !outcome.approved) {
      const code = outcome.responseCode ?? '';
      const lines = outcome.failure ? [ui.t(title), ui.t(T.failed), ui.t(outcome.failure)] : transactions.declineLines(title, code);
      ui.refuse(lines, { transaction: 'balance', responseCode: code });
      return { approved: false, responseCode: outcome.responseCode, message: lines[2], pan: read.card.pan };
    }
    let balanceText = '';
    try {
      balanceText = formatAmount(parseBalance(outcome.reply!.getString(54) ?? '').amount);
    } catch {
      balanceText = '--';
    }
    ui.show('balance', 'result', [ui.t(title), ui.t(T.balanceOk), ui.t(T.availableBalance), balanceText], {
      transaction: 'balance',
      responseCode: outcome.responseCode,
    });
    ui.beep('ok');
    return { approved: true, responseCode: outcome.responseCode, message: `${ui.t(T.availableBalance)}${balanceText}`, pan: read.card.pan };
  },
};
