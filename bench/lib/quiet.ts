/**
 * Hygiene between timed runs of a benchmark, outside any timing, the same for every method.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full garbage collection: no method pays for the garbage the one before it left. */
export const collectGarbage = runInNewContext('gc') as () => void;

const probe = new Float64Array(1 << 16);
/**
 * Milliseconds of a fixed piece of JS work (~21 ms on this project's VM in its normal phases,
 * 33-37 ms in its slow ones): printed with each timed run, so a reader sees which runs fell into
 * a slow phase of the machine.
 */
export function machineProbeMs(): number {
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
// Warmed up (optimised) before any measurement.
for (let i = 0; i < 5; i++) probeOnce();
