/// <reference lib="dom" />
import type { EditorView } from '@codemirror/view';
import { api, ApiError, postJson } from '../api.js';
import { chart, el, errorBox, scroller, table } from '../dom.js';
import { formatCount } from '../format.js';
import { createEditor, type Schema } from '../kql-editor.js';
import type { ViewContext } from '../state.js';
import { mount } from './common.js';

interface QueryResponse {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
  sql?: string;
  render?: string;
}

const PUBLIC_TABLES = ['NTANetAnalytics', 'AzureNetworkAnalytics_CL', 'NTAIpDetails', 'FlowTuples'];
const EXAMPLE = `NTANetAnalytics
| where FlowStatus == 'Denied'
| summarize DeniedFlows = sum(DeniedInFlows + DeniedOutFlows) by AclRule
| sort by DeniedFlows desc
| render columnchart`;

let lastText: { kql: string; sql: string } = { kql: EXAMPLE, sql: 'SELECT FlowType, count(*) AS n FROM NTANetAnalytics GROUP BY FlowType ORDER BY n DESC' };
let editor: EditorView | null = null;

function resultChart(render: string, res: QueryResponse): HTMLElement | null {
  if (res.columns.length < 2 || res.rows.length === 0 || render === 'table') return null;
  const numericCols = res.columns.map((_, i) => i).filter((i) => i > 0 && res.rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  if (numericCols.length === 0) return null;
  const labels = res.rows.map((r) => String(r[0]));
  const alt = table('Query result', res.columns.map((c, i) => ({ key: c, label: c, value: (r: unknown[]) => (r[i] as string | number) ?? '' })), res.rows);
  const label = `${render} of ${res.columns.filter((_, i) => numericCols.includes(i)).join(', ')} by ${res.columns[0]}`;
  if (render === 'piechart') {
    return chart(label, { tooltip: { trigger: 'item' }, legend: { type: 'scroll', top: 0 }, series: [{ type: 'pie', radius: '65%', data: res.rows.map((r) => ({ name: String(r[0]), value: Number(r[numericCols[0]]) })) }] }, alt);
  }
  const kind = render === 'barchart' ? 'bar' : render === 'columnchart' ? 'bar' : 'line';
  const horizontal = render === 'barchart';
  const cat = { type: 'category', data: labels };
  const val = { type: 'value' };
  return chart(
    label,
    {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: horizontal ? 160 : 60, right: 20, top: 40, bottom: 40 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: numericCols.map((i) => ({ name: res.columns[i], type: kind, areaStyle: render === 'areachart' ? {} : undefined, data: res.rows.map((r) => r[i]) })),
    },
    alt,
  );
}

export async function queryView(ctx: ViewContext): Promise<void> {
  const schemaAll = await api<Schema>('/api/schema').catch(() => ({}) as Schema);
  const schema: Schema = Object.fromEntries(Object.entries(schemaAll).filter(([t]) => PUBLIC_TABLES.includes(t)));
  let language: 'kql' | 'sql' = ctx.info.kql ? 'kql' : 'sql';
  const langSelect = el(
    'select',
    { id: 'query-language' },
    el('option', { value: 'kql', selected: language === 'kql', disabled: !ctx.info.kql }, ctx.info.kql ? 'KQL' : 'KQL (translator not available)'),
    el('option', { value: 'sql', selected: language === 'sql' }, `SQL (${ctx.info.dialect})`),
  );
  const editorBox = el('div', { class: 'editor', id: 'query-editor' });
  const runButton = el('button', { type: 'button', id: 'run-query' }, 'Run (Ctrl+Enter)');
  const output = el('section', { id: 'query-output', 'aria-live': 'polite', 'aria-label': 'Query result' });
  const limits = el('p', { class: 'muted' }, `Read-only; at most ${formatCount(ctx.info.limits.maxRows)} rows and ${ctx.info.limits.queryTimeoutMs / 1000} s per query.${ctx.info.sandboxed ? '' : ' (file access is refused by the console\'s checks; the engine sandbox is off in embedded mode)'}`);

  const run = async () => {
    const text = editor?.state.doc.toString() ?? '';
    lastText = { ...lastText, [language]: text };
    output.replaceChildren(el('p', { class: 'muted' }, 'running…'));
    try {
      const res = await postJson<QueryResponse>('/api/query', { language, text });
      const idx = (c: string) => res.columns.indexOf(c);
      const resultTable = table(
        `Result: ${formatCount(res.rows.length)} rows${res.truncated ? ' (truncated)' : ''} in ${res.elapsedMs} ms`,
        res.columns.map((c) => ({ key: c, label: c, value: (r: unknown[]) => (r[idx(c)] as string | number | null) ?? '', numeric: res.rows.length > 0 && typeof res.rows[0][idx(c)] === 'number' })),
        res.rows,
        { 'data-table': 'query-result' },
      );
      const chartNode = res.render ? resultChart(res.render, res) : null;
      output.replaceChildren(
        ...(chartNode ? [chartNode] : []),
        scroller('Query result', resultTable),
        ...(res.sql ? [el('details', {}, el('summary', {}, 'Generated SQL'), el('pre', {}, res.sql))] : []),
      );
    } catch (err) {
      const located = err instanceof ApiError && Array.isArray(err.body.errors) ? err.body.errors : null;
      output.replaceChildren(errorBox(err));
      if (located) {
        output.append(el('ul', {}, ...(located as { message: string; line?: number; column?: number }[]).map((e) => el('li', {}, `${e.line ? `line ${e.line}, column ${e.column ?? 1}: ` : ''}${e.message}`))));
      }
    }
  };
  runButton.addEventListener('click', () => void run());
  langSelect.addEventListener('change', () => {
    lastText = { ...lastText, [language]: editor?.state.doc.toString() ?? '' };
    language = langSelect.value === 'sql' ? 'sql' : 'kql';
    editor?.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: lastText[language] } });
  });

  const tableList = el('ul', {}, ...Object.entries(schema).map(([t, cols]) => el('li', {}, el('code', {}, t), ` ${cols.length} columns`)));
  mount(
    ctx,
    el('h2', {}, 'Query'),
    el('div', { class: 'row' }, el('label', { for: 'query-language' }, 'Language'), langSelect, runButton),
    el('label', { id: 'query-editor-label' }, 'Query text (completion: Ctrl+Space; leave the editor with Tab)'),
    editorBox,
    limits,
    output,
    el('details', {}, el('summary', {}, 'Tables'), tableList),
  );
  editor?.destroy();
  editor = createEditor(editorBox, lastText[language], schema, () => void run(), 'Query text');
}
