/**
 * The catalogue of injectable firmware defects. Each is a realistic bug seen in (or feared of)
 * UnionPay terminal firmware, switched on by name (`poscert emulator --defect NAME`). The
 * certification suite proves its power by catching every one of them with a named case, so each
 * description says what a lab can observe, not how the emulator fakes it.
 */
import { PoscertError } from '../errors';

export type DefectArea = 'onboarding' | 'payment' | 'pin' | 'voucher' | 'risk' | 'settlement';

export const DEFECT_NAMES = [
  'full-pan-on-voucher',
  'pin-echoed-on-screen',
  'no-reversal-after-timeout',
  'reversal-sent-twice',
  'wrong-mac',
  'pin-block-format-1',
  'cardholder-copy-missing',
  'signature-line-missing',
  'voucher-amount-mismatch',
  'voucher-rrn-not-host',
  'response-51-shown-as-success',
  'lost-card-shown-as-plain-failure',
  'expired-card-accepted',
  'settlement-totals-off-by-one',
  'batch-not-cleared',
  'stan-not-incremented',
  'payee-not-shown',
  'tamper-ignored',
  'response-mac-not-verified',
  'reprint-not-marked',
  'failed-ic-lost-on-power-cut',
  'ecr-busy-after-boot',
  'foreign-card-booked-domestic',
  'original-marked-as-reprint',
  'reversal-lost-on-power-cut',
  'settlement-before-reversal',
  'entry-mode-always-swipe',
  'kcv-not-checked',
  'no-remove-card-reminder',
  'stale-card-reused',
  'supervisor-password-not-checked',
  'chip-read-without-ic-params',
  'ic-params-not-downloaded-on-flag',
  'tc-upload-wrong-cryptogram-type',
  'tc-upload-duplicated-after-restart',
  'fallback-without-chip-failure',
  'fallback-not-marked',
  'script-result-not-sent',
  'qps-limit-ignored',
  'qps-9f34-wrong',
  'partial-approval-requested-amount-printed',
  'blacklist-not-checked',
  'contactless-params-not-applied',
  'preauth-add-sent-as-preauth',
  'operator-not-in-sign-on',
  'e-signature-wrong-trace',
  'tls-verification-off',
  'public-network-wrong-content-type',
  'reply-mti-not-checked',
  'pan-in-field-2-on-swipe',
  'failed-void-marks-original-voided',
  'declined-completion-consumes-preauth',
  'preauth-void-skips-sign-on-check',
  'list-request-in-reply-ignored',
  'track2-rebuilt-from-pan',
  'icc-date-as-ascii',
  'tapped-refund-unsigned',
  'clear-ignored-in-text-entry',
  'timeout-shown-as-cancelled',
  'preauth-void-drops-all-preauths',
  'ecr-settle-result-empty',
  'swipe-reply-mac-not-reversed',
  'decline-mac-verified',
  'list-request-never-cleared',
] as const;

export type DefectName = (typeof DEFECT_NAMES)[number];

export interface DefectInfo {
  readonly name: DefectName;
  readonly description: string;
  readonly area: DefectArea;
}

export const DEFECT_CATALOGUE: ReadonlyArray<DefectInfo> = Object.freeze([
  { name: 'full-pan-on-voucher', area: 'voucher', description: 'vouchers print the full card number instead of first 6 + last 4' },
  { name: 'pin-echoed-on-screen', area: 'pin', description: 'the PIN entry screen shows the PIN digits instead of *' },
  {
    name: 'no-reversal-after-timeout',
    area: 'payment',
    description: 'after a host timeout no reversal (0400) is ever sent, so the cardholder stays charged',
  },
  {
    name: 'reversal-sent-twice',
    area: 'payment',
    description: 'a pending reversal is sent twice (two 0400 with the same STAN) before the next transaction',
  },
  { name: 'wrong-mac', area: 'payment', description: 'request MACs are computed over the wrong bytes, so the host answers A0' },
  {
    name: 'pin-block-format-1',
    area: 'pin',
    description: 'the PIN block is built in ISO format 1 (no PAN) instead of format 0 while field 53 still says format 0',
  },
  { name: 'cardholder-copy-missing', area: 'voucher', description: 'the cardholder copy of the voucher is not printed (the other copies are)' },
  { name: 'signature-line-missing', area: 'voucher', description: 'the merchant copy has no cardholder signature line' },
  { name: 'voucher-amount-mismatch', area: 'voucher', description: 'the voucher amount is 1 fen more than the amount the host authorized' },
  { name: 'voucher-rrn-not-host', area: 'voucher', description: "the voucher reference number is made up by the terminal, not the host's field 37" },
  {
    name: 'response-51-shown-as-success',
    area: 'risk',
    description: 'a decline with response code 51 (insufficient funds) is shown as 交易成功 and a voucher is printed',
  },
  {
    name: 'lost-card-shown-as-plain-failure',
    area: 'risk',
    description:
      'a lost card (41) or stolen card (43) decline is shown as a bare failure code, without the §7 wording (挂失卡 / 被窃卡, or a synonym the terminal declares), so the merchant does not know to retain the card',
  },
  {
    name: 'expired-card-accepted',
    area: 'risk',
    description:
      'the terminal declares a local expiry check on magstripe (profile magstripeExpiry local) but does not check the expiry date and sends expired cards online (sending them online is conformant only for a terminal that declares it)',
  },
  {
    name: 'settlement-totals-off-by-one',
    area: 'settlement',
    description: 'settlement (0500 field 48) reports one debit transaction more than the batch holds',
  },
  { name: 'batch-not-cleared', area: 'settlement', description: 'after settlement the batch is not emptied and the batch number does not advance' },
  { name: 'stan-not-incremented', area: 'payment', description: 'the STAN (field 11) is not incremented between financial transactions' },
  { name: 'payee-not-shown', area: 'payment', description: 'the 缴费 confirmation screen shows the amount but not the payee name and account' },
  { name: 'tamper-ignored', area: 'risk', description: 'a terminal marked tampered keeps transacting without a warning' },
  {
    name: 'response-mac-not-verified',
    area: 'payment',
    description: 'the MAC of an approved response is not checked; a corrupted reply is accepted and not reversed',
  },
  { name: 'reprint-not-marked', area: 'voucher', description: 'reprinted vouchers are not marked 重打印/DUPLICATED' },
  {
    name: 'failed-ic-lost-on-power-cut',
    area: 'settlement',
    description: 'failed-IC records (失败IC记录, cup8583.md §3.10) are kept in RAM only: after a power cut the batch upload leaves them out',
  },
  {
    name: 'ecr-busy-after-boot',
    area: 'settlement',
    description: 'after power-on the terminal answers every cash-register request busy at its idle screen until a flow has run from the keypad',
  },
  {
    name: 'foreign-card-booked-domestic',
    area: 'settlement',
    description:
      'the card organisation the acquirer answers in 63.1 is ignored: a foreign card (外卡, e.g. VIS) is booked as CUP, so it counts on the 内卡 side of the 0500 F48 (cup8583.md §3.9), goes up flagged 00 (§3.10) and its voucher lacks 外卡组织 (§6)',
  },
  {
    name: 'original-marked-as-reprint',
    area: 'voucher',
    description: "a transaction's first vouchers are printed as a reprint: marked 重打印/DUPLICATED and sent with reprint: true",
  },
  {
    name: 'reversal-lost-on-power-cut',
    area: 'payment',
    description: 'the pending reversal is kept in volatile memory only, so a power cut mid-transaction loses it',
  },
  { name: 'settlement-before-reversal', area: 'settlement', description: 'settlement is sent before the pending reversal' },
  {
    name: 'entry-mode-always-swipe',
    area: 'payment',
    description: 'field 22 always says magstripe (02x) whatever the card was inserted, tapped or swiped',
  },
  {
    name: 'kcv-not-checked',
    area: 'onboarding',
    description: 'sign-on installs working keys without checking their check values and reports 签到成功',
  },
  {
    name: 'no-remove-card-reminder',
    area: 'risk',
    description:
      'after a chip transaction the terminal returns to idle silently with the card still in the reader: no 请拔卡 / 请取卡 and no beeps, so the card is left behind',
  },
  {
    name: 'stale-card-reused',
    area: 'risk',
    description:
      'a card left in the reader after a transaction is read again by the next one without being presented (no 请拔卡, the next sale charges the card still in the slot)',
  },
  {
    name: 'supervisor-password-not-checked',
    area: 'payment',
    description:
      'the supervisor password (主管密码) asked before a void or refund is not checked: any password is taken and the void or refund goes to the host',
  },
  {
    name: 'chip-read-without-ic-params',
    area: 'onboarding',
    description:
      "chip cards are read and sent online although the terminal holds no IC parameters and public keys (never downloaded, or superseded by the host's digit 4 / 5 and not downloaded again): no IC卡参数未下载 refusal",
  },
  {
    name: 'ic-params-not-downloaded-on-flag',
    area: 'onboarding',
    description:
      'header digit 4 / 5 (update the IC public keys / download the IC parameters) in a reply is ignored: the terminal keeps reading chips with the lists the acquirer superseded and never downloads the new ones',
  },
  {
    name: 'tc-upload-wrong-cryptogram-type',
    area: 'settlement',
    description:
      "the IC TC records of the batch upload (0320 60.3 203 / 205) carry the ARQC of the request (9F27 80) instead of the card's final TC (9F27 40)",
  },
  {
    name: 'tc-upload-duplicated-after-restart',
    area: 'settlement',
    description:
      'after a power cut during the batch upload the terminal starts the upload over, sending again the records the acquirer had already acknowledged',
  },
  {
    name: 'fallback-without-chip-failure',
    area: 'payment',
    description:
      'a chip card (service code 2xx / 6xx) swiped without a failed chip read first is accepted as a magstripe fallback instead of being refused with 请插卡',
  },
  {
    name: 'fallback-not-marked',
    area: 'payment',
    description:
      'a swipe after a failed chip read (磁条降级) goes online as a plain swipe: F22 02x and 60.5 = 0 instead of the fallback entry mode (F22 80x or 02x with 60.5 = 2), so the issuer cannot apply its fallback policy',
  },
  {
    name: 'script-result-not-sent',
    area: 'risk',
    description:
      'the card runs the issuer script of an approved chip reply (F55 tag 71 / 72) but the terminal never sends the 0620 script-result notice (60.3 951, DF31): the issuer never learns whether its script ran',
  },
  {
    name: 'qps-limit-ignored',
    area: 'payment',
    description:
      'a tap at or under the declared QuickPass no-PIN / no-signature limits still asks for the PIN and prints a signature block, with no 免密 / 免签 mark',
  },
  {
    name: 'qps-9f34-wrong',
    area: 'payment',
    description: 'F55 tag 9F34 (CVM results) says online PIN even when the sale went without a PIN (a QuickPass tap under the limit)',
  },
  {
    name: 'partial-approval-requested-amount-printed',
    area: 'voucher',
    description:
      'on a partial approval (10 部分承兑) the voucher copies print the amount the cardholder asked for, not the one the issuer approved (F4 of the reply) and debited',
  },
  {
    name: 'blacklist-not-checked',
    area: 'onboarding',
    description:
      'the card blacklist (黑名单, 60.3 390) is downloaded but cards are not checked against it: a listed card is read and sent online like any other, no 受限制的卡 refusal',
  },
  {
    name: 'contactless-params-not-applied',
    area: 'onboarding',
    description:
      'the contactless parameters (非接参数, 60.3 394) are downloaded but the QuickPass limits the terminal shipped with stay in force: a tap over the limit the acquirer lowered still goes without PIN and signature',
  },
  {
    name: 'preauth-add-sent-as-preauth',
    area: 'payment',
    description:
      '追加预授权 goes out with F25 = 06 instead of 60 (cup8583.md §3.1): the acquirer sees a second, separate pre-authorization, the original hold is not raised and the completion up to the new total is refused',
  },
  {
    name: 'operator-not-in-sign-on',
    area: 'onboarding',
    description:
      'after an operator logon the 0800 sign-on still carries the default operator in F63 (01), not the one who logged on (cup8583.md §2.6 63.1): the acquirer cannot tell who signed the terminal on',
  },
  {
    name: 'e-signature-wrong-trace',
    area: 'payment',
    description:
      'the electronic signature (电签, 0820 60.3 800) is uploaded naming the trace before the signed sale in F61: the acquirer cannot link it to the sale the cardholder signed',
  },
  {
    name: 'tls-verification-off',
    area: 'risk',
    description:
      'on the public-network link (HTTPS, 公网接入) the terminal takes any certificate the host presents: it sends its request to a host whose certificate does not chain to the CA it was given',
  },
  {
    name: 'public-network-wrong-content-type',
    area: 'risk',
    description:
      'on the public-network link (HTTPS, 公网接入) the terminal POSTs its frames as application/octet-stream instead of x-ISO-TPDU/x-auth (cup8583.md §1.2)',
  },
  {
    name: 'reply-mti-not-checked',
    area: 'risk',
    description:
      "a reply whose message type is not the request's + 10 (a 0230 to a 0200, cup8583.md §3.6) is taken as the answer: the sale is approved on it (交易成功, voucher) and never reversed, instead of 解包消息码不符 and a reversal",
  },
  {
    name: 'pan-in-field-2-on-swipe',
    area: 'payment',
    description:
      "a swiped card's number is also sent in F2 (cup8583.md §2.2: F2 for chip and manual entry only; a magstripe card's number travels in the track 2 data, F35)",
  },
  {
    name: 'failed-void-marks-original-voided',
    area: 'risk',
    description:
      'a void that was sent but got no reply (it is reversed, the sale stands) still marks the original sale voided: the sale can no longer be voided (已撤销 / voucher refused) although the cardholder stays charged',
  },
  {
    name: 'declined-completion-consumes-preauth',
    area: 'payment',
    description:
      'a 预授权完成 the acquirer declines (such as a 61 for an amount over the hold and its tolerance) still uses up the pre-authorization on the terminal: the next completion of it no longer names it (F61 original batch + trace sent as zeros, cup8583.md §2.5, §3.7)',
  },
  {
    name: 'preauth-void-skips-sign-on-check',
    area: 'onboarding',
    description:
      '预授权撤销 does not check that the terminal is signed on: after a failed sign-on (no working keys) it is not refused as not signed on but goes to the acquirer, MACed under no key the acquirer issued (cup8583.md §3.2, §5.1)',
  },
  {
    name: 'list-request-in-reply-ignored',
    area: 'onboarding',
    description:
      'header digit 6 = 7 (download the card blacklist, cup8583.md §1.1) is honoured in the sign-on reply only: when a transaction reply asks, the terminal does not load the new blacklist before its next transaction',
  },
  {
    name: 'track2-rebuilt-from-pan',
    area: 'payment',
    description:
      "F35 is not the track 2 the card holds (nor a chip card's track 2 equivalent data) but one made up from its PAN, expiry and service code, its discretionary data replaced by zeros (cup8583.md §2.2): on a swipe the acquirer finds the card data altered and declines the sale with 14",
  },
  {
    name: 'icc-date-as-ascii',
    area: 'payment',
    description:
      'tag 9A (transaction date) of F55 goes as six ASCII digits (6 bytes) instead of BCD YYMMDD (n6, 3 bytes, cup8583.md §3.11, EMV Book 3 Annex A) in every online chip or contactless request',
  },
  {
    name: 'tapped-refund-unsigned',
    area: 'voucher',
    description:
      'a refund or a pre-authorization tapped under the QuickPass no-signature limit is printed like a 消费: no signature block on the merchant copy and marked 免签 (only a tapped 消费 under the limits is waived, cup8583.md §6, TTP profile contactless limits)',
  },
  {
    name: 'clear-ignored-in-text-entry',
    area: 'payment',
    description:
      'CLEAR does nothing in free-text entry (such as the original authorization code of a 预授权完成, TTP 1.1 §6.4: CLEAR deletes the last entered character): a mistyped character stays and goes to the acquirer (F38)',
  },
  {
    name: 'timeout-shown-as-cancelled',
    area: 'risk',
    description:
      'an input the terminal waits for in vain (no card presented, no key pressed) ends the transaction as cancelled by the operator (交易取消, TTP 1.1 §7.6 outcome cancelled) instead of timed out (outcome timeout)',
  },
  {
    name: 'preauth-void-drops-all-preauths',
    area: 'payment',
    description:
      'an approved 预授权撤销 makes the terminal forget every pre-authorization it keeps, not only the voided one: a later 预授权完成 of another one no longer names it (F61 original batch + trace sent as zeros, cup8583.md §2.5, §3.7)',
  },
  {
    name: 'ecr-settle-result-empty',
    area: 'settlement',
    description:
      "a settlement started from the cash register (TTP 1.1 §6.9 settle) ends with a result that says neither whether it was approved, nor the acquirer's F39 (cup8583.md §3.9), nor the outcome (§7.6): the cash register cannot tell a settled batch from a failed one",
  },
  {
    name: 'swipe-reply-mac-not-reversed',
    area: 'risk',
    description:
      'a swiped sale whose approving reply fails the MAC check is shown as failed but never reversed (no 0400 with reason A0 before the next request, cup8583.md §3.6, §3.8): the cardholder stays charged; a chip sale is reversed',
  },
  {
    name: 'decline-mac-verified',
    area: 'payment',
    description:
      'the reply MAC is verified on declines too (cup8583.md §3.6: only when F39 = 00): a decline whose MAC does not verify is shown as 解包校验不符 instead of its reason, and a reversal (A0) goes for a transaction the acquirer declined',
  },
  {
    name: 'list-request-never-cleared',
    area: 'onboarding',
    description:
      'the card blacklist / contactless parameter request a reply made (header digit 6 = 7 / 9, cup8583.md §1.1) is never cleared once the list is in: the terminal downloads the same list again and again on the same connection (after every sign-on and transaction) and then reports the download failed',
  },
] satisfies DefectInfo[]);

export class UnknownDefectError extends PoscertError {
  constructor(name: string) {
    super('EMULATOR_UNKNOWN_DEFECT', `unknown defect "${name}"; run "poscert emulator --list-defects" for the ${DEFECT_NAMES.length} names`, {
      name,
      known: [...DEFECT_NAMES],
    });
  }
}

export function isDefectName(name: string): name is DefectName {
  return (DEFECT_NAMES as readonly string[]).includes(name);
}

/** Validates a list of defect names (from the CLI or a test) into a set; throws on an unknown name. */
export function parseDefects(names: readonly string[] | undefined): ReadonlySet<DefectName> {
  const out = new Set<DefectName>();
  for (const name of names ?? []) {
    if (!isDefectName(name)) throw new UnknownDefectError(name);
    out.add(name);
  }
  return out;
}

/**
 * Is `name` on in `defects`? For code that holds the terminal's defect set rather than its session (the voucher
 * layouts): called `defect(…)` like SessionCore.defect, so the plan-strength ignorer knows the branch it switches.
 */
export function defect(defects: ReadonlySet<DefectName>, name: DefectName): boolean {
  return defects.has(name);
}

/** One line per defect, as `--list-defects` prints it. */
export function formatDefectList(): string {
  const width = Math.max(...DEFECT_CATALOGUE.map((d) => d.name.length));
  return DEFECT_CATALOGUE.map((d) => `${d.name.padEnd(width)}  [${d.area}] ${d.description}`).join('\n');
}
