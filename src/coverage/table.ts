/**
 * The article's coverage table (reference/seed-observations.md, "Coverage"), computed for a
 * scenario from per-probe results: a cell says whether the flow-log type recorded the sides of the
 * probes that belong to the column's traffic class. Nothing in it is a literal: a scenario whose
 * VNet flow log misses a NIC gets "partly recorded" in the VNet row.
 */
import type { Scenario, ServiceTagSet } from '../model/index.js';
import type { CoverageOptionsInput } from './config.js';
import {
  coverage,
  type CoverageReport,
  type Feature,
  type FlowLogType,
  type ProbeCoverage,
  type SideCoverage,
  type TypeCoverage,
} from './coverage.js';

export const TABLE_COLUMNS: readonly { key: Feature; title: string }[] = [
  { key: 'avnm', title: 'AVNM security admin rules' },
  { key: 'nonTcpUdp', title: 'Non-TCP/UDP (e.g. ICMP ping)' },
  { key: 'privateEndpoint', title: 'Traffic to a PaaS private endpoint' },
  { key: 'encryption', title: 'VNet encryption' },
];

export const TABLE_ROWS: readonly { type: FlowLogType; title: string }[] = [
  { type: 'nsg', title: 'NSG flow logs' },
  { type: 'vnet', title: 'VNet flow logs' },
];

export type CellValue = 'recorded' | 'not recorded' | 'partly recorded' | 'no such traffic';

export interface CoverageCell {
  value: CellValue;
  /** Sides of probes in this class that the flow-log type records. */
  recorded: number;
  /** Sides recorded only under one NSG order. */
  conditional: number;
  total: number;
}

export interface CoverageTableRow {
  type: FlowLogType;
  title: string;
  cells: Record<Feature, CoverageCell>;
}

export interface CoverageTable {
  profile: string;
  columns: typeof TABLE_COLUMNS;
  rows: CoverageTableRow[];
}

function cell(sides: readonly SideCoverage[], type: FlowLogType): CoverageCell {
  let recorded = 0;
  let conditional = 0;
  for (const s of sides) {
    const c: TypeCoverage = s[type];
    if (c.outcome === 'recorded') recorded++;
    else if (c.outcome === 'conditional') conditional++;
  }
  const total = sides.length;
  const value: CellValue =
    total === 0
      ? 'no such traffic'
      : recorded === total
        ? 'recorded'
        : recorded === 0 && conditional === 0
          ? 'not recorded'
          : 'partly recorded';
  return { value, recorded, conditional, total };
}

function tableFromReport(report: CoverageReport): CoverageTable {
  const byFeature = new Map<Feature, SideCoverage[]>(TABLE_COLUMNS.map((c) => [c.key, []]));
  for (const p of report.probes)
    for (const s of p.sides) for (const f of s.features) byFeature.get(f)!.push(s);
  return {
    profile: report.profile,
    columns: TABLE_COLUMNS,
    rows: TABLE_ROWS.map((r) => ({
      type: r.type,
      title: r.title,
      cells: Object.fromEntries(
        TABLE_COLUMNS.map((c) => [c.key, cell(byFeature.get(c.key)!, r.type)]),
      ) as Record<Feature, CoverageCell>,
    })),
  };
}

/**
 * The article's coverage table for a coverage report, or for a scenario (coverage is computed
 * first with `options`). Library entry point for `flowlens coverage` and `flowlens demo`.
 */
export function coverageTable(
  input: CoverageReport | Scenario,
  options: CoverageOptionsInput = {},
  serviceTags?: ServiceTagSet,
): CoverageTable {
  const report = 'probes' in input ? input : coverage(input, options, serviceTags);
  return tableFromReport(report);
}

function cellText(c: CoverageCell): string {
  if (c.value === 'partly recorded')
    return `partly recorded (${c.recorded}${c.conditional ? `+${c.conditional}?` : ''}/${c.total})`;
  return c.value;
}

/** Pads columns of a plain-text table (first row = header). */
export function formatTextTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The coverage table as Markdown, in the article's layout. */
export function renderCoverageTable(t: CoverageTable): string {
  const head = `| Type | ${t.columns.map((c) => c.title).join(' | ')} |`;
  const sep = `|---|${t.columns.map(() => '---').join('|')}|`;
  const body = t.rows.map(
    (r) => `| ${r.title} | ${t.columns.map((c) => cellText(r.cells[c.key])).join(' | ')} |`,
  );
  return [head, sep, ...body].join('\n');
}

const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };

export function flowText(p: ProbeCoverage): string {
  const proto = PROTOCOL_NAMES[p.protocol] ?? String(p.protocol);
  const port =
    p.protocol === 1
      ? ''
      : p.dstPorts[0] === p.dstPorts[1]
        ? `/${p.dstPort}`
        : `/${p.dstPorts[0]}-${p.dstPorts[1]}`;
  return `${p.from} → ${p.to} ${proto}${port}`;
}

function typeText(c: TypeCoverage): string {
  if (c.outcome === 'recorded')
    return `yes: ${c.flowLog} [${c.states.join('')}]${c.caveat ? ' (order caveat)' : ''}`;
  if (c.outcome === 'conditional') return `only if NSG order favours it: ${c.flowLog}`;
  return `no: ${c.reasonCode}${c.caveat ? ' (order caveat)' : ''}`;
}

/** One row per probe side: where it is recorded, or the reason code why not. */
export function renderProbeTable(report: CoverageReport): string {
  const rows: string[][] = [
    ['pattern', 'flow', 'at NIC', 'decision (rule)', 'NSG flow logs', 'VNet flow logs'],
  ];
  for (const p of report.probes) {
    for (const s of p.sides) {
      rows.push([
        p.pattern,
        flowText(p),
        `${s.vm ?? s.nic} (${s.direction})`,
        s.decidedBy === 'not-reached' ? 'not reached' : `${s.allowed ? 'allow' : 'deny'} (${s.rule})`,
        typeText(s.nsg),
        typeText(s.vnet),
      ]);
    }
    if (p.sides.length === 0)
      rows.push([p.pattern, flowText(p), '-', 'no NIC on the path', 'no: scope', 'no: scope']);
  }
  return formatTextTable(rows);
}

/** Reasons and caveats in full, and the blob of every recording (flow log, NIC). */
export function renderDetails(report: CoverageReport): string {
  const reasons = new Map<string, string>();
  const blobs = new Map<string, string>();
  for (const p of report.probes)
    for (const s of p.sides)
      for (const c of [s.nsg, s.vnet]) {
        if (c.reason && c.reasonCode) reasons.set(`${c.reasonCode}: ${c.reason}`, '');
        if (c.caveat) reasons.set(`order caveat: ${c.caveat}`, '');
        if (c.blob) blobs.set(`${c.flowLog} @ ${s.vm ?? s.nic}`, `${c.container}/${c.blob}`);
      }
  const out: string[] = ['Reasons:'];
  for (const r of [...reasons.keys()].sort()) out.push(`  ${r}`);
  out.push('', `Blobs (hour of ${report.at}):`);
  for (const [k, v] of [...blobs.entries()].sort()) out.push(`  ${k}: ${v}`);
  return out.join('\n');
}

/** The whole text report of `flowlens coverage`. */
export function renderCoverageReport(report: CoverageReport): string {
  const t = coverageTable(report);
  const title = `Coverage of ${report.scenario || 'scenario'} (profile ${report.profile}, NSG order ${report.nsgEvaluationOrder}${report.derived ? ', probes derived from NIC pairs' : ''})`;
  return [
    title,
    '',
    renderCoverageTable(t),
    '',
    renderProbeTable(report),
    '',
    renderDetails(report),
    '',
  ].join('\n');
}
