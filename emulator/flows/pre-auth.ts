/**
 * 预授权 (pre-authorization family, sub-menu 6): 1.预授权 (amount, card, PIN; 0100 F3 030000 F25 06
 * 60.1 10; kept apart from the batch), 2.预授权完成 (card, auth code, amount, PIN; 0200 F3 000000
 * F25 06 60.1 20, F38, F61; a debit of the batch), 3.预授权撤销 (card, auth code, amount only when
 * the pre-authorization is not on this terminal; 0100 F3 200000 F25 06 60.1 11; no PIN), 4.追加预授权
 * where the profile offers it (additionalPreAuth; card, auth code, amount, PIN; 0100 F3 030000 F25 60
 * 60.1 10, F38 = the original auth code, F61 = 16 zeros, cup8583.md §3.1 / §2.5; raises the kept
 * pre-authorization's amount to the new total, so a later void names the total).
 * A completion uses up the kept pre-authorization once approved (defect `declined-completion-consumes-preauth`:
 * on a decline too); defect `preauth-void-skips-sign-on-check` sends a 预授权撤销 without the sign-on check,
 * MACed under the PED's empty key slots when no working keys are loaded; defect `preauth-void-drops-all-preauths`
 * forgets every kept pre-authorization on an approved 预授权撤销, not only the voided one.
 */
import type { WorkingKeys } from '../../crypto';
import { formatField61 } from '../../protocol/iso8583';
import type { StoredTransaction } from '../state-store';
import type { CardRead } from '../services/card-reader';
import { T, kindLabel, type Bilingual } from '../texts';
import {
  Flow,
  type FlowContext,
  type FlowResult,
  CARD_DEFECTS,
  ONLINE_DEFECTS,
  PIN_DEFECTS,
  RESULT_DEFECTS,
  REVERSAL_DEFECTS,
  VOUCHER_DEFECTS,
} from './types';

/** What a PED's key slots hold before any working key was loaded (defect preauth-void-skips-sign-on-check). */
const UNLOADED_PED_KEYS: WorkingKeys = Object.freeze({ pik: Buffer.alloc(16), mak: Buffer.alloc(16) });

/** F61 pointing at the pre-authorization (zeros when it is not on this terminal). */
function originalOf(preAuth: StoredTransaction | undefined): string {
  return formatField61({
    originalBatch: preAuth?.batch ?? '000000',
    originalTrace: preAuth?.trace ?? '000000',
    originalDate: preAuth ? preAuth.date.slice(5, 7) + preAuth.date.slice(8, 10) : '0000',
  });
}

/**
 * What a completion and a 追加预授权 both ask, in this order (cup8583.md §3.1): the card (an expired
 * one refused), the original's authorization code, the amount and the PIN; with the kept
 * pre-authorization they name, when it is on this terminal. A refusal comes back as the flow's result.
 */
async function referencedPreAuth(
  { core, ui, cards }: FlowContext,
  title: Bilingual,
  authScreen: string,
): Promise<{ refused: FlowResult } | { read: CardRead; authCode: string; amount: number; pin: string; preAuth: StoredTransaction | undefined }> {
  const read = await cards.read(title, undefined);
  const expired = cards.refuseExpired(title, read);
  if (expired) return { refused: expired };
  const authCode = await ui.enterText(title, T.enterAuthCode, authScreen, 6);
  const amount = await ui.enterAmount(title);
  const pin = await ui.enterPin(title, amount);
  const preAuth = core.state.preAuths.find((p) => p.authCode === authCode && p.pan === read.card.pan);
  return { read, authCode, amount, pin, preAuth };
}

export const preAuth: Flow = {
  name: 'preauth',
  menu: { key: '1', label: kindLabel('preauth'), under: 'pre-auth' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...PIN_DEFECTS,
    ...VOUCHER_DEFECTS,
    'expired-card-accepted',
    'script-result-not-sent',
  ],
  async run({ ui, cards, requests, online, transactions }) {
    const title = kindLabel('preauth');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title);
    if (notReady) return notReady;
    const amount = await ui.enterAmount(title);
    const read = await cards.read(title, amount);
    const expired = cards.refuseExpired(title, read);
    if (expired) return expired;
    const pin = await ui.enterPin(title, amount);
    const msg = requests.request('preauth', { amount, read: read.method });
    requests.addCard(msg, read, read.card.pan, pin);
    const arqc = requests.addIcc(msg, read, amount, '03');
    const outcome = await online.authorize('preauth', msg, read, title);
    return transactions.conclude('preauth', title, outcome, msg, read, read.card.pan, amount, {}, arqc);
  },
};

export const preAuthCompletion: Flow = {
  name: 'preauth-completion',
  menu: { key: '2', label: kindLabel('preauth-completion'), under: 'pre-auth' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...PIN_DEFECTS,
    ...VOUCHER_DEFECTS,
    'expired-card-accepted',
    'declined-completion-consumes-preauth',
    'clear-ignored-in-text-entry',
  ],
  async run(s) {
    const { core, requests, online, transactions } = s;
    const title = kindLabel('preauth-completion');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title);
    if (notReady) return notReady;
    const asked = await referencedPreAuth(s, title, 'completion-auth');
    if ('refused' in asked) return asked.refused;
    const { read, authCode, amount, pin, preAuth } = asked;
    const msg = requests.request('preauth-completion', { amount, read: read.method });
    msg.set(38, authCode.padEnd(6, ' '));
    msg.set(61, originalOf(preAuth));
    requests.addCard(msg, read, read.card.pan, pin);
    const outcome = await online.authorize('preauth-completion', msg, read, title);
    const result = await transactions.conclude('preauth-completion', title, outcome, msg, read, read.card.pan, amount, {
      original: { authCode, ...(preAuth ? { trace: preAuth.trace } : {}) },
    });
    // The defect uses the pre-authorization up on any answer of the host, a decline too. The defect call goes
    // first so that, with defects off, nothing after it is evaluated.
    if ((outcome.approved && preAuth) || (core.defect('declined-completion-consumes-preauth') && preAuth && outcome.reply !== undefined)) {
      core.state.preAuths = core.state.preAuths.filter((p) => p !== preAuth);
      core.persist();
    }
    return result;
  },
};

/** F61 of a 追加预授权: 16 zeros (cup8583.md §2.5, LY); F38 names the original instead. */
const ADD_F61 = formatField61({ originalBatch: '000000', originalTrace: '000000', originalDate: '0000' });

export const preAuthAdd: Flow = {
  name: 'preauth-add',
  menu: { key: '4', label: kindLabel('preauth-add'), under: 'pre-auth' },
  offered: (profile) => profile.additionalPreAuth,
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...PIN_DEFECTS,
    ...VOUCHER_DEFECTS,
    'expired-card-accepted',
    'preauth-add-sent-as-preauth',
    'clear-ignored-in-text-entry',
  ],
  async run(s) {
    const { core, requests, online, transactions } = s;
    const title = kindLabel('preauth-add');
    const notReady = (await transactions.readyToTransact(title)) ?? transactions.batchFull(title);
    if (notReady) return notReady;
    const asked = await referencedPreAuth(s, title, 'preauth-add-auth');
    if ('refused' in asked) return asked.refused;
    const { read, authCode, amount, pin, preAuth } = asked;
    const msg = requests.request('preauth-add', { amount, read: read.method });
    // The defect keeps the pre-authorization's F25 (06): the acquirer then reads a second pre-authorization.
    if (core.defect('preauth-add-sent-as-preauth')) msg.set(25, '06');
    msg.set(38, authCode.padEnd(6, ' '));
    msg.set(61, ADD_F61);
    requests.addCard(msg, read, read.card.pan, pin);
    const arqc = requests.addIcc(msg, read, amount, '03');
    const outcome = await online.authorize('preauth-add', msg, read, title);
    const total = preAuth ? preAuth.amount + amount : undefined;
    const result = await transactions.conclude(
      'preauth-add',
      title,
      outcome,
      msg,
      read,
      read.card.pan,
      amount,
      { original: { authCode, ...(preAuth ? { trace: preAuth.trace } : {}) }, ...(total !== undefined ? { preAuthTotal: total } : {}) },
      arqc,
    );
    if (outcome.approved && preAuth && total !== undefined) {
      preAuth.amount = total;
      core.persist();
    }
    return result;
  },
};

export const preAuthVoid: Flow = {
  name: 'preauth-void',
  menu: { key: '3', label: kindLabel('preauth-void'), under: 'pre-auth' },
  defects: [
    ...ONLINE_DEFECTS,
    ...CARD_DEFECTS,
    ...REVERSAL_DEFECTS,
    ...RESULT_DEFECTS,
    ...VOUCHER_DEFECTS,
    'preauth-void-skips-sign-on-check',
    'preauth-void-drops-all-preauths',
    'clear-ignored-in-text-entry',
  ],
  async run({ core, ui, cards, requests, online, transactions }) {
    const title = kindLabel('preauth-void');
    // The defect goes on without the sign-on check (and without its sign-on attempt): with no working keys
    // loaded the PED's empty key slots (zeros) serve. The defect call goes first so that, with defects off,
    // nothing after it is evaluated.
    if (core.defect('preauth-void-skips-sign-on-check')) core.keys ??= UNLOADED_PED_KEYS;
    const notReady = core.defect('preauth-void-skips-sign-on-check') ? undefined : await transactions.readyToTransact(title);
    if (notReady) return notReady;
    const read = await cards.read(title, undefined);
    const authCode = await ui.enterText(title, T.enterAuthCode, 'pre-auth-void-auth', 6);
    const preAuth = core.state.preAuths.find((p) => p.authCode === authCode && p.pan === read.card.pan);
    const amount = preAuth?.amount ?? (await ui.enterAmount(title));
    const msg = requests.request('preauth-void', { amount, read: read.method });
    msg.set(38, authCode.padEnd(6, ' '));
    msg.set(61, originalOf(preAuth));
    requests.addCard(msg, read, read.card.pan, '');
    const outcome = await online.authorize('preauth-void', msg, read, title);
    const result = await transactions.conclude('preauth-void', title, outcome, msg, read, read.card.pan, amount, {
      original: { authCode, ...(preAuth ? { trace: preAuth.trace } : {}) },
    });
    if (outcome.approved && preAuth) {
      // Defect preauth-void-drops-all-preauths: every kept pre-authorization is forgotten, not only the voided one.
      // The defect call goes first so that, with defects off, nothing after it is evaluated.
      core.state.preAuths = core.defect('preauth-void-drops-all-preauths') ? [] : core.state.preAuths.filter((p) => p !== preAuth);
      core.persist();
    }
    return result;
  },
};
