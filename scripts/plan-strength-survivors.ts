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
  kind: SurvivorKind;
  why: string;
}

export const ACCOUNTED: readonly AccountedSurvivor[] = [
  // ---- emulator/texts.ts: the §7 table (its Chinese texts are judged by CUP-RSK-006 / CUP-RSK-008)
  {
    file: 'emulator/texts.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'success: false',
    kind: 'equivalent',
    why: "ResponseText.success is read by no emulator code (grep '.success' in emulator/: only T.success, a screen text): whether a reply approves is online.ts SUCCESS_CODES. Same screens, slips and wire.",
  },
  {
    file: 'emulator/texts.ts',
    mutator: 'BooleanLiteral',
    replacement: 'false',
    code: 'success: true',
    kind: 'equivalent',
    why: "ResponseText.success is read by no emulator code (grep '.success' in emulator/: only T.success, a screen text): whether a reply approves is online.ts SUCCESS_CODES. Same screens, slips and wire.",
  },
  ...["'INVALID TRANSACTION'", "'INSUFFICIENT FUNDS'", "'PIN TRIES EXCEEDED'"].map((en): AccountedSurvivor => ({
    file: 'emulator/texts.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: `en: ${en}`,
    kind: 'unobservable',
    why: "the English decline text, shown only when the terminal's language is set to English; a certification runs it in Chinese, and cup8583.md §7 gives recommended displays in Chinese only, so no English wording can be required (the Chinese text of every §7 code is judged by CUP-RSK-006).",
  })),
  {
    file: 'emulator/texts.ts',
    mutator: 'BooleanLiteral',
    replacement: 'false',
    code: "'41': { zh: '挂失卡(POS)'",
    kind: 'unobservable',
    why: "drops the 请联系银行 line under a lost-card (41) decline. Seen on the screen, but conformant either way: §7's recommended display for 41 is 挂失卡（POS） alone (the emulator's extra line is its own; emu:confiscate-texts has none), so no case may require it. 挂失卡 itself is still judged (CUP-RSK-001/005/006).",
  },
  // ---- emulator/services/transactions.ts
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'ObjectLiteral',
    replacement: '{}',
    code: 'return { approved: false, message: this.ui.t(T.signOnFailed) };',
    kind: 'unobservable',
    why: 'the refusal after a failed sign-on still shows its screen and sends nothing; only the result handed to the cash register (TTP ecr result: approved / message) is empty. Reached only by a flow the ECR started; the ECR link is not part of cup8583.md and its only case (CUP-PAY-008) is optional, so no mandatory case can judge it.',
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (this.core.state.batch.length < 500) return undefined;',
    kind: 'unobservable',
    why: 'the 500-record batch capacity (批次已满,请先结算) is reached only after 500 approved transactions in one batch: about 3.5 min of sales per lean run (each mutant run), with no way to load a batch over the test port. Out of reach of a certification at a reasonable cost.',
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'MethodExpression',
    replacement: 'f44',
    code: 'tx.issuerId = f44.slice(0, 11).trim();',
    kind: 'unobservable',
    why: "the voucher's 发卡行(ISSUER) line then carries 44.1 and 44.2 run together. cup8583.md §6 prints '<bank name from 44.1>': a terminal prints a bank name it looks up, or the code, so no case can require a given text on that line (the emulator's code-as-name is its own choice).",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'return { approved: false, message: this.ui.t(T.supervisorWrong) };',
    kind: 'unobservable',
    why: 'never reached by the measured terminal: the reference profile declares no supervisor password. Under emu:supervisor the refusal screen and the wire are unchanged (nothing is sent, CUP-PAY-023/024 judge that); only the result handed to the cash register says approved, and no mandatory case starts a void or refund from the ECR (outside cup8583.md; CUP-PAY-008 is optional).',
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const own = this.core.language === 'zh-CN' ? profile.responseTexts?.[code] : undefined;",
    kind: 'unobservable',
    why: "the vendor wording of a profile's responseTexts is never used. The measured (reference) profile has none, so nothing differs there; under emu:confiscate-texts its declines show §7's own texts instead of its LY-style ones, which conform just as well (§7's recommended display), so no case can fail it.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if (code === '10' && /^\\d{12}$/.test(reply.getString(4) ?? '')) amount = Number(reply.getString(4));",
    kind: 'unobservable',
    why: "a partial approval (10) would show, print and book the amount asked instead of the reply's F4. The measured reference profile takes no partial approval (60.6 = 0), so the host never answers 10 to it; under emu:three-copies CUP-PAY-016 does fail it (seen), but that case is optional, so the verdict stays CERTIFIED.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show('printing', 'printing', [ui.t(title), ui.t(T.printing)]);",
    kind: 'unobservable',
    why: "only the TTP state reported while the voucher prints ('' instead of printing, which a harness treats as busy); the screen lines, the vouchers and the wire are unchanged, and a case judges what is printed, not the state name of the printing screen (TTP conformance is poscert ttp-check's job, not a certification's).",
  },
  // ---- emulator/flows/
  {
    file: 'emulator/flows/refund.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ecr: { request: 'refund' },",
    kind: 'unobservable',
    why: 'a refund can then no longer be started from the cash register (TTP ecr request refund); from the menu it is unchanged. The ECR link is not part of cup8583.md and no mandatory case starts a refund from it (CUP-PAY-008, an ECR sale, is optional).',
  },
  {
    file: 'emulator/flows/reprint.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show('reprinted', 'result', [ui.t(T.reprint), ui.t(T.tearOff)]);",
    kind: 'unobservable',
    why: 'the TTP state of the screen after a settlement slip is reprinted (重打印结算单). No case reprints a settlement slip: cup8583.md §6 only says a reprint is marked 重打印, it does not oblige a terminal to offer one, so a mandatory case cannot ask for it.',
  },
  // ---- emulator/voucher.ts
  ...(['ConditionalExpression', 'StringLiteral'] as const).map((mutator): AccountedSurvivor => ({
    file: 'emulator/voucher.ts',
    mutator,
    replacement: mutator === 'ConditionalExpression' ? 'false' : '``',
    code: "if (tx.cardOrganisation && tx.cardOrganisation !== 'CUP') lines.push(`外卡组织:${tx.cardOrganisation}`);",
    kind: 'unobservable',
    why: "the 外卡组织 line (§6, only when 63.1 is not CUP) is never printed in a run: the host's card book has no foreign card and every reply's 63.1 is CUP (host/context.ts finishFinancial). Observable once the card book carries a VIS / MCC card and the host answers its organisation in 63.1 (not done here).",
  })),
  {
    file: 'emulator/voucher.ts',
    mutator: 'LogicalOperator',
    replacement: 'purchase || !!ctx.quickPass',
    code: 'const noSignature = purchase && !!ctx.quickPass && tapWithoutSignature(tx.entry, tx.amount, ctx.quickPass, d);',
    kind: 'unobservable',
    why: 'a refund or void by tap under the no-signature limit then prints no signature line. No case refunds by tap, and it would be conformant anyway: cup8583.md has no 免签 rule, and the profile value (contactless.noSignatureLimitFen) says taps at or below the limit need no signature, without naming transaction kinds.',
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: "lines.push(SIGNATURE_LINE, '', '');",
    kind: 'unobservable',
    why: 'the blank lines left to sign in carry text. The signature line itself is judged (CUP-VOU-003); cup8583.md §6 prescribes no signing space, so no case can require blank lines there.',
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '``',
    code: '`操作员号(OPERATOR NO): ${s.operator}`,',
    kind: 'unobservable',
    why: "the operator number on the settlement slip. cup8583.md §6 lists the slip's content (merchant, terminal, batch, date/time, totals by type, 内卡 / 外卡 results) without an operator number, so no case can require it (on the transaction voucher it stays).",
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "row('借记合计/DEBIT', [s.foreign.debitCount, s.foreign.debitAmount]),",
    kind: 'unobservable',
    why: "the label of the slip's 外卡 debit row goes blank; its figures stay. With no foreign card in the card book they are 0 / 0.00 in every run, and §6 names the slip's rows by type (消费/SALE, 退货/REFUND …), not this emulator's 借记合计 row, so the layout of the label is the vendor's.",
  },
];

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The entry accounting for a survivor, if any. */
export function accountFor(
  m: { file: string; mutator: string; replacement?: string; code?: string },
  entries: readonly AccountedSurvivor[] = ACCOUNTED,
): AccountedSurvivor | undefined {
  return entries.find(
    (e) => e.file === m.file && e.mutator === m.mutator && squash(e.replacement) === squash(m.replacement ?? '') && (m.code ?? '').includes(e.code),
  );
}
