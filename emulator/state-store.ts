/**
 * What a real terminal keeps across power loss, in one JSON file per terminal: its parameters,
 * the PED contents (TMK, working keys as received under the TMK), the STAN and batch number, the
 * transactions of the open batch, the pending reversal and the tamper flag.
 *
 * Writes are atomic (temp file, fsync, rename, fsync of the directory), so a power cut, a
 * SIGKILL or a full disk leaves either the old or the new state, never a torn file. The file is
 * the emulated terminal's secure memory, not an export: it is created mode 0600 and holds what a
 * terminal holds (TMK, batch PANs). Never attach it to reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { TransactionKind } from '../protocol/iso8583';
import { TerminalStateError } from './errors';

const hex = z.string().regex(/^[0-9A-Fa-f]*$/, 'hex digits');
const digits = (n: number) => z.string().regex(new RegExp(`^\\d{${n}}$`), `${n} digits`);

/** An ISO 8583 field value as stored: text/digits, or binary as hex. */
const storedField = z.union([z.object({ s: z.string() }), z.object({ b: hex })]);
export type StoredField = z.infer<typeof storedField>;

/**
 * Kinds of the stored records: the catalogue's TransactionKinds a terminal keeps in its batch or
 * among its open pre-authorizations (a void of a completion is stored as `void`, the 撤销 it was).
 */
export const STORED_KINDS = [
  'sale',
  'bill-payment',
  'void',
  'refund',
  'preauth',
  'preauth-add',
  'preauth-void',
  'preauth-completion',
] as const satisfies readonly TransactionKind[];
export type StoredKind = (typeof STORED_KINDS)[number];

/** Kind names written by earlier versions of the emulator, read as today's. */
const OLD_KIND_NAMES: Readonly<Record<string, StoredKind>> = {
  'pre-auth': 'preauth',
  'pre-auth-void': 'preauth-void',
  completion: 'preauth-completion',
};

/** Renames the old kind strings of a parsed-but-unvalidated state file in place (records and the pending reversal). */
function upgradeKindNames(json: unknown): void {
  if (typeof json !== 'object' || json === null) return;
  const state = json as { batch?: unknown; preAuths?: unknown; pendingReversal?: unknown };
  const rename = (o: unknown) => {
    if (typeof o !== 'object' || o === null) return;
    const rec = o as { kind?: unknown };
    if (typeof rec.kind === 'string' && OLD_KIND_NAMES[rec.kind]) rec.kind = OLD_KIND_NAMES[rec.kind];
  };
  for (const list of [state.batch, state.preAuths]) if (Array.isArray(list)) list.forEach(rename);
  rename(state.pendingReversal);
}

const storedTransaction = z.object({
  kind: z.enum(STORED_KINDS),
  trace: digits(6),
  batch: digits(6),
  amount: z.number().int().nonnegative(),
  /** The amount printed (differs only under the voucher-amount-mismatch defect). */
  pan: z.string().regex(/^\d{12,19}$/),
  expiry: z.string().optional(),
  entry: z.enum(['swipe', 'insert', 'tap', 'manual']),
  entryMode: digits(3),
  psn: z.string().optional(),
  rrn: z.string(),
  authCode: z.string(),
  /** Local date/time of the transaction, 'YYYY-MM-DD' and 'hh:mm:ss'. */
  date: z.string(),
  time: z.string(),
  responseCode: z.string(),
  cardOrganisation: z.string(),
  issuerId: z.string().optional(),
  acquirerId: z.string().optional(),
  voided: z.boolean(),
  payee: z.object({ name: z.string(), account: z.string(), reference: z.string().optional() }).optional(),
  original: z
    .object({ trace: z.string().optional(), rrn: z.string().optional(), date: z.string().optional(), authCode: z.string().optional() })
    .optional(),
  emv: z
    .object({
      arqc: z.string(),
      tvr: z.string(),
      aid: z.string(),
      atc: z.string(),
      applicationLabel: z.string(),
      tsi: z.string(),
      /** The card's final cryptogram (second GENERATE AC, TC), hex; the IC batch-upload record carries it. */
      tc: z.string().optional(),
    })
    .optional(),
  /** F55 of the request as sent (for IC batch upload), hex. */
  icc: hex.optional(),
  pinEntered: z.boolean(),
  /** 追加预授权: what the pre-authorization authorises with this addition (its 累计金额, cup8583.md §6), when on this terminal. */
  preAuthTotal: z.number().int().nonnegative().optional(),
  /** 电签: the cardholder's electronic signature (its SHA-256, upper-case hex), printed instead of a blank signature line. */
  eSignature: z.object({ sha256: z.string().regex(/^[0-9A-F]{64}$/), bytes: z.number().int().positive() }).optional(),
});
export type StoredTransaction = z.infer<typeof storedTransaction>;

const pendingReversal = z.object({
  /** MTI of the original request, e.g. '0200'. */
  originalMti: digits(4),
  /** The original request's fields, minus tracks, PIN block and MAC (cup8583.md §3.8). */
  fields: z.record(z.string(), storedField),
  /** 98 no reply / timeout, A0 reply MAC failed, 06 other. */
  reason: z.enum(['98', 'A0', '06']),
  trace: digits(6),
  kind: z.string(),
  /** For the fault slip if the reversal finally fails (first 6 + last 4 only). */
  maskedPan: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
});
export type PendingReversal = z.infer<typeof pendingReversal>;

/**
 * A failed IC transaction (cup8583.md §3.10 失败IC记录): the host approved it but the card declined
 * at the second GENERATE AC (AAC, e.g. issuer authentication failed); the approval was reversed
 * and the record goes up in the batch upload (60.3 204 / 206) so the acquirer knows why.
 */
const failedIcRecord = z.object({
  kind: z.enum(STORED_KINDS),
  trace: digits(6),
  batch: digits(6),
  amount: z.number().int().nonnegative(),
  pan: z.string().regex(/^\d{12,19}$/),
  entryMode: digits(3),
  psn: z.string().optional(),
  cardOrganisation: z.string(),
  /** 'card-declined': AAC (F62 71 0011 … 10); 'other': any other failure (F62 71 0005 … 22). */
  failure: z.enum(['card-declined', 'other']),
  /** F55 as the record carries it (9F26 the final cryptogram, 9F27 its type), hex. */
  icc: hex,
});
export type FailedIcRecord = z.infer<typeof failedIcRecord>;

/**
 * 批上送 in progress (LY's ucBatchSendFlag per record): the settlement's answer and the records the
 * host has acknowledged, on disk after each one, so that after a power cut the upload resumes with
 * the rest instead of starting over.
 */
const batchUploadProgress = z.object({
  batch: digits(6),
  domesticResult: z.string(),
  foreignResult: z.string(),
  /** Keys of the records (and 8-item lists) the host acknowledged. */
  sent: z.array(z.string()),
  /** Records counted so far (what the end message's F48 adds up). */
  count: z.number().int().nonnegative(),
});
export type BatchUploadProgress = z.infer<typeof batchUploadProgress>;

const lastSettlement = z.object({
  batch: digits(6),
  lines: z.array(z.string()),
});

export const stateSchema = z.object({
  format: z.literal('poscert-terminal-state'),
  version: z.literal(1),
  config: z.object({
    terminalId: z.string().optional(),
    merchantId: z.string().optional(),
    merchantName: z.string().optional(),
    tpdu: z.string().regex(/^[0-9A-Fa-f]{10}$/),
    hostUrl: z.string().optional(),
    /** The CA (PEM) the public-network (HTTPS) host must chain to. */
    hostCaPem: z.string().optional(),
    language: z.enum(['zh-CN', 'en']),
    voucherCopies: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  }),
  ped: z.object({
    tmk: hex.optional(),
    keyScheme: z.enum(['tdes', 'sm4']),
    /** Field 62 of the last good sign-on (keys encrypted under the TMK, with check values). */
    workingKeys: z.object({ layout: z.enum(['001', '003', '004']), f62: hex }).optional(),
  }),
  counters: z.object({
    /** Last STAN used (0 = none yet). */
    stan: z.number().int().min(0).max(999999),
    batchNumber: digits(6),
  }),
  signedOn: z.boolean(),
  batch: z.array(storedTransaction),
  /** Trace of the last transaction printed (for 重打印最后一笔). */
  lastTrace: z.string().optional(),
  /** Kept after settlement for 重打印结算单. */
  lastSettlement: lastSettlement.optional(),
  /** Pre-authorizations still open (not in the settlement totals). */
  preAuths: z.array(storedTransaction),
  /** The operator (操作员号) who logged on at the last sign-on from the menu, when the profile asks an operator logon. */
  operator: z
    .string()
    .regex(/^\d{2}$/)
    .optional(),
  pendingReversal: pendingReversal.nullable(),
  /** Failed IC records of the open batch (uploaded at settlement). */
  failedIc: z.array(failedIcRecord).optional(),
  /** 0620 script-result notices not yet answered by the host (cup8583.md §3.1), sent again before the next online transaction. */
  pendingScriptResults: z.array(z.object({ fields: z.record(z.string(), storedField), attempts: z.number().int().nonnegative() })).optional(),
  /** 0820 e-signature uploads (60.3 800) not yet answered by the host, sent before the next online transaction or settlement. */
  pendingSignatures: z.array(z.object({ fields: z.record(z.string(), storedField), attempts: z.number().int().nonnegative() })).optional(),
  /** A settlement answered by the host whose batch upload has not finished (resumed at the next settlement). */
  batchUpload: batchUploadProgress.optional(),
  tampered: z.boolean(),
  /** Terminal clock = host clock + offset (set by the TTP clock command). */
  clockOffsetMs: z.number(),
  /** Parameters of the last 360 download (cup8583.md §3.4), by 2-digit id; text as downloaded. */
  parameters: z.record(z.string(), z.string()).optional(),
  /** IC lists of the last complete downloads (cup8583.md §3.5): a list is absent until its download completed. */
  icParameters: z
    .object({
      aids: z.array(z.object({ aid: hex, tlv: hex })).optional(),
      capks: z.array(z.object({ rid: hex, index: hex, expiry: z.string(), checksum: hex })).optional(),
    })
    .optional(),
  /**
   * The card blacklist (390) and contactless QuickPass parameters (394) of the last complete
   * downloads. Blacklisted cards are kept as SHA-256 digests of the card number (what the check
   * needs) with the masked number for the log: no clear card number in the state file.
   */
  terminalLists: z
    .object({
      blacklist: z.array(z.object({ digest: hex, masked: z.string() })).optional(),
      contactless: z
        .object({
          noPinEnabled: z.boolean(),
          noPinLimitFen: z.number().int().nonnegative(),
          noSignatureEnabled: z.boolean(),
          noSignatureLimitFen: z.number().int().nonnegative(),
        })
        .optional(),
    })
    .optional(),
  /** Open batches of the other terminal identities (F41/F42) this device transacted as (see switchBatchIdentity). */
  otherBatches: z
    .record(z.string(), z.object({ batchNumber: digits(6), batch: z.array(storedTransaction), lastTrace: z.string().optional() }))
    .optional(),
});
export type TerminalState = z.infer<typeof stateSchema>;

export function initialState(): TerminalState {
  return {
    format: 'poscert-terminal-state',
    version: 1,
    config: { tpdu: '6000030000', language: 'zh-CN', voucherCopies: 2 },
    ped: { keyScheme: 'tdes' },
    counters: { stan: 0, batchNumber: '000001' },
    signedOn: false,
    batch: [],
    preAuths: [],
    pendingReversal: null,
    tampered: false,
    clockOffsetMs: 0,
  };
}

/**
 * A batch belongs to one terminal identity: its 0500 totals are the acquirer's batch of the F41/F42
 * the terminal settles as (cup8583.md §3.9/§3.10). When the ids change (parameter menu, TTP config),
 * the open batch is put aside and the new identity's own batch, if this device has one, comes back,
 * so a settlement never counts transactions the acquirer booked to another terminal id.
 */
export function switchBatchIdentity(s: TerminalState, from: { terminalId?: string; merchantId?: string }): void {
  const key = (t?: string, m?: string) => `${t ?? ''}/${m ?? ''}`;
  const was = key(from.terminalId, from.merchantId);
  const now = key(s.config.terminalId, s.config.merchantId);
  if (was === now) return;
  const others = { ...(s.otherBatches ?? {}) };
  if (s.batch.length) others[was] = { batchNumber: s.counters.batchNumber, batch: s.batch, ...(s.lastTrace ? { lastTrace: s.lastTrace } : {}) };
  const mine = others[now];
  delete others[now];
  s.batch = mine?.batch ?? [];
  s.lastTrace = mine?.lastTrace;
  if (mine) s.counters.batchNumber = mine.batchNumber;
  s.otherBatches = Object.keys(others).length ? others : undefined;
}

export class TerminalStateStore {
  readonly path: string;
  constructor(filePath: string) {
    if (!filePath) throw new TerminalStateError('(none)', 'no path given', 'pass statePath / --state FILE');
    this.path = path.resolve(filePath);
  }

  /** Reads the state; a missing file is a factory-fresh terminal. A damaged one is an error, never silently reset. */
  load(): TerminalState {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return initialState();
      throw new TerminalStateError(this.path, `cannot be read (${err.code ?? err.message})`, 'check the path and its permissions', {
        errno: err.code,
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new TerminalStateError(
        this.path,
        `is not valid JSON (${(e as Error).message})`,
        'the file was damaged outside poscert; move it away to start the terminal factory-fresh (its batch and pending reversal are then lost)',
      );
    }
    upgradeKindNames(json);
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new TerminalStateError(
        this.path,
        `does not hold a poscert terminal state (${problems.join('; ')})`,
        'point --state at a terminal state file, or move this one away to start factory-fresh',
        { problems },
      );
    }
    return parsed.data;
  }

  /** Atomic replace: write temp, fsync, rename over, fsync the directory. */
  save(state: TerminalState): void {
    const dir = path.dirname(this.path);
    const tmp = `${this.path}.${process.pid}.tmp`;
    const data = JSON.stringify(state, null, 1);
    let fd: number | undefined;
    try {
      fs.mkdirSync(dir, { recursive: true });
      fd = fs.openSync(tmp, 'w', 0o600);
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(tmp, this.path);
      try {
        const dfd = fs.openSync(dir, 'r');
        try {
          fs.fsyncSync(dfd);
        } finally {
          fs.closeSync(dfd);
        }
      } catch {
        /* directories cannot be fsynced on some filesystems; the rename is still atomic */
      }
    } catch (e) {
      if (fd !== undefined)
        try {
          fs.closeSync(fd);
        } catch {
          /* already failing */
        }
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to clean */
      }
      const err = e as NodeJS.ErrnoException;
      throw new TerminalStateError(this.path, `cannot be written (${err.code ?? err.message})`, 'check free space and permissions of its directory', {
        errno: err.code,
      });
    }
  }
}
