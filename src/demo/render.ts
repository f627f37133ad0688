import { formatTextTable } from '../coverage/table.js';
import {
  ARTICLE_AVNM,
  ARTICLE_COVERAGE,
  FEATURES,
  FEATURE_TITLES,
  type CoverageObservation,
  type DemoReport,
  type LogType,
} from './index.js';

const LOG_TITLES: Record<LogType, string> = { nsg: 'NSG flow logs', vnet: 'VNet flow logs' };

function mark(agrees: boolean): string {
  return agrees ? 'as the article' : 'DIFFERS from the article';
}

function coverageSection(c: CoverageObservation, compareWithArticle: boolean): string {
  const header = ['Type', ...FEATURES.map((f) => FEATURE_TITLES[f])];
  const rows = (['nsg', 'vnet'] as const).map((logType) => [
    LOG_TITLES[logType],
    ...FEATURES.map((f) => {
      const n = c.tuples[logType][f];
      if (!c.generated[f]) return 'no such traffic';
      return n > 0 ? `recorded (${n} tuples)` : 'not recorded';
    }),
  ]);
  let text = formatTextTable([header, ...rows]);
  if (compareWithArticle) {
    const differences = (['nsg', 'vnet'] as const).flatMap((logType) =>
      FEATURES.filter((f) => c.generated[f] && c.tuples[logType][f] > 0 !== ARTICLE_COVERAGE[logType][f]).map(
        (f) => `${LOG_TITLES[logType]} / ${FEATURE_TITLES[f]}`,
      ),
    );
    text += `\n${differences.length === 0 ? 'Every cell matches the article.' : `Differs from the article: ${differences.join('; ')}.`}`;
  }
  return text;
}

/** The demo's report as plain text: the article's tables, computed from the emitted logs. */
export function renderDemoReport(report: DemoReport): string {
  const out: string[] = [];
  out.push('1. Output formats (read from the emitted PT1H.json blobs and the store)');
  out.push(
    formatTextTable([
      ['Flow log type', 'Category', 'File format', 'Version', 'TCP written as', 'Deny written as', 'Traffic Analytics table (rows)'],
      ...report.formats.map((f) => [
        LOG_TITLES[f.logType],
        f.category,
        f.fileFormat,
        `${f.logType === 'vnet' ? 'flowLogVersion' : 'Version'} ${f.version}`,
        f.tcpProtocolAs,
        f.denyAs,
        `${f.analyticsTable} (${f.analyticsRows})`,
      ]),
    ]),
  );
  for (const c of report.coverage) {
    out.push('');
    out.push(`2. Coverage, profile ${c.profile} (tuples found in the store per traffic class)`);
    out.push(coverageSection(c, c.profile === 'preview-2023'));
  }
  out.push('');
  out.push('3. AVNM security admin rule × NSG rule on RDP (TCP/3389): what the VNet flow log recorded');
  out.push(
    formatTextTable([
      ['#', 'Admin rule', 'NSG rule', 'Recorded', 'Outcome', 'Rule in the log', 'States', 'Article'],
      ...report.avnm.map((r, i) => {
        const expected = ARTICLE_AVNM[i];
        const agrees =
          expected !== undefined &&
          expected.admin === r.adminAccess &&
          expected.nsg === r.nsgAccess &&
          expected.kind === r.recordedKind &&
          expected.outcome === r.recordedOutcome;
        return [String(r.case), r.adminAccess, r.nsgAccess, r.recordedKind, r.recordedOutcome, r.rules.join(', '), r.states.join(''), mark(agrees)];
      }),
    ]),
  );
  out.push('');
  out.push('4. What the NSG flow logs missed here (connections seen by VNet flow logs vs NSG flow logs)');
  if (report.nsgMissed.length === 0) out.push('nothing');
  // A generator that hits every NIC (encryption noise, scanners) is one line, not one per NIC.
  const byPattern = new Map<string, typeof report.nsgMissed>();
  for (const m of report.nsgMissed) byPattern.set(m.pattern, [...(byPattern.get(m.pattern) ?? []), m]);
  for (const [pattern, group] of byPattern) {
    const vnet = group.reduce((n, m) => n + m.vnetConnections, 0);
    const nsg = group.reduce((n, m) => n + m.nsgConnections, 0);
    const flow = group.length === 1 ? group[0].flow : `${group[0].flow.split(' → ')[0]} → ${group.length} destinations`;
    const reasons = [...new Set(group.flatMap((m) => m.reasons.map((r) => (group.length === 1 ? r : r.replace(/^at [^:]+: /, '')))))];
    const why = reasons.length > 0 ? ` — ${reasons.join('; ')}` : '';
    out.push(`- ${pattern}: ${flow}: VNet ${vnet}, NSG ${nsg} connections${why}`);
  }
  return out.join('\n');
}
