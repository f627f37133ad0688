/**
 * Adapters to modules that other stages provide (KQL translator, coverage planner). They are
 * loaded lazily so the console works, and says what is missing, before those modules exist.
 */

export interface KqlTranslation {
  sql: string;
  /** Chart type from a trailing `render` operator, e.g. `columnchart`. */
  render?: string;
}

export interface KqlErrorLocation {
  message: string;
  line?: number;
  column?: number;
}

export type KqlTranslator = (kql: string, dialect: 'duckdb' | 'clickhouse') => Promise<KqlTranslation>;

/** A located error from the translator, passed to the browser as is. */
export class KqlTranslationError extends Error {
  constructor(readonly errors: KqlErrorLocation[]) {
    super(errors.map((e) => (e.line ? `${e.line}:${e.column ?? 1} ${e.message}` : e.message)).join('; '));
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/** The `render` hint of a KQL query, read from its last pipe stage. */
export function renderHint(kql: string): string | undefined {
  const m = /\|\s*render\s+([A-Za-z]+)[^|]*$/.exec(kql.replace(/\/\/[^\n]*/g, ''));
  return m?.[1];
}

/** What the translator needs to read the store's own columns (a console backend fits). */
export interface SchemaSource {
  readonly dialect: 'duckdb' | 'clickhouse';
  query(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
}

/**
 * The KQL translator of src/query (Kusto.Language parser → plan → SQL for the dialect). Given the
 * store, it translates against the store's real columns (read once), as `flowlens query` does, so
 * `take` and `project *` name only columns the views have.
 */
export async function loadKqlTranslator(store?: SchemaSource): Promise<KqlTranslator | null> {
  let mod: { explainKql?: AnyFn; schemaFromStore?: AnyFn; KqlError?: new (...a: never[]) => Error };
  try {
    mod = (await import('../query/index.js')) as typeof mod;
  } catch {
    return null;
  }
  const explain = mod.explainKql;
  if (typeof explain !== 'function') return null;
  const readSchema = mod.schemaFromStore;
  let schema: Promise<unknown> | undefined;
  return async (kql, dialect) => {
    if (store && typeof readSchema === 'function') schema ??= Promise.resolve(readSchema(store));
    let out: { sql?: string; chart?: { type?: string } | null };
    try {
      out = explain(kql, dialect, schema ? await schema : undefined) as typeof out;
    } catch (err) {
      throw toKqlError(err);
    }
    if (typeof out?.sql !== 'string') throw new KqlTranslationError([{ message: 'the KQL translator returned no SQL' }]);
    return { sql: out.sql, render: out.chart?.type ?? renderHint(kql) };
  };
}

function toKqlError(err: unknown): KqlTranslationError {
  const e = err as { message?: string; reason?: string; errors?: unknown[]; line?: number; column?: number; location?: { line?: number; column?: number } };
  if (Array.isArray(e?.errors)) {
    return new KqlTranslationError(
      e.errors.map((x) => {
        const d = x as { message?: string; line?: number; column?: number; location?: { line?: number; column?: number } };
        return { message: String(d.message ?? x), line: d.line ?? d.location?.line, column: d.column ?? d.location?.column };
      }),
    );
  }
  return new KqlTranslationError([
    { message: String(e?.message ?? e?.reason ?? err), line: e?.line ?? e?.location?.line, column: e?.column ?? e?.location?.column },
  ]);
}

export interface CoverageResult {
  available: boolean;
  reason?: string;
  /** Whatever the planner returns; the view renders its tables generically. */
  result?: unknown;
}

/**
 * Runs the coverage planner (src/coverage) on the loaded scenario: the article's table computed
 * for this topology, and per traffic pattern which flow log records it and why not.
 */
export async function runCoverage(scenario: unknown, profile = 'ga'): Promise<CoverageResult> {
  let mod: { coverage?: AnyFn; coverageTable?: AnyFn };
  try {
    mod = (await import('../coverage/index.js')) as typeof mod;
  } catch (err) {
    return { available: false, reason: `coverage planner failed to load: ${(err as Error).message}` };
  }
  if (typeof mod.coverage !== 'function' || typeof mod.coverageTable !== 'function') {
    return { available: false, reason: 'coverage planner not available in this build' };
  }
  if (!scenario) return { available: false, reason: 'no topology loaded: start the console with --scenario FILE' };
  const report = mod.coverage(scenario, { profile }) as CoverageReportShape;
  const table = mod.coverageTable(report) as CoverageTableShape;
  const outcome = (c: TypeCoverageShape) =>
    c.outcome === 'recorded' ? `recorded by ${c.flowLog} [${c.states.join('')}]` : c.outcome === 'conditional' ? `only if the NSG order favours it (${c.flowLog})` : `not recorded: ${c.reasonCode ?? c.reason ?? ''}`;
  return {
    available: true,
    result: {
      summary: { scenario: report.scenario, profile: report.profile, 'blob hour': report.at, 'NSG evaluation order': report.nsgEvaluationOrder },
      'What each flow-log type records': table.rows.map((r) => ({
        'flow-log type': r.title,
        ...Object.fromEntries(table.columns.map((c) => [c.title, `${r.cells[c.key].value} (${r.cells[c.key].recorded}/${r.cells[c.key].total})`])),
      })),
      'Flow logs': report.flowLogs,
      'Traffic patterns': report.probes.flatMap((p) =>
        p.sides.map((side) => ({
          pattern: p.pattern,
          flow: `${p.from} → ${p.to} ${p.protocol === 6 ? 'TCP' : p.protocol === 17 ? 'UDP' : p.protocol}/${p.dstPort}`,
          NIC: side.nic,
          direction: side.direction,
          decision: `${side.allowed ? 'allowed' : 'denied'} (${side.rule})`,
          'NSG flow logs': outcome(side.nsg),
          'VNet flow logs': outcome(side.vnet),
        })),
      ),
    },
  };
}

interface TypeCoverageShape {
  outcome: string;
  flowLog: string | null;
  states: string[];
  reason: string | null;
  reasonCode: string | null;
}
interface CoverageReportShape {
  scenario: string;
  profile: string;
  at: string;
  nsgEvaluationOrder: string;
  flowLogs: unknown[];
  probes: {
    pattern: string;
    from: string;
    to: string;
    protocol: number;
    dstPort: number;
    sides: { nic: string; direction: string; allowed: boolean; rule: string; nsg: TypeCoverageShape; vnet: TypeCoverageShape }[];
  }[];
}
interface CoverageTableShape {
  columns: readonly { key: string; title: string }[];
  rows: { title: string; cells: Record<string, { value: string; recorded: number; total: number }> }[];
}
