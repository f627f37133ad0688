/**
 * Streaming behaviour: any chunking gives the same rows; fragments of middle blocks (leading
 * commas, CR/LF); block lineage; timestamps; IPv6; counters; unknown encryption; strict and
 * lenient errors; the generic path agrees with the fast path.
 */
import { describe, expect, it } from 'vitest';
import { FlowLogFormatError } from '../../src/errors.js';
import { createDecoderInternal } from '../../src/formats/decode.js';
import {
  HEAD_BLOCK,
  TAIL_BLOCK,
  createDecoder,
  decodeBuffer,
  decodeRecords,
  encodeBlob,
  encodeBlobBlocks,
  type FlowBatch,
  type FlowRow,
} from '../../src/formats/index.js';
import { allRows, sample, thrown, VALID_SAMPLES } from './helpers.js';

function decodeChunked(bytes: Uint8Array, sizes: (i: number) => number, options: { lenient?: boolean } = {}) {
  const batches: FlowBatch[] = [];
  const decoder = createDecoder({ ...options, source: 's', onBatch: (b) => batches.push(b) });
  let i = 0;
  for (let o = 0; o < bytes.length;) {
    const size = Math.max(1, sizes(i++));
    decoder.push(bytes.subarray(o, o + size));
    o += size;
  }
  const stats = decoder.end();
  return { rows: allRows(batches), stats, batches };
}

function vnetRecord(tuples: string[], time = '2024-05-01T10:01:00.0000000Z', mac = '00224871C205') {
  return {
    time,
    flowLogVersion: 4 as const,
    flowLogGUID: '4c6afa0c-e30c-4866-acb0-60a6439ad918',
    macAddress: mac,
    category: 'FlowLogFlowEvent',
    flowLogResourceID:
      '/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL',
    targetResourceID: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v',
    operationName: 'FlowLogFlowEvent',
    flowRecords: {
      flows: [
        { aclID: 'acl-1', flowGroups: [{ rule: 'DefaultRule_AllowInternetOutBound', flowTuples: tuples }] },
      ],
    },
  };
}

describe('chunking', () => {
  for (const name of VALID_SAMPLES) {
    it(`${name}: 1-byte, 7-byte and irregular chunks give the same rows as one push`, () => {
      const bytes = sample(name);
      const whole = allRows(decodeBuffer(bytes, { source: 's' }).batches);
      expect(whole.length).toBeGreaterThan(0);
      expect(decodeChunked(bytes, () => 1).rows).toEqual(whole);
      expect(decodeChunked(bytes, () => 7).rows).toEqual(whole);
      expect(decodeChunked(bytes, (i) => (i * 37) % 101).rows).toEqual(whole);
    });
  }
});

describe('fragments of middle blocks', () => {
  const records = decodeRecords(sample('nsg-2.5.2-v2.json'));
  const blocks = encodeBlobBlocks(records);
  const wholeRows = allRows(decodeBuffer(encodeBlob(records), { source: 's' }).batches);

  it('a fragment of later blocks (leading comma) decodes like the same records in a whole blob', () => {
    const fragment = Buffer.concat(blocks.slice(2, 3));
    expect(fragment[0]).toBe(0x2c);
    const rows = allRows(decodeBuffer(fragment, { source: 's', firstRecordIndex: 1 }).batches);
    expect(rows).toEqual(wholeRows.slice(7));
  });

  it('CR/LF and spaces around the separators are skipped', () => {
    const text =
      '\r\n  ' + Buffer.from(blocks[1]).toString() + '\r\n' + Buffer.from(blocks[2]).toString() + ' \r\n';
    const rows = allRows(decodeBuffer(text, { source: 's' }).batches);
    expect(rows).toEqual(wholeRows);
    const leading =
      '\r\n,' + Buffer.from(blocks[1]).toString() + '\r\n,\r\n' + Buffer.from(blocks[2]).toString().slice(1);
    expect(allRows(decodeBuffer(leading, { source: 's' }).batches)).toEqual(wholeRows);
  });

  it('the head block alone, the tail block alone, and head + records without tail are fine', () => {
    expect(decodeBuffer(HEAD_BLOCK).stats).toMatchObject({ records: 0, tuples: 0 });
    expect(decodeBuffer(TAIL_BLOCK).stats).toMatchObject({ records: 0, tuples: 0 });
    const noTail = Buffer.concat(blocks.slice(0, -1));
    expect(allRows(decodeBuffer(noTail, { source: 's' }).batches)).toEqual(wholeRows);
    const withTail = Buffer.concat(blocks.slice(2));
    expect(allRows(decodeBuffer(withTail, { source: 's' }).batches)).toEqual(wholeRows.slice(7));
  });

  it('rejects a missing comma between records and a doubled comma, with the location', () => {
    const glued = Buffer.concat([blocks[0], blocks[1], Buffer.from(blocks[2]).subarray(1), blocks[3]]);
    const e = thrown(() => decodeBuffer(glued, { source: 'b.json' })) as FlowLogFormatError;
    expect(e).toBeInstanceOf(FlowLogFormatError);
    expect(e.reason).toMatch(/missing comma/);
    const doubled = Buffer.concat([blocks[0], blocks[1], Buffer.from(','), blocks[2], blocks[3]]);
    expect((thrown(() => decodeBuffer(doubled)) as FlowLogFormatError).reason).toMatch(/unexpected comma/);
  });
});

describe('block lineage', () => {
  const records = [
    vnetRecord(['1714557601000,10.0.0.4,1.1.1.1,50000,443,6,O,B,NX,0,0,0,0']),
    vnetRecord([
      '1714557661000,10.0.0.4,1.1.1.2,50001,443,6,O,E,NX,1,2,3,4',
      '1714557662000,10.0.0.4,1.1.1.3,50002,443,6,O,B,NX,,,,',
    ]),
  ];
  const blocks = encodeBlobBlocks(records);
  const ids = ['AAAA', 'BBBB', 'CCCC', 'ZZZZ'];

  it('push(bytes, blockId) gives each row the id of the block holding its record', () => {
    const batches: FlowBatch[] = [];
    const decoder = createDecoder({ source: 'blob/PT1H.json', onBatch: (b) => batches.push(b) });
    blocks.forEach((block, i) => decoder.push(block, ids[i]));
    decoder.end();
    const rows = allRows(batches);
    expect(rows.map((r) => r.block)).toEqual(['BBBB', 'CCCC', 'CCCC']);
    expect(rows.every((r) => r.blob === 'blob/PT1H.json')).toBe(true);
  });

  it('a block-at-offset function sees absolute offsets (baseOffset) of each record', () => {
    const seen: number[] = [];
    const bytes = Buffer.concat(blocks.slice(1, 3));
    const { batches } = decodeBuffer(bytes, {
      baseOffset: 12,
      block: (offset) => {
        seen.push(offset);
        return offset < 12 + blocks[1].length ? 'first' : 'second';
      },
    });
    expect(allRows(batches).map((r) => r.block)).toEqual(['first', 'second', 'second']);
    expect(seen).toEqual([12, 12 + blocks[1].length + 1]);
  });

  it('one decoder per block, each with its own id', () => {
    const rows = blocks
      .slice(1, 3)
      .flatMap((block, i) => allRows(decodeBuffer(block, { block: `blk${i}` }).batches));
    expect(rows.map((r) => r.block)).toEqual(['blk0', 'blk1', 'blk1']);
  });
});

describe('tuple values', () => {
  function one(tuple: string, version: 1 | 2 | 4 = 4): FlowRow {
    const record =
      version === 4
        ? vnetRecord([tuple])
        : {
            time: '2024-05-01T10:01:00.0000000Z',
            systemId: 'x',
            category: 'NetworkSecurityGroupFlowEvent',
            resourceId:
              '/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N',
            operationName: 'NetworkSecurityGroupFlowEvents',
            properties: {
              Version: version,
              flows: [{ rule: 'UserRule_r', flows: [{ mac: '000D3AF8801A', flowTuples: [tuple] }] }],
            },
          };
    const rows = allRows(decodeBuffer(JSON.stringify(record)).batches);
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  it('accepts both timestamp widths: 13-digit ms kept, 10-digit seconds → ms', () => {
    expect(one('1663146003599,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0').time_ms).toBe(1663146003599);
    expect(one('1493763938,185.170.185.105,10.2.0.4,35370,23,6,I,B,NX,,,,').time_ms).toBe(1493763938000);
    expect(one('1542110402,192.0.2.190,10.5.16.4,28746,443,U,I,D,B,,,,', 2).time_ms).toBe(1542110402000);
  });

  it('keeps IPv6 addresses in VNet and NSG tuples', () => {
    expect(one('1663146003599,2001:db8::1,fe80::1ff:fe23:4567:890a,443,50000,6,I,E,X,1,2,3,4')).toMatchObject(
      {
        src_ip: '2001:db8::1',
        dst_ip: 'fe80::1ff:fe23:4567:890a',
        encryption: 'X',
        packets_s2d: 1,
        bytes_d2s: 4,
      },
    );
    expect(one('1542110402,2001:DB8:0:0:0:0:0:2,10.5.16.4,1,2,T,O,A', 1)).toMatchObject({
      src_ip: '2001:DB8:0:0:0:0:0:2',
      protocol: 6,
      decision: 'A',
      state: null,
    });
  });

  it('keeps non-canonical IPv4 text exactly (leading zeros are not merged with canonical forms)', () => {
    const rows = allRows(
      decodeBuffer(
        JSON.stringify(
          vnetRecord([
            '1,010.0.0.1,10.0.0.1,1,2,6,O,B,NX,0,0,0,0',
            '2,10.0.0.1,010.0.0.1,1,2,6,O,B,NX,0,0,0,0',
          ]),
        ),
      ).batches,
    );
    expect(rows.map((r) => [r.src_ip, r.dst_ip])).toEqual([
      ['010.0.0.1', '10.0.0.1'],
      ['10.0.0.1', '010.0.0.1'],
    ]);
  });

  it('distinguishes empty counters (null) from 0 counters', () => {
    expect(one('1,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,,,,')).toMatchObject({
      packets_s2d: null,
      bytes_s2d: null,
      packets_d2s: null,
      bytes_d2s: null,
    });
    expect(one('1,10.0.0.6,1.2.3.4,1,2,6,I,D,NX,0,0,0,0')).toMatchObject({
      packets_s2d: 0,
      bytes_s2d: 0,
      decision: 'D',
      state: 'D',
    });
  });

  it('keeps and counts unknown encryption values', () => {
    const { batches, stats } = decodeBuffer(
      JSON.stringify(
        vnetRecord([
          '1,10.0.0.6,1.2.3.4,1,2,6,O,B,NX_NEW_REASON,0,0,0,0',
          '2,10.0.0.6,1.2.3.4,1,2,6,O,B,NX_NEW_REASON,0,0,0,0',
          '3,10.0.0.6,1.2.3.4,1,2,6,O,D,NX_SW_NOT_READY,0,0,0,0',
        ]),
      ),
    );
    expect(allRows(batches).map((r) => r.encryption)).toEqual([
      'NX_NEW_REASON',
      'NX_NEW_REASON',
      'NX_SW_NOT_READY',
    ]);
    expect(stats.unknownEncryption).toEqual({ NX_NEW_REASON: 2 });
  });

  it('normalises NSG protocols T/U and accepts numeric ones', () => {
    expect(one('1,1.1.1.1,2.2.2.2,1,2,T,I,A', 1).protocol).toBe(6);
    expect(one('1,1.1.1.1,2.2.2.2,1,2,U,I,A', 1).protocol).toBe(17);
    expect(one('1,1.1.1.1,2.2.2.2,1,2,47,I,A', 1).protocol).toBe(47);
  });
});

describe('strict and lenient errors', () => {
  const bad = vnetRecord([
    '1663146003599,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0',
    '1663146003599,10.0.0.6,1.2.3.4,99999,2,6,O,B,NX,0,0,0,0',
    '1663146003599,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0',
    '1663146003599,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,1,2,3,4',
  ]);
  const blob = encodeBlob([vnetRecord(['1,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0']), bad]);

  it('strict: names source, block, record, tuple and the bad field', () => {
    const e = thrown(() =>
      decodeBuffer(blob, { source: 'flowLogResourceID=/X/PT1H.json', block: 'QkxL' }),
    ) as FlowLogFormatError;
    expect(e).toBeInstanceOf(FlowLogFormatError);
    expect(e.location).toMatchObject({
      source: 'flowLogResourceID=/X/PT1H.json',
      block: 'QkxL',
      record: 1,
      tuple: 1,
    });
    expect(e.reason).toMatch(/bad source port "99999"/);
    expect(e.message).toMatch(
      /^flowLogResourceID=\/X\/PT1H\.json, block QkxL, record 1, tuple 1, byte \d+: tuple "/,
    );
  });

  it('lenient: skips the bad tuples, keeps the good ones, counts by reason', () => {
    const { batches, stats } = decodeBuffer(blob, { lenient: true });
    const rows = allRows(batches);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toMatchObject({ packets_s2d: 1, bytes_d2s: 4 });
    expect(stats).toMatchObject({ records: 2, tuples: 3, skipped: 2, skippedRecords: 0 });
    expect(stats.skipReasons).toEqual({ 'bad source port': 1, 'wrong field count for version 4': 1 });
  });

  it('a truncated blob is a located error (strict) or a counted skip (lenient)', () => {
    const good = encodeBlob([
      vnetRecord(['1,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0']),
      vnetRecord(['2,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0']),
    ]);
    const cut = good.subarray(0, good.length - 40);
    const e = thrown(() => decodeBuffer(cut, { source: 'cut.json' })) as FlowLogFormatError;
    expect(e).toBeInstanceOf(FlowLogFormatError);
    expect(e.location.record).toBe(1);
    expect(e.reason).toMatch(/truncated/);
    const { stats } = decodeBuffer(cut, { lenient: true });
    expect(stats).toMatchObject({ records: 1, skippedRecords: 1 });
    expect(stats.skipReasons['truncated record']).toBe(1);
  });

  it('lenient mode resynchronises after a broken record and keeps the following ones', () => {
    const records = [
      vnetRecord(['1,10.0.0.1,1.1.1.1,1,2,6,O,B,NX,0,0,0,0']),
      vnetRecord(['2,10.0.0.2,1.1.1.1,1,2,6,O,B,NX,0,0,0,0']),
    ];
    const text = Buffer.from(encodeBlob(records))
      .toString()
      .replace('"flowRecords":{"flows":[{', '"flowRecords":{"flows":[{{');
    expect(thrown(() => decodeBuffer(text))).toBeInstanceOf(FlowLogFormatError);
    const { batches, stats } = decodeBuffer(text, { lenient: true });
    expect(allRows(batches).map((r) => r.src_ip)).toEqual(['10.0.0.2']);
    expect(stats.skippedRecords).toBe(1);
  });
});

describe('key order, escapes and the generic path', () => {
  function decodeBoth(bytes: Uint8Array | string) {
    const input = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    const run = (forceGeneric: boolean) => {
      const batches: FlowBatch[] = [];
      const d = createDecoderInternal(
        { source: 's', onBatch: (b) => batches.push(b) },
        undefined,
        forceGeneric,
      );
      d.push(input);
      d.end();
      return allRows(batches);
    };
    return { fast: run(false), generic: run(true) };
  }

  for (const name of VALID_SAMPLES) {
    it(`${name}: the generic path gives the same rows as the fast path`, () => {
      const { fast, generic } = decodeBoth(sample(name));
      expect(generic).toEqual(fast);
    });
  }

  it('reads record fields in any order, including NSG flows before Version', () => {
    const text =
      '{"records":[{"properties":{"flows":[{"flows":[{"flowTuples":["1542110402,192.0.2.190,10.5.16.4,1,443,U,I,D,B,,,,"],"mac":"M1"}],"rule":"R"}],"Version":2},' +
      '"resourceId":"/N","time":"T","operationName":"x","extra":{"nested":[1,2,{"a":null}]}}]}';
    const { fast, generic } = decodeBoth(text);
    expect(fast).toEqual(generic);
    expect(fast).toHaveLength(1);
    expect(fast[0]).toMatchObject({
      version: 2,
      mac: 'M1',
      rule: 'R',
      flow_log_id: '/N',
      record_time: 'T',
      protocol: 17,
      state: 'B',
    });
  });

  it('unescapes JSON escapes in strings and tuples', () => {
    const text =
      '{"time":"2024-01-01T00:00:00Z","flowLogVersion":4,"macAddress":"00224871C205","flowLogResourceID":"\\/SUBSCRIPTIONS\\/S",' +
      '"flowRecords":{"flows":[{"aclID":"a\\u0063l","flowGroups":[{"rule":"R\\u00e9gle","flowTuples":["\\u0031663146003599,10.0.0.6,1.2.3.4,1,2,6,O,B,NX,0,0,0,0"]}]}]}}';
    const { fast, generic } = decodeBoth(text);
    expect(fast).toEqual(generic);
    expect(fast[0]).toMatchObject({
      flow_log_id: '/SUBSCRIPTIONS/S',
      acl_id: 'acl',
      rule: 'Régle',
      time_ms: 1663146003599,
    });
  });

  it('group and MAC entries with members after flowTuples match the generic path', () => {
    const vt = (i: number) => `"1663146003599,10.0.0.${i},1.2.3.4,1,2,6,O,B,NX,0,0,0,0"`;
    const nt = (i: number) => `"1542110402,10.0.0.${i},1.2.3.4,1,443,T,O,A,B,,,,"`;
    const vnet = (groups: string[]) =>
      '{"time":"T","flowLogVersion":4,"macAddress":"M","flowLogResourceID":"/F",' +
      `"flowRecords":{"flows":[{"aclID":"acl","flowGroups":[${groups.join(',')}]}]}}`;
    const nsg = (entries: string[]) =>
      '{"time":"T","resourceId":"/N","properties":{"Version":2,' +
      `"flows":[{"rule":"R","flows":[${entries.join(',')}]}]}}`;
    const text = `{"records":[${[
      vnet([
        `{"rule":"A","flowTuples":[${vt(1)}],"rule":"B"}`,
        `{"rule":"C","flowTuples":[${vt(4)}],"x":{"y":[1]}}`,
        `{ "rule" : "D" , "flowTuples" : [ ${vt(5)} ] }`,
        `{"flowTuples":[${vt(6)}],"rule":"E"}`,
        '{"rule":"F"}',
        `{"rule":"G","flowTuples":[]}`,
      ]),
      nsg([
        `{"mac":"M1","flowTuples":[${nt(1)}],"mac":"M2"}`,
        `{"mac":"M3","flowTuples":[${nt(4)}],"z":null}`,
        `{ "mac":"M4", "flowTuples":[${nt(5)}]}`,
        `{"flowTuples":[${nt(6)}],"mac":"M5"}`,
      ]),
    ].join(',')}]}`;
    const { fast, generic } = decodeBoth(text);
    expect(fast).toEqual(generic);
    const label = (r: { src_ip: string | null; version: number; rule: string | null; mac: string | null }) =>
      `${r.src_ip} ${r.version === 4 ? r.rule : r.mac}`;
    expect(fast.map(label)).toEqual([
      '10.0.0.1 B',
      '10.0.0.4 C',
      '10.0.0.5 D',
      '10.0.0.6 E',
      '10.0.0.1 M2',
      '10.0.0.4 M3',
      '10.0.0.5 M4',
      '10.0.0.6 M5',
    ]);
    // A repeated "flowTuples" key: the generic path (a JSON object) keeps only the last array,
    // the fast path reads both; either way every row gets the entry's last rule or MAC.
    const repeated = `{"records":[${vnet([
      `{"rule":"A","flowTuples":[${vt(2)}],"rule":"B","flowTuples":[${vt(3)}],"rule":"A"}`,
    ])},${nsg([`{"mac":"M1","flowTuples":[${nt(2)}],"mac":"M2","flowTuples":[${nt(3)}],"mac":"M1"}`])}]}`;
    expect(decodeBoth(repeated).fast.map(label)).toEqual([
      '10.0.0.2 A',
      '10.0.0.3 A',
      '10.0.0.2 M1',
      '10.0.0.3 M1',
    ]);
    const missing = (entry: string) => () => decodeBuffer(`{"records":[${entry}]}`);
    expect(missing(vnet([`{"rule":"A","flowTuples":[${vt(1)}],"rule":5}`]))).toThrow(
      /"rule" must be a string/,
    );
    expect(missing(nsg([`{"flowTuples":[${nt(1)}]}`]))).toThrow(/has flow tuples but no "mac"/);
    expect(missing(nsg([`{"mac":"M","flowTuples":[${nt(1)}] "mac":"N"}`]))).toThrow(/expected ',' or '}'/);
  });

  it('timestamps sharing leading digits with the previous tuple read the same as alone', () => {
    const times = [
      '1663146003599',
      '1663146003600',
      '1663146099999',
      '166314600359',
      '1663146003',
      '16631460035999',
      '1663146003599',
    ];
    const tuple = (t: string) => `"${t},10.0.0.1,1.2.3.4,1,2,6,O,B,NX,0,0,0,0"`;
    const record = (tuples: string[]) =>
      '{"time":"T","flowLogVersion":4,"macAddress":"M","flowLogResourceID":"/F",' +
      `"flowRecords":{"flows":[{"aclID":"acl","flowGroups":[{"rule":"R","flowTuples":[${tuples.join(',')}]}]}]}}`;
    const { fast, generic } = decodeBoth(`{"records":[${record(times.map(tuple))}]}`);
    expect(fast).toEqual(generic);
    expect(fast.map((r) => r.time_ms)).toEqual([
      1663146003599, 1663146003600, 1663146099999, 166314600359, 1663146003000, 16631460035999, 1663146003599,
    ]);
    const bad = () =>
      decodeBuffer(`{"records":[${record([tuple('1663146003599'), tuple('16631460035x9')])}]}`);
    expect(bad).toThrow(/bad timestamp "16631460035x9"/);
    expect(thrown(bad)).toMatchObject({ location: { record: 0, tuple: 1 } });
  });

  it('small batch sizes split rows over batches with their own dictionaries', () => {
    const bytes = sample('vnet-1.9.1-overview.json');
    const whole = allRows(decodeBuffer(bytes).batches);
    const { batches } = decodeBuffer(bytes, { batchSize: 1 });
    expect(batches.length).toBe(1);
    const many = encodeBlob(
      Array.from({ length: 5 }, (_, i) => vnetRecord([`${i},10.0.0.${i},1.1.1.1,1,2,6,O,B,NX,0,0,0,0`])),
    );
    const split = decodeBuffer(many, { batchSize: 2 });
    expect(split.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(allRows(split.batches).map((r) => r.src_ip)).toEqual([
      '10.0.0.0',
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
    ]);
    expect(split.batches[1].strings).toContain('10.0.0.2');
    expect(split.batches[1].strings).not.toContain('10.0.0.0');
    expect(whole).toHaveLength(19);
  });
});
