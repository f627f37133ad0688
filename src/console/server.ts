import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, createReadStream, statSync } from 'node:fs';
import { join, normalize, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../errors.js';
import type { ConsoleBackend, QueryLimits } from './backend.js';
import { consoleConfigSchema, isLoopbackHost, type ConsoleOptions } from './config.js';
import { assertReadOnlySql, QueryRefusedError } from './guard.js';
import * as q from './queries.js';
import { baseRuleName, buildGraph, emptyTopology, type ConsoleTopology } from './topology.js';
import { KqlTranslationError, loadKqlTranslator, runCoverage, type KqlTranslator } from './extensions.js';

export interface ConsoleServerInput extends ConsoleOptions {
  backend: ConsoleBackend;
  /** What the store is, for the header: never a connection string or a secret. */
  storeLabel?: string;
  topology?: ConsoleTopology;
  /** The scenario as loaded by model/, handed to the coverage planner. */
  scenario?: unknown;
  /** Overrides the KQL translator (tests, embedding); by default src/query is used. */
  kqlTranslator?: KqlTranslator | null;
}

export interface ConsoleServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Finds the built web app: dist/console/web next to the compiled module, or from src/ in dev. */
export function findWebRoot(explicit?: string): string | null {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = explicit
    ? [explicit]
    : [join(here, 'web'), join(here, '..', '..', 'dist', 'console', 'web')];
  for (const dir of candidates) {
    if (existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets'))) return dir;
  }
  return null;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function securityHeaders(res: ServerResponse) {
  res.setHeader(
    'content-security-policy',
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (!given) return false;
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

function optionalNumber(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new HttpError(400, `${name} must be a number, got "${raw}"`);
  return value;
}

function rangeOf(params: URLSearchParams): q.TimeRange {
  return { from: optionalNumber(params, 'from'), to: optionalNumber(params, 'to') };
}

async function readBody(req: IncomingMessage, maxBytes = 256 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Table and column names for the editor's completion, from the engine's catalog. */
async function schemaOf(backend: ConsoleBackend) {
  const sql =
    backend.dialect === 'duckdb'
      ? `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'main' ORDER BY table_name, ordinal_position`
      : `SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, name`;
  const result = await backend.query(sql, { timeoutMs: 10_000, maxRows: 20_000 });
  const tables: Record<string, { name: string; type: string }[]> = {};
  for (const [table, column, type] of result.rows as string[][]) {
    (tables[table] ??= []).push({ name: column, type });
  }
  return tables;
}

/**
 * Starts the console: JSON API under /api, server-sent events at /api/events, and the web app.
 * Refuses a non-loopback bind without a token.
 */
export async function startConsoleServer(input: ConsoleServerInput): Promise<ConsoleServer> {
  const config = consoleConfigSchema.parse(input);
  const { backend } = input;
  if (!isLoopbackHost(config.host) && !config.token) {
    throw new UsageError(
      `binding to ${config.host} exposes the console beyond this machine: give --token (or FLOWLENS_TOKEN), or use --host 127.0.0.1`,
    );
  }
  const topology = input.topology ?? emptyTopology();
  const webRoot = findWebRoot(config.webRoot);
  const translatorPromise: Promise<KqlTranslator | null> =
    input.kqlTranslator !== undefined
      ? Promise.resolve(input.kqlTranslator)
      : loadKqlTranslator({
          dialect: backend.dialect,
          query: (sql) => backend.query(sql, { timeoutMs: 30_000, maxRows: 100_000 }),
        });
  const userLimits: QueryLimits = { timeoutMs: config.queryTimeoutMs, maxRows: config.maxRows };

  // One poller for all live clients; it runs only while someone listens.
  const listeners = new Set<ServerResponse>();
  let lastVersion: string | null = null;
  let poller: NodeJS.Timeout | null = null;
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const version = await q.dataVersion(backend);
      if (version !== lastVersion) {
        lastVersion = version;
        const message = `event: data\ndata: ${JSON.stringify({ version, at: Date.now() })}\n\n`;
        for (const res of listeners) res.write(message);
      }
    } catch {
      // Tables may not exist yet (store still empty); the next tick tries again.
    } finally {
      polling = false;
    }
  };
  const heartbeat = setInterval(() => {
    for (const res of listeners) res.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  async function api(req: IncomingMessage, res: ServerResponse, url: URL) {
    const p = url.searchParams;
    const path = url.pathname;
    if (req.method === 'GET' && path === '/api/info') {
      const translator = await translatorPromise;
      return sendJson(res, 200, {
        dialect: backend.dialect,
        store: input.storeLabel ?? backend.dialect,
        sandboxed: backend.sandboxed,
        kql: translator !== null,
        topologyLoaded: input.topology !== undefined,
        limits: { queryTimeoutMs: config.queryTimeoutMs, maxRows: config.maxRows },
        extent: await q.dataExtent(backend).catch(() => ({ firstMs: null, lastMs: null })),
      });
    }
    if (req.method === 'GET' && path === '/api/overview') return sendJson(res, 200, await q.overview(backend, rangeOf(p)));
    if (req.method === 'GET' && path === '/api/topology') {
      const level = p.get('level') === 'vm' ? 'vm' : 'subnet';
      return sendJson(res, 200, await buildGraph(backend, topology, rangeOf(p), level));
    }
    if (req.method === 'GET' && path === '/api/topology/rows') {
      const level = p.get('level') === 'vm' ? 'vm' : 'subnet';
      return sendJson(
        res,
        200,
        await q.rowsForSelection(backend, rangeOf(p), {
          level,
          src: p.get('src') ?? undefined,
          dest: p.get('dest') ?? undefined,
          node: p.get('node') ?? undefined,
        }),
      );
    }
    if (req.method === 'GET' && path === '/api/rules') {
      const range = rangeOf(p);
      const hits = await q.ruleHits(backend, range);
      const extent = await q.dataExtent(backend);
      const from = range.from ?? extent.firstMs ?? 0;
      const to = range.to ?? (extent.lastMs ?? 0) + 1;
      const binMs = q.binWidthMs({ from, to });
      const bins = await q.deniedByRuleOverTime(backend, range, binMs);
      const key = (g: string, r: string) => `${g.toLowerCase()}\u0000${baseRuleName(r).toLowerCase()}`;
      const hitKeys = new Set(hits.filter((h) => h.flows > 0).map((h) => key(h.aclGroup, h.rule)));
      const kinds = new Map(topology.rules.map((r) => [key(r.aclGroup, r.rule), r.kind]));
      const avnmGroups = new Set(topology.rules.filter((r) => r.kind === 'avnm').map((r) => r.aclGroup.toLowerCase()));
      const kindOf = (g: string, r: string) => kinds.get(key(g, r)) ?? (avnmGroups.has(g.toLowerCase()) ? 'avnm' : 'nsg');
      return sendJson(res, 200, {
        binMs,
        hits: hits.map((h) => ({ ...h, kind: kindOf(h.aclGroup, h.rule) })),
        unused: topology.rules.filter((r) => !hitKeys.has(key(r.aclGroup, r.rule))),
        rulesKnown: topology.rules.length > 0,
        spikes: q.denySpikes(bins),
      });
    }
    if (req.method === 'GET' && path === '/api/flows') {
      const state = p.get('state')?.toUpperCase();
      const decision = p.get('decision')?.toUpperCase();
      const protocolRaw = p.get('protocol')?.toUpperCase();
      const protocol =
        protocolRaw === 'TCP' || protocolRaw === 'T' ? 6 : protocolRaw === 'UDP' || protocolRaw === 'U' ? 17 : optionalNumber(p, 'protocol');
      if (state && !['B', 'C', 'E', 'D'].includes(state)) throw new HttpError(400, 'state must be one of B, C, E, D');
      if (decision && !['A', 'D'].includes(decision)) throw new HttpError(400, 'decision must be A or D');
      const filter: q.FlowFilter = {
        ...rangeOf(p),
        ip: p.get('ip') || undefined,
        cidr: p.get('cidr') || undefined,
        port: optionalNumber(p, 'port'),
        protocol,
        rule: p.get('rule') || undefined,
        state: (state || undefined) as q.FlowFilter['state'],
        decision: (decision || undefined) as q.FlowFilter['decision'],
        encryption: p.get('encryption') || undefined,
        limit: optionalNumber(p, 'limit'),
        offset: optionalNumber(p, 'offset'),
      };
      try {
        return sendJson(res, 200, await q.flowTuples(backend, filter));
      } catch (err) {
        if (err instanceof RangeError) throw new HttpError(400, err.message);
        throw err;
      }
    }
    if (req.method === 'GET' && path === '/api/public-ips') {
      const range = rangeOf(p);
      const details = await Promise.all([q.maliciousIps(backend, range), q.publicIpSummary(backend, range)]).then(
        ([malicious, summary]) => ({ available: true, malicious, summary }),
        (err: Error) => ({ available: false, reason: `NTAIpDetails not readable: ${err.message.split('\n')[0]}`, malicious: [], summary: [] }),
      );
      return sendJson(res, 200, {
        countries: await q.trafficByCountry(backend, range),
        regions: await q.trafficByAzureRegion(backend, range),
        ...details,
      });
    }
    if (req.method === 'GET' && path === '/api/schema') return sendJson(res, 200, await schemaOf(backend));
    if (req.method === 'GET' && path === '/api/coverage') return sendJson(res, 200, await runCoverage(input.scenario));
    if (req.method === 'POST' && path === '/api/query') {
      let body: { language?: string; text?: string };
      try {
        body = JSON.parse(await readBody(req)) as typeof body;
      } catch {
        throw new HttpError(400, 'body must be JSON: {"language": "kql" | "sql", "text": "..."}');
      }
      const text = typeof body.text === 'string' ? body.text : '';
      const language = body.language === 'sql' ? 'sql' : 'kql';
      let sql = text;
      let render: string | undefined;
      if (language === 'kql') {
        const translator = await translatorPromise;
        if (!translator) throw new HttpError(501, 'KQL translator not available in this build; use SQL');
        try {
          const t = await translator(text, backend.dialect);
          sql = t.sql;
          render = t.render;
        } catch (err) {
          if (err instanceof KqlTranslationError) throw new HttpError(400, err.message, { errors: err.errors });
          throw err;
        }
      }
      assertReadOnlySql(sql);
      const result = await backend.query(sql, userLimits);
      return sendJson(res, 200, { ...result, sql: language === 'kql' ? sql : undefined, render });
    }
    if (req.method === 'GET' && path === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 2000\n\n`);
      if (lastVersion !== null) res.write(`event: data\ndata: ${JSON.stringify({ version: lastVersion, at: Date.now() })}\n\n`);
      listeners.add(res);
      if (!poller) {
        poller = setInterval(() => void poll(), config.pollIntervalMs);
        void poll();
      }
      req.on('close', () => {
        listeners.delete(res);
        if (listeners.size === 0 && poller) {
          clearInterval(poller);
          poller = null;
        }
      });
      return;
    }
    throw new HttpError(404, `no such API: ${req.method} ${path}`);
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    if (!webRoot) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The web app is not built. Run `npm run build:web`; the JSON API is at /api.\n');
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || !extname(rel)) rel = '/index.html';
    const file = normalize(join(webRoot, rel));
    if (!file.startsWith(webRoot.endsWith(sep) ? webRoot : webRoot + sep) || !existsSync(file) || !statSync(file).isFile()) {
      return sendJson(res, 404, { error: 'not found' });
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const handle = async () => {
      // Loopback consoles answer only to loopback host names, so a web page elsewhere cannot
      // reach them through DNS rebinding.
      if (!config.token) {
        const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
        if (!isLoopbackHost(hostname)) throw new HttpError(403, 'host not allowed');
      }
      if (url.pathname.startsWith('/api/')) {
        if (config.token) {
          const header = req.headers.authorization;
          const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
          if (!tokenMatches(config.token, given)) {
            res.setHeader('www-authenticate', 'Bearer realm="flowlens"');
            throw new HttpError(401, 'missing or wrong token: send "Authorization: Bearer <token>"');
          }
        }
        await api(req, res, url);
      } else {
        serveStatic(req, res, url);
      }
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message, ...err.extra });
      if (err instanceof QueryRefusedError) {
        return sendJson(res, err.kind === 'timeout' ? 408 : 400, { error: err.message, refused: err.kind });
      }
      // Engine errors (unknown column, read-only violation, file access) go back as 400 with the
      // engine's first line; they carry no secrets, only the user's own query context.
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      const status = /permission|read-only|readonly|cannot execute|not allowed/i.test(message) ? 400 : /error/i.test(message) ? 400 : 500;
      sendJson(res, status, { error: message });
    });
  });
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}/`,
    host: address.address,
    port: address.port,
    async close() {
      clearInterval(heartbeat);
      if (poller) clearInterval(poller);
      for (const r of listeners) r.end();
      listeners.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
