/**
 * Runs a command that only has subcommands (`poscert lab check`, `poscert ttp check`): no
 * arguments print its help with exit code 2, a usage error from commander is exit code 2 (`--help`
 * is 0), and otherwise the exit code is what the subcommand's action left in `result()`.
 */
import { Command, CommanderError } from 'commander';

export async function runSubcommands(program: Command, args: string[], out: NodeJS.WritableStream, result: () => number): Promise<number> {
  try {
    if (args.length === 0) {
      out.write(program.helpInformation());
      return 2;
    }
    await program.parseAsync(args, { from: 'user' });
    return result();
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
