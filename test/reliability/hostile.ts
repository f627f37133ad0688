/**
 * Hostile input: each is refused with a located, one-line error, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FlowLogFormatError, FlowlensError, ScenarioError } from '../../src/errors.js';
import { createDecoder, HEAD_BLOCK, TAIL_BLOCK, rowAt } from '../../src/formats/index.js';
import { openFolderSource, createFolderSink } from '../../src/storage/index.js';
import { openStore } from '../../src/store/index.js';
import { runIngest } from '../../src/ingest/index.js';
import { parseScenario } from '../../src/model/index.js';
import { blobNameFor, dataBlocksFor, type TestLogSpec } from '../ingest/support/writer.js';
import { record } from './support/report.js';

const spec: TestLogSpec = { blobs: 1, tuplesPerRecord: 4, seed: 5 };
const head = Buffer.from(HEAD_BLOCK);
const tail = Buffer.from(TAIL_BLOCK);
const blocks = dataBlocksFor(spec, 0, 3).map((b) => Buffer.from(b));
const good = Buffer.concat([head, ...blocks, tail]);
const goodText = good.toString('latin1');

function replaceOnce(text: string, from: string | RegExp, to: string): Buffer {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`fixture: ${String(from)} not found`);
  return Buffer.from(out, 'latin1');
}

/** The second tuple of the second record, as text, for field-level surgery. */
function secondRecordTuple(): { at: number; end: number; fields: string[] } {
  const second = head.length + blocks[0].length;
  const at = goodText.indexOf('flowTuples":["', second) + 'flowTuples":["'.length;
  const end = goodText.indexOf('"', at);
  return { at, end, fields: goodText.slice(at, end).split(',') };
}

function withTuple(fields: string[]): Buffer {
  const t = secondRecordTuple();
  return Buffer.from(goodText.slice(0, t.at) + fields.join(',') + goodText.slice(t.end), 'latin1');
}

const invalidUtf8 = (() => {
  const b = Buffer.from(good);
  const at = goodText.indexOf('DefaultRule_AllowInternetOutBound') + 3;
  b[at] = 0xc3; // a lead byte followed by an ASCII byte: not UTF-8
  b[at + 1] = 0x28;
  return b;
})();

/**
 * Blobs that are broken, as opposed to cut short. The decoder refuses each with a located
 * FlowLogFormatError and the ingester quarantines the blob, storing none of its rows.
 */
const brokenBlobs: [string, Buffer][] = [
  ['wrong flowLogVersion (7)', replaceOnce(goodText, '"flowLogVersion":4', '"flowLogVersion":7')],
  ['tuple with an extra field', withTuple([...secondRecordTuple().fields, '99'])],
  ['tuple with missing fields', withTuple(secondRecordTuple().fields.slice(0, 8))],
  [
    'tuple with a huge byte count',
    withTuple(secondRecordTuple().fields.map((f, i) => (i === 10 ? '99999999999999999999999999' : f))),
  ],
  ['tuple with a huge port', withTuple(secondRecordTuple().fields.map((f, i) => (i === 4 ? '4294967296' : f)))],
  ['tuple with a huge timestamp', withTuple(secondRecordTuple().fields.map((f, i) => (i === 0 ? '9'.repeat(40) : f)))],
  ['tuple with a negative packet count', withTuple(secondRecordTuple().fields.map((f, i) => (i === 9 ? '-5' : f)))],
  ['record that is not an object', replaceOnce(goodText, /\{"time"/, '[1,{"time"')],
];

/**
 * Blobs cut short: a reader cannot tell them from a PT1H.json Azure is still writing (blobs grow
 * block by block, and the folder holds the committed prefix). The decoder refuses a cut inside a
 * record (located); the ingester stores exactly the complete records before the cut, quarantines
 * nothing, and after the blob is completed stores the rest with no duplicate.
 */
const cutBlobs: [string, Buffer, number][] = [
  ['truncated inside a record', good.subarray(0, head.length + blocks[0].length + Math.floor(blocks[1].length / 2)), 1],
  ['head-only blob', head, 0],
  ['missing tail', Buffer.concat([head, ...blocks]), 3],
  ['truncated inside the tail', good.subarray(0, good.length - 1), 3],
];

function decodeStrict(bytes: Buffer, source: string): number {
  let rows = 0;
  const decoder = createDecoder({ source, onBatch: (b) => (rows += b.length) });
  for (let o = 0; o < bytes.length; o += 333) decoder.push(bytes.subarray(o, o + 333));
  decoder.end();
  return rows;
}

describe('hostile input', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flowlens-hostile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the good fixture decodes (so each refusal below is caused by its one change)', () => {
    expect(decodeStrict(good, 'good')).toBe(3 * spec.tuplesPerRecord);
  });

  async function ingestOnce(root: string, db: string) {
    const store = await openStore({ db });
    try {
      const summary = await runIngest({ sources: [openFolderSource(root)], store, workers: 0, log: () => {} });
      const stored = Number((await store.query('SELECT count(*)::BIGINT FROM FlowTuples')).rows[0][0]);
      const distinct = Number(
        (await store.query('SELECT count(*)::BIGINT FROM (SELECT DISTINCT * EXCLUDE (time) FROM FlowTuples)')).rows[0][0],
      );
      return { summary, stored, distinct };
    } finally {
      await store.close();
    }
  }

  function writeBlob(root: string, bytes: Buffer): void {
    const path = join(root, ...blobNameFor(spec, 0).split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }

  it('broken blobs: located one-line FlowLogFormatError from the decoder; ingest quarantines the blob and stores none of it', async () => {
    let failures = 0;
    const problems: string[] = [];
    for (const [name, bytes] of brokenBlobs) {
      let err: unknown = null;
      try {
        decodeStrict(bytes, blobNameFor(spec, 0));
      } catch (e) {
        err = e;
      }
      const located =
        err instanceof FlowLogFormatError &&
        err.location.source === blobNameFor(spec, 0) &&
        (err.location.offset !== undefined || err.location.record !== undefined || err.location.block !== undefined) &&
        !err.message.includes('\n');
      const root = join(dir, name.replace(/\W+/g, '-'));
      writeBlob(root, bytes);
      const { summary, stored } = await ingestOnce(root, join(root, 'store.duckdb'));
      const quarantinedOk =
        summary.quarantined.length === 1 &&
        summary.quarantined[0].blob === blobNameFor(spec, 0) &&
        !summary.quarantined[0].error.includes('\n');
      if (!located || stored !== 0 || !quarantinedOk) {
        failures++;
        problems.push(`${name}: decoder ${err instanceof Error ? err.message : String(err)}; stored ${stored}, quarantined ${JSON.stringify(summary.quarantined)}`);
      }
    }
    record({ scenario: 'hostile: broken blobs', cases: brokenBlobs.length, failures, lost: null, duplicated: null });
    expect(problems).toEqual([]);
  }, 120_000);

  it('cut-short blobs: complete records only, then the rest once the blob is whole (0 lost, 0 duplicated)', async () => {
    const problems: string[] = [];
    let lost = 0;
    let duplicated = 0;
    for (const [name, bytes, completeRecords] of cutBlobs) {
      let err: unknown = null;
      try {
        decodeStrict(bytes, blobNameFor(spec, 0));
      } catch (e) {
        err = e;
      }
      const cutInsideRecord = name === 'truncated inside a record';
      if (cutInsideRecord && !(err instanceof FlowLogFormatError && err.location.record !== undefined && !err.message.includes('\n')))
        problems.push(`${name}: decoder did not refuse with a located error: ${String(err)}`);
      const root = join(dir, name.replace(/\W+/g, '-'));
      const db = join(root, 'store.duckdb');
      writeBlob(root, bytes);
      const first = await ingestOnce(root, db);
      if (first.stored !== completeRecords * spec.tuplesPerRecord || first.summary.quarantined.length !== 0)
        problems.push(`${name}: stored ${first.stored} (expected ${completeRecords * spec.tuplesPerRecord}), quarantined ${first.summary.quarantined.length}`);
      writeBlob(root, good);
      const second = await ingestOnce(root, db);
      const expected = 3 * spec.tuplesPerRecord;
      lost += Math.max(0, expected - second.distinct);
      duplicated += second.stored - second.distinct;
      if (second.stored !== expected || second.distinct !== expected) problems.push(`${name}: after completion ${second.stored} rows, ${second.distinct} distinct`);
    }
    record({ scenario: 'hostile: cut-short blobs, then completed', cases: cutBlobs.length, failures: problems.length, lost, duplicated });
    expect(problems).toEqual([]);
  }, 120_000);

  it('invalid UTF-8 inside a string is refused with a located one-line error, not replaced', async () => {
    const rows: string[] = [];
    const decoder = createDecoder({
      source: 'utf8',
      onBatch: (b) => {
        for (let i = 0; i < b.length; i++) rows.push(rowAt(b, i).rule ?? '');
      },
    });
    let err: unknown = null;
    try {
      decoder.push(invalidUtf8);
      decoder.end();
    } catch (e) {
      err = e;
    }
    const refused = err instanceof FlowLogFormatError && !err.message.includes('\n');
    const replaced = rows.some((r) => r.includes('\uFFFD'));
    record({
      scenario: 'hostile: invalid UTF-8',
      cases: 1,
      failures: refused ? 0 : 1,
      lost: null,
      duplicated: null,
    });
    expect({ refused, replaced }).toEqual({ refused: true, replaced: false });
    expect((err as FlowLogFormatError).message).toMatch(/utf8.*record 0.*invalid UTF-8/);
  });

  it('YAML alias bombs are refused with a one-line ScenarioError, quickly', () => {
    const bombs = [
      // billion laughs
      ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill('*' + 'abcdefghi'[i]).join(',')}]`)].join('\n'),
      // few aliases, deep nesting: within the count limit, still exponential
      ['a0: &a0 [x, x]', ...Array.from({ length: 60 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)].join('\n'),
      // quoted text with asterisks must not hide real aliases
      ['name: "*x *y"', 'v: &v [1,2]', ...Array.from({ length: 200 }, (_, i) => `k${i}: *v`)].join('\n'),
    ];
    let failures = 0;
    for (const text of bombs) {
      const started = performance.now();
      let err: unknown = null;
      try {
        parseScenario(text, 'bomb.yaml');
      } catch (e) {
        err = e;
      }
      const ms = performance.now() - started;
      const ok = err instanceof ScenarioError && !err.message.includes('\n') && err.message.includes('bomb.yaml') && ms < 2000;
      if (!ok) failures++;
      expect({ ok, ms: ms < 2000, err: String(err) }).toMatchObject({ ok: true, ms: true });
    }
    record({ scenario: 'YAML alias bombs', cases: bombs.length, failures, lost: null, duplicated: null });
  });

  describe('folder sink and hostile blob names', () => {
    it('names with .. or absolute paths: where does the folder sink write?', async () => {
      // Sandbox: the sink root sits three levels down, so an escape lands inside `dir` still.
      const sandbox = join(dir, 'sink-sandbox');
      const root = join(sandbox, 'a', 'b', 'root');
      mkdirSync(root, { recursive: true });
      const names: [string, string][] = [
        ['c', '../../escaped-1.json'],
        ['..', 'escaped-2.json'],
        ['c', '/abs/escaped-3.json'],
        ['c', 'x/../../../escaped-4.json'],
      ];
      const escapes: string[] = [];
      const refusals: string[] = [];
      for (const [container, blobName] of names) {
        const sink = createFolderSink(root, { head: HEAD_BLOCK, tail: TAIL_BLOCK });
        try {
          sink.stage(container, blobName, blocks[0]);
          await sink.commit();
        } catch (err) {
          expect(err).toBeInstanceOf(FlowlensError);
          refusals.push((err as Error).message);
        }
        await sink.close();
      }
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
      for (const f of walk(sandbox)) escapes.push(f.slice(sandbox.length));
      const unrefused = names.length - refusals.length;
      record({
        scenario: 'folder sink: .. / absolute blob names',
        cases: names.length,
        failures: unrefused + escapes.length,
        lost: null,
        duplicated: null,
      });
      // Every hostile name is refused before anything is written, with a one-line error naming it.
      expect(escapes).toEqual([]);
      expect(refusals).toHaveLength(names.length);
      names.forEach(([container, blobName], i) => {
        expect(refusals[i]).toContain(`"${container}/${blobName}"`);
        expect(refusals[i]).not.toContain('\n');
      });
    });
  });
});
