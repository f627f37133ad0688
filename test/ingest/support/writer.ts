import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import {
  HEAD_BLOCK,
  TAIL_BLOCK,
  buildVnetBlobPath,
  encodeBlock,
  formatVnetTuple,
  type VnetFlowRecord,
} from '../../../src/formats/index.js';

/**
 * A small deterministic flow-log writer for ingest tests (the emulator is written in parallel):
 * `blobs` NICs, one PT1H.json each for one hour, one record (= one block) per minute with
 * `tuplesPerRecord` tuples. Writes Azure's bytes through the formats encoders, to a folder (the
 * committed content) and to a container (stage block + commit block list, as Azure does).
 */
export interface TestLogSpec {
  blobs: number;
  tuplesPerRecord: number;
  /** Start of the hour, epoch ms. */
  hourStart?: number;
  seed?: number;
}

export const DEFAULT_HOUR = Date.UTC(2026, 10, 26, 9);

export function blobNameFor(spec: TestLogSpec, nic: number): string {
  const mac = (0x00224800_0000 + nic).toString(16).toUpperCase().padStart(12, '0');
  return buildVnetBlobPath({
    subscriptionId: '00000000-0000-0000-0000-00000000000' + (nic % 10),
    flowLogName: `vnet${nic % 3}-rg-flowlog`,
    region: 'eastus',
    time: spec.hourStart ?? DEFAULT_HOUR,
    macAddress: mac,
  });
}

function rand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export function recordFor(spec: TestLogSpec, nic: number, minute: number): VnetFlowRecord {
  const hour = spec.hourStart ?? DEFAULT_HOUR;
  const r = rand((spec.seed ?? 7) * 1_000_003 + nic * 131 + minute * 7919);
  const mac = (0x00224800_0000 + nic).toString(16).toUpperCase().padStart(12, '0');
  const tuples: string[] = [];
  for (let t = 0; t < spec.tuplesPerRecord; t++) {
    const states = ['B', 'C', 'E', 'D'] as const;
    const state = states[Math.floor(r() * 4)];
    tuples.push(
      formatVnetTuple({
        time_ms: hour + minute * 60_000 + Math.floor(r() * 60_000),
        src_ip: `10.0.${nic % 250}.${1 + Math.floor(r() * 250)}`,
        dst_ip: `52.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
        src_port: 1024 + Math.floor(r() * 60000),
        dst_port: [443, 80, 22, 3389][Math.floor(r() * 4)],
        protocol: r() < 0.8 ? 6 : 17,
        direction: r() < 0.5 ? 'I' : 'O',
        state,
        encryption: 'NX',
        packets_s2d: state === 'B' ? null : Math.floor(r() * 100),
        bytes_s2d: state === 'B' ? null : Math.floor(r() * 100000),
        packets_d2s: state === 'B' ? null : Math.floor(r() * 100),
        bytes_d2s: state === 'B' ? null : Math.floor(r() * 100000),
      }),
    );
  }
  return {
    time: new Date(hour + minute * 60_000 + 59_000).toISOString().replace('Z', '0000Z'),
    flowLogVersion: 4,
    flowLogGUID: '66aa66aa-6a6a-6a6a-6a6a-66aa66aa66aa',
    macAddress: mac,
    category: 'FlowLogFlowEvent',
    flowLogResourceID: `/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/VNET${nic % 3}-RG-FLOWLOG`,
    targetResourceID: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet${nic % 3}`,
    operationName: 'FlowLogFlowEvent',
    flowRecords: {
      flows: [
        {
          aclID: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
          flowGroups: [
            {
              rule: 'DefaultRule_AllowInternetOutBound',
              flowTuples: tuples.slice(0, Math.ceil(tuples.length / 2)),
            },
            { rule: 'DefaultRule_DenyAllInBound', flowTuples: tuples.slice(Math.ceil(tuples.length / 2)) },
          ],
        },
      ],
    },
  };
}

/** Data blocks of minutes [0, minutes) of one blob. */
export function dataBlocksFor(spec: TestLogSpec, nic: number, minutes: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let m = 0; m < minutes; m++) blocks.push(encodeBlock(recordFor(spec, nic, m), m === 0));
  return blocks;
}

/** Writes the committed content of every blob after `minutes` minutes into a folder container. */
export async function writeFolder(root: string, spec: TestLogSpec, minutes: number): Promise<string[]> {
  const names: string[] = [];
  for (let nic = 0; nic < spec.blobs; nic++) {
    const name = blobNameFor(spec, nic);
    const path = join(root, ...name.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, Buffer.concat([HEAD_BLOCK, ...dataBlocksFor(spec, nic, minutes), TAIL_BLOCK]));
    names.push(name);
  }
  return names;
}

function blockId(name: string, label: string): string {
  return Buffer.from(createHash('md5').update(`${name}#${label}`).digest('hex')).toString('base64');
}

/**
 * Grows every blob in a container to `toMinute` minutes, one staged block and one commit per
 * minute, as Azure does. `fromMinute` is how far the blobs were already written.
 */
export async function appendContainer(
  container: ContainerClient,
  spec: TestLogSpec,
  fromMinute: number,
  toMinute: number,
): Promise<void> {
  await container.createIfNotExists();
  for (let nic = 0; nic < spec.blobs; nic++) {
    const name = blobNameFor(spec, nic);
    const client = container.getBlockBlobClient(name);
    const head = blockId(name, 'head');
    const tail = blockId(name, 'tail');
    if (fromMinute === 0) {
      await client.stageBlock(head, Buffer.from(HEAD_BLOCK), HEAD_BLOCK.length);
      await client.stageBlock(tail, Buffer.from(TAIL_BLOCK), TAIL_BLOCK.length);
    }
    const ids = [head];
    for (let m = 0; m < fromMinute; m++) ids.push(blockId(name, `m${m}`));
    for (let m = fromMinute; m < toMinute; m++) {
      const bytes = encodeBlock(recordFor(spec, nic, m), m === 0);
      const id = blockId(name, `m${m}`);
      await client.stageBlock(id, Buffer.from(bytes), bytes.length);
      ids.push(id);
      await client.commitBlockList([...ids, tail]);
    }
    if (fromMinute === toMinute && fromMinute === 0) await client.commitBlockList([head, tail]);
  }
}
