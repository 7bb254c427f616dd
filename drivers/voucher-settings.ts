/**
 * The count of voucher copies a lab sets on a terminal (TTP config `voucherCopies`, cup8583.md §6
 * ucTicketNum: 1 merchant, 2 + cardholder, 3 + bank). A terminal may keep the count in its own menu
 * only (TTP §6.7: it answers not-supported naming the member); a case that needs another count then
 * does not apply to it.
 */
import { TtpRemoteError } from '../protocol/ttp';
import type { TerminalDriver } from './terminal';

/** Sets the count; false when the terminal does not let the lab set it (not-supported / bad-request on voucherCopies). */
export async function setVoucherCopies(driver: Pick<TerminalDriver, 'configure'>, copies: 1 | 2 | 3): Promise<boolean> {
  try {
    await driver.configure({ voucherCopies: copies });
    return true;
  } catch (err) {
    const refused = err instanceof TtpRemoteError && ['not-supported', 'bad-request'].includes(err.ttpCode);
    if (refused && String(err.detail?.field ?? 'voucherCopies') === 'voucherCopies') return false;
    throw err;
  }
}
