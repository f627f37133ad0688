import type { QueryOutput } from './run.js';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function formatTable(out: QueryOutput): string {
  const header = out.columns;
  const body = out.rows.map((r) => r.map(cell));
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((r) => r[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + '…' : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), `(${out.rows.length} row${out.rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

export function formatCsv(out: QueryOutput): string {
  const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [out.columns.map(esc).join(','), ...out.rows.map((r) => r.map((v) => esc(cell(v))).join(','))].join('\n') + '\n';
}

export function formatJson(out: QueryOutput): string {
  const rows = out.rows.map((r) => Object.fromEntries(out.columns.map((c, i) => [c, r[i]])));
  return JSON.stringify(out.chart ? { rows, chart: out.chart } : rows) + '\n';
}
