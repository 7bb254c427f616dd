/**
 * Host configuration: merchants and terminals, cards and issuer keys, issuer rules, terminal
 * parameters. Read from YAML or JSON files (by default the repo's scenarios/ folder), validated
 * with zod; every problem names the file, the line, the entry and what is wrong, and all problems
 * of all files are reported at once (HostConfigError) so a lab fixes them in one go.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { isLuhnValid } from '../crypto/pan';
import { DOMESTIC_CARD_ORGANISATION } from '../protocol/iso8583/fields';
import { capkChecksum } from '../protocol/iso8583/ic-parameters';
import type { ContactlessParameters } from '../protocol/iso8583/terminal-lists';
import { HostConfigError, HostConfigProblem } from './errors';
import { SecretBytes } from './secret';

import type {
  TerminalKeyScheme,
  TerminalStatus,
  CardStatus,
  AccountType,
  CardInterface,
  SettlementAccount,
  MerchantConfig,
  TerminalConfig,
  IssuerKeyConfig,
  CardEmvConfig,
  CardLimits,
  CardConfig,
  HostIdentity,
  IssuerRules,
  TerminalParameters,
  HostConfig,
  IcAidConfig,
  IcCapkConfig,
  IcParameterLists,
  TerminalLists,
  BlacklistEntry,
} from './config-types';

export type {
  TerminalKeyScheme,
  TerminalStatus,
  CardStatus,
  AccountType,
  CardInterface,
  SettlementAccount,
  MerchantConfig,
  TerminalConfig,
  IssuerKeyConfig,
  CardEmvConfig,
  CardLimits,
  CardConfig,
  HostIdentity,
  IssuerRules,
  TerminalParameters,
  HostConfig,
  IcAidConfig,
  IcCapkConfig,
  IcParameterLists,
  TerminalLists,
  BlacklistEntry,
} from './config-types';

// ---------------------------------------------------------------------------------------------
// Schemas (one per top-level key; files may carry any subset of the keys)
// ---------------------------------------------------------------------------------------------

const digits = (n: number, what: string) =>
  z
    .union([z.string(), z.number()])
    .transform((v) => String(v))
    .refine((v) => new RegExp(`^\\d{${n}}$`).test(v), { message: `${what} must be exactly ${n} digits` });
const hexKey = (bytes: number[], what: string) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== 'string') {
        ctx.addIssue({
          code: 'custom',
          message: `${what} must be a quoted string of hex digits (YAML reads unquoted all-digit hex as a number and loses digits)`,
        });
      }
    })
    .transform((v) => String(v).replace(/\s+/g, ''))
    .refine((v) => /^[0-9A-Fa-f]*$/.test(v) && bytes.includes(v.length / 2), {
      message: `${what} must be ${bytes.map((b) => b * 2).join(' or ')} hex digits`,
    })
    .transform((v) => new SecretBytes(Buffer.from(v, 'hex')));
const hexString = (what: string) =>
  z
    .string()
    .refine((v) => /^([0-9A-Fa-f]{2})*$/.test(v), { message: `${what} must be hex (an even number of 0-9 A-F)` })
    .transform((v) => v.toUpperCase());

/** CNY amount as a number or a string with at most 2 decimals ("1234.50") → fen. */
export function parseAmountToFen(value: string | number): number | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
const amount = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const fen = parseAmountToFen(v);
    if (fen === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${what} must be a CNY amount like 1234.56 (at most 2 decimals, not negative), got ${JSON.stringify(v)}`,
      });
      return z.NEVER;
    }
    return fen;
  });

const merchantSchema = z
  .object({
    merchantId: digits(15, 'merchantId'),
    name: z.string().min(1, 'name must not be empty'),
    nameEn: z.string().optional(),
    mcc: digits(4, 'mcc').optional(),
    status: z.enum(['active', 'suspended']).default('active'),
    settlementAccount: z.object(
      {
        bank: z.string().min(1),
        accountNumber: z
          .union([z.string(), z.number()])
          .transform(String)
          .refine((v) => /^\d{8,32}$/.test(v), { message: 'accountNumber must be 8 to 32 digits' }),
        accountName: z.string().min(1),
      },
      { message: 'settlementAccount (bank, accountNumber, accountName) is required' },
    ),
  })
  .strict();

const terminalSchema = z
  .object({
    terminalId: z
      .union([z.string(), z.number()])
      .transform(String)
      .refine((v) => /^[0-9A-Za-z]{8}$/.test(v), { message: 'terminalId must be 8 characters (F41 ans8), e.g. 10000001' }),
    merchantId: digits(15, 'merchantId'),
    keyScheme: z.enum(['3DES', 'SM4'], { message: 'keyScheme must be 3DES or SM4' }),
    tmk: hexKey([16], 'tmk'),
    status: z.enum(['active', 'suspended', 'unregistered'], { message: 'status must be active, suspended or unregistered' }).default('active'),
    description: z.string().optional(),
  })
  .strict();

const issuerKeySchema = z
  .object({
    id: z.string().min(1),
    imk: hexKey([16], 'imk'),
    algorithm: z.enum(['tdes', 'sm4']).default('tdes'),
  })
  .strict();

const cardSchema = z
  .object({
    alias: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'alias must be letters, digits, - or _ (e.g. UP-DEBIT-IC)'),
    pan: z
      .union([z.string(), z.number()])
      .transform(String)
      .refine((v) => /^\d{13,19}$/.test(v), { message: 'pan must be 13 to 19 digits' }),
    expiry: digits(4, 'expiry (YYMM)').refine((v) => Number(v.slice(2)) >= 1 && Number(v.slice(2)) <= 12, {
      message: 'expiry month must be 01..12 (format YYMM)',
    }),
    serviceCode: digits(3, 'serviceCode'),
    track2: z
      .string()
      .regex(/^\d{13,19}=\d{7,20}$/, 'track2 must be PAN=YYMM+service code+discretionary digits')
      .optional(),
    psn: digits(2, 'psn').default('00'),
    pin: digits(6, 'pin')
      .optional()
      .or(
        z
          .string()
          .regex(/^\d{4,12}$/, 'pin must be 4 to 12 digits')
          .optional(),
      ),
    account: z.enum(['debit', 'credit'], { message: 'account must be debit or credit' }),
    status: z
      .enum(['normal', 'lost', 'stolen', 'expired', 'restricted'], { message: 'status must be normal, lost, stolen, expired or restricted' })
      .default('normal'),
    openingBalance: amount('openingBalance'),
    limits: z
      .object({
        perTransaction: amount('limits.perTransaction').optional(),
        // The card product's own QuickPass no-PIN limit (小额免密), instead of rules.contactlessNoPinLimit.
        contactlessNoPin: amount('limits.contactlessNoPin').optional(),
      })
      .strict()
      .default({}),
    requirePin: z.boolean().optional(),
    onFile: z.boolean().default(true),
    interfaces: z
      .array(z.enum(['swipe', 'insert', 'tap']))
      .min(1)
      .optional(),
    fallback: z
      .enum(['allow', 'decline'], { message: 'fallback must be allow or decline (the answer to a magstripe fallback of this chip card)' })
      .optional(),
    partialApproval: z
      .boolean({ message: 'partialApproval must be true or false (the issuer approves what is available when the terminal asks 60.6 = 1)' })
      .optional(),
    cardholderName: z.string().optional(),
    issuerInstitution: z.string().max(11).default('03080000'),
    // 63.1 of the host's financial replies for this card (cup8583.md §2.6): CUP for a domestic card,
    // another scheme's code (VIS, MCC, JCB, …) for a foreign one, which terminals book on the 外卡 side (§3.9).
    organisation: z
      .string()
      .regex(/^[A-Z0-9]{3}$/, 'organisation must be a 3-character card-organisation code (CUP, VIS, MCC, JCB, AMX, DCC, …)')
      .default(DOMESTIC_CARD_ORGANISATION),
    allowBadLuhn: z.boolean().default(false),
    emv: z
      .object({
        issuerKey: z.string().min(1, 'emv.issuerKey must name an entry of issuerKeys'),
        aid: hexString('emv.aid').refine((v) => v.length >= 10 && v.length <= 32, { message: 'emv.aid must be 5 to 16 bytes' }),
        appLabel: z.string().min(1).max(16),
        preferredName: z.string().optional(),
        atcStart: z.number().int().min(0).max(65534).default(1),
        aip: hexString('emv.aip')
          .refine((v) => v.length === 4, { message: 'emv.aip must be 2 bytes (4 hex digits)' })
          .default('7C00'),
        iad: hexString('emv.iad').default('07010103A00000'),
        // Issuer script the host returns in the F55 of an approved chip reply (cup8583.md §3.11; test data).
        issuerScript: z
          .object({
            template: z
              .enum(['71', '72'], { message: 'emv.issuerScript.template must be 71 (before the second GENERATE AC) or 72 (after it)' })
              .default('72'),
            id: hexString('emv.issuerScript.id').refine((v) => v.length === 8, {
              message: 'emv.issuerScript.id (9F18) must be 4 bytes (8 hex digits)',
            }),
            commands: z
              .array(
                hexString('emv.issuerScript.commands[]').refine((v) => v.length >= 8, {
                  message: 'an issuer script command (86) is an APDU of at least 4 bytes (CLA INS P1 P2)',
                }),
              )
              .min(1),
            label: z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    description: z.string().optional(),
  })
  .strict();

const hostSchema = z
  .object({
    acquirerId: z
      .union([z.string(), z.number()])
      .transform(String)
      .refine((v) => /^\d{1,11}$/.test(v), { message: 'acquirerId must be 1 to 11 digits' })
      .default('48020000'),
    acquirerInstitution: z.string().max(11).default('48020000'),
    centreText: z.string().default(''),
  })
  .strict();

const rulesSchema = z
  .object({
    pinTryLimit: z.number().int().min(1).max(99).default(3),
    contactlessNoPinLimit: amount('contactlessNoPinLimit').default(100000),
    completionTolerancePercent: z.number().min(0).max(100).default(15),
    maxTransactionAmount: amount('maxTransactionAmount').default(99999999),
    verifyArqc: z.boolean().default(true),
  })
  .strict();

const parametersSchema = z
  .object({
    version: z.number().int().min(1).default(1),
    timeoutSeconds: z.number().int().min(1).max(99).default(60),
    retries: z.number().int().min(0).max(9).default(3),
    resendTimes: z.number().int().min(0).max(9).default(3),
    tipSupported: z.boolean().default(false),
    tipPercent: z.number().int().min(0).max(99).default(0),
    manualEntry: z.boolean().default(false),
    autoSignOff: z.boolean().default(false),
    keyIndex: z.number().int().min(0).max(9).default(1),
    phones: z
      .array(z.string().regex(/^\d{1,14}$/, 'phone numbers are up to 14 digits'))
      .max(4)
      .default([]),
  })
  .strict();

const icHex = (what: string, min: number, max: number) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== 'string') ctx.addIssue({ code: 'custom', message: `${what} must be a quoted string of hex digits` });
    })
    .transform((v) => String(v).replace(/\s+/g, '').toUpperCase())
    .refine((v) => /^(?:[0-9A-F]{2})*$/.test(v) && v.length >= min * 2 && v.length <= max * 2, {
      message: `${what} must be ${min}..${max} bytes of hex`,
    });

// cup8583.md §3.5: AIDs with their parameters (tag → hex), CAPKs by RID + index.
const icParametersSchema = z
  .object({
    aids: z
      .array(
        z
          .object({
            aid: icHex('aid', 5, 16),
            label: z.string().optional(),
            params: z
              .record(
                z.string().regex(/^(?:[0-9A-F]{2}){1,2}$/, { message: 'params keys are EMV tags such as DF01 or 9F09' }),
                icHex('a parameter value', 0, 127),
              )
              .default({}),
          })
          .strict(),
      )
      .default([]),
    capks: z
      .array(
        z
          .object({
            rid: icHex('rid', 5, 5),
            index: icHex('index', 1, 1),
            label: z.string().optional(),
            expiry: z
              .union([z.string(), z.number()])
              .transform((v) => String(v))
              .refine((v) => /^20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(v), { message: 'expiry must be YYYYMMDD' }),
            exponent: icHex('exponent', 1, 3),
            modulus: icHex('modulus', 64, 248),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

function icParameterLists(raw: z.output<typeof icParametersSchema>): IcParameterLists {
  const capks: IcCapkConfig[] = raw.capks.map((k) => ({ ...k, checksum: capkChecksum(k.rid, k.index, k.modulus, k.exponent) }));
  const aids: IcAidConfig[] = raw.aids.map((a) => ({ ...a }));
  const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 8).toUpperCase();
  return { aids, capks, aidVersion: aids.length ? digest(aids) : '', capkVersion: capks.length ? digest(capks) : '' };
}

// The card blacklist (390) by cards.yaml alias or card number, and the contactless parameters (394).
const terminalListsSchema = z
  .object({
    blacklist: z
      .array(
        z
          .object({
            card: z.string().min(1).optional(),
            pan: z
              .union([z.string(), z.number()])
              .transform((v) => String(v))
              .refine((v) => /^\d{12,19}$/.test(v) && isLuhnValid(v), { message: 'pan must be 12..19 digits with a valid Luhn check digit' })
              .optional(),
            reason: z.string().optional(),
          })
          .strict()
          .refine((e) => (e.card === undefined) !== (e.pan === undefined), {
            message: 'a blacklist entry names a card (alias) or a pan, one of the two',
          }),
      )
      .default([]),
    contactless: z
      .object({
        noPin: z.boolean().default(true),
        noPinLimit: amount('noPinLimit'),
        noSignature: z.boolean().default(true),
        noSignatureLimit: amount('noSignatureLimit'),
      })
      .strict()
      .optional(),
  })
  .strict();

const listDigest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 8).toUpperCase();

/** The lists with their versions; a contactless block's version digests its values. */
export function terminalLists(blacklist: BlacklistEntry[], contactless: ContactlessParameters | undefined): TerminalLists {
  return {
    blacklist,
    ...(contactless ? { contactless } : {}),
    blacklistVersion: blacklist.length ? listDigest(blacklist.map((e) => e.pan)) : '',
    contactlessVersion: contactless ? listDigest(contactless) : '',
  };
}

const fileSchema = z
  .object({
    host: z.unknown().optional(),
    rules: z.unknown().optional(),
    parameters: z.unknown().optional(),
    icParameters: z.unknown().optional(),
    terminalLists: z.unknown().optional(),
    merchants: z.array(z.unknown()).optional(),
    terminals: z.array(z.unknown()).optional(),
    cards: z.array(z.unknown()).optional(),
    issuerKeys: z.array(z.unknown()).optional(),
  })
  .strict();

type Raw = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------

/** Where a parsed document came from, to turn a value path into a line number. */
interface SourceDoc {
  file: string;
  data: Raw;
  lineOf(pathParts: (string | number)[]): number | undefined;
}

function readSource(file: string, problems: HostConfigProblem[]): SourceDoc | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file, entry: '', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
  if (file.endsWith('.json')) {
    try {
      const data = JSON.parse(text) as Raw;
      return { file, data, lineOf: () => undefined };
    } catch (err) {
      problems.push({ file, entry: '', message: `not valid JSON: ${(err as Error).message}` });
      return undefined;
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push({ file, entry: '', line: e.linePos?.[0]?.line, message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    return undefined;
  }
  let data: Raw;
  try {
    data = (doc.toJS() ?? {}) as Raw;
  } catch (err) {
    // Well-formed YAML that cannot become data: an alias without its anchor (*a), too many aliases.
    problems.push({
      file,
      entry: '',
      message: `YAML: ${(err as Error).message.split('\n')[0]} (define each &anchor before its *alias, or write the value out)`,
    });
    return undefined;
  }
  return {
    file,
    data,
    lineOf(pathParts) {
      for (let n = pathParts.length; n > 0; n--) {
        const node = doc.getIn(pathParts.slice(0, n), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

function entryName(kind: string, index: number, raw: unknown): string {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Raw;
  const id = r.terminalId ?? r.merchantId ?? r.alias ?? r.id;
  return id !== undefined ? `${kind}[${index}] (${String(id)})` : `${kind}[${index}]`;
}

function issuesToProblems(src: SourceDoc, base: (string | number)[], entry: string, error: z.ZodError, problems: HostConfigProblem[]): void {
  for (const issue of error.issues) {
    const p = issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x)) as (string | number)[];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.join(', ')} (check the spelling; see docs/host.md)`;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is required';
    problems.push({
      file: src.file,
      entry,
      field: p.length ? p.join('.') : undefined,
      line: src.lineOf([...base, ...p]),
      message,
    });
  }
}

const CONFIG_BASENAMES = ['merchants', 'cards', 'issuer-rules', 'ic-parameters', 'terminal-lists'];
const CONFIG_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** The repo's scenarios/ folder. */
export function defaultScenariosDir(): string {
  return path.join(__dirname, '..', 'scenarios');
}

function resolveFiles(dirOrFiles: string | string[] | undefined, problems: HostConfigProblem[]): string[] {
  const inputs = dirOrFiles === undefined ? [defaultScenariosDir()] : Array.isArray(dirOrFiles) ? dirOrFiles : [dirOrFiles];
  const files: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(input);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      problems.push({
        file: abs,
        entry: '',
        message: 'does not exist (give a configuration file or a folder holding merchants.yaml and cards.yaml)',
      });
      continue;
    }
    if (stat.isDirectory()) {
      let found = 0;
      for (const base of CONFIG_BASENAMES) {
        for (const ext of CONFIG_EXTENSIONS) {
          const f = path.join(abs, base + ext);
          if (fs.existsSync(f)) {
            files.push(f);
            found++;
          }
        }
      }
      if (found === 0) {
        problems.push({ file: abs, entry: '', message: `holds none of ${CONFIG_BASENAMES.map((b) => `${b}.yaml`).join(', ')}` });
      }
    } else {
      files.push(abs);
    }
  }
  return files;
}

/**
 * Load and validate the host configuration. `dirOrFiles`: a folder (reads merchants.*, cards.*,
 * issuer-rules.* in it), one file, or several files; default the repo's scenarios/ folder.
 * Throws HostConfigError listing every problem.
 */
export function loadHostConfig(dirOrFiles?: string | string[]): HostConfig {
  const problems: HostConfigProblem[] = [];
  const files = resolveFiles(dirOrFiles, problems);
  const sources: SourceDoc[] = [];
  for (const f of files) {
    const s = readSource(f, problems);
    if (s) sources.push(s);
  }
  if (problems.length) throw new HostConfigError(problems);
  return buildHostConfig(sources, problems);
}

/** Validate an in-memory configuration object (same shape as the files; used by tests and tools). */
export function hostConfigFromObject(data: Record<string, unknown>, label = '<object>'): HostConfig {
  return buildHostConfig([{ file: label, data, lineOf: () => undefined }], []);
}

function buildHostConfig(sources: SourceDoc[], problems: HostConfigProblem[]): HostConfig {
  const merchants: MerchantConfig[] = [];
  const terminals: TerminalConfig[] = [];
  const cards: CardConfig[] = [];
  const issuerKeys: IssuerKeyConfig[] = [];
  const cardFile = new Map<string, { file: string; line?: number; entry: string }>();
  let host: HostIdentity | undefined;
  let rules: IssuerRules | undefined;
  let parameters: TerminalParameters | undefined;
  let icParameters: z.output<typeof icParametersSchema> | undefined;
  let lists: z.output<typeof terminalListsSchema> | undefined;
  let listsFile: SourceDoc | undefined;
  const where = new Map<object, { file: string; line?: number; entry: string }>();

  for (const src of sources) {
    if (src.data === null || typeof src.data !== 'object' || Array.isArray(src.data)) {
      problems.push({ file: src.file, entry: '', message: 'must be a mapping with keys such as merchants, terminals, cards, issuerKeys, rules' });
      continue;
    }
    const top = fileSchema.safeParse(src.data);
    if (!top.success) {
      issuesToProblems(src, [], '', top.error, problems);
      continue;
    }
    const single = <T>(
      key: 'host' | 'rules' | 'parameters' | 'icParameters' | 'terminalLists',
      schema: z.ZodType<T>,
      current: T | undefined,
    ): T | undefined => {
      if (src.data[key] === undefined) return current;
      if (current !== undefined) {
        problems.push({ file: src.file, entry: key, line: src.lineOf([key]), message: `${key} is given in more than one file; keep one` });
        return current;
      }
      const r = schema.safeParse(src.data[key] ?? {});
      if (!r.success) {
        issuesToProblems(src, [key], key, r.error, problems);
        return current;
      }
      return r.data;
    };
    host = single('host', hostSchema as z.ZodType<HostIdentity>, host);
    rules = single('rules', rulesSchema as z.ZodType<IssuerRules>, rules);
    parameters = single('parameters', parametersSchema as z.ZodType<TerminalParameters>, parameters);
    icParameters = single('icParameters', icParametersSchema as z.ZodType<z.output<typeof icParametersSchema>>, icParameters);
    if (src.data.terminalLists !== undefined && !lists) listsFile = src;
    lists = single('terminalLists', terminalListsSchema as z.ZodType<z.output<typeof terminalListsSchema>>, lists);

    const list = <S extends z.ZodType>(key: 'merchants' | 'terminals' | 'cards' | 'issuerKeys', schema: S, out: z.output<S>[]) => {
      const arr = (src.data[key] ?? []) as unknown[];
      arr.forEach((raw, i) => {
        const entry = entryName(key, i, raw);
        const r = schema.safeParse(raw);
        if (!r.success) {
          issuesToProblems(src, [key, i], entry, r.error, problems);
          return;
        }
        out.push(r.data);
        where.set(r.data as object, { file: src.file, line: src.lineOf([key, i]), entry });
      });
    };
    list('merchants', merchantSchema, merchants as never[]);
    list('terminals', terminalSchema, terminals as never[]);
    list('issuerKeys', issuerKeySchema, issuerKeys as never[]);
    const rawCards: z.output<typeof cardSchema>[] = [];
    list('cards', cardSchema, rawCards);
    for (const rc of rawCards) {
      const w = where.get(rc)!;
      cardFile.set(rc.alias, w);
      const card = finishCard(rc, w, problems);
      where.set(card, w);
      cards.push(card);
    }
  }

  // Cross-references and uniqueness.
  const problemAt = (obj: object, message: string, field?: string) => {
    const w = where.get(obj) ?? { file: '<config>', entry: '' };
    problems.push({ file: w.file, line: w.line, entry: w.entry, field, message });
  };
  const dup = <T extends object>(items: T[], key: (t: T) => string, what: string) => {
    const seen = new Map<string, T>();
    for (const it of items) {
      const k = key(it);
      const prev = seen.get(k);
      if (prev) {
        const pw = where.get(prev);
        problemAt(it, `duplicate ${what} ${k} (also at ${pw?.file ?? '?'}${pw?.line ? `:${pw.line}` : ''})`);
      } else seen.set(k, it);
    }
  };
  dup(merchants, (m) => m.merchantId, 'merchantId');
  dup(terminals, (t) => t.terminalId, 'terminalId');
  dup(issuerKeys, (k) => k.id, 'issuer key id');
  dup(cards, (c) => c.alias, 'card alias');
  dup(
    cards.filter((c) => c.onFile),
    (c) => c.pan,
    'PAN (two cards on file with one PAN)',
  );
  const merchantIds = new Set(merchants.map((m) => m.merchantId));
  for (const t of terminals) {
    if (!merchantIds.has(t.merchantId)) problemAt(t, `merchant ${t.merchantId} is not in merchants`, 'merchantId');
  }
  const keyIds = new Map(issuerKeys.map((k) => [k.id, k]));
  for (const c of cards) {
    if (!c.emv) continue;
    const key = keyIds.get(c.emv.issuerKeyId);
    if (!key) {
      problemAt(c, `issuer key ${c.emv.issuerKeyId} is not in issuerKeys (known: ${[...keyIds.keys()].join(', ') || 'none'})`, 'emv.issuerKey');
    } else if (key.algorithm !== 'tdes') {
      problemAt(c, `issuer key ${key.id} is ${key.algorithm}; only tdes application cryptograms are implemented`, 'emv.issuerKey');
    } else {
      c.emv.imk = key.imk;
      c.emv.algorithm = key.algorithm;
    }
  }
  const blacklist: BlacklistEntry[] = [];
  (lists?.blacklist ?? []).forEach((e, i) => {
    const card = e.card === undefined ? undefined : cards.find((c) => c.alias === e.card);
    if (e.card !== undefined && !card) {
      problems.push({
        file: listsFile?.file ?? '<config>',
        line: listsFile?.lineOf(['terminalLists', 'blacklist', i]),
        entry: `terminalLists.blacklist[${i}]`,
        field: 'card',
        message: `card ${e.card} is not in cards (known: ${cards.map((c) => c.alias).join(', ') || 'none'})`,
      });
      return;
    }
    blacklist.push({ pan: card ? card.pan : e.pan!, ...(e.card ? { card: e.card } : {}), ...(e.reason ? { reason: e.reason } : {}) });
  });
  if (problems.length) throw new HostConfigError(problems);

  const c = lists?.contactless;
  return {
    sources: sources.map((s) => s.file),
    host: host ?? hostSchema.parse({}),
    rules: rules ?? (rulesSchema.parse({}) as IssuerRules),
    parameters: parameters ?? (parametersSchema.parse({}) as TerminalParameters),
    icParameters: icParameterLists(icParameters ?? icParametersSchema.parse({})),
    terminalLists: terminalLists(
      blacklist,
      c
        ? { noPinEnabled: c.noPin, noPinLimitFen: c.noPinLimit, noSignatureEnabled: c.noSignature, noSignatureLimitFen: c.noSignatureLimit }
        : undefined,
    ),
    merchants,
    terminals,
    cards,
    issuerKeys,
  };
}

function finishCard(rc: z.output<typeof cardSchema>, w: { file: string; line?: number; entry: string }, problems: HostConfigProblem[]): CardConfig {
  const problem = (field: string, message: string) => problems.push({ file: w.file, line: w.line, entry: w.entry, field, message });
  if (!rc.allowBadLuhn && !isLuhnValid(rc.pan)) problem('pan', 'fails the Luhn check (set allowBadLuhn: true for a deliberately invalid number)');
  const track2 = rc.track2 ?? `${rc.pan}=${rc.expiry}${rc.serviceCode}${'0'.repeat(Math.max(0, 37 - rc.pan.length - 8))}`.slice(0, 37);
  if (rc.track2 && !rc.track2.startsWith(`${rc.pan}=${rc.expiry}${rc.serviceCode}`)) {
    problem('track2', `must start with PAN=YYMM+service code (${rc.pan.slice(0, 6)}…=${rc.expiry}${rc.serviceCode})`);
  }
  const chip = rc.serviceCode[0] === '2' || rc.serviceCode[0] === '6';
  const interfaces = rc.interfaces ?? (rc.emv ? ['swipe', 'insert', 'tap'] : ['swipe']);
  if (rc.emv && !chip) problem('serviceCode', `a chip card (with emv) needs a service code starting with 2 or 6, got ${rc.serviceCode}`);
  if (!rc.emv && (interfaces.includes('insert') || interfaces.includes('tap'))) problem('interfaces', 'insert / tap need an emv section');
  if (rc.fallback !== undefined && !chip) problem('fallback', `a fallback policy is for chip cards (service code 2xx / 6xx), got ${rc.serviceCode}`);
  const requirePin = rc.requirePin ?? rc.account === 'debit';
  if (requirePin && rc.pin === undefined && rc.onFile) problem('pin', 'requirePin is true (the default for debit cards) but no pin is given');
  return {
    alias: rc.alias,
    pan: rc.pan,
    expiry: rc.expiry,
    serviceCode: rc.serviceCode,
    track2,
    psn: rc.psn,
    pin: rc.pin,
    account: rc.account,
    status: rc.status,
    openingBalance: rc.openingBalance,
    limits: rc.limits,
    requirePin,
    onFile: rc.onFile,
    interfaces,
    ...(rc.fallback ? { fallback: rc.fallback } : {}),
    ...(rc.partialApproval ? { partialApproval: true } : {}),
    cardholderName: rc.cardholderName,
    issuerInstitution: rc.issuerInstitution,
    organisation: rc.organisation,
    emv: rc.emv && {
      issuerKeyId: rc.emv.issuerKey,
      imk: new SecretBytes(Buffer.alloc(16)), // resolved from issuerKeys after all files are read
      algorithm: 'tdes',
      aid: rc.emv.aid,
      appLabel: rc.emv.appLabel,
      preferredName: rc.emv.preferredName,
      atcStart: rc.emv.atcStart,
      aip: rc.emv.aip,
      iad: rc.emv.iad,
      ...(rc.emv.issuerScript ? { issuerScript: rc.emv.issuerScript } : {}),
    },
    description: rc.description,
  };
}
