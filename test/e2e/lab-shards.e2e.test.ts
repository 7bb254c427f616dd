// The CI pipeline of docs/lab-and-ci.md on loopback (issue 16 item 5): a terminal farm of two lab
// entries, each a standalone `poscert emulator` process behind a socat PTY pair (its "cable") and
// ser2net with a raw tcp(nodelay) accepter (its lab host), each with the host.listen the terminal
// dials. Two "runners" certify `--shard 1/2` and `--shard 2/2` at the same time, one terminal each;
// `poscert merge` combines them; the merged verdict and per-case results equal those of one run of
// the same cases on one terminal.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findExecutable, freeTcpPort } from '../../links/testbeds';
import { Run, StandaloneBench } from './support/standalone';

const TAGS = '@CUP-PAY-001 or @CUP-PAY-002 or @CUP-PAY-010 or @CUP-PAY-011 or @CUP-VOU-001';
const haveTools = ['socat', 'ser2net'].every((b) => findExecutable(b) !== undefined);

interface Certificate {
  verdict: string;
  exitCode: number;
  cases: Array<{ id: string; result: string }>;
}

let bench: StandaloneBench;
let work: string;

const poscert = (args: string[], timeoutMs = 120_000): Promise<Run> => bench.poscert(args, timeoutMs);

/** One farm terminal: emulator on a PTY pair, ser2net (raw, nodelay) on the other end. */
async function farmTerminal(name: string, terminalId: string, hostPort: number): Promise<number> {
  const t = await bench.startTerminal(name, { terminalId, hostPort });
  return (await bench.ser2net(t.harnessEnd, 'raw')).port;
}

function judged(cert: Certificate): string[] {
  return cert.cases
    .filter((c) => TAGS.includes(`@${c.id}`))
    .map((c) => `${c.id} ${c.result}`)
    .sort();
}

describe(
  'a terminal farm behind ser2net: sharded CI runs merged equal one run',
  { skip: haveTools ? false : 'socat or ser2net missing (.ci/run installs them)' },
  () => {
    let labFile: string;

    before(async () => {
      bench = new StandaloneBench('poscert-farm-');
      work = bench.work;
      const [hostA, hostB] = [await freeTcpPort(), await freeTcpPort()];
      const [portA, portB] = await Promise.all([farmTerminal('a', '10000002', hostA), farmTerminal('b', '10000003', hostB)]);
      labFile = path.join(work, 'lab.yaml');
      fs.writeFileSync(
        labFile,
        [
          'version: 1',
          'terminals:',
          '  farm-a:',
          `    link: tcp://127.0.0.1:${portA}`,
          "    terminalId: '10000002'",
          `    host: {listen: '127.0.0.1:${hostA}'}`,
          '  farm-b:',
          `    link: tcp://127.0.0.1:${portB}`,
          "    terminalId: '10000003'",
          `    host: {listen: '127.0.0.1:${hostB}'}`,
          '',
        ].join('\n'),
      );
    });

    after(async () => {
      await bench?.stop();
    });

    test('shard 1/2 on farm-a and 2/2 on farm-b, merged, judge as one run', { timeout: 240_000 }, async () => {
      const common = ['--lab', labFile, '--tags', TAGS, '--no-report'];
      const out = (n: string) => path.join(work, n);
      const [s1, s2] = await Promise.all([
        poscert(['certify', '--terminal', 'lab:farm-a', '--shard', '1/2', '--out', out('shard-1'), ...common]),
        poscert(['certify', '--terminal', 'lab:farm-b', '--shard', '2/2', '--out', out('shard-2'), ...common]),
      ]);
      for (const [label, r, dir] of [
        ['shard 1/2', s1, 'shard-1'],
        ['shard 2/2', s2, 'shard-2'],
      ] as const) {
        expect(fs.existsSync(path.join(out(dir), 'certificate.json')), `${label}: no certificate\n${r.out.slice(-2000)}`).to.equal(true);
      }
      const merged = await poscert(['merge', out('shard-1'), out('shard-2'), '--out', out('merged'), '--no-report']);
      expect(fs.existsSync(path.join(out('merged'), 'certificate.json')), `merge: no certificate\n${merged.out.slice(-2000)}`).to.equal(true);
      const single = await poscert(['certify', '--terminal', 'lab:farm-a', '--out', out('single'), ...common]);
      const read = (d: string) => JSON.parse(fs.readFileSync(path.join(out(d), 'certificate.json'), 'utf8')) as Certificate;
      const [m, one] = [read('merged'), read('single')];
      // Every tagged case ran somewhere and passed on a clean terminal; the shards split them.
      expect(judged(one), single.out.slice(-2000)).to.deep.equal(
        TAGS.split(' or ')
          .map((t) => `${t.slice(1)} passed`)
          .sort(),
      );
      expect(judged(m), merged.out.slice(-2000)).to.deep.equal(judged(one));
      expect(m.verdict).to.equal(one.verdict);
      expect(m.exitCode).to.equal(one.exitCode);
      expect(merged.code).to.equal(single.code);
      console.log(
        `farm e2e: shards ${(s1.ms / 1000).toFixed(1)} s and ${(s2.ms / 1000).toFixed(1)} s side by side, merge ${(merged.ms / 1000).toFixed(1)} s, single run ${(single.ms / 1000).toFixed(1)} s; verdict ${m.verdict}`,
      );
    });
  },
);
