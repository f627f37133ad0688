import { parentPort } from 'node:worker_threads';
import { FlowLogFormatError } from '../errors.js';
import { batchTransferList, decodeJob, type DecodeJob } from './decode-job.js';

/** Worker entry: decodes chunks of blocks, returns FlowBatches with their buffers transferred. */
parentPort?.on('message', (message: { id: number; job: DecodeJob }) => {
  try {
    const batches = decodeJob(message.job);
    parentPort!.postMessage({ id: message.id, batches }, batchTransferList(batches));
  } catch (err) {
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
});
