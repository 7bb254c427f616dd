/**
 * 撤销 (void): the supervisor password when the profile has one, the original voucher number, the
 * confirmation screen (none for an ECR request), no card and no PIN unless the profile reads them; the request is the original kind's void kind in the catalogue (`void`: 0200 F3
 * 200000 60.1 23; `preauth-completion-void`: 60.1 21, F25 06) with F37/F38 of the original and
 * F61 = its batch + trace. The original is marked voided once approved (defect
 * `failed-void-marks-original-voided`: also when the void was sent and got no reply).
 */
import { maskPan } from '../../crypto';
import { formatField61, transactionSpec } from '../../protocol/iso8583';
import { Bilingual, T, formatAmount, kindLabel } from '../texts';
import { Flow, FlowResult, CARD_DEFECTS, ONLINE_DEFECTS, RESULT_DEFECTS, REVERSAL_DEFECTS, VOUCHER_DEFECTS } from './types';

export const voidFlow: Flow = {
  name: 'void',
  menu: { key: '3', label: kindLabel('void') },
  ecr: { request: 'void' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...VOUCHER_DEFECTS,
    'supervisor-password-not-checked',
    'failed-void-marks-original-voided',
  ],
  async run({ core, ui, cards, requests, online, transactions }, ecr) {
    const title = kindLabel('void');
    const notReady = (await transactions.readyToTransact(title)) ?? (await transactions.supervisor(title));
    if (notReady) return notReady;
    const trace = ecr?.originalTrace ?? (await ui.enterDigits(title, T.enterVoucherNo, 'void-trace', { min: 1, max: 6 }));
    const original = transactions.findInBatch(trace.padStart(6, '0'));
    const refuse = (text: Bilingual): FlowResult => {
      ui.refuse([ui.t(title), ui.t(text)]);
      return { approved: false, message: ui.t(text) };
    };
    if (!original) return refuse(T.voucherNotFound);
    if (original.voided) return refuse(T.alreadyVoided);
    const voidKind = transactionSpec(original.kind).voidKind;
    if (voidKind !== 'void' && voidKind !== 'preauth-completion-void') return refuse(T.cannotVoid);
    if (!ecr) {
      await ui.confirm('void-confirm', [
        ui.t(T.confirmVoid),
        `${ui.t(T.originalVoucher)}${original.trace}`,
        maskPan(original.pan),
        `${ui.t(T.amount)}${formatAmount(original.amount)}`,
      ]);
    }
    // The profile may have the card read again (it must be the original's) and the PIN asked.
    const rules = core.host.profile.profile.supervisor.void;
    const read = rules.readsCard ? await cards.read(title, original.amount) : undefined;
    if (read && read.card.pan !== original.pan) return refuse(T.cardMismatch);
    const pin = read && rules.asksPin ? await ui.enterPin(title, original.amount) : '';
    const msg = requests.request(voidKind, { amount: original.amount, read: read?.method ?? 'manual' });
    requests.addCard(msg, read, original.pan, pin);
    msg.set(37, original.rrn || '000000000000');
    if (original.authCode) msg.set(38, original.authCode.padEnd(6, ' '));
    msg.set(61, formatField61({ originalBatch: original.batch, originalTrace: original.trace }));
    const outcome = await online.authorize(voidKind, msg, read, title);
    const result = await transactions.conclude('void', title, outcome, msg, read, original.pan, original.amount, {
      original: { trace: original.trace, rrn: original.rrn, authCode: original.authCode },
      ...(original.payee ? { payee: original.payee } : {}),
    });
    // The defect marks the original voided once the void is sent (F11 set) and never undoes it when no reply comes.
    // The defect call goes first so that, with defects off, nothing after it is evaluated.
    if ((result.approved && outcome.approved) || (core.defect('failed-void-marks-original-voided') && outcome.reply === undefined && msg.has(11))) {
      original.voided = true;
      core.persist();
    }
    return result;
  },
};
