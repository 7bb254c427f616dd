// Before: the worker's terminal at signed-on idle, host faults cleared, a fresh evidence window.
// After: the evidence a lab reviews, attached to the scenario (and so to the Allure result):
// the TTP transcript, the host journal of the scenario decoded, the screens, the voucher copies
// and the ledger effect on the cards used. Then whatever the scenario changed is put back.
import { After, Before, Status, setDefaultTimeout } from '@cucumber/cucumber';
import { CUP_POS_DIALECT, fieldSpec } from '../../protocol/iso8583';
import { workerLab } from './lab';
import { backToIdle } from './flows';
import { CARD_ALIAS_PATTERN } from './parse';
import type { PoscertWorld } from './world';
import type { HostMessage } from './host-view';

// A backstop only: every wait inside a step has its own (shorter) timeout with a precise message.
setDefaultTimeout(Number(process.env.POSCERT_STEP_TIMEOUT_MS) || 60_000);

Before(async function (this: PoscertWorld, { pickle }) {
  this.lab = await workerLab(this.parameters);
  this.caseId = pickle.tags.map((t) => t.name).find((t) => /^@CUP-/.test(t))?.slice(1) ?? '';
  this.host.clearFaults();
  // A card left in the slot by an earlier scenario would be read instead of this scenario's card.
  await this.driver.removeCard().catch(() => undefined);
  await this.driver.ensureSignedOnIdle();
  await backToIdle(this);
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

/** The host's decoded (and masked) field table of each message, with the field names of the dialect. */
function journalText(messages: HostMessage[]): string {
  return messages.map((m) => {
    const table = Object.entries(m.fields).map(([n, v]) => {
      const spec = fieldSpec(CUP_POS_DIALECT, Number(n));
      return `  F${n.padStart(2, '0')} ${spec ? `${spec.nameZh} ${spec.name}`.padEnd(36) : ''.padEnd(36)} ${v}`;
    }).join('\n');
    return `#${m.id} ${m.at} ${m.direction === 'in' ? 'terminal → host' : 'host → terminal'} ${m.mti} ${m.kind}` +
      `${m.stan ? ` STAN ${m.stan}` : ''}${m.responseCode ? ` F39 ${m.responseCode}` : ''}${m.note ? ` (${m.note})` : ''}\n${table}\n  hex ${m.hex}`;
  }).join('\n\n');
}

After(async function (this: PoscertWorld, { result }) {
  if (!this.lab) return;
  // Evidence never repeats a full PAN or a PIN, even when the terminal showed or printed one.
  const attach = (name: string, body: string, mediaType = 'text/plain') => this.attach(this.redact(body), { mediaType, fileName: name });
  try {
    const transcript = this.driver.transcript().slice(this.transcriptCursor);
    attach('ttp-transcript.txt', transcript.map((e) => `${e.at} ${e.dir} ${e.kind} ${e.message !== undefined ? JSON.stringify(e.message) : e.note ?? ''}`).join('\n'));
  } catch (err) {
    attach('ttp-transcript.txt', `transcript unavailable: ${(err as Error).message}`);
  }
  try {
    attach('host-journal.txt', journalText(await this.messages()) || '(the host saw no message from this terminal)');
  } catch (err) {
    attach('host-journal.txt', `journal unavailable: ${(err as Error).message}`);
  }
  const screens = this.driver.recentScreens(50).filter((s) => s.at >= this.scenarioStartedAt);
  attach('screens.txt', screens.map((s) => `${new Date(s.at).toISOString()} [${s.state ?? '?'}${s.screen ? ` ${s.screen}` : ''}]\n  ${s.lines.join('\n  ')}`).join('\n'));
  const vouchers = this.driver.receipts();
  if (vouchers.length) {
    attach('vouchers.txt', vouchers.map((v) => `=== ${v.copy}${v.reprint ? ' (reprint)' : ''}${v.trace ? ` trace ${v.trace}` : ''}\n${v.lines.join('\n')}`).join('\n\n'));
  }
  const ledger: string[] = [];
  for (const [alias, before] of this.openingBalances) {
    try {
      const now = this.host.balance(alias).balance;
      ledger.push(`${alias}: before ${(before / 100).toFixed(2)}  after ${(now / 100).toFixed(2)}  change ${((now - before) / 100).toFixed(2)} 元`);
      for (const row of this.host.ledger({ card: alias, since: new Date(this.scenarioStartedAt) })) {
        ledger.push(`  #${row.id} ${row.at} ${row.kind} ${row.effect} ${(row.amount / 100).toFixed(2)} terminal ${row.terminalId} batch ${row.batch} STAN ${row.stan}${row.rrn ? ` RRN ${row.rrn}` : ''}`);
      }
    } catch (err) {
      ledger.push(`${alias}: ${(err as Error).message}`);
    }
  }
  if (ledger.length) attach('ledger.txt', ledger.join('\n'));

  // Put back what the scenario changed, so the next scenario starts from the worker's baseline.
  await this.host.clearFaults();
  // A cash-register request still open ends when the next Before cancels the terminal's flow (its promise is handled).
  this.ecrPending = undefined;
  if (this.restoreConfig) {
    // Back to the worker's own identity and keys, signed on, before the next scenario.
    await backToIdle(this).catch(() => undefined);
    await this.driver.configure(this.restoreConfig as never);
    await this.driver.ensureSignedOnIdle();
    await backToIdle(this);
  }
  if (result?.status !== Status.PASSED) this.driver.note(`--- ${this.caseId} ended ${result?.status}`);
});
