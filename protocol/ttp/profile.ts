/**
 * The terminal profile: what legitimately varies between conformant UnionPay terminals (voucher
 * copies, supervisor password, tap limits, magstripe expiry check, display wording, key scheme,
 * batch upload, IC lists the acquirer superseded, partial approval, 追加预授权) and what the acquirer chose where the reference prescribes nothing (the 缴费 wire
 * format, cup8583.md §3.12). Cases read these values instead of assuming one terminal's choice.
 *
 * It lives in protocol/ because three sides read the same model without cycles: the terminal
 * reports it in TTP `hello` (emulator/), the harness judges screens and copies by it (drivers/),
 * and the certificate lists it (certification/). Pure: zod validation, no I/O.
 */
import { z } from 'zod';
import { PoscertError, broken, type DeclaredOutcome } from '../../errors';

/** Voucher copy labels in the order a terminal may print them (cup8583.md §6, ucTicketNum). */
export const VOUCHER_COPY_KINDS = ['merchant', 'bank', 'cardholder'] as const;
export type VoucherCopyKind = (typeof VOUCHER_COPY_KINDS)[number];

/**
 * §7's recommended display per response code (QCUP), as the distinctive words a screen must carry
 * (the "(POS)" suffix and the trailing "请稍后重试" are left out: terminals differ there). Every
 * conformant terminal may show these; a vendor's other wordings are declared as synonyms.
 */
export const REFERENCE_DISPLAY: Readonly<Record<string, string>> = {
  '01': '请持卡人与发卡银行联系',
  '03': '无效商户',
  '04': '此卡为无效卡',
  '05': '持卡人认证失败',
  '11': 'VIP客户',
  '12': '无效交易',
  '13': '无效金额',
  '14': '无效卡号',
  '15': '此卡无对应发卡方',
  '21': '未初始化',
  '22': '操作有误',
  '25': '没有原始交易',
  '30': '请重试',
  '34': '作弊卡',
  '38': '密码错误次数超限',
  '40': '发卡方不支持的交易',
  '41': '挂失卡',
  '43': '被窃卡',
  '45': '请使用芯片',
  '51': '可用余额不足',
  '54': '该卡已过期',
  '55': '密码错',
  '57': '不允许此卡交易',
  '58': '发卡方不允许该卡在本终端进行此交易',
  '59': '卡片校验错',
  '61': '交易金额超限',
  '62': '受限制的卡',
  '64': '交易金额与原交易不匹配',
  '65': '超出',
  '68': '交易超时',
  '75': '密码错误次数超限',
  '90': '系统日切',
  '91': '发卡方状态不正常',
  '92': '发卡方线路异常',
  '94': '重复交易',
  '96': '交换中心异常',
  '97': '终端号未登记',
  '98': '发卡方超时',
  '99': 'PIN格式错',
  A0: 'MAC校验错',
  A1: '转账货币不一致',
  // 有缺陷的成功: QCUP says 请向资金转入行 / 资金到账行确认, TOPW and LY 请向发卡行确认; both begin so.
  A2: '交易成功请向',
  A4: '交易成功请向',
  A5: '交易成功请向',
  A6: '交易成功请向',
};

const digits = (n: number | [number, number], what: string) =>
  z.string().regex(typeof n === 'number' ? new RegExp(`^[0-9]{${n}}$`) : new RegExp(`^[0-9]{${n[0]},${n[1]}}$`), {
    message: `${what}: ${typeof n === 'number' ? n : `${n[0]} to ${n[1]}`} digits`,
  });

const cardOnRequest = z
  .object({
    /** The terminal asks for the card (swipe / insert / tap) before going online. */
    readsCard: z.boolean(),
    /** The terminal asks the cardholder's PIN (only where it reads the card). */
    asksPin: z.boolean(),
  })
  .strict();

export const TerminalProfileSchema = z
  .object({
    /** A name for the profile (the emulator's named profiles, or the lab's). */
    name: z.string().min(1).default('declared'),
    vouchers: z
      .object({
        /** Copies per transaction, in print order: 1 (merchant), 2 (+ cardholder), 3 (+ bank, between). */
        copies: z.union([z.literal(1), z.literal(2), z.literal(3)]),
        /** Copies carrying the cardholder signature block (§6: merchant and bank, never the cardholder's). */
        signatureOn: z.array(z.enum(VOUCHER_COPY_KINDS)).min(1),
      })
      .strict(),
    supervisor: z
      .object({
        /** Supervisor (主管) password asked before a void or refund; absent when none is asked. */
        password: digits([4, 8], 'supervisor.password').optional(),
        void: cardOnRequest,
        refund: cardOnRequest,
      })
      .strict(),
    contactless: z
      .object({
        /** Taps at or below this amount (fen) go without PIN (免密). */
        noPinLimitFen: z.number().int().nonnegative(),
        /** Taps at or below this amount (fen) need no signature (免签). */
        noSignatureLimitFen: z.number().int().nonnegative(),
      })
      .strict(),
    /** An expired magstripe card: refused by the terminal ('local') or sent for the issuer's 54 ('online'). */
    magstripeExpiry: z.enum(['local', 'online']),
    /** Extra wordings the vendor declares per response code (F39), beside §7's (REFERENCE_DISPLAY). */
    displaySynonyms: z
      .record(z.string().regex(/^[0-9A-Z]{2}$/, { message: 'keys are response codes (2 characters, e.g. "41")' }), z.array(z.string().min(1)).min(1))
      .default({}),
    keys: z
      .object({
        scheme: z.enum(['tdes', 'sm4']),
        /** 60.3 of the sign-on 0800: 003 single, 004 double-length 3DES, 005/006 SM4 variants (§3.2). */
        signOnCode: z.enum(['001', '003', '004', '005', '006']),
      })
      .strict(),
    /** 0320 after a balanced settlement: 'tc' uploads IC TC records (203/204) then 207; 'none' sends none. */
    balancedUpload: z.enum(['none', 'tc']),
    /**
     * IC lists (AIDs, CAPKs) a reply announced new versions of (header digit 4 / 5, cup8583.md §1.1,
     * §3.5) while the new ones are not in: 'not-used' (no chip read until they are), or
     * 'used-until-replaced' (the previous lists serve until the new ones are complete; the download is
     * tried again before each chip read). The reference allows both; absent, 'not-used'.
     */
    supersededIcLists: z.enum(['not-used', 'used-until-replaced']).default('not-used'),
    /**
     * Partial approval (部分承兑, cup8583.md §2.4 60.6 = 1, §7 response code 10): the terminal tells the
     * issuer it takes a partial approval on sales and, on a 10, shows, prints and books the amount the
     * reply's F4 approved. The reference leaves it to the terminal; absent, false (60.6 never 1).
     */
    partialApproval: z.boolean().default(false),
    /**
     * 追加预授权 (additional pre-authorization, cup8583.md §3.1 F25 = 60, §6 ADD-AUTH): the terminal offers it
     * in its pre-authorization menu. The reference lists it for one terminal family only (LY), so it is a
     * terminal's choice; absent, false (not offered).
     */
    additionalPreAuth: z.boolean().default(false),
    /**
     * Foreign cards (外卡, cards the acquirer answers with 63.1 other than CUP, cup8583.md §2.6): 'accepted'
     * (sent online like any card and, when 63.1 names another organisation, booked on the 外卡 side of the
     * settlement, §3.9, and flagged 01 in the batch upload, §3.10), or 'refused' (a merchant not enabled
     * for 外卡 acquiring: the terminal refuses them itself by BIN). Which merchants take foreign cards is
     * the acquirer's contract, not a rule of the reference; absent, 'accepted'.
     */
    foreignCards: z.enum(['accepted', 'refused']).default('accepted'),
    /**
     * Operator logon (操作员签到): before its sign-on from the menu (管理/签到) the terminal asks an operator
     * number (操作员号, 2 digits) and that operator's password, refuses a wrong password without sending
     * anything, and then sends the operator in F63 of the 0800 (63.1 = number + space, cup8583.md §2.6,
     * §3.2) and prints it as 操作员号 (§6). The reference does not oblige a terminal to ask; absent, it asks
     * none and signs on as its own default operator.
     */
    operatorLogon: z
      .object({
        operator: z.string().regex(/^\d{2}$/, '2 digits (操作员号)'),
        password: z.string().regex(/^\d{4,8}$/, '4 to 8 digits'),
      })
      .strict()
      .optional(),
    /**
     * 电签 (electronic signature, cup8583.md §3.1 60.3 800): a paperless terminal whose cardholder signs
     * on its screen (TTP state `signature`, command `sign`); it uploads the image to the acquirer (0820,
     * 60.1 07, 60.3 800) before its next transaction and puts the electronic signature on the voucher.
     * Absent, false: the voucher carries a signature line to sign on paper.
     */
    electronicSignature: z.boolean().default(false),
    /**
     * Public-network access (银联"公网接入", cup8583.md §1.2): 'https' — the terminal can reach the
     * acquirer with its 8583 frames POSTed as x-ISO-TPDU/x-auth over TLS, verifying the host's
     * certificate against a CA it is given (TTP config host https://…, hostCa). Absent, 'none'.
     */
    publicNetwork: z.enum(['none', 'https']).default('none'),
    /** The acquirer's choices where the reference has no single rule (an acquirer-profile value). */
    acquirer: z
      .object({
        name: z.string().min(1),
        billPayment: z
          .object({
            processingCode: digits(6, 'acquirer.billPayment.processingCode'),
            /** 60.1 transaction type code. */
            conditionCode: digits(2, 'acquirer.billPayment.conditionCode'),
            /** Where the payee travels: 'F62-TLV' (poscert's encodeBillPayee), 'F48', 'F63'. */
            payeeField: z.enum(['F62-TLV', 'F48', 'F63']),
            /** Fields the acquirer's reply echoes back. */
            replyEchoes: z.array(z.string().regex(/^F[0-9]{1,3}$/)),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

export type TerminalProfile = z.infer<typeof TerminalProfileSchema>;
export type TerminalProfileInput = z.input<typeof TerminalProfileSchema>;

/** poscert's own acquirer profile for 缴费 (docs/bill-payment.md): 500000, 60.1 22, payee TLV in F62, echoed. */
export const POSCERT_ACQUIRER: TerminalProfile['acquirer'] = {
  name: 'poscert-reference',
  billPayment: { processingCode: '500000', conditionCode: '22', payeeField: 'F62-TLV', replyEchoes: ['F62'] },
};

/** The reference terminal's profile (the emulator's default). */
export const REFERENCE_PROFILE: TerminalProfile = {
  name: 'reference',
  vouchers: { copies: 2, signatureOn: ['merchant', 'bank'] },
  supervisor: { void: { readsCard: false, asksPin: false }, refund: { readsCard: true, asksPin: false } },
  contactless: { noPinLimitFen: 100000, noSignatureLimitFen: 100000 },
  magstripeExpiry: 'local',
  displaySynonyms: {},
  keys: { scheme: 'tdes', signOnCode: '004' },
  balancedUpload: 'none',
  supersededIcLists: 'not-used',
  partialApproval: false,
  additionalPreAuth: false,
  foreignCards: 'accepted',
  electronicSignature: false,
  // The reference terminal reaches the acquirer over the public network as well (cup8583.md §1.2).
  publicNetwork: 'https',
  acquirer: POSCERT_ACQUIRER,
};

/** A profile that failed validation: where it came from and each field's problem. */
export class TerminalProfileError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      'TERMINAL_PROFILE_INVALID',
      `${source}: terminal profile invalid:\n  ${problems.join('\n  ')}\n` +
        'Declare it in the lab file entry (profile:) or have the terminal report it in TTP hello (docs/terminal-test-protocol.md, profile).',
      { source, problems },
    );
  }
}

/**
 * Validates a declared profile. `source` names where it came from (e.g. "scenarios/lab.yaml: terminal
 * counter-1: profile", "hello of serial:/dev/ttyUSB0"); every problem names its field path.
 */
export function parseTerminalProfile(value: unknown, source: string): TerminalProfile {
  const r = TerminalProfileSchema.safeParse(value);
  if (!r.success) {
    throw new TerminalProfileError(
      source,
      r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(profile)'}: ${i.message}`),
    );
  }
  const p = r.data;
  const problems: string[] = [];
  if (p.vouchers.signatureOn.includes('cardholder'))
    problems.push('vouchers.signatureOn: the cardholder copy carries no signature block (cup8583.md §6)');
  if (p.vouchers.copies < 3 && p.vouchers.signatureOn.every((c) => c === 'bank'))
    problems.push('vouchers.signatureOn: without a bank copy the merchant copy must carry the signature block');
  for (const k of ['void', 'refund'] as const) {
    if (p.supervisor[k].asksPin && !p.supervisor[k].readsCard)
      problems.push(`supervisor.${k}.asksPin: a PIN is asked only where the card is read (readsCard true)`);
  }
  const fits = p.keys.scheme === 'sm4' ? ['004', '005', '006'] : ['001', '003', '004'];
  if (!fits.includes(p.keys.signOnCode)) {
    problems.push(
      `keys.signOnCode ${p.keys.signOnCode} does not fit key scheme ${p.keys.scheme} (3DES: 001/003/004; SM4: 004 poscert form, 005/006)`,
    );
  }
  if (problems.length) throw new TerminalProfileError(source, problems);
  return p;
}

/** The copies a profile prints, in order (§6: merchant, bank when 3, cardholder). */
export function profileCopies(p: Pick<TerminalProfile, 'vouchers'>): VoucherCopyKind[] {
  return p.vouchers.copies === 1 ? ['merchant'] : p.vouchers.copies === 2 ? ['merchant', 'cardholder'] : ['merchant', 'bank', 'cardholder'];
}

/** Every profile value as flat `key = value` pairs (certificate, Allure environment, worker env). */
export function profileEntries(p: TerminalProfile): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (prefix: string, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else {
      out.push([prefix, Array.isArray(v) ? v.join(',') : String(v)]);
    }
  };
  walk('', p);
  if (!p.supervisor.password) out.push(['supervisor.password', '(none)']);
  return out.map(([k, v]) => (k === 'supervisor.password' && v !== '(none)' ? [k, '(declared)'] : [k, v]));
}
