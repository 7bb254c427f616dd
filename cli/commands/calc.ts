/**
 * `poscert calc`: the payment-crypto calculator a QA engineer reaches for while debugging a terminal.
 * Hex in (any case, spaces allowed), upper-case hex out, one value per line. Bad input (odd hex, a
 * key of the wrong length, data that is not a block multiple...) prints a clear message and exits 2.
 *
 * This is a deliberate, explicit tool: it prints what the user asks it to compute, which can be a
 * derived key (dukpt) or a PIN (pinblock --decrypt). Use it with test keys; it writes no logs.
 */
import { Command, CommanderError, Option } from 'commander';
import * as fs from 'node:fs';
import { PoscertError } from '../../errors';
import {
  MacScheme,
  KcvAlgorithm,
  PinBlockFormat,
  PinCipher,
  Iso9797Padding,
  keyCheckValue,
  desEcbEncrypt,
  desEcbDecrypt,
  desCbcEncrypt,
  desCbcDecrypt,
  sm4EcbEncrypt,
  sm4EcbDecrypt,
  sm4CbcEncrypt,
  sm4CbcDecrypt,
  cupEcbMac,
  iso9797Alg1Mac,
  iso9797Alg3Mac,
  buildPinBlockFormat0,
  encryptPinBlock,
  decryptPinBlock,
  recoverPin,
  generateArqc,
  generateArpcMethod1,
  generateArpcMethod2,
  deriveIccMasterKeyOptionA,
  deriveIccMasterKeyOptionB,
  deriveCommonSessionKey,
  dukptIpek,
  dukptTransactionKey,
  dukptPinKey,
  dukptMacKey,
  dukptDataKey,
  KeyLengthError,
} from '../../crypto';

/** Input the user must fix: printed as "poscert calc <sub>: <message>", exit code 2. */
export class CalcUsageError extends PoscertError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('CALC_USAGE', message, context);
  }
}

/** Parses hex: any case, spaces / tabs / newlines / colons between digits allowed; '-' reads stdin. */
export function parseHex(name: string, value: string | undefined, readStdin: () => string = () => fs.readFileSync(0, 'utf8')): Buffer {
  if (value === undefined) throw new CalcUsageError(`--${name} is required`, { option: name });
  const text = value === '-' ? readStdin() : value;
  const compact = text.replace(/[\s:]+/g, '');
  const bad = /[^0-9a-fA-F]/.exec(compact);
  if (bad) {
    throw new CalcUsageError(`--${name}: "${bad[0]}" at hex digit ${bad.index + 1} is not a hex digit (0-9, A-F)`, { option: name });
  }
  if (compact.length % 2 !== 0) {
    throw new CalcUsageError(`--${name}: odd number of hex digits (${compact.length}); each byte needs two digits`, { option: name });
  }
  return Buffer.from(compact, 'hex');
}

function parseDigits(name: string, value: string | undefined): string {
  if (value === undefined) throw new CalcUsageError(`--${name} is required`, { option: name });
  const compact = value.replace(/\s+/g, '');
  if (!/^[0-9]+$/.test(compact)) throw new CalcUsageError(`--${name}: must be decimal digits`, { option: name });
  return compact;
}

const hexOut = (b: Buffer): string => b.toString('hex').toUpperCase();

type Out = (line: string) => void;

function requireKeyLength(what: string, key: Buffer, allowed: number[]): void {
  if (!allowed.includes(key.length)) throw new KeyLengthError(what, key.length, allowed);
}

// ---- sub-commands -------------------------------------------------------------------------------

function kcvCommand(out: Out): Command {
  return new Command('kcv')
    .description(
      "key check value: first N bytes of the key's encryption of a zero block (cup8583.md §5.2); " +
        'repeat --key for several keys, one check value per line',
    )
    .requiredOption(
      '--key <hex>',
      'the clear key (8/16/24 bytes for des/3des, 16 for sm4); repeatable',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addOption(new Option('--alg <alg>', 'cipher of the key').choices(['des', '3des', 'tdes', 'sm4']).default('3des'))
    .option('--length <n>', 'check value length in bytes', '4')
    .action((o: { key: string[]; alg: string; length: string }) => {
      const algorithm: KcvAlgorithm = o.alg === 'sm4' ? 'sm4' : 'tdes';
      const length = Number(o.length);
      // Check every key first so that a bad one does not leave a partial list on stdout.
      const values = o.key.map((text) => {
        const key = parseHex('key', text);
        if (o.alg === 'des') requireKeyLength('kcv --alg des', key, [8]);
        if (o.alg === '3des' || o.alg === 'tdes') requireKeyLength(`kcv --alg ${o.alg}`, key, [8, 16, 24]);
        return hexOut(keyCheckValue(key, { algorithm, length }));
      });
      for (const v of values) out(v);
    });
}

function cipherCommand(name: 'encrypt' | 'decrypt', out: Out): Command {
  return new Command(name)
    .description(`${name} whole blocks (no padding): DES, 2/3-key TDES or SM4, ECB or CBC`)
    .addOption(new Option('--alg <alg>', 'cipher').choices(['des', '3des', 'sm4']).makeOptionMandatory())
    .addOption(new Option('--mode <mode>', 'block mode').choices(['ecb', 'cbc']).default('ecb'))
    .requiredOption('--key <hex>', 'des: 8 bytes; 3des: 16 (2-key) or 24 (3-key); sm4: 16')
    .requiredOption('--data <hex>', 'a multiple of the block size (8, or 16 for sm4); "-" reads stdin')
    .option('--iv <hex>', 'CBC initial vector (default all zero)')
    .action((o: { alg: string; mode: string; key: string; data: string; iv?: string }) => {
      const key = parseHex('key', o.key);
      const data = parseHex('data', o.data);
      const block = o.alg === 'sm4' ? 16 : 8;
      if (o.alg === 'des') requireKeyLength('--alg des', key, [8]);
      if (o.alg === '3des') requireKeyLength('--alg 3des', key, [16, 24]);
      if (o.alg === 'sm4') requireKeyLength('--alg sm4', key, [16]);
      if (o.mode === 'ecb' && o.iv !== undefined) throw new CalcUsageError('--iv only applies to --mode cbc');
      const iv = o.iv === undefined ? Buffer.alloc(block) : parseHex('iv', o.iv);
      const enc = name === 'encrypt';
      let result: Buffer;
      if (o.alg === 'sm4') {
        result =
          o.mode === 'ecb'
            ? enc
              ? sm4EcbEncrypt(key, data)
              : sm4EcbDecrypt(key, data)
            : enc
              ? sm4CbcEncrypt(key, iv, data)
              : sm4CbcDecrypt(key, iv, data);
      } else {
        result =
          o.mode === 'ecb'
            ? enc
              ? desEcbEncrypt(key, data)
              : desEcbDecrypt(key, data)
            : enc
              ? desCbcEncrypt(key, iv, data)
              : desCbcDecrypt(key, iv, data);
      }
      out(hexOut(result));
    });
}

function macCommand(out: Out): Command {
  return new Command('mac')
    .description('MAC over the MAC input bytes (for F64: MTI through field 63, bitmap with bit 64 set)')
    .addOption(new Option('--alg <alg>', 'MAC scheme').choices(['cup-ecb', 'x9.9', 'x9.19', 'sm4-ecb']).default('cup-ecb'))
    .requiredOption('--key <hex>', 'MAK: cup-ecb 8 (DES) or 16/24 (TDES); x9.9 8 (or 16/24 for TDES-CBC); x9.19 16; sm4-ecb 16')
    .requiredOption('--data <hex>', 'the MAC input bytes; "-" reads hex from stdin')
    .addOption(new Option('--padding <n>', 'ISO 9797-1 padding for x9.9 / x9.19 (0 = none)').choices(['0', '1', '2', '3']).default('1'))
    .option('--wire', 'cup-ecb / sm4-ecb: print the 8 F64 bytes as hex (4237...) instead of the 8 MAC characters (B7...)')
    .action((o: { alg: MacScheme; key: string; data: string; padding: string; wire?: boolean }) => {
      const key = parseHex('key', o.key);
      const data = parseHex('data', o.data);
      const padding = Number(o.padding) as Iso9797Padding;
      switch (o.alg) {
        case 'cup-ecb':
        case 'sm4-ecb': {
          const mac = o.alg === 'sm4-ecb' ? cupEcbMac(key, data, 'sm4') : cupEcbMac(key, data);
          out(o.wire ? hexOut(mac) : mac.toString('ascii'));
          break;
        }
        case 'x9.9':
          out(hexOut(iso9797Alg1Mac(key, data, padding)));
          break;
        case 'x9.19':
          out(hexOut(iso9797Alg3Mac(key, data, padding)));
          break;
      }
    });
}

function pinCipherOf(alg: string | undefined, key: Buffer): PinCipher {
  if (alg === 'des') return 'des';
  if (alg === '3des') return 'tdes';
  if (alg === 'sm4') return 'sm4';
  return key.length === 8 ? 'des' : 'tdes';
}

function pinblockCommand(out: Out): Command {
  return new Command('pinblock')
    .description('ISO 9564 PIN block: build format 0 (clear, or encrypted with --key), or --decrypt a block back to the PIN')
    .addOption(new Option('--format <n>', 'PIN block format (build: 0; --decrypt: 0, 1, 3)').choices(['0', '1', '3']).default('0'))
    .option('--pin <digits>', 'PIN, 4 to 12 digits (build)')
    .option('--pan <digits>', 'full PAN including the check digit (formats 0 and 3)')
    .option('--key <hex>', 'PIK: with it the block is encrypted (build) or decrypted (--decrypt)')
    .addOption(new Option('--alg <alg>', 'PIK cipher (default: des for an 8-byte key, else 3des)').choices(['des', '3des', 'sm4']))
    .option('--decrypt', 'recover the PIN from --block (decrypting it first when --key is given); prints the clear PIN')
    .option('--block <hex>', 'PIN block to recover (--decrypt)')
    .action((o: { format: string; pin?: string; pan?: string; key?: string; alg?: string; decrypt?: boolean; block?: string }) => {
      const format = Number(o.format) as PinBlockFormat;
      const key = o.key === undefined ? undefined : parseHex('key', o.key);
      const cipher = key ? pinCipherOf(o.alg, key) : o.alg === 'sm4' ? 'sm4' : undefined;
      const pan = o.pan === undefined ? undefined : parseDigits('pan', o.pan);
      if (o.decrypt) {
        if (o.pin !== undefined) throw new CalcUsageError('--pin is not used with --decrypt (give --block)');
        const block = parseHex('block', o.block);
        const clear = key ? decryptPinBlock(key, block, cipher) : block;
        if ((format === 0 || format === 3) && pan === undefined)
          throw new CalcUsageError(`--pan is required to recover a format ${format} PIN block`);
        out(recoverPin(clear, pan, format));
        return;
      }
      if (format !== 0) throw new CalcUsageError('only format 0 can be built (formats 1 and 3 need random fill); use --decrypt to read them');
      if (o.block !== undefined) throw new CalcUsageError('--block is only used with --decrypt');
      const pin = parseDigits('pin', o.pin);
      if (pan === undefined) throw new CalcUsageError('--pan is required for a format 0 PIN block');
      const clear = buildPinBlockFormat0(pin, pan, cipher === 'sm4' ? 16 : 8);
      // With a key only the encrypted block is printed, never the clear one beside it.
      out(hexOut(key ? encryptPinBlock(key, clear, cipher) : clear));
    });
}

function arqcCommand(out: Out): Command {
  return new Command('arqc')
    .description(
      'EMV ARQC (ISO 9797-1 MAC alg 3 over the CDOL1 data) and, with --arc or --csu, the ARPC. ' +
        'Key from --session-key, or --mk with --atc, or --imk with --pan/--psn/--atc. Prints ARQC, then ARPC.',
    )
    .requiredOption('--data <hex>', 'CDOL1 data the terminal sent in GENERATE AC; "-" reads stdin')
    .option('--session-key <hex>', 'AC session key (16 bytes)')
    .option('--mk <hex>', 'ICC master key (16 bytes); the session key is derived with --atc')
    .option('--imk <hex>', 'issuer master key (16 bytes); the ICC master key is derived from --pan and --psn')
    .option('--pan <digits>', 'PAN (with --imk)')
    .option('--psn <nn>', 'PAN sequence number, 2 digits (with --imk)', '00')
    .addOption(new Option('--option <ab>', 'ICC master key derivation option (with --imk)').choices(['A', 'B', 'a', 'b']).default('A'))
    .option('--atc <hex>', 'application transaction counter, 2 bytes (or an 8-byte R)')
    .addOption(new Option('--padding <n>', 'ISO 9797-1 padding of the data').choices(['1', '2']).default('2'))
    .option('--arc <hex>', 'authorisation response code (2 bytes, e.g. 3030 for "00"): ARPC method 1')
    .option('--csu <hex>', 'card status update (4 bytes): ARPC method 2')
    .option('--proprietary <hex>', 'proprietary authentication data for ARPC method 2 (0-8 bytes)')
    .addOption(
      new Option('--arpc-key <which>', 'key of ARPC method 1: the session key or the ICC master key').choices(['session', 'mk']).default('session'),
    )
    .action((o: Record<string, string | undefined>) => {
      const data = parseHex('data', o.data);
      const given = ['sessionKey', 'mk', 'imk'].filter((k) => o[k] !== undefined);
      if (given.length !== 1) throw new CalcUsageError('give exactly one of --session-key, --mk or --imk');
      let mk: Buffer | undefined;
      let sk: Buffer;
      if (o.sessionKey !== undefined) {
        sk = parseHex('session-key', o.sessionKey);
        requireKeyLength('--session-key', sk, [16]);
      } else {
        if (o.mk !== undefined) {
          mk = parseHex('mk', o.mk);
        } else {
          const imk = parseHex('imk', o.imk);
          const pan = parseDigits('pan', o.pan);
          const psn = parseDigits('psn', o.psn);
          mk = String(o.option).toUpperCase() === 'B' ? deriveIccMasterKeyOptionB(imk, pan, psn) : deriveIccMasterKeyOptionA(imk, pan, psn);
        }
        sk = deriveCommonSessionKey(mk, parseHex('atc', o.atc));
      }
      const arqc = generateArqc(sk, data, Number(o.padding) as Iso9797Padding);
      out(hexOut(arqc));
      if (o.arc !== undefined && o.csu !== undefined) throw new CalcUsageError('give --arc (ARPC method 1) or --csu (method 2), not both');
      if (o.arc !== undefined) {
        if (o.arpcKey === 'mk' && !mk) throw new CalcUsageError('--arpc-key mk needs --mk or --imk');
        out(hexOut(generateArpcMethod1(o.arpcKey === 'mk' ? mk! : sk, arqc, parseHex('arc', o.arc))));
      } else if (o.csu !== undefined) {
        const prop = o.proprietary === undefined ? undefined : parseHex('proprietary', o.proprietary);
        out(hexOut(generateArpcMethod2(sk, arqc, parseHex('csu', o.csu), prop)));
      } else if (o.proprietary !== undefined) {
        throw new CalcUsageError('--proprietary belongs to ARPC method 2: give --csu too');
      }
    });
}

function dukptCommand(out: Out): Command {
  return new Command('dukpt')
    .description(
      'ANSI X9.24-1 TDES DUKPT keys for a KSN. Prints, one per line: IPEK, transaction key, PIN key, ' +
        'MAC request key, MAC response key, data request key, data response key (or only --key ...)',
    )
    .requiredOption('--bdk <hex>', 'base derivation key (16 bytes)')
    .requiredOption('--ksn <hex>', 'key serial number (10 bytes; an 8-byte KSN is left-padded with FFFF)')
    .addOption(
      new Option('--key <which>', 'print only this key').choices([
        'ipek',
        'transaction',
        'pin',
        'mac-request',
        'mac-response',
        'data-request',
        'data-response',
      ]),
    )
    .action((o: { bdk: string; ksn: string; key?: string }) => {
      const bdk = parseHex('bdk', o.bdk);
      requireKeyLength('--bdk', bdk, [16]);
      let ksn = parseHex('ksn', o.ksn);
      if (ksn.length === 8) ksn = Buffer.concat([Buffer.from([0xff, 0xff]), ksn]);
      const ipek = dukptIpek(bdk, ksn);
      const tk = dukptTransactionKey(ipek, ksn);
      const all: Record<string, Buffer> = {
        ipek,
        transaction: tk,
        pin: dukptPinKey(tk),
        'mac-request': dukptMacKey(tk, 'request'),
        'mac-response': dukptMacKey(tk, 'response'),
        'data-request': dukptDataKey(tk, 'request'),
        'data-response': dukptDataKey(tk, 'response'),
      };
      if (o.key) out(hexOut(all[o.key]));
      else for (const v of Object.values(all)) out(hexOut(v));
    });
}

// ---- entry --------------------------------------------------------------------------------------

export interface CalcIo {
  out: Out;
  err: Out;
}

export async function run(args: string[], io: CalcIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const program = new Command('poscert calc')
    .description('payment-crypto calculator: hex in (any case, spaces allowed), upper-case hex out, one value per line')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '').replace(/^error: /, 'poscert calc: ')),
    })
    .showHelpAfterError(false);
  for (const sub of [
    kcvCommand(io.out),
    cipherCommand('encrypt', io.out),
    cipherCommand('decrypt', io.out),
    macCommand(io.out),
    pinblockCommand(io.out),
    arqcCommand(io.out),
    dukptCommand(io.out),
  ]) {
    sub.exitOverride().configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      // Commander's own messages ("error: required option ...") get the command name in front.
      writeErr: (s) => io.err(s.replace(/\n$/, '').replace(/^error: /, `poscert calc ${sub.name()}: `)),
    });
    program.addCommand(sub);
  }
  if (args.length === 0) {
    io.err(program.helpInformation().replace(/\n$/, ''));
    return 2;
  }
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander has already printed its message otherwise.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') return 0;
      return 2;
    }
    if (err instanceof PoscertError) {
      const sub = args.find((a) => !a.startsWith('-')) ?? '';
      io.err(`poscert calc ${sub}: ${err.message}`.replace('calc : ', 'calc: '));
      return 2;
    }
    throw err;
  }
}
