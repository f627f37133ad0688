/**
 * Worker entry of the record encoder (see record-encoder.ts and `runMinutesInWorker`). One thread
 * serves every run of its process, each with an encoder of its own: packs of a run come in order
 * and each minute's blocks go back in one shared buffer, with the pack's (transferred) buffer. The thread
 * outlives a run so that later runs find its code optimised and its buffers allocated.
 */
import { parentPort } from 'node:worker_threads';
import { createOutPool, createRecordEncoder, type MinutePack, type RecordEncoder } from './record-encoder.js';

export type RecordWorkerMessage =
  | { run: number; start: { seed: number; tsSeconds: boolean } }
  | { run: number; pack: MinutePack; recycle: SharedArrayBuffer[] }
  | { run: number; end: true };

const encoders = new Map<number, RecordEncoder>();
const outPool = createOutPool();

parentPort!.on('message', (message: RecordWorkerMessage) => {
  const { run } = message;
  if ('start' in message) {
    encoders.set(run, createRecordEncoder({ ...message.start, output: 'copies', outPool }));
    return;
  }
  if ('end' in message) {
    encoders.delete(run);
    return;
  }
  const encoder = encoders.get(run);
  try {
    if (!encoder) throw new Error(`no run ${run}`);
    encoder.recycle(message.recycle);
    const encoded = encoder.encode(message.pack);
    parentPort!.postMessage({ run, encoded }, [encoded.buffer]);
  } catch (err) {
    parentPort!.postMessage({ run, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
