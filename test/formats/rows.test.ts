import { describe, expect, it } from 'vitest';
import {
  decodeBuffer,
  flowBatchFromRows,
  rowAt,
  FLOW_ROW_COLUMNS,
  type FlowBatch,
  type FlowRow,
} from '../../src/formats/index.js';
import { createRowFormatter, formatRows } from '../../src/formats/files.js';
import { sample } from './helpers.js';

/** The plain definition of each output line, from the row view: what the fast formatter must equal. */
function referenceLines(batch: FlowBatch, format: 'jsonl' | 'csv'): string {
  let out = '';
  for (let i = 0; i < batch.length; i++) {
    const row = rowAt(batch, i);
    if (format === 'jsonl') {
      out += JSON.stringify(row) + '\n';
      continue;
    }
    out +=
      FLOW_ROW_COLUMNS.map((column) => {
        const value = row[column];
        if (value === null || (typeof value === 'number' && Number.isNaN(value))) return '';
        if (typeof value === 'number') return String(value);
        return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
      }).join(',') + '\n';
  }
  return out;
}

const SAMPLES = [
  'vnet-1.9.1-overview.json',
  'vnet-1.9.4-early-capture.json',
  'nsg-2.5.2-v2.json',
  'nsg-2.5.3-block-reader.json',
];

describe('row formatting for flowlens parse', () => {
  for (const name of SAMPLES) {
    for (const format of ['jsonl', 'csv'] as const) {
      it(`${name} as ${format} equals the row view's text`, () => {
        const { batches } = decodeBuffer(sample(name), { source: `dir/${name}`, block: 'QUJD' });
        expect(batches.length).toBeGreaterThan(0);
        for (const batch of batches) expect(formatRows(batch, format)).toBe(referenceLines(batch, format));
      });
    }
  }

  it('escapes quotes, commas and line breaks once per string and keeps nulls apart from empty strings', () => {
    const base = rowAt(decodeBuffer(sample('vnet-1.9.1-overview.json')).batches[0], 0);
    const odd: FlowRow = {
      ...base,
      rule: 'rule, with "quotes"\nand a break',
      acl_id: null,
      encryption: null,
      packets_s2d: null,
      bytes_d2s: null,
      block: 'b"1',
    };
    const batch = flowBatchFromRows([odd, base, odd]);
    for (const format of ['jsonl', 'csv'] as const)
      expect(formatRows(batch, format)).toBe(referenceLines(batch, format));
    const csv = formatRows(batch, 'csv').split('\n');
    expect(csv[0]).toContain('"rule, with ""quotes""');
    const json = JSON.parse(formatRows(batch, 'jsonl').split('\n')[0]) as FlowRow;
    expect(json.acl_id).toBeNull();
    expect(json.rule).toBe(odd.rule);
  });

  it('formats any row range of a batch, so parse writes a batch in slices', () => {
    const { batches } = decodeBuffer(sample('nsg-2.5.2-v2.json'));
    const batch = batches[0];
    const format = createRowFormatter(batch, 'csv');
    const whole = format(0, batch.length);
    let sliced = '';
    for (let from = 0; from < batch.length; from += 2)
      sliced += format(from, Math.min(batch.length, from + 2));
    expect(sliced).toBe(whole);
    expect(whole.split('\n').length - 1).toBe(batch.length);
  });
});
