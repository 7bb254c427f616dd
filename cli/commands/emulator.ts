/**
 * poscert emulator --link serial:/dev/pts/N | tcp-listen:PORT | emu:NAME --host tcp://127.0.0.1:PORT
 *                  [--state FILE] [--defect NAME ...] [--list-defects] [ids, keys, timeouts ...]
 * Runs the emulated UnionPay terminal until SIGINT / SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { PoscertError } from '../../errors';
import { DEFECT_NAMES, formatDefectList, isDefectName } from '../../emulator/defects';
import { startEmulator } from '../../emulator/start';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer (milliseconds)');
  return n;
}

function collectDefect(value: string, previous: string[]): string[] {
  if (!isDefectName(value)) {
    throw new InvalidArgumentError(`unknown defect "${value}"; poscert emulator --list-defects shows the ${DEFECT_NAMES.length} names`);
  }
  return [...previous, value];
}

export async function run(args: string[]): Promise<number> {
  const program = new Command('poscert emulator')
    .description('run the emulated UnionPay terminal, serving the Terminal Test Protocol on a link')
    .option('--link <url>', 'serial:/dev/pts/N | tcp-listen:PORT | emu:NAME')
    .option('--host <url>', 'reference bank host, tcp://127.0.0.1:PORT')
    .option('--state <file>', 'terminal state file (keys, counters, batch, pending reversal)')
    .option('--defect <name>', 'inject a firmware defect (repeatable)', collectDefect, [] as string[])
    .option('--list-defects', 'print the defect catalogue and exit')
    .option('--terminal-id <id>', 'terminal id (F41), 8 characters')
    .option('--merchant-id <id>', 'merchant id (F42), 15 characters')
    .option('--merchant-name <name>', 'merchant name printed on vouchers')
    .option('--tmk <hex>', 'terminal master key (test key), 32 hex digits')
    .option('--key-scheme <scheme>', 'tdes or sm4', 'tdes')
    .option('--tpdu <hex>', 'TPDU, 10 hex digits')
    .option('--language <lang>', 'zh-CN or en')
    .option('--host-timeout <ms>', 'host response timeout', positiveInt)
    .option('--card-timeout <ms>', 'card prompt timeout', positiveInt)
    .option('--pin-timeout <ms>', 'PIN entry timeout', positiveInt)
    .option('--idle-timeout <ms>', 'menu / input / result screen timeout', positiveInt)
    .option('--realistic-timing', 'add the pauses of a real terminal (self test, dialling, printing)')
    .option('--quiet', 'no log lines')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<{
    link?: string; host?: string; state?: string; defect: string[]; listDefects?: boolean; terminalId?: string;
    merchantId?: string; merchantName?: string; tmk?: string; keyScheme: string; tpdu?: string; language?: string;
    hostTimeout?: number; cardTimeout?: number; pinTimeout?: number; idleTimeout?: number; realisticTiming?: boolean; quiet?: boolean;
  }>();
  if (o.listDefects) {
    console.log(formatDefectList());
    return 0;
  }
  const missing = [!o.link && '--link', !o.host && '--host'].filter(Boolean);
  if (missing.length > 0) {
    console.error(`poscert emulator: ${missing.join(' and ')} required (see poscert emulator --help)`);
    return 2;
  }
  if (o.keyScheme !== 'tdes' && o.keyScheme !== 'sm4') {
    console.error('poscert emulator: --key-scheme must be tdes or sm4');
    return 2;
  }
  if (o.language && o.language !== 'zh-CN' && o.language !== 'en') {
    console.error('poscert emulator: --language must be zh-CN or en');
    return 2;
  }
  const log = o.quiet ? undefined : (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const statePath = o.state ?? `.state/terminal-${(o.terminalId ?? 'default').replace(/[^\w-]/g, '_')}.json`;
  let running;
  try {
    running = await startEmulator({
      link: o.link!,
      hostUrl: o.host!,
      statePath,
      defects: o.defect,
      ...(o.terminalId ? { terminalId: o.terminalId } : {}),
      ...(o.merchantId ? { merchantId: o.merchantId } : {}),
      ...(o.merchantName ? { merchantName: o.merchantName } : {}),
      ...(o.tmk ? { tmk: o.tmk } : {}),
      keyScheme: o.keyScheme as 'tdes' | 'sm4',
      ...(o.tpdu ? { tpdu: o.tpdu } : {}),
      ...(o.language ? { language: o.language as 'zh-CN' | 'en' } : {}),
      timeouts: { hostResponseMs: o.hostTimeout, cardMs: o.cardTimeout, pinMs: o.pinTimeout, idleMs: o.idleTimeout },
      realisticTiming: Boolean(o.realisticTiming),
      ...(log ? { log } : {}),
    });
  } catch (e) {
    if (e instanceof PoscertError) {
      console.error(`poscert emulator: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const where = running.boundPort !== undefined ? `tcp-listen:${running.boundPort}` : running.url;
  console.log(`poscert emulator: serving TTP on ${where}, host ${o.host}, state ${statePath}` +
    (o.defect.length ? `, defects: ${o.defect.join(', ')}` : ''));
  const r = running;
  await new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await r.close();
  return 0;
}
