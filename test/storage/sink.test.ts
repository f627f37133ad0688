import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockIdFor, blockListFor, createFolderSink } from '../../src/storage/index.js';
import { HEAD_BLOCK, TAIL_BLOCK } from '../../src/formats/index.js';

describe('folder sink', () => {
  it('holds exactly the committed content: head, committed blocks, tail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-sink-'));
    const sink = createFolderSink(dir, { head: HEAD_BLOCK, tail: TAIL_BLOCK });
    const file = join(dir, 'c', 'a/b/PT1H.json');
    sink.stage('c', 'a/b/PT1H.json', Buffer.from('{"n":1}'));
    expect(sink.dataBlockCount('c', 'a/b/PT1H.json')).toBe(1);
    expect(sink.pendingBytes()).toBe(7);
    const first = await sink.commit();
    expect(first).toEqual({ blobs: 1, blocks: 1, bytes: 7 });
    expect(readFileSync(file, 'utf8')).toBe('{"records":[{"n":1}]}');
    sink.stage('c', 'a/b/PT1H.json', Buffer.from(',{"n":2}'));
    sink.stage('c', 'a/b/PT1H.json', Buffer.from(',{"n":3}'));
    // Staged but not committed: readers still see the old content.
    expect(readFileSync(file, 'utf8')).toBe('{"records":[{"n":1}]}');
    await sink.commit();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ records: [{ n: 1 }, { n: 2 }, { n: 3 }] });
    expect(sink.dataBlockCount('c', 'a/b/PT1H.json')).toBe(3);
    expect(await sink.commit()).toEqual({ blobs: 0, blocks: 0, bytes: 0 });
    sink.forget(() => true);
    expect(sink.dataBlockCount('c', 'a/b/PT1H.json')).toBe(0);
  });

  it('commits in the background the blocks staged before the call; later blocks wait for the next commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-sink-'));
    const sink = createFolderSink(dir, { head: HEAD_BLOCK, tail: TAIL_BLOCK });
    const files = ['a/PT1H.json', 'b/c/PT1H.json'];
    for (const f of files) sink.stage('c', f, Buffer.from('{"n":1}'));
    const first = sink.commitInBackground!();
    for (const f of files) sink.stage('c', f, Buffer.from(',{"n":2}'));
    expect(sink.pendingBytes()).toBe(16);
    expect(await first).toEqual({ blobs: 2, blocks: 2, bytes: 14 });
    for (const f of files) expect(readFileSync(join(dir, 'c', f), 'utf8')).toBe('{"records":[{"n":1}]}');
    const second = sink.commitInBackground!();
    // commit() waits for the background commit before writing its own blocks.
    sink.stage('c', files[0], Buffer.from(',{"n":3}'));
    await sink.commit();
    expect(await second).toEqual({ blobs: 2, blocks: 2, bytes: 16 });
    expect(JSON.parse(readFileSync(join(dir, 'c', files[0]), 'utf8'))).toEqual({
      records: [{ n: 1 }, { n: 2 }, { n: 3 }],
    });
    expect(JSON.parse(readFileSync(join(dir, 'c', files[1]), 'utf8'))).toEqual({
      records: [{ n: 1 }, { n: 2 }],
    });
    await sink.close();
  });

  it('derives block IDs as base64 of 32 lowercase hex characters, stable and distinct', () => {
    const ids = blockListFor('c', 'x/PT1H.json', 3);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(Buffer.from(id, 'base64').toString('ascii')).toMatch(/^[0-9a-f]{32}$/);
    expect(blockIdFor('c', 'x/PT1H.json', 1)).toBe(ids[2]);
    expect(blockIdFor('c', 'y/PT1H.json', 1)).not.toBe(ids[2]);
  });
});
