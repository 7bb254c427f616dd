/**
 * Judging the end of a chip (contact) transaction: a conformant terminal reminds the cardholder to
 * take the card back (请拔卡 / 请取卡 …, with beeps while it stays) and does not return to idle with
 * the card still in the reader. Pure: the caller hands in what it observed after the transaction.
 * Terminals word the reminder differently, so it is judged by meaning: any of the known wordings.
 */

/** Wordings that ask the cardholder to take the card out of the reader (Chinese and English screens). */
export const REMOVE_CARD_WORDINGS: readonly string[] = [
  '请拔卡',
  '请取卡',
  '请取走卡片',
  '请取出卡片',
  '请拔出卡片',
  '请取回卡片',
  '请拔出银行卡',
  '请取走银行卡',
  'REMOVE CARD',
  'TAKE CARD',
  'PLEASE REMOVE CARD',
  'TAKE YOUR CARD',
];

function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】]/g, '').toUpperCase();
}

/** The removal wording a screen shows, or undefined. */
export function removalWordingOn(lines: readonly string[]): string | undefined {
  const screen = normalise(lines.join(''));
  return REMOVE_CARD_WORDINGS.find((w) => screen.includes(normalise(w)));
}

/** What was seen between the end of the transaction and the card's removal (or the end of the wait). */
export interface CardLeftObservation {
  /** Every screen shown while the card stayed in the reader, in order. */
  screens: ReadonlyArray<{ state?: string; lines: readonly string[] }>;
  /** TTP `beep` events while the card stayed (key-press echoes excluded by the caller). */
  beeps: number;
}

export interface CardRemovalVerdict {
  ok: boolean;
  /** Why not, in words a lab can act on. */
  problems: string[];
  wording?: string;
}

/** States in which a terminal is at rest, ready for the next transaction. */
const AT_REST = ['idle', 'sign-on-required'];

/** Did the terminal remind the cardholder, beep, and stay out of idle while the card was left in? */
export function judgeCardLeftInReader(seen: CardLeftObservation): CardRemovalVerdict {
  const problems: string[] = [];
  const wording = seen.screens.map((s) => removalWordingOn(s.lines)).find((w) => w !== undefined);
  if (!wording) {
    problems.push(`no screen asked to remove the card (expected one of: ${REMOVE_CARD_WORDINGS.join(' / ')})`);
  }
  if (seen.beeps === 0) problems.push('no beep while the card stayed in the reader');
  const rest = seen.screens.find((s) => AT_REST.includes(s.state ?? ''));
  if (rest) problems.push(`the terminal returned to ${rest.state} with the card still in the reader: "${rest.lines.join(' / ')}"`);
  return { ok: problems.length === 0, problems, ...(wording ? { wording } : {}) };
}

/** The TTP frames the driver recorded (drivers/transcript.ts entries), as far as this judgement reads them. */
export interface RecordedFrame {
  seq: number;
  dir: 'tx' | 'rx';
  message?: unknown;
}

/** What the terminal showed and how often it beeped (key echoes left out) in the frames after `afterSeq`. */
export function observeCardLeft(frames: readonly RecordedFrame[], afterSeq: number): CardLeftObservation {
  const screens: Array<{ state?: string; lines: readonly string[] }> = [];
  let beeps = 0;
  for (const f of frames) {
    if (f.seq <= afterSeq || f.dir !== 'rx' || !f.message || typeof f.message !== 'object') continue;
    const m = f.message as { evt?: unknown; kind?: unknown; state?: unknown; lines?: unknown };
    const state = typeof m.state === 'string' ? m.state : undefined;
    if (m.evt === 'beep' && m.kind !== 'key') beeps++;
    else if (m.evt === 'display' && Array.isArray(m.lines)) screens.push({ ...(state ? { state } : {}), lines: m.lines.map(String) });
    else if (m.evt === 'state' && state) screens.push({ state, lines: [] });
  }
  return { screens, beeps };
}
