import type { StoreDigest } from '../../ingest/support/digest.js';

/** Rows lost and duplicated per (blob, block), comparing a faulted store with a clean run. */
export function lossAndDuplication(clean: StoreDigest, faulted: StoreDigest): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  const keys = new Set([...Object.keys(clean.perBlock), ...Object.keys(faulted.perBlock)]);
  for (const k of keys) {
    const a = clean.perBlock[k] ?? 0;
    const b = faulted.perBlock[k] ?? 0;
    if (b < a) lost += a - b;
    else duplicated += b - a;
  }
  return { lost, duplicated };
}
