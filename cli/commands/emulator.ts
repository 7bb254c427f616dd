/**
 * poscert emulator --link serial:/dev/pts/N | tcp-listen:PORT | emu:NAME --host tcp://127.0.0.1:PORT
 *                  [--state FILE] [--defect NAME ...] [--list-defects] [--profile NAME] [--list-profiles] [ids, keys, timeouts ...]
 * Runs the emulated UnionPay terminal until SIGINT / SIGTERM: the stand-in for a real terminal in a
 * lab. Like a real one it is provisioned once (terminal id, merchant id, TMK): from the options, or,
 * without --tmk, as its terminal id is provisioned in the reference host's configuration.
 */
import { Command, InvalidArgumentError } from 'commander';
import { PoscertError } from '../../errors';
import { DEFECT_NAMES, formatDefectList, isDefectName } from '../../emulator/defects';
import { startEmulator } from '../../emulator/start';
import { EMULATOR_PROFILES, emulatorProfileNames } from '../../emulator/profiles';
import { TerminalStateStore } from '../../emulator/state-store';

/** Terminal the emulator is provisioned as when nothing says otherwise (the host's first emulator terminal). */
export const DEFAULT_EMULATOR_TERMINAL_ID = '10000001';

export interface Provisioning {
  terminalId: string;
  merchantId: string;
  merchantName?: string;
  tmk: string;
  keyScheme: 'tdes' | 'sm4';
}

/**
 * The ids and keys of terminal `terminalId` in the reference host's configuration (scenarios/
 * merchants.yaml, or `hostConfig` files): what a lab loads into a terminal once. Without it the
 * terminal has no merchant id and no TMK and cannot sign on at the host.
 */
export function provisioningFromHostConfig(terminalId: string, hostConfig?: string[]): Provisioning {
  const { loadHostConfig } = require('../../host') as typeof import('../../host');
  const config = loadHostConfig(hostConfig);
  const t = config.terminals.find((x) => x.terminalId === terminalId);
  if (!t) {
    throw new EmulatorProvisioningError(
      `terminal id ${terminalId} is not in the host configuration (${config.sources.join(', ')}); ` +
        `give one of ${config.terminals.map((x) => x.terminalId).join(', ')}, or --merchant-id and --tmk`,
    );
  }
  return {
    terminalId: t.terminalId,
    merchantId: t.merchantId,
    merchantName: config.merchants.find((m) => m.merchantId === t.merchantId)?.name,
    tmk: t.tmk.reveal().toString('hex').toUpperCase(),
    keyScheme: (t.keyScheme as string).toUpperCase() === 'SM4' ? 'sm4' : 'tdes',
  };
}

export class EmulatorProvisioningError extends PoscertError {
  constructor(message: string) {
    super('EMULATOR_PROVISIONING', message, {});
  }
}

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
    .option('--profile <name>', 'conformant profile the terminal behaves by (--list-profiles)', (v: string) => {
      if (!emulatorProfileNames().includes(v)) throw new InvalidArgumentError(`unknown profile "${v}"; known: ${emulatorProfileNames().join(', ')}`);
      return v;
    })
    .option('--list-profiles', 'print the conformant profiles, one per line (name first), and exit')
    .option('--terminal-id <id>', 'terminal id (F41), 8 characters')
    .option('--merchant-id <id>', 'merchant id (F42), 15 characters')
    .option('--merchant-name <name>', 'merchant name printed on vouchers')
    .option(
      '--tmk <hex>',
      "terminal master key (test key), 32 hex digits; without it, the terminal id's ids and TMK come from the host configuration",
    )
    .option('--host-config <file-or-dir...>', "host configuration to provision the terminal from (default the repo's scenarios/)")
    .option('--key-scheme <scheme>', 'tdes or sm4', 'tdes')
    .option('--tpdu <hex>', 'TPDU, 10 hex digits')
    .option('--language <lang>', 'zh-CN or en')
    .option('--host-timeout <ms>', 'host response timeout', positiveInt)
    .option('--card-timeout <ms>', 'card prompt timeout', positiveInt)
    .option('--pin-timeout <ms>', 'PIN entry timeout', positiveInt)
    .option('--idle-timeout <ms>', 'menu / input / result screen timeout', positiveInt)
    .option('--realistic-timing', 'add the pauses of a real terminal (self test, dialling, printing)')
    .option(
      '--host-locked',
      'the host address is set here only: TTP config of host is refused (not-supported), as on terminals configured in their own menu',
    )
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
    link?: string;
    host?: string;
    state?: string;
    defect: string[];
    listDefects?: boolean;
    profile?: string;
    listProfiles?: boolean;
    terminalId?: string;
    merchantId?: string;
    merchantName?: string;
    tmk?: string;
    keyScheme: string;
    tpdu?: string;
    language?: string;
    hostConfig?: string[];
    hostTimeout?: number;
    cardTimeout?: number;
    pinTimeout?: number;
    idleTimeout?: number;
    realisticTiming?: boolean;
    quiet?: boolean;
    hostLocked?: boolean;
  }>();
  if (o.listDefects) {
    console.log(formatDefectList());
    return 0;
  }
  if (o.listProfiles) {
    const width = Math.max(...EMULATOR_PROFILES.map((p) => p.name.length));
    for (const p of EMULATOR_PROFILES) console.log(`${p.name.padEnd(width)}  ${p.description}`);
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
  let provisioned: Provisioning | undefined;
  try {
    // Provisioned like a lab terminal: without a TMK on the command line or in the state file, the
    // ids and keys of the terminal id come from the host configuration (default 10000001).
    const stored = new TerminalStateStore(statePath).load();
    if (!o.tmk && !(stored.ped.tmk && stored.config.merchantId && stored.config.terminalId && !o.terminalId)) {
      provisioned = provisioningFromHostConfig(o.terminalId ?? stored.config.terminalId ?? DEFAULT_EMULATOR_TERMINAL_ID, o.hostConfig);
      if (o.merchantId && o.merchantId !== provisioned.merchantId) {
        throw new EmulatorProvisioningError(
          `--merchant-id ${o.merchantId}: terminal ${provisioned.terminalId} belongs to merchant ${provisioned.merchantId} at the host; give --tmk too to provision it otherwise`,
        );
      }
    }
    const keySchemeGiven = program.getOptionValueSource('keyScheme') === 'cli';
    running = await startEmulator({
      link: o.link!,
      hostUrl: o.host!,
      statePath,
      defects: o.defect,
      ...(o.profile ? { profile: o.profile } : {}),
      ...(provisioned
        ? { terminalId: provisioned.terminalId, merchantId: provisioned.merchantId, tmk: provisioned.tmk, keyScheme: provisioned.keyScheme }
        : {}),
      ...(provisioned?.merchantName ? { merchantName: provisioned.merchantName } : {}),
      ...(o.terminalId ? { terminalId: o.terminalId } : {}),
      ...(o.merchantId ? { merchantId: o.merchantId } : {}),
      ...(o.merchantName ? { merchantName: o.merchantName } : {}),
      ...(o.tmk ? { tmk: o.tmk } : {}),
      ...(keySchemeGiven || !provisioned ? { keyScheme: o.keyScheme as 'tdes' | 'sm4' } : {}),
      ...(o.tpdu ? { tpdu: o.tpdu } : {}),
      ...(o.language ? { language: o.language as 'zh-CN' | 'en' } : {}),
      timeouts: { hostResponseMs: o.hostTimeout, cardMs: o.cardTimeout, pinMs: o.pinTimeout, idleMs: o.idleTimeout },
      realisticTiming: Boolean(o.realisticTiming),
      hostLocked: Boolean(o.hostLocked),
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
  console.log(
    `poscert emulator: serving TTP on ${where}, host ${o.host}, state ${statePath}` +
      (provisioned ? `, terminal ${provisioned.terminalId} merchant ${provisioned.merchantId} (from the host configuration)` : '') +
      (o.defect.length ? `, defects: ${o.defect.join(', ')}` : ''),
  );
  const r = running;
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await r.close();
  return 0;
}
