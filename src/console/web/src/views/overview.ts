/// <reference lib="dom" />
import { api } from '../api.js';
import { chart, el, scroller, table } from '../dom.js';
import { formatBytes, formatCount, formatTime } from '../format.js';
import type { ViewContext } from '../state.js';
import type { Overview } from '../../../queries.js';
import { card, kpi, mount, withRange } from './common.js';

export async function overviewView(ctx: ViewContext): Promise<void> {
  const o = await api<Overview>(withRange('/api/overview', ctx));
  ctx.onExtent(o.extent);
  const t = o.totals;
  const kpis = el(
    'dl',
    { class: 'kpis', 'aria-label': 'Totals' },
    kpi('Flows', 'flows', t.flows, formatCount(t.flows)),
    kpi('Allowed', 'allowed', t.allowed, formatCount(t.allowed)),
    kpi('Denied', 'denied', t.denied, formatCount(t.denied)),
    kpi('Bytes', 'bytes', t.bytes, formatBytes(t.bytes)),
    kpi('Packets', 'packets', t.packets, formatCount(t.packets)),
    kpi('Table rows', 'rows', t.rows, formatCount(t.rows)),
  );

  // Flows over time: allowed vs denied (all flow types), and bytes by flow type.
  const bins = [...new Set(o.series.map((p) => p.t))].sort((a, b) => a - b);
  const flowTypes = [...new Set(o.series.map((p) => p.flowType))].sort();
  const at = (t: number, f: (p: Overview['series'][number]) => number, type?: string) =>
    o.series.filter((p) => p.t === t && (type === undefined || p.flowType === type)).reduce((s, p) => s + f(p), 0);
  const perBin = bins.map((b) => ({ t: b, allowed: at(b, (p) => p.allowed), denied: at(b, (p) => p.denied), bytes: at(b, (p) => p.bytes) }));
  const binLabel = `${Math.round(o.binMs / 60_000)}-minute bins`;
  const flowsChart = chart(
    `Flows over time, allowed and denied, ${binLabel}`,
    {
      tooltip: { trigger: 'axis' },
      legend: { data: ['Allowed', 'Denied'], top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: bins.map(formatTime) },
      yAxis: { type: 'value', name: 'flows' },
      series: [
        { name: 'Allowed', type: 'bar', stack: 'f', data: perBin.map((p) => p.allowed), itemStyle: { color: '#1a7f37' } },
        { name: 'Denied', type: 'bar', stack: 'f', data: perBin.map((p) => p.denied), itemStyle: { color: '#cf222e' } },
      ],
    },
    table(
      `Flows per ${binLabel.slice(0, -1)}`,
      [
        { key: 't', label: 'Bin start (UTC)', value: (p) => p.t, text: (p) => formatTime(p.t) },
        { key: 'allowed', label: 'Allowed', value: (p) => p.allowed, text: (p) => formatCount(p.allowed), numeric: true },
        { key: 'denied', label: 'Denied', value: (p) => p.denied, text: (p) => formatCount(p.denied), numeric: true },
        { key: 'bytes', label: 'Bytes', value: (p) => p.bytes, text: (p) => formatBytes(p.bytes), numeric: true },
      ],
      perBin,
      { 'data-table': 'series' },
    ),
  );
  const bytesChart = chart(
    `Bytes over time by flow type, ${binLabel}`,
    {
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: bins.map(formatTime) },
      yAxis: { type: 'value', name: 'bytes' },
      series: flowTypes.map((ft) => ({ name: ft, type: 'line', stack: 'b', areaStyle: {}, data: bins.map((b) => at(b, (p) => p.bytes, ft)) })),
    },
    table(
      'Flows and bytes by flow type',
      [
        { key: 'flowType', label: 'Flow type', value: (r) => r.flowType },
        { key: 'flows', label: 'Flows', value: (r) => r.flows, text: (r) => formatCount(r.flows), numeric: true },
        { key: 'allowed', label: 'Allowed', value: (r) => r.allowed, text: (r) => formatCount(r.allowed), numeric: true },
        { key: 'denied', label: 'Denied', value: (r) => r.denied, text: (r) => formatCount(r.denied), numeric: true },
        { key: 'bytes', label: 'Bytes', value: (r) => r.bytes, text: (r) => formatBytes(r.bytes), numeric: true },
      ],
      o.flowTypes,
      { 'data-table': 'flow-types' },
    ),
  );
  const typeChart = chart(
    'Flows by flow type, allowed and denied',
    {
      tooltip: { trigger: 'axis' },
      legend: { data: ['Allowed', 'Denied'], top: 0 },
      grid: { left: 110, right: 20, top: 30, bottom: 30 },
      yAxis: { type: 'category', data: o.flowTypes.map((r) => r.flowType) },
      xAxis: { type: 'value' },
      series: [
        { name: 'Allowed', type: 'bar', stack: 's', data: o.flowTypes.map((r) => r.allowed), itemStyle: { color: '#1a7f37' } },
        { name: 'Denied', type: 'bar', stack: 's', data: o.flowTypes.map((r) => r.denied), itemStyle: { color: '#cf222e' } },
      ],
    },
    table(
      'Allowed and denied flows by flow type',
      [
        { key: 'flowType', label: 'Flow type', value: (r) => r.flowType },
        { key: 'allowed', label: 'Allowed', value: (r) => r.allowed, text: (r) => formatCount(r.allowed), numeric: true },
        { key: 'denied', label: 'Denied', value: (r) => r.denied, text: (r) => formatCount(r.denied), numeric: true },
      ],
      o.flowTypes,
    ),
  );

  const talkers = table(
    'Top talkers by bytes (sent or received)',
    [
      { key: 'ip', label: 'IP', value: (r) => r.ip },
      { key: 'bytes', label: 'Bytes', value: (r) => r.bytes, text: (r) => formatBytes(r.bytes), numeric: true },
      { key: 'flows', label: 'Flows', value: (r) => r.flows, text: (r) => formatCount(r.flows), numeric: true },
    ],
    o.talkers,
    { 'data-table': 'talkers' },
  );
  const conversations = table(
    'Top conversations by bytes',
    [
      { key: 'src', label: 'Source', value: (r) => r.src },
      { key: 'dest', label: 'Destination', value: (r) => r.dest },
      { key: 'flows', label: 'Flows', value: (r) => r.flows, text: (r) => formatCount(r.flows), numeric: true },
      { key: 'bytes', label: 'Bytes', value: (r) => r.bytes, text: (r) => formatBytes(r.bytes), numeric: true },
    ],
    o.conversations,
    { 'data-table': 'conversations' },
  );
  const ports = table(
    'Top destination ports by flows',
    [
      { key: 'port', label: 'Port', value: (r) => r.port },
      { key: 'protocol', label: 'Protocol', value: (r) => r.protocol },
      { key: 'flows', label: 'Flows', value: (r) => r.flows, text: (r) => formatCount(r.flows), numeric: true },
      { key: 'bytes', label: 'Bytes', value: (r) => r.bytes, text: (r) => formatBytes(r.bytes), numeric: true },
    ],
    o.ports,
    { 'data-table': 'ports' },
  );
  const denied = table(
    'Top denied sources',
    [
      { key: 'source', label: 'Source', value: (r) => r.source },
      { key: 'denied', label: 'Denied flows', value: (r) => r.denied, text: (r) => formatCount(r.denied), numeric: true },
    ],
    o.deniedSources,
    { 'data-table': 'denied-sources' },
  );

  mount(
    ctx,
    el('h2', {}, 'Overview'),
    kpis,
    el(
      'div',
      { class: 'grid' },
      card('Flows over time', flowsChart),
      card('Bytes by flow type', bytesChart),
      card('Allowed vs denied by flow type', typeChart),
      card('Top talkers', scroller('Top talkers', talkers)),
      card('Top conversations', scroller('Top conversations', conversations)),
      card('Top destination ports', scroller('Top destination ports', ports)),
      card('Top denied sources', scroller('Top denied sources', denied)),
    ),
  );
}
