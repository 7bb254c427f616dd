// Before: the worker's terminal at signed-on idle, host faults cleared, a fresh evidence window.
// After: the evidence a lab reviews, attached to the scenario (and so to the Allure result):
// the TTP transcript, the host journal of the scenario decoded, the message conformance findings of
// its requests, the screens, the voucher copies and the ledger effect on the cards used. Then whatever the scenario changed is put back.
import { After, AfterStep, Before, Status, setDefaultTimeout } from '@cucumber/cucumber';
import { journalText } from '../../drivers';
import { describeArrivals } from '../../drivers/public-network';
import { workerLab } from './lab';
import { CARD_ALIAS_PATTERN } from './parse';
import type { PoscertWorld } from './world';

// A backstop only: every wait inside a step has its own (shorter) timeout with a precise message.
setDefaultTimeout(Number(process.env.POSCERT_STEP_TIMEOUT_MS) || 60_000);

Before(async function (this: PoscertWorld, { pickle }) {
  this.lab = await workerLab(this.parameters);
  this.caseId =
    pickle.tags
      .map((t) => t.name)
      .find((t) => /^@CUP-/.test(t))
      ?.slice(1) ?? '';
  this.host.clearFaults();
  // A card left in the slot by an earlier scenario would be read instead of this scenario's card.
  await this.driver.removeCard().catch(() => undefined);
  await this.driver.ensureSignedOnIdle();
  await this.driver.toIdle();
  const rows = this.host.journal({ terminalId: this.lab.terminalId, limit: 1 });
  this.journalCursor = rows.reduce((max, r) => Math.max(max, r.id), 0);
  this.transcriptCursor = this.driver.transcript().length;
  // Balances before the scenario of every card its steps name: "unchanged" and "debited" compare with these.
  const aliases = new Set(pickle.steps.flatMap((st) => st.text.match(new RegExp(CARD_ALIAS_PATTERN.source, 'g')) ?? []));
  for (const alias of aliases) {
    if (this.lab.config.cards.some((c) => c.alias === alias && c.onFile)) await this.rememberBalance(alias);
  }
  this.scenarioStartedAt = Date.now();
  this.driver.note(`--- ${this.caseId} ${pickle.name}`);
});

// After every step: the screens the driver saw, before its bounded history drops them; and every
// screen and voucher line of the step judged for malformed values (NaN, undefined …: drivers/shown-values.ts).
// Every voucher copy's signature block judged against its transaction (drivers/signature-waiver.ts), and
// every slip's §6 fields against the host's records (drivers/slip-fields.ts).
AfterStep(async function (this: PoscertWorld) {
  if (!this.lab) return;
  this.collectScreens();
  this.judgeShownValues();
  await this.judgeSignatures();
  await this.judgeSlips();
});

After(async function (this: PoscertWorld, { result }) {
  if (!this.lab) return;
  // Evidence never repeats a full PAN or a PIN, even when the terminal showed or printed one.
  const attach = (name: string, body: string, mediaType = 'text/plain') => this.attach(this.redact(body), { mediaType, fileName: name });
  try {
    const transcript = this.driver.transcript().slice(this.transcriptCursor);
    attach(
      'ttp-transcript.txt',
      transcript.map((e) => `${e.at} ${e.dir} ${e.kind} ${e.message !== undefined ? JSON.stringify(e.message) : (e.note ?? '')}`).join('\n'),
    );
  } catch (err) {
    attach('ttp-transcript.txt', `transcript unavailable: ${(err as Error).message}`);
  }
  try {
    attach('host-journal.txt', journalText(await this.messages()) || '(the host saw no message from this terminal)');
  } catch (err) {
    attach('host-journal.txt', `journal unavailable: ${(err as Error).message}`);
  }
  try {
    // Findings are evidence here and fail only CUP-MSG-001 (docs/writing-cases.md, "Message conformance").
    const report = this.conformance();
    if (report.judged.length) attach('message-conformance.txt', report.text);
  } catch (err) {
    attach('message-conformance.txt', `conformance not judged: ${(err as Error).message}`);
  }
  const screens = this.driver.recentScreens(50).filter((s) => s.at >= this.scenarioStartedAt);
  attach(
    'screens.txt',
    screens
      .map(
        (s) =>
          `${new Date(s.at).toISOString()} [${s.state ?? '?'}${s.screen ? ` ${s.screen}` : ''}]\n  ${this.redactScreen(s.lines, s.state).join('\n  ')}`,
      )
      .join('\n'),
  );
  const vouchers = this.driver.receipts();
  if (vouchers.length) {
    attach(
      'vouchers.txt',
      vouchers.map((v) => `=== ${v.copy}${v.reprint ? ' (reprint)' : ''}${v.trace ? ` trace ${v.trace}` : ''}\n${v.lines.join('\n')}`).join('\n\n'),
    );
  }
  const ledger: string[] = [];
  for (const [alias, before] of this.openingBalances) {
    try {
      const now = this.host.balance(alias).balance;
      ledger.push(`${alias}: before ${(before / 100).toFixed(2)}  after ${(now / 100).toFixed(2)}  change ${((now - before) / 100).toFixed(2)} 元`);
      for (const row of this.host.ledger({ card: alias, since: new Date(this.scenarioStartedAt) })) {
        ledger.push(
          `  #${row.id} ${row.at} ${row.kind} ${row.effect} ${(row.amount / 100).toFixed(2)} terminal ${row.terminalId} batch ${row.batch} STAN ${row.stan}${row.rrn ? ` RRN ${row.rrn}` : ''}`,
        );
      }
    } catch (err) {
      ledger.push(`${alias}: ${(err as Error).message}`);
    }
  }
  if (ledger.length) attach('ledger.txt', ledger.join('\n'));
  const arrivals = this.publicNetworkArrivals();
  if (arrivals.length) attach('public-network.txt', describeArrivals(arrivals));

  // Put back what the scenario changed, so the next scenario starts from the worker's baseline.
  await this.host.clearFaults();
  // The host's HTTPS front back to the lab's baseline (a scenario's own front stopped, the lab certificate back).
  await this.host.publicNetwork?.restore();
  // A cash-register request still open ends when the next Before cancels the terminal's flow (its promise is handled).
  this.ecrPending = undefined;
  if (this.restoreConfig) {
    // Back to the worker's own identity and keys, signed on, before the next scenario.
    await this.driver.toIdle().catch(() => undefined);
    await this.driver.configure(this.restoreConfig as never);
    await this.driver.ensureSignedOnIdle();
    await this.driver.toIdle();
  }
  if (result?.status !== Status.PASSED) this.driver.note(`--- ${this.caseId} ended ${result?.status}`);
});
