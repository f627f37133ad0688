import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { translateKqlToPlan, planToSql, type KqlSchema } from '../../src/query/kql/index.js';
import { chQuery, chWithTables, duckQuery, duckWithTables, type Row } from './support.js';
import { startClickHouse, type ClickHouseServer } from './support-clickhouse.js';

/**
 * Differential test: random queries from the supported grammar run on DuckDB and on ClickHouse
 * 18.16, and a reference evaluator (closures over plain arrays, written here from Kusto's
 * documented semantics) computes the expected answer. All three must agree.
 */

const QUERIES = Number(process.env.KQL_DIFF_QUERIES ?? 2000);
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 0, 0, 0);

const schema: KqlSchema = {
  tables: [
    {
      name: 'T',
      columns: [
        { name: 'id', type: 'long' },
        { name: 'k', type: 'long' },
        { name: 'n', type: 'long' },
        { name: 's', type: 'string' },
        { name: 's2', type: 'string' },
        { name: 'ip', type: 'string' },
        { name: 'ts', type: 'datetime' },
      ],
    },
    {
      name: 'U',
      columns: [
        { name: 'k', type: 'long' },
        { name: 'v', type: 'string' },
        { name: 'w', type: 'long' },
      ],
    },
  ],
};

// ---------------------------------------------------------------------------------------------
// seeded randomness and data

function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(20260110);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const chance = (p: number) => random() < p;

const WORDS = ['alpha', 'Beta', 'gamma-ray', 'alpha,beta', 'web,db,cache', 'DB', 'x.y', 'beta gamma', 'Alpha'];
const IPS = ['10.0.0.4', '10.0.1.5', '10.1.0.9', '192.168.1.10', '203.0.113.17', '172.16.5.4', 'bogus'];

function makeData(): Record<string, Row[]> {
  const T: Row[] = [];
  for (let i = 0; i < 40; i++) {
    T.push({
      id: i,
      k: chance(0.1) ? null : Math.floor(random() * 6),
      n: chance(0.15) ? null : Math.floor(random() * 200) - 50,
      s: chance(0.1) ? null : pick(WORDS),
      s2: chance(0.1) ? null : pick(['p', 'q', 'r', 'P', '']),
      ip: pick(IPS),
      ts: T0 + Math.floor(random() * 48) * (HOUR / 4) + Math.floor(random() * 60) * 1000,
    });
  }
  const U: Row[] = [];
  for (let i = 0; i < 10; i++) {
    U.push({ k: chance(0.1) ? null : Math.floor(random() * 8), v: pick(['u1', 'u2', 'u3']), w: Math.floor(random() * 100) });
  }
  return { T, U };
}

// ---------------------------------------------------------------------------------------------
// reference evaluator building blocks

type V = unknown;
type Ty = 'long' | 'string' | 'bool' | 'datetime' | 'dynamic';
interface Scalar {
  kql: string;
  type: Ty;
  ev: (row: Record<string, V>) => V;
}
interface Table {
  cols: { name: string; type: Ty }[];
  rows: Record<string, V>[];
}
interface Op {
  kql: string;
  apply: (t: Table) => Table;
  /** The result order is defined (sort on a unique key). */
  ordered?: boolean;
}

const isNull = (v: V) => v === null || v === undefined;
const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function cmp(a: V, b: V): number {
  if (isNull(a) && isNull(b)) return 0;
  if (isNull(a)) return 1; // nulls last
  if (isNull(b)) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function colsOf(t: Table, type?: Ty): string[] {
  return t.cols.filter((c) => !type || c.type === type).map((c) => c.name);
}

// ---------------------------------------------------------------------------------------------
// scalar generators (typed), each with its reference semantics

function genLong(t: Table, depth = 0): Scalar {
  const longs = colsOf(t, 'long');
  const strs = colsOf(t, 'string');
  const choice = depth > 1 ? 0 : Math.floor(random() * 9);
  if (choice <= 2 && longs.length) {
    const c = pick(longs);
    return { kql: c, type: 'long', ev: (r) => r[c] ?? null };
  }
  switch (choice) {
    case 3: {
      const a = genLong(t, depth + 1);
      const lit = Math.floor(random() * 10) + 1;
      const op = pick(['+', '-', '*']);
      return {
        kql: `(${a.kql} ${op} ${lit})`,
        type: 'long',
        ev: (r) => {
          const x = a.ev(r) as number | null;
          if (isNull(x)) return null;
          return op === '+' ? x! + lit : op === '-' ? x! - lit : x! * lit;
        },
      };
    }
    case 4:
      if (strs.length) {
        const c = pick(strs);
        return { kql: `strlen(${c})`, type: 'long', ev: (r) => String(r[c] ?? '').length };
      }
      break;
    case 5: {
      const a = genLong(t, depth + 1);
      const size = pick([5, 10, 25]);
      return {
        kql: `bin(${a.kql}, ${size})`,
        type: 'long',
        ev: (r) => {
          const x = a.ev(r) as number | null;
          return isNull(x) ? null : Math.floor(x! / size) * size;
        },
      };
    }
    case 6: {
      const p = genPred(t, depth + 1);
      const a = genLong(t, depth + 1);
      const lit = Math.floor(random() * 100);
      return { kql: `iif(${p.kql}, ${a.kql}, ${lit})`, type: 'long', ev: (r) => (p.ev(r) === true ? a.ev(r) : lit) };
    }
    case 7: {
      const a = genLong(t, depth + 1);
      const lit = Math.floor(random() * 100);
      return { kql: `coalesce(${a.kql}, ${lit})`, type: 'long', ev: (r) => (isNull(a.ev(r)) ? lit : a.ev(r)) };
    }
    case 8:
      if (strs.length) {
        const c = pick(strs);
        return { kql: `array_length(split(${c}, ","))`, type: 'long', ev: (r) => String(r[c] ?? '').split(',').length };
      }
      break;
  }
  const lit = Math.floor(random() * 100) - 20;
  return { kql: String(lit), type: 'long', ev: () => lit };
}

function genString(t: Table, depth = 0): Scalar {
  const strs = colsOf(t, 'string');
  const choice = depth > 1 ? 0 : Math.floor(random() * 10);
  if (choice <= 2 && strs.length) {
    const c = pick(strs);
    return { kql: c, type: 'string', ev: (r) => r[c] ?? '' };
  }
  switch (choice) {
    case 3: {
      const a = genString(t, depth + 1);
      const b = genString(t, depth + 1);
      return { kql: `strcat(${a.kql}, "-", ${b.kql})`, type: 'string', ev: (r) => `${a.ev(r)}-${b.ev(r)}` };
    }
    case 4: {
      const a = genString(t, depth + 1);
      const up = chance(0.5);
      return {
        kql: `${up ? 'toupper' : 'tolower'}(${a.kql})`,
        type: 'string',
        ev: (r) => (up ? String(a.ev(r)).toUpperCase() : String(a.ev(r)).toLowerCase()),
      };
    }
    case 5: {
      const a = genLong(t, depth + 1);
      return { kql: `tostring(${a.kql})`, type: 'string', ev: (r) => (isNull(a.ev(r)) ? '' : String(a.ev(r))) };
    }
    case 6: {
      const p = genPred(t, depth + 1);
      const a = genString(t, depth + 1);
      const b = genString(t, depth + 1);
      return { kql: `iff(${p.kql}, ${a.kql}, ${b.kql})`, type: 'string', ev: (r) => (p.ev(r) === true ? a.ev(r) : b.ev(r)) };
    }
    case 7: {
      const a = genString(t, depth + 1);
      return {
        kql: `extract("([a-z]+)", 1, ${a.kql})`,
        type: 'string',
        ev: (r) => /([a-z]+)/.exec(String(a.ev(r)))?.[1] ?? '',
      };
    }
    case 8: {
      const a = genString(t, depth + 1);
      const idx = pick([0, 1, -1]);
      return {
        kql: `tostring(split(${a.kql}, ",")[${idx}])`,
        type: 'string',
        ev: (r) => {
          const parts = String(a.ev(r)).split(',');
          const i = idx >= 0 ? idx : parts.length + idx;
          return i >= 0 && i < parts.length ? parts[i] : '';
        },
      };
    }
    case 9: {
      const a = genString(t, depth + 1);
      const b = genString(t, depth + 1);
      return { kql: `coalesce(${a.kql}, ${b.kql})`, type: 'string', ev: (r) => (a.ev(r) !== '' ? a.ev(r) : b.ev(r)) };
    }
  }
  const lit = pick(['alpha', 'x', '']);
  return { kql: q(lit), type: 'string', ev: () => lit };
}

function hasTerm(hay: string, needle: string): boolean {
  if (needle === '') return true;
  const pre = /^[A-Za-z0-9]/.test(needle) ? '(^|[^A-Za-z0-9])' : '';
  const post = /[A-Za-z0-9]$/.test(needle) ? '($|[^A-Za-z0-9])' : '';
  return new RegExp(`${pre}${regexEscape(needle.toLowerCase())}${post}`).test(hay.toLowerCase());
}

function ipNum(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return m ? ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]) : null;
}

function genPred(t: Table, depth = 0): Scalar {
  const strs = colsOf(t, 'string');
  const dts = colsOf(t, 'datetime');
  const choice = Math.floor(random() * (depth > 1 ? 10 : 14));
  const cmpLong = (op: string, x: V, y: V): V => {
    if (isNull(x) || isNull(y)) return null;
    const a = x as number;
    const b = y as number;
    return { '==': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b }[op];
  };
  switch (choice) {
    case 0:
    case 1: {
      const a = genLong(t, depth + 1);
      const op = pick(['==', '!=', '<', '<=', '>', '>=']);
      const lit = Math.floor(random() * 60) - 10;
      return { kql: `${a.kql} ${op} ${lit}`, type: 'bool', ev: (r) => cmpLong(op, a.ev(r), lit) };
    }
    case 2: {
      const a = genString(t, depth + 1);
      const lit = pick(WORDS.concat(['p', '', 'alpha']));
      const op = pick(['==', '!=', '=~', '!~']);
      return {
        kql: `${a.kql} ${op} ${q(lit)}`,
        type: 'bool',
        ev: (r) => {
          const s = String(a.ev(r));
          if (op === '==') return s === lit;
          if (op === '!=') return s !== lit;
          if (op === '=~') return s.toLowerCase() === lit.toLowerCase();
          return s.toLowerCase() !== lit.toLowerCase();
        },
      };
    }
    case 3: {
      const a = genString(t, depth + 1);
      const op = pick(['has', '!has', 'contains', '!contains', 'startswith', '!startswith', 'endswith', '!endswith']);
      const lit = pick(['alpha', 'BETA', 'gam', 'ray', 'db', 'a', 'x.y', '10.0']);
      return {
        kql: `${a.kql} ${op} ${q(lit)}`,
        type: 'bool',
        ev: (r) => {
          const s = String(a.ev(r));
          const l = s.toLowerCase();
          const n = lit.toLowerCase();
          const base = op.replace('!', '');
          const v =
            base === 'has' ? hasTerm(s, lit) : base === 'contains' ? l.includes(n) : base === 'startswith' ? l.startsWith(n) : l.endsWith(n);
          return op.startsWith('!') ? !v : v;
        },
      };
    }
    case 4: {
      const a = genString(t, depth + 1);
      const items = [pick(WORDS), pick(WORDS), pick(['p', 'q', ''])];
      const neg = chance(0.4);
      return {
        kql: `${a.kql} ${neg ? '!in' : 'in'} (${items.map(q).join(', ')})`,
        type: 'bool',
        ev: (r) => items.includes(String(a.ev(r))) !== neg,
      };
    }
    case 5: {
      const a = genLong(t, depth + 1);
      const lo = Math.floor(random() * 50) - 10;
      const hi = lo + Math.floor(random() * 60);
      return {
        kql: `${a.kql} between (${lo} .. ${hi})`,
        type: 'bool',
        ev: (r) => {
          const x = a.ev(r) as number | null;
          return isNull(x) ? null : x! >= lo && x! <= hi;
        },
      };
    }
    case 6: {
      if (!strs.length) break;
      const c = pick(strs);
      const neg = chance(0.5);
      return { kql: `${neg ? 'isnotempty' : 'isempty'}(${c})`, type: 'bool', ev: (r) => ((r[c] ?? '') === '') !== neg };
    }
    case 7: {
      const a = genLong(t, depth + 1);
      const neg = chance(0.5);
      return { kql: `${neg ? 'isnotnull' : 'isnull'}(${a.kql})`, type: 'bool', ev: (r) => isNull(a.ev(r)) !== neg };
    }
    case 8: {
      if (!strs.length) break;
      const c = pick(strs);
      const re = pick(['^[ab]', 'a$', '[0-9]+', '^(?i)alpha']);
      const jsRe = re === '^(?i)alpha' ? /^alpha/i : new RegExp(re);
      if (re === '^(?i)alpha') return { kql: `${c} matches regex "^alpha"`, type: 'bool', ev: (r) => /^alpha/.test(String(r[c] ?? '')) };
      return { kql: `${c} matches regex ${q(re)}`, type: 'bool', ev: (r) => jsRe.test(String(r[c] ?? '')) };
    }
    case 9: {
      if (!dts.length) break;
      const c = pick(dts);
      const at = T0 + Math.floor(random() * 12) * HOUR;
      const iso = new Date(at).toISOString().slice(0, 19).replace('T', ' ');
      const op = pick(['>', '<', '>=']);
      return {
        kql: `${c} ${op} datetime(${iso})`,
        type: 'bool',
        ev: (r) => (isNull(r[c]) ? null : op === '>' ? (r[c] as number) > at : op === '<' ? (r[c] as number) < at : (r[c] as number) >= at),
      };
    }
    case 10: {
      if (!t.cols.some((x) => x.name === 'ip' && x.type === 'string')) break;
      const range = pick(['10.0.0.0/16', '10.0.0.0/8', '192.168.1.0/24', '203.0.113.17']);
      const [base, bits] = range.split('/');
      const b = bits === undefined ? 32 : Number(bits);
      const block = 2 ** (32 - b);
      const start = Math.floor(ipNum(base)! / block) * block;
      return {
        kql: `ipv4_is_in_range(ip, ${q(range)})`,
        type: 'bool',
        ev: (r) => {
          const n = ipNum(String(r.ip ?? ''));
          return n === null ? null : n >= start && n < start + block;
        },
      };
    }
    case 11: {
      const a = genPred(t, depth + 1);
      return { kql: `not(${a.kql})`, type: 'bool', ev: (r) => (isNull(a.ev(r)) ? null : !a.ev(r)) };
    }
    case 12:
    case 13: {
      const a = genPred(t, depth + 1);
      const b = genPred(t, depth + 1);
      const and = chance(0.5);
      return {
        kql: `(${a.kql}) ${and ? 'and' : 'or'} (${b.kql})`,
        type: 'bool',
        ev: (r) => {
          const x = a.ev(r);
          const y = b.ev(r);
          if (and) {
            if (x === false || y === false) return false;
            if (isNull(x) || isNull(y)) return null;
            return true;
          }
          if (x === true || y === true) return true;
          if (isNull(x) || isNull(y)) return null;
          return false;
        },
      };
    }
  }
  const a = genLong(t, depth + 1);
  return { kql: `${a.kql} > 0`, type: 'bool', ev: (r) => cmpLong('>', a.ev(r), 0) };
}

// ---------------------------------------------------------------------------------------------
// operators

let nameCounter = 0;
const freshName = () => `c${++nameCounter}`;


function opWhere(t: Table): Op {
  const p = genPred(t);
  return { kql: `where ${p.kql}`, apply: (x) => ({ cols: x.cols, rows: x.rows.filter((r) => p.ev(r) === true) }) };
}

function opExtend(t: Table): Op {
  const isLong = chance(0.5);
  const e = isLong ? genLong(t) : genString(t);
  const name = freshName();
  return {
    kql: `extend ${name} = ${e.kql}`,
    apply: (x) => ({ cols: [...x.cols, { name, type: e.type }], rows: x.rows.map((r) => ({ ...r, [name]: e.ev(r) })) }),
  };
}

function opProject(t: Table): Op {
  const keep = t.cols.filter(() => chance(0.6));
  if (!keep.length) keep.push(t.cols[0]);
  const computed = chance(0.4) ? (chance(0.5) ? genLong(t) : genString(t)) : null;
  const name = freshName();
  const items = [...keep.map((c) => c.name), ...(computed ? [`${name} = ${computed.kql}`] : [])];
  return {
    kql: `project ${items.join(', ')}`,
    apply: (x) => ({
      cols: [...keep, ...(computed ? [{ name, type: computed.type }] : [])],
      rows: x.rows.map((r) => {
        const o: Record<string, V> = {};
        for (const c of keep) o[c.name] = r[c.name];
        if (computed) o[name] = computed.ev(r);
        return o;
      }),
    }),
  };
}

interface AggGen {
  kql: string;
  name: string;
  type: Ty;
  ev: (rows: Record<string, V>[]) => V;
}

function genAgg(t: Table): AggGen {
  const name = freshName();
  const longs = colsOf(t, 'long');
  const strs = colsOf(t, 'string');
  const nonNull = (xs: V[]) => xs.filter((v) => !isNull(v));
  const choice = Math.floor(random() * 12);
  const L = longs.length ? pick(longs) : null;
  const S = strs.length ? pick(strs) : null;
  switch (choice) {
    case 1: {
      const p = genPred(t, 1);
      return { kql: `${name} = countif(${p.kql})`, name, type: 'long', ev: (rows) => rows.filter((r) => p.ev(r) === true).length };
    }
    case 2:
      if (L) return { kql: `${name} = sum(${L})`, name, type: 'long', ev: (rows) => { const v = nonNull(rows.map((r) => r[L])) as number[]; return v.length ? v.reduce((a, b) => a + b, 0) : null; } };
      break;
    case 3:
      if (L) {
        const p = genPred(t, 1);
        return { kql: `${name} = sumif(${L}, ${p.kql})`, name, type: 'long', ev: (rows) => { const v = nonNull(rows.filter((r) => p.ev(r) === true).map((r) => r[L])) as number[]; return v.length ? v.reduce((a, b) => a + b, 0) : null; } };
      }
      break;
    case 4:
      if (L) return { kql: `${name} = avg(${L})`, name, type: 'long', ev: (rows) => { const v = nonNull(rows.map((r) => r[L])) as number[]; return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null; } };
      break;
    case 5: {
      const col = pick([...(L ? [L] : []), ...(S ? [S] : [])]);
      if (!col) break;
      const isMin = chance(0.5);
      return {
        kql: `${name} = ${isMin ? 'min' : 'max'}(${col})`,
        name,
        type: t.cols.find((c) => c.name === col)!.type,
        ev: (rows) => {
          const v = nonNull(rows.map((r) => r[col]));
          if (!v.length) return null;
          return v.reduce((a, b) => (isMin ? (cmp(a, b) <= 0 ? a : b) : cmp(a, b) >= 0 ? a : b));
        },
      };
    }
    case 6: {
      const col = pick([...(L ? [L] : []), ...(S ? [S] : [])]);
      if (!col) break;
      return { kql: `${name} = dcount(${col})`, name, type: 'long', ev: (rows) => new Set(nonNull(rows.map((r) => r[col]))).size };
    }
    case 7:
      if (S) return { kql: `${name} = make_set(${S})`, name, type: 'dynamic', ev: (rows) => [...new Set(rows.map((r) => r[S] ?? ''))].sort(cmp) };
      break;
    case 8:
      if (L) return { kql: `${name} = makelist(${L})`, name, type: 'dynamic', ev: (rows) => nonNull(rows.map((r) => r[L])).sort(cmp) };
      break;
    case 9:
      if (L) {
        const p = pick([10, 50, 90, 100]);
        return {
          kql: `${name} = percentile(${L}, ${p})`,
          name,
          type: 'long',
          ev: (rows) => {
            const v = (nonNull(rows.map((r) => r[L])) as number[]).sort((a, b) => a - b);
            return v.length ? v[Math.max(1, Math.ceil((p / 100) * v.length)) - 1] : null;
          },
        };
      }
      break;
  }
  return { kql: `${name} = count()`, name, type: 'long', ev: (rows) => rows.length };
}

function opSummarize(t: Table): Op {
  const aggs = Array.from({ length: 1 + Math.floor(random() * 3) }, () => genAgg(t));
  const keyChoices: { kql: string; name: string; type: Ty; ev: (r: Record<string, V>) => V }[] = [];
  const nKeys = Math.floor(random() * 3);
  for (let i = 0; i < nKeys; i++) {
    const c = pick(t.cols.filter((x) => x.type !== 'dynamic'));
    if (keyChoices.some((k) => k.name === c.name)) continue;
    if (c.type === 'datetime' && chance(0.6)) {
      const span = pick(['1h', '6h', '1d']);
      const ms = { '1h': HOUR, '6h': 6 * HOUR, '1d': 24 * HOUR }[span]!;
      keyChoices.push({ kql: `bin(${c.name}, ${span})`, name: c.name, type: 'datetime', ev: (r) => (isNull(r[c.name]) ? null : Math.floor((r[c.name] as number) / ms) * ms) });
    } else keyChoices.push({ kql: c.name, name: c.name, type: c.type, ev: (r) => r[c.name] });
  }
  const byText = keyChoices.length ? ` by ${keyChoices.map((k) => k.kql).join(', ')}` : '';
  return {
    kql: `summarize ${aggs.map((a) => a.kql).join(', ')}${byText}`,
    apply: (x) => {
      const groups = new Map<string, Record<string, V>[]>();
      const keyVals = new Map<string, V[]>();
      for (const r of x.rows) {
        const kv = keyChoices.map((k) => k.ev(r));
        const key = JSON.stringify(kv);
        if (!groups.has(key)) {
          groups.set(key, []);
          keyVals.set(key, kv);
        }
        groups.get(key)!.push(r);
      }
      if (!keyChoices.length && !groups.size) {
        groups.set('[]', []);
        keyVals.set('[]', []);
      }
      const rows = [...groups.entries()].map(([key, rs]) => {
        const o: Record<string, V> = {};
        keyChoices.forEach((k, i) => (o[k.name] = keyVals.get(key)![i]));
        for (const a of aggs) o[a.name] = a.ev(rs);
        return o;
      });
      const aggType = (a: AggGen): Ty => a.type;
      return { cols: [...keyChoices.map((k) => ({ name: k.name, type: k.type })), ...aggs.map((a) => ({ name: a.name, type: aggType(a) }))], rows };
    },
  };
}

function opDistinct(t: Table): Op {
  const cols = t.cols.filter((c) => c.type !== 'dynamic' && chance(0.5));
  if (!cols.length) cols.push(t.cols.find((c) => c.type !== 'dynamic') ?? t.cols[0]);
  return {
    kql: `distinct ${cols.map((c) => c.name).join(', ')}`,
    apply: (x) => {
      const seen = new Map<string, Record<string, V>>();
      for (const r of x.rows) {
        const o: Record<string, V> = {};
        for (const c of cols) o[c.name] = r[c.name];
        seen.set(JSON.stringify(o), o);
      }
      return { cols, rows: [...seen.values()] };
    },
  };
}

function opCount(): Op {
  return { kql: 'count', apply: (x) => ({ cols: [{ name: 'Count', type: 'long' }], rows: [{ Count: x.rows.length }] }) };
}

function opTop(): Op {
  // Only a unique key makes `take` after sorting deterministic; `id` is unique until a join/mv-expand.
  const n = 1 + Math.floor(random() * 8);
  const desc = chance(0.5);
  const form = chance(0.5) ? `top ${n} by id ${desc ? 'desc' : 'asc'}` : `sort by id ${desc ? 'desc' : 'asc'} | take ${n}`;
  return {
    kql: form,
    ordered: true,
    apply: (x) => ({ cols: x.cols, rows: [...x.rows].sort((a, b) => (desc ? -1 : 1) * cmp(a.id, b.id)).slice(0, n) }),
  };
}

function opSort(): Op {
  const desc = chance(0.5);
  return {
    kql: `sort by id ${desc ? 'desc' : 'asc'}`,
    ordered: true,
    apply: (x) => ({ cols: x.cols, rows: [...x.rows].sort((a, b) => (desc ? -1 : 1) * cmp(a.id, b.id)) }),
  };
}

function opSortNulls(): Op {
  // Two keys, the second unique: deterministic even with ties and nulls in the first.
  const desc = chance(0.5);
  const nullsFirst = chance(0.5);
  const n = 1 + Math.floor(random() * 10);
  const take = chance(0.5);
  const cmpN = (a: V, b: V): number => {
    if (isNull(a) && isNull(b)) return 0;
    if (isNull(a)) return nullsFirst ? -1 : 1;
    if (isNull(b)) return nullsFirst ? 1 : -1;
    return (desc ? -1 : 1) * ((a as number) - (b as number));
  };
  return {
    kql: `sort by n ${desc ? 'desc' : 'asc'} nulls ${nullsFirst ? 'first' : 'last'}, id asc${take ? ` | take ${n}` : ''}`,
    ordered: true,
    apply: (x) => {
      const rows = [...x.rows].sort((a, b) => cmpN(a.n, b.n) || cmp(a.id, b.id));
      return { cols: x.cols, rows: take ? rows.slice(0, n) : rows };
    },
  };
}

function opRename(t: Table): Op {
  const c = pick(t.cols);
  const name = freshName();
  return {
    kql: `project-rename ${name} = ${c.name}`,
    apply: (x) => ({
      cols: x.cols.map((col) => (col.name === c.name ? { name, type: col.type } : col)),
      rows: x.rows.map((r) => {
        const o: Record<string, V> = {};
        for (const col of x.cols) o[col.name === c.name ? name : col.name] = r[col.name];
        return o;
      }),
    }),
  };
}

function opAway(t: Table): Op {
  const drop = t.cols.filter(() => chance(0.3)).slice(0, t.cols.length - 1);
  if (!drop.length) drop.push(t.cols[t.cols.length - 1]);
  if (drop.length === t.cols.length) drop.pop();
  const names = new Set(drop.map((c) => c.name));
  return {
    kql: `project-away ${drop.map((c) => c.name).join(', ')}`,
    apply: (x) => ({
      cols: x.cols.filter((c) => !names.has(c.name)),
      rows: x.rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !names.has(k)))),
    }),
  };
}

function opCase(t: Table): Op {
  const a = genPred(t, 1);
  const b = genPred(t, 1);
  const name = freshName();
  return {
    kql: `extend ${name} = case(${a.kql}, "first", ${b.kql}, "second", "other")`,
    apply: (x) => ({
      cols: [...x.cols, { name, type: 'string' }],
      rows: x.rows.map((r) => ({ ...r, [name]: a.ev(r) === true ? 'first' : b.ev(r) === true ? 'second' : 'other' })),
    }),
  };
}

function opInCi(t: Table): Op {
  const strs = colsOf(t, 'string');
  const c = pick(strs);
  const items = [pick(WORDS), pick(WORDS).toUpperCase(), 'p'];
  const neg = chance(0.3);
  return {
    kql: `where ${c} ${neg ? '!in~' : 'in~'} (${items.map(q).join(', ')})`,
    apply: (x) => ({
      cols: x.cols,
      rows: x.rows.filter((r) => items.map((i) => i.toLowerCase()).includes(String(r[c] ?? '').toLowerCase()) !== neg),
    }),
  };
}

/** arg_max/arg_min over the unique id: last step only (Kusto names its output columns). */
function opArgMax(t: Table): Op {
  const isMax = chance(0.5);
  const carried = pick(t.cols.filter((c) => c.name !== 'id' && c.type !== 'dynamic'));
  const key = pick(t.cols.filter((c) => c.name !== 'id' && c.name !== carried.name && c.type !== 'dynamic' && c.type !== 'datetime'));
  const by = key && chance(0.7) ? ` by ${key.name}` : '';
  return {
    kql: `summarize ${isMax ? 'arg_max' : 'arg_min'}(id, ${carried.name})${by}`,
    apply: (x) => {
      const groups = new Map<string, Record<string, V>[]>();
      for (const r of x.rows) {
        const k = by ? JSON.stringify(r[key.name] ?? null) : '';
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      if (!by && !groups.size) groups.set('', []);
      const rows = [...groups.values()].map((rs) => {
        const best = rs.filter((r) => !isNull(r.id)).sort((a, b) => (isMax ? -1 : 1) * cmp(a.id, b.id))[0];
        const o: Record<string, V> = {};
        if (by) o.__key = rs[0][key.name] ?? null;
        o.__id = best ? best.id : null;
        o.__carried = best ? best[carried.name] : null;
        return o;
      });
      const cols: { name: string; type: Ty }[] = [
        ...(by ? [{ name: '__key', type: key.type }] : []),
        { name: '__id', type: 'long' },
        { name: '__carried', type: carried.type },
      ];
      return { cols, rows };
    },
  };
}

const JOIN_KINDS = ['inner', 'innerunique', 'leftouter', 'rightouter', 'fullouter', 'leftsemi', 'leftanti'] as const;

function opJoin(): Op {
  const kind = pick(JOIN_KINDS);
  const filter = chance(0.5) ? pick(['w > 30', 'v != "u2"', 'isnotnull(k)']) : null;
  const filterEv = (r: Record<string, V>) =>
    filter === null ? true : filter === 'w > 30' ? (r.w as number) > 30 : filter === 'v != "u2"' ? r.v !== 'u2' : !isNull(r.k);
  const right = filter ? `(U | where ${filter})` : 'U';
  const explicitKind = kind === 'innerunique' && chance(0.5) ? '' : `kind=${kind} `;
  return {
    kql: `join ${explicitKind}${right} on k`,
    apply: (x) => {
      const U = data.U.filter(filterEv).map((r) => ({ ...r, v: r.v ?? '' }));
      const uCols: { name: string; type: Ty }[] = [
        { name: 'k', type: 'long' },
        { name: 'v', type: 'string' },
        { name: 'w', type: 'long' },
      ];
      const lNames = new Set(x.cols.map((c) => c.name));
      const rename = (n: string) => (lNames.has(n) ? `${n}1` : n);
      const rCols = uCols.map((c) => ({ name: rename(c.name), type: c.type }));
      const matches = (l: Record<string, V>, r: Record<string, V>) => !isNull(l.k) && !isNull(r.k) && l.k === r.k;
      if (kind === 'leftsemi') return { cols: x.cols, rows: x.rows.filter((l) => U.some((r) => matches(l, r))) };
      if (kind === 'leftanti') return { cols: x.cols, rows: x.rows.filter((l) => !U.some((r) => matches(l, r))) };
      let left = x.rows;
      if (kind === 'innerunique') {
        const orderCols = ['k', ...x.cols.map((c) => c.name).filter((n) => n !== 'k' && x.cols.find((c) => c.name === n)!.type !== 'dynamic')];
        const best = new Map<string, Record<string, V>>();
        for (const r of left) {
          const key = JSON.stringify(r.k ?? null);
          const cur = best.get(key);
          if (!cur) best.set(key, r);
          else {
            for (const c of orderCols) {
              const d = cmp(r[c], cur[c]);
              if (d < 0) {
                best.set(key, r);
                break;
              }
              if (d > 0) break;
            }
          }
        }
        left = [...best.values()];
      }
      const rows: Record<string, V>[] = [];
      const combine = (l: Record<string, V> | null, r: Record<string, V> | null) => {
        const o: Record<string, V> = {};
        // Kusto strings are never null: the unmatched side's strings read as "".
        for (const c of x.cols) o[c.name] = l ? l[c.name] : c.type === 'string' ? '' : null;
        uCols.forEach((c, i) => (o[rCols[i].name] = r ? r[c.name] : c.type === 'string' ? '' : null));
        return o;
      };
      const rightMatched = new Set<number>();
      for (const l of left) {
        let any = false;
        U.forEach((r, i) => {
          if (matches(l, r)) {
            rows.push(combine(l, r));
            rightMatched.add(i);
            any = true;
          }
        });
        if (!any && (kind === 'leftouter' || kind === 'fullouter')) rows.push(combine(l, null));
      }
      if (kind === 'rightouter' || kind === 'fullouter') U.forEach((r, i) => !rightMatched.has(i) && rows.push(combine(null, r)));
      return { cols: [...x.cols, ...rCols], rows };
    },
  };
}

function opUnion(t: Table): Op {
  const p = genPred(t);
  return {
    kql: `union (T | where ${p.kql})`,
    apply: (x) => ({ cols: x.cols, rows: [...x.rows, ...data.T.map(base).filter((r) => p.ev(r) === true)] }),
  };
}

function opMvExpand(t: Table): Op {
  const strs = colsOf(t, 'string');
  const c = pick(strs);
  const name = freshName();
  return {
    kql: `extend ${name} = split(${c}, ",") | mv-expand ${name} to typeof(string)`,
    apply: (x) => ({
      cols: [...x.cols, { name, type: 'string' }],
      rows: x.rows.flatMap((r) => String(r[c] ?? '').split(',').map((part) => ({ ...r, [name]: part }))),
    }),
  };
}

function base(r: Row): Record<string, V> {
  return { ...r, s: r.s ?? '', s2: r.s2 ?? '', ip: r.ip ?? '' };
}

// ---------------------------------------------------------------------------------------------
// query generation

interface Generated {
  kql: string;
  expected: Table;
  ordered: boolean;
}

function generate(): Generated {
  let table: Table = { cols: schema.tables[0].columns.map((c) => ({ name: c.name, type: c.type as Ty })), rows: data.T.map(base) };
  const parts = ['T'];
  let ordered = false;
  let idUnique = true;
  let unionDone = false;
  const steps = 1 + Math.floor(random() * 4);
  for (let i = 0; i < steps; i++) {
    const hasId = table.cols.some((c) => c.name === 'id');
    const hasK = table.cols.some((c) => c.name === 'k' && c.type === 'long');
    const hasStr = table.cols.some((c) => c.type === 'string');
    const options: (() => Op)[] = [() => opWhere(table), () => opWhere(table), () => opExtend(table), () => opProject(table), () => opSummarize(table)];
    if (table.cols.some((c) => c.type !== 'dynamic')) options.push(() => opDistinct(table));
    if (hasId && idUnique) options.push(() => opTop(), () => opSort());
    if (hasK && !table.cols.some((c) => ['v', 'w'].includes(c.name))) options.push(() => opJoin());
    if (!unionDone && i === 0) options.push(() => opUnion(table));
    if (hasStr) options.push(() => opMvExpand(table), () => opCase(table), () => opInCi(table));
    if (hasId && idUnique && table.cols.some((c) => c.name === 'n' && c.type === 'long')) options.push(() => opSortNulls());
    if (table.cols.length > 1) options.push(() => opRename(table), () => opAway(table));
    if (i === steps - 1) options.push(() => opCount());
    if (i === steps - 1 && hasId && idUnique && table.cols.filter((c) => c.type !== 'dynamic').length >= 3) options.push(() => opArgMax(table));
    const op = pick(options)();
    if (op.kql.startsWith('union')) unionDone = true;
    if (op.kql.startsWith('union') || op.kql.startsWith('join') || op.kql.includes('mv-expand')) idUnique = false;
    table = op.apply(table);
    parts.push(op.kql);
    const keepsOrder = !op.kql.includes('mv-expand') && (op.kql.startsWith('where') || op.kql.startsWith('extend') || op.kql.startsWith('project'));
    ordered = op.ordered ? true : keepsOrder ? ordered : false;
    if (op.kql === 'count' || /arg_(max|min)/.test(op.kql)) break;
  }
  return { kql: parts.join(' | '), expected: table, ordered };
}

// ---------------------------------------------------------------------------------------------
// comparison

function canon(v: V, type?: string): V {
  if (isNull(v)) return null;
  if (Array.isArray(v)) return [...v].map((x) => canon(x)).sort(cmp);
  if (type === 'datetime' && typeof v === 'number') return new Date(v).toISOString().replace('.000Z', 'Z');
  if (typeof v === 'number') return Math.round(v * 1e9) / 1e9;
  return v;
}

/** The first rows that differ, to keep failure messages readable. */
function diff(got: string[], want: string[]): string {
  const extra = got.filter((r) => !want.includes(r)).slice(0, 3);
  const missing = want.filter((r) => !got.includes(r)).slice(0, 3);
  return `${got.length} rows vs ${want.length} expected; unexpected ${extra.join(' ')}; missing ${missing.join(' ')}`;
}

function canonRows(rows: V[][], types: string[], ordered: boolean): string[] {
  const out = rows.map((r) => JSON.stringify(r.map((v, i) => canon(v, types[i]))));
  return ordered ? out : out.sort();
}

let data: Record<string, Row[]>;
let duck: DuckDBConnection;
let ch: ClickHouseServer;

describe('KQL differential: DuckDB vs ClickHouse 18.16 vs reference evaluator', () => {
  beforeAll(async () => {
    data = makeData();
    ch = await startClickHouse();
    duck = await duckWithTables(schema, data);
    await chWithTables(ch.url, schema, data);
  });
  afterAll(async () => {
    await ch?.stop();
  });

  it(`agrees on ${QUERIES} random queries from the supported grammar`, async () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    const queries: Generated[] = [];
    while (queries.length < QUERIES) {
      const g = generate();
      if (seen.has(g.kql)) continue;
      seen.add(g.kql);
      queries.push(g);
    }
    const run = queries.length;
    let nonEmpty = 0;
    // Batches: translate on the Node side while ClickHouse answers a batch concurrently.
    const BATCH = 25;
    for (let b = 0; b < queries.length && failures.length < 10; b += BATCH) {
      const batch = queries.slice(b, b + BATCH).map((g) => {
        try {
          const { plan } = translateKqlToPlan(g.kql, schema);
          return { g, plan, duckSql: planToSql(plan, { dialect: 'duckdb' }), chSql: planToSql(plan, { dialect: 'clickhouse' }) };
        } catch (err) {
          failures.push(`${g.kql}\n  translation error: ${(err as Error).message.slice(0, 400)}`);
          return null;
        }
      });
      const chResults = Promise.all(
        batch.map((x) =>
          x ? chQuery(ch.url, x.chSql.sql, x.chSql.settings, x.plan.columns.map((c) => c.type)).catch((e: Error) => e) : null,
        ),
      );
      const duckResults: (unknown[][] | Error | null)[] = [];
      for (const x of batch) {
        duckResults.push(x ? await duckQuery(duck, x.duckSql.sql, x.plan.columns.map((c) => c.type)).catch((e: Error) => e) : null);
      }
      const chs = await chResults;
      batch.forEach((x, i) => {
        if (!x) return;
        const { g, plan } = x;
        const d = duckResults[i];
        const c = chs[i];
        if (d instanceof Error) return void failures.push(`${g.kql}\n  duckdb error: ${d.message.slice(0, 400)}`);
        if (c instanceof Error) return void failures.push(`${g.kql}\n  clickhouse error: ${c.message.slice(0, 400)}`);
        const types = plan.columns.map((col) => col.type);
        const expectedRows = g.expected.rows.map((r) => g.expected.cols.map((col) => r[col.name] ?? null));
        const e = canonRows(expectedRows, g.expected.cols.map((col) => col.type), g.ordered);
        const dr = canonRows(d!, types, g.ordered);
        const cr = canonRows(c!, types, g.ordered);
        if (e.length) nonEmpty++;
        if (plan.columns.length !== g.expected.cols.length) failures.push(`${g.kql}\n  columns: ${plan.columns.map((col) => col.name)} vs ${g.expected.cols.map((col) => col.name)}`);
        else if (JSON.stringify(dr) !== JSON.stringify(e)) failures.push(`${g.kql}\n  duckdb:    ${diff(dr, e)}\n  sql: ${x.duckSql.sql}`);
        else if (JSON.stringify(cr) !== JSON.stringify(e)) failures.push(`${g.kql}\n  clickhouse: ${diff(cr, e)}\n  sql: ${x.chSql.sql}`);
      });
    }
    expect(failures.slice(0, 5).join('\n\n')).toBe('');
    expect(run).toBeGreaterThanOrEqual(QUERIES);
    // The generator must exercise real data, not mostly empty results.
    expect(nonEmpty).toBeGreaterThan(QUERIES * 0.6);
  }, 1_800_000);
});

