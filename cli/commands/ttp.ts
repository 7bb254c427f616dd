/**
 * `poscert ttp check --terminal URL [--json FILE]`: the TTP conformance suite (drivers/ttp-check)
 * against one terminal: prints a table per requirement with the section of
 * docs/terminal-test-protocol.md it comes from, optionally writes the report as JSON.
 * Exit code 0 when every MUST requirement passed, 1 when one failed, 2 when the check could not
 * run (link down, nothing answered, usage error).
 */
import { Command } from 'commander';
import { runSubcommands } from '../subcommands';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTtpCheckReport, runTtpCheck } from '../../drivers/ttp-check';

export async function run(args: string[]): Promise<number> {
  return runTtp(args, process.stdout, process.stderr);
}

/** The command with its output streams injectable (tests). */
export async function runTtp(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const program = new Command('poscert ttp')
    .description('Terminal Test Protocol tools')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
  let result = 2;
  program
    .command('check')
    .description("check a terminal's TTP implementation against docs/terminal-test-protocol.md, one result per requirement")
    .requiredOption('--terminal <url>', 'serial:/dev/ttyUSB0?baud=115200 | tcp://HOST:PORT | rfc2217://HOST:PORT | emu: (the built-in emulator)')
    .option('--json <file>', 'also write the report as JSON to this file')
    .option('--ack-timeout <ms>', 'the ACK timeout the terminal uses (TTP default 500)', '500')
    .option('--reopen-visible', 'the terminal itself sees the link close (it listens on TCP, USB CDC-ACM): check that a reopened link starts afresh')
    .option('--quiet', 'no progress lines on stderr')
    .action(async (o: { terminal: string; json?: string; ackTimeout: string; reopenVisible?: boolean; quiet?: boolean }) => {
      const ackTimeoutMs = Number(o.ackTimeout);
      if (!Number.isInteger(ackTimeoutMs) || ackTimeoutMs < 50) {
        err.write('poscert ttp check: --ack-timeout takes a whole number of milliseconds >= 50\n');
        result = 2;
        return;
      }
      if (o.json) {
        const dir = path.dirname(path.resolve(o.json));
        if (!fs.existsSync(dir)) {
          err.write(`poscert ttp check: the directory of --json ${o.json} does not exist (${dir}); create it or choose another file\n`);
          result = 2;
          return;
        }
      }
      const report = await runTtpCheck({
        terminal: o.terminal,
        ackTimeoutMs,
        reopenVisible: Boolean(o.reopenVisible),
        log: o.quiet ? undefined : (l) => err.write(`ttp check: ${l}\n`),
      });
      out.write(formatTtpCheckReport(report) + '\n');
      if (o.json) {
        fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
        out.write(`report written to ${o.json}\n`);
      }
      result = report.exitCode;
    });
  return runSubcommands(program, args, out, () => result);
}
