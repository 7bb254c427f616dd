/** The emulated UnionPay terminal: reference implementation of the terminal side of TTP. */
export { EmulatedTerminal, DEFAULT_TIMEOUTS, cardImageProblem } from './terminal';
export type { EmulatorOptions, EmulatorIdentity } from './terminal';
export { startEmulator } from './start';
export type { StartEmulatorOptions, RunningEmulator } from './start';
export { DEFECT_CATALOGUE, DEFECT_NAMES, UnknownDefectError, formatDefectList, isDefectName, parseDefects } from './defects';
export type { DefectName, DefectInfo, DefectArea } from './defects';
export { TerminalStateStore, initialState } from './state-store';
export type { TerminalState, StoredTransaction, PendingReversal } from './state-store';
export { TerminalStateError, EmulatorConfigError, HostLinkError, CardImageError } from './errors';
export { RESPONSE_TEXTS, responseText, formatAmount } from './texts';
export { renderVoucher, renderSettlementSlip, REPRINT_MARK, SIGNATURE_LINE } from './voucher';
export { SoftwareIcc, arqcInputFromTags, ARQC_INPUT_TAGS } from './icc';
export type { Timeouts } from './session';
