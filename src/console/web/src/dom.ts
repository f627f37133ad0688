/// <reference lib="dom" />
import * as echarts from 'echarts/core';
import { LineChart, BarChart, PieChart, MapChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  VisualMapComponent,
  AriaComponent,
  DatasetComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  MapChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  VisualMapComponent,
  AriaComponent,
  DatasetComponent,
  CanvasRenderer,
]);

export { echarts };

type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export interface Column<T> {
  label: string;
  value: (row: T) => string | number;
  /** Text shown; defaults to the value. */
  text?: (row: T) => string;
  numeric?: boolean;
  /** Machine-readable name, used as `data-col` on cells. */
  key: string;
}

/**
 * An accessible table: caption, scoped headers, numbers right-aligned; every cell carries its
 * raw value in `data-value` and its column in `data-col`.
 */
export function table<T>(caption: string, columns: Column<T>[], rows: T[], attrs: Attrs = {}): HTMLTableElement {
  const t = el('table', attrs, el('caption', {}, caption));
  const head = el('tr');
  for (const c of columns) head.append(el('th', { scope: 'col', class: c.numeric ? 'num' : undefined }, c.label));
  t.append(el('thead', {}, head));
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const c of columns) {
      const value = c.value(row);
      tr.append(el('td', { class: c.numeric ? 'num' : undefined, 'data-col': c.key, 'data-value': String(value) }, c.text ? c.text(row) : String(value)));
    }
    body.append(tr);
  }
  if (rows.length === 0) body.append(el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, 'no data in this range')));
  t.append(body);
  return t;
}

/** A scrollable wrapper that keyboard users can focus and scroll. */
export function scroller(label: string, content: Node): HTMLElement {
  return el('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': label }, content);
}

const charts = new Set<echarts.ECharts>();

/**
 * A chart with a text alternative: the canvas is hidden from assistive technology (role=img
 * with a summary label) and the same data follows as a table inside a disclosure.
 */
export function chart(label: string, option: echarts.EChartsCoreOption, alternative: HTMLTableElement, tall = false): HTMLElement {
  const box = el('div', { class: tall ? 'chart tall' : 'chart', role: 'img', 'aria-label': label });
  const wrap = el('div', {}, box, el('details', { class: 'alt' }, el('summary', {}, `Table: ${label}`), scroller(label, alternative)));
  requestAnimationFrame(() => {
    const c = echarts.init(box, undefined, { renderer: 'canvas' });
    c.setOption({ animation: false, aria: { enabled: true }, ...option });
    charts.add(c);
  });
  return wrap;
}

export function disposeCharts(): void {
  for (const c of charts) c.dispose();
  charts.clear();
}

window.addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

export function errorBox(err: unknown): HTMLElement {
  return el('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}
