/**
 * Fuzzing: the decoder (byte mutations of the spec samples and of emulator output, and
 * structure-aware JSON mutations with fast-check), the scenario loader, and the KQL front end.
 * Only the typed errors may escape (FlowLogFormatError, ScenarioError, KqlError); every case is
 * timed against a bound (a hang shows as a failed bound, or at worst a test timeout), and the
 * heap is checked at the end.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowLogFormatError, ScenarioError } from '../../src/errors.js';
import { createDecoder, decodeRecords, HEAD_BLOCK, TAIL_BLOCK } from '../../src/formats/index.js';
import { emulateMinutes } from '../../src/emulator/index.js';
import { loadScenario, parseScenario } from '../../src/model/index.js';
import { KqlError, translateKql } from '../../src/query/index.js';
import { sample } from '../formats/helpers.js';
import { ROOT } from '../ingest/support/cli.js';
import { record } from './support/report.js';
import { bounded, LONG } from './support/mode.js';

const CASE_BOUND_MS = 2000;

interface FuzzTally {
  cases: number;
  crashes: string[];
  slowest: number;
}

function tally(): FuzzTally {
  return { cases: 0, crashes: [], slowest: 0 };
}

/** Runs one case; a non-typed error or a case over the time bound is a crash. */
function runCase(t: FuzzTally, label: () => string, allowed: (err: unknown) => boolean, fn: () => void): void {
  t.cases++;
  // CPU time, not wall clock: the machine is shared, and a descheduled case is not a hang.
  const started = process.cpuUsage();
  try {
    fn();
  } catch (err) {
    if (!allowed(err) && t.crashes.length < 20) t.crashes.push(`${label()}: ${err instanceof Error ? err.stack?.split('\n').slice(0, 3).join(' | ') : String(err)}`);
  }
  const used = process.cpuUsage(started);
  const ms = (used.user + used.system) / 1000;
  t.slowest = Math.max(t.slowest, ms);
  if (ms > CASE_BOUND_MS && t.crashes.length < 20) t.crashes.push(`${label()}: took ${Math.round(ms)} ms`);
}

const isFormatError = (e: unknown) => e instanceof FlowLogFormatError && !e.message.includes('\n');

function decodeAll(bytes: Uint8Array, lenient: boolean, chunk: number): void {
  let rows = 0;
  const decoder = createDecoder({ source: 'fuzz', lenient, onBatch: (b) => (rows += b.length) });
  for (let o = 0; o < bytes.length; o += chunk) decoder.push(bytes.subarray(o, o + chunk));
  const stats = decoder.end();
  if (stats.tuples !== rows) throw new Error(`stats say ${stats.tuples} tuples, batches held ${rows}`);
}

function emulatorBlobs(): Buffer[] {
  const loaded = loadScenario(join(ROOT, 'examples', 'hub-spoke.yaml'));
  const blobs = new Map<string, Buffer[]>();
  for (const minute of emulateMinutes(loaded.scenario, { duration: '4m' }, { serviceTags: loaded.serviceTags })) {
    for (const block of minute.blocks) {
      const key = `${block.container}/${block.blobName}`;
      blobs.set(key, [...(blobs.get(key) ?? []), block.bytes]);
    }
  }
  // A few small whole blobs of each family: mutations of small inputs reach every state quickly.
  const out: Buffer[] = [];
  const byFamily = new Map<string, number>();
  for (const [key, blocks] of blobs) {
    const family = key.includes('networksecuritygroupflowevent') ? 'nsg' : 'vnet';
    const bytes = Buffer.concat([Buffer.from(HEAD_BLOCK), ...blocks, Buffer.from(TAIL_BLOCK)]);
    if (bytes.length > 24_000 || (byFamily.get(family) ?? 0) >= 3) continue;
    byFamily.set(family, (byFamily.get(family) ?? 0) + 1);
    out.push(bytes);
  }
  return out;
}

describe('fuzzing', () => {
  let seeds: Buffer[];
  let emulated: number;
  beforeAll(() => {
    const specSamples = [
      sample('vnet-1.9.1-overview.json'),
      sample('vnet-1.9.2-block-reader-record.json'),
      sample('vnet-1.9.3-tutorial-record.json'),
      sample('vnet-1.9.4-early-capture.json'),
      sample('nsg-2.5.2-v2.json'),
      sample('nsg-2.5.3-block-reader.json'),
      sample('nsg-2.5.4-middle-block-excerpt.txt'),
    ];
    const fromEmulator = emulatorBlobs();
    emulated = fromEmulator.length;
    seeds = [...specSamples, ...fromEmulator];
    // Warm the decoder's code paths so the first timed case does not pay for compilation.
    for (const s of seeds) {
      try {
        decodeAll(s, false, 4096);
      } catch {
        // the excerpt sample is a fragment
      }
    }
  }, 120_000);

  it('decoder: byte mutations of spec samples and emulator output raise only FlowLogFormatError', () => {
    expect(emulated).toBeGreaterThanOrEqual(2);
    const t = tally();
    const heapBefore = process.memoryUsage().heapUsed;
    const INTERESTING = [0x22, 0x2c, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x30, 0x39, 0x2d, 0x2e, 0x00, 0xff, 0xc3, 0x80, 0x45, 0x65];
    fc.assert(
      fc.property(
        fc.nat({ max: seeds.length - 1 }),
        fc.array(
          fc.record({
            kind: fc.constantFrom('replace', 'insert', 'delete', 'duplicate', 'cut'),
            at: fc.nat(),
            len: fc.integer({ min: 1, max: 64 }),
            byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 8192 }),
        fc.boolean(),
        (seed, mutations, chunk, lenient) => {
          let bytes = seeds[seed];
          for (const m of mutations) {
            if (bytes.length === 0) break;
            const at = m.at % bytes.length;
            if (m.kind === 'replace') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at + 1)]);
            else if (m.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at)]);
            else if (m.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.len)]);
            else if (m.kind === 'duplicate') bytes = Buffer.concat([bytes.subarray(0, at + m.len), bytes.subarray(at)]);
            else bytes = bytes.subarray(0, at);
          }
          const input = bytes;
          runCase(t, () => `seed ${seed} ${JSON.stringify(mutations)}`, isFormatError, () => decodeAll(input, lenient, chunk));
          runCase(t, () => `records seed ${seed} ${JSON.stringify(mutations)}`, isFormatError, () => void decodeRecords(input));
        },
      ),
      { numRuns: bounded(1000, 60_000), seed: LONG ? undefined : 20261127 },
    );
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    record({ scenario: 'fuzz: decoder byte mutations', cases: t.cases, failures: t.crashes.length, lost: null, duplicated: null, note: `slowest ${Math.round(t.slowest)} ms CPU, heap +${Math.round(heapGrowthMb)} MB` });
    expect(t.crashes).toEqual([]);
    expect(heapGrowthMb).toBeLessThan(512);
  }, 600_000);

  it('decoder: structure-aware JSON mutations (fast-check values in every field) raise only FlowLogFormatError', () => {
    const t = tally();
    const parsedSeeds = seeds.slice(0, 6).map((s) => JSON.parse(s.toString('utf8')) as unknown);
    const pathsOf = (v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] => {
      out.push(prefix);
      if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
      return out;
    };
    const seedPaths = parsedSeeds.map((s) => pathsOf(s));
    const hostileValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(
        '',
        ',,,,',
        '1,2,3',
        '99999999999999999999999,10.0.0.1,10.0.0.2,1,2,T,I,A,B,,,,',
        '1700000000000,10.0.0.1,10.0.0.2,1,2,6,I,E,NX,1,2,3,4,5',
        -1,
        1e308,
        Number.MAX_SAFE_INTEGER + 2,
        '\u0000',
        '\uD800',
        [],
        {},
        null,
      ),
    );
    fc.assert(
      fc.property(fc.nat({ max: parsedSeeds.length - 1 }), fc.nat(), hostileValue, fc.boolean(), (seed, pathPick, value, lenient) => {
        const doc = structuredClone(parsedSeeds[seed]) as Record<string, unknown>;
        const path = seedPaths[seed][pathPick % seedPaths[seed].length];
        let input: string;
        if (path.length === 0) input = JSON.stringify(value);
        else {
          let parent = doc as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[path[path.length - 1]] = value;
          input = JSON.stringify(doc);
        }
        const bytes = Buffer.from(input, 'utf8');
        runCase(t, () => `${path.join('.')} = ${JSON.stringify(value)}`, isFormatError, () => decodeAll(bytes, lenient, 1 + (pathPick % 4096)));
      }),
      { numRuns: bounded(1000, 40_000), seed: LONG ? undefined : 20261128 },
    );
    record({ scenario: 'fuzz: decoder JSON field values', cases: t.cases, failures: t.crashes.length, lost: null, duplicated: null, note: `slowest ${Math.round(t.slowest)} ms CPU` });
    expect(t.crashes).toEqual([]);
  }, 600_000);

  it('scenario loader: mutated YAML raises only ScenarioError', () => {
    const t = tally();
    const text = readFileSync(join(ROOT, 'examples', 'hub-spoke.yaml'), 'utf8');
    const lines = text.split('\n');
    const TOKENS = ['&a ', '*a', ': ', '- ', '[', ']', '{', '}', '"', "'", '!!binary ', '!!js/function ', '<<: *a', '\t', '#', '|', '>', '%YAML 1.1\n', '---\n', '~', '0x10', '1e999', '10.0.0.0/33', '::/200', '\u0000', '\uFEFF'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('delete-line', 'duplicate-line', 'swap-lines', 'insert-token', 'replace-char', 'indent'),
            line: fc.nat(),
            other: fc.nat(),
            column: fc.nat({ max: 80 }),
            token: fc.constantFrom(...TOKENS),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (mutations) => {
          const out = [...lines];
          for (const m of mutations) {
            const i = m.line % out.length;
            const j = m.other % out.length;
            if (m.kind === 'delete-line') out.splice(i, 1);
            else if (m.kind === 'duplicate-line') out.splice(i, 0, out[i]);
            else if (m.kind === 'swap-lines') [out[i], out[j]] = [out[j], out[i]];
            else if (m.kind === 'indent') out[i] = '  ' + out[i];
            else {
              const c = Math.min(m.column, out[i].length);
              out[i] = out[i].slice(0, c) + m.token + out[i].slice(m.kind === 'replace-char' ? c + 1 : c);
            }
            if (out.length === 0) out.push('');
          }
          const mutated = out.join('\n');
          runCase(t, () => JSON.stringify(mutations), (e) => e instanceof ScenarioError && e.message.length < 2000, () => void parseScenario(mutated, 'fuzz.yaml'));
        },
      ),
      { numRuns: bounded(200, 10_000), seed: LONG ? undefined : 20261129 },
    );
    record({ scenario: 'fuzz: scenario loader (YAML)', cases: t.cases, failures: t.crashes.length, lost: null, duplicated: null, note: `slowest ${Math.round(t.slowest)} ms CPU` });
    expect(t.crashes).toEqual([]);
  }, 600_000);

  it('KQL front end: random pipelines raise only KqlError', () => {
    const t = tally();
    // The first translation loads Kusto.Language (seconds); it is not a fuzz case.
    translateKql('NTANetAnalytics | take 1', { dialect: 'duckdb' });
    const COLUMNS = ['SrcIp', 'DestIp', 'DestPort', 'L4Protocol', 'FlowDirection', 'FlowStatus', 'BytesSrcToDest', 'TimeGenerated', 'FlowType', 'NoSuchColumn', 'Status'];
    const EXPR = fc.oneof(
      fc.constantFrom(...COLUMNS),
      fc.integer().map(String),
      fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
      fc.constantFrom('ago(1h)', 'now()', 'datetime(2026-11-26)', 'dynamic([1,2])', 'toint("x")', 'bin(TimeGenerated, 5m)', 'strlen(SrcIp)', 'iff(true, 1, 2)', '1/0', 'parse_json("{")', 'ipv4_is_in_range(SrcIp, "10.0.0.0/8")'),
    );
    const CMP = fc.constantFrom('==', '!=', '<', '>', 'has', '!has', 'contains', 'startswith', 'in~', 'matches regex', 'between', '=~');
    const OPERATOR = fc.oneof(
      fc.tuple(EXPR, CMP, EXPR).map(([a, op, b]) => `where ${a} ${op} ${op === 'between' ? `(${b} .. ${b})` : op === 'in~' ? `(${b})` : b}`),
      fc.tuple(fc.constantFrom('count()', 'sum(BytesSrcToDest)', 'dcount(SrcIp)', 'avg(DestPort)', 'make_set(SrcIp)', 'percentile(BytesSrcToDest, 95)', 'stdev(DestPort)'), fc.constantFrom(...COLUMNS)).map(([agg, by]) => `summarize ${agg} by ${by}`),
      fc.constantFrom(...COLUMNS).map((c) => `project ${c}`),
      fc.tuple(fc.constantFrom('x', 'y', "['a b']", "['x;DROP']"), EXPR).map(([n, e]) => `extend ${n} = ${e}`),
      fc.nat({ max: 100000 }).map((n) => `take ${n}`),
      fc.tuple(fc.nat({ max: 50 }), fc.constantFrom(...COLUMNS)).map(([n, c]) => `top ${n} by ${c}`),
      fc.constantFrom(...COLUMNS).map((c) => `sort by ${c} desc`),
      fc.constantFrom('distinct SrcIp', 'count', 'render timechart', 'make-series count() on TimeGenerated step 1h', 'mv-expand x', 'join (NTANetAnalytics) on SrcIp', 'union NTAIpDetails', 'parse SrcIp with a "." b', 'evaluate bag_unpack(x)', 'lookup (NTAIpDetails) on $left.SrcIp == $right.Ip', 'as T', 'invoke f()', 'getschema', 'serialize', 'sample 5'),
      fc.string({ maxLength: 20 }),
    );
    const TABLE = fc.constantFrom('NTANetAnalytics', 'NTAIpDetails', 'AzureNetworkAnalytics_CL', 'NoTable', 'print 1', 'range x from 1 to 3 step 1', 'datatable(a:int)[1,2]', '');
    const cases = fc.tuple(TABLE, fc.array(OPERATOR, { maxLength: 5 }), fc.boolean()).map(([table, ops, letBlock]) => (letBlock ? 'let t = 1h;\n' : '') + [table, ...ops].join('\n| '));
    fc.assert(
      fc.property(cases, (kql) => {
        runCase(t, () => JSON.stringify(kql), (e) => e instanceof KqlError && !e.message.includes('\n'), () => void translateKql(kql, { dialect: 'duckdb' }));
      }),
      // Kusto.Language parsing costs tens of milliseconds per query here.
      { numRuns: bounded(150, 5000), seed: LONG ? undefined : 20261130 },
    );
    record({ scenario: 'fuzz: KQL front end', cases: t.cases, failures: t.crashes.length, lost: null, duplicated: null, note: `slowest ${Math.round(t.slowest)} ms CPU` });
    expect(t.crashes).toEqual([]);
  }, 600_000);
});
