/** drivers/: the harness side — what steps, the certification run and the CLI use to drive terminals. */
export { TerminalDriver } from './terminal';
export type { TerminalIdentity, TerminalDriverOptions, CardBinding, PinBinding } from './terminal';
export { classifyError, TerminalExpectationError, TerminalCommandError, TerminalBrokenError, DriverUsageError, LabFileError } from './errors';
export type { Outcome } from './errors';
export { TerminalStrategy } from './strategy';
export type { RecoveryOptions, RecoveryControl, RestControl, StrategyTarget } from './strategy';
export { PROMPT_TABLE, promptsOf, answerFor, phaseOf, promptKey, ASKING_STATES, END_STATES, AT_REST_STATES } from './prompts';
export type { PromptKind, PromptRow, PromptScreen, TransactionAnswers, PromptAction } from './prompts';
export type { PresentedCard, DriverAnswers, TransactionRunOptions } from './interaction';
export { ScreenTracker, screenMatches, screenText, screenContains, screenShowsAmount, amountOnScreen } from './screens';
export { keyHex, identitySettings, flippedKey } from './terminal-settings';
export type { ScreenSnapshot, ScreenMatcher } from './screens';
export {
  VoucherCollector,
  voucherText,
  amountPattern,
  TRANSACTION_COPIES,
  COPY_LABELS,
  transactionCopies,
  describeCopy,
  showsText,
  showsAmount,
  showsAmountNegated,
  givesBackToCard,
  showsIssuer,
  hasSignatureLine,
  isLabelledAs,
  maskedPanShape,
  showsMaskedPan,
  showsMerchantName,
  showsDateTime,
  showsExpiry,
  showsFigures,
  SLIP_SALE_ROW,
  copiesFailing,
  copyNames,
  bookedAmounts,
  amountLinesNotBooked,
  otherKindNamed,
  otherKindWords,
  VOUCHER_KINDS,
  icBlockOf,
  icBlockProblems,
  lastChipRequest,
} from './vouchers';
export type { VoucherCopy } from './vouchers';
export { setVoucherCopies } from './voucher-settings';
export { Transcript } from './transcript';
export type { TranscriptEntry } from './transcript';
export { EvidenceMasker } from './masking';
export { findMenuEntry, menuEntries } from './menu';
export type { MenuEntry } from './menu';
export { TtpCardPresenter, DeviceCardPresenter, OperatorCardPresenter, TtpPinEntry, OperatorPinEntry } from './presenters';
export type { CardPresenter, PinEntry, PresenterKind } from './presenters';
export { OperatorConsole, OperatorTimeoutError } from './operator';
export type { OperatorConsoleOptions } from './operator';
export { loadLabFile, parseLabFile, findLabTerminal, missingCapabilities, driverOptionsForLabTerminal, DEFAULT_LAB_FILE } from './labfile';
export type { LabFile, LabTerminal } from './labfile';
export { startEmulatedLab, startLabEmulator, openLabTerminal } from './lab';
export type { EmulatedLab, EmulatedLabOptions, EmulatedLabTerminal, OpenedLabTerminal } from './lab';
export {
  toHostMessage,
  requestsOf,
  replyTo,
  authorisedTotalFen,
  entryMode,
  securityControl,
  batchOf,
  settlementTotalsOf,
  iccTagsOf,
  payeeOf,
  faultMatchFor,
  clearPinBlocks,
  pinLeaks,
  journalText,
  reversalsOf,
  approvedOfBatch,
  tracesAdvance,
  originalBefore,
  nextAfterReversed,
  FINANCIAL_KINDS,
  menuFinancialKinds,
  financialRequests,
  describeMessages,
  stansOf,
  uploadNetworkCodes,
  settledBatchOf,
  settlementCounts,
  REQUIRED_ICC_TAGS,
  missingIccTags,
} from './host-view';
export type { HostMessage, JournalRowLike } from './host-view';
export { ecrEndingProblems, ecrFlowRequest, ecrResultProblems } from './ecr-result';
export { incompleteReferences } from './original-reference';
export type { EcrEnding, EcrResultFigures } from './ecr-result';
export { reconciliationStatementProblems, statedResult } from './settlement-result';

export { PoscertError } from '../errors';
// What steps need of the layers below, routed through drivers/ (steps import only drivers/ and certification/).
export { TRANSACTION_KINDS, identify, isTransactionKind, transactionSpec } from '../protocol/iso8583';
export type { TransactionKind, TransactionSpec, SettlementTotals } from '../protocol/iso8583';
export type { TtpCardImage, TtpCardMethod } from '../protocol/ttp';
export { maskPan } from '../crypto';
export { cardByAlias, terminalCardImage, loadHostConfig, ReferenceHost } from '../host';
export type { CardConfig, HostConfig, HostControl, FaultAction, FaultSpec, TerminalConfig, MerchantConfig } from '../host';
export { REFERENCE_PROFILE } from '../protocol/ttp/profile';
export type { TerminalProfile } from '../protocol/ttp/profile';
export { judgeTraffic, declaredKeyScheme } from './message-conformance';
export {
  approvedRequests,
  judgeWrongSupervisorPassword,
  showsPasswordRefused,
  supervisorPasswordToGive,
  wrongSupervisorPassword,
} from './supervisor';
export type { SupervisorAnswer, SupervisorGuarded, WrongSupervisorAttempt } from './supervisor';
export type { ConformanceReport, TerminalTraffic } from './message-conformance';
