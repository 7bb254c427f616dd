/**
 * The certificate: what a lab hands a terminal vendor and what CI gates a firmware release on.
 * certificate.json is the machine-readable record; certificate.html renders the same document as
 * one self-contained page (inline CSS, no script, no external resource) that can be mailed,
 * archived or printed.
 */
import type { ProfileOnCertificate } from './profile';
import type { Counts, CaseOutcome, Judgement, RunScope, Verdict } from './verdict';
import type { TerminalIdentity } from './results';
import type { ScanFinding } from './sensitive-scan';

export const CERTIFICATE_FORMAT = 'poscert-certificate';
export const CERTIFICATE_FORMAT_VERSION = 1;

export interface CertificateDocument {
  format: typeof CERTIFICATE_FORMAT;
  formatVersion: number;
  runId: string;
  /** When the certificate was issued (ISO 8601, UTC). */
  issuedAt: string;
  run: { startedAt?: string; finishedAt?: string; durationMs?: number };
  verdict: Verdict;
  exitCode: number;
  because: string;
  /** 'full' runs certify; a shard's document is a partial record to merge. */
  scope: RunScope & { partial: boolean };
  plan: { name: string; version: string; title?: string; source: string };
  terminal: TerminalIdentity & { units: TerminalIdentity[] };
  options: {
    parallel?: number;
    tags?: string;
    defects: string[];
    lang?: string;
    shard?: string;
    terminal?: string;
    bail?: boolean;
    /** 'https': the run reached the host over the public-network wrapper (cup8583.md §1.2); absent: plain TCP. */
    hostLink?: 'tcp' | 'https';
  };
  /** Every terminal-profile value the run judged by, and where it came from (absent in older documents). */
  profile?: ProfileOnCertificate;
  software: { poscert: string; node: string; cucumber?: string };
  counts: Counts;
  mandatoryCounts: Counts;
  cases: CaseOutcome[];
  /** Every failed or broken case with its first failing check. */
  failures: Array<{
    id: string;
    mandatory: boolean;
    result: 'failed' | 'broken';
    step: string;
    message: string;
    parameters?: Record<string, string>;
  }>;
  runErrors: string[];
  dataProtection: { scanned: boolean; filesScanned: number; bytesScanned: number; findings: ScanFinding[] };
  reports: { allureReport?: string; allureResults?: string; junit?: string; messages?: string; allureNote?: string };
}

export interface CertificateInput {
  runId: string;
  judgement: Judgement;
  scope: RunScope;
  plan: CertificateDocument['plan'];
  terminal: TerminalIdentity;
  units: TerminalIdentity[];
  options: CertificateDocument['options'];
  software: CertificateDocument['software'];
  run: CertificateDocument['run'];
  runErrors: string[];
  profile?: ProfileOnCertificate;
  issuedAt?: Date;
}

export function buildCertificate(input: CertificateInput): CertificateDocument {
  const j = input.judgement;
  const failures: CertificateDocument['failures'] = [];
  for (const c of j.cases) {
    if (c.result !== 'failed' && c.result !== 'broken') continue;
    failures.push({
      id: c.id,
      mandatory: c.mandatory && c.inPlan,
      result: c.result,
      step: c.firstFailure?.step ?? '(unknown)',
      message: c.firstFailure?.message ?? c.reason,
      parameters: c.firstFailure?.parameters,
    });
  }
  return {
    format: CERTIFICATE_FORMAT,
    formatVersion: CERTIFICATE_FORMAT_VERSION,
    runId: input.runId,
    issuedAt: (input.issuedAt ?? new Date()).toISOString(),
    run: input.run,
    verdict: j.verdict,
    exitCode: j.exitCode,
    because: j.because,
    scope: { ...input.scope, partial: input.scope.kind !== 'full' },
    plan: input.plan,
    terminal: { ...input.terminal, units: input.units },
    options: input.options,
    ...(input.profile ? { profile: input.profile } : {}),
    software: input.software,
    counts: j.counts,
    mandatoryCounts: j.mandatoryCounts,
    cases: j.cases,
    failures,
    runErrors: input.runErrors,
    dataProtection: { scanned: false, filesScanned: 0, bytesScanned: 0, findings: [] },
    reports: {},
  };
}

/**
 * A data-protection failure downgrades the verdict: poscert itself wrote sensitive data, so the
 * run's outputs cannot be handed out. A NOT CERTIFIED verdict stays as it is; anything better
 * becomes INCONCLUSIVE (exit 2), since this is the harness's fault, not the terminal's.
 */
export function applyScanFindings(doc: CertificateDocument, scan: { filesScanned: number; bytesScanned: number; findings: ScanFinding[] }): void {
  doc.dataProtection = { scanned: true, filesScanned: scan.filesScanned, bytesScanned: scan.bytesScanned, findings: scan.findings };
  if (scan.findings.length === 0) return;
  const where = scan.findings
    .slice(0, 3)
    .map((f) => `${f.file} @${f.offset} (${f.kind})`)
    .join(', ');
  const note =
    `sensitive data found in ${scan.findings.length} place${scan.findings.length > 1 ? 's' : ''} of the run's outputs: ${where}` +
    `${scan.findings.length > 3 ? ', …' : ''}`;
  doc.runErrors.push(note);
  if (doc.verdict !== 'NOT CERTIFIED') {
    doc.verdict = 'INCONCLUSIVE';
    doc.exitCode = 2;
    doc.because = `${note}; the outputs must not be handed out`;
  }
}

export function certificateJson(doc: CertificateDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// HTML

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const VERDICT_ZH: Record<Verdict, string> = { CERTIFIED: '认证通过', 'NOT CERTIFIED': '认证未通过', INCONCLUSIVE: '无法判定' };
const RESULT_ZH: Record<string, string> = { passed: '通过', failed: '失败', broken: '无法判定', skipped: '跳过' };

function row(label: string, zh: string, value: string): string {
  return `<tr><th>${escapeHtml(label)} <span class="zh">${escapeHtml(zh)}</span></th><td>${value}</td></tr>`;
}

function countsLine(c: Counts): string {
  return (
    `${c.total} total · <span class="r-passed">${c.passed} passed</span> · <span class="r-failed">${c.failed} failed</span> · ` +
    `<span class="r-broken">${c.broken} broken</span> · <span class="r-skipped">${c.skipped} skipped</span>`
  );
}

function params(p?: Record<string, string>): string {
  if (!p || Object.keys(p).length === 0) return '';
  return ` <span class="params">[${escapeHtml(
    Object.entries(p)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  )}]</span>`;
}

/** Which profile values a case's verdict rests on, and "against acquirer profile X" where it rests on one. */
export function dependenceNote(c: Pick<CaseOutcome, 'dependsOn' | 'acquirerProfile'>): string {
  const terminal = (c.dependsOn ?? []).filter((d) => !d.key.startsWith('acquirer.'));
  const parts: string[] = [];
  if (terminal.length) parts.push(`depends on profile ${terminal.map((d) => `${escapeHtml(d.key)} = ${escapeHtml(d.value)}`).join(', ')}`);
  if (c.acquirerProfile)
    parts.push(
      `against acquirer profile <strong>${escapeHtml(c.acquirerProfile)}</strong> (poscert's convention where the reference has no single rule)`,
    );
  return parts.length ? `<div class="depends">${parts.join('; ')}</div>` : '';
}

/** The profile the run judged by: every value, acquirer-profile values marked as such. */
function profileSection(doc: CertificateDocument): string {
  const p = doc.profile;
  if (!p) return '';
  const rows = p.values
    .map(
      (v) =>
        `<tr><th>${escapeHtml(v.key)}</th><td>${escapeHtml(v.value)}${v.acquirer ? ` <em>(acquirer profile ${escapeHtml(p.acquirer)})</em>` : ''}</td></tr>`,
    )
    .join('\n');
  return `<section id="profile"><h2>Terminal profile <span class="zh">终端配置声明</span></h2>
<p>Judged against profile <strong>${escapeHtml(p.name)}</strong> (from ${escapeHtml(p.source)}) and acquirer profile <strong>${escapeHtml(p.acquirer)}</strong>${p.note ? `: ${escapeHtml(p.note)}` : ''}. Cases on 缴费 depend on the acquirer profile (cup8583.md §3.12: no single rule).</p>
<table class="meta">
${rows}
</table></section>`;
}

export function renderCertificateHtml(doc: CertificateDocument): string {
  const t = doc.terminal;
  const verdictClass = doc.verdict === 'CERTIFIED' ? 'ok' : doc.verdict === 'NOT CERTIFIED' ? 'bad' : 'unknown';
  const units =
    t.units.length > 1
      ? `<div class="units">${t.units.length} units: ${t.units.map((u) => escapeHtml(`${u.serialNumber ?? '?'}${u.terminalId ? ` (terminal id ${u.terminalId})` : ''}`)).join(', ')}</div>`
      : '';
  const identity = [
    row('Vendor', '厂商', escapeHtml(t.vendor ?? 'unknown')),
    row('Model', '型号', escapeHtml(t.model ?? 'unknown')),
    row('Serial number', '序列号', escapeHtml(t.serialNumber ?? 'unknown') + units),
    row('Firmware', '固件版本', escapeHtml(t.firmware ?? 'unknown')),
    row('Capabilities', '能力', escapeHtml((t.capabilities ?? []).join(', ') || 'none declared')),
    row('Link', '连接', escapeHtml(t.link ?? doc.options.terminal ?? 'emulator')),
    row(
      'Host link',
      '主机连接',
      doc.options.hostLink === 'https' ? 'HTTPS (公网接入, x-ISO-TPDU/x-auth over TLS, cup8583.md §1.2)' : 'TCP (2-byte length, cup8583.md §1.1)',
    ),
    row('TTP version', '测试协议版本', escapeHtml(t.ttp ?? 'unknown')),
  ].join('\n');
  const run = [
    row(
      'Plan',
      '认证方案',
      `${escapeHtml(doc.plan.name)} version ${escapeHtml(doc.plan.version)}${doc.plan.title ? ` — ${escapeHtml(doc.plan.title)}` : ''}`,
    ),
    row('Date', '日期', escapeHtml(doc.issuedAt)),
    row('Run id', '运行编号', `<code id="run-id">${escapeHtml(doc.runId)}</code>`),
    row(
      'Scope',
      '范围',
      doc.scope.partial
        ? `<strong>partial: shard ${escapeHtml(doc.scope.shard ?? '?')}</strong> — not a certificate on its own; merge all shards with <code>poscert merge</code>`
        : `full plan${doc.scope.tags ? `, filtered by --tags <code>${escapeHtml(doc.scope.tags)}</code>` : ''}`,
    ),
    row('Defects injected', '注入缺陷', doc.options.defects.length ? escapeHtml(doc.options.defects.join(', ')) : 'none'),
    row('Cases', '用例', countsLine(doc.counts)),
    row('Mandatory applicable', '必选且适用', countsLine(doc.mandatoryCounts)),
    row(
      'Software',
      '软件',
      escapeHtml(
        `poscert ${doc.software.poscert}, Node ${doc.software.node}${doc.software.cucumber ? `, cucumber-js ${doc.software.cucumber}` : ''}`,
      ),
    ),
  ].join('\n');

  const failures =
    doc.failures.length === 0
      ? ''
      : `
<section id="failures">
  <h2>First failing check of each failure <span class="zh">失败项</span></h2>
  <ol>
${doc.failures
  .map(
    (
      f,
    ) => `    <li class="r-${f.result}"><strong>${escapeHtml(f.id)}</strong> ${f.mandatory ? '(mandatory)' : '(optional)'} — ${escapeHtml(f.result)}${params(f.parameters)}<br>
      <span class="step">${escapeHtml(f.step)}</span><pre>${escapeHtml(f.message)}</pre></li>`,
  )
  .join('\n')}
  </ol>
</section>`;

  const caseRows = doc.cases
    .map(
      (c) => `    <tr class="r-${c.result}" data-case="${escapeHtml(c.id)}">
      <td><code>${escapeHtml(c.id)}</code></td><td>${escapeHtml(c.title)}</td>
      <td>${c.inPlan ? (c.mandatory ? 'mandatory' : 'optional') : 'not in plan'}</td>
      <td class="result">${escapeHtml(c.result)} <span class="zh">${RESULT_ZH[c.result] ?? ''}</span></td>
      <td>${escapeHtml(c.reason)}${c.firstFailure && c.result !== 'skipped' && c.firstFailure.step !== '(not run)' ? `<div class="check">${escapeHtml(c.firstFailure.step)}</div>` : ''}${dependenceNote(c)}</td>
    </tr>`,
    )
    .join('\n');

  const dp = doc.dataProtection;
  const dataProtection = !dp.scanned
    ? '<p>The sensitive-data scan did not run.</p>'
    : dp.findings.length === 0
      ? `<p class="r-passed">No full PAN, clear PIN, track 2 data or clear key found in ${dp.filesScanned} files (${dp.bytesScanned} bytes) of this run's outputs.</p>`
      : `<p class="r-failed">Sensitive data found in this run's outputs:</p><ul>${dp.findings.map((f) => `<li><code>${escapeHtml(f.file)}</code> at byte ${f.offset}: ${escapeHtml(f.kind)} (${escapeHtml(f.label)}, ${escapeHtml(f.encoding)})</li>`).join('')}</ul>`;

  const runErrors =
    doc.runErrors.length === 0
      ? ''
      : `
<section id="run-errors"><h2>Run problems <span class="zh">运行问题</span></h2><ul>${doc.runErrors.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></section>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.verdict)} — ${escapeHtml(t.vendor ?? '')} ${escapeHtml(t.model ?? '')} — ${escapeHtml(doc.plan.name)} ${escapeHtml(doc.plan.version)}</title>
<style>
  body { font-family: "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
  h1 { font-size: 1.4em; margin-bottom: .2em; }
  h2 { font-size: 1.1em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
  .zh { color: #666; font-weight: normal; }
  #verdict { font-size: 2em; font-weight: bold; padding: .5em .8em; border-radius: 6px; margin: .6em 0; }
  #verdict.ok { background: #e3f5e1; color: #1d6b16; border: 2px solid #1d6b16; }
  #verdict.bad { background: #fbe3e1; color: #a11a10; border: 2px solid #a11a10; }
  #verdict.unknown { background: #fff3d6; color: #8a5a00; border: 2px solid #8a5a00; }
  #because { margin: 0 0 1em 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; vertical-align: top; padding: .3em .5em; border-bottom: 1px solid #e4e4e4; }
  table.meta th { width: 14em; }
  table.cases th { background: #f4f4f4; }
  .r-passed .result, span.r-passed, p.r-passed { color: #1d6b16; }
  .r-failed .result, span.r-failed, p.r-failed, li.r-failed { color: #a11a10; }
  .r-broken .result, span.r-broken, li.r-broken { color: #8a5a00; }
  .r-skipped .result, span.r-skipped { color: #666; }
  tr.r-failed { background: #fdf1f0; } tr.r-broken { background: #fffaf0; }
  .check, .step { font-family: monospace; font-size: .9em; color: #444; }
  table.cases td:first-child { white-space: nowrap; }
  pre { white-space: pre-wrap; background: #f7f7f7; padding: .5em; margin: .3em 0 .8em; font-size: .85em; color: #222; }
  .params { color: #555; font-family: monospace; font-size: .9em; }
  .units { color: #555; font-size: .9em; }
  footer { margin-top: 2em; color: #777; font-size: .85em; }
  @media print { body { margin: 0; } }
</style>
</head>
<body>
<header>
  <h1>UnionPay POS terminal certification <span class="zh">银联 POS 终端认证证书</span></h1>
  <div id="verdict" class="${verdictClass}" data-verdict="${escapeHtml(doc.verdict)}" data-exit-code="${doc.exitCode}">${escapeHtml(doc.verdict)} <span class="zh">${VERDICT_ZH[doc.verdict]}</span></div>
  <p id="because">${escapeHtml(doc.because)}</p>
</header>
<section id="terminal"><h2>Terminal <span class="zh">终端</span></h2><table class="meta">
${identity}
</table></section>
${profileSection(doc)}
<section id="run"><h2>Run <span class="zh">运行</span></h2><table class="meta">
${run}
</table></section>
${failures}
<section id="cases">
  <h2>Cases <span class="zh">用例</span></h2>
  <table class="cases">
    <thead><tr><th>Case id</th><th>Title</th><th>Mandatory</th><th>Result</th><th>Reason / first failing check</th></tr></thead>
    <tbody>
${caseRows}
    </tbody>
  </table>
</section>
<section id="data-protection"><h2>Data protection <span class="zh">数据保护</span></h2>${dataProtection}</section>
${runErrors}
<footer>Issued by poscert ${escapeHtml(doc.software.poscert)} · run ${escapeHtml(doc.runId)} · ${escapeHtml(doc.issuedAt)}. Exit code ${doc.exitCode}.
CERTIFIED: every mandatory applicable case passed; NOT CERTIFIED: a mandatory applicable case failed; INCONCLUSIVE: none failed but one could not be judged.</footer>
</body>
</html>
`;
}
