// The surviving mutants of `npm run plan:strength` that no case kills, each with the reason it is
// accounted for (issue 14: "for every surviving mutant either a case or a check that catches it, or an
// entry saying why it is equivalent or outside what a certification can observe"). docs/plan-strength.md
// is generated: a survivor matching an entry here shows its reason there, and an equivalent one leaves
// the score's denominator (no terminal behaviour differs, so no plan could kill it).
//
// An entry matches a mutant by file, mutator, replacement and a piece of the mutated line's source, not
// by id or line number: ids and lines move whenever the emulator changes, the code they mutate does not.

export type SurvivorKind =
  /** No observable behaviour of the terminal differs (same bytes on the wire, same screens and slips). */
  | 'equivalent'
  /** Behaviour differs, but only where a certification run cannot look (named in `why`). */
  | 'unobservable';

export interface AccountedSurvivor {
  file: string;
  mutator: string;
  /** Stryker's replacement text, whitespace collapsed. */
  replacement: string;
  /** A piece of the original line's source (trimmed) that identifies the spot. */
  code: string;
  /** `code` is the whole trimmed line, not a piece: for a line that is also a piece of another one. */
  exact?: boolean;
  kind: SurvivorKind;
  why: string;
}

export const ACCOUNTED: readonly AccountedSurvivor[] = [
  // ---- card reading, UI, ICC, session, void / pre-auth flows (issue 14, survivors of emulator/services/card-reader.ts,
  // ui.ts, icc.ts, session.ts, flows/void.ts, flows/pre-auth.ts)
  {
    file: 'emulator/flows/pre-auth.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "'expired-card-accepted'",
    kind: 'equivalent',
    why: "A name in the flow's `defects` list, which only says which catalogued defects may bite in this flow (SessionCore.defect logs a defect that bites in a flow not listing it; coverage:defects checks the lists). A certification runs with no defect switched on, so the list is never read: same wire, screens and slips.",
  },
  {
    file: 'emulator/flows/void.ts',
    mutator: 'ArrayDeclaration',
    replacement: '[]',
    code: 'defects: [...ONLINE_DEFECTS',
    kind: 'equivalent',
    why: "The void flow's `defects` list emptied: it is read only when a defect is switched on (SessionCore.defect, a log line), never in a certification, where no defect is on. Same wire, screens and slips.",
  },
  {
    file: 'emulator/flows/void.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (read && read.card.pan !== original.pan) return refuse(T.cardMismatch);',
    kind: 'unobservable',
    why: 'Reached only when the profile reads the card for a void (supervisor.void.readsCard, emu:supervisor); the strength run certifies the reference profile, which reads no card, so `read` is undefined there. Under emu:supervisor the plan kills it: every void is refused, and CUP-PAY-020 fails at "the screen shows 交易成功" (certify --tags @CUP-PAY-020 --terminal emu:supervisor: NOT CERTIFIED with it, CERTIFIED without).',
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "emv.keyDerivation === 'B'",
    kind: 'unobservable',
    why: "The software card derives its ICC master key from `emv.imk` only when the card image carries no `emv.iccMasterKey`; the harness's images always carry the derived key (host/cards.ts terminalCardImage: the issuer key never leaves the host), so this line is never reached in a certification. It would matter only for a TTP card image with `imk`, `keyDerivation: B` and a PAN over 16 digits (option B equals option A up to 16 digits), which is the simulated card's business (TTP Annex A.4), not the terminal's.",
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "if (!/^([0-9A-F]{2}){4,}$/.test(apdu)) return '6700';",
    kind: 'unobservable',
    why: "The simulated card answers 6700 to every script command, so DF31 says the script failed at command 1 instead of performed. That status is the card's answer, not the terminal's choice: TTP Annex A.6 leaves issuer scripts out of the simulated-card profile and a real test card with zero-filled secure-messaging MACs would itself reject them. The plan judges what the terminal owes: a 0620 / reversal DF31 naming every script the host sent (CUP-RSK-022, CUP-RSK-023), which still holds.",
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'EqualityOperator',
    replacement: "cla === '84'",
    code: "if (cla !== '84' && cla !== '04') return '6E00';",
    kind: 'unobservable',
    why: "The simulated card no longer answers 6E00 to a class it does not support, so the card book's rejected script (UP-DEBIT-IC-SCRIPT-REJECTED: plain CLA 00) counts as performed instead of failed in DF31. That status is the card's answer: what a card does with an issuer script is outside TTP ICC profile 1 (Annex A.6), so no case may require one. The plan judges what the terminal owes, that every script the host sent is reported, rejected or not (CUP-RSK-022, CUP-RSK-024), which still holds.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "await this.core.inputs.next((i) => i.kind === 'card-removed', 1000, 'remove card');",
    kind: 'equivalent',
    why: "The label of the one-second wait between 请拔卡 beeps: it appears only in the FlowAbort('timeout') message, which untilRemoved catches and drops (it beeps again). Same screens, beeps and wire.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (this.core.insertedCard && prompt !== T.useChip && prompt !== T.fallbackSwipe) {',
    kind: 'unobservable',
    why: '(`prompt !== T.useChip` → true) Differs only while a card sits in the slot and the prompt is 请插入IC卡: the prompt becomes that after a swipe of an untried chip card or a failed tap, and an inserted card is read before either can happen, so it takes a card left in the slot after its chip failed and then a second card tapped or swiped. No case presents two cards at once; the mutant then reads the card in the slot again instead of waiting, which the reference does not address.',
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if (method === 'insert') {",
    kind: 'equivalent',
    why: 'Records the inserted card in SessionCore (insertedCard, insertedCardRead = false), which the TTP `card insert` handler already did with the same two values before it queued the input (emulator/ttp/card-keys.ts session.cardInserted); a queued insert the card prompt does not take at once is dropped by the next wait, so the reader never takes a card removed meanwhile. Same state, same behaviour.',
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if ((method === 'insert' || method === 'tap') && !card.emv) {",
    kind: 'unobservable',
    why: 'Reached only by a card inserted with no chip data; the card book cannot present one (host/config.ts: insert / tap need an emv section; the dead-chip cards keep theirs and are refused as mute). With it the transaction ends on an error screen instead of asking for a card again: either way nothing is sent, and the reference leaves open whether a terminal asks again or ends.',
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show('card-error', 'card-wait', [ui.t(title), ui.t(T.cardUnreadable)]);",
    kind: 'unobservable',
    why: "The screen id of the unreadable-card screen (a firmware's own name, which no case may judge); and the branch is reached only by a card inserted with no chip data, which the card book cannot present (host/config.ts: insert / tap need an emv section).",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.beep('error');",
    kind: 'unobservable',
    why: "The kind of an error beep on the TTP `beep` event (`error` → \"\"); the terminal still beeps. Every `ui.beep('error')` line of the card reader (unreadable card, chip card swiped first, failed chip, tap refused) reads the same, so this covers them all: no case judges beep kinds (drivers/card-removal.ts counts beeps other than key echoes, which an empty kind still is), and a terminal's beep sounds are no UnionPay requirement.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "method !== 'swipe' &&",
    exact: true,
    kind: 'unobservable',
    why: 'The retry of a due IC list download before a chip read also runs before a swipe, but only under a profile with supersededIcLists = used-until-replaced (emu:tc-upload) and while new lists are due; the strength run certifies the reference profile, where usesSupersededIcLists is false. Under tc-upload it adds a download attempt before a swipe, which the reference does not forbid.',
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: 'async pause(ms: number): Promise<void> {',
    kind: 'unobservable',
    why: 'Timing only: pause models printing and dialling when the emulator runs with realisticTiming, which a certification does not switch on (emulator/terminal.ts default false); cases never judge time (speed is measured in bench/).',
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'LogicalOperator',
    replacement: "input.kind === 'key' || /^[1-9]$/.test(input.key)",
    code: "if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);",
    kind: 'unobservable',
    why: "Every key that leaves a result screen is handed on to the idle screen too (ENTER then opens the main menu). TTP §7.3 says only that a result screen is left by any key; what the key does next is a terminal's own, and the harness reaches idle either way (its toIdle cancels a menu). Nothing is sent or printed.",
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);",
    kind: 'unobservable',
    why: '(`\'key\'` → "") A menu digit pressed on a result screen only leaves it instead of also starting that menu entry from idle (a convenience shortcut). The harness leaves result screens with ENTER and selects menus from idle; the reference does not ask for the shortcut.',
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'Regex',
    replacement: '/[1-9]$/',
    code: "if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);",
    kind: 'unobservable',
    why: 'Only F1–F4 (the key names ending in 1–9 that are not menu digits) differ: passed on to the idle screen, which has no entry for them and shows itself again (the same lines; on a tampered terminal one more alert beep). No case presses an F key on a result screen and the reference says nothing of them.',
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (!(e instanceof FlowAbort)) throw e;',
    kind: 'equivalent',
    why: "waitAnyKey's wait can fail otherwise only with PowerLost (a power cut while a result screen shows); swallowed, the dead session throws PowerLost at its next step anyway (show, persist and every input wait check core.alive) before anything is shown, written or sent. Same behaviour.",
  },
  {
    file: 'emulator/session.ts',
    mutator: 'EqualityOperator',
    replacement: "input.key !== 'MENU'",
    code: "if (input.key === 'ENTER' || input.key === 'MENU') {",
    kind: 'unobservable',
    why: "On the idle screen MENU no longer opens the main menu and a digit opens the menu instead of its entry. Which key opens a terminal's menu is its own (TTP §6.4 only names the keys; the harness opens menus with ENTER and picks entries from the menu it reads), so no case may require MENU or the digit shortcut.",
  },
];

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The entry accounting for a survivor, if any. */
export function accountFor(
  m: { file: string; mutator: string; replacement?: string; code?: string },
  entries: readonly AccountedSurvivor[] = ACCOUNTED,
): AccountedSurvivor | undefined {
  return entries.find(
    (e) =>
      e.file === m.file &&
      e.mutator === m.mutator &&
      squash(e.replacement) === squash(m.replacement ?? '') &&
      (e.exact ? m.code === e.code : (m.code ?? '').includes(e.code)),
  );
}
