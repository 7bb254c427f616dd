/**
 * Magstripe fallback (磁条降级) as the harness sees it: a card whose chip does not answer (TTP card
 * image `chipFault: mute`, a dead-chip test card on a real bench), the terminal's invitation to swipe
 * it instead, its refusal of a chip card swiped before the chip was tried (请插卡), and the fallback
 * markers of the request (cup8583.md §2.3 F22 80x, or 02x with §2.4 60.5 = 2; no F55). Terminals word
 * their screens differently, so screens are judged by meaning: any of the known wordings.
 */
import type { TtpCardImage } from '../protocol/ttp';
import { parseField60 } from '../protocol/iso8583';
import { removalWordingOn } from './card-removal';

/** The image of the same card with a chip that does not answer (no answer to reset). */
export function withDeadChip(image: TtpCardImage): TtpCardImage {
  return { ...image, chipFault: 'mute' };
}

/** Wordings that invite the cardholder to swipe (after a failed chip read). */
export const SWIPE_WORDINGS: readonly string[] = ['请刷卡', '刷卡', '降级', 'SWIPE', 'FALLBACK'];
/** Wordings that send the cardholder to the chip (a chip card swiped first). */
export const USE_CHIP_WORDINGS: readonly string[] = [
  '请插卡',
  '请插入IC卡',
  '请插入芯片卡',
  '请使用芯片',
  '请使用IC卡',
  '插卡',
  'INSERT CARD',
  'INSERT CHIP',
  'USE CHIP',
];

function normalise(text: string): string {
  return text.replace(/[\s,，.。:：;；!！()（）[\]【】/]/g, '').toUpperCase();
}

function wordingOn(lines: readonly string[], wordings: readonly string[]): string | undefined {
  const screen = normalise(lines.join(''));
  return wordings.find((w) => screen.includes(normalise(w)));
}

/** Words of the other readers and of a failed read: the generic prompt (请刷卡/插卡/挥卡) names several readers. */
const OTHER_READER_WORDINGS: readonly string[] = ['插卡', '挥卡', 'INSERT', 'TAP'];
const FAILED_READ_WORDINGS: readonly string[] = ['降级', '失败', '错误', 'FALLBACK', 'ERROR', 'FAIL'];

/**
 * The swipe invitation on a screen. The generic card prompt (请刷卡/插卡/挥卡, still on screen when
 * the step starts looking) is no invitation unless the screen also says the read failed.
 */
export function swipeWordingOn(lines: readonly string[]): string | undefined {
  const generic = wordingOn(lines, OTHER_READER_WORDINGS) !== undefined && wordingOn(lines, FAILED_READ_WORDINGS) === undefined;
  return generic ? undefined : wordingOn(lines, SWIPE_WORDINGS);
}

/** The request to use the chip on a screen; a screen that also offers the swipe (the generic prompt) is none. */
export function useChipWordingOn(lines: readonly string[]): string | undefined {
  return wordingOn(lines, SWIPE_WORDINGS) !== undefined ? undefined : wordingOn(lines, USE_CHIP_WORDINGS);
}

/** A screen seen since the cardholder's action. */
export interface SeenScreen {
  state?: string;
  lines: readonly string[];
}

/** What the harness reads and does while it waits for the terminal's reaction to a card. */
export interface CardReactionView {
  /** Screens since the cardholder presented the card, in order. */
  screens(): readonly SeenScreen[];
  cardInSlot: boolean;
  removeCard(): Promise<void>;
}

/** States in which the terminal has moved on past the card prompt (it took the card). */
const MOVED_ON = ['pin-entry', 'online', 'result', 'printing', 'idle', 'confirm', 'error'];

export interface ReactionVerdict {
  /** The wording found, when the terminal reacted as required. */
  wording?: string;
  /** Why not, in words a lab can act on. */
  problems: string[];
}

async function poll<T>(pick: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = pick();
    if (hit !== undefined || Date.now() >= end) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const describe = (screens: readonly SeenScreen[]) => screens.map((s) => `[${s.state ?? '-'}] ${s.lines.join(' / ')}`).join('; ');

/**
 * After a card with a dead chip was inserted: the terminal must invite a swipe. A terminal that asks
 * for the card back first (请拔卡) gets it; the card is taken out once the swipe is invited, as a
 * cardholder does before swiping.
 */
export async function awaitSwipeInvitation(view: CardReactionView, timeoutMs: number): Promise<ReactionVerdict> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const screens = view.screens();
    const wording = screens.map((s) => swipeWordingOn(s.lines)).find((w) => w !== undefined);
    if (wording) {
      if (view.cardInSlot) await view.removeCard();
      return { wording, problems: [] };
    }
    const movedOn = screens.find((s) => MOVED_ON.includes(s.state ?? ''));
    if (movedOn)
      return { problems: [`after the chip read failed the terminal went to ${movedOn.state} without inviting a swipe: ${describe(screens)}`] };
    if (view.cardInSlot && screens.some((s) => removalWordingOn(s.lines))) await view.removeCard();
    if (Date.now() >= end) {
      return {
        problems: [`no screen invited a swipe after the chip read failed (one of: ${SWIPE_WORDINGS.join(' / ')}); screens: ${describe(screens)}`],
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * After a card the terminal could not read: wait until it has left the card prompt (to read) and
 * come back to one, or moved on, or `timeoutMs` passed; the judgement of what it showed is the caller's.
 */
export async function awaitCardPromptAgain(view: Pick<CardReactionView, 'screens'>, timeoutMs: number): Promise<void> {
  await poll(() => {
    const states = view.screens().map((s) => s.state ?? '');
    const left = states.findIndex((st) => st !== 'card-wait');
    const back = left >= 0 && states.slice(left + 1).includes('card-wait');
    return back || states.some((st) => MOVED_ON.includes(st)) ? true : undefined;
  }, timeoutMs);
}

/**
 * Screens that invite a fallback swipe (a failed read and a swipe prompt, swipeWordingOn), described.
 * Before any chip read failed there must be none: such a screen offers the magstripe of a chip card
 * whose chip nobody tried (cup8583.md §2.3 / §2.4 fallback is for a chip that did not answer).
 */
export function fallbackInvitations(screens: readonly SeenScreen[]): string[] {
  return screens.filter((s) => swipeWordingOn(s.lines) !== undefined).map((s) => describe([s]));
}

/** After a chip card was swiped with no failed chip read: the terminal must send the cardholder to the chip and take nothing. */
export async function awaitUseChipRefusal(view: Pick<CardReactionView, 'screens'>, timeoutMs: number): Promise<ReactionVerdict> {
  const outcome = await poll(() => {
    const screens = view.screens();
    const wording = screens.map((s) => useChipWordingOn(s.lines)).find((w) => w !== undefined);
    if (wording) return { wording, problems: [] };
    const movedOn = screens.find((s) => MOVED_ON.includes(s.state ?? ''));
    if (movedOn)
      return { problems: [`the swiped chip card was taken (the terminal went to ${movedOn.state}) instead of 请插卡: ${describe(screens)}`] };
    return undefined;
  }, timeoutMs);
  return (
    outcome ?? {
      problems: [`no screen sent the cardholder to the chip (one of: ${USE_CHIP_WORDINGS.join(' / ')}); screens: ${describe(view.screens())}`],
    }
  );
}

/**
 * The fallback markers of a request's fields (display values): F22 80x, or 02x with 60.5 = 2;
 * track 2 present; no chip data (F55). Returns what is wrong, empty when the request says fallback.
 */
export function fallbackMarkerProblems(fields: Readonly<Record<number, string>>): string[] {
  const problems: string[] = [];
  const f22 = fields[22];
  const entry = f22?.slice(0, 2);
  let icCondition: string | undefined;
  try {
    icCondition = fields[60] !== undefined ? parseField60(fields[60]).icCondition : undefined;
  } catch {
    problems.push(`F60 ${JSON.stringify(fields[60])} does not decode, so 60.5 cannot say fallback`);
  }
  if (entry !== '80' && !(entry === '02' && icCondition === '2')) {
    problems.push(
      `F22 ${f22 ?? 'absent'} with 60.5 ${icCondition ?? 'absent'} does not say fallback (F22 80x, or 02x with 60.5 = 2, cup8583.md §2.3 / §2.4)`,
    );
  }
  if (fields[35] === undefined) problems.push('a fallback swipe carries track 2 (F35), which is absent');
  if (fields[55] !== undefined) problems.push('a fallback swipe carries no chip data, but F55 is present');
  return problems;
}
