/**
 * `poscert merge DIR… [--out DIR] [--plan NAME]`: combines the output folders of several
 * `poscert certify --shard i/n` runs (or of runs on several machines) into one Allure report and
 * one certificate. The merged verdict is judged over all shards' scenarios, exactly as one full run
 * would be; a plan case that no shard ran is reported as not run. Exit code = the verdict's.
 */
import { Command, CommanderError } from 'commander';
import * as path from 'node:path';
import { PoscertError } from '../../errors';
import { mergeRuns } from '../../certification/certify';
import { summary } from './certify';

const ROOT = path.join(__dirname, '..', '..');

export async function run(args: string[]): Promise<number> {
  return runMerge(args, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}

export async function runMerge(args: string[], io: { out: (s: string) => void; err: (s: string) => void }, root = ROOT): Promise<number> {
  const program = new Command('poscert merge')
    .description('merge the output folders of several certify runs (shards) into one Allure report and one certificate')
    .argument('<dirs...>', 'output folders of poscert certify --shard runs (each with run.json, cucumber-messages.ndjson, allure-results/)')
    .option('--out <dir>', 'output folder of the merged report and certificate', 'reports')
    .option('--plan <name>', 'plan to judge against (default: the one the runs used)')
    .option('--no-report', 'do not generate the Allure HTML report')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts<{ out: string; plan?: string; report: boolean }>();
  try {
    const result = await mergeRuns({
      root,
      dirs: program.args,
      outDir: o.out,
      plan: o.plan,
      skipReport: !o.report,
      log: (l) => io.out(`${l}\n`),
    });
    io.out(`merged ${program.args.length} run${program.args.length > 1 ? 's' : ''}: ${program.args.join(', ')}\n`);
    io.out(`${summary({ ...result, timings: { cucumberMs: 0, scenariosMs: 0, reportingMs: 0, allureMs: 0, scanMs: 0, totalMs: 0 } }, root)}\n`);
    return result.exitCode;
  } catch (e) {
    if (e instanceof PoscertError) {
      io.err(`poscert merge: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
