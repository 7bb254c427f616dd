// The surviving mutants of `npm run plan:strength` that no case kills, each with the reason it is
// accounted for (issue 14: "for every surviving mutant either a case or a check that catches it, or an
// entry saying why it is equivalent or outside what a certification can observe"). docs/plan-strength.md
// is generated: a survivor matching an entry here shows its reason there, and an equivalent one leaves
// the score's denominator (no terminal behaviour differs, so no plan could kill it); so does a
// conformant one (the mutated terminal still meets the reference, so no conformance plan may kill it).
//
// An entry matches a mutant by file, mutator, replacement and a piece of the mutated line's source, not
// by id or line number: ids and lines move whenever the emulator changes, the code they mutate does not.

export type SurvivorKind =
  /** No observable behaviour of the terminal differs (same bytes on the wire, same screens and slips). */
  | 'equivalent'
  /** Behaviour differs, but only where a certification run cannot look (named in `why`). */
  | 'unobservable'
  /**
   * Behaviour differs and can be seen, but the mutated terminal still does all that the reference
   * requires: the point it changes is one cup8583.md and TTP leave to each terminal (a wording the
   * reference does not prescribe, a key binding, a menu a terminal need not offer). A plan that killed
   * it would fail conformant terminals, so, like an equivalent mutant, it leaves the score's denominator;
   * `why` must name the rule that leaves the point open.
   */
  | 'conformant'
  /**
   * The mutated code runs only under an emulator profile other than the reference one the strength run
   * certifies (a profile value the reference terminal does not declare gates it): the measured terminal
   * does not differ, so it counts as equivalent. `why` names the profile and says what the plan does
   * with the mutant under it (killed by a mandatory case there, or seen only by an optional one).
   */
  | 'other-profile';

export interface AccountedSurvivor {
  file: string;
  mutator: string;
  /** Stryker's replacement text, whitespace collapsed. */
  replacement: string;
  /** A piece of the original line's source (trimmed) that identifies the spot. */
  code: string;
  /** `code` is the whole trimmed line, not a piece: for a line that is also a piece of another one. */
  exact?: boolean;
  /**
   * The line after the mutated one, trimmed (scripts/plan-strength.ts JudgedMutant.next): for a line
   * whose own text repeats in its file (`try {`), so that the entry accounts for that spot only.
   */
  next?: string;
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
  ...["'INVALID TRANSACTION'", "'INSUFFICIENT FUNDS'", "'PIN TRIES EXCEEDED'", "'REFER TO CARD ISSUER'"].map((en): AccountedSurvivor => ({
    file: 'emulator/texts.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: `en: ${en}`,
    kind: 'conformant',
    why: "the English decline text, shown only when the terminal's language is set to English; a certification runs it in Chinese, and cup8583.md §7 gives recommended displays in Chinese only, so no English wording can be required (the Chinese text of every §7 code is judged by CUP-RSK-006).",
  })),
  {
    file: 'emulator/texts.ts',
    mutator: 'BooleanLiteral',
    replacement: 'false',
    code: "'41': { zh: '挂失卡(POS)'",
    kind: 'conformant',
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
    kind: 'other-profile',
    why: 'never reached by the measured terminal: the reference profile declares no supervisor password. Under emu:supervisor the refusal screen and the wire are unchanged (nothing is sent, CUP-PAY-023/024 judge that); only the result handed to the cash register says approved, and no mandatory case starts a void or refund from the ECR (outside cup8583.md; CUP-PAY-008 is optional).',
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const own = this.core.language === 'zh-CN' ? profile.responseTexts?.[code] : undefined;",
    kind: 'conformant',
    why: "the vendor wording of a profile's responseTexts is never used. The measured (reference) profile has none, so nothing differs there; under emu:confiscate-texts its declines show §7's own texts instead of its LY-style ones, which conform just as well (§7's recommended display), so no case can fail it.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if (code === '10' && /^\\d{12}$/.test(reply.getString(4) ?? '')) amount = Number(reply.getString(4));",
    kind: 'other-profile',
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
  // 电签 (issue 14, round 2): the reference profile the strength run certifies declares no electronicSignature,
  // so electronicSignature() returns before any of this; the one case that signs on the screen, CUP-PAY-017, is optional.
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'ObjectLiteral',
    replacement: '{}',
    code: 'tx.eSignature = { sha256: signatureHash(image), bytes: image.length };',
    kind: 'other-profile',
    why: 'Reached only on a terminal that declares electronicSignature; the measured reference profile takes no signature on the screen, so nothing differs there. Under emu:e-signature the plan kills it: the record keeps an empty signature, rendering its voucher throws and no copy is printed, so CUP-VOU-001 and CUP-VOU-003 fail (certify --tags @CUP-VOU-001 --terminal emu:e-signature: NOT CERTIFIED with it, CERTIFIED without; the optional CUP-PAY-017 still passes, the upload is made from the image).',
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "this.ui.show('online', 'online', [this.ui.t(title), this.ui.t(T.signatureUploading)], { transaction: kind });",
    kind: 'other-profile',
    why: "The passing 'uploading the signature' screen of a 电签 terminal gets an empty screen id (free-form, TTP §6.6) or state; its lines, the 0820 60.3 800 and the voucher are unchanged, and it is no final screen. Reached only under a profile declaring electronicSignature (not the measured reference profile), and the only case there, CUP-PAY-017, is optional.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "this.ui.show('declined', 'result', [this.ui.t(title), this.ui.t(T.signOnFailed)]);",
    kind: 'unobservable',
    why: "The refusal shown when a transaction cannot start because the terminal's own sign-on failed loses its screen id ('declined', free-form, TTP §6.6) or its state. Reached only when a transaction starts on a terminal that is not signed on and whose sign-on then fails; no case does that (CUP-ONB-002 / CUP-ONB-007 refuse the sign-on itself from the menu, then the After hook restores the identity and signs on), and a whole certification of the reference profile (every case, no --bail) with a marker written on this line never reached it. Its lines (签到失败) are unchanged either way.",
  },
  // ---- emulator/services/ui.ts: waitAnyKey and the signature pad
  {
    file: 'emulator/services/ui.ts',
    mutator: 'LogicalOperator',
    replacement: "input.kind === 'ecr' && input.kind === 'key' && /^[1-9]$/.test(input.key)",
    code: "if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);",
    kind: 'unobservable',
    why: "Nothing that leaves a result screen is handed on to the idle screen: a menu digit only leaves the screen (its entry is not opened, a shortcut that is the terminal's own: the harness opens menus with ENTER and picks from the menu it reads), and a cash-register request that arrives while a result screen shows is lost. The ECR link is not part of cup8583.md, and the one case that drives it (CUP-PAY-008) is optional and starts from the idle screen; no mandatory case can judge it.",
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const input = await this.core.inputs.next((i) => i.kind === 'signature' || (i.kind === 'key' && i.key === 'CANCEL'), this.idleMs, 'signature');",
    kind: 'other-profile',
    why: "(`i.kind === 'signature'` → '') The signature pad of a 电签 terminal never takes the drawn signature: it waits for CANCEL or its timeout. takeSignature runs only under a profile declaring electronicSignature, not the measured reference profile. Under emu:e-signature the plan kills it: the sale hangs on the pad and CUP-VOU-001 / CUP-VOU-003 fail at the sale (certify --tags @CUP-VOU-001 --terminal emu:e-signature: NOT CERTIFIED with it, CERTIFIED without). (The same line's wait label 'signature' → '' would be equivalent: it only names the FlowAbort('timeout') that the catch below drops.)",
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (e instanceof FlowAbort) return undefined;',
    kind: 'other-profile',
    why: "A cardholder who does not sign in time (the pad's idleMs timeout, a FlowAbort) ends the approved 电签 sale with an error instead of the paper signature line. Only under a profile declaring electronicSignature, not the measured reference profile, and only after the idle timeout on the signature pad, which no case waits for (CUP-PAY-017, optional, signs at once; CANCEL is a key, not an abort, and still returns undefined).",
  },
  // ---- emulator/profiles.ts
  {
    file: 'emulator/profiles.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "'3 voucher copies (merchant, bank, cardholder), signature block on merchant and bank copies;",
    kind: 'equivalent',
    why: "An emulator profile's description is prose for people: read only by scripts/defect-coverage.ts (the defect-coverage page); TTP hello reports the TerminalProfile (profile.profile, with its name), never the description, so the certificate, the screens, slips and wire are the same under every profile (grep description in emulator/, cli/, certification/).",
  },
  // ---- emulator/flows/
  {
    file: 'emulator/flows/refund.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ecr: { request: 'refund' },",
    kind: 'conformant',
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
    kind: 'conformant',
    why: 'a refund or void by tap under the no-signature limit then prints no signature line. No case refunds by tap, and it would be conformant anyway: cup8583.md has no 免签 rule, and the profile value (contactless.noSignatureLimitFen) says taps at or below the limit need no signature, without naming transaction kinds.',
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: "lines.push(SIGNATURE_LINE, '', '');",
    kind: 'conformant',
    why: 'the blank lines left to sign in carry text. The signature line itself is judged (CUP-VOU-003); cup8583.md §6 prescribes no signing space, so no case can require blank lines there.',
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '``',
    code: '`操作员号(OPERATOR NO): ${s.operator}`,',
    kind: 'conformant',
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
  {
    file: 'emulator/voucher.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "const rrn = d.has('voucher-rrn-not-host') && ctx.terminalMadeRrn ? ctx.terminalMadeRrn : tx.rrn;",
    kind: 'equivalent',
    why: "The defect branch of the reference number: with the catalogued defect voucher-rrn-not-host off (always, in a certification) the condition is false already, so every copy prints the host's F37 either way.",
  },
  {
    file: 'emulator/voucher.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const sign = tx.kind === 'void' || tx.kind === 'refund' || tx.kind === 'preauth-void' ? '-' : '';",
    kind: 'conformant',
    why: "A void, refund or pre-auth void ('void' / 'refund' / 'preauth-void' / '-' → '') prints its amount unsigned instead of negated. Conformant either way: cup8583.md §6 prints RMB:<amount> with no sign rule, so no case may require the minus. What a case can require it does: a charge (F3 00 / 03) is never printed negated (CUP-VOU-001 kills the `!== 'preauth-void'` mutant of this line).",
  },

  // ---- settlement (emulator/flows/settlement.ts)
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'msg.set(11, requests.nextStan(false))',
    kind: 'equivalent',
    why: "nextStan's argument only matters when the catalogued defect stan-not-incremented is on (services/requests.ts nextStan); defects are off in a certification, so every 0320 / 0500 carries the same STAN either way.",
  },
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "'tc-upload-wrong-cryptogram-type',",
    kind: 'equivalent',
    why: "an entry of the flow's declared defect list, read only by core.defect() to log a defect that bites undeclared and by coverage:defects; defects are off in a certification, so nothing on the wire, screen or slip changes.",
  },
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'LogicalOperator',
    replacement: 'reversalFirst || core.state.pendingReversal',
    code: 'if (reversalFirst && core.state.pendingReversal && !(await online.sendPendingReversal(line)))',
    kind: 'equivalent',
    why: 'reversalFirst is true whenever the defect settlement-before-reversal is off (always, in a certification), and sendPendingReversal returns true at once, sending and showing nothing, when no reversal is pending: the same messages and screens either way.',
  },
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'ObjectLiteral',
    replacement: '{}',
    code: "ui.show('settled', 'result',",
    kind: 'conformant',
    why: "drops the detail of the settled screen: its TTP outcome loses the optional member transaction 'settle' (TTP 1.1 §7.6 marks it optional) and the state event its emulator-only batch / uploaded detail; the outcome result stays done and the lines, slip and messages are unchanged, so no case may require them.",
  },
  // ---- shared core (emulator/services/core.ts)
  {
    file: 'emulator/services/core.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'needParameters = false;',
    kind: 'conformant',
    why: 'the terminal downloads its parameters (0800, 60.3 360) once after power-on without the host asking (header digit 6): one more well-formed, host-approved 0800 in the journal. cup8583.md §1.1 / §3.4 say when the host may ask, not that a terminal must not download unasked (many do at power-on), so no conformant-terminal case can reject it.',
  },
  {
    file: 'emulator/services/core.ts',
    mutator: 'StringLiteral',
    replacement: '``',
    code: 'this.host.log(`defect ${name} bit in flow',
    kind: 'equivalent',
    why: "the emulator's own log line, written only when a defect is on inside a flow that does not declare it; defects are off in a certification and the log is not part of the terminal's behaviour.",
  },
  {
    file: 'emulator/services/core.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if (this.defect('reversal-lost-on-power-cut') && this.state.pendingReversal) {",
    kind: 'equivalent',
    why: 'the defect branch of persist(); with defects off (a certification) the condition is false already and the state is saved whole either way.',
  },
  {
    file: 'emulator/services/core.ts',
    mutator: 'ArithmeticOperator',
    replacement: 'mm - dd',
    code: 'mmdd: mm + dd',
    kind: 'equivalent',
    why: "stamp().mmdd is read nowhere (the callers take date, time or yymmdd: F61 dates, expiry checks, slips); the terminal's messages, screens and slips are the same.",
  },
  // ---- online (emulator/services/online.ts)
  {
    file: 'emulator/services/online.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (reversible) this.reverseFor(',
    kind: 'equivalent',
    why: 'reverseFor returns at once when no reversal is pending, and at this point one is pending only for a reversible kind (authorize records it only then; an older one was sent, or the transaction stopped, before the request): for a non-reversible kind nothing changes.',
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show('reversal', 'reversal', [ui.t(T.sendingReversal)]);",
    kind: 'unobservable',
    why: "the passing 'sending reversal' screen gets an empty screen identifier (free-form and optional, TTP §6.6 / §7.1) or an empty state; its lines and the 0400 are unchanged and it is no final screen (no outcome). The plan does not validate the state names of passing screens (a TTP-level check could: TTP_STATES, drivers/ttp-check).",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: 'async reverseAtBoot(): Promise<void> {',
    kind: 'conformant',
    why: 'a reversal pending at power-off goes out before the next online transaction or settlement instead of at power-on. cup8583.md §3.8 requires exactly that ("sent before the next online transaction / settlement"; CUP-RSK-011, CUP-RSK-013 and CUP-STL-004 check it); sending it at boot is LY\'s choice, not a requirement, so no case may demand it.',
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (!this.core.state.config.hostUrl)',
    kind: 'equivalent',
    why: "differs only when no host address is configured, which a certification never does (emulator/ttp/options.ts parses hostUrl at start; TTP config only replaces it by another parsed address); even then parseHostUrl(undefined) throws a TypeError instead of the HostLinkError and open() catches both alike (log line, then 通讯失败), so only the emulator's log text differs.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'ArrayDeclaration',
    replacement: '[]',
    code: 'for (const n of [3, 4, 11, 39]) {',
    kind: 'equivalent',
    why: "logMessage: the fields quoted in the emulator's own log line of each exchange; nothing is sent, shown or printed differently.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "this.logMessage('<-', reply.message);",
    kind: 'equivalent',
    why: "the direction arrow of the emulator's own log line for a reply; the exchange, screens and slips are unchanged.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'msg.set(11, this.requests.nextStan(false));',
    kind: 'equivalent',
    why: "nextStan's argument only matters when the catalogued defect stan-not-incremented is on (services/requests.ts nextStan); defects are off in a certification, so every management message, 0620 and 0820 (each nextStan(false) of this file) carries the same STAN either way.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "return this.core.state.ped.keyScheme === 'sm4' ? 'sm4-ecb' : 'cup-ecb';",
    kind: 'other-profile',
    why: "('sm4-ecb' or 'sm4' → \"\") a terminal holding SM4 (国密) working keys MACs with an unknown scheme (CryptoInputError) or under DES: its SM4 sale fails. The measured terminal runs TDES keys and so does not declare the sm4 capability (emulator/terminal.ts: sm4 only with keyScheme sm4): CUP-ONB-006 and CUP-PIN-006, which require sm4, run and fail under the mutant but are reported not applicable to it. An emulator started with keyScheme sm4 declares it, and there the two cases, mandatory since plan 1.15.0, judge it (not run by the strength run). ('cup-ecb' → \"\") breaks every MAC and is killed.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'UpdateOperator',
    replacement: 'extra--',
    code: 'for (let extra = 1; extra < times; extra++)',
    kind: 'equivalent',
    why: 'the extra sends of the reversal-sent-twice defect: times is 1 with defects off (every certification), so 1 < 1 ends the loop before its first turn whichever way extra moves.',
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: 'try {',
    exact: true,
    kind: 'conformant',
    why: "Only two `try {` blocks of this file can be emptied without stopping every exchange (open, exchange, exchangeAlone, scriptsOf and authorize are killed): reverseAtBoot's, where a reversal pending at power-off then goes before the next online transaction or settlement instead of at power-on, which is what cup8583.md §3.8 requires (CUP-RSK-011, CUP-RSK-013 and CUP-STL-004 pass with it: sending at boot is LY's choice, no case may demand it); and uploadSignature's, where the e-signature waits on disk for the next online exchange, reached only under a profile declaring electronicSignature (emu:e-signature; the reference profile skips the optional CUP-PAY-017).",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if ('error' in got && entry.attempts < core.host.reversalRetries) {",
    kind: 'conformant',
    why: "An unanswered 0620 script-result notice (or, on the same line of sendPendingSignatures, 0820 e-signature upload) is dropped after its first attempt instead of kept for the next online transaction. cup8583.md sets a resend count for reversals only (§3.8, §3.4 tag 23) and says nothing of repeating a 0620 (§3.1 row 951, §3.11); the plan's host answers every notice, so no case reaches the path and none may require a repeat.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'EqualityOperator',
    replacement: 'entry.attempts <= core.host.reversalRetries',
    code: "if ('error' in got && entry.attempts < core.host.reversalRetries) {",
    kind: 'conformant',
    why: "An unanswered 0620 script-result notice (or 0820 e-signature upload, the same line in sendPendingSignatures) is tried once more than the reversal resend count before it is dropped. cup8583.md binds the resend count to the reversal only (§3.8, §3.4 tag 23) and sets no number of attempts for a 0620 or 0820; the plan's host answers every notice, so no case reaches the path and none may count the attempts.",
  },
  {
    file: 'emulator/services/online.ts',
    mutator: 'BooleanLiteral',
    replacement: 'line',
    code: 'if (!line) return false;',
    kind: 'other-profile',
    why: "uploadSignature: the e-signature is not sent on its own line after the sale but waits on disk for the next online exchange (and an unreachable host would crash the upload). Reached only under a profile declaring electronicSignature; the reference profile skips the optional CUP-PAY-017. Under emu:e-signature CUP-PAY-017 catches it (certify --tags @CUP-PAY-017 --terminal emu:e-signature: 'the host holds that signature' fails), but an optional failure does not change the verdict.",
  },
  // ---- management (emulator/services/management.ts, emulator/flows/management.ts)
  {
    file: 'emulator/services/management.ts',
    mutator: 'LogicalOperator',
    replacement: 'state.signedOn || state.ped.tmk',
    code: 'if (state.signedOn && state.ped.tmk && state.ped.workingKeys) {',
    kind: 'equivalent',
    why: 'differs only when the state holds working keys but the terminal is not signed on (the TMK is never removed, and a new one drops the working keys): the keys are then unwrapped into RAM but never used, since every use waits for ensureSignedOn (signedOn && keys), which signs on and replaces them first.',
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'EqualityOperator',
    replacement: 'rc !== undefined',
    code: 'if (got.reply.mti !== responseMtiOf(msg.mti) || rc === undefined) return { why: T.responseMismatch };',
    kind: 'unobservable',
    why: 'every echo (0820 301) and sign-off (0820 002) reply carrying F39 is taken as a mismatch: the echo shows a failure and a sign-off leaves the terminal signed on. Only the optional CUP-ONB-012 (echo) and CUP-ONB-013 (sign-off) drive these messages, and an optional failure does not change the verdict; cup8583.md §3.3 does not make either message mandatory nor say what a terminal must do after 签退.',
  },
  {
    file: 'emulator/flows/management.ts',
    mutator: 'EqualityOperator',
    replacement: "core.state.config.language !== 'zh-CN'",
    code: "core.state.config.language = core.state.config.language === 'zh-CN' ? 'en' : 'zh-CN';",
    kind: 'conformant',
    why: "the emulator's own 管理 → 3.语言/LANGUAGE menu item stops switching. A harness sets the display language through TTP config `language` (§6.7), which is untouched; cup8583.md defines no language menu, so no case may drive or require it.",
  },
  {
    file: 'emulator/flows/management.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const got = await management.networkNotice('echo');",
    kind: 'unobservable',
    why: 'the echo test sends nothing and shows a failure. The optional CUP-ONB-012 catches it (it fails: no 0820 301), but an optional case does not change the verdict, and cup8583.md §3.3 does not make the echo test mandatory.',
  },
  {
    file: 'emulator/flows/management.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show(ok ? 'echo-ok' : 'echo-failed', 'result', lines);",
    kind: 'unobservable',
    why: "the echo test's result screen gets an empty identifier (free-form, TTP §6.6; its outcome stays done) or an empty state; only the optional CUP-ONB-012 looks at the echo test's result, and an optional case does not change the verdict.",
  },
  // ---- IC parameter download (emulator/services/ic-parameters.ts)
  {
    file: 'emulator/services/ic-parameters.ts',
    mutator: 'EqualityOperator',
    replacement: 'this.wanted().length !== 0',
    code: 'return this.wanted().length === 0;',
    kind: 'unobservable',
    why: "only the emulator's wording changes: a download that succeeded adds the line 'IC参数下载失败' to the sign-on result screen (or shows a passing ic-download-failed screen and an error beep); the lists are loaded and used all the same and the TTP outcome of the sign-on stays done. cup8583.md prescribes no such screen, so no case may judge its wording.",
  },
  {
    file: 'emulator/services/ic-parameters.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if (got.reply.mti !== responseMtiOf(msg.mti) || code !== '00')",
    kind: 'conformant',
    why: 'a refused query or item reply of this host carries no F62 (a refusal echoes 3, 4, 11, 41, 42, 48, 49, 60 only), so the unchecked reply fails to parse and the download fails as before (CUP-ONB-015 refuses them); it differs only when the host refuses the end message (371 / 381) after good item replies, where the terminal would keep the list: cup8583.md §3.5 does not say that a refused end voids the list (LY checks F39 on the download replies), so no case may require it.',
  },
  // ---- state file (emulator/state-store.ts)
  {
    file: 'emulator/state-store.ts',
    mutator: 'EqualityOperator',
    replacement: "typeof o === 'object'",
    code: "if (typeof o !== 'object' || o === null) return;",
    kind: 'unobservable',
    why: 'the renaming of kind names written by earlier emulator versions stops: it differs only when the state file was written by such a version (pre-auth, pre-auth-void, completion records); a certification starts every emulated terminal from a fresh state file, whose records and pending reversal (an object or null, JSON keeps null) need no renaming.',
  },
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
    kind: 'other-profile',
    why: 'Reached only when the profile reads the card for a void (supervisor.void.readsCard, emu:supervisor); the strength run certifies the reference profile, which reads no card, so `read` is undefined there. Under emu:supervisor the plan kills it: every void is refused, and CUP-PAY-020 fails at "the screen shows 交易成功" (certify --tags @CUP-PAY-020 --terminal emu:supervisor: NOT CERTIFIED with it, CERTIFIED without).',
  },
  {
    file: 'emulator/flows/pre-auth.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "const outcome = await online.authorize('preauth-add', msg, read, title);",
    kind: 'other-profile',
    why: "追加预授权 authorizes an unknown kind: transactionSpec('') throws before the request leaves, so the addition is never sent. The flow is offered only by a profile declaring additionalPreAuth (emu:confiscate-texts; the reference profile skips CUP-PAY-033). There the optional CUP-PAY-033 catches it (certify --tags @CUP-PAY-033 --terminal emu:confiscate-texts: fails at 'the screen shows 交易成功'), but an optional failure does not change the verdict: cup8583.md §3.1 lists 追加预授权 as a transaction a terminal may offer.",
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (value === undefined) throw new CardImageError(`${what} is missing`);',
    kind: 'equivalent',
    why: "hexOf of an absent card-image value: the hex test that follows fails on it too and throws the same CardImageError, only with 'must be hex digits, got undefined' for 'is missing'. The absent values are emv.imk (read only when emv.iccMasterKey is absent; the harness's images always carry it, host/cards.ts terminalCardImage) and emv.aid (always present), so no certification reaches it.",
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if (!SCRIPT_INS.has(ins)) return '6D00';",
    kind: 'equivalent',
    why: "A script command with an INS the card does not take gets status word '' instead of 6D00; either is not 9000, so the script fails at the same command and DF31 (result + command number) is the same. The status word is kept only in SoftwareIcc.scriptLog, which no emulator code reads (unit tests do); and no card-book script reaches it (UP-DEBIT-IC-SCRIPT uses INS 18 / 24, UP-DEBIT-IC-SCRIPT-REJECTED stops at its CLA).",
  },
  {
    file: 'emulator/icc.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if (body.length === 0) return '9000';",
    kind: 'unobservable',
    why: "A script command of a bare 4-byte header (no Lc) gets 6700 instead of 9000 from the simulated card, so DF31 would say failed. That status is the card's answer, not the terminal's (TTP Annex A.6 leaves issuer scripts out of the simulated-card profile), and no card-book script has such a command (all carry Lc and data); the plan judges what the terminal owes, one DF31 result for every script the host sent (CUP-RSK-022 to 024).",
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
    kind: 'conformant',
    why: "The kind of an error beep on the TTP `beep` event (`error` → \"\"); the terminal still beeps. Every `ui.beep('error')` line of the card reader (unreadable card, chip card swiped first, failed chip, tap refused) reads the same, so this covers them all: no case judges beep kinds (drivers/card-removal.ts counts beeps other than key echoes, which an empty kind still is), and a terminal's beep sounds are no UnionPay requirement.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "method !== 'swipe' &&",
    exact: true,
    kind: 'conformant',
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
    kind: 'conformant',
    why: "Every key that leaves a result screen is handed on to the idle screen too (ENTER then opens the main menu). TTP §7.3 says only that a result screen is left by any key; what the key does next is a terminal's own, and the harness reaches idle either way (its toIdle cancels a menu). Nothing is sent or printed.",
  },
  {
    file: 'emulator/services/ui.ts',
    mutator: 'Regex',
    replacement: '/[1-9]$/',
    code: "if (input.kind === 'ecr' || (input.kind === 'key' && /^[1-9]$/.test(input.key))) this.core.inputs.push(input);",
    kind: 'conformant',
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
    kind: 'conformant',
    why: "On the idle screen MENU no longer opens the main menu and a digit opens the menu instead of its entry. Which key opens a terminal's menu is its own (TTP §6.4 only names the keys; the harness opens menus with ENTER and picks entries from the menu it reads), so no case may require MENU or the digit shortcut.",
  },
  // ---- issue 14 round 2 (seed 14): settlement records, void, card prompt
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "tx.entry === 'insert' && !!tx.icc && !!tx.emv?.tc && !tx.voided",
    kind: 'equivalent',
    why: "(the operand `tx.entry === 'insert' && !!tx.icc` → true; the whole condition → true is killed by CUP-STL-013) A record has emv.tc only when the card finally signed it, which online.ts does for an approved read with read.method === 'insert' and read.icc; that read is the record's entry (transactions.ts record: entry = read.method) and its request carried F55 (requests.ts addIcc sets F55 whenever it returns the ARQC that tx.emv comes from), so tx.icc is set too. `!!tx.emv?.tc` implies the dropped operand: the same records go up as TC records, same wire.",
  },
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "if (r.psn) msg.set(23, r.psn.padStart(3, '0'));",
    kind: 'equivalent',
    why: "Every chip record has a PSN: the card book gives every card one (host/config.ts psn default '00'), host/cards.ts terminalCardImage copies it into the TTP card image, and transactions.ts / online.ts keepFailedIc store it from the card whenever it is set (a non-empty string, '00' included). r.psn is never undefined in a certification, so F23 goes in every TC and failed-IC record either way.",
  },
  {
    file: 'emulator/flows/settlement.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (notReady) return notReady;',
    kind: 'conformant',
    why: 'Differs only when the terminal is not signed on and its sign-on at the start of the settlement fails (acquirer refuses it, keys that do not check): the mutant shows the sign-on failure, then goes on to settle (0500 without a MAC, cup8583.md §3.9). The reference does not say a terminal must be signed on to settle (the 0500 needs no working key; the reference host settles it), so no case may require the refusal; in the plan every settlement runs signed on.',
  },
  {
    file: 'emulator/flows/void.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "name: 'void',",
    kind: 'equivalent',
    why: "A flow's name is read only in the emulator's own log lines (core.ts: a defect biting in an undeclared flow; session.ts: `flow <name> failed`, and the message of an unknown-flow abort, which a found flow never reaches); menus pick flows by menu.key and the ECR by ecr.request. Nothing on the wire, the screens, the TTP events or the slips changes.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'LogicalOperator',
    replacement: "i.kind === 'key' || i.key === 'CANCEL'",
    code: "(i) => i.kind === 'card' || (i.kind === 'key' && i.key === 'CANCEL'),",
    kind: 'conformant',
    why: "At the card prompt every key, not only CANCEL, ends the transaction as cancelled (nothing sent). What keys other than CANCEL do at 请刷卡/插卡/挥卡 is a terminal's own (many take ENTER or a digit there for manual card entry, others ignore them); the reference requires nothing of them and no case presses one there. CANCEL itself, and a card, behave as before.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: "if (method === 'insert') {",
    kind: 'equivalent',
    why: "The same as this line's `method === 'insert'` → false: the block records the inserted card in SessionCore (insertedCard, insertedCardRead = false), which the TTP `card insert` handler already did with the same two values before it queued the input (emulator/ttp/card-keys.ts session.cardInserted). Same state, same behaviour.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "if ((method === 'insert' || method === 'tap') && !card.emv) {",
    kind: 'unobservable',
    why: "(`'tap'` → \"\", and likewise `'insert'` → \"\") Differs only for a card read by its chip that has no chip data; the card book cannot present one (host/config.ts: insert / tap need an emv section, and the TTP image names the card's interfaces, so emulator/ttp/card-keys.ts refuses an insert or tap of a magstripe card). With it such a card would go on to the reader's next checks instead of 读卡失败; no certification can present it.",
  },
  {
    file: 'emulator/services/card-reader.ts',
    mutator: 'LogicalOperator',
    replacement: "method !== 'swipe' || this.core.needIcLists.size > 0",
    code: "method !== 'swipe' &&",
    exact: true,
    kind: 'other-profile',
    why: "The whole condition still needs usesSupersededIcLists, false under the reference profile the strength run certifies (supersededIcLists = used-until-replaced only in emu:tc-upload). Under tc-upload: a swipe while new IC lists are due tries the download first (as the `method !== 'swipe'` → true mutant), and a chip read with no list due opens and closes a connection without a message (ListDownloads.run with nothing wanted). The reference forbids neither.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: "return this.core.state.batch.find((t) => t.trace === trace && t.kind !== 'void' && t.kind !== 'refund');",
    kind: 'conformant',
    why: "(`t.kind !== 'void'` → true, and likewise `t.kind !== 'refund'` → true; `t.trace === trace` → true is killed by CUP-PAY-022) A void (or refund) named by its own voucher number is found, then refused locally as 该交易不能撤销 (void.ts: the catalogue gives void and refund no voidKind) instead of 无此交易: refused either way, nothing sent, nothing printed. Only the wording of a local refusal differs, and for a voucher number the terminal does have the reference prescribes none (§7 covers host replies), so no case may require either text.",
  },
  {
    file: 'emulator/services/transactions.ts',
    mutator: 'ArithmeticOperator',
    replacement: 't.domestic.creditCount - t.foreign.creditCount',
    code: '`${ui.t(T.credit)} ${t.domestic.creditCount + t.foreign.creditCount}',
    kind: 'unobservable',
    why: "The credit count of the settlement confirmation and 交易汇总 screens, wrong only with a foreign-card (63.1 not CUP) void or refund in the batch. Those screens' content is the terminal's own (the reference defines no settlement confirmation or summary display); what the reference defines is judged from the same totals elsewhere: the 0500 F48 counts (§3.9, CUP-STL-001/005) and the settlement slip (§6, CUP-STL-007), both built from transactions.totals(), not from these lines.",
  },

  // ---- management, session and state file (issue 14 round 2: survivors of emulator/services/management.ts,
  // services/terminal-lists.ts, flows/management.ts, flows/reprint.ts, session.ts, state-store.ts).
  // Killed instead: management.ts `if (params['22'])` → false (CUP-ONB-011: the merchant name the acquirer
  // downloads), `core.needParameters && core.state.signedOn` → || (CUP-PAY-007: no download no reply asked for).
  {
    file: 'emulator/services/management.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (!got) return fail(T.commError, undefined, true);',
    kind: 'unobservable',
    why: "reached only when the TCP connection to the acquirer cannot be opened at all (services/online.ts open() → undefined); the reference host always listens and its faults act on connections it accepted (a closed connection is the `'error' in got` branch). A menu sign-on then ends on the fault screen (失败 + the script error) instead of 签到失败 / 通讯失败: a failure either way (TTP outcome failed both times) and cup8583.md prescribes no wording for it. At power-on it would stop the terminal at that fault screen, but the terminal signs on at boot only when not signed on, which no case combines with an unreachable host.",
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (!got) return { why: T.commError };',
    kind: 'unobservable',
    why: 'an echo test (0820 301) or sign-off (0820 002) when the TCP connection to the acquirer cannot be opened at all: the reference host always listens (its faults act on accepted connections), and only the optional CUP-ONB-012 / CUP-ONB-013 drive these notices, which cup8583.md §3.3 does not make mandatory.',
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "this.ui.beep('error');",
    kind: 'conformant',
    why: 'the kind of the error beep on the passing ic-download-failed / list-download-failed screens (TTP `beep` kind error → ""); the terminal still beeps, shows the same screen and sends the same. No case judges beep kinds (TTP §7.4 makes kind optional; ttp-check judges its form), and cup8583.md requires no beeps.',
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.beep(ok ? 'ok' : 'error');",
    kind: 'conformant',
    why: 'the kind of the beep at the end of a parameter download (ok / error → ""); the terminal still beeps and its screen, its stored parameters and the wire are unchanged (CUP-ONB-011 judges those). No case judges beep kinds (TTP §7.4 makes kind optional; ttp-check judges its form), and cup8583.md requires no beeps.',
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: 'try {',
    exact: true,
    next: "return parseField60(reply.getString(60) ?? '').networkCode;",
    kind: 'equivalent',
    why: "the sign-on then takes the key layout it asked for (60.3 = 004, the only one this terminal sends) instead of reading it back from the reply's 60.3. The reply echoes the request's 60.3 (cup8583.md §3.2 'F60 echo'; host/handlers/network-management.ts sets 00 + batch + the request's network code), so the layout is 004 either way: same keys, same screens, same wire.",
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'LogicalOperator',
    replacement: "(got.reply.mti !== responseMtiOf(msg.mti) || code !== '00') && !f62",
    code: "if (got.reply.mti !== responseMtiOf(msg.mti) || code !== '00' || !f62)",
    kind: 'unobservable',
    why: "differs only for a parameter-download reply whose F39 is not 00 yet carries the parameter block (or 00 without it): the mutant takes that block. A decline of the reference host carries no F62 (host/context.ts baseResponse echoes 3, 4, 11, 41, 42, 48, 49, 60; a refusal without F62 still fails with its response code), so only the approve-with-response-code fault could send one (§7's other approvals, 11 / A2 / A4–A6, with the block), and no case injects it on a 0800; nor could a case require either handling: cup8583.md §3.4 does not say whether such an approval code on a 360 reply counts, and §7 calls those codes approvals.",
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: "if (got.reply.mti !== responseMtiOf(msg.mti) || code !== '00' || !f62)",
    kind: 'unobservable',
    why: "(`code !== '00'` → false) a parameter-download reply with F39 other than 00 is then caught only by a missing F62. A decline of the reference host carries no F62 (host/context.ts baseResponse), so it still fails with its response code; the block would be taken only from the approve-with-response-code fault (§7's other approvals with the block), which no case injects on a 0800 and whose handling §3.4 / §7 leave open (they are approval codes). (The whole condition → false makes any non-00 reply fail on the missing block with a fault screen instead of its response text; nothing is taken either way, and no case refuses a parameter download.)",
  },
  {
    file: 'emulator/services/terminal-lists.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: '} catch (e) {',
    exact: true,
    kind: 'unobservable',
    why: "the catch blocks of a card blacklist / contactless parameter download go empty (they read alike: one entry for the three). The two that turn an unreadable reply F62 into ListDownloadFailed are reached only by an approved reply whose block does not parse, and the reference host sends the blocks it encodes from its own lists (host/handlers/terminal-lists.ts; a refusal is caught earlier, list-download.ts send); the third would keep a list whose end message (0800 391 / 395) failed, and the host's faults match by MTI, F3 and terminal id, so none can fail the end alone (downloads and end are all 0800 without F3). cup8583.md does not say that a refused end voids the list (as for the IC lists above).",
  },
  {
    file: 'emulator/flows/management.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "ui.show('summary', 'result', [ui.t(T.summary), ...transactions.totalsLines(transactions.totals())]);",
    kind: 'conformant',
    why: "the screen id (or TTP state) of the emulator's own 管理 → 交易汇总 batch totals display. cup8583.md defines no such display (totals are judged on the settlement 0500 and its slip, §3.9 / §6), so no case opens it or may require it.",
  },
  {
    file: 'emulator/flows/reprint.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "menu: { key: '3', label: T.reprintSettlement, under: 'reprint' },",
    kind: 'conformant',
    why: 'the 重打印 menu no longer offers 重打印结算单 (reprint of the last settlement slip). cup8583.md §6 only says a reprinted slip is marked ****重打印/DUPLICATED****; it does not oblige a terminal to offer the reprint, so a mandatory case cannot ask for it (see the reprinted-screen entry above).',
  },
  {
    file: 'emulator/session.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'if (state.signedOn && management.lists.wanted().length > 0) await management.actOnRequirements();',
    kind: 'conformant',
    why: "at power-on the terminal always runs what the last reply asked (services/management.ts actOnRequirements) instead of only when a terminal list is due. Right after the boot's own sign-on, parameter and IC list downloads that has nothing left to do, except after an IC list download that failed at boot, which it tries once more; no case boots while the host refuses IC lists, and cup8583.md §3.5 sets no number of attempts, so one more is conformant.",
  },
  {
    file: 'emulator/session.ts',
    mutator: 'ConditionalExpression',
    replacement: 'false',
    code: 'if (!state.ped.tmk) lines.push(ui.t(T.selfTestNoTmk));',
    kind: 'equivalent',
    why: 'the idle hint for a terminal without a master key: every emulated terminal of a certification holds one (drivers/lab.ts starts it with the acquirer TMK, reset factory applies it again, terminal.ts softReset → applyOptions), and TTP config cannot erase it (tmk must be 16, 32 or 48 hex digits, emulator/ttp/config.ts). Never reached in a certification run.',
  },
  {
    file: 'emulator/session.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "this.host.beep('alert');",
    kind: 'conformant',
    why: 'the kind of the alert beep when a key is pressed on a tampered terminal (alert → ""); it still beeps, and its tamper screen and refusal are unchanged (CUP-RSK-020). No case judges beep kinds (TTP §7.4 makes kind optional; ttp-check judges its form), and cup8583.md requires no beeps.',
  },
  {
    file: 'emulator/session.ts',
    mutator: 'ConditionalExpression',
    replacement: 'true',
    code: 'const entry = MAIN_MENU.find((m) => m.key === input.key);',
    kind: 'conformant',
    why: "a key other than ENTER / MENU on the idle screen opens the first main-menu entry instead of the entry it names (or nothing). The digit shortcut at idle is this terminal's own (TTP §6.4 only names the keys; the harness opens the menu with ENTER and picks an entry from the menu it reads, and presses no other key at idle), so no case may require it (see the MENU entry above).",
  },
  {
    file: 'emulator/session.ts',
    mutator: 'StringLiteral',
    replacement: '``',
    code: "if (!target) throw new FlowAbort('cancelled', `unknown flow ${name}`);",
    kind: 'equivalent',
    why: 'never reached: a flow is run from a MAIN_MENU entry (each names a flow or group) or from an ecr request, which emulator/ttp/ecr.ts accepts only from TTP_ECR_REQUESTS, and every one of those has a flow (flows/index.ts flowForEcr: reprint with or without originalTrace included). The message is never built.',
  },
  {
    file: 'emulator/state-store.ts',
    mutator: 'StringLiteral',
    replacement: '""',
    code: "'pre-auth': 'preauth',",
    kind: 'unobservable',
    why: 'the renaming of the kind pre-auth written by earlier emulator versions stops: it differs only for a state file written by such a version; a certification starts every emulated terminal from a fresh state file (see the entry above for the same renaming).',
  },
  {
    file: 'emulator/state-store.ts',
    mutator: 'Regex',
    replacement: '/^[0-9A-F]{64}/',
    code: 'eSignature: z.object({ sha256: z.string().regex(/^[0-9A-F]{64}$/), bytes: z.number().int().positive() }).optional(),',
    kind: 'equivalent',
    why: "the state file's check of a stored signature hash: the only writer is services/transactions.ts (signatureHash, protocol/ttp/signature.ts: a SHA-256 digest in upper-case hex, exactly 64 digits), which both patterns accept; a certification never hands the terminal a state file of its own. Same state, same behaviour.",
  },
  {
    file: 'emulator/state-store.ts',
    mutator: 'BooleanLiteral',
    replacement: 'true',
    code: 'signedOn: false,',
    exact: true,
    kind: 'unobservable',
    why: "a terminal with a fresh state file (first power-on, reset factory) reports the idle state before it has signed on, and signs on before its first transaction instead (ensureSignedOn: working keys are needed). The host still sees a sign-on before every transaction, which is what cup8583.md §3.2 requires; only the TTP state name is wrong (idle means signed on, TTP §7.3), a matter of ttp-check, and the fresh state exists only before the lab's first case.",
  },
  {
    file: 'emulator/state-store.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: "const key = (t?: string, m?: string) => `${t ?? ''}/${m ?? ''}`;",
    kind: 'equivalent',
    why: "the key under which another identity's open batch is put aside, built by the same function on both sides of every lookup; it changes only for an undefined merchant id, which a certification never has (the lab starts the terminal with one, TTP config takes only 15 characters), and even then stays internal to the state file. Same batches, same wire.",
  },
  // ---- issue 14 round 3, held-out sample (seed 15): vouchers and management. Killed instead: voucher.ts
  // voucherCopies `count === 2` → true (CUP-VOU-009 now sets 3 copies too), the 累计金额(TOTAL) line → true and
  // the 原预授权码 line → true (every amount on a copy is one the host booked / no copy names another kind of
  // transaction: CUP-VOU-001, CUP-VOU-006), management.ts actOnRequirements list condition → true (CUP-ONB-021).
  {
    file: 'emulator/flows/reprint.ts',
    mutator: 'ArrayDeclaration',
    replacement: '[]',
    code: "ui.show('reprinted', 'result', [ui.t(T.reprint), ui.t(T.tearOff)]);",
    exact: true,
    next: 'return { approved: true, message: ui.t(T.reprint) };',
    kind: 'unobservable',
    why: "the screen after a settlement slip is reprinted (重打印结算单) shows no lines; the reprinted slip and its ****重打印/DUPLICATED**** mark are unchanged. No case reprints a settlement slip: cup8583.md §6 only says a reprint is marked, it does not oblige a terminal to offer one, so a mandatory case cannot ask for it (see the reprinted-screen StringLiteral entry above; the voucher reprint's screen, the same line in reprintVoucher, is not this entry's: `next` differs).",
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'BlockStatement',
    replacement: '{}',
    code: 'if (operator !== declared.operator || password !== declared.password) {',
    kind: 'other-profile',
    why: 'operatorLogon: a wrong operator number or password is accepted (and that operator kept for F63 and the vouchers). Runs only under a profile declaring operatorLogon; the reference profile declares none, so the measured terminal never asks. Under emu:supervisor the plan does not catch it either: its only case, the optional CUP-ONB-008, logs on with the declared operator and password (certify --tags @CUP-ONB-008 --terminal emu:supervisor with the block emptied: passed); cup8583.md has no operator password (§2.6 / §3.2 name only the operator in 63.1), so a wrong-password case could only be optional, profile-gated.',
  },
  {
    file: 'emulator/services/management.ts',
    mutator: 'StringLiteral',
    replacement: '"Stryker was here!"',
    code: "const batch = parseField60(reply.getString(60) ?? '').batchNumber;",
    kind: 'equivalent',
    why: "the fallback for a sign-on reply without F60. With F60 present (every reply of the reference host: host/handlers/network-management.ts sets 00 + batch + the request's 60.3) the right side of ?? is never evaluated; without it, '' and 'Stryker was here!' both fail parseField60 (FIELD60_LAYOUT is digits only, protocol/iso8583/subfields.ts) and the catch keeps the terminal's batch number. Same batch, screens and wire.",
  },
  {
    file: 'emulator/services/terminal-lists.ts',
    mutator: 'StringLiteral',
    replacement: '``',
    code: 'throw new ListDownloadFailed(`download ${codes.download}: ${(e as Error).message}`);',
    kind: 'equivalent',
    why: "the text of the error for a blacklist page / contactless reply whose F62 does not parse (the same line twice). ListDownloadFailed's message is read only by services/list-download.ts run(), which writes it to the emulator's log and returns false: the screens (list-download-failed), beeps and wire do not depend on it. Nor is it reached in a certification: the reference host sends the blocks it encodes from its own lists (see the empty-catch entry above).",
  },
];

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The entry accounting for a survivor, if any. */
export function accountFor(
  m: { file: string; mutator: string; replacement?: string; code?: string; next?: string },
  entries: readonly AccountedSurvivor[] = ACCOUNTED,
): AccountedSurvivor | undefined {
  return entries.find(
    (e) =>
      e.file === m.file &&
      e.mutator === m.mutator &&
      squash(e.replacement) === squash(m.replacement ?? '') &&
      (e.next === undefined || e.next === m.next) &&
      (e.exact ? m.code === e.code : (m.code ?? '').includes(e.code)),
  );
}
