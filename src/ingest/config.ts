import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** Options of one ingest run, with their defaults. */
export const ingestOptionsSchema = z.object({
  /** Keep polling after the first pass. */
  follow: z.boolean().default(false),
  /** Pause between passes in follow mode. */
  intervalMs: z.number().int().min(0).default(10_000),
  /** In follow mode after the first pass, list only hour partitions ending within this window. */
  followWindowMs: z
    .number()
    .int()
    .min(60_000)
    .default(2 * 3_600_000),
  /** Only blobs whose hour bucket overlaps [since, until). */
  since: z.date().optional(),
  until: z.date().optional(),
  /** Decoder threads; 0 decodes on the main thread. */
  workers: z.number().int().min(0).max(64).default(defaultDecoderThreads),
  /**
   * Blobs read and decoded at once; default 64 for a store that commits groups (DuckDB), else 16.
   * A blob hands its rows to the committer and its lane takes the next blob while the rows wait
   * for their group (see committer.ts), so this bounds reads and decoder work in flight, not the
   * groups. A store committing unit by unit (ClickHouse) gets at most this many concurrent
   * inserts, hence its lower default.
   */
  concurrency: z.number().int().min(1).max(4096).optional(),
  /** Upper bound of one ranged read (and one store commit). */
  maxChunkBytes: z
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  /** Clear quarantine marks and try those blobs again. */
  retryQuarantined: z.boolean().default(false),
});

export type IngestOptionsInput = z.input<typeof ingestOptionsSchema>;

/** Decoder threads when none are asked for: the cores but one (for the store), at most 4. */
export function defaultDecoderThreads(): number {
  return Math.max(1, Math.min(4, availableCores() - 1));
}

/**
 * DuckDB threads for a store that ingestion writes to: the cores the decoder threads leave, at
 * least one. A group commit's compression runs in DuckDB; with a second DuckDB thread competing
 * with the decoder for two cores, bench:ingest spent ~22% more CPU per tuple (57.8k vs 74.4k
 * tuples per CPU-second, 3.2M tuples) and took longer. Queries on a store being ingested
 * (`serve --ingest`) keep DuckDB's default.
 */
export function ingestStoreThreads(decoderThreads: number = defaultDecoderThreads()): number {
  return Math.max(1, availableCores() - decoderThreads - 1);
}
export type IngestSettings = z.output<typeof ingestOptionsSchema>;

function availableCores(): number {
  return availableParallelism();
}

/** `10s`, `500ms`, `2m`, `1h` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: "${text}" (use e.g. 500ms, 10s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

/** An ISO instant (`2026-11-26T09:00Z`), a date (`2026-11-26`, UTC), or a relative `-2h` / `-30m`. */
export function parseInstant(text: string, now: Date = new Date()): Date {
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (rel) {
    const unit = rel[2];
    const ms = unit === 'd' ? Number(rel[1]) * 86_400_000 : parseDuration(`${rel[1]}${unit}`);
    return new Date(now.getTime() - ms);
  }
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new UsageError(`not a time: "${text}" (use ISO 8601, e.g. 2026-11-26T09:00Z, or -2h)`);
  return date;
}

export function resolveIngestOptions(input: IngestOptionsInput): IngestSettings {
  const parsed = ingestOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new UsageError(
      `ingest options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  if (parsed.data.since && parsed.data.until && parsed.data.since >= parsed.data.until) {
    throw new UsageError('--since must be before --until');
  }
  return parsed.data;
}
