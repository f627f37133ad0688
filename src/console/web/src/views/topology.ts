/// <reference lib="dom" />
import cytoscape from 'cytoscape';
import { api } from '../api.js';
import { el, errorBox, scroller, table } from '../dom.js';
import { formatBytes, formatCount, formatTime } from '../format.js';
import type { ViewContext } from '../state.js';
import type { Graph, GraphEdge, GraphNode } from '../../../topology.js';
import { card, mount, withRange } from './common.js';

let cy: cytoscape.Core | null = null;

export async function topologyView(ctx: ViewContext): Promise<void> {
  const level = ctx.params.get('level') === 'vm' ? 'vm' : 'subnet';
  const graph = await api<Graph>(withRange('/api/topology', ctx, { level }));
  const levelSelect = el(
    'select',
    { id: 'topology-level' },
    el('option', { value: 'subnet', selected: level === 'subnet' }, 'Subnets'),
    el('option', { value: 'vm', selected: level === 'vm' }, 'VMs / NICs'),
  );
  levelSelect.addEventListener('change', () => {
    location.hash = `#/topology?level=${levelSelect.value}`;
  });
  const graphBox = el('div', { id: 'cy', role: 'img', 'aria-label': `Topology graph at ${level} level; the same nodes and edges are listed in the tables below` });
  const details = el('section', { id: 'selection', 'aria-live': 'polite', 'aria-label': 'Flows of the selected node or edge' });

  const showRows = async (sel: { src?: string; dest?: string; node?: string }, title: string) => {
    details.replaceChildren(el('h3', {}, title), el('p', { class: 'muted' }, 'loading…'));
    try {
      const extra: Record<string, string> = { level, src: sel.src ?? '', dest: sel.dest ?? '', node: sel.node ?? '' };
      const res = await api<{ columns: string[]; rows: unknown[][] }>(withRange('/api/topology/rows', ctx, extra));
      const idx = (c: string) => res.columns.indexOf(c);
      details.replaceChildren(
        el('h3', { tabindex: -1, id: 'selection-title' }, title),
        scroller(
          title,
          table(
            `NTANetAnalytics rows for ${title} (first 200)`,
            res.columns.map((c) => ({
              key: c,
              label: c,
              value: (r: unknown[]) => (r[idx(c)] as string | number) ?? '',
              text: c === 'FlowStartMs' ? (r: unknown[]) => formatTime(Number(r[idx(c)])) : undefined,
              numeric: ['Flows', 'Bytes', 'DestPort'].includes(c),
            })),
            res.rows,
            { 'data-table': 'selection-rows' },
          ),
        ),
      );
      (document.getElementById('selection-title') as HTMLElement | null)?.focus();
    } catch (err) {
      details.replaceChildren(errorBox(err));
    }
  };

  const trafficEdges = graph.edges.filter((e) => e.kind === 'traffic');
  const edgeTable = table<GraphEdge>(
    'Edges with traffic',
    [
      { key: 'source', label: 'From', value: (e) => e.source },
      { key: 'target', label: 'To', value: (e) => e.target },
      { key: 'flows', label: 'Flows', value: (e) => e.flows, text: (e) => formatCount(e.flows), numeric: true },
      { key: 'bytes', label: 'Bytes', value: (e) => e.bytes, text: (e) => formatBytes(e.bytes), numeric: true },
      { key: 'denied', label: 'Denied', value: (e) => e.denied, text: (e) => formatCount(e.denied), numeric: true },
    ],
    trafficEdges,
    { 'data-table': 'edges' },
  );
  edgeTable.querySelectorAll('tbody tr').forEach((tr, i) => {
    const e = trafficEdges[i];
    if (!e) return;
    const b = el('button', { type: 'button', 'data-edge': e.id }, 'Flows');
    b.addEventListener('click', () => void showRows({ src: e.source, dest: e.target }, `${e.source} → ${e.target}`));
    tr.append(el('td', {}, b));
  });
  edgeTable.querySelector('thead tr')?.append(el('th', { scope: 'col' }, 'Open'));

  const nodes = graph.nodes.filter((n) => n.kind !== 'vnet' || true);
  const nodeTable = table<GraphNode>(
    'Nodes',
    [
      { key: 'kind', label: 'Kind', value: (n) => n.kind },
      { key: 'id', label: 'Name', value: (n) => n.id },
      { key: 'parent', label: 'In', value: (n) => n.parent ?? '' },
      { key: 'detail', label: 'Detail', value: (n) => n.detail ?? '' },
    ],
    nodes,
    { 'data-table': 'nodes' },
  );
  nodeTable.querySelectorAll('tbody tr').forEach((tr, i) => {
    const n = nodes[i];
    if (!n) return;
    const openable = (level === 'subnet' && n.kind === 'subnet') || (level === 'vm' && n.kind === 'vm');
    const cell = el('td');
    if (openable) {
      const b = el('button', { type: 'button', 'data-node': n.id }, 'Flows');
      b.addEventListener('click', () => void showRows({ node: n.id }, n.id));
      cell.append(b);
    }
    tr.append(cell);
  });
  nodeTable.querySelector('thead tr')?.append(el('th', { scope: 'col' }, 'Open'));

  mount(
    ctx,
    el('h2', {}, 'Topology'),
    el('div', { class: 'row' }, el('label', { for: 'topology-level' }, 'Level'), levelSelect,
      el('span', { class: 'muted' }, ctx.info.topologyLoaded ? 'scenario loaded' : 'no scenario loaded: nodes come from the data')),
    graphBox,
    details,
    el('div', { class: 'grid' }, card('Edges', scroller('Edges', edgeTable)), card('Nodes', scroller('Nodes', nodeTable))),
  );

  cy?.destroy();
  const maxBytes = Math.max(1, ...trafficEdges.map((e) => e.bytes));
  cy = cytoscape({
    container: graphBox,
    elements: [
      ...graph.nodes.map((n) => ({ data: { id: n.id, label: n.label, kind: n.kind, parent: n.parent && graph.nodes.some((p) => p.id === n.parent) ? n.parent : undefined } })),
      ...graph.edges.map((e) => ({
        data: { id: e.id, source: e.source, target: e.target, kind: e.kind, width: e.kind === 'traffic' ? 1 + 9 * Math.sqrt(e.bytes / maxBytes) : 2, label: e.kind === 'traffic' ? formatBytes(e.bytes) : 'peering' },
      })),
    ],
    style: [
      { selector: 'node', style: { label: 'data(label)', 'font-size': 10, 'text-valign': 'center', 'background-color': '#0969da', color: '#1b1f24' } },
      { selector: 'node[kind = "vnet"]', style: { 'background-color': '#ddf4ff', 'border-color': '#0969da', 'border-width': 1, 'text-valign': 'top', shape: 'round-rectangle' } },
      { selector: 'node[kind = "subnet"]', style: { 'background-color': '#54aeff', shape: 'round-rectangle' } },
      { selector: 'node[kind = "vm"]', style: { 'background-color': '#8250df', shape: 'ellipse' } },
      { selector: 'node[kind = "private-endpoint"]', style: { 'background-color': '#bf8700', shape: 'diamond' } },
      { selector: 'edge', style: { width: 'data(width)', 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', label: 'data(label)', 'font-size': 8, 'line-color': '#57606a', 'target-arrow-color': '#57606a' } },
      { selector: 'edge[kind = "peering"]', style: { 'line-style': 'dashed', 'line-color': '#0969da', 'target-arrow-shape': 'none' } },
    ],
    // Deterministic placement: one column per VNet, subnets stacked in it, VMs/endpoints in a
    // row inside their subnet. Force layouts overlap compound nodes and move between runs.
    layout: { name: 'preset', positions: placeNodes(graph.nodes), fit: true, padding: 30 },
  });
  cy.on('tap', 'edge[kind = "traffic"]', (evt) => {
    const d = evt.target.data() as { source: string; target: string };
    void showRows({ src: d.source, dest: d.target }, `${d.source} → ${d.target}`);
  });
  cy.on('tap', 'node', (evt) => {
    const d = evt.target.data() as { id: string; kind: string };
    if ((level === 'subnet' && d.kind === 'subnet') || (level === 'vm' && d.kind === 'vm')) void showRows({ node: d.id }, d.id);
  });
}

function placeNodes(nodes: GraphNode[]): Record<string, { x: number; y: number }> {
  const positions: Record<string, { x: number; y: number }> = {};
  const children = (parent: string | undefined) => nodes.filter((n) => n.parent === parent && n.kind !== 'vnet');
  const vnets = nodes.filter((n) => n.kind === 'vnet');
  const orphans = nodes.filter((n) => n.kind !== 'vnet' && (!n.parent || !nodes.some((p) => p.id === n.parent)));
  let x = 0;
  const placeColumn = (subnets: GraphNode[]) => {
    let y = 0;
    let width = 1;
    for (const subnet of subnets) {
      const inner = children(subnet.id);
      if (inner.length === 0) positions[subnet.id] = { x, y };
      inner.forEach((leaf, i) => (positions[leaf.id] = { x: x + i * 110, y }));
      width = Math.max(width, inner.length);
      y += inner.length ? 150 : 110;
    }
    x += Math.max(1, width) * 110 + 160;
  };
  for (const vnet of vnets) placeColumn(children(vnet.id));
  if (orphans.length) placeColumn(orphans.filter((o) => !o.parent || !positions[o.id]));
  return positions;
}
