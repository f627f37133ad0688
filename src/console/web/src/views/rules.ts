/// <reference lib="dom" />
import { api } from '../api.js';
import { chart, el, scroller, table } from '../dom.js';
import { formatCount, formatTime } from '../format.js';
import type { ViewContext } from '../state.js';
import type { RuleHitRow, DenyBin } from '../../../queries.js';
import { card, mount, withRange } from './common.js';

interface RulesResponse {
  binMs: number;
  hits: (RuleHitRow & { kind: 'nsg' | 'avnm' })[];
  unused: { aclGroup: string; rule: string; kind: string }[];
  rulesKnown: boolean;
  spikes: DenyBin[];
}

export async function rulesView(ctx: ViewContext): Promise<void> {
  const r = await api<RulesResponse>(withRange('/api/rules', ctx));
  const top = r.hits.slice(0, 15);
  const hitsTable = table(
    'Hits per rule (NSG rules and AVNM security admin rules)',
    [
      { key: 'kind', label: 'Kind', value: (h) => (h.kind === 'avnm' ? 'AVNM admin rule' : 'NSG rule') },
      { key: 'aclGroup', label: 'NSG / network group', value: (h) => h.aclGroup },
      { key: 'rule', label: 'Rule', value: (h) => h.rule },
      { key: 'allowed', label: 'Allowed', value: (h) => h.allowed, text: (h) => formatCount(h.allowed), numeric: true },
      { key: 'denied', label: 'Denied', value: (h) => h.denied, text: (h) => formatCount(h.denied), numeric: true },
      { key: 'flows', label: 'Flows', value: (h) => h.flows, text: (h) => formatCount(h.flows), numeric: true },
    ],
    r.hits,
    { 'data-table': 'rule-hits' },
  );
  const hitsChart = chart(
    'Top rules by flows, allowed and denied',
    {
      tooltip: { trigger: 'axis' },
      legend: { data: ['Allowed', 'Denied'], top: 0 },
      grid: { left: 300, right: 20, top: 40, bottom: 30 },
      yAxis: { type: 'category', data: top.map((h) => `${h.rule.replace(/_[0-9a-f-]{36}$/i, '')} · ${h.aclGroup.split('/').pop()}`).reverse() },
      xAxis: { type: 'value' },
      series: [
        { name: 'Allowed', type: 'bar', stack: 'r', data: top.map((h) => h.allowed).reverse(), itemStyle: { color: '#1a7f37' } },
        { name: 'Denied', type: 'bar', stack: 'r', data: top.map((h) => h.denied).reverse(), itemStyle: { color: '#cf222e' } },
      ],
    },
    hitsTable,
    true,
  );
  const unused = r.rulesKnown
    ? table(
        'Rules with no hits in this range',
        [
          { key: 'kind', label: 'Kind', value: (u) => (u.kind === 'avnm' ? 'AVNM admin rule' : 'NSG rule') },
          { key: 'aclGroup', label: 'NSG / network group', value: (u) => u.aclGroup },
          { key: 'rule', label: 'Rule', value: (u) => u.rule },
        ],
        r.unused,
        { 'data-table': 'unused-rules' },
      )
    : el('p', { class: 'notice' }, 'Rules with no hits need the rule list: start the console with --scenario FILE.');
  const spikes = table(
    `Deny spikes (a ${Math.round(r.binMs / 60_000)}-minute bin with at least 3× the rule's mean denied flows)`,
    [
      { key: 'rule', label: 'Rule', value: (s) => s.rule },
      { key: 'aclGroup', label: 'NSG / network group', value: (s) => s.aclGroup },
      { key: 't', label: 'Bin start (UTC)', value: (s) => s.t, text: (s) => formatTime(s.t) },
      { key: 'denied', label: 'Denied', value: (s) => s.denied, text: (s) => formatCount(s.denied), numeric: true },
    ],
    r.spikes,
    { 'data-table': 'deny-spikes' },
  );
  mount(
    ctx,
    el('h2', {}, 'Rules'),
    card('Rule hits', hitsChart),
    el('div', { class: 'grid' }, card('Rules with no hits', scroller('Rules with no hits', unused)), card('Deny spikes', scroller('Deny spikes', spikes))),
  );
}
