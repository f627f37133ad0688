import type { Worker } from 'node:worker_threads';
import { FlowLogFormatError } from '../errors.js';
import { startModuleWorker } from '../worker-thread.js';
import type { FlowBatch } from '../formats/flowbatch.js';
import type { TableRows } from '../store/types.js';
import { decodeJob, type DecodeJob } from './decode-job.js';
import type { DeriverSpec } from './derive.js';
import {
  adoptStrings,
  createStringTableCopy,
  type StringTableCopy,
  type StringTableDelta,
} from './shared-strings.js';

export type { DecodeJob } from './decode-job.js';

/**
 * Decoding on worker threads. Jobs are chunks of new blocks; results come back as FlowBatches
 * whose typed arrays are transferred, not copied. With `workers: 0` decoding runs inline.
 */
export interface DecoderPool {
  decode(job: DecodeJob): Promise<FlowBatch[]>;
  /**
   * Decodes and derives on the same thread, when the pool has threads (`threaded`): the deriver
   * is rebuilt there from its spec once per thread. Without threads, `derived` is undefined and
   * the caller derives.
   */
  decodeAndDerive?(job: DecodeJob, derive: DeriverSpec, options?: DecodeOptions): Promise<DecodeResult>;
  /** Loads the deriver in every thread ahead of the first job. */
  warm?(derive: DeriverSpec): Promise<void>;
  close(): Promise<void>;
}

export interface DecodeOptions {
  /**
   * The results' string arrays are the decoder thread's shared table (one growing array per
   * thread, see shared-strings.ts) instead of one dictionary per batch. For consumers that index
   * strings by ref, as both stores do (caching their per-string work per array); one that walks a
   * batch's whole `strings` (analytics sizes its tables by it) would walk the table.
   */
  sharedStrings?: boolean;
}

export interface DecodeResult {
  batches: FlowBatch[];
  derived?: TableRows[];
}

interface WorkerReply {
  id: number;
  batches?: FlowBatch[];
  derived?: TableRows[];
  strings?: StringTableDelta;
  error?: { formatError: boolean; reason: string; location: FlowLogFormatError['location']; message: string };
}

export function createDecoderPool(options: { workers: number }): DecoderPool {
  if (options.workers <= 0) {
    return { decode: async (job) => decodeJob(job), close: async () => {} };
  }
  const workers: { worker: Worker; busy: number; strings: StringTableCopy }[] = [];
  const pending = new Map<
    number,
    { resolve: (r: DecodeResult) => void; reject: (e: Error) => void; slot: number }
  >();
  let nextId = 1;
  let broken: Error | null = null;
  let closing = false;
  for (let i = 0; i < options.workers; i++) {
    const worker = startModuleWorker(import.meta.url, 'decode-worker');
    const slot = i;
    worker.on('message', (reply: WorkerReply) => {
      const waiter = pending.get(reply.id);
      if (!waiter) return;
      pending.delete(reply.id);
      workers[slot].busy--;
      if (reply.error) {
        const e = reply.error;
        waiter.reject(e.formatError ? new FlowLogFormatError(e.reason, e.location) : new Error(e.message));
      } else {
        const batches = reply.batches ?? [];
        // Replies of one thread arrive in order, so deltas extend its copy in the order made.
        if (reply.strings) adoptStrings(workers[slot].strings, reply.strings, batches, reply.derived);
        waiter.resolve({ batches, derived: reply.derived });
      }
    });
    const fail = (err: Error) => {
      broken ??= err;
      for (const [id, waiter] of pending) {
        if (waiter.slot === slot) {
          pending.delete(id);
          waiter.reject(err);
        }
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`decoder thread ${slot} exited (code ${code})`));
    });
    workers.push({ worker, busy: 0, strings: createStringTableCopy() });
  }
  function post(
    message: { job?: DecodeJob; derive?: DeriverSpec; warm?: boolean; shareStrings?: boolean },
    slot?: number,
  ): Promise<DecodeResult> {
    if (broken) return Promise.reject(broken);
    let best = slot ?? 0;
    if (slot === undefined) {
      for (let i = 1; i < workers.length; i++) if (workers[i].busy < workers[best].busy) best = i;
    }
    const id = nextId++;
    workers[best].busy++;
    return new Promise<DecodeResult>((resolve, reject) => {
      pending.set(id, { resolve, reject, slot: best });
      // The chunk's bytes are copied into the message unless the source handed them over.
      const job = message.job;
      if (job?.transfer)
        workers[best].worker.postMessage({ id, ...message }, [job.bytes.buffer as ArrayBuffer]);
      else workers[best].worker.postMessage({ id, ...message });
    });
  }
  return {
    decode: (job) => post({ job }).then((r) => r.batches),
    decodeAndDerive: (job, derive, options) =>
      post({ job, derive, shareStrings: options?.sharedStrings === true }),
    async warm(derive) {
      await Promise.all(workers.map((_, slot) => post({ derive, warm: true }, slot)));
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
