// Operator mode end to end, as a person runs it (issue 16 item 4): `poscert certify --terminal
// operator:…` in a real pseudo-terminal (a tmux pane), and a scripted person who reads the pane
// (capture-pane), does what it says on the terminal in their hands and types the answers
// (send-keys). The terminal is a standalone `poscert emulator` process; the person works its keys,
// card reader and cash register through its own TTP link (the harness never touches it: for
// poscert it is a terminal without TTP) and reads its screen and vouchers to answer truthfully.
// The certificate must carry the by-hand cases as passed, a case that cannot be done by hand as not
// applicable (skipped, never failed), and the person's answers as evidence.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findExecutable, freeTcpPort, stopProcess, waitFor } from '../../links/testbeds';
import { TerminalDriver } from '../../drivers/terminal';
import { amountLinesNotBooked, cardByAlias, loadHostConfig, terminalCardImage } from '../../drivers';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'poscert.js');
const TAGS = '@CUP-PAY-002 or @CUP-PAY-010 or @CUP-PAY-011 or @CUP-VOU-001';
const hasTmux = findExecutable('tmux') !== undefined;

let work: string;
let emulator: ChildProcess | undefined;
let device: TerminalDriver | undefined;
const server = `poscert-op-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', server, ...args], { encoding: 'utf8' });
}

const squash = (s: string) => s.replace(/\s+/g, '');

describe(
  'operator mode driven by a scripted person in a pseudo-terminal',
  { skip: hasTmux ? false : 'tmux is not installed (.ci/run installs it)' },
  () => {
    before(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-operator-'));
    });

    after(async () => {
      try {
        tmux('kill-server');
      } catch {
        /* already gone */
      }
      await device?.close().catch(() => undefined);
      if (emulator) await stopProcess(emulator);
      fs.rmSync(work, { recursive: true, force: true });
    });

    test("缴费 and sale by hand: certificate with the person's answers", { timeout: 120_000 }, async () => {
      const started = Date.now();
      const hostPort = await freeTcpPort();
      const ttpPort = await freeTcpPort();
      // The terminal in the person's hands (provisioned as host terminal 10000001), dialling poscert's host.
      emulator = spawn(
        process.execPath,
        [
          bin,
          'emulator',
          '--link',
          `tcp-listen:${ttpPort}`,
          '--host',
          `tcp://127.0.0.1:${hostPort}`,
          '--state',
          path.join(work, 'terminal.json'),
          '--terminal-id',
          '10000001',
          '--host-timeout',
          '1500',
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let elog = '';
      emulator.stdout!.on('data', (d: Buffer) => {
        elog += d.toString();
      });
      emulator.stderr!.on('data', (d: Buffer) => {
        elog += d.toString();
      });
      await waitFor(
        () => /serving TTP on/.test(elog),
        30_000,
        'poscert emulator',
        emulator,
        () => elog,
      );
      device = await TerminalDriver.connect(`tcp://127.0.0.1:${ttpPort}`, { name: "in the person's hands", screenTimeoutMs: 5000 });
      const d = device;
      const cards = loadHostConfig();

      const out = path.join(work, 'out');
      const spec = 'operator:counter?terminalId=10000001&capabilities=contact,printer,pinpad&vendor=ACME&model=P1&serial=OP-1';
      const command = [
        process.execPath,
        bin,
        'certify',
        '--terminal',
        `'${spec}'`,
        '--host-listen',
        `127.0.0.1:${hostPort}`,
        '--tags',
        `'${TAGS}'`,
        '--no-report',
        '--out',
        out,
      ].join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        'op',
        '-x',
        '220',
        '-y',
        '50',
        '-c',
        root,
        `POSCERT_SCREEN_TIMEOUT_MS=5000 POSCERT_OPERATOR_TIMEOUT_MS=30000 ${command}; echo POSCERT-EXIT=$?; sleep 300`,
      );

      let answered = 0;
      let ecr: Promise<{ approved: boolean }> | undefined;
      let cardAskedAfterCancel: boolean | undefined;
      const said: string[] = [];
      const answer = (n: number, text: string) => {
        tmux('send-keys', '-t', 'op', text, 'Enter');
        answered = n;
        said.push(`#${n} ${text}`);
      };
      const copies = () => d.receipts().filter((c) => ['merchant', 'cardholder', 'bank'].includes(c.copy));
      const screenShows = async (text: string) =>
        d.waitForScreen(text, { timeoutMs: 5000 }).then(
          () => true,
          () => false,
        );

      const deadline = Date.now() + 100_000;
      let pane = '';
      while (Date.now() < deadline) {
        pane = tmux('capture-pane', '-p', '-J', '-t', 'op', '-S', '-2000');
        if (/POSCERT-EXIT=\d+/.test(pane)) break;
        // The open prompt: the last "[#n] (...) > " line with n above the last one answered.
        const open = [...pane.matchAll(/\[#(\d+)\] \(([^)]*)\) >/g)].pop();
        const n = open ? Number(open[1]) : 0;
        if (!open || n <= answered) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const body = pane.slice(pane.lastIndexOf(`[#${n}] DO`) >= 0 ? pane.lastIndexOf(`[#${n}] DO`) : pane.lastIndexOf(`[#${n}] ASK`), open.index);
        const quoted = /“([^”]*)”/.exec(body)?.[1];
        const amount = /(\d[\d,]*\.\d{2})/.exec(body)?.[1];
        if (/\bDO\b/.test(body.split('\n')[0])) {
          if (/idle screen, signed on/.test(body)) {
            await d.ensureSignedOnIdle();
            await d.toIdle();
          } else if (/choose “/.test(body)) {
            await d.toIdle();
            d.markReceipts();
            await d.selectMenu(quoted!);
          } else if (/Key the amount/.test(body)) {
            await d.waitForState(['input']);
            await d.enterAmount(Math.round(Number(amount!.replace(/,/g, '')) * 100));
          } else if (/start 缴费/.test(body)) {
            const [name, account] = [...body.matchAll(/“([^”]*)”/g)].map((m) => m[1]);
            await d.toIdle();
            d.markReceipts();
            ecr = (
              await d.startEcr({
                request: 'bill-payment',
                amount: String(Math.round(Number(amount!.replace(/,/g, '')) * 100)),
                payee: { name, account },
                ecrReference: 'person',
              })
            ).result as Promise<{ approved: boolean }>;
          } else if (/Insert test card/.test(body)) {
            const alias = /card ([A-Z][A-Z0-9-]+)/.exec(body)![1];
            await d.waitForState(['card-wait']);
            await d.presentCard(terminalCardImage(cardByAlias(cards, alias)), 'insert');
          } else if (/PIN to type: (\d+)/.test(body)) {
            await d.waitForState(['pin-entry']);
            await d.enterPin(/PIN to type: (\d+)/.exec(body)![1]);
          } else if (/Press ENTER/.test(body)) {
            await d.waitForState(['confirm']);
            await d.pressKeys('ENTER');
          } else if (/Press CANCEL/.test(body)) {
            await d.pressKeys('CANCEL');
            // What the person sees next: the idle screen, or a prompt for a card (a terminal that went on).
            cardAskedAfterCancel = (await d.waitForState(['idle', 'result', 'card-wait'])).state === 'card-wait';
            await d.toIdle();
          } else throw new Error(`the scripted person does not understand:\n${body}`);
          answer(n, '');
        } else {
          let yes: boolean | number;
          if (/how many voucher copies/i.test(body)) {
            await d.toIdle();
            yes = copies().length;
          } else if (/screen show/.test(body)) yes = await screenShows(quoted!);
          else if (/report the transaction approved/.test(body)) yes = (await ecr!).approved === true;
          else if (/without asking for a card/.test(body)) yes = cardAskedAfterCancel === false;
          else if (/every voucher copy .* show the amount/.test(body)) {
            await d.toIdle();
            yes = copies().length > 0 && copies().every((c) => c.lines.join('\n').includes(amount!));
          } else if (/every voucher copy .* show “/.test(body)) {
            await d.toIdle();
            yes = copies().length > 0 && copies().every((c) => squash(c.lines.join('')).includes(squash(quoted!)));
          } else if (/every amount printed on every voucher copy/.test(body)) {
            await d.toIdle();
            const listed = body.slice(body.indexOf('one of:')).split('?')[0];
            const fens = [...listed.matchAll(/\d[\d,]*\.\d{2}/g)].map((m) => Math.round(Number(m[0].replace(/,/g, '')) * 100));
            yes = copies().length > 0 && copies().every((c) => amountLinesNotBooked(c, fens).length === 0);
          } else if (/free of the words/.test(body)) {
            await d.toIdle();
            const words = [...body.matchAll(/“([^”]*)”/g)].map((m) => m[1]);
            yes = copies().length > 0 && copies().every((c) => words.every((w) => !c.lines.join('').includes(w)));
          } else if (/merchant copy .* signature/.test(body)) {
            await d.toIdle();
            yes = copies().some((c) => c.copy === 'merchant' && c.lines.some((l) => /持卡人签名|SIGNATURE/i.test(l)));
          } else throw new Error(`the scripted person does not understand:\n${body}`);
          answer(n, typeof yes === 'number' ? String(yes) : yes ? 'y' : 'n');
        }
      }
      expect(pane, `certify did not finish; the pane:\n${pane.slice(-4000)}`).to.match(/POSCERT-EXIT=\d+/);
      const cert = JSON.parse(fs.readFileSync(path.join(out, 'certificate.json'), 'utf8')) as {
        cases: Array<{ id: string; result: string; reason: string; applicable: boolean }>;
        terminal: { vendor?: string; model?: string };
      };
      const byId = new Map(cert.cases.map((c) => [c.id, c]));
      for (const id of ['CUP-PAY-002', 'CUP-PAY-010', 'CUP-PAY-011']) {
        expect(byId.get(id)?.result, `${id}: ${byId.get(id)?.reason}\n${pane.slice(-3000)}`).to.equal('passed');
      }
      // Reading the PAN off a voucher copy (masked or not) is not something a person can judge here.
      expect(byId.get('CUP-VOU-001')?.result).to.equal('skipped');
      expect(byId.get('CUP-VOU-001')?.reason).to.match(/^not applicable to an operator terminal/);
      expect(cert.terminal.model).to.equal('P1');

      // The person's answers are in the report, masked, without the PIN they were shown.
      const results = path.join(out, 'allure-results');
      const texts = fs
        .readdirSync(results)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => fs.readFileSync(path.join(results, f), 'utf8'));
      const answers = texts.filter((t) => /\bASK\b.*\n\s+→/.test(t)).join('\n');
      expect(answers).to.include('“国网上海市电力公司”');
      expect(answers).to.match(/交易成功”\? .*\n\s+→ yes/);
      expect(answers).to.match(/how many voucher copies[^\n]*\n\s+→ 2/i);
      expect(answers).to.not.include(cardByAlias(cards, 'UP-DEBIT-IC').pan);
      const pin = cardByAlias(cards, 'UP-DEBIT-IC').pin!;
      expect(texts.join('\n')).to.not.include(`PIN to type: ${pin}`);
      console.log(`operator e2e: ${said.length} prompts answered, certify finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  },
);
