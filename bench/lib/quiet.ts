/**
 * Hygiene between timed runs of a benchmark, outside any timing, the same for every method.
 */
import { execFileSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full garbage collection: no method pays for the garbage the one before it left. */
export const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Writes dirty file pages out (`sync`): the kernel would otherwise write back the previous run's
 * output (~160 MB per emulated hour at 1,000 NICs) while the next run is timed, on the same cores.
 */
export function flushFileWrites(): void {
  try {
    execFileSync('sync', { stdio: 'ignore' });
  } catch {
    // No `sync` command: the kernel writes back on its own schedule.
  }
}
