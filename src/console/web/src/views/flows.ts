/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { api } from '../api.js';
import { el, errorBox, scroller, table } from '../dom.js';
import { formatCount, formatTimeMs, PROTOCOL_NAMES } from '../format.js';
import type { ViewContext } from '../state.js';
import type { FlowPage } from '../../../queries.js';
import { mount, withRange } from './common.js';

const FIELDS: { name: string; label: string; placeholder?: string; type?: string }[] = [
  { name: 'ip', label: 'IP', placeholder: '10.1.0.4' },
  { name: 'cidr', label: 'CIDR', placeholder: '10.1.0.0/16' },
  { name: 'port', label: 'Port', type: 'number' },
  { name: 'protocol', label: 'Protocol', placeholder: 'TCP, UDP or number' },
  { name: 'rule', label: 'Rule' },
  { name: 'encryption', label: 'Encryption', placeholder: 'X, NX, …' },
];

export async function flowsView(ctx: ViewContext): Promise<void> {
  const params = ctx.params;
  const form = el('form', { class: 'filters', 'aria-label': 'Filter raw flow tuples', id: 'flow-filters' });
  for (const f of FIELDS) {
    form.append(el('label', {}, f.label, el('input', { name: f.name, type: f.type ?? 'text', placeholder: f.placeholder, value: params.get(f.name) ?? '' })));
  }
  const select = (name: string, label: string, options: [string, string][]) =>
    el('label', {}, label, el('select', { name }, ...options.map(([v, t]) => el('option', { value: v, selected: params.get(name) === v }, t))));
  form.append(
    select('state', 'State', [['', 'any'], ['B', 'B begin'], ['C', 'C continuing'], ['E', 'E end'], ['D', 'D denied']]),
    select('decision', 'Decision', [['', 'any'], ['A', 'Allowed'], ['D', 'Denied']]),
    el('button', { type: 'submit' }, 'Filter'),
    el('button', { type: 'reset' }, 'Clear'),
  );
  const offset = Number(params.get('offset') ?? 0);
  const query: Record<string, string> = {};
  for (const [k, v] of params) if (v !== '') query[k] = v;
  query.limit = '100';

  const results = el('section', { 'aria-live': 'polite', 'aria-label': 'Matching tuples' });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v) !== '') p.set(k, String(v));
    location.hash = `#/flows?${p.toString()}`;
  });
  form.addEventListener('reset', () => setTimeout(() => (location.hash = '#/flows'), 0));
  mount(ctx, el('h2', {}, 'Flows'), el('p', { class: 'muted' }, 'Raw tuples from FlowTuples, with the blob and block each came from.'), form, results);

  try {
    const page = await api<FlowPage>(withRange('/api/flows', ctx, query));
    const i = (c: string) => page.columns.indexOf(c);
    const cols = page.columns.map((c) => ({
      key: c,
      label: c,
      value: (r: unknown[]) => (r[i(c)] as string | number | null) ?? '',
      text:
        c === 'time_ms'
          ? (r: unknown[]) => formatTimeMs(Number(r[i(c)]))
          : c === 'protocol'
            ? (r: unknown[]) => PROTOCOL_NAMES[Number(r[i(c)])] ?? String(r[i(c)])
            : undefined,
      numeric: ['src_port', 'dst_port', 'bytes_s2d', 'bytes_d2s'].includes(c),
    }));
    const nav = el('div', { class: 'row' });
    const pageLink = (label: string, to: number) => {
      const p = new URLSearchParams(params);
      p.set('offset', String(to));
      return el('a', { href: `#/flows?${p.toString()}` }, label);
    };
    if (offset > 0) nav.append(pageLink('← previous 100', Math.max(0, offset - 100)));
    if (offset + 100 < page.total) nav.append(pageLink('next 100 →', offset + 100));
    results.replaceChildren(
      el('p', { id: 'flow-count', 'data-value': String(page.total) }, `${formatCount(page.total)} matching tuples; showing ${page.rows.length ? offset + 1 : 0}–${offset + page.rows.length}`),
      nav,
      scroller('Matching tuples', table('Flow tuples', cols, page.rows, { 'data-table': 'flows' })),
    );
  } catch (err) {
    results.replaceChildren(errorBox(err));
  }
}
