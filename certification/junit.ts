/**
 * JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters). One <testsuite> per area, one
 * <testcase> per scenario (outline rows separately), plus one per plan case that never ran.
 * failed → <failure>, broken → <error> (the harness could not judge), skipped → <skipped> with
 * the reason. The verdict itself is a property of the run so a CI job can read it from the file.
 */
import type { CertificateDocument } from './certificate';
import type { CaseOutcome } from './verdict';

function xml(s: unknown): string {
  // XML 1.0 forbids most control characters even when escaped.
  return String(s ?? '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

interface Entry {
  name: string;
  classname: string;
  seconds: number;
  status: string;
  message: string;
  detail: string;
}

function entriesOf(c: CaseOutcome): Entry[] {
  const classname = `poscert.${c.area}`;
  const label = `${c.id} ${c.title}${c.mandatory ? '' : ' (optional)'}`;
  if (c.scenarios.length === 0 || (c.result === 'skipped' && !c.applicable)) {
    return [
      {
        name: label,
        classname,
        seconds: 0,
        status: c.result,
        message: c.reason,
        detail: c.firstFailure ? `${c.firstFailure.step}\n${c.firstFailure.message}` : c.reason,
      },
    ];
  }
  return c.scenarios.map((s) => {
    const p = Object.entries(s.parameters);
    // A mandatory case skipped at run time is broken at case level; show that on its scenarios too.
    const status = c.result === 'broken' && s.status === 'skipped' ? 'broken' : s.status;
    return {
      name: `${label}${p.length ? ` [${p.map(([k, v]) => `${k}=${v}`).join(', ')}]` : ''}`,
      classname,
      seconds: s.durationMs / 1000,
      status,
      message: status === 'broken' && s.status === 'skipped' ? c.reason : (s.reason ?? ''),
      detail: s.firstFailure ? `${s.firstFailure.step}\n${s.firstFailure.message}` : (s.reason ?? ''),
    };
  });
}

export function renderJUnitXml(doc: CertificateDocument): string {
  const byArea = new Map<string, Entry[]>();
  for (const c of doc.cases) {
    const list = byArea.get(c.area) ?? [];
    list.push(...entriesOf(c));
    byArea.set(c.area, list);
  }
  const props = [
    ['verdict', doc.verdict],
    ['exitCode', String(doc.exitCode)],
    ['runId', doc.runId],
    ['plan', `${doc.plan.name} ${doc.plan.version}`],
    ['terminal', `${doc.terminal.vendor ?? '?'} ${doc.terminal.model ?? '?'} ${doc.terminal.firmware ?? '?'}`],
  ]
    .map(([k, v]) => `      <property name="${xml(k)}" value="${xml(v)}"/>`)
    .join('\n');
  const suites: string[] = [];
  let tests = 0,
    failures = 0,
    errors = 0,
    skipped = 0,
    time = 0;
  for (const [area, entries] of byArea) {
    const f = entries.filter((e) => e.status === 'failed').length;
    const e = entries.filter((x) => x.status === 'broken').length;
    const s = entries.filter((x) => x.status === 'skipped').length;
    const t = entries.reduce((a, x) => a + x.seconds, 0);
    tests += entries.length;
    failures += f;
    errors += e;
    skipped += s;
    time += t;
    const cases = entries.map((x) => {
      const open = `    <testcase name="${xml(x.name)}" classname="${xml(x.classname)}" time="${x.seconds.toFixed(3)}"`;
      if (x.status === 'passed') return `${open}/>`;
      const body =
        x.status === 'failed'
          ? `<failure message="${xml(x.message.split('\n')[0])}" type="terminal-defect">${xml(x.detail)}</failure>`
          : x.status === 'broken'
            ? `<error message="${xml(x.message.split('\n')[0])}" type="broken">${xml(x.detail)}</error>`
            : `<skipped message="${xml(x.message)}"/>`;
      return `${open}>\n      ${body}\n    </testcase>`;
    });
    suites.push(
      `  <testsuite name="${xml(`${doc.plan.name} ${area}`)}" tests="${entries.length}" failures="${f}" errors="${e}" skipped="${s}" time="${t.toFixed(3)}" timestamp="${xml(doc.run.startedAt ?? doc.issuedAt)}">\n    <properties>\n${props}\n    </properties>\n${cases.join('\n')}\n  </testsuite>`,
    );
  }

  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="poscert ${xml(doc.plan.name)} — ${xml(doc.verdict)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}">
${suites.join('\n')}
</testsuites>
`;
}
