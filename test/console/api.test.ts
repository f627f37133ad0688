/**
 * The console API's security: token on non-loopback binds, read-only statements, no file
 * access, a server-side time limit, loopback host names only, and no secrets in responses.
 * Requests only ever go to loopback addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertReadOnlySql,
  maskSql,
  openConsoleBackend,
  openDuckDbFileBackend,
  redactUrl,
  startConsoleServer,
  QueryRefusedError,
  type ConsoleBackend,
  type ConsoleServer,
} from '../../src/console/index.js';
import { UsageError } from '../../src/errors.js';
import { seededStoreFile, tempDir } from './support/harness.js';

let dir: ReturnType<typeof tempDir>;
let file: string;
let backend: ConsoleBackend;

beforeAll(async () => {
  dir = tempDir('flowlens-console-api-');
  file = await seededStoreFile(dir.dir, 10);
  backend = await openDuckDbFileBackend(file);
}, 120_000);

afterAll(async () => {
  await backend?.close();
  dir?.remove();
});

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: (await res.json()) as { error?: string; refused?: string; rows?: unknown[][]; columns?: string[] } };
}

describe('binding and tokens', () => {
  it('refuses to bind beyond loopback without a token', async () => {
    await expect(startConsoleServer({ backend, host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(UsageError);
    await expect(startConsoleServer({ backend, host: '0.0.0.0', port: 0 })).rejects.toThrow(/--token/);
  });

  describe('on 0.0.0.0 with a token', () => {
    let server: ConsoleServer;
    const token = 'correct-horse-battery-staple';
    let base: string;
    beforeAll(async () => {
      server = await startConsoleServer({ backend, host: '0.0.0.0', port: 0, token });
      base = `http://127.0.0.1:${server.port}`;
    });
    afterAll(() => server.close());

    it('answers 401 to every API call without the right token', async () => {
      for (const path of ['/api/info', '/api/overview', '/api/topology', '/api/rules', '/api/flows', '/api/public-ips', '/api/schema', '/api/coverage', '/api/events', '/api/nope']) {
        const none = await fetch(base + path);
        expect({ path, status: none.status }).toEqual({ path, status: 401 });
        expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
        const wrong = await fetch(base + path, { headers: { authorization: 'Bearer not-the-token' } });
        expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
      }
      expect((await post(`${base}/api/query`, { language: 'sql', text: 'SELECT 1' })).status).toBe(401);
      // The token is not accepted from the query string (it would end up in logs and history).
      expect((await fetch(`${base}/api/info?token=${token}`)).status).toBe(401);
    });

    it('answers with the token, and sends no secret back', async () => {
      const res = await fetch(`${base}/api/info`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(token);
      expect(JSON.parse(text)).toMatchObject({ dialect: 'duckdb', sandboxed: true });
      const q = await post(`${base}/api/query`, { language: 'sql', text: 'SELECT count(*) AS n FROM FlowTuples' }, { authorization: `Bearer ${token}` });
      expect(q.status).toBe(200);
      const [[direct]] = (await backend.query('SELECT count(*) FROM FlowTuples', { timeoutMs: 5000, maxRows: 1 })).rows;
      expect(q.body.rows).toEqual([[direct]]);
    });
  });

  it('answers only to loopback host names when bound to loopback (no DNS rebinding)', async () => {
    const server = await startConsoleServer({ backend, host: '127.0.0.2', port: 0 });
    try {
      const ok = await fetch(`http://127.0.0.2:${server.port}/api/info`);
      expect(ok.status).toBe(200);
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.2', port: server.port, path: '/api/info', headers: { host: `attacker.example:${server.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it('never shows ClickHouse credentials', async () => {
    expect(redactUrl('http://alice:s3cret@ch.example:8123/?password=x')).toBe('http://ch.example:8123');
    const opened = await openConsoleBackend({ clickhouse: 'http://alice:s3cret@127.0.0.1:1' });
    try {
      expect(opened.label).not.toMatch(/alice|s3cret/);
    } finally {
      await opened.backend.close();
    }
  });
});

describe('query API limits', () => {
  let server: ConsoleServer;
  let base: string;
  beforeAll(async () => {
    server = await startConsoleServer({ backend, port: 0, queryTimeoutMs: 700, maxRows: 5 });
    base = server.url.replace(/\/$/, '');
  });
  afterAll(() => server.close());

  it('refuses write statements with a clear error', async () => {
    for (const text of [
      "INSERT INTO flow_strings VALUES (999999, 'x')",
      'DELETE FROM flow_tuples',
      'DROP TABLE flow_tuples',
      'CREATE TABLE t AS SELECT 1',
      "UPDATE flow_strings SET value = 'x'",
      'SELECT 1; DROP TABLE flow_tuples',
      "COPY flow_tuples TO '/tmp/x.csv'",
      'SET enable_external_access = true',
      "ATTACH '/tmp/other.duckdb'",
    ]) {
      const res = await post(`${base}/api/query`, { language: 'sql', text });
      expect({ text, status: res.status }).toEqual({ text, status: 400 });
      expect(res.body.error).toMatch(/read-only|one statement/);
    }
    const [[count]] = (await backend.query('SELECT count(*) FROM flow_tuples', { timeoutMs: 5000, maxRows: 1 })).rows;
    expect(Number(count)).toBeGreaterThan(0);
  });

  it('refuses file-reading functions with a clear error', async () => {
    for (const text of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/hostname')",
      "SELECT * FROM '/etc/passwd'",
      "SELECT * FROM read_parquet('x.parquet')",
      "SELECT * FROM glob('/etc/*')",
      "select * from READ_JSON_AUTO ('/etc/x.json')",
      "SELECT * FROM file('/etc/passwd', 'CSV', 'a String')",
    ]) {
      const res = await post(`${base}/api/query`, { language: 'sql', text });
      expect({ text, status: res.status, refused: res.body.refused }).toEqual({ text, status: 400, refused: 'file-access' });
      expect(res.body.error).toMatch(/file/);
    }
  });

  it('stops a long query at the server-side time limit', async () => {
    const started = Date.now();
    const res = await post(`${base}/api/query`, { language: 'sql', text: 'SELECT count(*) FROM range(100000000000) AS a' });
    expect(res.status).toBe(408);
    expect(res.body.refused).toBe('timeout');
    expect(res.body.error).toMatch(/time limit of 700 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The engine was interrupted, not just abandoned: the next query answers at once.
    const next = await post(`${base}/api/query`, { language: 'sql', text: 'SELECT 42 AS answer' });
    expect(next.body.rows).toEqual([[42]]);
  });

  it('cuts results at the row limit and says so', async () => {
    const res = await post(`${base}/api/query`, { language: 'sql', text: 'SELECT * FROM range(100)' });
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(5);
    expect((res.body as { truncated?: boolean }).truncated).toBe(true);
  });
});

describe('engine sandbox (behind the static guard)', () => {
  it('DuckDB refuses writes and file access even when the guard is bypassed', async () => {
    const limits = { timeoutMs: 5000, maxRows: 10 };
    await expect(backend.query('CREATE TABLE t AS SELECT 1', limits)).rejects.toThrow(/read-only/i);
    await expect(backend.query("SELECT * FROM read_text('/etc/hostname')", limits)).rejects.toThrow(/disabled by configuration/);
    await expect(backend.query("COPY (SELECT 1) TO '/tmp/flowlens-should-not-exist.csv'", limits)).rejects.toThrow(/disabled by configuration/);
    await expect(backend.query('SET enable_external_access = true', limits)).rejects.toThrow(/locked/);
  });
});

describe('static guard', () => {
  it('ignores words inside strings, quoted names and comments, but not code after them', () => {
    expect(() => assertReadOnlySql("SELECT 'insert into x' AS note, \"delete\" FROM t")).not.toThrow();
    expect(() => assertReadOnlySql('SELECT 1 -- drop table x')).not.toThrow();
    expect(() => assertReadOnlySql('/* hi */ SELECT 1;')).not.toThrow();
    expect(() => assertReadOnlySql("SELECT ';' AS semi")).not.toThrow();
    expect(() => assertReadOnlySql("SELECT '--' AS a; DROP TABLE x")).toThrow(QueryRefusedError);
    expect(() => assertReadOnlySql("SELECT * FROM t WHERE a = 'it''s' AND read_csv('x') IS NULL")).toThrow(/read_csv/);
    expect(() => assertReadOnlySql('')).toThrow(/empty/);
    expect(maskSql("a 'b' \"c\" -- d\ne")).toBe("a '' \"q\"  \ne");
  });
});
