/**
 * Reading flow-log files from disk into rows: the library side of `flowlens parse`.
 *
 * Files are streamed through the decoder (never loaded whole); each row is written as one JSON
 * line or one CSV line with the `FlowBatch` row names (ARCHITECTURE.md) as keys/columns.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FlowLogFormatError } from '../errors.js';
import { createDecoder, type DecodeStats } from './decode.js';
import { FLOW_ROW_COLUMNS, rowAt, type FlowBatch, type FlowRow } from './flowbatch.js';

export type RowFormat = 'jsonl' | 'csv';

/**
 * Expands the inputs: files are taken as given; directories are walked (recursively, sorted)
 * for files named `PT1H.json`.
 */
export function findFlowLogFiles(inputs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.toLowerCase() === 'pt1h.json') out.push(path);
    }
  };
  for (const input of inputs) {
    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      throw new FlowLogFormatError('no such file or directory', { source: input });
    }
    if (isDir) walk(input);
    else out.push(input);
  }
  return out;
}

function csvField(value: FlowRow[keyof FlowRow]): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvHeader(): string {
  return FLOW_ROW_COLUMNS.join(',') + '\n';
}

/** The rows of a batch as text lines (JSON objects or CSV records), newline-terminated. */
export function formatRows(batch: FlowBatch, format: RowFormat): string {
  let out = '';
  for (let i = 0; i < batch.length; i++) {
    const row = rowAt(batch, i);
    if (format === 'jsonl') {
      out += JSON.stringify(row) + '\n';
    } else {
      let line = '';
      for (let c = 0; c < FLOW_ROW_COLUMNS.length; c++) {
        if (c > 0) line += ',';
        line += csvField(row[FLOW_ROW_COLUMNS[c]]);
      }
      out += line + '\n';
    }
  }
  return out;
}

export interface ParseFilesOptions {
  format: RowFormat;
  lenient?: boolean;
  /** Receives text to write; may return a promise to apply back-pressure. */
  write: (text: string) => void | Promise<void>;
  /** Called when a file fails in lenient mode (the file is counted in `errors`, others go on). */
  onFileError?: (file: string, error: FlowLogFormatError) => void;
}

export interface ParseFilesSummary {
  files: number;
  records: number;
  tuples: number;
  skipped: number;
  skippedRecords: number;
  errors: number;
  skipReasons: Record<string, number>;
  unknownEncryption: Record<string, number>;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Decodes one file chunk by chunk, handing each batch to `onBatch` (awaited). */
export async function decodeFile(
  path: string,
  options: { lenient?: boolean; onBatch: (batch: FlowBatch) => void | Promise<void> },
): Promise<DecodeStats> {
  const ready: FlowBatch[] = [];
  const decoder = createDecoder({ source: path, lenient: options.lenient, onBatch: (b) => ready.push(b) });
  const drain = async () => {
    while (ready.length > 0) await options.onBatch(ready.shift() as FlowBatch);
  };
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) {
      decoder.push(chunk as Buffer);
      await drain();
    }
  } catch (err) {
    stream.destroy();
    if (err instanceof FlowLogFormatError) throw err;
    throw new FlowLogFormatError(`cannot read: ${(err as Error).message}`, { source: path }, { cause: err });
  }
  const stats = decoder.end();
  await drain();
  return stats;
}

export interface ParseFilesResult extends ParseFilesSummary {
  /** Strict mode: the located error that stopped parsing (the summary counts it). */
  error: FlowLogFormatError | null;
}

/**
 * Parses files (and directories of `PT1H.json`) into text rows. Strict mode stops at the first
 * malformed input and returns its located `FlowLogFormatError` in `error`; lenient mode skips bad
 * tuples and records, and counts files that still fail in `errors`.
 */
export async function parseFlowLogFiles(inputs: readonly string[], options: ParseFilesOptions): Promise<ParseFilesResult> {
  const result: ParseFilesResult = {
    files: 0,
    records: 0,
    tuples: 0,
    skipped: 0,
    skippedRecords: 0,
    errors: 0,
    skipReasons: {},
    unknownEncryption: {},
    error: null,
  };
  let files: string[];
  try {
    files = findFlowLogFiles(inputs);
  } catch (err) {
    if (!(err instanceof FlowLogFormatError)) throw err;
    result.errors++;
    result.error = err;
    return result;
  }
  if (options.format === 'csv') await options.write(csvHeader());
  for (const file of files) {
    result.files++;
    let stats: DecodeStats;
    try {
      stats = await decodeFile(file, {
        lenient: options.lenient,
        onBatch: (batch) => options.write(formatRows(batch, options.format)),
      });
    } catch (err) {
      if (!(err instanceof FlowLogFormatError)) throw err;
      result.errors++;
      if (!options.lenient) {
        result.error = err;
        return result;
      }
      options.onFileError?.(file, err);
      continue;
    }
    result.records += stats.records;
    result.tuples += stats.tuples;
    result.skipped += stats.skipped;
    result.skippedRecords += stats.skippedRecords;
    addCounts(result.skipReasons, stats.skipReasons);
    addCounts(result.unknownEncryption, stats.unknownEncryption);
  }
  return result;
}

/** `files, records, tuples, skipped, errors` on one line, for stderr. */
export function describeSummary(summary: ParseFilesSummary): string {
  let line =
    `${summary.files} file${summary.files === 1 ? '' : 's'}, ${summary.records} records, ${summary.tuples} tuples, ` +
    `${summary.skipped} skipped, ${summary.errors} error${summary.errors === 1 ? '' : 's'}`;
  if (summary.skippedRecords > 0) line += ` (${summary.skippedRecords} records skipped)`;
  const reasons = Object.entries(summary.skipReasons);
  if (reasons.length > 0) line += `; skip reasons: ${reasons.map(([k, v]) => `${k} ×${v}`).join(', ')}`;
  const unknown = Object.entries(summary.unknownEncryption);
  if (unknown.length > 0) line += `; unknown encryption values: ${unknown.map(([k, v]) => `${k} ×${v}`).join(', ')}`;
  return line;
}
