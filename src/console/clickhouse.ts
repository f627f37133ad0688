import { createClient } from '@clickhouse/client';
import type { ConsoleBackend, LimitedResult } from './backend.js';
import { toJsonValue } from './backend.js';
import { QueryRefusedError } from './guard.js';

/** A ClickHouse URL with user, password and query string removed, for display. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'clickhouse';
  }
}

/**
 * Reads ClickHouse with `readonly=2` (no writes or DDL; settings may still be given per query,
 * which readonly=1 would refuse), a server-side `max_execution_time` and `max_result_rows`, and
 * cancels the HTTP request when the time limit passes. Table functions that reach files or
 * other servers are refused by the static guard before a statement is sent.
 */
export function clickHouseBackend(url: string, database?: string): ConsoleBackend {
  const client = createClient({ url, database, request_timeout: 600_000 });
  return {
    dialect: 'clickhouse',
    sandboxed: true,
    async query(sql, limits): Promise<LimitedResult> {
      const started = Date.now();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), limits.timeoutMs + 500);
      try {
        // JSONCompact exists in every ClickHouse release we support (18.16 has no
        // JSONCompactEachRowWithNamesAndTypes).
        const rs = await client.query({
          query: sql,
          format: 'JSONCompact',
          abort_signal: abort.signal,
          clickhouse_settings: {
            readonly: '2',
            max_execution_time: Math.max(1, Math.ceil(limits.timeoutMs / 1000)),
            max_result_rows: String(limits.maxRows + 1),
            result_overflow_mode: 'break',
            output_format_json_quote_64bit_integers: 0,
          },
        });
        const body = (await rs.json()) as { meta: { name: string }[]; data: unknown[][] };
        const truncated = body.data.length > limits.maxRows;
        return {
          columns: body.meta.map((m) => m.name),
          rows: body.data.slice(0, limits.maxRows).map((r) => r.map(toJsonValue)),
          truncated,
          elapsedMs: Date.now() - started,
        };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (abort.signal.aborted || /TIMEOUT_EXCEEDED|Timeout exceeded/i.test(message)) {
          throw new QueryRefusedError(
            `query stopped after the time limit of ${limits.timeoutMs} ms (--query-timeout)`,
            'timeout',
          );
        }
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => client.close(),
  };
}
