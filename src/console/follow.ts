/**
 * Ingestion inside the console process. DuckDB lets one process open a store file for writing
 * and no other process read it meanwhile, so to watch a DuckDB store fill live, the console
 * runs `ingest --follow` itself and reads through the same store. (With ClickHouse the two can
 * be separate processes.)
 */
import { createDeriver, openTarget, runIngest } from '../ingest/index.js';
import type { Store } from '../store/types.js';

export interface FollowOptions {
  store: Store;
  /** Folder, or container URL (with SAS). */
  target?: string;
  connectionString?: string;
  /** Scenario file for Traffic Analytics enrichment. */
  topology?: string;
  intervalMs: number;
  /** One line per problem; never receives connection strings or SAS tokens. */
  log: (line: string) => void;
}

/** Removes SAS signatures, account keys and passwords from text that may be printed. */
export function redactSecrets(text: string): string {
  return text
    .replace(/([?&](sig|se|sp|sv|st|spr|srt|ss|sr|skoid|sktid|skt|ske|sks|skv)=)[^&\s"']*/gi, '$1***')
    .replace(/(AccountKey=)[^;\s"']*/gi, '$1***')
    .replace(/(SharedAccessSignature=)[^;\s"']*/gi, '$1***')
    .replace(/(\/\/[^/:@\s]+:)[^@/\s]+@/g, '$1***@');
}

export async function startFollowing(options: FollowOptions): Promise<{ stop(): Promise<void>; done: Promise<void> }> {
  const opened = await openTarget({ target: options.target, connectionString: options.connectionString });
  const derive = await createDeriver({ topology: options.topology });
  const controller = new AbortController();
  const done = runIngest({
    sources: opened.sources,
    claims: opened.claims,
    store: options.store,
    derive,
    follow: true,
    intervalMs: options.intervalMs,
    signal: controller.signal,
    log: (line) => options.log(redactSecrets(line)),
  })
    .then(() => undefined)
    .catch((err: unknown) => options.log(`ingest stopped: ${redactSecrets(err instanceof Error ? err.message : String(err))}`))
    .finally(() => opened.close());
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}
