import { UsageError } from '../errors.js';
import { publicTable } from './schema.js';
import type { ExportResult, Store } from './types.js';

/** `--since`: an ISO date/time, or a duration back from now (`90m`, `-2h`, `7d`). */
export function parseSince(text: string, now = Date.now()): Date {
  const rel = /^-?(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(text.trim());
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2].toLowerCase() as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(rel[1]) * unit);
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--since: expected an ISO time (2026-11-26T10:00Z) or a duration (2h, 30m, 7d), got "${text}"`);
  return new Date(t);
}

export interface ExportOptions {
  table: string;
  format: string;
  since?: string;
  out?: string;
}

/** Library entry of `flowlens export`: validates the options and writes the file. */
export async function exportTable(store: Store, options: ExportOptions): Promise<ExportResult> {
  const format = options.format.toLowerCase();
  if (format !== 'parquet' && format !== 'csv') throw new UsageError(`--format must be parquet or csv, got "${options.format}"`);
  let table: string;
  try {
    table = publicTable(options.table);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return store.exportTable({
    table,
    format,
    since: options.since ? parseSince(options.since) : undefined,
    out: options.out ?? `${table}.${format}`,
  });
}
