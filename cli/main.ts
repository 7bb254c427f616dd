/**
 * The `poscert` command. Each sub-command lives in cli/commands/<name>.ts and exports
 * `run(args: string[]): Promise<number>` (the exit code); they are loaded lazily so that
 * `poscert decode` does not pay for loading the host, the emulator or cucumber.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';

const COMMANDS: Record<string, string> = {
  decode: 'decode a CUP ISO 8583 frame from hex and print its field table',
  calc: 'payment-crypto calculator: kcv, encrypt/decrypt, mac, pinblock, arqc, dukpt',
  host: 'run the reference bank host standalone',
  emulator: 'run the emulated UnionPay terminal on a serial device, a TCP port or in-process',
  lab: 'check the terminals of the lab file (scenarios/lab.yaml)',
  ttp: "check a terminal's Terminal Test Protocol implementation (ttp check --terminal URL)",
  certify: 'run a certification plan and write the Allure report and the certificate',
  merge: 'merge allure-results of several shards into one report and one certificate',
};

function usage(): string {
  const lines = ['usage: poscert <command> [options]', '', 'commands:'];
  for (const [name, what] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${what}`);
  lines.push('', 'poscert <command> --help shows the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    console.log(require('../package.json').version);
    return 0;
  }
  if (!(name in COMMANDS)) {
    console.error(`poscert: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const modulePath = path.join(__dirname, 'commands', `${name}.ts`);
  if (!fs.existsSync(modulePath)) {
    console.error(`poscert: the "${name}" command is not available in this build`);
    return 2;
  }
  const mod = require(modulePath) as { run(args: string[]): Promise<number> };
  return mod.run(rest);
}
