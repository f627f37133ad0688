/**
 * Encoders write Azure's exact bytes, and decode → encode is byte-identical: for the documented
 * samples (compacted the way Azure writes blobs) and, property-based, for random records and
 * tuples of all three versions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HEAD_BLOCK,
  KNOWN_ENCRYPTION_VALUES,
  TAIL_BLOCK,
  createDecoder,
  decodeRecords,
  encodeBlob,
  encodeBlobBlocks,
  encodeBlock,
  encodeRecord,
  formatBatchTuples,
  formatNsgTuple,
  formatVnetTuple,
  type FlowBatch,
  type FlowLogRecord,
  type FlowRow,
  type NsgFlowRecord,
  type NsgTuple,
  type VnetFlowRecord,
  type VnetTuple,
} from '../../src/formats/index.js';
import { allRows, sample } from './helpers.js';

/** Azure's blob bytes for these records, built independently of our encoder. */
function azureBlob(records: readonly unknown[]): Buffer {
  return Buffer.from('{"records":[' + records.map((r) => JSON.stringify(r)).join(',') + ']}', 'utf8');
}

function recordsOf(name: string): unknown[] {
  const doc = JSON.parse(sample(name).toString('utf8')) as { records?: unknown[] };
  return doc.records ?? [doc];
}

describe('block layout', () => {
  it('head is the 12 bytes {"records":[ and tail the 2 bytes ]}', () => {
    expect(Buffer.from(HEAD_BLOCK).toString('latin1')).toBe('{"records":[');
    expect(HEAD_BLOCK.length).toBe(12);
    expect(Buffer.from(TAIL_BLOCK).toString('latin1')).toBe(']}');
    expect(TAIL_BLOCK.length).toBe(2);
  });

  it('every record block after the first starts with a comma; the blob is their concatenation', () => {
    const records = decodeRecords(sample('nsg-2.5.2-v2.json'));
    const blocks = encodeBlobBlocks(records);
    expect(blocks).toHaveLength(4);
    expect(blocks[1][0]).toBe(0x7b);
    expect(blocks[2][0]).toBe(0x2c);
    expect(Buffer.from(blocks[2])).toEqual(Buffer.concat([Buffer.from(','), encodeRecord(records[1])]));
    expect(Buffer.from(encodeBlock(records[0], true))).toEqual(Buffer.from(encodeRecord(records[0])));
    expect(Buffer.concat(blocks)).toEqual(Buffer.from(encodeBlob(records)));
    expect(JSON.parse(Buffer.from(encodeBlob(records)).toString())).toEqual(JSON.parse(sample('nsg-2.5.2-v2.json').toString()));
  });
});

describe('documented samples, compacted as Azure writes them', () => {
  const shaped = [
    'vnet-1.9.1-overview.json',
    'vnet-1.9.2-block-reader-record.json',
    'vnet-1.9.4-early-capture.json',
    'nsg-2.5.2-v2.json',
    'nsg-2.5.3-block-reader.json',
  ];
  for (const name of shaped) {
    it(`${name}: encode(decode(x)) is byte-identical`, () => {
      const x = azureBlob(recordsOf(name));
      const records = decodeRecords(x);
      expect(Buffer.from(encodeBlob(records)).equals(x)).toBe(true);
    });
  }

  it('the §2.5.4 middle block (elisions removed) re-encodes to the same block bytes', () => {
    const block = sample('nsg-2.5.4-middle-block-excerpt.txt').toString('utf8').replaceAll(',…', '').trimEnd();
    const [record] = decodeRecords(block);
    expect(Buffer.from(encodeBlock(record, false)).toString('utf8')).toBe(block);
  });

  it('the tutorial record (resourceId, other key order) keeps every field, in canonical order', () => {
    const [record] = decodeRecords(sample('vnet-1.9.3-tutorial-record.json')) as VnetFlowRecord[];
    const text = Buffer.from(encodeRecord(record)).toString();
    expect(JSON.parse(text)).toEqual(recordsOf('vnet-1.9.3-tutorial-record.json')[0]);
    expect(text.startsWith('{"time":"2025-08-06T20:39:33.3186341Z","flowLogVersion":4,"flowLogGUID"')).toBe(true);
    expect(text).toContain('"resourceId":"/SUBSCRIPTIONS/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e//RESOURCEGROUPS');
  });
});

// ---- property-based round trips -------------------------------------------------------------

const ip = fc.oneof(fc.ipV4(), fc.ipV6());
const counter = fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: null });
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.uuid());

const vnetTuple: fc.Arbitrary<VnetTuple> = fc.record({
  time_ms: fc.integer({ min: 1_000_000_000_000, max: 4_000_000_000_000 }),
  src_ip: ip,
  dst_ip: ip,
  src_port: fc.integer({ min: 0, max: 65535 }),
  dst_port: fc.integer({ min: 0, max: 65535 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  direction: fc.constantFrom('I' as const, 'O' as const),
  state: fc.constantFrom('B' as const, 'C' as const, 'E' as const, 'D' as const),
  encryption: fc.constantFrom(...KNOWN_ENCRYPTION_VALUES, 'NX_SOMETHING_NEW'),
  packets_s2d: counter,
  bytes_s2d: counter,
  packets_d2s: counter,
  bytes_d2s: counter,
});

function nsgTuple(version: 1 | 2): fc.Arbitrary<NsgTuple> {
  return fc.record({
    time_s: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
    src_ip: ip,
    dst_ip: ip,
    src_port: fc.integer({ min: 0, max: 65535 }),
    dst_port: fc.integer({ min: 0, max: 65535 }),
    protocol: fc.oneof(
      fc.constantFrom('T' as const, 'U' as const),
      fc.integer({ min: 0, max: 255 }).filter((p) => p !== 6 && p !== 17),
    ),
    direction: fc.constantFrom('I' as const, 'O' as const),
    decision: fc.constantFrom('A' as const, 'D' as const),
    state: version === 2 ? fc.constantFrom('B' as const, 'C' as const, 'E' as const) : fc.constant(undefined),
    packets_s2d: version === 2 ? counter : fc.constant(undefined),
    bytes_s2d: version === 2 ? counter : fc.constant(undefined),
    packets_d2s: version === 2 ? counter : fc.constant(undefined),
    bytes_d2s: version === 2 ? counter : fc.constant(undefined),
  });
}

interface Generated {
  record: FlowLogRecord;
  /** Expected rows, without lineage. */
  rows: Omit<FlowRow, 'blob' | 'block'>[];
  tuples: string[];
}

const vnetRecordArb: fc.Arbitrary<Generated> = fc
  .record({
    time: text,
    guid: text,
    mac: fc.stringMatching(/^[0-9A-F]{12}$/),
    flowLogId: text,
    target: fc.option(text, { nil: undefined }),
    flows: fc.array(
      fc.record({ aclID: text, groups: fc.array(fc.record({ rule: text, tuples: fc.array(vnetTuple, { maxLength: 6 }) }), { maxLength: 3 }) }),
      { maxLength: 3 },
    ),
  })
  .map(({ time, guid, mac, flowLogId, target, flows }) => {
    const record: VnetFlowRecord = {
      time,
      flowLogVersion: 4,
      flowLogGUID: guid,
      macAddress: mac,
      category: 'FlowLogFlowEvent',
      flowLogResourceID: flowLogId,
      ...(target === undefined ? {} : { targetResourceID: target }),
      operationName: 'FlowLogFlowEvent',
      flowRecords: {
        flows: flows.map((f) => ({
          aclID: f.aclID,
          flowGroups: f.groups.map((g) => ({ rule: g.rule, flowTuples: g.tuples.map(formatVnetTuple) })),
        })),
      },
    };
    const rows: Generated['rows'] = [];
    const tuples: string[] = [];
    for (const f of flows) {
      for (const g of f.groups) {
        for (const t of g.tuples) {
          tuples.push(formatVnetTuple(t));
          rows.push({
            time_ms: t.time_ms,
            record_time: time,
            version: 4,
            mac,
            flow_log_id: flowLogId,
            target_resource_id: target ?? null,
            acl_id: f.aclID,
            rule: g.rule,
            src_ip: t.src_ip,
            dst_ip: t.dst_ip,
            src_port: t.src_port,
            dst_port: t.dst_port,
            protocol: t.protocol,
            direction: t.direction,
            state: t.state,
            decision: t.state === 'D' ? 'D' : 'A',
            encryption: t.encryption,
            packets_s2d: t.packets_s2d,
            bytes_s2d: t.bytes_s2d,
            packets_d2s: t.packets_d2s,
            bytes_d2s: t.bytes_d2s,
          });
        }
      }
    }
    return { record, rows, tuples };
  });

function nsgRecordArb(version: 1 | 2): fc.Arbitrary<Generated> {
  return fc
    .record({
      time: text,
      systemId: text,
      resourceId: text,
      rules: fc.array(
        fc.record({
          rule: text,
          macs: fc.array(fc.record({ mac: fc.stringMatching(/^[0-9A-F]{12}$/), tuples: fc.array(nsgTuple(version), { maxLength: 6 }) }), {
            maxLength: 3,
          }),
        }),
        { maxLength: 3 },
      ),
    })
    .map(({ time, systemId, resourceId, rules }) => {
      const record: NsgFlowRecord = {
        time,
        systemId,
        category: 'NetworkSecurityGroupFlowEvent',
        resourceId,
        operationName: 'NetworkSecurityGroupFlowEvents',
        properties: {
          Version: version,
          flows: rules.map((r) => ({
            rule: r.rule,
            flows: r.macs.map((m) => ({ mac: m.mac, flowTuples: m.tuples.map((t) => formatNsgTuple(version, t)) })),
          })),
        },
      };
      const rows: Generated['rows'] = [];
      const tuples: string[] = [];
      for (const r of rules) {
        for (const m of r.macs) {
          for (const t of m.tuples) {
            tuples.push(formatNsgTuple(version, t));
            rows.push({
              time_ms: t.time_s * 1000,
              record_time: time,
              version,
              mac: m.mac,
              flow_log_id: resourceId,
              target_resource_id: null,
              acl_id: null,
              rule: r.rule,
              src_ip: t.src_ip,
              dst_ip: t.dst_ip,
              src_port: t.src_port,
              dst_port: t.dst_port,
              protocol: t.protocol === 'T' ? 6 : t.protocol === 'U' ? 17 : t.protocol,
              direction: t.direction,
              state: version === 2 ? (t.state ?? null) : null,
              decision: t.decision,
              encryption: null,
              packets_s2d: version === 2 ? (t.packets_s2d ?? null) : null,
              bytes_s2d: version === 2 ? (t.bytes_s2d ?? null) : null,
              packets_d2s: version === 2 ? (t.packets_d2s ?? null) : null,
              bytes_d2s: version === 2 ? (t.bytes_d2s ?? null) : null,
            });
          }
        }
      }
      return { record, rows, tuples };
    });
}

function decodeInChunks(bytes: Uint8Array, chunk: number, batchSize: number): FlowBatch[] {
  const batches: FlowBatch[] = [];
  const decoder = createDecoder({ batchSize, onBatch: (b) => batches.push(b) });
  for (let o = 0; o < bytes.length; o += chunk) decoder.push(bytes.subarray(o, o + chunk));
  decoder.end();
  return batches;
}

const families: [string, fc.Arbitrary<Generated>][] = [
  ['VNet v4', vnetRecordArb],
  ['NSG v1', nsgRecordArb(1)],
  ['NSG v2', nsgRecordArb(2)],
];

describe.each(families)('property: random %s records', (_name, arb) => {
  const blobs = fc.array(arb, { minLength: 1, maxLength: 4 });

  it('encodeBlob writes exactly what Azure would (compact JSON, head, commas, tail)', () => {
    fc.assert(
      fc.property(blobs, (generated) => {
        const records = generated.map((g) => g.record);
        expect(Buffer.from(encodeBlob(records)).equals(azureBlob(records))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('decodeRecords then encodeBlob is byte-identical', () => {
    fc.assert(
      fc.property(blobs, (generated) => {
        const x = azureBlob(generated.map((g) => g.record));
        const decoded = decodeRecords(x);
        expect(decoded).toEqual(generated.map((g) => g.record));
        expect(Buffer.from(encodeBlob(decoded)).equals(x)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('the row decoder returns every tuple exactly, whatever the chunking; tuples re-format byte for byte', () => {
    fc.assert(
      fc.property(blobs, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 }), (generated, chunk, batchSize) => {
        const bytes = encodeBlob(generated.map((g) => g.record));
        const batches = decodeInChunks(bytes, chunk, batchSize);
        const rows = allRows(batches).map(({ blob: _b, block: _k, ...rest }) => rest);
        expect(rows).toEqual(generated.flatMap((g) => g.rows));
        expect(batches.flatMap((b) => formatBatchTuples(b))).toEqual(generated.flatMap((g) => g.tuples));
      }),
      { numRuns: 150 },
    );
  });
});
