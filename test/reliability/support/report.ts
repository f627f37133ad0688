/**
 * The reliability table: every scenario adds one row (cases tried, failures, rows lost, rows
 * duplicated) and the suite prints the table once at the end. All scenarios run in one test file
 * (reliability.test.ts imports them), so this module is shared by all of them.
 */
export interface ScenarioResult {
  scenario: string;
  cases: number;
  failures: number;
  /** null where the scenario moves no rows (fuzzing, hostile input, load). */
  lost: number | null;
  duplicated: number | null;
  note?: string;
}

const results: ScenarioResult[] = [];

export function record(result: ScenarioResult): void {
  results.push(result);
}

export function recorded(): readonly ScenarioResult[] {
  return results;
}

export function formatTable(rows: readonly ScenarioResult[]): string {
  const header = ['scenario', 'cases tried', 'failures', 'rows lost', 'rows duplicated', 'note'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.cases),
    String(r.failures),
    r.lost === null ? '-' : String(r.lost),
    r.duplicated === null ? '-' : String(r.duplicated),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}
