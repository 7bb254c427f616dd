// The emulated terminal outlives harness connections (TTP §3.2, issue 10): on a link that stays up
// (a serial line) a second harness whose first frame is byte-identical to the first one's is
// answered, and a reopened link starts with fresh TTP state.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunningEmulator, startEmulator } from '../../emulator';
import { openLink } from '../../links';
import { TtpTestClient } from './harness';

describe('emulated terminal: one TTP session per harness connection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-emu-sessions-'));
  const options = { hostUrl: 'tcp://127.0.0.1:1', autoSignOn: false };
  let pair: RunningEmulator;
  let named: RunningEmulator;
  const name = `sessions-${process.pid}`;
  before(async () => {
    pair = await startEmulator({ ...options, link: 'emu:', statePath: path.join(dir, 'a.json') });
    named = await startEmulator({ ...options, link: `emu:${name}`, statePath: path.join(dir, 'b.json') });
  });
  after(async () => {
    await pair?.close();
    await named?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a link that stays up: two harnesses in a row, each starting at id 1, are both answered', async () => {
    const hello = { cmd: 'hello', ttp: '1.0', client: 'poscert 0.1.0' } as const;
    const first = new TtpTestClient(pair.harnessLink!);
    expect((await first.cmd<{ model: string }>(hello, 2000)).model).to.equal('EMU-UP1');
    first.close();
    // The same bytes again ({"cmd":"hello",…,"id":1}): a TTP 1.0 harness's new run, not a retransmission.
    const second = new TtpTestClient(pair.harnessLink!);
    expect((await second.cmd<{ model: string }>(hello, 2000)).model).to.equal('EMU-UP1');
    expect((await second.cmd<{ state: string }>({ cmd: 'screen' }, 2000)).state).to.be.a('string');
    second.close();
    // And a harness with a session nonce.
    const third = new TtpTestClient(pair.harnessLink!);
    expect((await third.cmd<{ ttp: string }>({ ...hello, session: 123456789 }, 2000)).ttp).to.equal('1.1');
    third.close();
  });

  test('a reopened link starts with fresh TTP state: the identical hello with the same session is answered on each connection', async () => {
    for (let i = 0; i < 2; i++) {
      const link = await openLink(`emu:${name}`);
      if (!link.isOpen) await link.open();
      const client = new TtpTestClient(link);
      try {
        expect((await client.cmd<{ vendor: string }>({ cmd: 'hello', ttp: '1.0', session: 42 }, 2000)).vendor).to.equal('poscert');
      } finally {
        client.close();
        await link.close();
      }
    }
  });
});
