/**
 * The words of the by-hand steps (steps/operator.steps.ts) on an operator terminal: what the person
 * at the terminal is told to do, and what they are asked, each question with the failure a "no"
 * means. Pure text in one place, so the steps stay a few lines and the wording is reviewed together.
 */

/** A yes/no question to the person; "no" fails the case with `failure`. */
export interface Question {
  question: string;
  failure: string;
}

const READER: Readonly<Record<string, string>> = {
  swipe: 'Swipe test card {card} through the magnetic stripe reader',
  insert: 'Insert test card {card} into the chip reader (leave it in until the terminal says to remove it)',
  tap: 'Tap test card {card} on the contactless reader',
};

const COPY_WORDS: Readonly<Record<string, string>> = {
  merchant: 'merchant copy (商户存根)',
  cardholder: 'cardholder copy (持卡人存根)',
  bank: 'bank copy (银行存根)',
};

const copyWords = (copy: string): string => COPY_WORDS[copy] ?? copy;

/** What the person is told to do; amounts come as 元 text. */
export const tell = {
  selectMenu: (label: string) => `On the terminal's main menu, choose “${label}”.`,
  amount: (yuan: string) => `Key the amount ${yuan} and press ENTER (确认).`,
  confirm: 'Press ENTER (确认) on the terminal.',
  cancel: 'Press CANCEL (取消) on the terminal, and return it to its idle screen.',
  /** `card` is the card's label as the person knows it (alias and masked number). */
  presentCard: (entry: string, card: string) => `${(READER[entry] ?? `Present test card {card} (${entry})`).replace('{card}', card)}.`,
  pin: (alias: string) => `When the terminal asks for the PIN of ${alias}, type it on the PIN pad and press ENTER (确认).`,
  noPin: 'If the terminal asks for a PIN (or shows 无密码请按[确认]), press ENTER (确认) without typing one.',
  ecrBillPayment: (yuan: string, name: string, account: string) =>
    "On the cash register connected to the terminal (or on the terminal's 缴费 menu where it has no cash register), " +
    `start 缴费 (bill payment) of ${yuan} to payee “${name}”, account “${account}”.`,
};

/** How many voucher copies the person counted (a number, not a yes/no). */
export const COUNT_COPIES =
  'When the terminal has finished printing: how many voucher copies (签购单) did it print for this transaction? (0 if none)';

/** What the person is asked. */
export const ask = {
  ecrApproved: (): Question => ({
    question: 'Did the cash register (or the terminal, without one) report the transaction approved?',
    failure: 'the cash register got no approval',
  }),
  screenShows: (text: string): Question => ({
    question: `Does the terminal's screen show “${text}”? (wait for it if the terminal is still working)`,
    failure: `the screen did not show "${text}"`,
  }),
  everyCopyShows: (text: string): Question => ({
    question: `Does every voucher copy of this transaction show “${text}”?`,
    failure: `a voucher copy does not show "${text}"`,
  }),
  everyCopyShowsAmount: (yuan: string): Question => ({
    question: `Does every voucher copy of this transaction show the amount ${yuan}?`,
    failure: `a voucher copy does not show the amount ${yuan}`,
  }),
  everyAmountBooked: (yuan: readonly string[]): Question => ({
    question: `Is every amount printed on every voucher copy of this transaction (金额 / AMOUNT, 累计金额 / TOTAL …) one of: ${yuan.join(', ')}? (an amount line left blank to write in counts as yes)`,
    failure: `a voucher copy prints an amount the host did not book (the host's: ${yuan.join(', ')})`,
  }),
  noOtherKindNamed: (words: readonly string[]): Question => ({
    question: `Is every voucher copy of this transaction free of the words ${words.map((w) => `“${w}”`).join(', ')} (types of other transactions)?`,
    failure: `a voucher copy names a transaction type other than its own (${words.join(', ')})`,
  }),
  copyShows: (copy: string, text: string): Question => ({
    question: `Does the ${copyWords(copy)} show “${text}”?`,
    failure: `the ${copy} copy does not show "${text}"`,
  }),
  signatureLine: (copy: string): Question => ({
    question: `Does the ${copyWords(copy)} have a line for the cardholder's signature (持卡人签名)?`,
    failure: `the ${copy} copy has no signature line`,
  }),
  everyCopyShowsExpiry: (yyyymm: string): Question => ({
    question: `Does every voucher copy of this transaction show the card's expiry date (卡有效期) ${yyyymm}?`,
    failure: `a voucher copy does not show the card's expiry date ${yyyymm}`,
  }),
  noCardAsked: (): Question => ({
    question: 'After that, did the terminal leave the transaction without asking for a card (no 请刷卡 / 请插卡 prompt)?',
    failure: 'the terminal asked for a card',
  }),
  noSignatureLine: (copy: string): Question => ({
    question: `Is the ${copyWords(copy)} free of any line for the cardholder's signature (持卡人签名)?`,
    failure: `the ${copy} copy asks for a signature`,
  }),
};
