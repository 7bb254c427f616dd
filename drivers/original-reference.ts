/**
 * The original reference number a terminal names in its requests (F37 of a void or refund: "= original
 * RRN", cup8583.md §2, an12 fixed) judged for form: the host issues 12 letters or digits, so a request
 * whose F37 is shorter, padded with blanks or otherwise not 12 alphanumerics names no transaction the
 * acquirer could have issued; it is what a terminal sends when its keypad entry took an incomplete
 * reference. Pure over the host's view of the messages: problems, or [].
 */
import type { HostMessage } from './host-view';

const RRN = /^[0-9A-Za-z]{12}$/;

/** The requests that carried an F37 that is not a complete an12 reference, described; [] when none did. */
export function incompleteReferences(messages: readonly HostMessage[]): string[] {
  return messages
    .filter((m) => m.direction === 'in' && m.fields[37] !== undefined && !RRN.test(m.fields[37]))
    .map(
      (m) => `the ${m.kind} ${m.mti} STAN ${m.stan} named the original reference ${JSON.stringify(m.fields[37])} in F37 (an12: 12 letters or digits)`,
    );
}
