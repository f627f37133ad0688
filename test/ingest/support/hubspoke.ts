import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { emulate, FLOW_LOG_BLOB_FRAMING } from '../../../src/emulator/index.js';
import { loadScenario } from '../../../src/model/index.js';
import { createFolderSink } from '../../../src/storage/sink-fs.js';
import { openFolderSource } from '../../../src/storage/index.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { createDeriver, runIngest } from '../../../src/ingest/index.js';

export const HUB_SPOKE = fileURLToPath(new URL('../../../examples/hub-spoke.yaml', import.meta.url));

/** examples/hub-spoke.yaml emulated into `dir`/logs (folder blobs as Azure frames them). */
export async function emulateHubSpoke(
  dir: string,
  options: { duration: string; start: string; seed: number },
): Promise<string> {
  const logs = join(dir, 'logs');
  const sink = createFolderSink(logs, FLOW_LOG_BLOB_FRAMING);
  const { scenario, serviceTags } = loadScenario(HUB_SPOKE);
  await emulate(scenario, sink, { ...options, commit: 'batched' }, {}, { serviceTags });
  await sink.close();
  return logs;
}

/** Ingests `logs` with hub-spoke topology analytics into a new DuckDB file; no errors expected. */
export async function ingestHubSpoke(
  logs: string,
  db: string,
  options: { intervalMinutes?: number; workers: number },
): Promise<Store> {
  const store = await openStore({
    db,
    ...(options.intervalMinutes ? { intervalMinutes: options.intervalMinutes } : {}),
  });
  const summary = await runIngest({
    sources: [openFolderSource(logs)],
    store,
    derive: await createDeriver({ topology: HUB_SPOKE }),
    workers: options.workers,
    log: () => {},
  });
  expect(summary.errors).toBe(0);
  expect(summary.tuples).toBeGreaterThan(1000);
  return store;
}
