import { describe, expect, it } from 'vitest';
import { NULL_REF, flowBatchFromRows, rowAt, type FlowRow } from '../../src/formats/flowbatch.js';

const row: FlowRow = {
  time_ms: 1663146003599,
  record_time: '2022-09-14T09:00:52.5625085Z',
  version: 4,
  mac: '00224871C205',
  flow_log_id: '/SUBSCRIPTIONS/X/FLOWLOGS/F',
  target_resource_id: null,
  acl_id: '00000000-1234-abcd-ef00-c1c2c3c4c5c6',
  rule: 'DefaultRule_AllowInternetOutBound',
  src_ip: '10.0.0.6',
  dst_ip: '52.239.184.180',
  src_port: 23956,
  dst_port: 443,
  protocol: 6,
  direction: 'O',
  state: 'B',
  decision: 'A',
  encryption: 'NX',
  packets_s2d: 0,
  bytes_s2d: null,
  packets_d2s: 0,
  bytes_d2s: 0,
  blob: 'a/PT1H.json',
  block: null,
};

describe('FlowBatch', () => {
  it('round-trips rows through the columnar form, keeping nulls', () => {
    const second: FlowRow = { ...row, src_port: 1, state: null, version: 1, direction: 'I', decision: 'D' };
    const batch = flowBatchFromRows([row, second]);
    expect(batch.length).toBe(2);
    expect(rowAt(batch, 0)).toEqual(row);
    expect(rowAt(batch, 1)).toEqual(second);
    expect(batch.target_resource_id[0]).toBe(NULL_REF);
    expect(Number.isNaN(batch.bytes_s2d[0])).toBe(true);
  });

  it('stores a repeated string once in the dictionary', () => {
    const batch = flowBatchFromRows([row, { ...row, src_port: 2 }, { ...row, src_port: 3 }]);
    expect(batch.strings.filter((s) => s === '10.0.0.6')).toHaveLength(1);
    expect(batch.src_ip[0]).toBe(batch.src_ip[2]);
  });

  it('refuses rows outside the batch', () => {
    expect(() => rowAt(flowBatchFromRows([row]), 1)).toThrow(RangeError);
  });
});
