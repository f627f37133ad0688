/**
 * Open-addressing hash map from uint32 keys (IPv4 addresses) to non-negative ints, in typed
 * arrays: a lookup is a multiply, a shift and usually one probe, with no boxing of keys above
 * 2^31 (which a JS `Map` would hash as heap numbers).
 */
export interface IntMap {
  mask: number;
  /** Key + 1 (0 marks an empty slot), as uint32 bit patterns. */
  keys: Uint32Array;
  values: Int32Array;
  size: number;
}

export function createIntMap(expected: number): IntMap {
  let cap = 16;
  while (cap < expected * 2) cap *= 2;
  return { mask: cap - 1, keys: new Uint32Array(cap), values: new Int32Array(cap), size: 0 };
}

function slot(m: IntMap, key: number): number {
  return Math.imul(key | 0, 0x9e3779b1) >>> 7 & m.mask;
}

function grow(m: IntMap): void {
  const old = { keys: m.keys, values: m.values };
  const cap = m.keys.length * 2;
  m.mask = cap - 1;
  m.keys = new Uint32Array(cap);
  m.values = new Int32Array(cap);
  m.size = 0;
  for (let i = 0; i < old.keys.length; i++) if (old.keys[i] !== 0) intMapSet(m, old.keys[i] - 1, old.values[i]);
}

export function intMapSet(m: IntMap, key: number, value: number): void {
  if ((m.size + 1) * 2 > m.keys.length) grow(m);
  const stored = (key + 1) >>> 0;
  for (let i = slot(m, key); ; i = (i + 1) & m.mask) {
    const k = m.keys[i];
    if (k === 0) {
      m.keys[i] = stored;
      m.values[i] = value;
      m.size++;
      return;
    }
    if (k === stored) {
      m.values[i] = value;
      return;
    }
  }
}

/** The value, or -1 when absent. */
export function intMapGet(m: IntMap, key: number): number {
  const stored = (key + 1) >>> 0;
  const keys = m.keys;
  for (let i = slot(m, key); ; i = (i + 1) & m.mask) {
    const k = keys[i];
    if (k === stored) return m.values[i];
    if (k === 0) return -1;
  }
}
