/** host/: the reference bank host (a UnionPay POS acquirer over TCP). Public API for the emulator, drivers and steps. */
export { loadHostConfig, hostConfigFromObject, defaultScenariosDir, parseAmountToFen } from './config';
export type {
  HostConfig,
  MerchantConfig,
  TerminalConfig,
  CardConfig,
  CardEmvConfig,
  IssuerKeyConfig,
  IssuerRules,
  HostIdentity,
  TerminalParameters,
  TerminalKeyScheme,
  TerminalStatus,
  CardStatus,
  AccountType,
  CardInterface,
  SettlementAccount,
} from './config';
export { cardByAlias, cardByPan, terminalCardImage, ARQC_CDOL1_TAGS } from './cards';
export { ReferenceHost } from './server';
export type { ReferenceHostOptions } from './server';
export { HostControl } from './control';
export type { PublicNetworkAccess } from './control';
export { PublicNetworkFront, PUBLIC_NETWORK_CONTENT_TYPE, PUBLIC_NETWORK_DEFAULT_PATH } from './public-network';
export type { PublicNetworkArrival, TlsIdentity } from './public-network';
export type {
  JournalQuery,
  JournalEntry,
  BalanceView,
  LedgerQuery,
  LedgerEntry,
  TransactionQuery,
  TransactionView,
  SettlementView,
  SettlementSideTotals,
  TerminalStateView,
} from './control';
export type { FaultSpec, FaultAction, FaultMatch, ActiveFault } from './faults';
export { FAULT_ACTIONS } from './faults';
export type { HostLogger } from './engine';
export { formatFen } from './engine';
// The dialect's private-field codecs live in protocol/; re-exported for the host's existing callers.
export { encodeSm4PinBlockF59, decryptTrackData } from '../protocol/iso8583';
export { HostConfigError, HostStartError, HostDatabaseError, HostControlError } from './errors';
export type { HostConfigProblem } from './errors';
export { SecretBytes } from './secret';
