/**
 * Batch dictionaries: each string once per batch, whichever path referenced it first (the IPv4
 * index of the tuple loops, the byte cache of record fields, the generic path for escaped
 * tuples), across many batches (the index tags references per batch and recycles its tags) and
 * with the dictionary cut to the entries in use.
 */
import { describe, expect, it } from 'vitest';
import {
  createDecoderCache,
  decodeBuffer,
  encodeBlob,
  NULL_REF,
  type FlowBatch,
} from '../../src/formats/index.js';
import { allRows, sample } from './helpers.js';

function vnetRecord(
  groups: { rule: string; flowTuples: string[] }[],
  aclID = 'acl-1',
  time = '2024-05-01T10:01:00.0000000Z',
) {
  return {
    time,
    flowLogVersion: 4 as const,
    flowLogGUID: '4c6afa0c-e30c-4866-acb0-60a6439ad918',
    macAddress: '00224871C205',
    category: 'FlowLogFlowEvent',
    flowLogResourceID:
      '/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL',
    targetResourceID: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v',
    operationName: 'FlowLogFlowEvent',
    flowRecords: { flows: [{ aclID, flowGroups: groups }] },
  };
}

const tuple = (src: string, dst: string, enc = 'NX') =>
  `1663146003599,${src},${dst},1,2,6,O,B,${enc},0,0,0,0`;

/**
 * Every reference of every string column points inside the dictionary, and no string repeats
 * (record times go in once per record, so the records here all have their own).
 */
function expectWellFormed(batch: FlowBatch): void {
  expect(batch.strings.filter((s, i) => batch.strings.indexOf(s) !== i)).toEqual([]);
  expect(batch.strings.every((s) => typeof s === 'string')).toBe(true);
  for (const column of ['src_ip', 'dst_ip', 'rule', 'acl_id', 'encryption', 'mac', 'record_time'] as const) {
    for (let r = 0; r < batch.length; r++) {
      const ref = batch[column][r];
      if (ref !== NULL_REF) expect(ref).toBeLessThan(batch.strings.length);
    }
  }
}

describe('batch dictionaries', () => {
  it('an address that is also a rule name or aclID is one dictionary entry, in either order', () => {
    const blob = encodeBlob([
      vnetRecord([
        { rule: '10.0.0.1', flowTuples: [tuple('10.0.0.1', '192.0.2.7'), tuple('192.0.2.7', '10.0.0.1')] },
      ]),
      vnetRecord(
        [
          { rule: 'R', flowTuples: [tuple('198.51.100.9', '10.0.0.2')] },
          { rule: '198.51.100.9', flowTuples: [] },
        ],
        '10.0.0.2',
        '2024-05-01T10:02:00.0000000Z',
      ),
    ]);
    const { batches } = decodeBuffer(blob);
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expectWellFormed(batch);
    for (const text of ['10.0.0.1', '10.0.0.2', '192.0.2.7', '198.51.100.9']) {
      expect(batch.strings.filter((s) => s === text)).toHaveLength(1);
    }
    const rows = allRows(batches);
    expect(rows.map((r) => [r.rule, r.src_ip, r.dst_ip, r.acl_id])).toEqual([
      ['10.0.0.1', '10.0.0.1', '192.0.2.7', 'acl-1'],
      ['10.0.0.1', '192.0.2.7', '10.0.0.1', 'acl-1'],
      ['R', '198.51.100.9', '10.0.0.2', '10.0.0.2'],
    ]);
  });

  it('escaped tuples (generic path) and plain tuples share the entries of their addresses', () => {
    const plain = tuple('10.2.2.2', '10.1.1.1');
    const text = JSON.stringify({
      records: [vnetRecord([{ rule: 'R', flowTuples: [tuple('10.1.1.1', '10.2.2.2'), plain] }])],
    }).replace(JSON.stringify(plain), JSON.stringify(plain).replace(',10.1.1.1,', ',\\u0031\\u0030.1.1.1,'));
    expect(text).toContain('\\u0031\\u0030.1.1.1');
    const { batches } = decodeBuffer(text);
    // The escaped tuple sends the record through the generic path, which reads its time again.
    const strings = batches[0].strings;
    expect(strings.filter((s, i) => strings.indexOf(s) !== i)).toEqual(['2024-05-01T10:01:00.0000000Z']);
    expect(allRows(batches).map((r) => [r.src_ip, r.dst_ip])).toEqual([
      ['10.1.1.1', '10.2.2.2'],
      ['10.2.2.2', '10.1.1.1'],
    ]);
    expect(batches[0].strings.filter((s) => s === '10.1.1.1')).toHaveLength(1);
  });

  it('over a thousand one-record batches keep the right addresses and well-formed dictionaries', () => {
    const pool = Array.from({ length: 37 }, (_, i) => `10.${i % 3}.${i}.${(i * 7) % 256}`);
    const records = Array.from({ length: 1200 }, (_, i) =>
      vnetRecord([
        {
          rule: i % 5 === 0 ? pool[(i * 3) % pool.length] : 'R',
          flowTuples: [
            tuple(pool[i % pool.length], pool[(i * 11) % pool.length], i % 2 ? 'NX' : 'X'),
            tuple('0.0.0.0', pool[(i + 1) % pool.length]),
          ],
        },
      ]),
    );
    const { batches } = decodeBuffer(encodeBlob(records), { batchSize: 1 });
    expect(batches).toHaveLength(1200);
    batches.forEach(expectWellFormed);
    const rows = allRows(batches);
    expect(rows).toHaveLength(2400);
    rows.forEach((row, k) => {
      const i = k >> 1;
      if (k % 2 === 0) {
        expect([row.src_ip, row.dst_ip, row.encryption]).toEqual([
          pool[i % pool.length],
          pool[(i * 11) % pool.length],
          i % 2 ? 'NX' : 'X',
        ]);
      } else {
        expect([row.src_ip, row.dst_ip]).toEqual(['0.0.0.0', pool[(i + 1) % pool.length]]);
      }
      expect(row.rule).toBe(i % 5 === 0 ? pool[(i * 3) % pool.length] : 'R');
    });
  });
});

describe('a decoder cache carried from one decoder to the next (ingestion threads)', () => {
  it('gives the rows of fresh decoders, with lineage, across samples, batches and a failed decode', () => {
    const inputs = [
      sample('vnet-1.9.1-overview.json'),
      sample('nsg-2.5.2-v2.json'),
      sample('nsg-2.5.1-v1-malformed.json'),
      sample('vnet-1.9.3-tutorial-record.json'),
      sample('vnet-1.9.1-overview.json'),
      sample('nsg-2.5.3-block-reader.json'),
    ];
    const cache = createDecoderCache();
    let failures = 0;
    let compared = 0;
    for (const [k, bytes] of inputs.entries()) {
      const options = { source: `blob-${k % 2}`, block: (offset: number) => `@${offset >> 6}`, batchSize: 3 };
      const fresh = (() => {
        try {
          return allRows(decodeBuffer(bytes, options).batches);
        } catch (err) {
          return err;
        }
      })();
      let reused: unknown;
      try {
        const { batches } = decodeBuffer(bytes, { ...options, cache });
        for (const batch of batches) expect(new Set(batch.strings).size).toBe(batch.strings.length);
        reused = allRows(batches);
      } catch (err) {
        reused = err;
      }
      if (fresh instanceof Error) {
        failures++;
        expect(reused).toBeInstanceOf(Error);
        expect((reused as Error).message).toBe(fresh.message);
      } else {
        expect((fresh as unknown[]).length).toBeGreaterThan(0);
        expect(reused).toEqual(fresh);
        compared++;
      }
    }
    expect(failures).toBe(1);
    expect(compared).toBe(5);
  });
});
