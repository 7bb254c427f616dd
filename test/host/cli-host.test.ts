import { describe, test } from 'node:test';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { card, identity } from './helpers';
import { TestTerminal } from './terminal-client';
import { compiledHostEntry, startHostProcess, stopProcess } from './child-host';

const ROOT = path.join(__dirname, '..', '..');
const MAG = { card: card('UP-DEBIT-MAG'), pin: '123456' };

describe('poscert host (standalone)', () => {
  test('serves terminals, logs one line per message, serves the admin API, stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-cli-host-'));
    const db = path.join(dir, 'host.sqlite');
    const host = await startHostProcess(['--config', path.join(ROOT, 'scenarios'), '--port', '0', '--db', db, '--admin-port', '0'], { viaCli: true });
    try {
      const t = await TestTerminal.connect(host.port, identity('10000001'));
      expect((await t.signOn()).rc).to.equal('00');
      const s = t.sale(MAG, 12345);
      expect((await t.send(s.msg)).rc).to.equal('00');
      t.close();
      const res = await fetch(`http://127.0.0.1:${host.adminPort}/balance/UP-DEBIT-MAG`, { headers: { connection: 'close' } });
      expect(((await res.json()) as { balance: number }).balance).to.equal(MAG.card.openingBalance - 12345);
      await new Promise((r) => setTimeout(r, 100));
      const lines = host.stdout.join('').split('\n');
      const saleIn = lines.find((l) => / in  10000001 0200 000000 /.test(l) && l.includes(s.stan));
      const saleOut = lines.find((l) => / out 10000001 0210 000000 /.test(l) && l.includes(s.stan));
      expect(saleIn, lines.join('\n')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z in  10000001 0200 000000 \d{6} +123\.45 --$/);
      expect(saleOut).to.match(/ 123\.45 00$/);
      expect(host.stdout.join('')).to.not.include(MAG.card.pan);
    } finally {
      await stopProcess(host, 'SIGTERM');
    }
    expect(host.child.exitCode).to.equal(0);
    expect(host.stdout.join('')).to.match(/SIGTERM, stopping/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a bad configuration exits 2 naming the file, the line and the entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-cli-host-'));
    const bad = path.join(dir, 'merchants.yaml');
    fs.writeFileSync(bad, 'merchants:\n  - merchantId: "1234"\n    name: x\n');
    const r = spawnSync(process.execPath, [compiledHostEntry(), '--config', bad, '--port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
    });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include(`${bad}:2: merchants[0] (1234) merchantId: merchantId must be exactly 15 digits`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
