/** Shared set-up of the host tests: the repo's configuration, a host on an ephemeral port, terminals. */
import { cardByAlias, loadHostConfig, ReferenceHost, type CardConfig, type HostConfig, type ReferenceHostOptions } from '../../host';
import { TestTerminal, type TerminalIdentity } from './terminal-client';

export const CONFIG: HostConfig = loadHostConfig();

export function card(alias: string): CardConfig {
  return cardByAlias(CONFIG, alias);
}

export function identity(terminalId: string, config: HostConfig = CONFIG): TerminalIdentity {
  const t = config.terminals.find((x) => x.terminalId === terminalId);
  if (!t) throw new Error(`no terminal ${terminalId}`);
  return { terminalId, merchantId: t.merchantId, tmk: t.tmk.reveal().toString('hex').toUpperCase(), scheme: t.keyScheme };
}

export function startHost(opts: Partial<ReferenceHostOptions> = {}): Promise<ReferenceHost> {
  return ReferenceHost.start({ config: CONFIG, idleTimeoutMs: 5000, ...opts });
}

/** A connected, signed-on terminal. */
export async function signedOn(
  host: ReferenceHost,
  terminalId: string,
  layout: '001' | '003' | '004' = '003',
  config: HostConfig = CONFIG,
): Promise<TestTerminal> {
  const t = await TestTerminal.connect(host.port, identity(terminalId, config));
  const r = await t.signOn(layout);
  if (r.rc !== '00') throw new Error(`sign-on of ${terminalId} answered ${r.rc}`);
  return t;
}

export const PAYEE = { name: '广州供电局', account: '440100200300400', reference: 'E2026110001' };
