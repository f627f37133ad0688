import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coverage, coverageTable, renderCoverageTable, TABLE_COLUMNS } from '../../src/coverage/index.js';
import { loadScenario } from '../../src/model/index.js';
import { EXAMPLES } from './support.js';

/** The article's table (reference/seed-observations.md, "Coverage"), copied verbatim into testdata. */
function articleTable(): { header: string[]; rows: Map<string, string[]> } {
  const lines = readFileSync(join(import.meta.dirname, 'testdata/article-coverage-table.md'), 'utf8')
    .trim()
    .split('\n');
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const header = cells(lines[0]);
  const rows = new Map(lines.slice(2).map((l) => [cells(l)[0], cells(l).slice(1)]));
  return { header, rows };
}

describe('coverage table', () => {
  const seedLab = loadScenario(join(EXAMPLES, 'seed-lab.yaml'));

  it('seed-lab under preview-2023 equals the article table, cell by cell', () => {
    const article = articleTable();
    const t = coverageTable(seedLab.scenario, { profile: 'preview-2023' }, seedLab.serviceTags);
    expect(article.header.slice(1)).toHaveLength(TABLE_COLUMNS.length);
    // Column titles line up with the article's (same order, the article's words).
    expect(TABLE_COLUMNS.map((c) => c.title.split(' ')[0])).toEqual(
      article.header.slice(1).map((h) => h.split(' ')[0]),
    );
    expect(t.rows.map((r) => r.title)).toEqual([...article.rows.keys()]);
    for (const row of t.rows) {
      const expected = article.rows.get(row.title)!;
      TABLE_COLUMNS.forEach((c, i) => {
        expect(row.cells[c.key].value, `${row.title} / ${c.title}`).toBe(expected[i]);
        expect(
          row.cells[c.key].total,
          `${row.title} / ${c.title}: cell computed from at least one flow`,
        ).toBeGreaterThan(0);
      });
    }
    const md = renderCoverageTable(t);
    expect(md).toContain('| NSG flow logs | not recorded | not recorded | not recorded | not recorded |');
    expect(md).toContain('| VNet flow logs | recorded | not recorded | not recorded | recorded |');
  });

  it('under ga, private-endpoint traffic is recorded by the VNet flow log at the source VM (the documented change)', () => {
    const t = coverageTable(seedLab.scenario, { profile: 'ga' }, seedLab.serviceTags);
    const vnet = t.rows.find((r) => r.type === 'vnet')!;
    expect(vnet.cells.privateEndpoint.value).toBe('recorded');
    const report = coverage(seedLab.scenario, { profile: 'ga' }, seedLab.serviceTags);
    const pe = report.probes.find((p) => p.kind === 'privateEndpoint')!;
    expect(pe.sides).toHaveLength(1);
    expect(pe.sides[0].direction).toBe('O');
    expect(pe.sides[0].vnet.blob).toContain(`macAddress=${pe.sides[0].mac}/`);
  });

  it('cells follow the configuration: without the hub VNet flow log the VNet row records nothing', () => {
    const scenario = {
      ...seedLab.scenario,
      flowLogs: seedLab.scenario.flowLogs.filter((f) => f.scope === 'nsg'),
    };
    const t = coverageTable(scenario, { profile: 'preview-2023' });
    const vnet = t.rows.find((r) => r.type === 'vnet')!;
    expect(vnet.cells.avnm.value).toBe('not recorded');
    expect(vnet.cells.encryption.value).toBe('not recorded');
  });
});
