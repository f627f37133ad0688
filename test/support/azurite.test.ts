import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from './azurite.js';

describe('Azurite test harness', () => {
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('serves block blobs on loopback', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient('harness');
    await container.create();
    const blob = container.getBlockBlobClient('a/PT1H.json');
    await blob.stageBlock(Buffer.from('aGVhZA==', 'base64').toString('base64'), Buffer.from('{"records":['), 12);
    await blob.commitBlockList([Buffer.from('aGVhZA==', 'base64').toString('base64')]);
    const list = await blob.getBlockList('committed');
    expect(list.committedBlocks?.map((b) => b.size)).toEqual([12]);
  });
});
