import { translateKqlToPlan } from './translate.js';
import { planToSql, type Dialect, type SqlResult } from './sql.js';
import { defaultSchema, type KqlSchema } from './schema.js';
import type { ChartHint, Plan } from './plan.js';

export type { Dialect, SqlResult } from './sql.js';
export type { Plan, Expr, Aggregate, ChartHint, JoinKind, SortKey } from './plan.js';
export type { KqlSchema, KqlTable, KqlColumn, KustoType } from './schema.js';
export { KqlError } from './errors.js';
export { defaultSchema, NTANetAnalytics, NTAIpDetails, AzureNetworkAnalytics_CL, FlowTuples } from './schema.js';
export { translateKqlToPlan } from './translate.js';
export { planToSql } from './sql.js';

export interface TranslateOptions {
  dialect: Dialect;
  schema?: KqlSchema;
  /** See SqlOptions.nullableStrings. */
  nullableStrings?: boolean;
  /** Epoch ms that now() and ago() refer to; default: now. */
  nowMs?: number;
}

export interface KqlTranslation extends SqlResult {
  plan: Plan;
  /** `render` is not executed; it is returned as a hint for charts. */
  chart: ChartHint | null;
}

/** KQL → SQL for one dialect. Throws KqlError (exit code 2) for invalid or unsupported queries. */
export function translateKql(kql: string, options: TranslateOptions): KqlTranslation {
  const { plan, chart } = translateKqlToPlan(kql, options.schema ?? defaultSchema);
  const sql = planToSql(plan, { dialect: options.dialect, nullableStrings: options.nullableStrings, nowMs: options.nowMs });
  return { ...sql, plan, chart };
}
