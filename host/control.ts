/**
 * The control API of the reference host: what the harness asks it (journal, balances, ledger,
 * settlement totals, terminal state) and tells it (faults, reset). In-process it is
 * `host.control`; standalone the same calls are served as JSON over HTTP on loopback (admin.ts).
 * Nothing returned carries a clear PAN, track, PIN or key.
 */
import { keyCheckValue, maskPan } from '../crypto';
import {
  IC_LIST_KINDS,
  isTransactionKind,
  TERMINAL_LIST_KINDS,
  TRANSACTION_KINDS,
  type ContactlessParameters,
  type IcListKind,
  type TerminalListKind,
} from '../protocol/iso8583';
import { cardByAlias } from './cards';
import type { CardConfig, HostConfig } from './config';
import type { HostEngine } from './engine';
import { terminalLists } from './config';
import type { DownloadKind } from './context';

const DOWNLOAD_KINDS: readonly DownloadKind[] = [...IC_LIST_KINDS, ...TERMINAL_LIST_KINDS];
import { HostControlError } from './errors';
import type { ActiveFault, FaultSet, FaultSpec } from './faults';
import type { PublicNetworkArrival, TlsIdentity } from './public-network';
import type { HostStore, JournalRow, LedgerRow, TransactionKind, TransactionRow } from './store';

export interface JournalQuery {
  terminalId?: string;
  stan?: string;
  mti?: string;
  /** ISO time or Date; entries at or after. */
  since?: string | Date;
  /** ISO time or Date; entries at or before. */
  until?: string | Date;
  direction?: 'in' | 'out';
  /** Newest N entries (default: all). Results are always oldest first. */
  limit?: number;
}

export interface JournalEntry {
  id: number;
  direction: 'in' | 'out';
  time: string;
  remote: string | null;
  terminalId: string | null;
  mti: string | null;
  processingCode: string | null;
  stan: string | null;
  /** Amount in fen (F4) when present. */
  amount: number | null;
  responseCode: string | null;
  /** Frame hex (length prefix to the end) with card data masked. */
  hex: string;
  /** Decoded field table {field number: value}, card data masked. */
  fields: Record<string, string>;
  note: string | null;
}

export interface BalanceView {
  alias: string;
  panMasked: string;
  account: string;
  /** All amounts in fen. */
  openingBalance: number;
  balance: number;
  holds: number;
  available: number;
  pinTries: number;
}

export interface LedgerQuery {
  card?: string;
  terminalId?: string;
  since?: string | Date;
}

export interface LedgerEntry {
  id: number;
  txnId: number;
  card: string;
  /** Signed fen: negative debits the card, positive credits it. */
  amount: number;
  /** book = the transaction's own effect, reverse = its undo by a reversal. */
  effect: string;
  at: string;
  kind: TransactionKind;
  terminalId: string;
  batch: string;
  stan: string;
  rrn: string | null;
}

export interface TransactionQuery {
  terminalId?: string;
  batch?: string;
  stan?: string;
  card?: string;
  kind?: TransactionKind;
}

export interface TransactionView {
  id: number;
  terminalId: string;
  merchantId: string;
  batch: string;
  stan: string;
  mti: string;
  processingCode: string;
  kind: TransactionKind;
  card: string | null;
  panMasked: string | null;
  /** 63.1 the host answered and the settlement side it counts on (cup8583.md §2.6, §3.9): CUP 内卡, else 外卡. */
  cardOrganisation: string;
  amount: number;
  responseCode: string;
  authCode: string | null;
  rrn: string | null;
  at: string;
  approved: boolean;
  reversed: boolean;
  originalId: number | null;
  voidedBy: number | null;
  refunded: number;
  hold: number;
  payee?: { name: string; account: string; reference?: string };
}

export interface SettlementSideTotals {
  debitAmount: number;
  debitCount: number;
  creditAmount: number;
  creditCount: number;
}

export interface SettlementView {
  terminalId: string;
  batch: string;
  /** The host's totals of the batch from the ledger (cup8583.md §3.9): domestic = cards booked CUP (63.1). */
  domestic: SettlementSideTotals;
  /** Foreign (外卡) = cards of every other organisation (the card book's organisation). */
  foreign: SettlementSideTotals;
  /** 0510 results given so far for this batch, oldest first. */
  settlements: { at: string; terminalF48: string; hostF48: string; domesticResult: string; foreignResult: string }[];
  state: string | null;
  uploadedRecords: number;
}

export interface TerminalStateView {
  terminalId: string;
  merchantId: string;
  status: string;
  keyScheme: string;
  signedOn: boolean;
  batch: string;
  signOnCount: number;
  signedOnAt: string | null;
  keyLayout: string | null;
  /** Key check values of the current working keys (never the keys). */
  keyCheckValues: { pik?: string; mak?: string; tdk?: string };
  parameterVersion: number;
  /** IC lists (cup8583.md §3.5): the version the terminal completed and the host's current one, per list. */
  icParameters: Record<IcListKind, { loaded: string | null; current: string }>;
  /** Card blacklist (390) and contactless parameters (394): the version the terminal completed and the host's current one. */
  terminalLists: Record<TerminalListKind, { loaded: string | null; current: string }>;
  /** Cards with wrong-PIN counts above zero (issuer-side counters), alias → tries. */
  pinTries: Record<string, number>;
}

function isoTime(v: string | Date | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) throw new HostControlError(`${what} must be an ISO time, got ${JSON.stringify(v)}`);
  return d.toISOString();
}

/** The host's public-network front (HTTPS, cup8583.md §1.2) as the harness drives and reads it. */
export interface PublicNetworkAccess {
  /** Starts the front (or makes it present `identity` from now on); where terminals POST to. */
  start(identity: TlsIdentity): Promise<{ host: string; port: number; path: string }>;
  /** What reached the HTTPS port at or after `since` (ISO time), oldest first; none without a front. */
  arrivals(since?: string): PublicNetworkArrival[];
  /** Back to the lab's baseline (its own front and certificate, or none). */
  restore(): Promise<void>;
}

export class HostControl {
  /** The public-network front, wired by the in-process ReferenceHost (absent on other controls). */
  publicNetwork?: PublicNetworkAccess;

  constructor(
    private readonly config: HostConfig,
    private readonly store: HostStore,
    private readonly engine: HostEngine,
    private readonly faultSet: FaultSet,
  ) {}

  journal(query: JournalQuery = {}): JournalEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.terminalId !== undefined) {
      where.push('terminal_id = ?');
      args.push(query.terminalId);
    }
    if (query.stan !== undefined) {
      where.push('stan = ?');
      args.push(query.stan);
    }
    if (query.mti !== undefined) {
      where.push('(mti = ? OR out_mti = ?)');
      args.push(query.mti, query.mti);
    }
    const since = isoTime(query.since, 'since');
    const until = isoTime(query.until, 'until');
    if (since) {
      where.push('at >= ?');
      args.push(since);
    }
    if (until) {
      where.push('at <= ?');
      args.push(until);
    }
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1)) {
      throw new HostControlError(`limit must be a positive integer, got ${JSON.stringify(query.limit)}`);
    }
    const rows = this.store.db
      .prepare(`SELECT * FROM journal${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`)
      .all(...args) as JournalRow[];
    const entries: JournalEntry[] = [];
    for (const r of rows) {
      const inFields = r.in_fields ? (JSON.parse(r.in_fields) as Record<string, string>) : {};
      entries.push({
        id: r.id * 2,
        direction: 'in',
        time: r.at,
        remote: r.remote,
        terminalId: r.terminal_id,
        mti: r.mti,
        processingCode: r.processing_code,
        stan: r.stan,
        amount: r.amount,
        responseCode: null,
        hex: r.in_hex,
        fields: inFields,
        note: r.note,
      });
      if (r.out_hex !== null) {
        const outFields = r.out_fields ? (JSON.parse(r.out_fields) as Record<string, string>) : {};
        entries.push({
          id: r.id * 2 + 1,
          direction: 'out',
          time: r.at,
          remote: r.remote,
          terminalId: r.terminal_id,
          mti: r.out_mti,
          processingCode: outFields['3'] ?? null,
          stan: outFields['11'] ?? r.stan,
          amount: outFields['4'] !== undefined && /^\d+$/.test(outFields['4']) ? Number(outFields['4']) : null,
          responseCode: r.response_code,
          hex: r.out_hex,
          fields: outFields,
          note: r.note,
        });
      }
    }
    const filtered = entries.filter(
      (e) => (query.direction === undefined || e.direction === query.direction) && (query.mti === undefined || e.mti === query.mti),
    );
    return query.limit !== undefined ? filtered.slice(-query.limit) : filtered;
  }

  private card(panOrAlias: string): CardConfig {
    const byPan = this.config.cards.find((c) => c.pan === panOrAlias);
    const card = byPan ?? cardByAlias(this.config, panOrAlias);
    if (!card.onFile)
      throw new HostControlError(`card ${card.alias} is not on file at the host (onFile: false): it has no account`, { alias: card.alias });
    return card;
  }

  balance(panOrAlias: string): BalanceView {
    const card = this.card(panOrAlias);
    const a = this.store.account(card.alias);
    if (!a) throw new HostControlError(`no account for card ${card.alias}`, { alias: card.alias });
    return {
      alias: a.card_alias,
      panMasked: a.pan_masked,
      account: a.account_type,
      openingBalance: a.opening_balance,
      balance: a.balance,
      holds: a.holds,
      available: a.balance - a.holds,
      pinTries: a.pin_tries,
    };
  }

  /** Every account (for invariant checks and reports). */
  balances(): BalanceView[] {
    return this.store.accounts().map((a) => ({
      alias: a.card_alias,
      panMasked: a.pan_masked,
      account: a.account_type,
      openingBalance: a.opening_balance,
      balance: a.balance,
      holds: a.holds,
      available: a.balance - a.holds,
      pinTries: a.pin_tries,
    }));
  }

  ledger(query: LedgerQuery = {}): LedgerEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.card !== undefined) {
      where.push('l.card_alias = ?');
      args.push(this.card(query.card).alias);
    }
    if (query.terminalId !== undefined) {
      where.push('t.terminal_id = ?');
      args.push(query.terminalId);
    }
    const since = isoTime(query.since, 'since');
    if (since) {
      where.push('l.at >= ?');
      args.push(since);
    }
    const rows = this.store.db
      .prepare(
        `SELECT l.*, t.kind, t.terminal_id, t.batch, t.stan, t.rrn FROM ledger l JOIN transactions t ON t.id = l.txn_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY l.id`,
      )
      .all(...args) as (LedgerRow & { kind: TransactionKind; terminal_id: string; batch: string; stan: string; rrn: string | null })[];
    return rows.map((r) => ({
      id: r.id,
      txnId: r.txn_id,
      card: r.card_alias,
      amount: r.amount,
      effect: r.effect,
      at: r.at,
      kind: r.kind,
      terminalId: r.terminal_id,
      batch: r.batch,
      stan: r.stan,
      rrn: r.rrn,
    }));
  }

  transactions(query: TransactionQuery = {}): TransactionView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.terminalId !== undefined) {
      where.push('terminal_id = ?');
      args.push(query.terminalId);
    }
    if (query.batch !== undefined) {
      where.push('batch = ?');
      args.push(query.batch);
    }
    if (query.stan !== undefined) {
      where.push('stan = ?');
      args.push(query.stan);
    }
    if (query.kind !== undefined) {
      // A misspelt or pre-catalogue kind ('completion') would silently match nothing.
      if (!isTransactionKind(query.kind)) {
        throw new HostControlError(`unknown transaction kind ${JSON.stringify(query.kind)}; use one of ${TRANSACTION_KINDS.join(', ')}`, {
          kind: query.kind,
        });
      }
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.card !== undefined) {
      where.push('card_alias = ?');
      args.push(this.card(query.card).alias);
    }
    const rows = this.store.db
      .prepare(`SELECT * FROM transactions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`)
      .all(...args) as TransactionRow[];
    return rows.map((r) => ({
      id: r.id,
      terminalId: r.terminal_id,
      merchantId: r.merchant_id,
      batch: r.batch,
      stan: r.stan,
      mti: r.mti,
      processingCode: r.processing_code,
      kind: r.kind,
      card: r.card_alias,
      panMasked: r.pan_masked,
      cardOrganisation: r.card_org,
      amount: r.amount,
      responseCode: r.response_code,
      authCode: r.auth_code,
      rrn: r.rrn,
      at: r.at,
      approved: r.approved === 1,
      reversed: r.reversed === 1,
      originalId: r.original_id,
      voidedBy: r.voided_by,
      refunded: r.refunded,
      hold: r.hold,
      ...(r.payee_name !== null
        ? { payee: { name: r.payee_name, account: r.payee_account ?? '', ...(r.payee_reference ? { reference: r.payee_reference } : {}) } }
        : {}),
    }));
  }

  settlementTotals(terminalId: string, batch: string): SettlementView {
    if (!/^\d{6}$/.test(batch)) throw new HostControlError(`batch must be 6 digits, got ${JSON.stringify(batch)}`);
    const settlements = this.store.db.prepare('SELECT * FROM settlements WHERE terminal_id = ? AND batch = ? ORDER BY id').all(terminalId, batch) as {
      at: string;
      terminal_totals: string;
      host_totals: string;
      domestic_result: string;
      foreign_result: string;
    }[];
    const state = this.store.batchState(terminalId, batch);
    return {
      terminalId,
      batch,
      domestic: this.store.batchTotals(terminalId, batch, 'domestic'),
      foreign: this.store.batchTotals(terminalId, batch, 'foreign'),
      settlements: settlements.map((s) => ({
        at: s.at,
        terminalF48: s.terminal_totals,
        hostF48: s.host_totals,
        domesticResult: s.domestic_result,
        foreignResult: s.foreign_result,
      })),
      state: state?.state ?? null,
      uploadedRecords: state?.uploaded ?? 0,
    };
  }

  terminalState(terminalId: string): TerminalStateView {
    const rt = this.engine.terminalRuntimeFor(terminalId);
    if (!rt) throw new HostControlError(`terminal ${terminalId} is not in the host configuration`, { terminalId });
    const kcv = (k: Buffer | undefined) =>
      k
        ? keyCheckValue(k, { algorithm: rt.config.keyScheme === 'SM4' ? 'sm4' : 'tdes', length: 4 })
            .toString('hex')
            .toUpperCase()
        : undefined;
    const pinTries: Record<string, number> = {};
    for (const a of this.store.accounts()) if (a.pin_tries > 0) pinTries[a.card_alias] = a.pin_tries;
    return {
      terminalId,
      merchantId: rt.config.merchantId,
      status: rt.config.status,
      keyScheme: rt.config.keyScheme,
      signedOn: rt.row.signed_on === 1 && !!rt.keys,
      batch: rt.row.batch,
      signOnCount: rt.row.sign_on_count,
      signedOnAt: rt.row.signed_on_at,
      keyLayout: rt.row.key_layout,
      keyCheckValues: rt.keys ? { pik: kcv(rt.keys.pik), mak: kcv(rt.keys.mak), ...(rt.keys.tdk ? { tdk: kcv(rt.keys.tdk) } : {}) } : {},
      parameterVersion: rt.row.param_version,
      pinTries,
      icParameters: {
        capk: { loaded: this.engine.icLoadedVersion(terminalId, 'capk') ?? null, current: this.config.icParameters.capkVersion },
        aid: { loaded: this.engine.icLoadedVersion(terminalId, 'aid') ?? null, current: this.config.icParameters.aidVersion },
      },
      terminalLists: {
        blacklist: { loaded: this.engine.icLoadedVersion(terminalId, 'blacklist') ?? null, current: this.engine.terminalLists.blacklistVersion },
        contactless: {
          loaded: this.engine.icLoadedVersion(terminalId, 'contactless') ?? null,
          current: this.engine.terminalLists.contactlessVersion,
        },
      },
    };
  }

  /**
   * Ask a terminal to download IC lists again (default both): replies carry header digit 4 (public
   * keys) or 5 (IC parameters) until it has completed each download (cup8583.md §1.1, §3.5).
   */
  requestIcDownload(terminalId: string, lists: readonly DownloadKind[] = ['capk', 'aid']): void {
    for (const l of lists)
      if (!DOWNLOAD_KINDS.includes(l))
        throw new HostControlError(`list must be one of ${DOWNLOAD_KINDS.join(', ')}, got ${JSON.stringify(l)}`, { list: l });
    if (!this.engine.requestIcDownload(terminalId, lists))
      throw new HostControlError(`terminal ${terminalId} is not in the host configuration`, { terminalId });
  }

  /** The contactless QuickPass parameters the host serves now (394), or undefined when none are configured. */
  contactlessParameters(): ContactlessParameters | undefined {
    return this.engine.terminalLists.contactless;
  }

  /**
   * Serve other contactless parameters from now on (a lab changing the QuickPass limits): the new
   * version makes every terminal's replies carry header digit 9 until it downloads them (394 / 395).
   * Undefined puts the configuration's back.
   */
  setContactlessParameters(params: ContactlessParameters | undefined): void {
    const lists = this.engine.terminalLists;
    const next = params ?? this.config.terminalLists.contactless;
    if (params !== undefined) {
      const p = params as unknown as Record<string, unknown>;
      for (const k of ['noPinEnabled', 'noSignatureEnabled'])
        if (typeof p?.[k] !== 'boolean')
          throw new HostControlError(`contactless parameters: ${k} must be true or false, got ${JSON.stringify(p?.[k])}`, { [k]: p?.[k] });
    }
    for (const [k, v] of Object.entries({ noPinLimitFen: next?.noPinLimitFen ?? 0, noSignatureLimitFen: next?.noSignatureLimitFen ?? 0 }))
      if (!Number.isInteger(v) || v < 0 || v > 999999999999) throw new HostControlError(`${k} must be 0..999999999999 fen, got ${v}`, { [k]: v });
    // Only the four values (a JSON body may bring more): they make the version.
    const clean = next && {
      noPinEnabled: next.noPinEnabled,
      noPinLimitFen: next.noPinLimitFen,
      noSignatureEnabled: next.noSignatureEnabled,
      noSignatureLimitFen: next.noSignatureLimitFen,
    };
    this.engine.setTerminalLists(terminalLists(lists.blacklist, clean));
  }

  /** Ask a terminal to sign on again: replies carry header digit 3 (重新签到) until it does. */
  requestSignOn(terminalId: string): void {
    if (!this.engine.requestSignOn(terminalId)) throw new HostControlError(`terminal ${terminalId} is not in the host configuration`, { terminalId });
  }

  injectFault(spec: FaultSpec): ActiveFault {
    return this.faultSet.add(spec);
  }

  faults(): ActiveFault[] {
    return this.faultSet.list();
  }

  clearFaults(): void {
    this.faultSet.clear();
  }

  /**
   * Ledger back to opening balances, journal / transactions / settlements cleared, PIN tries reset,
   * faults cleared. Terminal sign-ons (keys, batch numbers) and the RRN / auth-code counters are kept.
   */
  reset(): void {
    this.store.reset();
    this.faultSet.clear();
  }

  /** Masked PAN helper for reports. */
  static maskPan(pan: string): string {
    return maskPan(pan);
  }
}
