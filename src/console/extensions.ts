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

export async function loadKqlTranslator(): Promise<KqlTranslator | null> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('../query/index.js')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const fn = (mod.translateKql ?? mod.kqlToSql ?? mod.translate) as AnyFn | undefined;
  if (typeof fn !== 'function') return null;
  return async (kql, dialect) => {
    let out: unknown;
    try {
      out = await fn(kql, dialect);
    } catch (err) {
      throw toKqlError(err);
    }
    if (typeof out === 'string') return { sql: out, render: renderHint(kql) };
    const o = out as { sql?: string; errors?: unknown[]; diagnostics?: unknown[]; render?: unknown; renderHint?: unknown };
    const errs = o.errors ?? o.diagnostics;
    if (Array.isArray(errs) && errs.length && !o.sql) throw toKqlError({ errors: errs });
    if (typeof o.sql !== 'string') throw new KqlTranslationError([{ message: 'the KQL translator returned no SQL' }]);
    const render = typeof o.render === 'string' ? o.render : (o.render as { kind?: string } | undefined)?.kind ?? (typeof o.renderHint === 'string' ? o.renderHint : undefined);
    return { sql: o.sql, render: render ?? renderHint(kql) };
  };
}

function toKqlError(err: unknown): KqlTranslationError {
  const e = err as { message?: string; errors?: unknown[]; line?: number; column?: number; location?: { line?: number; column?: number } };
  if (Array.isArray(e?.errors)) {
    return new KqlTranslationError(
      e.errors.map((x) => {
        const d = x as { message?: string; line?: number; column?: number; location?: { line?: number; column?: number } };
        return { message: String(d.message ?? x), line: d.line ?? d.location?.line, column: d.column ?? d.location?.column };
      }),
    );
  }
  return new KqlTranslationError([
    { message: String(e?.message ?? err), line: e?.line ?? e?.location?.line, column: e?.column ?? e?.location?.column },
  ]);
}

export interface CoverageResult {
  available: boolean;
  reason?: string;
  /** Whatever the planner returns; the view renders its tables generically. */
  result?: unknown;
}

/** Runs the coverage planner on the loaded scenario, when both exist. */
export async function runCoverage(scenario: unknown): Promise<CoverageResult> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import('../coverage/index.js')) as Record<string, unknown>;
  } catch {
    return { available: false, reason: 'coverage planner not available in this build' };
  }
  const fn = (mod.planCoverage ?? mod.coverage ?? mod.analyzeCoverage ?? mod.coverageReport) as AnyFn | undefined;
  if (typeof fn !== 'function') return { available: false, reason: 'coverage planner not available in this build' };
  if (!scenario) return { available: false, reason: 'no topology loaded: start the console with --scenario FILE' };
  return { available: true, result: await fn(scenario) };
}
