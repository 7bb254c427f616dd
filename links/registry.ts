/**
 * The link registry: which link kind a URL names. Each kind lives in one file of links/ that
 * exports `<name>LinkKinds` (its scheme(s), URL forms, parse, and open for the harness side and/or
 * listen for the terminal side); the registry finds those files itself, so adding a link kind is one new
 * file plus its tests — parseLinkUrl, openLink, listenLink and the CLI's --terminal check all ask
 * here. `registerLinkKind` adds a kind from outside links/ (a lab's private adapter, a test).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LinkUrlError } from './errors';
import type { ByteLink, LinkListener } from './types';

/** A parsed link URL: `kind` names the link kind, `url` is the URL as written (trimmed). */
export interface LinkAddress {
  kind: string;
  url: string;
}

export interface LinkOpenOptions {
  connectTimeoutMs?: number;
  /** rfc2217: wait this long for the settings to be confirmed. */
  negotiationTimeoutMs?: number;
}

export type ListeningLink = LinkListener & { readonly boundPort?: number };

export interface LinkKind<A extends LinkAddress = LinkAddress> {
  /** The kind's name (the `kind` of its addresses), e.g. 'rfc2217'. */
  name: string;
  /** URL schemes it answers to, lower case, without ':' (e.g. ['rfc2217', 'telnet']). */
  schemes: readonly string[];
  /** How its URLs are written, for help texts and error messages. */
  forms: readonly string[];
  /** Where help texts list it: lower first (real terminals before in-process ones). Default 50. */
  listOrder?: number;
  /** Parses a URL of one of its schemes (`rest` is what follows 'scheme:'); throws LinkUrlError. */
  parse(url: string, rest: string): A;
  /** Harness side: the link to the terminal, created but not opened. */
  open?(address: A, options: LinkOpenOptions): ByteLink;
  /** Terminal side: listens for the harness; resolves once listening. */
  listen?(address: A): Promise<ListeningLink>;
}

const registered: LinkKind[] = [];
let discovered = false;

// Files of links/ that are not link kinds (nothing to load from them).
const NOT_KINDS = new Set(['index', 'registry']);

/**
 * Registers the kinds the files of links/ export as `<name>LinkKinds` (e.g. `serialLinkKinds`).
 * Lazy, once: the kinds' files import this one, so discovery waits until the first lookup.
 */
function discover(): void {
  if (discovered) return;
  discovered = true;
  loadLinkKindsFrom(__dirname);
}

/**
 * Loads every module of a folder and registers the link kinds it exports (`<name>LinkKinds`
 * arrays). links/ is loaded this way; a lab can keep its own kinds in a folder of its own.
 * Returns the kinds found.
 */
export function loadLinkKindsFrom(dir: string): LinkKind[] {
  const found: LinkKind[] = [];
  const names = fs.readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
  // One module per base name (a .ts source wins over a .js build of it beside it).
  const files = names
    .filter((f) => !(f.endsWith('.js') && names.includes(f.replace(/\.js$/, '.ts'))))
    .filter((f) => !(dir === __dirname && NOT_KINDS.has(f.replace(/\.(ts|js)$/, ''))))
    .sort();
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(dir, file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!name.endsWith('LinkKinds') || !Array.isArray(value)) continue;
      for (const kind of value as LinkKind[]) {
        registerLinkKind(kind);
        found.push(kind);
      }
    }
  }
  return found;
}

/** Adds a link kind; a scheme may belong to one kind only. */
export function registerLinkKind<A extends LinkAddress>(kind: LinkKind<A>): void {
  discover(); // links/'s own kinds first, so a clash names them
  if (registered.includes(kind as unknown as LinkKind)) return;
  for (const scheme of kind.schemes) {
    const owner = registered.find((k) => k.schemes.includes(scheme));
    if (owner) throw new LinkUrlError(`${scheme}:`, `link scheme '${scheme}' is already registered by link kind '${owner.name}'`);
  }
  registered.push(kind as unknown as LinkKind);
}

/** Every registered link kind, in list order (then by name). */
export function linkKindList(): readonly LinkKind[] {
  discover();
  return registered.slice().sort((a, b) => (a.listOrder ?? 50) - (b.listOrder ?? 50) || a.name.localeCompare(b.name));
}

/** URL forms of every kind (optionally only those that open, or listen), for messages and help. */
export function linkUrlForms(side?: 'open' | 'listen'): string[] {
  return linkKindList()
    .filter((k) => !side || k[side])
    .flatMap((k) => k.forms);
}

/** The scheme of a URL ('' when it has none), lower case. */
export function linkScheme(url: string): string {
  const colon = url.indexOf(':');
  return colon < 0 ? '' : url.slice(0, colon).toLowerCase();
}

/** The kind that owns the URL's scheme, or undefined. */
export function linkKindOf(url: string): LinkKind | undefined {
  const scheme = linkScheme(url.trim());
  return scheme ? linkKindList().find((k) => k.schemes.includes(scheme)) : undefined;
}

/** Parses a link URL with its kind; throws LinkUrlError saying which part is wrong and what is accepted. */
export function parseLinkUrl(url: string): LinkAddress {
  if (typeof url !== 'string' || url.trim() === '') throw new LinkUrlError(String(url), `empty; expected one of: ${linkUrlForms().join('; ')}`);
  const u = url.trim();
  const kind = linkKindOf(u);
  if (!kind) throw new LinkUrlError(u, `unknown link scheme '${linkScheme(u) || u}'; expected one of: ${linkUrlForms().join('; ')}`);
  return kind.parse(u, u.slice(u.indexOf(':') + 1));
}

/** True when the URL names a registered kind that the harness can open (a terminal to drive). */
export function isHarnessLinkUrl(url: string): boolean {
  return !!linkKindOf(url)?.open;
}
