// What the terminal printed, as the voucher and conformance steps read it: the transaction copies
// of the current voucher window once printing is over, one copy by name, the settlement slip, and
// every copy judged by a drivers/vouchers check with the failing copies (masked) in the message.
import { expect } from 'chai';
import { copiesFailing, describeCopy, icBlockProblems, lastChipRequest, transactionCopies, type VoucherCopy } from '../../drivers';
import type { PoscertWorld } from './world';

/** The transaction copies of the current voucher window, once the terminal has finished printing. */
export async function copies(w: PoscertWorld, atLeast = 0): Promise<VoucherCopy[]> {
  if (atLeast > 0) await w.driver.waitForReceipts(atLeast, { timeoutMs: w.lab.settings.screenTimeoutMs });
  await w.driver.toIdle();
  return transactionCopies(w.driver.receipts());
}

/** The transaction copies of the current window, of which there must be at least one. */
export async function everyCopy(w: PoscertWorld): Promise<VoucherCopy[]> {
  const list = await copies(w, 1);
  expect(list.length, 'the terminal printed no voucher').to.be.greaterThan(0);
  return list;
}

/** The printed copy of that name (merchant, cardholder, bank), which must exist. */
export async function copyOf(w: PoscertWorld, copy: string): Promise<VoucherCopy> {
  const c = (await everyCopy(w)).find((x) => x.copy === copy);
  expect(c, `no ${copy} copy was printed`).to.not.equal(undefined);
  return c!;
}

/** Every copy (of `list`, else of the current window) passes the check; else the failure shows each failing copy, masked, and the problem. */
export async function expectEveryCopy(w: PoscertWorld, ok: (c: VoucherCopy) => boolean, problem: string, list?: VoucherCopy[]): Promise<void> {
  const failing = copiesFailing(list ?? (await everyCopy(w)), ok, problem);
  if (failing.length) expect.fail(w.redact(failing.join('\n\n')));
}

/** The last settlement slip printed, which must exist. */
export async function slip(w: PoscertWorld): Promise<VoucherCopy> {
  await w.driver.waitForReceipts(1, { timeoutMs: w.lab.settings.screenTimeoutMs });
  await w.driver.toIdle();
  const slips = w.driver.receipts().filter((c) => c.copy === 'settlement');
  expect(slips.length, 'no settlement slip was printed').to.be.greaterThan(0);
  return slips[slips.length - 1];
}

/** Each copy's IC block (§6 备注) carries the chip data the scenario's last chip request sent in F55 (drivers/vouchers icBlockProblems). */
export async function expectFaithfulIcBlock(w: PoscertWorld, list: readonly VoucherCopy[]): Promise<void> {
  const request = lastChipRequest(await w.messages());
  const problems = list.flatMap((c) => icBlockProblems(c, request).map((p) => `${describeCopy(c)}\n${p} (cup8583.md §6 备注, §3.11)`));
  if (problems.length) expect.fail(w.redact(problems.join('\n\n')));
}
