/**
 * Message conformance applied to a run: every request a terminal sent, as the reference host's
 * journal holds it, judged by the pure rules of protocol/iso8583/conformance.ts with the traffic
 * before it (the original a void or reversal refers to) and the terminal's declared key scheme.
 * Steps attach the result to the case that caused the messages (evidence) and CUP-MSG-001 fails on
 * any error-level finding.
 */
import { checkTraffic, formatFindings, type ConformanceFinding, type ConformanceKeyScheme, type JudgedMessage } from '../protocol/iso8583';
import { processingRequirementOf, type HostMessage } from './host-view';

export interface TerminalTraffic {
  terminalId: string;
  /** The terminal's journal, oldest first (drivers/host-view toHostMessage). */
  messages: readonly HostMessage[];
  /** The scheme its keys are declared under (host configuration: 3DES → tdes, SM4 → sm4). */
  keyScheme?: ConformanceKeyScheme;
}

export interface ConformanceReport {
  /** The requests judged (those after `since`), with their findings. */
  judged: JudgedMessage[];
  errors: ConformanceFinding[];
  warnings: ConformanceFinding[];
  /** One line per error-level finding, naming the message (what a failing check lists). */
  errorLines: string[];
  /** Evidence text: a summary line, then one block per message with findings. */
  text: string;
}

/** The conformance key scheme of a host-configured terminal ('3DES' | 'SM4'). */
export function declaredKeyScheme(configured: string | undefined): ConformanceKeyScheme | undefined {
  if (configured === undefined) return undefined;
  return configured.toUpperCase() === 'SM4' ? 'sm4' : 'tdes';
}

/**
 * Judges each terminal's whole journal and reports the requests with a journal id above `since`
 * (a scenario's window; 0 = all of it).
 */
export function judgeTraffic(terminals: readonly TerminalTraffic[], since = 0): ConformanceReport {
  const judged: JudgedMessage[] = [];
  for (const t of terminals) {
    const traffic = [...t.messages]
      .sort((a, b) => a.id - b.id)
      .map((m) => ({
        id: m.id,
        direction: m.direction,
        mti: m.mti,
        fields: m.fields,
        // The connection and a reply's header digit 6, for the rules between messages (MSG-LIST-REPEAT).
        ...(m.connection ? { connection: m.connection } : {}),
        ...(m.direction === 'out' ? { requirement: processingRequirementOf(m) } : {}),
      }));
    judged.push(...checkTraffic(traffic, { keyScheme: t.keyScheme }).filter((j) => (j.message.id ?? 0) > since));
  }
  const all = judged.flatMap((j) => j.findings);
  const errors = all.filter((f) => f.severity === 'error');
  const warnings = all.filter((f) => f.severity === 'warning');
  const summary =
    `${judged.length} request(s) of terminal ${terminals.map((t) => t.terminalId).join(', ')} judged against cup8583.md: ` +
    `${errors.length} error(s), ${warnings.length} warning(s)`;
  const body = formatFindings(judged);
  const errorLines = judged.flatMap((j) =>
    j.findings
      .filter((f) => f.severity === 'error')
      .map(
        (f) =>
          `#${j.message.id} ${j.message.mti} ${j.kind ?? 'unknown'} STAN ${j.message.fields[11] ?? '-'}: ${f.rule} ${f.field ?? ''} ${f.message} (${f.section})`,
      ),
  );
  return { judged, errors, warnings, errorLines, text: body ? `${summary}\n\n${body}` : summary };
}
