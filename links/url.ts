/**
 * Pieces of link URLs that several link kinds share: serial settings and their query parameters,
 * HOST:PORT, ports. Which kind a URL names is the registry's business (links/registry.ts); each
 * kind's file parses its own URLs with these.
 */
import { LinkUrlError } from './errors';

export type SerialParity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialSettings {
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: SerialParity;
  stopBits: 1 | 1.5 | 2;
  rtscts: boolean;
}

export const DEFAULT_SERIAL_SETTINGS: SerialSettings = {
  baudRate: 115200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  rtscts: false,
};

/** The part after 'scheme://' (the '//' is required), without a trailing '/'. */
export function stripSlashes(url: string, rest: string): string {
  if (!rest.startsWith('//')) throw new LinkUrlError(url, `expected '//' after the scheme, e.g. tcp://127.0.0.1:3001`);
  return rest.slice(2).replace(/\/$/, '');
}

/** 'path?query' → [path, query]. */
export function splitQuery(s: string): [string, string] {
  const q = s.indexOf('?');
  return q < 0 ? [s, ''] : [s.slice(0, q), s.slice(q + 1)];
}

export function parseHostPort(url: string, s: string, portRequired: boolean): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s);
  if (!m) throw new LinkUrlError(url, `expected HOST:PORT (got '${s}')`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port: parsePort(url, m[2], !portRequired) };
}

/** Connect addresses need 1..65535; a listen port may be 0 (the OS picks one). */
export function parsePort(url: string, s: string, allowZero: boolean): number {
  const port = Number(s);
  const min = allowZero ? 0 : 1;
  if (!/^\d+$/.test(s) || port < min || port > 65535) throw new LinkUrlError(url, `port must be ${min}..65535 (got '${s}')`);
  return port;
}

/** Serial settings from a URL query (baud, parity, databits, stopbits, rtscts), each checked. */
export function parseSerialQuery(url: string, query: string, allowed: string[]): SerialSettings {
  const settings: SerialSettings = { ...DEFAULT_SERIAL_SETTINGS };
  if (!query) return settings;
  for (const [rawKey, value] of new URLSearchParams(query)) {
    const key = rawKey.toLowerCase();
    if (!allowed.includes(key)) throw new LinkUrlError(url, `unknown parameter '${rawKey}'; allowed: ${allowed.join(', ')}`);
    switch (key) {
      case 'baud': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 50 || n > 4000000) throw new LinkUrlError(url, `baud must be an integer 50..4000000 (got '${value}')`);
        settings.baudRate = n;
        break;
      }
      case 'parity':
        if (!['none', 'even', 'odd', 'mark', 'space'].includes(value))
          throw new LinkUrlError(url, `parity must be none, even, odd, mark or space (got '${value}')`);
        settings.parity = value as SerialParity;
        break;
      case 'databits':
        if (!['5', '6', '7', '8'].includes(value)) throw new LinkUrlError(url, `databits must be 5, 6, 7 or 8 (got '${value}')`);
        settings.dataBits = Number(value) as SerialSettings['dataBits'];
        break;
      case 'stopbits':
        if (!['1', '1.5', '2'].includes(value)) throw new LinkUrlError(url, `stopbits must be 1, 1.5 or 2 (got '${value}')`);
        settings.stopBits = Number(value) as SerialSettings['stopBits'];
        break;
      case 'rtscts':
        if (!['true', 'false', '1', '0'].includes(value)) throw new LinkUrlError(url, `rtscts must be true or false (got '${value}')`);
        settings.rtscts = value === 'true' || value === '1';
        break;
    }
  }
  return settings;
}
