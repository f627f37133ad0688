/// <reference lib="dom" />
import { disposeCharts, el } from '../dom.js';
import type { ViewContext } from '../state.js';

/** Replaces the view's content in one step, so live updates do not flash. */
export function mount(ctx: ViewContext, ...nodes: Node[]): void {
  disposeCharts();
  ctx.main.replaceChildren(...nodes);
}

export function withRange(path: string, ctx: ViewContext, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams(ctx.rangeQuery);
  for (const [k, v] of Object.entries(extra)) if (v !== '') p.set(k, v);
  const q = p.toString();
  return q ? `${path}?${q}` : path;
}

export function kpi(label: string, metric: string, value: number, text: string): HTMLElement {
  return el('div', { class: 'kpi' }, el('dt', {}, label), el('dd', { 'data-metric': metric, 'data-value': String(value) }, text));
}

export function card(title: string, ...children: Node[]): HTMLElement {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return el('section', { class: 'card', 'aria-labelledby': id }, el('h3', { id }, title), ...children);
}
