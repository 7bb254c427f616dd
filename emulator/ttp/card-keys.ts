/**
 * The emulator's TTP `key` and `card` commands (the operator's hands: keypad, free text, card
 * reader), and the card image check. Split out of terminal.ts (issue 11: no source file over 500
 * lines); terminal.ts dispatches to these and re-exports cardImageProblem.
 */
import { TTP_CARD_METHODS, TTP_KEYS, type TtpCardImage, type TtpRequest, isTtpKey } from '../../protocol/ttp';
import { KEY_SETTLE_MS, type LooseTtpRequest, type TtpCommandContext } from './context';

/** TTP `key`: presses keys (and types `text` / `x-text`); replies once each input has settled. */
export async function handleKeyCommand(ctx: TtpCommandContext, req: TtpRequest): Promise<void> {
  const r = req as LooseTtpRequest;
  const session = ctx.session;
  // `text` / `x-text` types a whole string in the keypad's alpha mode (payee names in Chinese).
  const keys = r.keys === undefined ? [] : r.keys;
  const text = r['x-text'] ?? r.text;
  if (!Array.isArray(keys)) {
    ctx.fail(req, 'bad-request', 'keys must be an array of key names', { field: 'keys' });
    return;
  }
  const bad = keys.filter((k) => !isTtpKey(k));
  if (bad.length > 0) {
    ctx.fail(req, 'bad-request', `unknown key(s) ${JSON.stringify(bad)}; known: ${TTP_KEYS.join(' ')}`, { field: 'keys' });
    return;
  }
  if (text !== undefined && typeof text !== 'string') {
    ctx.fail(req, 'bad-request', 'x-text must be a string', { field: 'x-text' });
    return;
  }
  if (keys.length === 0 && !text) {
    ctx.fail(req, 'bad-request', 'give keys (array of key names) or x-text', { field: 'keys' });
    return;
  }
  const interval = typeof r.intervalMs === 'number' && r.intervalMs > 0 ? Math.min(r.intervalMs, 1000) : 0;
  if (text) {
    session.inputs.push({ kind: 'text', text });
    await session.inputs.whenSettled(KEY_SETTLE_MS);
  }
  for (const key of keys as string[]) {
    if (interval > 0) await new Promise((res) => setTimeout(res, interval));
    ctx.emit({ evt: 'beep', kind: 'key' });
    session.inputs.push({ kind: 'key', key });
    await session.inputs.whenSettled(KEY_SETTLE_MS);
  }
  ctx.reply(req, {});
}

/** TTP `card`: presents (swipe, insert, tap) or removes a card image. */
export async function handleCardCommand(ctx: TtpCommandContext, req: TtpRequest): Promise<void> {
  const r = req as LooseTtpRequest;
  const session = ctx.session;
  if (r.action === 'remove') {
    // TTP §6.5: nothing to take out is invalid-state (the harness's "remove any leftover card" expects it).
    if (!ctx.slotOccupied && !session.cardInSlot) {
      ctx.fail(req, 'invalid-state', 'no card is in the reader', { state: ctx.currentState });
      return;
    }
    ctx.slotOccupied = false;
    session.cardInserted(undefined);
    session.inputs.push({ kind: 'card-removed' });
    await session.inputs.whenSettled(KEY_SETTLE_MS);
    ctx.reply(req, {});
    return;
  }
  if (r.action !== 'present') {
    ctx.fail(req, 'bad-request', `card action must be present or remove, got ${JSON.stringify(r.action)}`);
    return;
  }
  const method = r.method as string;
  if (!(TTP_CARD_METHODS as readonly string[]).includes(method)) {
    ctx.fail(req, 'bad-request', `card method must be swipe, insert or tap, got ${JSON.stringify(method)}`, { field: 'method' });
    return;
  }
  const capability = method === 'swipe' ? 'magstripe' : method === 'insert' ? 'contact' : 'contactless';
  if (!ctx.capabilities[capability]) {
    ctx.fail(req, 'not-supported', `this terminal has no ${capability} reader`, { method });
    return;
  }
  const problem = cardImageProblem(r.card);
  if (problem) {
    ctx.fail(req, 'bad-request', `card image: ${problem}`, { field: 'card' });
    return;
  }
  const card = r.card as TtpCardImage;
  if (card.interfaces && !card.interfaces.includes(method as never)) {
    ctx.fail(req, 'not-supported', `card ${card.name ?? ''} cannot be read by ${method} (its interfaces: ${card.interfaces.join(', ')})`, { method });
    return;
  }
  if (method === 'insert') {
    session.cardInserted(card);
    ctx.slotOccupied = true;
  }
  session.inputs.push({ kind: 'card', method: method as 'swipe' | 'insert' | 'tap', card });
  await session.inputs.whenSettled(KEY_SETTLE_MS);
  ctx.reply(req, {});
}

/** Why a TTP card image cannot be read, or undefined when it is fine. */
export function cardImageProblem(card: unknown): string | undefined {
  if (typeof card !== 'object' || card === null) return 'missing (give the card image object)';
  const c = card as Record<string, unknown>;
  if (typeof c.pan !== 'string' || !/^\d{12,19}$/.test(c.pan)) return 'pan must be 12 to 19 digits';
  if (typeof c.expiry !== 'string' || !/^\d{2}(0[1-9]|1[0-2])$/.test(c.expiry)) return 'expiry must be YYMM';
  if (typeof c.serviceCode !== 'string' || !/^\d{3}$/.test(c.serviceCode)) return 'serviceCode must be 3 digits';
  if (c.track2 !== undefined && (typeof c.track2 !== 'string' || !/^\d{12,19}=\d{4,20}$/.test(c.track2))) return 'track2 must be PAN=digits';
  if (c.psn !== undefined && (typeof c.psn !== 'string' || !/^\d{1,3}$/.test(c.psn))) return 'psn must be digits';
  if (c.chipFault !== undefined && c.chipFault !== 'mute') return 'chipFault must be "mute" (a chip that does not answer) or absent';
  if (c.emv !== undefined) {
    const e = c.emv as Record<string, unknown>;
    if (typeof e !== 'object' || e === null) return 'emv must be an object';
    if (typeof e.aid !== 'string' || !/^([0-9A-Fa-f]{2}){5,16}$/.test(e.aid)) return 'emv.aid must be 10..32 hex digits';
    if (typeof e.atc !== 'number' || !Number.isInteger(e.atc)) return 'emv.atc must be an integer';
    if (e.imk === undefined && e.iccMasterKey === undefined) return 'emv needs imk or iccMasterKey';
    if (typeof e.applicationLabel !== 'string') return 'emv.applicationLabel must be a string';
  }
  return undefined;
}
