/**
 * The ingest stage: source → decode (worker threads) → analytics → store, once or in follow mode.
 * See `runIngest` (run.ts) for the loop and its exactly-once argument.
 */
export * from './config.js';
export {
  runIngest,
  chunkJob,
  threadDeriverSpec,
  type IngestRun,
  type IngestSummary,
  type IngestProgress,
  type CommitEvent,
  type Deriver,
} from './run.js';
export { createDecoderPool, type DecoderPool, type DecodeJob } from './decode.js';
export { createProgressReporter, formatSummary, type ProgressReporter } from './progress.js';
export { openTarget, type TargetSpec, type OpenedTarget } from './targets.js';
export { createDeriver, type DeriverOptions } from './derive.js';
