import type { KqlColumn, KustoType } from './schema.js';

/**
 * The small relational plan KQL is translated to before SQL. Every node knows its output columns
 * (names and Kusto types, exactly as Kusto.Language computed them), so dialects never guess.
 */

export type Expr =
  | { k: 'col'; name: string; type: KustoType }
  /** datetime: epoch milliseconds; timespan: microseconds; dynamic literals are not produced. */
  | { k: 'lit'; type: KustoType; value: string | number | boolean | null }
  | { k: 'fn'; fn: string; args: Expr[]; type: KustoType }
  /** `x in (a, b)` / `x !in (...)`, case-insensitive variants with `in~`. */
  | { k: 'in'; negated: boolean; caseInsensitive: boolean; expr: Expr; list: Expr[]; type: 'bool' };

export type AggFn =
  | 'count'
  | 'countif'
  | 'sum'
  | 'sumif'
  | 'avg'
  | 'min'
  | 'max'
  | 'dcount'
  | 'make_set'
  | 'make_list'
  | 'arg_max'
  | 'arg_min'
  | 'percentile';

export interface Aggregate {
  fn: AggFn;
  args: Expr[];
  /** Output column names: one, or for arg_max/arg_min the key column then the carried ones. */
  names: string[];
  /** arg_max/arg_min: the columns carried along (same length as names.slice(1)). */
  carried?: Expr[];
  type: KustoType;
}

export interface SortKey {
  expr: Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export type JoinKind = 'innerunique' | 'inner' | 'leftouter' | 'rightouter' | 'fullouter' | 'leftanti' | 'leftsemi' | 'rightanti' | 'rightsemi';

export type Plan = { columns: KqlColumn[] } & (
  | { op: 'scan'; table: string }
  | { op: 'filter'; input: Plan; predicate: Expr }
  | { op: 'project'; input: Plan; items: { name: string; expr: Expr }[] }
  | { op: 'aggregate'; input: Plan; keys: { name: string; expr: Expr }[]; aggregates: Aggregate[] }
  | { op: 'sort'; input: Plan; keys: SortKey[] }
  | { op: 'limit'; input: Plan; count: number }
  | { op: 'distinct'; input: Plan }
  | { op: 'join'; kind: JoinKind; left: Plan; right: Plan; on: { left: string; right: string }[] }
  | { op: 'union'; inputs: Plan[] }
  | { op: 'mvexpand'; input: Plan; name: string; expr: Expr; elementType: KustoType }
);

export interface ChartHint {
  type: string;
  properties: Record<string, string>;
}
