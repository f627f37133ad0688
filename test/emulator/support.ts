/** Helpers for emulator tests: run into a temp folder and read every blob back with the decoder. */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { decodeBuffer, rowAt, type FlowRow } from '../../src/formats/index.js';
import {
  emulate,
  FLOW_LOG_BLOB_FRAMING,
  type EmulateOptionsInput,
  type EmulateSummary,
} from '../../src/emulator/index.js';
import { loadScenario, type Scenario } from '../../src/model/index.js';
import { createFolderSink } from '../../src/storage/sink-fs.js';

export const SEED_LAB = join(import.meta.dirname, '../../examples/seed-lab.yaml');

export function seedLab(): Scenario {
  return loadScenario(SEED_LAB).scenario;
}

export function listFiles(dir: string): string[] {
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

export interface Blob {
  /** `container/blobName` */
  path: string;
  container: string;
  bytes: Buffer;
}

export function readBlobs(dir: string): Blob[] {
  return listFiles(dir).map((f) => {
    const path = relative(dir, f);
    return { path, container: path.split('/')[0], bytes: readFileSync(f) };
  });
}

export type Row = FlowRow & { container: string; path: string };

/** Every tuple of every blob, decoded by the format library (strict mode: bad input throws). */
export function decodeAll(blobs: Blob[]): Row[] {
  const rows: Row[] = [];
  for (const b of blobs) {
    const { batches } = decodeBuffer(b.bytes, { source: b.path });
    for (const batch of batches)
      for (let i = 0; i < batch.length; i++)
        rows.push({ ...rowAt(batch, i), container: b.container, path: b.path });
  }
  return rows;
}

export async function runToFolder(
  scenario: Scenario,
  options: EmulateOptionsInput,
): Promise<{ dir: string; summary: EmulateSummary; backgroundCommits: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-emu-'));
  const folder = createFolderSink(dir, FLOW_LOG_BLOB_FRAMING);
  let backgroundCommits = 0;
  const sink = {
    ...folder,
    commitInBackground() {
      backgroundCommits++;
      return folder.commitInBackground!();
    },
  };
  const summary = await emulate(scenario, sink, { commit: 'batched', ...options });
  await folder.close();
  return { dir, summary, backgroundCommits };
}

export const VNET = 'insights-logs-flowlogflowevent';
export const NSG = 'insights-logs-networksecuritygroupflowevent';
