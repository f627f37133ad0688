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
import {
  DECISION_LETTERS,
  DIRECTION_LETTERS,
  FLOW_ROW_COLUMNS,
  NULL_REF,
  STATE_LETTERS,
  type FlowBatch,
} from './flowbatch.js';

export type RowFormat = 'jsonl' | 'csv';

/**
 * Expands the inputs: files are taken as given; directories are walked (recursively, sorted)
 * for files named `PT1H.json`.
 */
export function findFlowLogFiles(inputs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
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

/** A CSV field: quoted only when it holds a quote, comma or line break. */
function csvText(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvHeader(): string {
  return FLOW_ROW_COLUMNS.join(',') + '\n';
}

/** Rows written per slice by `parseFlowLogFiles`, so one batch never becomes one huge string. */
const ROWS_PER_WRITE = 4096;

/**
 * Formats rows `[from, to)` of one batch. Built once per batch: every dictionary string is
 * escaped once here rather than once per row, and rows are written straight from the columns.
 * The text equals `JSON.stringify(rowAt(batch, i))` per line for JSONL, and the `FLOW_ROW_COLUMNS`
 * fields with empty for null/NaN for CSV.
 */
export function createRowFormatter(
  batch: FlowBatch,
  format: RowFormat,
): (from: number, to: number) => string {
  const json = format === 'jsonl';
  const texts = batch.strings.map((s) => (json ? JSON.stringify(s) : csvText(s)));
  const nullText = json ? 'null' : '';
  const emptyText = json ? '""' : '';
  const letter = (l: string | null) => (l === null ? nullText : json ? `"${l}"` : l);
  const directionTexts = DIRECTION_LETTERS.map(letter);
  const stateTexts = STATE_LETTERS.map(letter);
  const decisionTexts = DECISION_LETTERS.map(letter);
  /** Row-view columns that show '' rather than null when absent (see `rowAt`). */
  const str = (ref: number) => (ref === NULL_REF ? emptyText : texts[ref]);
  const opt = (ref: number) => (ref === NULL_REF ? nullText : texts[ref]);
  const num = (v: number) => (Number.isNaN(v) ? nullText : String(v));
  const b = batch;
  if (json) {
    return (from, to) => {
      let out = '';
      for (let i = from; i < to; i++) {
        out +=
          `{"time_ms":${b.time_ms[i]},"record_time":${str(b.record_time[i])},"version":${b.version[i]},` +
          `"mac":${str(b.mac[i])},"flow_log_id":${str(b.flow_log_id[i])},"target_resource_id":${opt(b.target_resource_id[i])},` +
          `"acl_id":${opt(b.acl_id[i])},"rule":${str(b.rule[i])},"src_ip":${str(b.src_ip[i])},"dst_ip":${str(b.dst_ip[i])},` +
          `"src_port":${b.src_port[i]},"dst_port":${b.dst_port[i]},"protocol":${b.protocol[i]},` +
          `"direction":${directionTexts[b.direction[i]]},"state":${stateTexts[b.state[i]]},"decision":${decisionTexts[b.decision[i]]},` +
          `"encryption":${opt(b.encryption[i])},"packets_s2d":${num(b.packets_s2d[i])},"bytes_s2d":${num(b.bytes_s2d[i])},` +
          `"packets_d2s":${num(b.packets_d2s[i])},"bytes_d2s":${num(b.bytes_d2s[i])},"blob":${opt(b.blob[i])},"block":${opt(b.block[i])}}\n`;
      }
      return out;
    };
  }
  return (from, to) => {
    let out = '';
    for (let i = from; i < to; i++) {
      out +=
        `${b.time_ms[i]},${str(b.record_time[i])},${b.version[i]},${str(b.mac[i])},${str(b.flow_log_id[i])},` +
        `${opt(b.target_resource_id[i])},${opt(b.acl_id[i])},${str(b.rule[i])},${str(b.src_ip[i])},${str(b.dst_ip[i])},` +
        `${b.src_port[i]},${b.dst_port[i]},${b.protocol[i]},${directionTexts[b.direction[i]]},${stateTexts[b.state[i]]},` +
        `${decisionTexts[b.decision[i]]},${opt(b.encryption[i])},${num(b.packets_s2d[i])},${num(b.bytes_s2d[i])},` +
        `${num(b.packets_d2s[i])},${num(b.bytes_d2s[i])},${opt(b.blob[i])},${opt(b.block[i])}\n`;
    }
    return out;
  };
}

/** The rows of a batch as text lines (JSON objects or CSV records), newline-terminated. */
export function formatRows(batch: FlowBatch, format: RowFormat): string {
  return createRowFormatter(batch, format)(0, batch.length);
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
export async function parseFlowLogFiles(
  inputs: readonly string[],
  options: ParseFilesOptions,
): Promise<ParseFilesResult> {
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
        onBatch: async (batch) => {
          const format = createRowFormatter(batch, options.format);
          for (let from = 0; from < batch.length; from += ROWS_PER_WRITE) {
            await options.write(format(from, Math.min(batch.length, from + ROWS_PER_WRITE)));
          }
        },
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
  if (unknown.length > 0)
    line += `; unknown encryption values: ${unknown.map(([k, v]) => `${k} ×${v}`).join(', ')}`;
  return line;
}
