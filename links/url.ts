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
  baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false,
};

export type LinkAddress =
  | { kind: 'serial'; url: string; path: string; settings: SerialSettings }
  | { kind: 'tcp'; url: string; host: string; port: number }
  | { kind: 'rfc2217'; url: string; host: string; port: number; settings: SerialSettings }
  | { kind: 'emu'; url: string; name: string }
  | { kind: 'tcp-listen'; url: string; host: string; port: number };

export const LINK_URL_FORMS = [
  'serial:/dev/ttyUSB0?baud=115200&parity=none&databits=8&stopbits=1&rtscts=false',
  'tcp://HOST:PORT (ser2net raw)',
  'rfc2217://HOST:PORT?baud=115200&parity=none&databits=8&stopbits=1 (telnet / RFC 2217)',
  'emu: or emu:NAME (in-process emulator)',
  'tcp-listen:PORT or tcp-listen:HOST:PORT (terminal side)',
];

/** Parse a link URL; throws LinkUrlError saying which part is wrong and what is accepted. */
export function parseLinkUrl(url: string): LinkAddress {
  if (typeof url !== 'string' || url.trim() === '') throw new LinkUrlError(String(url), `empty; expected one of: ${LINK_URL_FORMS.join('; ')}`);
  const u = url.trim();
  const colon = u.indexOf(':');
  const scheme = colon < 0 ? '' : u.slice(0, colon).toLowerCase();
  const rest = colon < 0 ? u : u.slice(colon + 1);
  switch (scheme) {
    case 'serial': {
      const [path, query] = splitQuery(rest);
      if (!path.startsWith('/')) throw new LinkUrlError(u, `serial device path must be absolute, e.g. serial:/dev/ttyUSB0 (got '${path}')`);
      return { kind: 'serial', url: u, path, settings: parseSerialQuery(u, query, ['baud', 'parity', 'databits', 'stopbits', 'rtscts']) };
    }
    case 'tcp': {
      const [hostPort, query] = splitQuery(stripSlashes(u, rest));
      if (query) throw new LinkUrlError(u, 'tcp:// takes no parameters (serial settings are configured in ser2net for raw ports; use rfc2217:// to set them from here)');
      const { host, port } = parseHostPort(u, hostPort, true);
      return { kind: 'tcp', url: u, host, port };
    }
    case 'rfc2217':
    case 'telnet': {
      const [hostPort, query] = splitQuery(stripSlashes(u, rest));
      const { host, port } = parseHostPort(u, hostPort, true);
      return { kind: 'rfc2217', url: u, host, port, settings: parseSerialQuery(u, query, ['baud', 'parity', 'databits', 'stopbits', 'rtscts']) };
    }
    case 'emu': {
      const name = rest.replace(/^\/\//, '') || 'default';
      if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new LinkUrlError(u, `emu: endpoint name may use letters, digits, '.', '_' and '-' (got '${name}')`);
      return { kind: 'emu', url: u, name };
    }
    case 'tcp-listen': {
      const spec = rest.replace(/^\/\//, '');
      if (/^\d+$/.test(spec)) return { kind: 'tcp-listen', url: u, host: '127.0.0.1', port: parsePort(u, spec, true) };
      const { host, port } = parseHostPort(u, spec, false);
      return { kind: 'tcp-listen', url: u, host, port };
    }
    default:
      throw new LinkUrlError(u, `unknown link scheme '${scheme || u}'; expected one of: ${LINK_URL_FORMS.join('; ')}`);
  }
}

function stripSlashes(url: string, rest: string): string {
  if (!rest.startsWith('//')) throw new LinkUrlError(url, `expected '//' after the scheme, e.g. tcp://127.0.0.1:3001`);
  return rest.slice(2).replace(/\/$/, '');
}

function splitQuery(s: string): [string, string] {
  const q = s.indexOf('?');
  return q < 0 ? [s, ''] : [s.slice(0, q), s.slice(q + 1)];
}

function parseHostPort(url: string, s: string, portRequired: boolean): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s);
  if (!m) throw new LinkUrlError(url, `expected HOST:PORT (got '${s}')`);
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port: parsePort(url, m[2], !portRequired) };
}

/** Connect addresses need 1..65535; a listen port may be 0 (the OS picks one). */
function parsePort(url: string, s: string, allowZero: boolean): number {
  const port = Number(s);
  const min = allowZero ? 0 : 1;
  if (!/^\d+$/.test(s) || port < min || port > 65535) throw new LinkUrlError(url, `port must be ${min}..65535 (got '${s}')`);
  return port;
}

function parseSerialQuery(url: string, query: string, allowed: string[]): SerialSettings {
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
        if (!['none', 'even', 'odd', 'mark', 'space'].includes(value)) throw new LinkUrlError(url, `parity must be none, even, odd, mark or space (got '${value}')`);
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
