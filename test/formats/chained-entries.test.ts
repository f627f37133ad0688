/**
 * NSG MAC entries and VNet flow groups read one after another by the tuple loops (Azure's
 * compact `]},{"mac":"…","flowTuples":["` and `]},{"rule":"…","flowTuples":["` joins): every
 * row keeps its own entry's MAC or rule, whatever the chunking, and entries that differ from that
 * shape (whitespace, other keys, escapes, an empty tuple array, the key after the tuples) give
 * the rows of the generic path.
 */
import { describe, expect, it } from 'vitest';
import { createDecoderInternal } from '../../src/formats/decode.js';
import { FlowLogFormatError, type FlowBatch } from '../../src/formats/index.js';
import { allRows, thrown } from './helpers.js';

const TUPLE = (i: number) =>
  `${1736935100 + i},10.1.0.${i % 250},52.1.${i % 7}.9,${40000 + i},443,T,O,A,E,${i},${i * 10},1,2`;

function record(entries: string): string {
  return (
    '{"time":"2025-01-15T10:00:00.0000000Z","systemId":"x","category":"NetworkSecurityGroupFlowEvent",' +
    '"resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N",' +
    '"operationName":"NetworkSecurityGroupFlowEvents","properties":{"Version":2,"flows":[' +
    `{"rule":"DefaultRule_AllowInternetOutBound","flows":[${entries}]},` +
    `{"rule":"UserRule_Other","flows":[{"mac":"00AA00AA00AA","flowTuples":["${TUPLE(90)}"]}]}]}}`
  );
}

const entry = (mac: string, from: number, count: number) =>
  `{"mac":"${mac}","flowTuples":[${Array.from({ length: count }, (_, i) => `"${TUPLE(from + i)}"`).join(',')}]}`;

const COMPACT = [
  entry('6045BD000001', 0, 3),
  entry('6045BD000002', 3, 1),
  entry('6045BD000003', 4, 5),
  entry('6045BD000001', 9, 2),
].join(',');

const VARIANTS: Record<string, string> = {
  compact: COMPACT,
  'whitespace between entries': COMPACT.replace(/\},\{"mac"/g, '} , {"mac"'),
  'an extra key after the tuples': [
    entry('6045BD000001', 0, 2),
    entry('6045BD000002', 2, 2).replace(']}', '],"extra":[1,{"a":"b"}]}'),
    entry('6045BD000003', 4, 2),
  ].join(','),
  'an escaped MAC': [
    entry('6045BD000001', 0, 2),
    entry('6045BD\\u00300002', 2, 2),
    entry('6045BD000003', 4, 1),
  ].join(','),
  'an empty tuple array': [
    entry('6045BD000001', 0, 2),
    entry('6045BD000002', 2, 0),
    entry('6045BD000003', 2, 3),
  ].join(','),
  'the MAC after the tuples': [
    entry('6045BD000001', 0, 2),
    `{"flowTuples":["${TUPLE(2)}","${TUPLE(3)}"],"mac":"6045BD000002"}`,
    entry('6045BD000003', 4, 2),
  ].join(','),
  'a second MAC key after the tuples': [
    entry('6045BD000001', 0, 2),
    entry('6045BD000002', 2, 2).replace(']}', '],"mac":"6045BD0000FF"}'),
    entry('6045BD000003', 4, 2),
  ].join(','),
};

function decode(text: string, forceGeneric: boolean, chunk: number) {
  const bytes = Buffer.from(`{"records":[${text},${text}]}`);
  const batches: FlowBatch[] = [];
  const d = createDecoderInternal({ source: 's', onBatch: (b) => batches.push(b) }, undefined, forceGeneric);
  for (let o = 0; o < bytes.length; o += chunk) d.push(bytes.subarray(o, o + chunk));
  d.end();
  return allRows(batches);
}

/** The tuple loop's rows equal the generic member loop's, however the bytes are chunked. */
function expectGenericRows(text: string): void {
  const generic = decode(text, true, 1 << 20);
  expect(generic.length).toBeGreaterThan(4);
  for (const chunk of [1 << 20, 1, 7, 64, 333]) expect(decode(text, false, chunk)).toEqual(generic);
}

describe('NSG MAC entries read by the tuple loop', () => {
  for (const [name, entries] of Object.entries(VARIANTS)) {
    it(`${name}: rows and MACs equal the generic path's, in any chunking`, () => {
      expectGenericRows(record(entries));
    });
  }

  it('gives each row its own entry MAC (compact entries)', () => {
    const rows = decode(record(COMPACT), false, 1 << 20);
    const macs = rows.slice(0, 12).map((r) => r.mac);
    expect(macs).toEqual([
      ...Array(3).fill('6045BD000001'),
      '6045BD000002',
      ...Array(5).fill('6045BD000003'),
      ...Array(2).fill('6045BD000001'),
      '00AA00AA00AA',
    ]);
    expect(rows.slice(0, 12).map((r) => r.src_port)).toEqual(
      [...Array(11).keys()].map((i) => 40000 + i).concat(40090),
    );
  });

  it('locates a bad tuple in a following entry by its index in the record', () => {
    const bad = COMPACT.replace(`"${TUPLE(5)}"`, `"${TUPLE(5).replace(',T,', ',Q,')}"`);
    const err = thrown(() => decode(record(bad), false, 1 << 20));
    expect(err).toBeInstanceOf(FlowLogFormatError);
    expect((err as FlowLogFormatError).message).toMatch(/tuple 5\b/);
  });
});

const VTUPLE = (i: number) =>
  `${1736935100000 + i},10.2.0.${i % 250},52.2.${i % 7}.9,${30000 + i},443,6,O,${i % 2 ? 'E' : 'B'},NX,${i},${i * 10},1,2`;

function vnetRecord(groups: string): string {
  return (
    '{"time":"2025-01-15T10:00:00.0000000Z","flowLogVersion":4,"flowLogGUID":"g","macAddress":"6045BD174004",' +
    '"category":"FlowLogFlowEvent","flowLogResourceID":"/SUBSCRIPTIONS/S/FLOWLOGS/FL","targetResourceID":"/t",' +
    `"operationName":"FlowLogFlowEvent","flowRecords":{"flows":[{"aclID":"acl-1","flowGroups":[${groups}]},` +
    `{"aclID":"acl-2","flowGroups":[{"rule":"UserRule_Last","flowTuples":["${VTUPLE(90)}"]}]}]}}`
  );
}

const group = (rule: string, from: number, count: number) =>
  `{"rule":"${rule}","flowTuples":[${Array.from({ length: count }, (_, i) => `"${VTUPLE(from + i)}"`).join(',')}]}`;

const AVNM = 'UserRule_allow-web_5f0c2d8e-1b2a-4c3d-9e8f-0a1b2c3d4e5f';
const VNET_COMPACT = [
  group('DefaultRule_AllowInternetOutBound', 0, 3),
  group(AVNM, 3, 1),
  group('DefaultRule_DenyAllInBound', 4, 4),
].join(',');

const VNET_VARIANTS: Record<string, string> = {
  compact: VNET_COMPACT,
  'whitespace between groups': VNET_COMPACT.replace(/\},\{"rule"/g, '},\r\n{"rule"'),
  'an extra key after the tuples': [
    group('R1', 0, 2),
    group('R2', 2, 2).replace(']}', '],"x":null}'),
    group('R3', 4, 2),
  ].join(','),
  'an escaped rule': [group('R1', 0, 2), group('R\\u00322', 2, 2), group('R3', 4, 1)].join(','),
  'an empty tuple array': [group('R1', 0, 2), group('R2', 2, 0), group('R3', 2, 3)].join(','),
  'a second rule key after the tuples': [
    group('R1', 0, 2),
    group('R2', 2, 2).replace(']}', '],"rule":"R9"}'),
    group('R3', 4, 2),
  ].join(','),
};

describe('VNet flow groups read by the tuple loop', () => {
  for (const [name, groups] of Object.entries(VNET_VARIANTS)) {
    it(`${name}: rows and rules equal the generic path's, in any chunking`, () => {
      expectGenericRows(vnetRecord(groups));
    });
  }

  it('gives each row its own group rule (compact groups)', () => {
    const rows = decode(vnetRecord(VNET_COMPACT), false, 1 << 20);
    expect(rows.slice(0, 9).map((r) => r.rule)).toEqual([
      ...Array(3).fill('DefaultRule_AllowInternetOutBound'),
      AVNM,
      ...Array(4).fill('DefaultRule_DenyAllInBound'),
      'UserRule_Last',
    ]);
    expect(rows.slice(0, 9).map((r) => r.acl_id)).toEqual([...Array(8).fill('acl-1'), 'acl-2']);
  });
});
