/**
 * Voucher copies rendered as they look on the printed slip (签购单): narrow thermal paper,
 * monospaced lines, copies one under the other with a tear line — an HTML page for the Allure
 * report beside the plain-text copies, so a reviewer sees at a glance what the cardholder got.
 * Self-contained (inline CSS, no script); every line is escaped.
 */
export interface SlipCopy {
  copy: string;
  lines: readonly string[];
  reprint?: boolean;
  trace?: string;
}

const COPY_NAMES: Record<string, string> = {
  merchant: '商户存根 merchant copy',
  cardholder: '持卡人存根 cardholder copy',
  bank: '银行存根 bank copy',
  settlement: '结算单 settlement slip',
};

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderVoucherSlips(copies: readonly SlipCopy[], title = 'Vouchers 签购单'): string {
  const slips = copies
    .map(
      (c) => `<figure class="slip${c.reprint ? ' reprint' : ''}">
  <figcaption>${esc(COPY_NAMES[c.copy] ?? c.copy)}${c.reprint ? ' · reprint' : ''}${c.trace ? ` · trace ${esc(c.trace)}` : ''}</figcaption>
  <pre>${c.lines.map(esc).join('\n')}</pre>
</figure>`,
    )
    .join('\n<div class="tear" aria-hidden="true"></div>\n');
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
  body { background: #e9e9e9; margin: 0; padding: 16px; font-family: "Noto Sans Mono CJK SC", "Noto Sans Mono", "DejaVu Sans Mono", monospace; }
  .slip { background: #fffef8; width: 34ch; margin: 0 auto; padding: 14px 12px 18px; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
  .slip figcaption { font-size: 11px; color: #888; text-align: center; margin-bottom: 8px; font-family: sans-serif; }
  .slip pre { margin: 0; font-size: 13px; line-height: 1.35; white-space: pre-wrap; word-break: break-all; color: #222; font-family: inherit; }
  .reprint { outline: 2px dashed #c77; }
  .tear { width: calc(34ch + 24px); margin: 0 auto; height: 14px; background: linear-gradient(-45deg, transparent 6px, #fffef8 0) 0 0 / 12px 14px repeat-x, linear-gradient(45deg, transparent 6px, #fffef8 0) 0 0 / 12px 14px repeat-x; opacity: .9; }
  .none { text-align: center; color: #666; font-family: sans-serif; }
</style></head>
<body>
${copies.length ? slips : '<p class="none">No voucher was printed.</p>'}
</body></html>
`;
}
