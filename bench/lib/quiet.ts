/**
 * Hygiene between timed runs of a benchmark, outside any timing, the same for every method.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full garbage collection: no method pays for the garbage the one before it left. */
export const collectGarbage = runInNewContext('gc') as () => void;

const probe = new Float64Array(1 << 16);
let probeWarm = false;
/**
 * Milliseconds of a fixed piece of JS work, printed with each timed run so a reader sees which runs
 * fell into a slow phase of the machine. Compare within one benchmark's output: on this project's
 * VM it read ~21 ms in a process of its own in the normal phases and 33-37 in the slow ones, but
 * 37-40 and 60-72 inside bench:emulate's process (2026-11-27).
 */
export function machineProbeMs(): number {
  if (!probeWarm) {
    // Optimised before the first measurement.
    for (let i = 0; i < 5; i++) probeOnce();
    probeWarm = true;
  }
  probeOnce();
  return probeOnce();
}

function probeOnce(): number {
  const t0 = performance.now();
  let s = 0;
  for (let r = 0; r < 400; r++)
    for (let i = 0; i < probe.length; i++) {
      probe[i] = probe[i] * 1.0000001 + i;
      s += probe[i];
    }
  if (Number.isNaN(s)) probe.fill(0);
  return Number((performance.now() - t0).toFixed(1));
}
