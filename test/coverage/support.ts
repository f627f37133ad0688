/** Coverage test helpers: emulate into a temp folder and read every blob back with the formats decoder. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { emulate, FLOW_LOG_BLOB_FRAMING, type EmulateOptionsInput } from '../../src/emulator/index.js';
import { decodeBuffer, rowAt, type FlowRow } from '../../src/formats/index.js';
import { parseIpv4, parseIpv4Cidr } from '../../src/model/index.js';
import { createFolderSink } from '../../src/storage/sink-fs.js';

export const EXAMPLES = join(import.meta.dirname, '../../examples');

export type Row = FlowRow & { path: string };

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Runs the emulator into a temp folder; returns every decoded tuple keyed by `container/blob`. */
export async function emulateAndDecode(
  scenario: Parameters<typeof emulate>[0],
  options: EmulateOptionsInput,
): Promise<Map<string, Row[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-cov-'));
  try {
    const sink = createFolderSink(dir, FLOW_LOG_BLOB_FRAMING);
    await emulate(scenario, sink, { commit: 'batched', ...options });
    await sink.close();
    const blobs = new Map<string, Row[]>();
    for (const f of listFiles(dir)) {
      const path = relative(dir, f);
      const rows: Row[] = [];
      const { batches } = decodeBuffer(readFileSync(f), { source: path });
      for (const b of batches) for (let i = 0; i < b.length; i++) rows.push({ ...rowAt(b, i), path });
      blobs.set(path, rows);
    }
    return blobs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ipIn(ip: string, prefixes: readonly string[]): boolean {
  const n = parseIpv4(ip);
  return prefixes.some((p) => {
    const r = parseIpv4Cidr(p);
    return r !== null && n >= r.first && n <= r.last;
  });
}
