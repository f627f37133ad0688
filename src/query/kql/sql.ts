import type { KustoType } from './schema.js';
import type { Aggregate, Expr, Plan, SortKey } from './plan.js';

/**
 * Plan → SQL for DuckDB and for ClickHouse 18.16 (no window functions, no DateTime64, no -OrNull
 * combinators). The shape: consecutive filter/project/sort/limit steps merge into one SELECT;
 * aggregation, distinct, joins, unions and mv-expand close it into a subquery. Each subquery
 * names its columns `tN_i` (unique per layer) so that no alias can shadow a real column — a rule
 * ClickHouse needs because it resolves WHERE names against SELECT aliases — and the outermost
 * SELECT renames them to the Kusto column names.
 */

export type Dialect = 'duckdb' | 'clickhouse';

export interface SqlOptions {
  dialect: Dialect;
  /**
   * Kusto strings are never null ("" instead); our stores keep absent strings as NULL. When true
   * (default) string columns are read through coalesce(col, '') so isempty(), == "" and joins on
   * empty strings behave as in Kusto.
   */
  nullableStrings?: boolean;
  /** The instant now()/ago() refer to (epoch ms); default: the time of translation. */
  nowMs?: number;
}

export interface SqlResult {
  sql: string;
  /** Per-query settings the SQL relies on (ClickHouse: join_use_nulls for outer joins). */
  settings: Record<string, string | number>;
}

interface Column {
  name: string;
  type: KustoType;
  sql: string;
  /** Element type of dynamic (array) values when known. */
  elem?: KustoType;
}

interface Order {
  sql: string;
  desc: boolean;
  nullsFirst: boolean;
}

interface Sel {
  from: string;
  cols: Column[];
  where: string[];
  groupBy: string[] | null;
  orderBy: Order[];
  limit: number | null;
  distinct: boolean;
}

interface Gen {
  d: Dialect;
  nullableStrings: boolean;
  layer: number;
  nowMs: number;
  settings: Record<string, string | number>;
}

export function planToSql(plan: Plan, options: SqlOptions): SqlResult {
  const g: Gen = { d: options.dialect, nullableStrings: options.nullableStrings ?? true, layer: 0, nowMs: options.nowMs ?? Date.now(), settings: {} };
  const sel = build(g, plan);
  const inner = wrap(g, sel);
  const outerCols = inner.cols.map((c, i) => `${c.sql} AS ${ident(plan.columns[i].name)}`).join(', ');
  let sql = `SELECT ${outerCols} FROM ${inner.from}`;
  if (inner.orderBy.length) sql += ` ORDER BY ${orderSql(g, inner.orderBy)}`;
  return { sql, settings: g.settings };
}

// ---------------------------------------------------------------------------------------------
// building selects

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function open(sel: Sel): boolean {
  return sel.groupBy === null && !sel.distinct && sel.limit === null;
}

function build(g: Gen, plan: Plan): Sel {
  switch (plan.op) {
    case 'scan':
      return {
        from: ident(plan.table),
        cols: plan.columns.map((c) => {
          const ref = ident(c.name);
          const sql = (c.type === 'string' || c.type === 'guid') && g.nullableStrings ? `coalesce(${ref}, '')` : ref;
          return { name: c.name, type: c.type, sql };
        }),
        where: [],
        groupBy: null,
        orderBy: [],
        limit: null,
        distinct: false,
      };
    case 'filter': {
      let sel = build(g, plan.input);
      if (!open(sel)) sel = wrap(g, sel);
      sel.where.push(predicate(g, plan.predicate, sel.cols));
      return sel;
    }
    case 'project': {
      let sel = build(g, plan.input);
      if (sel.groupBy !== null || sel.distinct) sel = wrap(g, sel);
      const cols = plan.items.map((it, i) => ({
        name: it.name,
        type: plan.columns[i].type,
        sql: expr(g, it.expr, sel.cols),
        elem: elemType(it.expr, sel.cols),
      }));
      return { ...sel, cols };
    }
    case 'aggregate': {
      let sel = build(g, plan.input);
      if (!open(sel)) sel = wrap(g, sel);
      const keys = plan.keys.map((k) => ({ name: k.name, sql: expr(g, k.expr, sel.cols), elem: elemType(k.expr, sel.cols) }));
      const cols: Column[] = keys.map((k, i) => ({ name: k.name, type: plan.columns[i].type, sql: k.sql, elem: k.elem }));
      let i = keys.length;
      for (const a of plan.aggregates) {
        const sqls = aggregate(g, a, sel.cols);
        a.names.forEach((name, j) => {
          cols.push({ name, type: plan.columns[i].type, sql: sqls[j], elem: aggElem(a, j, sel.cols) });
          i++;
        });
      }
      return { ...sel, cols, groupBy: keys.map((k) => k.sql), orderBy: [] };
    }
    case 'sort': {
      let sel = build(g, plan.input);
      if (sel.groupBy !== null || sel.distinct || sel.limit !== null) sel = wrap(g, sel);
      return { ...sel, orderBy: plan.keys.map((k) => order(g, k, sel.cols)) };
    }
    case 'limit': {
      const sel = build(g, plan.input);
      return { ...sel, limit: sel.limit === null ? plan.count : Math.min(sel.limit, plan.count) };
    }
    case 'distinct': {
      let sel = build(g, plan.input);
      if (!open(sel)) sel = wrap(g, sel);
      return { ...sel, distinct: true, orderBy: [] };
    }
    case 'mvexpand':
      return mvexpand(g, plan);
    case 'join':
      return join(g, plan);
    case 'union':
      return union(g, plan);
  }
}

/** Closes a select into a subquery; carries the ordering (through hidden columns) outwards. */
function wrap(g: Gen, sel: Sel): Sel {
  const n = ++g.layer;
  const alias = `t${n}`;
  const parts = sel.cols.map((c, i) => `${c.sql} AS ${alias}_${i}`);
  const orderNames = sel.orderBy.map((_, j) => `${alias}_o${j}`);
  sel.orderBy.forEach((o, j) => parts.push(`${o.sql} AS ${orderNames[j]}`));
  let sql = `SELECT ${sel.distinct ? 'DISTINCT ' : ''}${parts.join(', ')} FROM ${sel.from}`;
  if (sel.where.length) sql += ` WHERE ${sel.where.map((w) => `(${w})`).join(' AND ')}`;
  if (sel.groupBy !== null && sel.groupBy.length) sql += ` GROUP BY ${sel.groupBy.join(', ')}`;
  if (sel.orderBy.length && sel.limit !== null) sql += ` ORDER BY ${orderSql(g, sel.orderBy)}`;
  if (sel.limit !== null) sql += ` LIMIT ${sel.limit}`;
  return {
    from: `(${sql}) AS ${alias}`,
    cols: sel.cols.map((c, i) => ({ name: c.name, type: c.type, sql: `${alias}_${i}`, elem: c.elem })),
    where: [],
    groupBy: null,
    orderBy: sel.orderBy.map((o, j) => ({ sql: orderNames[j], desc: o.desc, nullsFirst: o.nullsFirst })),
    limit: null,
    distinct: false,
  };
}

function subquery(g: Gen, plan: Plan): { sql: string; alias: string; cols: Column[] } {
  const sel = wrap(g, build(g, plan));
  const m = /^\((.*)\) AS (t\d+)$/s.exec(sel.from);
  if (!m) throw new Error('internal: unexpected subquery shape');
  return { sql: m[1], alias: m[2], cols: sel.cols };
}

function fresh(g: Gen, from: string, cols: Column[]): Sel {
  return { from, cols, where: [], groupBy: null, orderBy: [], limit: null, distinct: false };
}

function order(g: Gen, k: SortKey, cols: Column[]): Order {
  return { sql: expr(g, k.expr, cols), desc: k.desc, nullsFirst: k.nullsFirst };
}

function orderSql(g: Gen, orders: Order[]): string {
  return orders.map((o) => `${o.sql} ${o.desc ? 'DESC' : 'ASC'} NULLS ${o.nullsFirst ? 'FIRST' : 'LAST'}`).join(', ');
}

function mvexpand(g: Gen, plan: Extract<Plan, { op: 'mvexpand' }>): Sel {
  const input = wrap(g, build(g, plan.input));
  const n = ++g.layer;
  const alias = `t${n}`;
  const arr = expr(g, plan.expr, input.cols);
  const elem = elemType(plan.expr, input.cols) ?? 'string';
  const unnest = g.d === 'duckdb' ? `unnest(${arr})` : `arrayJoin(${arr})`;
  const converted = plan.elementType === 'dynamic' ? unnest : convert(g, unnest, elem, plan.elementType);
  const parts: string[] = [];
  const cols: Column[] = [];
  let replaced = false;
  plan.columns.forEach((c, i) => {
    if (c.name === plan.name) {
      parts.push(`${converted} AS ${alias}_${i}`);
      replaced = true;
    } else {
      const src = input.cols.find((x) => x.name === c.name);
      if (!src) throw new Error(`internal: mv-expand lost column ${c.name}`);
      parts.push(`${src.sql} AS ${alias}_${i}`);
    }
    cols.push({
      name: c.name,
      type: c.type,
      sql: `${alias}_${i}`,
      elem: c.name === plan.name ? undefined : input.cols.find((x) => x.name === c.name)?.elem,
    });
  });
  if (!replaced) throw new Error('internal: mv-expand target missing');
  const orderParts = input.orderBy.map((o, j) => `${o.sql} AS ${alias}_o${j}`);
  const sql = `SELECT ${[...parts, ...orderParts].join(', ')} FROM ${input.from}`;
  const sel = fresh(g, `(${sql}) AS ${alias}`, cols);
  sel.orderBy = input.orderBy.map((o, j) => ({ ...o, sql: `${alias}_o${j}` }));
  return sel;
}

function join(g: Gen, plan: Extract<Plan, { op: 'join' }>): Sel {
  const L = subquery(g, plan.left);
  const R = subquery(g, plan.right);
  const n = ++g.layer;
  const alias = `t${n}`;
  const lk = plan.on.map((o) => {
    const c = L.cols.find((x) => x.name === o.left);
    if (!c) throw new Error(`internal: join key ${o.left} missing on the left`);
    return c;
  });
  const rk = plan.on.map((o) => {
    const c = R.cols.find((x) => x.name === o.right);
    if (!c) throw new Error(`internal: join key ${o.right} missing on the right`);
    return c;
  });
  const outCols = (sources: Column[], offset: number): { parts: string[]; cols: Column[] } => {
    const parts: string[] = [];
    const cols: Column[] = [];
    sources.forEach((c, i) => {
      const out = plan.columns[offset + i];
      parts.push(`${c.sql} AS ${alias}_${offset + i}`);
      cols.push({ name: out.name, type: out.type, sql: `${alias}_${offset + i}`, elem: c.elem });
    });
    return { parts, cols };
  };

  if (plan.kind === 'leftsemi' || plan.kind === 'leftanti' || plan.kind === 'rightsemi' || plan.kind === 'rightanti') {
    const leftSide = plan.kind.startsWith('left');
    const keep = leftSide ? L : R;
    const other = leftSide ? R : L;
    const keepKeys = leftSide ? lk : rk;
    const otherKeys = leftSide ? rk : lk;
    const tuple = (cs: Column[]): string => (cs.length === 1 ? cs[0].sql : `(${cs.map((c) => c.sql).join(', ')})`);
    const notNull = (cs: Column[]): string => cs.map((c) => `${c.sql} IS NOT NULL`).join(' AND ');
    const inner = `SELECT ${otherKeys.map((c) => c.sql).join(', ')} FROM (${other.sql}) AS ${other.alias} WHERE ${notNull(otherKeys)}`;
    const member = `(${notNull(keepKeys)} AND ${tuple(keepKeys)} IN (${inner}))`;
    const { parts, cols } = outCols(keep.cols, 0);
    const cond = plan.kind.endsWith('semi') ? member : `NOT ${member}`;
    const sql = `SELECT ${parts.join(', ')} FROM (${keep.sql}) AS ${keep.alias} WHERE ${cond}`;
    return fresh(g, `(${sql}) AS ${alias}`, cols);
  }

  const left = outCols(L.cols, 0);
  const right = outCols(R.cols, L.cols.length);
  // The unmatched side of an outer join reads as null — except strings, which Kusto never nulls.
  const stringsNotNull = (parts: string[], cs: Column[]) =>
    cs.forEach((c, i) => {
      if (c.type === 'string' || c.type === 'guid') parts[i] = parts[i].replace(/^(.*) AS (t\d+_\d+)$/s, `coalesce($1, '') AS $2`);
    });
  if (plan.kind === 'rightouter' || plan.kind === 'fullouter') stringsNotNull(left.parts, L.cols);
  if (plan.kind === 'leftouter' || plan.kind === 'fullouter') stringsNotNull(right.parts, R.cols);
  const cols = [...left.cols, ...right.cols];
  let leftSql = L.sql;
  if (plan.kind === 'innerunique') leftSql = dedupe(g, L.sql, L.alias, L.cols, lk);
  const kind = { innerunique: 'INNER', inner: 'INNER', leftouter: 'LEFT', rightouter: 'RIGHT', fullouter: 'FULL' }[plan.kind];

  if (g.d === 'duckdb') {
    const on = lk.map((c, i) => `${L.alias}.${c.sql} = ${R.alias}.${rk[i].sql}`).join(' AND ');
    const parts = [...left.parts, ...right.parts];
    const sql = `SELECT ${parts.join(', ')} FROM (${leftSql}) AS ${L.alias} ${kind} JOIN (${R.sql}) AS ${R.alias} ON ${on}`;
    return fresh(g, `(${sql}) AS ${alias}`, cols);
  }

  // ClickHouse 18.16: JOIN ... USING over equal key names; key copies keep both sides' values.
  g.settings.join_use_nulls = 1;
  const keyNames = lk.map((_, i) => `${alias}_k${i}`);
  const keyType = (c: Column): string => chType(c.type);
  const side = (sql: string, a: string, cs: Column[], keys: Column[]): string =>
    `SELECT ${[...cs.map((c) => c.sql), ...keys.map((k, i) => `CAST(${k.sql} AS Nullable(${keyType(k)})) AS ${keyNames[i]}`)].join(', ')} FROM (${sql}) AS ${a}`;
  const parts = [...left.parts, ...right.parts];
  const chKind = { INNER: 'ALL INNER', LEFT: 'ALL LEFT', RIGHT: 'ALL RIGHT', FULL: 'ALL FULL' }[kind as 'INNER'];
  let sql = `SELECT ${parts.join(', ')} FROM (${side(leftSql, L.alias, L.cols, lk)}) ${chKind} JOIN (${side(R.sql, R.alias, R.cols, rk)}) USING (${keyNames.join(', ')})`;
  if (plan.kind === 'rightouter' || plan.kind === 'fullouter') {
    // ClickHouse 18.16 drops right rows whose key is NULL from RIGHT/FULL joins; Kusto keeps
    // them unmatched. Add them back.
    const nulls = L.cols.map((c, i) => `${c.type === 'string' || c.type === 'guid' ? "''" : nullOf(g, c.type)} AS ${alias}_${i}`);
    const anyNull = rk.map((k) => `${k.sql} IS NULL`).join(' OR ');
    sql += ` UNION ALL SELECT ${[...nulls, ...right.parts].join(', ')} FROM (${R.sql}) AS ${R.alias} WHERE ${anyNull}`;
    sql = `SELECT * FROM (${sql})`;
  }
  return fresh(g, `(${sql}) AS ${alias}`, cols);
}

/**
 * innerunique: Kusto keeps one left row per key value (which one is unspecified). We keep the
 * smallest row by (key, then every non-array column ascending, nulls last) so results are
 * deterministic and identical across engines.
 */
function dedupe(g: Gen, sql: string, alias: string, cols: Column[], keys: Column[]): string {
  const orderCols = [...keys, ...cols.filter((c) => c.type !== 'dynamic' && !keys.includes(c))];
  const orderBy = orderCols.map((c) => `${c.sql} ASC NULLS LAST`).join(', ');
  const all = cols.map((c) => c.sql).join(', ');
  const keyList = keys.map((k) => k.sql).join(', ');
  if (g.d === 'duckdb') return `SELECT DISTINCT ON (${keyList}) ${all} FROM (${sql}) AS ${alias} ORDER BY ${orderBy}`;
  return `SELECT ${all} FROM (${sql}) AS ${alias} ORDER BY ${orderBy} LIMIT 1 BY ${keyList}`;
}

function union(g: Gen, plan: Extract<Plan, { op: 'union' }>): Sel {
  const n = ++g.layer;
  const alias = `t${n}`;
  const branches = plan.inputs.map((input) => {
    const s = subquery(g, input);
    const parts = plan.columns.map((c, i) => {
      const src = s.cols.find((x) => x.name === c.name);
      // Kusto has no null strings: a column missing from one side reads as "".
      const isString = c.type === 'string' || c.type === 'guid';
      let v = src ? src.sql : isString ? "''" : nullOf(g, c.type);
      if (g.d === 'clickhouse' && isString) v = `CAST(coalesce(${v}, '') AS String)`;
      else if (g.d === 'clickhouse' && c.type !== 'dynamic') v = `CAST(${v} AS Nullable(${chType(c.type)}))`;
      return `${v} AS ${alias}_${i}`;
    });
    return { sql: `SELECT ${parts.join(', ')} FROM (${s.sql}) AS ${s.alias}`, cols: s.cols };
  });
  const cols = plan.columns.map((c, i) => ({
    name: c.name,
    type: c.type,
    sql: `${alias}_${i}`,
    elem: branches.map((b) => b.cols.find((x) => x.name === c.name)?.elem).find((e) => e !== undefined),
  }));
  const sql = branches.map((b) => b.sql).join(' UNION ALL ');
  return fresh(g, `(${g.d === 'clickhouse' ? `SELECT * FROM (${sql})` : sql}) AS ${alias}`, cols);
}

// ---------------------------------------------------------------------------------------------
// types

function duckType(t: KustoType): string {
  switch (t) {
    case 'bool':
      return 'BOOLEAN';
    case 'int':
      return 'INTEGER';
    case 'long':
    case 'timespan':
      return 'BIGINT';
    case 'real':
    case 'decimal':
      return 'DOUBLE';
    case 'datetime':
      return 'TIMESTAMP';
    default:
      return 'VARCHAR';
  }
}

function chType(t: KustoType): string {
  switch (t) {
    case 'bool':
      return 'UInt8';
    case 'int':
      return 'Int32';
    case 'long':
    case 'timespan':
      return 'Int64';
    case 'real':
    case 'decimal':
      return 'Float64';
    case 'datetime':
      return 'DateTime';
    default:
      return 'String';
  }
}

function nullOf(g: Gen, t: KustoType): string {
  if (t === 'dynamic') return g.d === 'duckdb' ? 'CAST(NULL AS VARCHAR[])' : 'emptyArrayString()';
  return g.d === 'duckdb' ? `CAST(NULL AS ${duckType(t)})` : `CAST(NULL AS Nullable(${chType(t)}))`;
}

function cast(g: Gen, sql: string, t: KustoType): string {
  return g.d === 'duckdb' ? `CAST(${sql} AS ${duckType(t)})` : `CAST(${sql} AS ${chNullable(t)})`;
}

function chNullable(t: KustoType): string {
  return `Nullable(${chType(t)})`;
}

// ---------------------------------------------------------------------------------------------
// scalar expressions

function elemType(e: Expr, cols: Column[]): KustoType | undefined {
  if (e.type !== 'dynamic') return undefined;
  if (e.k === 'col') return cols.find((c) => c.name === e.name)?.elem;
  if (e.k === 'fn') {
    if (e.fn === 'split') return 'string';
    if (e.fn === 'pack_array') return e.args[0].type;
    if (e.fn === 'iif' || e.fn === 'case') return elemType(e.args[1], cols);
    if (e.fn === 'index') return elemType(e.args[0], cols);
  }
  return undefined;
}

function aggElem(a: Aggregate, j: number, cols: Column[]): KustoType | undefined {
  if (a.fn === 'make_set' || a.fn === 'make_list') return a.args[0].type === 'dynamic' ? elemType(a.args[0], cols) : a.args[0].type;
  if ((a.fn === 'arg_max' || a.fn === 'arg_min') && j > 0) return a.carried ? elemType(a.carried[j - 1], cols) : undefined;
  return undefined;
}

function lit(g: Gen, value: string | number | boolean | null, type: KustoType): string {
  if (value === null) return nullOf(g, type);
  switch (type) {
    case 'string':
    case 'guid':
      return str(g, String(value));
    case 'bool':
      return g.d === 'duckdb' ? (value ? 'TRUE' : 'FALSE') : value ? 'toUInt8(1)' : 'toUInt8(0)';
    case 'int':
      return g.d === 'duckdb' ? `CAST(${value} AS INTEGER)` : `toInt32(${value})`;
    case 'long':
    case 'timespan':
      return g.d === 'duckdb' ? `CAST(${value} AS BIGINT)` : `toInt64(${value})`;
    case 'real':
      return g.d === 'duckdb' ? `CAST(${numberText(Number(value))} AS DOUBLE)` : `toFloat64(${numberText(Number(value))})`;
    case 'datetime': {
      const iso = new Date(Number(value)).toISOString().replace('T', ' ').replace('Z', '');
      return g.d === 'duckdb' ? `TIMESTAMP '${iso}'` : `toDateTime('${iso.slice(0, 19)}')`;
    }
    default:
      throw new Error(`internal: literal of type ${type}`);
  }
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return "'nan'";
  if (!Number.isFinite(n)) return n > 0 ? "'inf'" : "'-inf'";
  return String(n);
}

export function str(g: { d: Dialect }, s: string): string {
  if (g.d === 'duckdb') return `'${s.replace(/'/g, "''")}'`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function regexLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function expr(g: Gen, e: Expr, cols: Column[]): string {
  switch (e.k) {
    case 'col': {
      const c = cols.find((x) => x.name === e.name);
      if (!c) throw new Error(`internal: unknown column ${e.name}`);
      return c.sql;
    }
    case 'lit':
      return lit(g, e.value, e.type);
    case 'in': {
      const x = e.caseInsensitive ? lower(g, expr(g, e.expr, cols)) : expr(g, e.expr, cols);
      const items = e.list.map((i) => (e.caseInsensitive ? lower(g, expr(g, i, cols)) : expr(g, i, cols)));
      // Kusto: a null value is in no list; `!in` is its exact negation.
      const member = `coalesce(${x} IN (${items.join(', ')}), ${g.d === 'duckdb' ? 'FALSE' : '0'})`;
      return e.negated ? `(NOT ${member})` : member;
    }
    case 'fn':
      return fn(g, e, cols);
  }
}

/**
 * A condition as the engine's filter needs it: true only when the Kusto value is true (null and
 * false both drop the row). DuckDB's SQL logic is already three-valued; ClickHouse 18.16 treats
 * NULL inside and/or/not as false-ish, so there we compile "is true"/"is false" forms.
 */
function predicate(g: Gen, e: Expr, cols: Column[]): string {
  return g.d === 'duckdb' ? positive(g, e, cols) : truth(g, e, cols, true);
}

/**
 * DuckDB filter in positive position: `s == "x"` on a string column read through
 * coalesce(col, '') can compare the raw column instead (null and false both drop the row, and
 * and/or are monotone), which keeps the comparison visible to DuckDB's scan filters.
 */
function positive(g: Gen, e: Expr, cols: Column[]): string {
  if (e.k === 'fn' && (e.fn === 'and' || e.fn === 'or')) {
    return `(${positive(g, e.args[0], cols)} ${e.fn.toUpperCase()} ${positive(g, e.args[1], cols)})`;
  }
  if (e.k === 'fn' && e.fn === 'eq') {
    const [l, r] = e.args;
    const [c, v] = l.k === 'lit' ? [r, l] : [l, r];
    if (c.k === 'col' && v.k === 'lit' && typeof v.value === 'string' && v.value !== '') {
      const m = /^coalesce\((.*), ''\)$/s.exec(expr(g, c, cols));
      if (m) return `(${m[1]} = ${str(g, v.value)})`;
    }
  }
  return expr(g, e, cols);
}

/** Non-null 0/1 SQL: whether e is true (polarity) or whether e is false (!polarity). */
function truth(g: Gen, e: Expr, cols: Column[], polarity: boolean): string {
  if (e.k === 'fn' && (e.fn === 'and' || e.fn === 'or')) {
    const l = truth(g, e.args[0], cols, polarity);
    const r = truth(g, e.args[1], cols, polarity);
    // is-true of AND / is-false of OR need both; the other two need either.
    const both = (e.fn === 'and') === polarity;
    return `(${l} ${both ? 'AND' : 'OR'} ${r})`;
  }
  if (e.k === 'fn' && e.fn === 'not') return truth(g, e.args[0], cols, !polarity);
  const v = expr(g, e, cols);
  return polarity ? `(ifNull(${v}, 0) = 1)` : `(ifNull(${v}, 1) = 0)`;
}

function logicValue(g: Gen, e: Expr, cols: Column[]): string {
  return `multiIf(${truth(g, e, cols, true)}, toNullable(toUInt8(1)), ${truth(g, e, cols, false)}, toNullable(toUInt8(0)), NULL)`;
}

function lower(g: Gen, s: string): string {
  return g.d === 'duckdb' ? `lower(${s})` : `lowerUTF8(${s})`;
}

function tostr(g: Gen, sql: string, t: KustoType, elem?: KustoType): string {
  const d = g.d === 'duckdb';
  switch (t) {
    case 'string':
    case 'guid':
      return `coalesce(${sql}, '')`;
    case 'bool':
      return `coalesce(CASE WHEN ${sql} THEN 'true' WHEN NOT ${sql} THEN 'false' END, '')`;
    case 'int':
    case 'long':
      return d ? `coalesce(CAST(${sql} AS VARCHAR), '')` : `coalesce(toString(${sql}), '')`;
    case 'real':
      // Kusto prints whole doubles without a fraction ("3", not "3.0").
      return d
        ? `coalesce(CASE WHEN ${sql} = trunc(${sql}) AND abs(${sql}) < 1e15 THEN CAST(CAST(${sql} AS BIGINT) AS VARCHAR) ELSE CAST(${sql} AS VARCHAR) END, '')`
        : `coalesce(toString(${sql}), '')`;
    case 'datetime':
      return d ? `coalesce(strftime(${sql}, '%Y-%m-%dT%H:%M:%SZ'), '')` : `coalesce(formatDateTime(${sql}, '%Y-%m-%dT%H:%M:%SZ'), '')`;
    case 'timespan':
      return timespanText(g, sql);
    case 'dynamic': {
      // An array element (from indexing) arrives here typed as its element.
      if (elem === undefined) return d ? `coalesce(CAST(${sql} AS VARCHAR), '')` : `coalesce(toString(${sql}), '')`;
      return tostr(g, sql, elem);
    }
    default:
      throw new Error(`internal: tostring of ${t}`);
  }
}

function timespanText(g: Gen, us: string): string {
  // [-][d.]hh:mm:ss[.fffffff] as Kusto prints timespans.
  const d = g.d === 'duckdb';
  const abs = `abs(${us})`;
  const div = (a: string, b: string) => (d ? `(${a} // ${b})` : `intDiv(${a}, ${b})`);
  // ClickHouse 18.16 has no leftPad: pad by adding 10^n and dropping the leading 1.
  const pad = (x: string, n: number) => (d ? `lpad(CAST(${x} AS VARCHAR), ${n}, '0')` : `substring(toString(${10 ** n} + ${x}), 2)`);
  const days = div(abs, '86400000000');
  const hh = `(${div(abs, '3600000000')} % 24)`;
  const mm = `(${div(abs, '60000000')} % 60)`;
  const ss = `(${div(abs, '1000000')} % 60)`;
  const frac = `(${abs} % 1000000)`;
  const daysText = d ? `CAST(${days} AS VARCHAR)` : `toString(${days})`;
  const body = `concat(CASE WHEN ${us} < 0 THEN '-' ELSE '' END, CASE WHEN ${days} > 0 THEN concat(${daysText}, '.') ELSE '' END, ${pad(hh, 2)}, ':', ${pad(mm, 2)}, ':', ${pad(ss, 2)}, CASE WHEN ${frac} > 0 THEN concat('.', ${pad(frac, 6)}, '0') ELSE '' END)`;
  return `coalesce(${body}, '')`;
}

function convert(g: Gen, sql: string, from: KustoType, to: KustoType, elem?: KustoType): string {
  const d = g.d === 'duckdb';
  if (to === 'string') return tostr(g, sql, from, elem);
  const source = from === 'dynamic' ? (elem ?? 'string') : from;
  if (to === 'long' || to === 'int') {
    const target = to === 'int' ? (d ? 'INTEGER' : 'Int32') : d ? 'BIGINT' : 'Int64';
    if (source === 'string') {
      return d ? `TRY_CAST(${sql} AS ${target})` : `to${target}OrNull(${sql})`;
    }
    if (source === 'real') return d ? `TRY_CAST(trunc(${sql}) AS ${target})` : `CAST(trunc(${sql}) AS Nullable(${target}))`;
    if (source === 'bool') return d ? `CAST(${sql} AS ${target})` : `CAST(${sql} AS Nullable(${target}))`;
    if (source === 'datetime') return d ? `CAST(epoch_us(${sql}) * 10 + 621355968000000000 AS ${target})` : `CAST(toInt64(${sql}) * 10000000 + 621355968000000000 AS Nullable(${target}))`;
    return d ? `CAST(${sql} AS ${target})` : `CAST(${sql} AS Nullable(${target}))`;
  }
  if (to === 'real') {
    if (source === 'string') return d ? `TRY_CAST(${sql} AS DOUBLE)` : `toFloat64OrNull(${sql})`;
    return d ? `CAST(${sql} AS DOUBLE)` : `CAST(${sql} AS Nullable(Float64))`;
  }
  if (to === 'datetime') {
    if (source === 'datetime') return sql;
    if (source === 'string') return d ? `TRY_CAST(${sql} AS TIMESTAMP)` : `parseDateTimeBestEffortOrNull(${sql})`;
  }
  if (to === 'bool' && source === 'bool') return sql;
  if (to === source) return sql;
  throw new Error(`internal: conversion ${from} -> ${to}`);
}

const KUSTO_EPOCH_OFFSET_US = 62_135_596_800_000_000n; // 0001-01-01 → 1970-01-01

function fn(g: Gen, e: Extract<Expr, { k: 'fn' }>, cols: Column[]): string {
  const d = g.d === 'duckdb';
  const a = e.args.map((x) => expr(g, x, cols));
  const t = (i: number): KustoType => e.args[i].type;
  switch (e.fn) {
    case 'now':
      // Kusto evaluates now() once per query; the translator fixes it at translation time.
      return lit(g, g.nowMs, 'datetime');
    case 'add':
    case 'sub': {
      const op = e.fn === 'add' ? '+' : '-';
      if (t(0) === 'datetime' && t(1) === 'timespan') {
        return d ? `(${a[0]} ${op} to_microseconds(${a[1]}))` : `(${a[0]} ${op} intDiv(${a[1]}, 1000000))`;
      }
      if (t(0) === 'timespan' && t(1) === 'datetime' && e.fn === 'add') {
        return d ? `(${a[1]} + to_microseconds(${a[0]}))` : `(${a[1]} + intDiv(${a[0]}, 1000000))`;
      }
      if (t(0) === 'datetime' && t(1) === 'datetime') {
        return d ? `(epoch_us(${a[0]}) - epoch_us(${a[1]}))` : `((toInt64(${a[0]}) - toInt64(${a[1]})) * 1000000)`;
      }
      return arith(g, op, a, e.args, e.type);
    }
    case 'mul':
      return arith(g, '*', a, e.args, e.type);
    case 'div':
      if (e.type === 'real') return `(${cast(g, a[0], 'real')} / ${cast(g, a[1], 'real')})`;
      if (t(0) === 'timespan' && t(1) === 'timespan') return `(${cast(g, a[0], 'real')} / ${cast(g, a[1], 'real')})`;
      return d ? `CAST(${a[0]} // ${a[1]} AS ${duckType(e.type)})` : `CAST(intDiv(${a[0]}, ${a[1]}) AS ${chNullable(e.type)})`;
    case 'mod':
      return d ? `CAST(${a[0]} % ${a[1]} AS ${duckType(e.type)})` : `CAST(${a[0]} % ${a[1]} AS ${chNullable(e.type)})`;
    case 'neg':
      return `(-${a[0]})`;
    case 'eq':
      return `(${a[0]} = ${a[1]})`;
    case 'ne':
      return `(${a[0]} <> ${a[1]})`;
    case 'lt':
      return `(${a[0]} < ${a[1]})`;
    case 'le':
      return `(${a[0]} <= ${a[1]})`;
    case 'gt':
      return `(${a[0]} > ${a[1]})`;
    case 'ge':
      return `(${a[0]} >= ${a[1]})`;
    case 'and':
    case 'or':
    case 'not':
      if (!d) return logicValue(g, e, cols);
      return e.fn === 'not' ? `(NOT ${a[0]})` : `(${a[0]} ${e.fn.toUpperCase()} ${a[1]})`;
    case 'eq_ci':
      return `(${lower(g, a[0])} = ${lower(g, a[1])})`;
    case 'ne_ci':
      return `(${lower(g, a[0])} <> ${lower(g, a[1])})`;
    case 'has':
    case 'not_has': {
      const needle = e.args[1];
      let cond: string;
      if (needle.k === 'lit' && typeof needle.value === 'string') {
        const v = needle.value;
        if (v === '') cond = d ? 'TRUE' : '1';
        else {
          // Kusto terms are runs of ASCII letters and digits; `has` matches whole terms, ignoring case.
          const pre = /^[A-Za-z0-9]/.test(v) ? '(^|[^A-Za-z0-9])' : '';
          const post = /[A-Za-z0-9]$/.test(v) ? '($|[^A-Za-z0-9])' : '';
          // Lower-case both sides: ClickHouse 18.16 pre-filters regexes by a case-sensitive literal, so (?i) is unreliable there.
          const re = str(g, `${pre}${regexLiteral(v.toLowerCase())}${post}`);
          cond = d ? `regexp_matches(lower(${a[0]}), ${re})` : `match(lowerUTF8(${a[0]}), ${re})`;
        }
      } else throw new Error('internal: has with a non-constant term');
      return e.fn === 'has' ? cond : `(NOT ${cond})`;
    }
    case 'contains':
    case 'not_contains': {
      const cond = d ? `(strpos(lower(${a[0]}), lower(${a[1]})) > 0)` : `(position(lowerUTF8(${a[0]}), lowerUTF8(${a[1]})) > 0)`;
      return e.fn === 'contains' ? cond : `(NOT ${cond})`;
    }
    case 'startswith':
    case 'not_startswith': {
      const cond = d ? `starts_with(lower(${a[0]}), lower(${a[1]}))` : `startsWith(lowerUTF8(${a[0]}), lowerUTF8(${a[1]}))`;
      return e.fn === 'startswith' ? cond : `(NOT ${cond})`;
    }
    case 'endswith':
    case 'not_endswith': {
      const cond = d ? `suffix(lower(${a[0]}), lower(${a[1]}))` : `endsWith(lowerUTF8(${a[0]}), lowerUTF8(${a[1]}))`;
      return e.fn === 'endswith' ? cond : `(NOT ${cond})`;
    }
    case 'matches_regex':
      return d ? `regexp_matches(${a[0]}, ${a[1]})` : `match(${a[0]}, ${a[1]})`;
    case 'between': {
      let hi = a[2];
      if (t(0) === 'datetime' && t(2) === 'timespan') hi = fn(g, { k: 'fn', fn: 'add', args: [e.args[1], e.args[2]], type: 'datetime' }, cols);
      return `(${a[0]} >= ${a[1]} AND ${a[0]} <= ${hi})`;
    }
    case 'bin':
      return bin(g, e, a);
    case 'strcat': {
      const parts = e.args.map((x, i) => tostr(g, a[i], x.type, elemType(x, cols)));
      if (parts.length === 1) return parts[0];
      return d ? `(${parts.join(' || ')})` : `concat(${parts.join(', ')})`;
    }
    case 'split': {
      const delim = a[1];
      return d ? `string_split(${a[0]}, ${delim})` : `splitByString(${delim}, ifNull(${a[0]}, ''))`;
    }
    case 'index': {
      const arr = a[0];
      const idx = e.args[1];
      if (idx.k === 'lit' && typeof idx.value === 'number') {
        const i = idx.value;
        if (d) return `list_extract(${arr}, ${i >= 0 ? i + 1 : i})`;
        return i >= 0
          ? `if(length(${arr}) > ${i}, arrayElement(${arr}, ${i + 1}), NULL)`
          : `if(length(${arr}) >= ${-i}, arrayElement(${arr}, ${i}), NULL)`;
      }
      const n = a[1];
      if (d) return `CASE WHEN ${n} >= 0 THEN list_extract(${arr}, ${n} + 1) ELSE list_extract(${arr}, ${n}) END`;
      return `if(${n} >= 0, if(length(${arr}) > ${n}, arrayElement(${arr}, ${n} + 1), NULL), if(length(${arr}) >= -${n}, arrayElement(${arr}, ${n}), NULL))`;
    }
    case 'tostring':
      return tostr(g, a[0], t(0), elemType(e.args[0], cols));
    case 'toint':
      return convert(g, a[0], t(0), 'int', elemType(e.args[0], cols));
    case 'tolong':
      return convert(g, a[0], t(0), 'long', elemType(e.args[0], cols));
    case 'todouble':
      return convert(g, a[0], t(0), 'real', elemType(e.args[0], cols));
    case 'todatetime':
      return convert(g, a[0], t(0), 'datetime', elemType(e.args[0], cols));
    case 'tolower':
      return d ? `lower(${a[0]})` : `lowerUTF8(${a[0]})`;
    case 'toupper':
      return d ? `upper(${a[0]})` : `upperUTF8(${a[0]})`;
    case 'strlen':
      return d ? `CAST(length(${a[0]}) AS BIGINT)` : `toInt64(lengthUTF8(${a[0]}))`;
    case 'isempty':
      if (t(0) === 'string' || t(0) === 'guid') return d ? `(coalesce(${a[0]}, '') = '')` : `(ifNull(${a[0]}, '') = '')`;
      return `(${a[0]} IS NULL)`;
    case 'isnotempty':
      if (t(0) === 'string' || t(0) === 'guid') return d ? `(coalesce(${a[0]}, '') <> '')` : `(ifNull(${a[0]}, '') <> '')`;
      return `(${a[0]} IS NOT NULL)`;
    case 'isnull':
      if (t(0) === 'string' || t(0) === 'guid') return d ? 'FALSE' : '0';
      return `(${a[0]} IS NULL)`;
    case 'isnotnull':
      if (t(0) === 'string' || t(0) === 'guid') return d ? 'TRUE' : '1';
      return `(${a[0]} IS NOT NULL)`;
    case 'iif': {
      // ClickHouse needs one branch type (no Int64/Float64 supertype); Kusto already decided it.
      const br = (x: string) => (d || e.type === 'dynamic' ? x : `CAST(${x} AS ${chNullable(e.type)})`);
      return d ? `(CASE WHEN ${a[0]} THEN ${a[1]} ELSE ${a[2]} END)` : `multiIf(${predicate(g, e.args[0], cols)}, ${br(a[1])}, ${br(a[2])})`;
    }
    case 'case': {
      const pairs: string[] = [];
      const br = (x: string) => (d || e.type === 'dynamic' ? x : `CAST(${x} AS ${chNullable(e.type)})`);
      for (let i = 0; i + 1 < a.length; i += 2) pairs.push(d ? `WHEN ${a[i]} THEN ${a[i + 1]}` : `${predicate(g, e.args[i], cols)}, ${br(a[i + 1])}`);
      const other = br(a[a.length - 1]);
      return d ? `(CASE ${pairs.join(' ')} ELSE ${other} END)` : `multiIf(${pairs.join(', ')}, ${other})`;
    }
    case 'extract': {
      const re = e.args[0] as { value: string };
      const group = Number((e.args[1] as { value: number }).value);
      if (d) return `regexp_extract(${a[2]}, ${a[0]}, ${group})`;
      const whole = str(g, `(?s)^.*?(${re.value}).*$`);
      const grp = str(g, `(?s)^.*?${re.value}.*$`);
      return group === 0
        ? `if(match(${a[2]}, ${a[0]}), replaceRegexpOne(${a[2]}, ${whole}, '\\\\1'), '')`
        : `if(match(${a[2]}, ${a[0]}), replaceRegexpOne(${a[2]}, ${grp}, '\\\\${group}'), '')`;
    }
    case 'pack_array':
      return `[${a.join(', ')}]`;
    case 'array_length':
      return d ? `CAST(len(${a[0]}) AS BIGINT)` : `toInt64(length(${a[0]}))`;
    case 'coalesce': {
      if (e.type === 'string') {
        // Kusto: the first non-empty string.
        const parts = a.map((x) => (d ? `nullif(${x}, '')` : `nullIf(${x}, '')`));
        return `coalesce(${parts.join(', ')}, '')`;
      }
      return `coalesce(${a.join(', ')})`;
    }
    case 'ipv4_is_in_range':
      return ipv4InRange(g, a[0], String((e.args[1] as { value: string }).value));
    case 'format_datetime':
      return formatDatetime(g, a[0], String((e.args[1] as { value: string }).value));
    default:
      throw new Error(`internal: function ${e.fn}`);
  }
}

function arith(g: Gen, op: string, a: string[], args: Expr[], type: KustoType): string {
  if (type === 'real') return `(${cast(g, a[0], 'real')} ${op} ${cast(g, a[1], 'real')})`;
  if (g.d === 'duckdb') {
    // Same-typed operands already give the right type; a no-op CAST would only hide the expression.
    if (args.every((x) => x.type === type)) return `(${a[0]} ${op} ${a[1]})`;
    return `CAST(${a[0]} ${op} ${a[1]} AS ${duckType(type)})`;
  }
  return `CAST(${a[0]} ${op} ${a[1]} AS ${chNullable(type)})`;
}

function bin(g: Gen, e: Extract<Expr, { k: 'fn' }>, a: string[]): string {
  const d = g.d === 'duckdb';
  const size = Number((e.args[1] as { value: number }).value);
  const t0 = e.args[0].type;
  if (t0 === 'datetime') {
    // Kusto bins datetimes from 0001-01-01; the offset matters for sizes that do not divide a day.
    const off = Number(KUSTO_EPOCH_OFFSET_US % BigInt(Math.round(size)));
    if (d) {
      // Sizes that divide a day align the same from 0001-01-01 and from DuckDB's origins.
      const unit = { 1e6: 'second', 60e6: 'minute', 3600e6: 'hour', 86400e6: 'day' }[size];
      if (unit) return `date_trunc('${unit}', ${a[0]})`;
      if (86_400e6 % size === 0) return `time_bucket(to_microseconds(CAST(${size} AS BIGINT)), ${a[0]})`;
      const x = off ? `(epoch_us(${a[0]}) + ${off})` : `epoch_us(${a[0]})`;
      const floored = `(CAST(floor(${x} / ${size}) AS BIGINT) * ${size}${off ? ` - ${off}` : ''})`;
      return `make_timestamp(${floored})`;
    }
    if (size % 1_000_000 !== 0) throw new Error('internal: sub-second datetime bins on ClickHouse');
    const s = size / 1_000_000;
    const offS = off / 1_000_000;
    const x = offS ? `(toInt64(${a[0]}) + ${offS})` : `toInt64(${a[0]})`;
    return `toDateTime(intDiv(${x}, ${s}) * ${s}${offS ? ` - ${offS}` : ''})`;
  }
  const floor = `(floor(${cast(g, a[0], 'real')} / ${numberText(size)}) * ${numberText(size)})`;
  if (e.type === 'real') return floor;
  return d ? `CAST(${floor} AS ${duckType(e.type)})` : `CAST(${floor} AS ${chNullable(e.type)})`;
}

function ipv4Number(g: Gen, ip: string): string {
  if (g.d === 'duckdb') {
    const re = `'^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})$'`;
    const part = (i: number) => `CAST(regexp_extract(${ip}, ${re}, ${i}) AS BIGINT)`;
    return `(CASE WHEN regexp_matches(${ip}, ${re}) THEN ${part(1)} * 16777216 + ${part(2)} * 65536 + ${part(3)} * 256 + ${part(4)} END)`;
  }
  const re = `'^\\\\d{1,3}\\\\.\\\\d{1,3}\\\\.\\\\d{1,3}\\\\.\\\\d{1,3}$'`;
  return `if(match(${ip}, ${re}), toInt64(IPv4StringToNum(${ip})), NULL)`;
}

function ipv4InRange(g: Gen, ip: string, range: string): string {
  const [base, bitsText] = range.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const octets = base.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !(bits >= 0 && bits <= 32)) {
    return g.d === 'duckdb' ? 'CAST(NULL AS BOOLEAN)' : 'CAST(NULL AS Nullable(UInt8))';
  }
  const baseNum = ((octets[0] * 256 + octets[1]) * 256 + octets[2]) * 256 + octets[3];
  const block = 2 ** (32 - bits);
  const start = Math.floor(baseNum / block) * block;
  const n = ipv4Number(g, ip);
  return `(${n} >= ${start} AND ${n} < ${start + block})`;
}

const DATETIME_FORMAT: [string, string][] = [
  ['yyyy', '%Y'],
  ['yy', '%y'],
  ['MM', '%m'],
  ['dd', '%d'],
  ['HH', '%H'],
  ['mm', '%M'],
  ['ss', '%S'],
];

function formatDatetime(g: Gen, sql: string, format: string): string {
  let out = '';
  let i = 0;
  while (i < format.length) {
    const hit = DATETIME_FORMAT.find(([k]) => format.startsWith(k, i));
    if (hit) {
      out += hit[1];
      i += hit[0].length;
    } else if (/[-:/ T._,]/.test(format[i])) {
      out += format[i];
      i++;
    } else throw new Error(`internal: format_datetime specifier ${format.slice(i)}`);
  }
  return g.d === 'duckdb' ? `strftime(${sql}, ${str(g, out)})` : `formatDateTime(${sql}, ${str(g, out)})`;
}


// ---------------------------------------------------------------------------------------------
// aggregates

function aggregate(g: Gen, a: Aggregate, cols: Column[]): string[] {
  const d = g.d === 'duckdb';
  const x = a.args.map((e) => expr(g, e, cols));
  // ClickHouse returns 0/nan instead of NULL for an empty group; Kusto and DuckDB return null.
  const guard = (arg: string, value: string) => (d ? value : `if(count(${arg}) = 0, NULL, ${value})`);
  switch (a.fn) {
    case 'count':
      return [d ? 'count(*)' : 'toInt64(count())'];
    case 'countif':
      return [d ? `count(*) FILTER (WHERE ${x[0]})` : `toInt64(countIf(${predicate(g, a.args[0], cols)}))`];
    case 'sum':
      return [d ? `CAST(sum(${x[0]}) AS ${duckType(a.type)})` : guard(x[0], `CAST(sum(${x[0]}) AS ${chNullable(a.type)})`)];
    case 'sumif':
      return [
        d
          ? `CAST(sum(${x[0]}) FILTER (WHERE ${x[1]}) AS ${duckType(a.type)})`
          : `if(countIf(${predicate(g, a.args[1], cols)} AND isNotNull(${x[0]})) = 0, NULL, CAST(sumIf(${x[0]}, ${predicate(g, a.args[1], cols)}) AS ${chNullable(a.type)}))`,
      ];
    case 'avg':
      return [d ? `avg(${x[0]})` : guard(x[0], `avg(${x[0]})`)];
    case 'min':
      return [d ? `min(${x[0]})` : guard(x[0], `min(${x[0]})`)];
    case 'max':
      return [d ? `max(${x[0]})` : guard(x[0], `max(${x[0]})`)];
    case 'dcount':
      // ClickHouse's Null combinator turns an all-null group into NULL; Kusto counts 0.
      return [d ? `count(DISTINCT ${x[0]})` : `toInt64(ifNull(uniqExact(${x[0]}), 0))`];
    case 'make_set':
      return [d ? `list_sort(coalesce(list(DISTINCT ${x[0]}) FILTER (WHERE ${x[0]} IS NOT NULL), []))` : `arraySort(groupUniqArray(${x[0]}))`];
    case 'make_list':
      return [d ? `coalesce(list(${x[0]}) FILTER (WHERE ${x[0]} IS NOT NULL), [])` : `groupArray(${x[0]})`];
    case 'percentile': {
      const p = Number((a.args[1] as { value: number }).value) / 100;
      // Nearest-rank percentile over the exact values (Kusto estimates with T-Digest; on small
      // inputs it returns an input value, as this does).
      if (d) return [`list_sort(list(${x[0]}) FILTER (WHERE ${x[0]} IS NOT NULL))[greatest(1, CAST(ceil(${p} * count(${x[0]})) AS BIGINT))]`];
      return [guard(x[0], `arrayElement(arraySort(groupArray(${x[0]})), toUInt64(greatest(1, ceil(${p} * count(${x[0]})))))`)];
    }
    case 'arg_max':
    case 'arg_min': {
      const carried = (a.carried ?? []).map((e) => expr(g, e, cols));
      const all = [x[0], ...carried];
      if (d) {
        const struct = `struct_pack(${all.map((s, i) => `f${i} := ${s}`).join(', ')})`;
        const call = `${a.fn}(${struct}, ${x[0]})`;
        return all.map((_, i) => `(${call}).f${i}`);
      }
      const chFn = a.fn === 'arg_max' ? 'argMax' : 'argMin';
      const tuple = `tuple(${all.join(', ')})`;
      const call = `${chFn}If(${tuple}, assumeNotNull(${x[0]}), isNotNull(${x[0]}))`;
      return all.map((_, i) => `if(countIf(isNotNull(${x[0]})) = 0, NULL, tupleElement(${call}, ${i + 1}))`);
    }
  }
}
