/**
 * The control API as HTTP JSON on loopback, for a standalone host (`poscert host --admin-port N`).
 * Routes mirror HostControl; docs/host.md lists them with examples.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PoscertError } from '../errors';
import type { HostControl } from './control';
import type { HostLogger } from './engine';
import { HostControlError, HostStartError } from './errors';

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HostControlError(`request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HostControlError('request body is not JSON');
  }
}

function optionalNumber(v: string | null): number | undefined {
  return v === null ? undefined : Number(v);
}

export async function route(control: HostControl, method: string, url: URL, body: () => Promise<unknown>): Promise<[number, unknown]> {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = url.searchParams;
  const get = (k: string) => q.get(k) ?? undefined;
  const key = `${method} /${parts[0] ?? ''}`;
  switch (key) {
    case 'GET /health':
      return [200, { ok: true }];
    case 'GET /journal':
      return [
        200,
        control.journal({
          terminalId: get('terminalId'),
          stan: get('stan'),
          mti: get('mti'),
          since: get('since'),
          until: get('until'),
          direction: get('direction') as 'in' | 'out' | undefined,
          limit: optionalNumber(q.get('limit')),
        }),
      ];
    case 'GET /balance':
      if (!parts[1]) return [400, { error: { code: 'HOST_CONTROL', message: 'GET /balance/<alias or PAN>' } }];
      return [200, control.balance(parts[1])];
    case 'GET /balances':
      return [200, control.balances()];
    case 'GET /ledger':
      return [200, control.ledger({ card: get('card'), terminalId: get('terminalId'), since: get('since') })];
    case 'GET /transactions':
      return [
        200,
        control.transactions({
          terminalId: get('terminalId'),
          batch: get('batch'),
          stan: get('stan'),
          card: get('card'),
          kind: get('kind') as never,
        }),
      ];
    case 'GET /settlement':
      if (!parts[1] || !parts[2]) return [400, { error: { code: 'HOST_CONTROL', message: 'GET /settlement/<terminalId>/<batch>' } }];
      return [200, control.settlementTotals(parts[1], parts[2])];
    case 'GET /terminals':
      if (!parts[1]) return [400, { error: { code: 'HOST_CONTROL', message: 'GET /terminals/<terminalId>' } }];
      return [200, control.terminalState(parts[1])];
    case 'POST /terminals':
      if (parts[1] && parts[2] === 'ic-download-request') {
        const lists = get('lists')?.split(',') as Parameters<HostControl['requestIcDownload']>[1];
        control.requestIcDownload(parts[1], lists);
        return [200, { ok: true }];
      }
      if (!parts[1] || parts[2] !== 'sign-on-request')
        return [
          400,
          {
            error: {
              code: 'HOST_CONTROL',
              message: 'POST /terminals/<terminalId>/sign-on-request or /ic-download-request[?lists=capk,aid,blacklist,contactless]',
            },
          },
        ];
      control.requestSignOn(parts[1]);
      return [200, { ok: true }];
    case 'GET /contactless-parameters':
      return [200, control.contactlessParameters() ?? null];
    case 'PUT /contactless-parameters':
      control.setContactlessParameters((await body()) as never);
      return [200, control.contactlessParameters() ?? null];
    case 'DELETE /contactless-parameters':
      control.setContactlessParameters(undefined);
      return [200, control.contactlessParameters() ?? null];
    case 'GET /faults':
      return [200, control.faults()];
    case 'POST /faults':
      return [201, control.injectFault((await body()) as never)];
    case 'DELETE /faults':
      control.clearFaults();
      return [200, { ok: true }];
    case 'POST /reset':
      control.reset();
      return [200, { ok: true }];
    default:
      return [404, { error: { code: 'NOT_FOUND', message: `no route ${method} ${url.pathname}; see docs/host.md (admin API)` } }];
  }
}

export async function startAdminServer(control: HostControl, port: number, logger: HostLogger): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    route(control, req.method ?? 'GET', url, () => readJson(req)).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        if (err instanceof PoscertError) send(res, 400, { error: { code: err.code, message: err.message } });
        else {
          logger.error(`admin API error on ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
          send(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } });
        }
      },
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new HostStartError(
          err.code === 'EADDRINUSE'
            ? `admin port ${port} is already in use: give another --admin-port`
            : `cannot start the admin API on port ${port}: ${err.message}`,
          { adminPort: port },
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
