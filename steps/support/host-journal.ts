// What the steps read of the reference host for a scenario and tell it to do: the original a request
// refers to, reversals, faults, the PIN-tries guard, and the settlement (running it, the 0500 and
// 0510 it produced, the host ledger of the batch). Functions of the World (they read its journal
// cursor and terminal), split from world.ts so it stays one concern; the pure readings are drivers/host-view.
import { expect } from 'chai';
import {
  batchOf,
  faultMatchFor,
  originalBefore,
  requestsOf,
  reversalsOf,
  settlementCounts,
  reconciliationStatementProblems,
  settlementTotalsOf,
  type FaultAction,
  type FaultSpec,
  type HostMessage,
  type SettlementTotals,
  type TransactionKind,
} from '../../drivers';
import { ScenarioSetupError } from './errors';
import type { PoscertWorld } from './world';

/** A set-up guard: the host has counted no wrong PIN for the card (it offers no per-card reset). */
export function expectAllPinTriesLeft(w: PoscertWorld, alias: string): void {
  const tries = w.host.balance(alias).pinTries;
  if (tries > 0) {
    throw new ScenarioSetupError(
      `card ${alias} already has ${tries} wrong PIN(s) counted at the host (an earlier run on this host); ` +
        'the host control offers no per-card reset, so restart the host or use a fresh database',
      { alias, tries },
    );
  }
}

/** The original (of one of the kinds) the request in focus refers to, and the host's reply to it. */
export async function originalOf(w: PoscertWorld, kinds: TransactionKind[]): Promise<{ request: HostMessage; reply: HostMessage }> {
  const req = await w.focus();
  const request = originalBefore(await w.messages(), req, kinds);
  expect(request, `no original ${kinds.join(' / ')} before the ${req.kind}`).to.not.equal(undefined);
  return { request: request!, reply: await w.replyOf(request!) };
}

/** Card numbers of the cards this scenario used (to look for a clear PIN block made with them). */
export function pansUsed(w: PoscertWorld): string[] {
  return [...w.openingBalances.keys()].map((alias) => w.card(alias).pan);
}

/**
 * The host received a reversal (0400) of the first or last request of the kind, with the reason
 * (F39) and the original amount (F4); the reversal becomes "it".
 */
export async function expectReversal(w: PoscertWorld, which: 'first' | 'last', kind: TransactionKind, reason: string): Promise<void> {
  const list = await w.requests(kind);
  expect(list.length, `no ${kind} request in this scenario`).to.be.greaterThan(0);
  const original = which === 'first' ? list[0] : list[list.length - 1];
  const revs = reversalsOf(await w.messages(), original);
  expect(revs.length, `no reversal (0400 with STAN ${original.stan}) of the ${original.kind} reached the host`).to.be.greaterThan(0);
  expect(revs[0].responseCode ?? revs[0].fields[39], 'F39 (reversal reason) of the 0400').to.equal(reason);
  expect(revs[0].fields[4], 'F4 of the reversal must be the original amount').to.equal(original.fields[4]);
  w.current = revs[0];
}

/**
 * Tells the host to misbehave on the next matching request of this terminal. Actions outside the
 * host's FAULT_ACTIONS are refused by the host with a HostControlError (the case is then broken).
 */
export function hostFault(
  w: PoscertWorld,
  kind: TransactionKind,
  spec: { action: FaultAction | 'settlement-unbalanced' | 'corrupt-kcv'; responseCode?: string; count?: number },
): void {
  w.host.injectFault({ match: { ...faultMatchFor(kind), terminalId: w.lab.terminalId }, count: 1, ...spec } as FaultSpec);
}

// ------------------------------------------------------------------ settlement

/** The operator settles the batch from idle; the batch the host received becomes settledBatch. */
export async function settle(w: PoscertWorld): Promise<void> {
  w.action();
  await w.driver.toIdle();
  w.newVoucherWindow();
  await w.driver.runTransaction('settlement', {});
  await w.driver.toIdle().catch(() => undefined);
  await w.judgeUntrustedReplies(); // a spoiled approval is reversed before the settlement too (§3.8)
  const settlements = await w.requests('settlement');
  if (settlements.length) w.settledBatch = batchOf(settlements[settlements.length - 1]);
  await judgeStatedReconciliation(w, settlements[settlements.length - 1]);
}

/**
 * Whatever the terminal stated of the reconciliation after this settlement, on its screens or its
 * settlement slip, is what the acquirer's 0510 answered (drivers/settlement-result.ts). Nothing to
 * judge without an answered 0500.
 */
async function judgeStatedReconciliation(w: PoscertWorld, req: HostMessage | undefined): Promise<void> {
  const reply = req ? await w.replyTo(req) : undefined;
  const answered = reply ? settlementTotalsOf(reply) : undefined;
  if (!answered) return;
  const texts = [
    ...w.screens(w.lastActionAt).map((s) => ({ where: `the ${s.screen ?? s.state ?? ''} screen`, lines: s.lines })),
    ...w.driver
      .receipts()
      .filter((c) => c.copy === 'settlement')
      .map((c) => ({ where: 'the settlement slip', lines: c.lines })),
  ];
  const problems = reconciliationStatementProblems(texts, { domestic: answered.domestic.result, foreign: answered.foreign.result });
  expect(problems.join('; '), 'the reconciliation result the terminal stated after its settlement').to.equal('');
}

/** The last settlement request (0500), its batch (60.2) and the totals it carries (F48, which must be there). */
export async function lastSettlement(w: PoscertWorld): Promise<{ req: HostMessage; batch: string | undefined; totals: SettlementTotals }> {
  const req = await w.lastRequest('settlement');
  const totals = settlementTotalsOf(req);
  expect(totals, 'the 0500 carries no totals (F48)').to.not.equal(undefined);
  return { req, batch: batchOf(req), totals: totals! };
}

/**
 * The results the host answered the last settlement with, per side (0510 F48 offsets 30 / 61,
 * cup8583.md §3.9: 1 = 对账平, 2 = 对账不平).
 */
export async function settlementResults(w: PoscertWorld): Promise<{ domestic: string; foreign: string }> {
  const { req } = await lastSettlement(w);
  const reply = await w.replyTo(req);
  expect(reply, 'the host did not answer the settlement').to.not.equal(undefined);
  const totals = settlementTotalsOf(reply!);
  expect(totals, 'the 0510 carries no F48').to.not.equal(undefined);
  return { domestic: totals!.domestic.result, foreign: totals!.foreign.result };
}

type SideCounts = ReturnType<typeof settlementCounts>;

/**
 * The counts and amounts of the last 0500 and of the host ledger for its batch, both sides (§3.9):
 * domestic (内卡) the cards the host answered 63.1 = CUP, foreign (外卡) every other organisation. A
 * terminal cannot know a card's side before the reply, so every terminal must follow 63.1.
 */
export async function settlementCountsVsHost(
  w: PoscertWorld,
): Promise<{ terminal: { domestic: SideCounts; foreign: SideCounts }; host: { domestic: SideCounts; foreign: SideCounts } }> {
  const { batch, totals } = await lastSettlement(w);
  expect(batch, '0500 F60 carries no batch number (60.2)').to.be.a('string');
  const host = w.host.settlementTotals(w.lab.terminalId, batch!);
  return {
    terminal: { domestic: settlementCounts(totals.domestic), foreign: settlementCounts(totals.foreign) },
    host: { domestic: settlementCounts(host.domestic), foreign: settlementCounts(host.foreign) },
  };
}

/** The record count the terminal declared in its last batch upload end (0320, F48), which it must have sent. */
export async function uploadEndCount(w: PoscertWorld): Promise<number> {
  const end = requestsOf(await w.messages(), 'batch-upload-end').pop();
  expect(end, 'no batch upload end (0320 with 60.3 = 202 / 207)').to.not.equal(undefined);
  return Number(end!.fields[48]);
}

/**
 * The settlement the acquirer refused (0510 with an F39 other than 00) and the one after it: the
 * batch number (60.2) and F48 totals each carried, for a check that the refusal settled nothing.
 */
export async function refusedSettlementRepeated(
  w: PoscertWorld,
): Promise<{ refused: { code: string; sent: { batch?: string; totals?: SettlementTotals } }; again: { batch?: string; totals?: SettlementTotals } }> {
  const settlements = await w.requests('settlement');
  const replies = await Promise.all(settlements.map((s) => w.replyTo(s)));
  const i = replies.findIndex((r) => r?.responseCode !== undefined && r.responseCode !== '00');
  expect(i, 'no settlement in this scenario was refused by the host (0510 F39 other than 00)').to.be.at.least(0);
  const again = settlements[i + 1];
  expect(again, `the terminal did not settle again after the refused settlement (0510 F39 ${replies[i]!.responseCode})`).to.not.equal(undefined);
  const view = (m: HostMessage) => ({ batch: batchOf(m), totals: settlementTotalsOf(m) });
  return { refused: { code: replies[i]!.responseCode!, sent: view(settlements[i]) }, again: view(again) };
}

/** Sets the traffic and vouchers so far aside: the steps after this judge only what comes next. */
export async function setTrafficAside(w: PoscertWorld): Promise<void> {
  const msgs = await w.messages();
  if (msgs.length) w.journalCursor = msgs[msgs.length - 1].id;
  w.newVoucherWindow();
}
