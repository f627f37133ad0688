/**
 * Structural checks of emitted blobs: framing, one record per block, valid JSON after every
 * commit, path grammar, MAC format, timestamps inside the record's minute, counters as deltas,
 * determinism, and the three encoders writing identical bytes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { emulate, emulateMinutes, FLOW_LOG_BLOB_FRAMING, prepareEmulation, recordersFor } from '../../src/emulator/index.js';
import { parseBlobPath } from '../../src/formats/index.js';
import { createFolderSink } from '../../src/storage/sink-fs.js';
import { ScenarioError } from '../../src/errors.js';
import { decodeAll, listFiles, NSG, readBlobs, runToFolder, seedLab, VNET, type Blob, type Row } from './support.js';

const START = '2024-03-01T00:00:00Z';
let blobs: Blob[];
let rows: Row[];

beforeAll(async () => {
  const { dir } = await runToFolder(seedLab(), { profile: 'preview-2023', start: START, duration: '25m' });
  blobs = readBlobs(dir);
  rows = decodeAll(blobs);
});

describe('emitted blobs', () => {
  it('are framed by the 12-byte head and 2-byte tail and hold one record per block', () => {
    expect(blobs.length).toBeGreaterThan(5);
    for (const b of blobs) {
      expect(b.bytes.subarray(0, 12).toString()).toBe('{"records":[');
      expect(b.bytes.subarray(b.bytes.length - 2).toString()).toBe(']}');
      const parsed = JSON.parse(b.bytes.toString()) as { records: { time: string }[] };
      // Each record block after the first starts with `,{"time":`: blocks = records.
      const separators = b.bytes.toString().split(',{"time":').length - 1;
      expect(parsed.records.length).toBe(separators + 1);
      const times = parsed.records.map((r) => r.time);
      expect([...times].sort()).toEqual(times);
    }
  });

  it('follow the blob path grammar, with MACs as 12 uppercase hex digits', () => {
    for (const b of blobs) {
      const p = parseBlobPath(b.path);
      expect(p, b.path).not.toBeNull();
      expect(p!.kind).toBe(b.container === VNET ? 'vnet' : 'nsg');
      expect(p!.macAddress).toMatch(/^[0-9A-F]{12}$/);
      expect(b.path).toMatch(/\/m=00\/macAddress=[0-9A-F]{12}\/PT1H\.json$/);
    }
    for (const r of rows) {
      expect(r.mac).toMatch(/^[0-9A-F]{12}$/);
      expect(parseBlobPath(r.path)!.macAddress).toBe(r.mac);
    }
  });

  it('put every tuple timestamp inside its record minute, before the record time', () => {
    for (const r of rows) {
      const recordMs = Date.parse(r.record_time);
      expect(r.record_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      const tupleMs = r.version === 4 ? r.time_ms : Math.floor(r.time_ms / 1000) * 1000;
      expect(Math.floor(tupleMs / 60_000)).toBe(Math.floor(recordMs / 60_000));
      expect(tupleMs).toBeLessThanOrEqual(recordMs);
      const hour = parseBlobPath(r.path)!.hourStartMs;
      expect(recordMs - hour).toBeGreaterThanOrEqual(0);
      expect(recordMs - hour).toBeLessThan(3_600_000);
    }
  });

  it('write C/E counters as deltas that add up to the traffic pattern totals', () => {
    // bulk-transfer: 1 connection a minute for 5 minutes, 720 s each, 10/20 pps, 1500/30000 B/s.
    const bulk = rows.filter((r) => r.container === VNET && r.dst_port === 8080 && r.direction === 'I');
    const sessions = new Map<number, Row[]>();
    for (const r of bulk) sessions.set(r.src_port, [...(sessions.get(r.src_port) ?? []), r]);
    expect(sessions.size).toBe(5);
    for (const list of sessions.values()) {
      expect(list.map((r) => r.state)).toEqual(['B', 'C', 'C', 'E']);
      const sum = (k: 'packets_s2d' | 'bytes_s2d' | 'packets_d2s' | 'bytes_d2s') => list.reduce((a, r) => a + (r[k] ?? 0), 0);
      expect(sum('packets_s2d')).toBe(10 * 720);
      expect(sum('bytes_s2d')).toBe(1500 * 720);
      expect(sum('packets_d2s')).toBe(20 * 720);
      expect(sum('bytes_d2s')).toBe(30000 * 720);
      // C rows come five minutes apart and carry five minutes' worth.
      expect(list[2].time_ms - list[1].time_ms).toBe(300_000);
      expect(list[2].packets_s2d).toBe(3000);
    }
    // NSG v2 carries the same deltas for the same flows (fl-nsg-subnet or none, per the random order).
    const nsgB = rows.filter((r) => r.container === NSG && r.state === 'B' && r.decision === 'A');
    for (const r of nsgB) expect(r.packets_s2d === null || r.packets_s2d === 0).toBe(true);
  });

  it('are valid JSON after every per-minute commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlens-emu-commit-'));
    const sink = createFolderSink(dir, FLOW_LOG_BLOB_FRAMING);
    let checks = 0;
    await emulate(seedLab(), sink, { profile: 'ga', start: START, duration: '6m', commit: 'minute' }, {
      onMinute() {
        for (const f of listFiles(dir)) {
          JSON.parse(readFileSync(f, 'utf8'));
          checks++;
        }
      },
    });
    expect(checks).toBeGreaterThan(30);
  });
});

async function digest(options: Parameters<typeof runToFolder>[1]): Promise<string> {
  const { dir } = await runToFolder(seedLab(), options);
  const h = createHash('sha256');
  for (const b of readBlobs(dir)) h.update(b.path).update(b.bytes);
  return h.digest('hex');
}

describe('determinism and encoders', () => {
  it('same seed ⇒ byte-identical output; another seed ⇒ different output', async () => {
    const a = await digest({ start: START, duration: '8m', seed: 7 });
    const b = await digest({ start: START, duration: '8m', seed: 7 });
    const c = await digest({ start: START, duration: '8m', seed: 8 });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('the fast writers, formats.encodeBlock and JSON.stringify write the same bytes', () => {
    const collect = (encoder: 'fast' | 'bytes' | 'formats' | 'json') => {
      const out: string[] = [];
      for (const m of emulateMinutes(seedLab(), { start: START, duration: '12m', encoder, profile: 'preview-2023' }))
        for (const b of m.blocks) out.push(`${b.blobName}\n${b.bytes.toString('utf8')}`);
      return out;
    };
    const fast = collect('fast');
    expect(fast.length).toBeGreaterThan(100);
    expect(collect('bytes')).toEqual(fast);
    expect(collect('formats')).toEqual(fast);
    expect(collect('json')).toEqual(fast);
  });
});

describe('profile switches and the recorder query', () => {
  it('ga refuses NSG flow logs created after 2025-06-30; preview-2023 does not', () => {
    const s = seedLab();
    const late = { ...s, flowLogs: s.flowLogs.map((f) => (f.scope === 'nsg' ? { ...f, createdAt: '2025-07-01T00:00:00Z' } : f)) };
    expect(() => prepareEmulation(late, { profile: 'ga', start: START })).toThrow(ScenarioError);
    expect(() => prepareEmulation(late, { profile: 'preview-2023', start: START })).not.toThrow();
  });

  it('ga writes no NSG flow log records after the 2027-09-30 retirement', async () => {
    const { dir, summary } = await runToFolder(seedLab(), { profile: 'ga', start: '2027-10-01T00:00:00Z', duration: '3m' });
    expect(summary.nsgRecords).toBe(0);
    expect(summary.vnetRecords).toBeGreaterThan(0);
    expect(readBlobs(dir).some((b) => b.container === NSG)).toBe(false);
  });

  it('recordersFor explains who records a flow and who misses it', () => {
    const s = seedLab();
    const case3 = recordersFor(s, { from: 'vm-client', to: 'vm-case3', protocol: 6, dstPort: 3389 }, { profile: 'preview-2023' });
    expect(case3.delivered).toBe(false);
    expect(case3.recordedBy.some((e) => e.type === 'vnet' && e.nic === 'vm-case3-nic' && e.states.join() === 'D' && e.rule.startsWith('case3-deny-rdp_'))).toBe(true);
    expect(case3.missedBy.find((m) => m.type === 'nsg' && m.nic === 'vm-case3-nic')?.reason).toMatch(/AVNM/);
    const ping = recordersFor(s, { from: 'vm-client', to: 'vm-pingtarget', protocol: 1, dstPort: 0 });
    expect(ping.recordedBy).toEqual([]);
    expect(ping.missedBy.every((m) => /protocol 1/.test(m.reason))).toBe(true);
    const pePreview = recordersFor(s, { from: 'vm-client', to: 'pe-storage-blob', protocol: 6, dstPort: 443 }, { profile: 'preview-2023' });
    const peGa = recordersFor(s, { from: 'vm-client', to: 'pe-storage-blob', protocol: 6, dstPort: 443 }, { profile: 'ga' });
    expect(pePreview.recordedBy).toEqual([]);
    expect(peGa.recordedBy.map((e) => e.type).sort()).toEqual(['nsg', 'vnet']);
  });
});
