import type { KqlColumn, KqlSchema, KustoType } from './schema.js';
import type { Aggregate, AggFn, ChartHint, Expr, JoinKind, Plan, SortKey } from './plan.js';
import { KqlError } from './errors.js';
import { globalStateFor, nodeType, parseAndAnalyze, type KNode } from './kusto.js';

/**
 * Kusto syntax tree (already analysed, so every expression carries its type and every name its
 * symbol) → Plan. Anything outside the supported subset throws "not supported: <what> at
 * line:col"; nothing is ever approximated.
 */

export interface TranslateResult {
  plan: Plan;
  chart: ChartHint | null;
}

type Binding = { kind: 'scalar'; expr: Expr } | { kind: 'tabular'; plan: Plan };

interface Ctx {
  text: string;
  schema: KqlSchema;
  env: Map<string, Binding>;
  chart: ChartHint | null;
}

const KUSTO_TYPES = new Set(['bool', 'int', 'long', 'real', 'decimal', 'string', 'datetime', 'timespan', 'dynamic', 'guid']);

/** Translated queries by their exact text, per Kusto GlobalState (one per distinct schema). */
const translations = new WeakMap<KNode, Map<string, TranslateResult>>();
const TRANSLATIONS_PER_SCHEMA = 256;

/**
 * Text → plan. A text already translated against the same schema returns the earlier (frozen)
 * result: the plan depends on nothing but the text and the schema (now()/ago() are fixed later,
 * when SQL is generated), and parsing plus Kusto's semantic analysis is nearly all of the cost.
 * Invalid or unsupported text is not remembered; it throws again each time.
 */
export function translateKqlToPlan(text: string, schema: KqlSchema): TranslateResult {
  const gs = globalStateFor(schema);
  let cache = translations.get(gs);
  if (!cache) translations.set(gs, (cache = new Map()));
  const hit = cache.get(text);
  if (hit) {
    // Least recently used goes first when the cache is full: move this text to the end.
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const result = deepFreeze(translateUncached(text, schema));
  if (cache.size >= TRANSLATIONS_PER_SCHEMA) cache.delete(cache.keys().next().value as string);
  cache.set(text, result);
  return result;
}

/** Shared results must not change under their next user; freezing makes a stray write throw. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function translateUncached(text: string, schema: KqlSchema): TranslateResult {
  const code = parseAndAnalyze(text, schema);
  const ctx: Ctx = { text, schema, env: new Map(), chart: null };
  const block = code.Syntax;
  if (nodeType(block) !== 'QueryBlock') unsupported(ctx, block, 'this kind of statement');
  if (block.Directives && block.Directives.Count > 0) unsupported(ctx, block.Directives, 'directives');
  const statements = list(block.Statements);
  let plan: Plan | null = null;
  for (const statement of statements) {
    const type = nodeType(statement);
    if (plan) unsupported(ctx, statement, 'more than one query statement');
    if (type === 'LetStatement') {
      const name: string = statement.Name.SimpleName;
      const value = statement.Expression;
      const valueType = nodeType(value);
      if (valueType === 'FunctionDeclaration') unsupported(ctx, value, 'user-defined functions (let with parameters)');
      if (isTabular(value)) ctx.env.set(name, { kind: 'tabular', plan: tabular(ctx, value) });
      else ctx.env.set(name, { kind: 'scalar', expr: scalar(ctx, value) });
    } else if (type === 'ExpressionStatement') {
      plan = tabular(ctx, statement.Expression);
    } else {
      unsupported(ctx, statement, statementName(type));
    }
  }
  if (!plan) throw new KqlError('the query has no tabular expression to run', text, text.length, 'invalid');
  return { plan, chart: ctx.chart };
}

function statementName(type: string): string {
  return type.replace(/Statement$/, '').toLowerCase() + ' statements';
}

// ---------------------------------------------------------------------------------------------
// helpers over the Bridge syntax tree

function list(syntaxList: KNode): KNode[] {
  const out: KNode[] = [];
  if (!syntaxList) return out;
  for (let i = 0; i < syntaxList.Count; i++) {
    const item = syntaxList.getItem(i);
    out.push(nodeType(item).startsWith('SeparatedElement') ? item.Element : item);
  }
  return out;
}

function unsupported(ctx: Ctx, node: KNode, what: string): never {
  throw new KqlError(what, ctx.text, node ? node.TextStart : 0, 'unsupported');
}

function isTabular(node: KNode): boolean {
  const rt = node.ResultType;
  return rt != null && nodeType(rt) === 'TableSymbol';
}

function kustoType(ctx: Ctx, node: KNode, typeSymbol: KNode): KustoType {
  const name = typeSymbol ? String(typeSymbol.Name) : '';
  if (KUSTO_TYPES.has(name)) return name as KustoType;
  return unsupported(ctx, node, `values of type ${name || 'unknown'}`);
}

function columnsOf(ctx: Ctx, node: KNode): KqlColumn[] {
  const rt = node.ResultType;
  if (!rt || nodeType(rt) !== 'TableSymbol') unsupported(ctx, node, 'a non-tabular result here');
  const cols = rt.Columns;
  const out: KqlColumn[] = [];
  for (let i = 0; i < cols.Count; i++) {
    const c = cols.getItem(i);
    out.push({ name: String(c.Name), type: kustoType(ctx, node, c.Type) });
  }
  return out;
}

function keyword(node: KNode): string {
  return String(node.ToString ? node.ToString() : '').trim();
}

function firstToken(node: KNode): string {
  const t = node.GetFirstToken ? node.GetFirstToken() : null;
  return t ? String(t.Text) : keyword(node).split(/\s+/)[0];
}

// ---------------------------------------------------------------------------------------------
// tabular expressions

function tabular(ctx: Ctx, node: KNode): Plan {
  const type = nodeType(node);
  switch (type) {
    case 'PipeExpression': {
      const input = tabular(ctx, node.Expression);
      return operator(ctx, input, node.Operator, node);
    }
    case 'ParenthesizedExpression':
      return tabular(ctx, node.Expression);
    case 'NameReference': {
      const name: string = node.SimpleName;
      const bound = ctx.env.get(name);
      if (bound && bound.kind === 'tabular') return bound.plan;
      const sym = node.ReferencedSymbol;
      if (sym && nodeType(sym) === 'TableSymbol' && ctx.schema.tables.some((t) => t.name === name)) {
        return { op: 'scan', table: name, columns: columnsOf(ctx, node) };
      }
      return unsupported(ctx, node, `the tabular reference ${name}`);
    }
    case 'UnionOperator':
      // `union A, B` at the start of a query (not after a pipe).
      return union(ctx, null, node);
    default:
      return unsupported(ctx, node, describeNode(node));
  }
}

function describeNode(node: KNode): string {
  const type = nodeType(node);
  if (type.endsWith('Operator')) return `operator '${firstToken(node)}'`;
  if (type === 'FunctionCallExpression') return `function '${node.Name.SimpleName}'`;
  return `expression '${keyword(node).slice(0, 40)}'`;
}

function operator(ctx: Ctx, input: Plan, op: KNode, pipe: KNode): Plan {
  if (ctx.chart) unsupported(ctx, op, 'operators after render');
  const type = nodeType(op);
  const columns = (): KqlColumn[] => columnsOf(ctx, pipe);
  switch (type) {
    case 'FilterOperator':
      noParameters(ctx, op);
      return { op: 'filter', input, predicate: scalar(ctx, op.Condition), columns: input.columns };
    case 'ExtendOperator':
      return extend(ctx, input, list(op.Expressions), columns());
    case 'ProjectOperator':
      return project(ctx, input, list(op.Expressions), columns());
    case 'ProjectAwayOperator':
    case 'ProjectRenameOperator':
      return reshape(ctx, input, op, columns());
    case 'SummarizeOperator':
      return summarize(ctx, input, op, columns());
    case 'TakeOperator':
      noParameters(ctx, op);
      return { op: 'limit', input, count: countLiteral(ctx, op.Expression), columns: input.columns };
    case 'TopOperator': {
      noParameters(ctx, op);
      const keys = [sortKey(ctx, op.ByExpression)];
      const sorted: Plan = { op: 'sort', input, keys, columns: input.columns };
      return { op: 'limit', input: sorted, count: countLiteral(ctx, op.Expression), columns: input.columns };
    }
    case 'SortOperator':
      noParameters(ctx, op);
      return { op: 'sort', input, keys: list(op.Expressions).map((e) => sortKey(ctx, e)), columns: input.columns };
    case 'DistinctOperator': {
      noParameters(ctx, op);
      const exprs = list(op.Expressions);
      if (exprs.length === 1 && nodeType(exprs[0]) === 'StarExpression') return { op: 'distinct', input, columns: input.columns };
      const projected = project(ctx, input, exprs, columns());
      return { op: 'distinct', input: projected, columns: projected.columns };
    }
    case 'CountOperator': {
      if (op.AsIdentifier) unsupported(ctx, op.AsIdentifier, "count 'as'");
      const cols = columns();
      return {
        op: 'aggregate',
        input,
        keys: [],
        aggregates: [{ fn: 'count', args: [], names: [cols[0].name], type: 'long' }],
        columns: cols,
      };
    }
    case 'JoinOperator':
      return join(ctx, input, op, columns());
    case 'UnionOperator':
      return union(ctx, input, op, pipe);
    case 'MvExpandOperator':
      return mvExpand(ctx, input, op, columns());
    case 'RenderOperator': {
      if (op.WithClause) {
        const properties: Record<string, string> = {};
        for (const p of list(op.WithClause.Properties)) properties[p.Name.SimpleName] = keyword(p.Expression);
        ctx.chart = { type: String(op.ChartType.Text), properties };
      } else ctx.chart = { type: String(op.ChartType.Text), properties: {} };
      return input;
    }
    default:
      return unsupported(ctx, op, `operator '${firstToken(op)}'`);
  }
}

function noParameters(ctx: Ctx, op: KNode): void {
  const params = op.Parameters ? list(op.Parameters) : [];
  if (params.length) unsupported(ctx, params[0], `parameter '${params[0].Name.SimpleName}' of '${firstToken(op)}'`);
}

function countLiteral(ctx: Ctx, node: KNode): number {
  const e = scalar(ctx, node);
  if (e.k !== 'lit' || typeof e.value !== 'number' || !Number.isInteger(e.value) || e.value < 0) {
    return unsupported(ctx, node, 'a row count that is not a constant whole number');
  }
  return e.value;
}

function sortKey(ctx: Ctx, node: KNode): SortKey {
  let expr = node;
  let desc = true; // Kusto sorts descending by default
  let nullsFirst: boolean | null = null;
  if (nodeType(node) === 'OrderedExpression') {
    expr = node.Expression;
    const ordering = node.Ordering;
    if (ordering) {
      if (ordering.AscOrDescKeyword) desc = String(ordering.AscOrDescKeyword.Text).toLowerCase() !== 'asc';
      if (ordering.NullsClause) nullsFirst = String(ordering.NullsClause.FirstOrLastKeyword.Text).toLowerCase() === 'first';
    }
  }
  // Kusto's defaults: nulls first when ascending, nulls last when descending.
  if (nullsFirst === null) nullsFirst = !desc;
  return { expr: scalar(ctx, expr), desc, nullsFirst };
}

/** Name an output column gets when the expression carries no explicit name. */
function itemName(node: KNode): string | null {
  const type = nodeType(node);
  if (type === 'SimpleNamedExpression') return node.Name.SimpleName;
  if (type === 'NameReference') return node.SimpleName;
  return null;
}

function itemExpr(node: KNode): KNode {
  return nodeType(node) === 'SimpleNamedExpression' ? node.Expression : node;
}

function assignNames(ctx: Ctx, items: KNode[], fresh: string[]): string[] {
  const pool = [...fresh];
  return items.map((item) => {
    if (nodeType(item) === 'CompoundNamedExpression') unsupported(ctx, item, 'tuple assignment (a, b) = ...');
    const n = itemName(item);
    if (n !== null) {
      const i = pool.indexOf(n);
      if (i >= 0) pool.splice(i, 1);
      return n;
    }
    const next = pool.shift();
    if (next === undefined) return unsupported(ctx, item, 'this unnamed expression');
    return next;
  });
}

function project(ctx: Ctx, input: Plan, items: KNode[], out: KqlColumn[]): Plan {
  for (const item of items) {
    const t = nodeType(item);
    if (t === 'StarExpression' || t === 'WildcardedNameReference') unsupported(ctx, item, 'wildcards in project');
  }
  if (items.length !== out.length) unsupported(ctx, items[0], 'this project list');
  const names = out.map((c) => c.name);
  const projected = items.map((item, i) => ({ name: names[i], expr: scalar(ctx, itemExpr(item)) }));
  return { op: 'project', input, items: projected, columns: out };
}

function extend(ctx: Ctx, input: Plan, items: KNode[], out: KqlColumn[]): Plan {
  const inputNames = new Set(input.columns.map((c) => c.name));
  const fresh = out.map((c) => c.name).filter((n) => !inputNames.has(n));
  const names = assignNames(ctx, items, fresh);
  // Kusto evaluates extend items left to right and a later item can use an earlier one.
  let current = input;
  for (let i = 0; i < items.length; i++) {
    const expr = scalar(ctx, itemExpr(items[i]));
    const name = names[i];
    const exists = current.columns.some((c) => c.name === name);
    const cols = exists
      ? current.columns.map((c) => (c.name === name ? { name, type: expr.type } : c))
      : [...current.columns, { name, type: expr.type }];
    const projItems = cols.map((c) =>
      c.name === name ? { name, expr } : { name: c.name, expr: { k: 'col', name: c.name, type: c.type } as Expr },
    );
    current = { op: 'project', input: current, items: projItems, columns: cols };
  }
  // Trust Kusto's final column list (order and types) over our own bookkeeping.
  const last = current as Extract<Plan, { op: 'project' }>;
  if (last.op === 'project' && last.columns.length === out.length) {
    last.columns = out;
    last.items = last.items.map((it, i) => ({ name: out[i].name, expr: it.expr }));
  }
  return current;
}

function reshape(ctx: Ctx, input: Plan, op: KNode, out: KqlColumn[]): Plan {
  const renames = new Map<string, string>(); // new name -> old name
  if (nodeType(op) === 'ProjectRenameOperator') {
    for (const item of list(op.Expressions)) {
      if (nodeType(item) !== 'SimpleNamedExpression' || nodeType(item.Expression) !== 'NameReference') {
        unsupported(ctx, item, 'this project-rename item');
      }
      renames.set(item.Name.SimpleName, item.Expression.SimpleName);
    }
  }
  // project-away (wildcards included) keeps exactly the columns Kusto computed for its result.
  const items = out.map((c) => {
    const source = renames.get(c.name) ?? c.name;
    const inCol = input.columns.find((x) => x.name === source);
    if (!inCol) return unsupported(ctx, op, `column ${c.name} in ${firstToken(op)}`);
    return { name: c.name, expr: { k: 'col', name: source, type: inCol.type } as Expr };
  });
  return { op: 'project', input, items, columns: out };
}

const AGGREGATES: Record<string, AggFn> = {
  count: 'count',
  countif: 'countif',
  sum: 'sum',
  sumif: 'sumif',
  avg: 'avg',
  min: 'min',
  max: 'max',
  dcount: 'dcount',
  make_set: 'make_set',
  makeset: 'make_set',
  make_list: 'make_list',
  makelist: 'make_list',
  arg_max: 'arg_max',
  arg_min: 'arg_min',
  percentile: 'percentile',
};

function summarize(ctx: Ctx, input: Plan, op: KNode, out: KqlColumn[]): Plan {
  noParameters(ctx, op);
  const byItems = op.ByClause ? list(op.ByClause.Expressions) : [];
  if (op.ByClause && op.ByClause.BinClause) unsupported(ctx, op.ByClause.BinClause, "summarize 'bin='");
  const aggItems = list(op.Aggregates);
  const keys = byItems.map((item, i) => ({ name: out[i].name, expr: scalar(ctx, itemExpr(item)) }));
  let next = byItems.length;
  const aggregates: Aggregate[] = [];
  const remainingAfter = (idx: number): number => {
    // Columns the aggregates after idx produce (all single-column except arg_max/arg_min lists).
    let n = 0;
    for (let j = idx + 1; j < aggItems.length; j++) n += aggColumnCount(ctx, aggItems[j], 0);
    return n;
  };
  aggItems.forEach((item, idx) => {
    const call = itemExpr(item);
    if (nodeType(call) !== 'FunctionCallExpression') unsupported(ctx, call, 'this expression in summarize (only aggregate calls)');
    const fnName = String(call.Name.SimpleName).toLowerCase();
    const fn = AGGREGATES[fnName];
    if (!fn) unsupported(ctx, call, `aggregate function '${fnName}'`);
    const argNodes = list(call.ArgumentList.Expressions);
    const width = aggColumnCount(ctx, item, out.length - next - remainingAfter(idx));
    const names = out.slice(next, next + width).map((c) => c.name);
    const type = out[next].type;
    next += width;
    if (fn === 'arg_max' || fn === 'arg_min') {
      const [target, ...rest] = argNodes;
      if (!target) unsupported(ctx, call, `${fn} without arguments`);
      const carried: Expr[] = [];
      const star = rest.some((r) => nodeType(r) === 'StarExpression');
      if (star) {
        for (const name of names.slice(1)) {
          const col = input.columns.find((c) => c.name === name) ?? input.columns.find((c) => c.name === name.replace(/\d+$/, ''));
          if (!col) unsupported(ctx, call, `${fn}(..., *) producing column ${name}`);
          carried.push({ k: 'col', name: col.name, type: col.type });
        }
      } else {
        for (const r of rest) carried.push(scalar(ctx, itemExpr(r)));
      }
      if (carried.length !== names.length - 1) unsupported(ctx, call, `this ${fn} column list`);
      aggregates.push({ fn, args: [scalar(ctx, itemExpr(target))], names, carried, type });
      return;
    }
    if (fn === 'percentile') {
      if (argNodes.length !== 2) unsupported(ctx, call, 'percentile with other than two arguments');
      const p = scalar(ctx, argNodes[1]);
      if (p.k !== 'lit' || typeof p.value !== 'number') unsupported(ctx, argNodes[1], 'a non-constant percentile');
      aggregates.push({ fn, args: [scalar(ctx, argNodes[0]), p], names, type });
      return;
    }
    if (fn === 'dcount' && argNodes.length > 1) unsupported(ctx, argNodes[1], 'dcount accuracy argument');
    if ((fn === 'make_set' || fn === 'make_list') && argNodes.length > 1) unsupported(ctx, argNodes[1], `${fn} size limit`);
    if (fn === 'count' && argNodes.length > 0) unsupported(ctx, argNodes[0], 'count() with an argument');
    aggregates.push({ fn, args: argNodes.map((a) => scalar(ctx, a)), names, type });
  });
  if (next !== out.length) unsupported(ctx, op, 'this summarize column list');
  return { op: 'aggregate', input, keys, aggregates, columns: out };
}

function aggColumnCount(ctx: Ctx, item: KNode, available: number): number {
  const call = itemExpr(item);
  if (nodeType(call) !== 'FunctionCallExpression') return 1;
  const fnName = String(call.Name.SimpleName).toLowerCase();
  if (fnName !== 'arg_max' && fnName !== 'arg_min') return 1;
  const args = list(call.ArgumentList.Expressions);
  if (args.some((a) => nodeType(a) === 'StarExpression')) {
    if (available <= 0) unsupported(ctx, call, `more than one ${fnName}(..., *)`);
    return available;
  }
  return Math.max(1, args.length);
}

function joinKind(ctx: Ctx, op: KNode): JoinKind {
  let kind: JoinKind = 'innerunique';
  for (const p of list(op.Parameters)) {
    const name = String(p.Name.SimpleName).toLowerCase();
    if (name === 'kind') {
      const value = keyword(p.Expression).toLowerCase();
      const known: Record<string, JoinKind> = {
        innerunique: 'innerunique',
        inner: 'inner',
        leftouter: 'leftouter',
        rightouter: 'rightouter',
        fullouter: 'fullouter',
        leftanti: 'leftanti',
        anti: 'leftanti',
        leftantisemi: 'leftanti',
        leftsemi: 'leftsemi',
        semi: 'leftsemi',
        rightanti: 'rightanti',
        rightantisemi: 'rightanti',
        rightsemi: 'rightsemi',
      };
      const k = known[value];
      if (!k) unsupported(ctx, p, `join kind=${value}`);
      kind = k;
    } else if (name.startsWith('hint.')) {
      // Hints change the execution strategy, never the result; the SQL engines plan on their own.
    } else unsupported(ctx, p, `join parameter '${name}'`);
  }
  return kind;
}

function join(ctx: Ctx, left: Plan, op: KNode, out: KqlColumn[]): Plan {
  const kind = joinKind(ctx, op);
  const right = tabular(ctx, op.Expression);
  const cond = op.ConditionClause;
  if (!cond || nodeType(cond) !== 'JoinOnClause') return unsupported(ctx, cond ?? op, "join without 'on' (join ... where)");
  const on: { left: string; right: string }[] = [];
  for (const e of list(cond.Expressions)) {
    const t = nodeType(e);
    if (t === 'NameReference') on.push({ left: e.SimpleName, right: e.SimpleName });
    else if (t === 'BinaryExpression' && String(e.Operator.Text) === '==') {
      const l = sidedName(ctx, e.Left);
      const r = sidedName(ctx, e.Right);
      if (l.side === r.side) unsupported(ctx, e, 'a join condition that compares one side with itself');
      on.push(l.side === 'left' ? { left: l.name, right: r.name } : { left: r.name, right: l.name });
    } else unsupported(ctx, e, 'this join condition (only column names and $left.a == $right.b)');
  }
  const expected =
    kind === 'leftsemi' || kind === 'leftanti'
      ? left.columns.length
      : kind === 'rightsemi' || kind === 'rightanti'
        ? right.columns.length
        : left.columns.length + right.columns.length;
  if (expected !== out.length) unsupported(ctx, op, 'this join output');
  return { op: 'join', kind, left, right, on, columns: out };
}

function sidedName(ctx: Ctx, node: KNode): { side: 'left' | 'right'; name: string } {
  if (nodeType(node) === 'PathExpression' && nodeType(node.Expression) === 'NameReference' && nodeType(node.Selector) === 'NameReference') {
    const side = String(node.Expression.SimpleName);
    if (side === '$left' || side === '$right') return { side: side === '$left' ? 'left' : 'right', name: node.Selector.SimpleName };
  }
  return unsupported(ctx, node, 'a join key that is not $left.column or $right.column');
}

function union(ctx: Ctx, input: Plan | null, op: KNode, pipe?: KNode): Plan {
  for (const p of list(op.Parameters)) {
    const name = String(p.Name.SimpleName).toLowerCase();
    if (name === 'kind' && keyword(p.Expression).toLowerCase() === 'outer') continue;
    unsupported(ctx, p, `union parameter '${name}'`);
  }
  const inputs: Plan[] = input ? [input] : [];
  for (const e of list(op.Expressions)) {
    if (nodeType(e) === 'WildcardedNameReference') unsupported(ctx, e, 'wildcard table names in union');
    inputs.push(tabular(ctx, e));
  }
  const out = columnsOf(ctx, pipe ?? op);
  for (const c of out) {
    for (const p of inputs) {
      const same = p.columns.find((x) => x.name === c.name);
      if (same && same.type !== c.type) unsupported(ctx, op, `union of column ${c.name} with different types`);
    }
    if (!inputs.some((p) => p.columns.some((x) => x.name === c.name))) unsupported(ctx, op, `union column ${c.name}`);
  }
  return { op: 'union', inputs, columns: out };
}

function mvExpand(ctx: Ctx, input: Plan, op: KNode, out: KqlColumn[]): Plan {
  noParameters(ctx, op);
  if (op.RowLimitClause) unsupported(ctx, op.RowLimitClause, 'mv-expand limit');
  const items = list(op.Expressions);
  if (items.length !== 1) unsupported(ctx, items[1] ?? op, 'mv-expand of several columns at once');
  const item = items[0];
  const inner = item.Expression;
  const name = itemName(inner);
  const expr = scalar(ctx, itemExpr(inner));
  if (expr.type !== 'dynamic') unsupported(ctx, inner, 'mv-expand of a non-array value');
  let elementType: KustoType = 'dynamic';
  if (item.ToTypeOf) {
    const t = keyword(item.ToTypeOf.TypeOf).replace(/^typeof\s*\(\s*/i, '').replace(/\s*\)$/, '').toLowerCase();
    if (!KUSTO_TYPES.has(t)) unsupported(ctx, item.ToTypeOf, `to typeof(${t})`);
    elementType = t as KustoType;
  }
  const target = name ?? out.find((c) => !input.columns.some((x) => x.name === c.name))?.name;
  if (!target) return unsupported(ctx, inner, 'this mv-expand target');
  const columns = out.map((c) => (c.name === target ? { name: c.name, type: elementType } : c));
  return { op: 'mvexpand', input, name: target, expr, elementType, columns };
}

// ---------------------------------------------------------------------------------------------
// scalar expressions

const BINARY: Record<string, string> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '%': 'mod',
  '==': 'eq',
  '!=': 'ne',
  '<>': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
  and: 'and',
  or: 'or',
  '=~': 'eq_ci',
  '!~': 'ne_ci',
  has: 'has',
  '!has': 'not_has',
  contains: 'contains',
  '!contains': 'not_contains',
  startswith: 'startswith',
  '!startswith': 'not_startswith',
  endswith: 'endswith',
  '!endswith': 'not_endswith',
  'matches regex': 'matches_regex',
};

/** Scalar functions with a direct translation: name → [min args, max args]. */
const FUNCTIONS: Record<string, [number, number]> = {
  ago: [1, 1],
  now: [0, 1],
  bin: [2, 2],
  floor: [2, 2],
  strcat: [1, 64],
  split: [2, 2],
  tostring: [1, 1],
  toint: [1, 1],
  tolong: [1, 1],
  todouble: [1, 1],
  toreal: [1, 1],
  tolower: [1, 1],
  toupper: [1, 1],
  strlen: [1, 1],
  isempty: [1, 1],
  isnotempty: [1, 1],
  isnull: [1, 1],
  isnotnull: [1, 1],
  iif: [3, 3],
  iff: [3, 3],
  case: [3, 63],
  not: [1, 1],
  extract: [3, 3],
  pack_array: [1, 64],
  array_length: [1, 1],
  coalesce: [2, 64],
  ipv4_is_in_range: [2, 2],
  format_datetime: [2, 2],
  todatetime: [1, 1],
};

function scalar(ctx: Ctx, node: KNode): Expr {
  const type = nodeType(node);
  switch (type) {
    case 'ParenthesizedExpression':
      return scalar(ctx, node.Expression);
    case 'LiteralExpression':
      return literal(ctx, node);
    case 'NameReference': {
      const name: string = node.SimpleName;
      const sym = node.ReferencedSymbol;
      const symType = sym ? nodeType(sym) : '';
      if (symType === 'ColumnSymbol') return { k: 'col', name, type: kustoType(ctx, node, node.ResultType) };
      const bound = ctx.env.get(name);
      if (bound && bound.kind === 'scalar') return bound.expr;
      return unsupported(ctx, node, `the name ${name} here`);
    }
    case 'BracketedExpression':
      return scalar(ctx, node.Expression);
    case 'PrefixUnaryExpression': {
      const op = String(node.Operator.Text);
      const inner = scalar(ctx, node.Expression);
      if (op === '+') return inner;
      if (op === '-') {
        if (inner.k === 'lit' && typeof inner.value === 'number') return { ...inner, value: -inner.value };
        return { k: 'fn', fn: 'neg', args: [inner], type: inner.type };
      }
      return unsupported(ctx, node, `prefix operator ${op}`);
    }
    case 'BinaryExpression': {
      const opText = String(node.Operator.Text).toLowerCase().replace(/\s+/g, ' ');
      const fn = BINARY[opText];
      if (!fn) return unsupported(ctx, node.Operator, `operator '${opText}'`);
      const l = scalar(ctx, node.Left);
      const r = scalar(ctx, node.Right);
      if (fn === 'matches_regex' && (r.k !== 'lit' || typeof r.value !== 'string')) unsupported(ctx, node.Right, 'a non-constant regex');
      if ((fn === 'has' || fn === 'not_has') && (r.k !== 'lit' || typeof r.value !== 'string')) unsupported(ctx, node.Right, `a non-constant term for ${opText}`);
      return { k: 'fn', fn, args: [l, r], type: kustoType(ctx, node, node.ResultType) };
    }
    case 'InExpression': {
      const opText = String(node.Operator.Text).toLowerCase();
      const negated = opText.startsWith('!');
      const ci = opText.endsWith('~');
      const items = list(node.Right.Expressions);
      for (const it of items) if (isTabular(it)) unsupported(ctx, it, `${opText} with a subquery`);
      return { k: 'in', negated, caseInsensitive: ci, expr: scalar(ctx, node.Left), list: items.map((i) => scalar(ctx, i)), type: 'bool' };
    }
    case 'BetweenExpression': {
      const opText = String(node.Operator.Text).toLowerCase();
      const x = scalar(ctx, node.Left);
      const lo = scalar(ctx, node.Right.First);
      const hi = scalar(ctx, node.Right.Second);
      const e: Expr = { k: 'fn', fn: 'between', args: [x, lo, hi], type: 'bool' };
      return opText.startsWith('!') ? { k: 'fn', fn: 'not', args: [e], type: 'bool' } : e;
    }
    case 'ElementExpression': {
      const target = scalar(ctx, node.Expression);
      const sel = node.Selector;
      if (nodeType(sel) !== 'BracketedExpression') return unsupported(ctx, sel, 'this element access');
      const idx = scalar(ctx, sel.Expression);
      if (target.type !== 'dynamic' || (idx.type !== 'long' && idx.type !== 'int')) unsupported(ctx, node, 'property access on dynamic values');
      return { k: 'fn', fn: 'index', args: [target, idx], type: 'dynamic' };
    }
    case 'FunctionCallExpression':
      return call(ctx, node);
    default:
      return unsupported(ctx, node, describeNode(node));
  }
}

function call(ctx: Ctx, node: KNode): Expr {
  let name = String(node.Name.SimpleName).toLowerCase();
  const argNodes = list(node.ArgumentList.Expressions);
  const spec = FUNCTIONS[name];
  if (!spec) {
    if (AGGREGATES[name]) unsupported(ctx, node, `aggregate '${name}' outside summarize`);
    return unsupported(ctx, node, `function '${name}'`);
  }
  if (argNodes.length < spec[0] || argNodes.length > spec[1]) unsupported(ctx, node, `${name} with ${argNodes.length} arguments`);
  const args = argNodes.map((a) => scalar(ctx, a));
  const type = kustoType(ctx, node, node.ResultType);
  if (name === 'iff') name = 'iif';
  if (name === 'toreal') name = 'todouble';
  if (name === 'floor') name = 'bin';
  if (name === 'now' && args.length === 1) return { k: 'fn', fn: 'add', args: [{ k: 'fn', fn: 'now', args: [], type: 'datetime' }, args[0]], type };
  if (name === 'ago') return { k: 'fn', fn: 'sub', args: [{ k: 'fn', fn: 'now', args: [], type: 'datetime' }, args[0]], type };
  if (name === 'case' && args.length % 2 === 0) unsupported(ctx, node, 'case without an else value');
  if (name === 'extract') {
    const re = args[0];
    const group = args[1];
    if (re.k !== 'lit' || typeof re.value !== 'string') unsupported(ctx, argNodes[0], 'a non-constant regex in extract');
    if (group.k !== 'lit' || typeof group.value !== 'number') unsupported(ctx, argNodes[1], 'a non-constant capture group in extract');
    if (args[2].type !== 'string') unsupported(ctx, argNodes[2], 'extract from a non-string');
    if (type !== 'string') unsupported(ctx, node, 'extract with a typeof() argument');
  }
  if (name === 'split' && args.length === 3) {
    const i = args[2];
    if (i.k !== 'lit') unsupported(ctx, argNodes[2], 'a non-constant split index');
  }
  if (name === 'split' && (args[1].k !== 'lit' || typeof args[1].value !== 'string' || args[1].value === '')) {
    unsupported(ctx, argNodes[1], 'split with a non-constant or empty delimiter');
  }
  if (name === 'format_datetime') {
    const f = args[1];
    if (f.k !== 'lit' || typeof f.value !== 'string') unsupported(ctx, argNodes[1], 'a non-constant format in format_datetime');
    const rest = f.value.replace(/yyyy|yy|MM|dd|HH|mm|ss|[-:/ T._,]/g, '');
    if (rest) unsupported(ctx, argNodes[1], `format_datetime specifier '${rest[0]}'`);
  }
  if (name === 'bin') {
    const size = args[1];
    if (size.k !== 'lit' || typeof size.value !== 'number' || size.value <= 0) unsupported(ctx, argNodes[1], 'a bin size that is not a positive constant');
    if (!['long', 'int', 'real', 'datetime', 'timespan'].includes(args[0].type)) unsupported(ctx, argNodes[0], `bin of ${args[0].type}`);
    if (args[0].type === 'datetime' && size.type !== 'timespan') unsupported(ctx, argNodes[1], 'bin of a datetime by a number');
  }
  if (name === 'ipv4_is_in_range' && (args[1].k !== 'lit' || typeof args[1].value !== 'string')) {
    unsupported(ctx, argNodes[1], 'a non-constant range in ipv4_is_in_range');
  }
  if ((name === 'array_length' || name === 'pack_array') && name === 'array_length' && args[0].type !== 'dynamic') {
    unsupported(ctx, argNodes[0], 'array_length of a non-array');
  }
  if (name === 'pack_array') {
    const t = args[0].type;
    if (args.some((a) => a.type !== t)) unsupported(ctx, node, 'pack_array of mixed types');
  }
  if (name === 'coalesce' && args.some((a) => a.type === 'dynamic')) unsupported(ctx, node, 'coalesce of dynamic values');
  return { k: 'fn', fn: name, args, type };
}

const TIMESPAN_UNITS: Record<string, number> = {
  d: 86_400e6,
  day: 86_400e6,
  days: 86_400e6,
  h: 3_600e6,
  hr: 3_600e6,
  hrs: 3_600e6,
  hour: 3_600e6,
  hours: 3_600e6,
  m: 60e6,
  min: 60e6,
  minute: 60e6,
  minutes: 60e6,
  s: 1e6,
  sec: 1e6,
  second: 1e6,
  seconds: 1e6,
  ms: 1e3,
  milli: 1e3,
  millis: 1e3,
  millisecond: 1e3,
  milliseconds: 1e3,
  microsecond: 1,
  microseconds: 1,
};

function literal(ctx: Ctx, node: KNode): Expr {
  const type = kustoType(ctx, node, node.ResultType);
  const text = keyword(node);
  const inner = /^\w+\s*\(\s*(.*?)\s*\)$/s.exec(text);
  if (inner && inner[1].toLowerCase() === 'null') return { k: 'lit', type, value: null };
  switch (type) {
    case 'string': {
      const v = node.LiteralValue;
      return { k: 'lit', type, value: v == null ? '' : String(v) };
    }
    case 'bool': {
      const v = (inner ? inner[1] : text).toLowerCase();
      return { k: 'lit', type, value: v === 'true' };
    }
    case 'long':
    case 'int':
    case 'real':
    case 'decimal': {
      const raw = inner ? inner[1] : text;
      const n = /^0x/i.test(raw) ? Number(BigInt(raw)) : Number(raw);
      if (!Number.isFinite(n)) return unsupported(ctx, node, `the number ${raw}`);
      if (type === 'decimal') return unsupported(ctx, node, 'decimal values');
      return { k: 'lit', type, value: n };
    }
    case 'datetime': {
      const raw = inner ? inner[1] : text;
      const ms = parseDatetime(raw);
      if (ms === null) return unsupported(ctx, node, `the datetime format ${raw}`);
      return { k: 'lit', type, value: ms };
    }
    case 'timespan': {
      const us = parseTimespan(text);
      if (us === null) return unsupported(ctx, node, `the timespan format ${text}`);
      return { k: 'lit', type, value: us };
    }
    default:
      return unsupported(ctx, node, `${type} literals`);
  }
}

export function parseDatetime(raw: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*Z?$/i.exec(raw.trim());
  if (!m) return null;
  const frac = m[7] ? Number((m[7] + '000').slice(0, 3)) : 0;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), frac);
  return Number.isFinite(ms) ? ms : null;
}

/** Timespan literal → microseconds (Kusto keeps 100 ns ticks; sub-microsecond parts are not supported). */
export function parseTimespan(text: string): number | null {
  const t = text.trim();
  let m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(t);
  if (m) {
    const unit = TIMESPAN_UNITS[m[2].toLowerCase()];
    if (unit === undefined) return null;
    return Math.round(Number(m[1]) * unit);
  }
  m = /^(?:time|timespan)\s*\(\s*(.*?)\s*\)$/i.exec(t);
  if (m) {
    const body = m[1];
    const unitForm = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(body);
    if (unitForm) return parseTimespan(body);
    const clock = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(body);
    if (!clock) return /^\d+$/.test(body) ? Number(body) * 86_400e6 : null;
    const frac = clock[5] ? Number((clock[5] + '000000').slice(0, 6)) : 0;
    return (
      Number(clock[1] ?? 0) * 86_400e6 + Number(clock[2]) * 3_600e6 + Number(clock[3]) * 60e6 + Number(clock[4] ?? 0) * 1e6 + frac
    );
  }
  return null;
}
