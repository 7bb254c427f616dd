/**
 * 参数下载 (0800 / 0810, 60.3 = 360; cup8583.md §3.4) judged by what it must change on the terminal:
 * field 62 of the acquirer's reply carries the merchant name (id 22, 商户名称) that the terminal prints
 * as 商户名称 on its vouchers (§6), so after an approved download the terminal holds the acquirer's name,
 * whatever it held before; and a terminal downloads parameters when its operator or a reply asks
 * (header digit 6 = 1 or 6, §1.1; the reference host asks only while the terminal's parameters are
 * behind its own, host/context.ts replyRequirement), not on its own after every transaction (one
 * download of its own is tolerated: UNASKED_DOWNLOADS_ALLOWED).
 */
import { TtpRemoteError, type TtpTerminalConfig } from '../protocol/ttp';
import { processingRequirementOf, type HostMessage } from './host-view';

/** A merchant name no acquirer of the lab uses: set on the terminal before the download. */
export const NOT_THE_ACQUIRERS_MERCHANT_NAME = 'POSCERT旧商户名称';

/** The merchant name field as a terminal holds it: GBK-padded on the wire (ANS40), so spaces are not part of it. */
const trimmed = (name: string | undefined) => (name ?? '').trim();

/**
 * Problems with the merchant name the terminal holds after an approved parameter download, against
 * the name the acquirer downloaded (its merchant record, sent as id 22).
 */
export function merchantNameProblems(held: string | undefined, downloaded: string): string[] {
  if (trimmed(held) === trimmed(downloaded)) return [];
  if (!trimmed(held)) return [`the terminal holds no merchant name after the acquirer downloaded "${downloaded}" (cup8583.md §3.4, id 22)`];
  return [
    `the terminal still holds the merchant name "${trimmed(held)}", not "${downloaded}" that the acquirer downloaded (cup8583.md §3.4, id 22; printed as 商户名称, §6)`,
  ];
}

/**
 * Unasked downloads a scenario tolerates. The reference says when the acquirer asks (§1.1 digit 6), not
 * that a terminal must never refresh its parameters on its own (many do at power-on or on a schedule of
 * their own), so one such download is conformant; a terminal that downloads after every transaction is not
 * acting on the header at all.
 */
export const UNASKED_DOWNLOADS_ALLOWED = 1;

/** Header digit 6 values asking for a parameter download (cup8583.md §1.1: 1 下传终端磁条卡参数, 6 TMS参数下载). */
const ASKS_FOR_PARAMETERS = new Set(['1', '6']);

/**
 * The parameter download requests no reply asked for: each needs a reply before it (since the
 * previous download) whose header digit 6 is 1 or 6 (cup8583.md §1.1). For a scenario in which the
 * operator did not ask for one.
 */
export function unaskedParameterDownloads(messages: readonly HostMessage[]): HostMessage[] {
  let asked = false;
  const unasked: HostMessage[] = [];
  for (const m of messages) {
    if (m.direction === 'out') asked ||= ASKS_FOR_PARAMETERS.has(processingRequirementOf(m) ?? '');
    else if (m.kind === 'parameter-download') {
      if (!asked) unasked.push(m);
      asked = false;
    }
  }
  return unasked;
}

/** What setting a terminal parameter over TTP needs (drivers/terminal.ts TerminalDriver.configure). */
interface Configurable {
  configure(settings: TtpTerminalConfig): Promise<TtpTerminalConfig>;
}

/**
 * Sets the terminal's merchant name to one that is not the acquirer's (TTP config `merchantName`).
 * False when the terminal does not let the harness set it (TTP §6.7 members are optional): the download
 * is then judged against the name it holds.
 */
export async function setMerchantNameElsewhere(terminal: Configurable): Promise<boolean> {
  try {
    await terminal.configure({ merchantName: NOT_THE_ACQUIRERS_MERCHANT_NAME });
    return true;
  } catch (err) {
    if (err instanceof TtpRemoteError && err.ttpCode === 'not-supported') return false;
    throw err;
  }
}
