/**
 * Issuer scripts as the acquirer saw them (cup8583.md §3.1, §3.8, §3.11): when the reply to a chip
 * transaction carried a script (F55 template 71 / 72 with its 9F18 id), the terminal reports what the
 * card did in a 0620 script-result notice (60.3 951) with DF31 (5 bytes per script: result + script
 * id) and a MAC, naming the original by F61 or F37, and the host links it; a reversed transaction
 * carries DF31 in the reversal's F55 instead. Pure judgements over journal messages: problems, or [].
 */
import { decodeScriptResults } from '../protocol/iso8583/issuer-script';
import { batchOf, replyTo, requestsOf, reversalsOf, type HostMessage } from './host-view';

/** The values of one tag in a journal F55 (`TAG=VALUE …`, templates flattened), in order. */
function tagValues(m: HostMessage | undefined, tag: string): string[] {
  return (m?.fields[55] ?? '')
    .split(/\s+/)
    .filter((p) => p.startsWith(`${tag}=`))
    .map((p) => p.slice(tag.length + 1));
}

/** The script ids (9F18) the host's reply to `original` carried; [] when it carried no script. */
export function scriptIdsSent(messages: readonly HostMessage[], original: HostMessage): string[] {
  return tagValues(replyTo(messages, original), '9F18');
}

/** The 0620 notices that name `original`: F61 = its batch + trace, or F37 = its reply's RRN. */
export function noticesFor(messages: readonly HostMessage[], original: HostMessage): HostMessage[] {
  const ref = `${batchOf(original) ?? ''}${original.stan ?? ''}`;
  const rrn = replyTo(messages, original)?.fields[37];
  return requestsOf(messages, 'script-result').filter(
    (n) => n.id > original.id && ((n.fields[61] ?? '').startsWith(ref) || (rrn !== undefined && n.fields[37] === rrn)),
  );
}

/** Why a DF31 value does not report the scripts `ids` (each once, as performed, failed or not performed). */
function df31Problems(df31: string | undefined, ids: readonly string[], where: string): string[] {
  if (df31 === undefined) return [`${where} carries no DF31 (the issuer script results, §3.11)`];
  let results;
  try {
    results = decodeScriptResults(df31);
  } catch (e) {
    return [`${where}: DF31 ${df31} ${(e as Error).message}`];
  }
  const reported = results.map((r) => r.scriptId);
  const missing = ids.filter((id) => !reported.includes(id));
  if (missing.length) return [`${where}: DF31 reports script(s) ${reported.join(', ')}, not ${missing.join(', ')} the host sent`];
  // One result per script the host sent: a script is run once, in its own template's turn (71 before the
  // second GENERATE AC, 72 after it), so a second result for the same id means it was run twice.
  const twice = ids.filter((id) => reported.filter((r) => r === id).length > ids.filter((i) => i === id).length);
  return twice.length ? [`${where}: DF31 reports script(s) ${twice.join(', ')} more often than the host sent them (${reported.join(', ')})`] : [];
}

/**
 * The script result of `original` (an approved chip transaction whose reply carried a script): one
 * 0620 (60.3 951, F64) with DF31 reporting every script id the host sent, answered 00 by the host and
 * linked by it to the original (its journal note). Problems, or [].
 */
export function judgeScriptResultNotice(messages: readonly HostMessage[], original: HostMessage): string[] {
  const what = `${original.kind} STAN ${original.stan}`;
  const ids = scriptIdsSent(messages, original);
  if (!ids.length) return [`the host's reply to the ${what} carried no issuer script (9F18 in a 71 / 72 template): nothing to report`];
  const notices = noticesFor(messages, original);
  if (!notices.length) {
    return [
      `no 0620 script-result notice (60.3 951) naming the ${what} (F61 batch + trace or F37 RRN) reached the host after its reply carried script ${ids.join(', ')}`,
    ];
  }
  const problems: string[] = [];
  for (const n of notices) {
    const where = `0620 STAN ${n.stan}`;
    const network = (n.fields[60] ?? '').slice(8, 11);
    if (network !== '951') problems.push(`${where}: 60.3 is ${network || 'absent'}, not 951`);
    if (n.fields[64] === undefined) problems.push(`${where} carries no MAC (F64); the notice is MACed (§3.1)`);
    problems.push(...df31Problems(tagValues(n, 'DF31')[0], ids, where));
    const reply = replyTo(messages, n);
    if (!reply) problems.push(`${where}: the host did not answer it`);
    else if (reply.responseCode !== '00') problems.push(`${where}: the host refused it with ${reply.responseCode} (${n.note ?? 'no reason noted'})`);
    else if (!/^script result linked to /.test(n.note ?? ''))
      problems.push(`${where}: the host's journal does not link it to the original (${n.note ?? 'no note'})`);
  }
  return problems;
}

/** The last request of `kind` that was reversed (a 0400 with its STAN), else the last of `kind`. */
export function lastReversedOf(messages: readonly HostMessage[], kind: HostMessage['kind']): HostMessage | undefined {
  const all = messages.filter((m) => m.direction === 'in' && m.kind === kind);
  return all.filter((o) => reversalsOf(messages, o).length > 0).pop() ?? all.pop();
}

/**
 * A transaction reversed after its card ran the issuer's script: the reversal (0400) carries DF31
 * reporting the scripts the host sent (§3.8 reversal tag list). Problems, or [].
 */
export function judgeReversalScriptResult(messages: readonly HostMessage[], original: HostMessage): string[] {
  const ids = scriptIdsSent(messages, original);
  if (!ids.length) return [`the host's reply to the ${original.kind} STAN ${original.stan} carried no issuer script: nothing to report`];
  const reversal = reversalsOf(messages, original)[0];
  if (!reversal) return [`the ${original.kind} STAN ${original.stan} was not reversed (no 0400 with its STAN)`];
  return df31Problems(tagValues(reversal, 'DF31')[0], ids, `reversal STAN ${reversal.stan}`);
}
