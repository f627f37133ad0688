/// <reference lib="dom" />
import { api } from '../api.js';
import { el, scroller, table } from '../dom.js';
import type { ViewContext } from '../state.js';
import { mount } from './common.js';

interface CoverageResponse {
  available: boolean;
  reason?: string;
  result?: unknown;
}

type Obj = Record<string, unknown>;

/** Renders whatever the planner returns: arrays of objects become tables, scalars a list. */
function renderValue(title: string, value: unknown, depth = 0): Node {
  if (Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
    const rows = value as Obj[];
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return scroller(title, table(title, keys.map((k) => ({ key: k, label: k, value: (r: Obj) => fmt(r[k]) })), rows));
  }
  if (value && typeof value === 'object' && depth < 3) {
    const section = el('section', {}, el(depth === 0 ? 'h3' : 'h4', {}, title));
    const scalars = el('dl');
    for (const [k, v] of Object.entries(value as Obj)) {
      if (v && typeof v === 'object') section.append(renderValue(k, v, depth + 1));
      else scalars.append(el('dt', {}, k), el('dd', {}, fmt(v)));
    }
    if (scalars.childNodes.length) section.insertBefore(scalars, section.childNodes[1] ?? null);
    return section;
  }
  return el('p', {}, `${title}: ${fmt(value)}`);
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export async function coverageView(ctx: ViewContext): Promise<void> {
  const c = await api<CoverageResponse>('/api/coverage');
  mount(
    ctx,
    el('h2', {}, 'Coverage'),
    c.available
      ? renderValue('Coverage and migration plan', c.result)
      : el('p', { class: 'notice', id: 'coverage-unavailable', role: 'status' }, `Coverage planner not available: ${c.reason ?? ''}`),
  );
}
