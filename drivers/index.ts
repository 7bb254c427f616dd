/** drivers/: the harness side — what steps, the certification run and the CLI use to drive terminals. */
export { TerminalDriver } from './terminal';
export type { TerminalIdentity, TerminalDriverOptions, CardBinding, PinBinding } from './terminal';
export {
  classifyError, TerminalExpectationError, TerminalCommandError, TerminalBrokenError, DriverUsageError, LabFileError,
} from './errors';
export type { Outcome } from './errors';
export { SignedOnIdleStrategy } from './strategy';
export type { RecoveryOptions, RecoveryControl } from './strategy';
export { ScreenTracker, screenMatches, screenText } from './screens';
export type { ScreenSnapshot, ScreenMatcher } from './screens';
export { VoucherCollector } from './vouchers';
export type { VoucherCopy } from './vouchers';
export { Transcript } from './transcript';
export type { TranscriptEntry } from './transcript';
export { EvidenceMasker } from './masking';
export { findMenuEntry, menuEntries } from './menu';
export type { MenuEntry } from './menu';
export {
  TtpCardPresenter, DeviceCardPresenter, OperatorCardPresenter, TtpPinEntry, OperatorPinEntry,
} from './presenters';
export type { CardPresenter, PinEntry, PresenterKind } from './presenters';
export { OperatorConsole, OperatorTimeoutError } from './operator';
export type { OperatorConsoleOptions } from './operator';
export { loadLabFile, parseLabFile, findLabTerminal, missingCapabilities, driverOptionsForLabTerminal, DEFAULT_LAB_FILE } from './labfile';
export type { LabFile, LabTerminal } from './labfile';
export { startEmulatedLab, startLabEmulator, openLabTerminal } from './lab';
export type { EmulatedLab, EmulatedLabOptions, EmulatedLabTerminal, OpenedLabTerminal } from './lab';
