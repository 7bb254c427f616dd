// The link registry: each link file declares its kind (schemes, URL forms, parse, open, listen);
// parseLinkUrl, openLink, listenLink and `poscert certify --terminal` ask the registry. A new kind
// is one file: here a loopback kind written to a temporary folder and loaded from there.
import { describe, test, after } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  LinkUrlError,
  isHarnessLinkUrl,
  linkKindList,
  linkUrlForms,
  listenLink,
  loadLinkKindsFrom,
  openLink,
  parseLinkUrl,
  registerLinkKind,
} from '../../links';
import { parseCertifyArgs } from '../../cli/commands/certify';
import { CertifyOptionError } from '../../certification/errors';

const LINKS = path.join(__dirname, '..', '..', 'links');

// The whole of a new link kind: one file exporting `<name>LinkKinds`.
const LOOP_KIND_FILE = `/** loop: — a link that echoes every byte back (a test kind). */
import { BaseLink } from ${JSON.stringify(path.join(LINKS, 'types'))};
import type { LinkAddress, LinkKind } from ${JSON.stringify(path.join(LINKS, 'registry'))};

class LoopLink extends BaseLink {
  async open(): Promise<void> { this.markOpen(); }
  async write(bytes: Uint8Array): Promise<void> { this.assertOpen('write'); const copy = Buffer.from(bytes); setImmediate(() => this.deliver(copy)); }
  async close(): Promise<void> { this.markClosed(); }
}

export const loopLinkKinds: readonly LinkKind[] = [{
  name: 'loop',
  schemes: ['loop'],
  forms: ['loop:NAME (echoes every byte)'],
  parse: (url: string, rest: string): LinkAddress & { name: string } => ({ kind: 'loop', url, name: rest || 'default' }),
  open: (a: LinkAddress) => new LoopLink(a.url),
}];
`;

describe('links/registry', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-linkkind-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the link files of links/ declare their kinds; the registry finds them', () => {
    const kinds = linkKindList();
    expect(kinds.map((k) => k.name)).to.deep.equal(['serial', 'tcp', 'rfc2217', 'emu', 'tcp-listen']);
    expect(kinds.find((k) => k.name === 'rfc2217')!.schemes).to.deep.equal(['rfc2217', 'telnet']);
    // Harness side: what a driver can open; terminal side: what an emulator can listen on.
    expect(kinds.filter((k) => k.open).map((k) => k.name)).to.deep.equal(['serial', 'tcp', 'rfc2217', 'emu']);
    expect(kinds.filter((k) => k.listen).map((k) => k.name)).to.deep.equal(['serial', 'emu', 'tcp-listen']);
    expect(linkUrlForms('open').join('; ')).to.include('serial:/dev/ttyUSB0').and.include('rfc2217://').and.not.include('tcp-listen');
    expect(isHarnessLinkUrl('tcp://h:1')).to.equal(true);
    expect(isHarnessLinkUrl('tcp-listen:1')).to.equal(false);
    expect(isHarnessLinkUrl('usb:/dev/x')).to.equal(false);
  });

  test('a scheme belongs to one kind only', () => {
    expect(() =>
      registerLinkKind({ name: 'other-serial', schemes: ['serial'], forms: [], parse: (url) => ({ kind: 'other-serial', url }) }),
    ).to.throw(LinkUrlError, /already registered by link kind 'serial'/);
  });

  test('a new link kind is one file: loaded, it parses, opens, and certify --terminal accepts it', async () => {
    const io = { out: () => undefined, err: () => undefined };
    expect(() => parseLinkUrl('loop:x')).to.throw(LinkUrlError, /unknown link scheme 'loop'/);
    expect(() => parseCertifyArgs(['--terminal', 'loop:x'], io)).to.throw(CertifyOptionError, /--terminal loop:x: expected emulator, serial:/);

    fs.writeFileSync(path.join(dir, 'loop.ts'), LOOP_KIND_FILE);
    expect(loadLinkKindsFrom(dir).map((k) => k.name)).to.deep.equal(['loop']);

    expect(parseLinkUrl('loop:x')).to.deep.equal({ kind: 'loop', url: 'loop:x', name: 'x' });
    const link = await openLink('loop:x');
    const echoed = new Promise<Buffer>((resolve) => link.once('data', resolve));
    await link.write(Buffer.from('TTP'));
    expect((await echoed).toString()).to.equal('TTP');
    await link.close();
    expect(parseCertifyArgs(['--terminal', 'loop:x'], io)).to.deep.include({ terminal: 'loop:x' });
    // It declares no terminal side.
    const err = await listenLink('loop:x').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(LinkUrlError);
    expect((err as Error).message).to.match(/terminal side listens on one of: .*tcp-listen/);
  });
});
