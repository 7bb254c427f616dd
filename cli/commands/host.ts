/**
 * `poscert host`: the reference bank host standalone. One log line per message on stdout
 * (time, direction, terminal, MTI, processing code, STAN, amount, response code); warnings and
 * errors on stderr. SIGINT / SIGTERM stop it cleanly. Exit codes: 0 stopped, 2 bad configuration
 * or options, 3 could not start.
 */
import { Command, CommanderError } from 'commander';
import { PoscertError } from '../../errors';
import { HostConfigError, loadHostConfig, ReferenceHost, type HostLogger } from '../../host';

function intOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CommanderError(2, 'poscert.host.option', `poscert host: ${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const program = new Command('poscert host')
    .description('run the reference bank host (UnionPay POS acquirer over TCP) standalone')
    .option(
      '--config <file-or-dir...>',
      "configuration file(s) or folder (merchants.yaml, cards.yaml, issuer-rules.yaml); default the repo's scenarios/",
    )
    .option('--port <n>', 'TCP port (0 = a free one, printed at start)', '5000')
    .option('--bind <address>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'SQLite journal and ledger file (WAL); survives restarts', 'poscert-host.sqlite')
    .option('--admin-port <n>', 'serve the control API as HTTP JSON on 127.0.0.1:<n> (0 = a free one)')
    .option('--idle-timeout <ms>', 'close a terminal connection idle this long', '60000')
    .option('--max-frame <bytes>', 'largest frame accepted (excluding the 2-byte length)', '4096')
    .option('--frame-deadline <ms>', 'close a connection whose frame, once begun, is not complete this long after', '10000')
    .option('--max-connections <n>', 'open terminal connections at most; more are closed at once', '1024')
    .option('--quiet', 'no per-message log lines')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s.replace(/^error: /, 'poscert host: ')),
    });
  let opts: {
    config?: string[];
    port: string;
    bind: string;
    db: string;
    adminPort?: string;
    idleTimeout: string;
    maxFrame: string;
    frameDeadline: string;
    maxConnections: string;
    quiet?: boolean;
  };
  try {
    program.parse(args, { from: 'user' });
    opts = program.opts();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return 0;
      if (err.code === 'poscert.host.option') console.error(err.message);
      return 2;
    }
    throw err;
  }

  let port: number;
  let adminPort: number | undefined;
  let idleTimeoutMs: number;
  let maxFrameBytes: number;
  let frameDeadlineMs: number;
  let maxConnections: number;
  try {
    port = intOption('--port', opts.port, 0, 65535);
    adminPort = opts.adminPort === undefined ? undefined : intOption('--admin-port', opts.adminPort, 0, 65535);
    idleTimeoutMs = intOption('--idle-timeout', opts.idleTimeout, 100, 86_400_000);
    maxFrameBytes = intOption('--max-frame', opts.maxFrame, 64, 65535);
    frameDeadlineMs = intOption('--frame-deadline', opts.frameDeadline, 100, 3_600_000);
    maxConnections = intOption('--max-connections', opts.maxConnections, 1, 1_000_000);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }

  let config;
  try {
    config = loadHostConfig(opts.config);
  } catch (err) {
    if (err instanceof HostConfigError) {
      console.error(`poscert host: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const logger: HostLogger = {
    info: opts.quiet ? () => {} : (line) => process.stdout.write(line + '\n'),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
    error: (line) => process.stderr.write(`error: ${line}\n`),
  };
  let host: ReferenceHost;
  try {
    host = await ReferenceHost.start({
      config,
      port,
      bind: opts.bind,
      dbPath: opts.db,
      adminPort,
      idleTimeoutMs,
      maxFrameBytes,
      frameDeadlineMs,
      maxConnections,
      logger,
    });
  } catch (err) {
    if (err instanceof PoscertError) {
      console.error(`poscert host: ${err.message}`);
      return 3;
    }
    throw err;
  }
  process.stdout.write(
    `poscert host: listening on ${host.bind}:${host.port} (database ${host.dbPath}${host.adminPort !== undefined ? `, admin API http://127.0.0.1:${host.adminPort}` : ''}); ` +
      `${config.terminals.length} terminals, ${config.cards.length} cards from ${config.sources.join(', ')}\n`,
  );
  process.stdout.write(`ready port=${host.port}${host.adminPort !== undefined ? ` admin=${host.adminPort}` : ''}\n`);

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`poscert host: ${signal}, stopping\n`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      host.stop().then(
        () => resolve(0),
        (err) => {
          console.error(`poscert host: error while stopping: ${(err as Error).message}`);
          resolve(3);
        },
      );
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
