import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  chunkBlocks,
  findHeadEnd,
  frameRecords,
  layoutBlocks,
  planDelta,
  rangeOf,
} from '../../src/storage/blocks.js';
import { FlowLogFormatError } from '../../src/errors.js';

// The block list Microsoft's block-reader doc shows (spec §1.11), verbatim IDs and sizes.
const DOC_BLOCK_LIST = [
  ['ZDk5MTk5N2FkNGE0MmY5MTk5ZWViYjA0YmZhODRhYzY=', 12],
  ['NzQxNDA5MTRhNDUzMGI2M2Y1MDMyOWZlN2QwNDZiYzQ=', 2685],
  ['ODdjM2UyMWY3NzFhZTU3MmVlMmU5MDNlOWEwNWE3YWY=', 2586],
  ['ZDU2MjA3OGQ2ZDU3MjczMWQ4MTRmYWNhYjAzOGJkMTg=', 2688],
  ['ZmM3ZWJjMGQ0ZDA1ODJlOWMyODhlOWE3MDI1MGJhMTc=', 2775],
  ['ZGVkYTc4MzQzNjEyMzlmZWE5MmRiNjc1OWE5OTc0OTQ=', 2676],
  ['ZmY2MjUzYTIwYWIyOGU1OTA2ZDY1OWYzNmY2NmU4ZTY=', 2777],
  ['Mzk1YzQwM2U0ZWY1ZDRhOWFlMTNhYjQ3OGVhYmUzNjk=', 2675],
  ['ZjAyZTliYWE3OTI1YWZmYjFmMWI0MjJhNzMxZTI4MDM=', 2],
].map(([id, size]) => ({ id: id as string, size: size as number }));

describe('layoutBlocks', () => {
  it('splits the documented block list into a 12-byte head, seven data blocks and a 2-byte tail', () => {
    const layout = layoutBlocks(DOC_BLOCK_LIST);
    expect(layout.head).toEqual({ id: DOC_BLOCK_LIST[0].id, offset: 0, size: 12 });
    expect(layout.tail?.size).toBe(2);
    expect(layout.data).toHaveLength(7);
    expect(layout.data[0].offset).toBe(12);
    expect(layout.data[1].offset).toBe(12 + 2685);
    expect(layout.size).toBe(DOC_BLOCK_LIST.reduce((s, b) => s + b.size, 0));
  });

  it('treats a lone block as a head with no data yet', () => {
    expect(layoutBlocks([{ id: 'a', size: 12 }]).data).toEqual([]);
    expect(layoutBlocks([]).head).toBeNull();
  });
});

describe('planDelta', () => {
  const full = layoutBlocks(DOC_BLOCK_LIST);

  it('reads every data block, never the tail, without a checkpoint', () => {
    const plan = planDelta(full, null);
    expect(plan.replace).toBe(false);
    expect(plan.blocks.map((b) => b.id)).toEqual(DOC_BLOCK_LIST.slice(1, -1).map((b) => b.id));
    expect(rangeOf(plan.blocks)).toEqual({ start: 12, end: full.tail!.offset });
  });

  it('after an append reads only the blocks after the checkpoint block', () => {
    // The same blob three minutes earlier: head, 4 data blocks, tail.
    const earlier = layoutBlocks([...DOC_BLOCK_LIST.slice(0, 5), DOC_BLOCK_LIST[8]]);
    const last = earlier.data[3];
    const cursor = { lastBlockId: last.id, blockCount: 4, byteOffset: last.offset + last.size };
    const plan = planDelta(full, cursor);
    expect(plan.replace).toBe(false);
    expect(plan.firstIndex).toBe(4);
    expect(plan.blocks.map((b) => b.id)).toEqual(DOC_BLOCK_LIST.slice(5, 8).map((b) => b.id));
    expect(plan.blocks[0].offset).toBe(cursor.byteOffset);
  });

  it('reads nothing when no block was added', () => {
    const last = full.data[6];
    const plan = planDelta(full, {
      lastBlockId: last.id,
      blockCount: 7,
      byteOffset: last.offset + last.size,
    });
    expect(plan).toEqual({ replace: false, blocks: [], firstIndex: 7 });
  });

  it('marks a blob whose checkpoint block vanished as recreated and reads it from the start', () => {
    const plan = planDelta(full, { lastBlockId: 'Z29uZQ==', blockCount: 3, byteOffset: 5000 });
    expect(plan.replace).toBe(true);
    expect(plan.blocks).toHaveLength(7);
  });

  it('marks a block found at another offset as recreated', () => {
    const b = full.data[2];
    const plan = planDelta(full, { lastBlockId: b.id, blockCount: 3, byteOffset: b.offset + b.size + 1 });
    expect(plan.replace).toBe(true);
  });

  it('property: resuming after any prefix reads exactly the remaining blocks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        (sizes, k) => {
          const blocks = [
            { id: 'head', size: 12 },
            ...sizes.map((size, i) => ({ id: `d${i}`, size })),
            { id: 'tail', size: 2 },
          ];
          const layout = layoutBlocks(blocks);
          const done = k % (sizes.length + 1);
          const cursor =
            done === 0
              ? null
              : {
                  lastBlockId: `d${done - 1}`,
                  blockCount: done,
                  byteOffset: layout.data[done - 1].offset + sizes[done - 1],
                };
          const plan = planDelta(layout, cursor);
          expect(plan.replace).toBe(false);
          expect(plan.blocks.map((b) => b.id)).toEqual(sizes.slice(done).map((_, i) => `d${done + i}`));
          for (const chunk of chunkBlocks(plan.blocks, 4096)) {
            const { start, end } = rangeOf(chunk);
            expect(end - start === chunk.reduce((s, b) => s + b.size, 0)).toBe(true);
            expect(chunk.length === 1 || end - start <= 4096).toBe(true);
          }
        },
      ),
    );
  });
});

describe('frameRecords', () => {
  const head = '{"records":[';
  const r1 = '{"time":"t1","a":"x}]\\"{","b":[1,{"c":2}]}';
  const r2 = '{"time":"t2","flowRecords":{"flows":[]}}';

  it('frames one block per record, each owning its leading comma, and stops at the tail', () => {
    const text = head + r1 + ',' + r2 + ']}';
    const bytes = Buffer.from(text);
    expect(findHeadEnd(bytes, 'b')).toBe(12);
    const framed = frameRecords(bytes.subarray(12), 12, 'b');
    expect(framed.reachedTail).toBe(true);
    expect(framed.blocks).toEqual([
      { id: '@12', offset: 12, size: r1.length },
      { id: `@${12 + r1.length}`, offset: 12 + r1.length, size: r2.length + 1 },
    ]);
    expect(framed.consumed).toBe(r1.length + 1 + r2.length);
  });

  it('leaves a record still being written for the next read', () => {
    const partial = Buffer.from(r1 + ',' + r2.slice(0, 20));
    const framed = frameRecords(partial, 12, 'b');
    expect(framed.blocks).toHaveLength(1);
    expect(framed.consumed).toBe(r1.length);
    expect(framed.reachedTail).toBe(false);
  });

  it('gives a located error for bytes that are not records', () => {
    const bad = Buffer.from(r1 + ',x');
    expect(() => frameRecords(bad, 12, 'blob.json')).toThrowError(FlowLogFormatError);
    try {
      frameRecords(bad, 12, 'blob.json');
    } catch (err) {
      expect((err as FlowLogFormatError).location).toEqual({
        source: 'blob.json',
        block: `@${12 + r1.length}`,
        offset: 12 + r1.length + 1,
      });
    }
  });

  it('rejects a blob that does not start with the records head', () => {
    expect(() => findHeadEnd(Buffer.from('{"rows":[{}]}'), 'b')).toThrowError(/records/);
    expect(findHeadEnd(Buffer.from('{"rec'), 'b')).toBe(-1);
  });
});
