import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { HEAD_BLOCK, TAIL_BLOCK, encodeBlock } from '../../../src/formats/index.js';
import { blobNameFor, recordFor, type TestLogSpec } from '../../ingest/support/writer.js';

function blockId(name: string, label: string): string {
  return Buffer.from(createHash('md5').update(`${name}#${label}`).digest('hex')).toString('base64');
}

/**
 * Like test/ingest/support/writer.ts `appendContainer`, for chosen NICs only: grows each blob from
 * `fromMinute` to `toMinute`, one staged block and one commit per minute, as Azure does.
 */
export async function appendBlobs(
  container: ContainerClient,
  spec: TestLogSpec,
  nics: readonly number[],
  fromMinute: number,
  toMinute: number,
): Promise<void> {
  await container.createIfNotExists();
  for (const nic of nics) {
    const name = blobNameFor(spec, nic);
    const client = container.getBlockBlobClient(name);
    const head = blockId(name, 'head');
    const tail = blockId(name, 'tail');
    if (fromMinute === 0) {
      await client.stageBlock(head, Buffer.from(HEAD_BLOCK), HEAD_BLOCK.length);
      await client.stageBlock(tail, Buffer.from(TAIL_BLOCK), TAIL_BLOCK.length);
    }
    const ids = [head];
    for (let m = 0; m < fromMinute; m++) ids.push(blockId(name, `${spec.seed}m${m}`));
    for (let m = fromMinute; m < toMinute; m++) {
      const bytes = encodeBlock(recordFor(spec, nic, m), m === 0);
      const id = blockId(name, `${spec.seed}m${m}`);
      await client.stageBlock(id, Buffer.from(bytes), bytes.length);
      ids.push(id);
      await client.commitBlockList([...ids, tail]);
    }
  }
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
