/**
 * `poscert decode`: hex in, CUP ISO 8583 field table out (or JSON). Framing is detected or forced;
 * framing inconsistencies are warnings, an undecodable message is exit code 2 with the reason.
 * PAN and track data are masked unless --unmask.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  decodeFrameBody,
  unpackMessage,
  dumpMessage,
  messageToJson,
  formatHeader,
  Iso8583DecodeError,
  type CupFrame,
  type IsoMessage,
} from '../../protocol/iso8583';

export type Framing = 'length' | 'tpdu' | 'bare';

export interface DecodedInput {
  framing: Framing;
  tpdu: string | null;
  header: CupFrame['header'] | null;
  message: IsoMessage;
  warnings: string[];
}

class InputError extends Error {}

/** Hex with optional whitespace, either case. */
export function parseHexInput(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new InputError('no hex given: pass the frame as an argument or on stdin');
  const bad = compact.search(/[^0-9A-Fa-f]/);
  if (bad >= 0) throw new InputError(`not hex: character ${JSON.stringify(compact[bad])} at position ${bad} (spaces are allowed, nothing else)`);
  if (compact.length % 2) throw new InputError(`odd number of hex digits (${compact.length}): a byte is incomplete`);
  return Buffer.from(compact, 'hex');
}

function withTpdu(bytes: Buffer, base: number, framing: Framing, warnings: string[]): DecodedInput {
  const body = bytes.subarray(base);
  const frame = decodeFrameBody(body, undefined, base);
  if (body[0] !== 0x60) warnings.push(`TPDU ID is ${frame.tpdu.slice(0, 2)}, CUP frames use 60`);
  if (!/^[0-9]{12}$/.test(formatHeader(frame.header))) {
    warnings.push(`header ${formatHeader(frame.header)} is not all BCD digits (seen on real terminals in the software sub-version)`);
  }
  return { framing, tpdu: frame.tpdu, header: frame.header, message: frame.message, warnings };
}

function decodeAs(bytes: Buffer, framing: Framing): DecodedInput {
  const warnings: string[] = [];
  if (framing === 'bare') return { framing, tpdu: null, header: null, message: unpackMessage(bytes), warnings };
  if (framing === 'tpdu') return withTpdu(bytes, 0, framing, warnings);
  if (bytes.length < 2) throw new Iso8583DecodeError('truncated', 0, `length prefix needs 2 bytes, got ${bytes.length}`);
  const announced = bytes.readUInt16BE(0);
  if (announced !== bytes.length - 2) {
    warnings.push(
      `length prefix ${bytes.subarray(0, 2).toString('hex').toUpperCase()} says ${announced} bytes follow, ${bytes.length - 2} do; decoded the bytes present`,
    );
  }
  return withTpdu(bytes, 2, framing, warnings);
}

/**
 * auto: a 2-byte length that matches the bytes after it and a TPDU (60) after it; else a TPDU + header;
 * else a bare message (MTI first); else a length prefix that disagrees (warned). The first candidate
 * that decodes completely wins; if none does, the error of the most plausible one is reported.
 */
export function decodeInput(bytes: Buffer, framing: Framing | 'auto'): DecodedInput {
  if (framing !== 'auto') return decodeAs(bytes, framing);
  const prefixMatches = bytes.length >= 2 && bytes.readUInt16BE(0) === bytes.length - 2;
  const candidates: Framing[] = [];
  if (prefixMatches) candidates.push('length');
  if (bytes[0] === 0x60) candidates.push('tpdu');
  candidates.push('bare');
  if (!prefixMatches && bytes.length > 2 && bytes[2] === 0x60) candidates.push('length');
  const failures: { framing: Framing; error: Iso8583DecodeError }[] = [];
  for (const c of candidates) {
    try {
      return decodeAs(bytes, c);
    } catch (err) {
      if (!(err instanceof Iso8583DecodeError)) throw err;
      failures.push({ framing: c, error: err });
    }
  }
  // Report the reading that got furthest into the bytes; on a tie prefer a framed reading over bare.
  const rank: Record<Framing, number> = { length: 2, tpdu: 1, bare: 0 };
  const best = failures.reduce((a, b) =>
    b.error.offset > a.error.offset || (b.error.offset === a.error.offset && rank[b.framing] > rank[a.framing]) ? b : a,
  );
  throw new FramingDecodeError(best.framing, best.error);
}

/** An undecodable input, with the framing that was tried. */
export class FramingDecodeError extends Error {
  constructor(
    readonly framing: Framing,
    readonly decodeError: Iso8583DecodeError,
  ) {
    super(`as ${describeFraming(framing)}: ${decodeError.message}`);
  }
}

function describeFraming(f: Framing): string {
  return f === 'length' ? '2-byte length prefix + TPDU + header' : f === 'tpdu' ? 'TPDU + header, no length prefix' : 'bare message (MTI first)';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Where the command reads and writes; tests pass their own. */
export interface CommandIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export async function run(args: string[], io: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = new Command('poscert decode')
    .description('Decode a CUP ISO 8583 frame given as hex (argument or stdin) and print its field table.')
    .argument('[hex...]', 'the frame as hex; spaces allowed; read from stdin when absent')
    .addOption(new Option('--framing <framing>', 'what precedes the MTI').choices(['auto', 'length', 'tpdu', 'bare']).default('auto'))
    .option('--json', 'print {"framing","tpdu","header","mti","bitmap","fields","warnings"}')
    .option('--unmask', 'show PAN and track data in clear (local debugging only)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => {
        io.stderr.write(s);
      },
      writeOut: (s) => {
        io.stdout.write(s);
      },
    });
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const opts = program.opts<{ framing: Framing | 'auto'; json?: boolean; unmask?: boolean }>();
  const positional = program.args as string[];
  try {
    if (positional.length === 0 && io.stdin.isTTY) {
      throw new InputError('no hex given: pass the frame as an argument or pipe it on stdin');
    }
    const bytes = parseHexInput(positional.length ? positional.join(' ') : await readAll(io.stdin));
    const decoded = decodeInput(bytes, opts.framing);
    if (opts.json) {
      const m = messageToJson(decoded.message, { unmask: opts.unmask });
      io.stdout.write(
        JSON.stringify(
          {
            framing: decoded.framing,
            tpdu: decoded.tpdu,
            header: decoded.header ? formatHeader(decoded.header) : null,
            mti: m.mti,
            bitmap: m.bitmap,
            fields: m.fields,
            warnings: decoded.warnings,
          },
          null,
          2,
        ) + '\n',
      );
    } else {
      const how = opts.framing === 'auto' ? 'detected' : 'as requested';
      const lines = [`framing: ${decoded.framing} (${describeFraming(decoded.framing)}, ${how})`];
      if (decoded.tpdu) {
        const t = decoded.tpdu;
        lines.push(`TPDU: ${t} (id ${t.slice(0, 2)}, destination ${t.slice(2, 6)}, originator ${t.slice(6)})`);
      }
      if (decoded.header) {
        const h = decoded.header;
        lines.push(
          `header: ${formatHeader(h)} (application class ${h.applicationClass}, spec version ${h.specVersion}, ` +
            `terminal status ${h.terminalStatus}, processing requirement ${h.processingRequirement}, software version ${h.softwareVersion})`,
        );
      }
      for (const w of decoded.warnings) lines.push(`warning: ${w}`);
      lines.push(dumpMessage(decoded.message, { unmask: opts.unmask }));
      io.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr.write(`poscert decode: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Iso8583DecodeError || err instanceof FramingDecodeError) {
      io.stderr.write(
        `poscert decode: ${err.message}\n` +
          '  (offsets count bytes from the start of the input; try --framing length|tpdu|bare if the detection guessed wrong)\n',
      );
      return 2;
    }
    throw err;
  }
}
