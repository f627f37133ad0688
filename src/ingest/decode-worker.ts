import { parentPort } from 'node:worker_threads';
import { FlowLogFormatError } from '../errors.js';
import { createDecoderCache } from '../formats/decode.js';
import type { TableRows } from '../store/types.js';
import { batchTransferList, decodeJob, tableRowsTransferList, type DecodeJob } from './decode-job.js';
import type { Deriver } from './run.js';
import type { DeriverSpec } from './derive.js';
import {
  createSharedStringTable,
  restartStringTable,
  shareStrings,
  type StringTableDelta,
} from './shared-strings.js';

/**
 * Worker entry: decodes chunks of blocks and, when the job carries a deriver spec, derives their
 * analytics rows too; returns both with their buffers transferred.
 */
const derivers = new Map<string, Promise<Deriver>>();
const stringTable = createSharedStringTable();
const decoderCache = createDecoderCache();

function deriverFor(spec: DeriverSpec): Promise<Deriver> {
  const key = JSON.stringify(spec);
  let deriver = derivers.get(key);
  if (!deriver) {
    // Loaded on first use: a pool that never derives never pays for the analytics context.
    deriver = import('./derive.js').then((m) => m.createDeriver(spec));
    derivers.set(key, deriver);
  }
  return deriver;
}

parentPort?.on('message', (message: WorkerMessage) => {
  void handle(message);
});

interface WorkerMessage {
  id: number;
  job?: DecodeJob;
  derive?: DeriverSpec;
  warm?: boolean;
  /** Send strings through this thread's shared table (see shared-strings.ts). */
  shareStrings?: boolean;
}

async function handle(message: WorkerMessage) {
  try {
    if (message.warm) {
      if (message.derive) await deriverFor(message.derive);
      parentPort!.postMessage({ id: message.id, batches: [] });
      return;
    }
    const job = message.job!;
    const batches = decodeJob(job, decoderCache);
    let derived: TableRows[] | undefined;
    if (message.derive && batches.length > 0) {
      const derive = await deriverFor(message.derive);
      derived = await derive(batches, { source: '', blob: job.blob });
    }
    let strings: StringTableDelta | undefined;
    if (message.shareStrings) strings = shareStrings(stringTable, batches, derived);
    const transfer = new Set([...batchTransferList(batches), ...tableRowsTransferList(derived ?? [])]);
    parentPort!.postMessage({ id: message.id, batches, derived, strings }, [...transfer]);
  } catch (err) {
    // Strings the table took for a reply that is not sent would be missing from the receiver's copy.
    if (message.shareStrings) restartStringTable(stringTable);
    const formatError = err instanceof FlowLogFormatError;
    parentPort!.postMessage({
      id: message.id,
      error: {
        formatError,
        reason: formatError ? err.reason : String(err),
        location: formatError ? err.location : {},
        message: err instanceof Error ? err.message : String(err),
      },
    });
  }
}
