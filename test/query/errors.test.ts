import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { KqlError, translateKql } from '../../src/query/kql/index.js';
import { runKql, runSql, assertReadOnlySql } from '../../src/query/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { UsageError } from '../../src/errors.js';

const run = promisify(execFile);

function kqlError(kql: string): KqlError {
  try {
    translateKql(kql, { dialect: 'duckdb' });
  } catch (err) {
    if (err instanceof KqlError) return err;
    throw err;
  }
  throw new Error(`expected an error for: ${kql}`);
}

describe('invalid KQL: Kusto.Language diagnostics with positions', () => {
  it('reports an unknown column at its line and column', () => {
    const e = kqlError('NTANetAnalytics\n| where NoSuchColumn == 1');
    expect(e.kind).toBe('invalid');
    expect([e.line, e.column]).toEqual([2, 9]);
    expect(e.message).toMatch(/NoSuchColumn/);
    expect(e.exitCode).toBe(2);
  });
  it('reports a type error', () => {
    const e = kqlError('NTANetAnalytics | where BytesSrcToDest has "x" and strlen(DestPort) > 1');
    expect(e.kind).toBe('invalid');
    expect(e.line).toBe(1);
    expect(e.column).toBeGreaterThan(20);
  });
  it('reports an unknown table', () => {
    const e = kqlError('NoTable | take 1');
    expect([e.kind, e.line, e.column]).toEqual(['invalid', 1, 1]);
  });
  it('reports a syntax error', () => {
    const e = kqlError('NTANetAnalytics | where (');
    expect(e.kind).toBe('invalid');
  });
});

describe('valid but unsupported KQL: "not supported: <what> at line:col"', () => {
  const cases: [string, RegExp, number, number][] = [
    ['NTANetAnalytics\n| make-series count() on TimeGenerated step 1h', /not supported: operator 'make-series' at 2:3/, 2, 3],
    ['NTANetAnalytics | summarize stdev(BytesSrcToDest)', /not supported: aggregate function 'stdev' at 1:29/, 1, 29],
    ['NTANetAnalytics | extend x = parse_json(SrcIp)', /not supported: function 'parse_json' at 1:30/, 1, 30],
    ['NTANetAnalytics | join kind=leftouter (NTANetAnalytics) on $left.SrcIp == $right.DestIp and $left.DestPort < $right.DestPort', /invalid KQL at 1:\d+|not supported/, 1, 0],
    ['NTANetAnalytics | summarize count() by bin(TimeGenerated, 1h) | make-graph a --> b with T on x', /at 1:/, 1, 0],
    ['NTANetAnalytics | parse SrcIp with a "." b', /not supported: operator 'parse'/, 1, 19],
    ['NTANetAnalytics | top-nested 3 of SrcIp by count()', /not supported: operator 'top-nested' at 1:19/, 1, 19],
    ['NTANetAnalytics | take 1 | extend x = SrcIp has_any ("a", "b")', /not supported/, 1, 0],
    ['let f = (x:long) { x + 1 }; NTANetAnalytics | extend y = f(1)', /not supported: user-defined functions/, 1, 0],
  ];
  for (const [kql, re, line, col] of cases) {
    it(kql.replace(/\n/g, ' '), () => {
      const e = kqlError(kql);
      expect(e.message).toMatch(re);
      expect(e.kind === 'unsupported' || e.kind === 'invalid').toBe(true);
      expect(e.line).toBe(line);
      if (col) expect(e.column).toBe(col);
      expect(e.exitCode).toBe(2);
    });
  }
});

describe('project-away with a wildcard keeps the columns Kusto computed', () => {
  it('drops every Src* column', () => {
    const t = translateKql('NTANetAnalytics | project-away Src*', { dialect: 'duckdb' });
    const names = t.plan.columns.map((c) => c.name);
    expect(names.some((n) => n.startsWith('Src'))).toBe(false);
    expect(names).toContain('DestIp');
  });
});

describe('nothing is executed for invalid or unsupported queries; SQL pass-through is read-only', () => {
  let dir: string;
  let store: Store;
  let executed: string[];
  let counting: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-query-'));
    store = await openStore({ db: join(dir, 'q.duckdb') });
    executed = [];
    counting = { ...store, dialect: store.dialect, query: (sql: string) => (executed.push(sql), store.query(sql)) } as Store;
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a valid query on the real DuckDB store', async () => {
    const out = await runKql(counting, 'NTANetAnalytics | summarize n = count()');
    expect(out.columns).toEqual(['n']);
    expect(out.rows).toEqual([[0]]);
  });

  it('sends no SQL for an unsupported query', async () => {
    const schemaQueries = executed.length;
    await expect(runKql(counting, 'NTANetAnalytics | make-series count() on TimeGenerated step 1h')).rejects.toThrow(/not supported/);
    // Only the schema lookup (information_schema) may have run; never a data query.
    expect(executed.slice(schemaQueries).every((s) => s.includes('information_schema'))).toBe(true);
  });

  const refused = [
    "INSERT INTO NTANetAnalytics VALUES (1)",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_parquet('x.parquet')",
    "SELECT * FROM 'data.csv'",
    "SELECT * FROM glob('/etc/*')",
    "ATTACH 'other.duckdb' AS o",
    "COPY NTANetAnalytics TO 'out.csv'",
    "SELECT 1; DROP TABLE NTANetAnalytics",
    "SELECT * FROM file('x.tsv', 'TSV', 'a String')",
    "SELECT * FROM url('http://example.com/x', CSV, 'a String')",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SELECT * FROM read_json_auto('x.json')",
  ];
  for (const sql of refused) {
    it(`refuses: ${sql}`, async () => {
      const before = executed.length;
      await expect(runSql(counting, sql)).rejects.toBeInstanceOf(UsageError);
      expect(executed.length).toBe(before);
    });
  }

  it('accepts read-only SQL, including strings that merely mention forbidden words', async () => {
    expect(() => assertReadOnlySql("SELECT 'insert into x; read_csv(1)' AS a -- drop", 'duckdb')).not.toThrow();
    const out = await runSql(counting, "SELECT 'read_csv(1)' AS a, replace('ab', 'a', 'c') AS b");
    expect(out.rows).toEqual([['read_csv(1)', 'cb']]);
  });
});

describe('flowlens query (CLI): exit code 2 with a located message', () => {
  it('prints "not supported: ... at line:col" and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-cli-'));
    try {
      const err = await run('npx', ['tsx', 'src/cli/main.ts', 'query', '--db', join(dir, 'x.duckdb'), 'NTANetAnalytics | make-series count() on TimeGenerated step 1h'], { cwd: process.cwd() }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err).not.toBeNull();
      expect(err!.code).toBe(2);
      expect(err!.stderr).toMatch(/not supported: operator 'make-series' at 1:19/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
