/** Growable typed-array columns, shared by the engine, the record encoder and the traffic batch. */

export type Column = Int32Array | Float64Array | Uint8Array;

/** `a` if it has `need` slots, else a copy with the length doubled until it has. */
export function grown<T extends Column>(a: T, need: number): T {
  if (need <= a.length) return a;
  let cap = Math.max(1, a.length) * 2;
  while (cap < need) cap *= 2;
  return resized(a, cap);
}

/** A copy of a typed-array column with exactly `n` slots (`n` >= its length). */
export function resized<T extends Column>(a: T, n: number): T {
  const next = new (a.constructor as new (n: number) => T)(n);
  next.set(a);
  return next;
}
