/**
 * A string cache keyed on raw bytes, so the decoder turns an IP or rule name it has seen before
 * into a dictionary reference without building a JS string. Each distinct byte sequence gets a
 * global id; each batch gets its own dictionary, filled on first use per batch (a generation
 * stamp per id says whether the id already has a reference in the current batch).
 */

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

export interface ByteCache {
  table: Int32Array;
  mask: number;
  count: number;
  hashes: Int32Array;
  offsets: Int32Array;
  lengths: Int32Array;
  /** Caller-defined flag bits per id (the decoder marks known encryption values). */
  flags: Uint8Array;
  arena: Uint8Array;
  arenaLength: number;
  strings: string[];
  generation: Int32Array;
  refs: Uint32Array;
  currentGeneration: number;
  /** The dictionary of the batch being filled. */
  batchStrings: string[];
  byString: Map<string, number>;
}

/** Past this many distinct strings the cache is emptied when the next batch starts. */
const MAX_ENTRIES = 1 << 18;

export function createByteCache(): ByteCache {
  const ids = 1024;
  return {
    table: new Int32Array(4096),
    mask: 4095,
    count: 0,
    hashes: new Int32Array(ids),
    offsets: new Int32Array(ids),
    lengths: new Int32Array(ids),
    flags: new Uint8Array(ids),
    arena: new Uint8Array(1 << 16),
    arenaLength: 0,
    strings: [],
    generation: new Int32Array(ids),
    refs: new Uint32Array(ids),
    currentGeneration: 1,
    batchStrings: [],
    byString: new Map(),
  };
}

/** Starts a new batch dictionary; ids keep their strings, references start over. */
export function startBatch(cache: ByteCache, strings: string[]): void {
  if (cache.count > MAX_ENTRIES) clearCache(cache);
  cache.currentGeneration++;
  cache.batchStrings = strings;
}

function clearCache(cache: ByteCache): void {
  cache.table.fill(0);
  cache.count = 0;
  cache.arenaLength = 0;
  cache.strings.length = 0;
  cache.generation.fill(0);
  cache.flags.fill(0);
  cache.byString.clear();
}

export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = FNV_OFFSET;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h;
}

function growIds(cache: ByteCache): void {
  const size = cache.hashes.length * 2;
  const grow = <T extends Int32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const next = make(size);
    next.set(a);
    return next;
  };
  cache.hashes = grow(cache.hashes, (n) => new Int32Array(n));
  cache.offsets = grow(cache.offsets, (n) => new Int32Array(n));
  cache.lengths = grow(cache.lengths, (n) => new Int32Array(n));
  cache.flags = grow(cache.flags, (n) => new Uint8Array(n));
  cache.generation = grow(cache.generation, (n) => new Int32Array(n));
  cache.refs = grow(cache.refs, (n) => new Uint32Array(n));
}

function growTable(cache: ByteCache): void {
  const size = cache.table.length * 2;
  const table = new Int32Array(size);
  const mask = size - 1;
  for (let id = 0; id < cache.count; id++) {
    let i = cache.hashes[id] & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = id + 1;
  }
  cache.table = table;
  cache.mask = mask;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** The global id of bytes `b[s, e)` whose FNV-1a hash is `h`, adding them if new. */
export function idOfBytes(cache: ByteCache, b: Uint8Array, s: number, e: number, h: number): number {
  const len = e - s;
  const table = cache.table;
  const mask = cache.mask;
  let i = h & mask;
  for (;;) {
    const slot = table[i];
    if (slot === 0) break;
    const id = slot - 1;
    if (cache.hashes[id] === h && cache.lengths[id] === len) {
      const arena = cache.arena;
      let o = cache.offsets[id];
      let k = s;
      while (k < e && arena[o] === b[k]) {
        o++;
        k++;
      }
      if (k === e) return id;
    }
    i = (i + 1) & mask;
  }
  const id = cache.count;
  if (id >= cache.hashes.length) growIds(cache);
  if (cache.arenaLength + len > cache.arena.length) {
    const arena = new Uint8Array(Math.max(cache.arena.length * 2, cache.arenaLength + len));
    arena.set(cache.arena.subarray(0, cache.arenaLength));
    cache.arena = arena;
  }
  cache.arena.set(b.subarray(s, e), cache.arenaLength);
  cache.hashes[id] = h;
  cache.offsets[id] = cache.arenaLength;
  cache.lengths[id] = len;
  cache.flags[id] = 0;
  cache.generation[id] = 0;
  cache.arenaLength += len;
  cache.strings[id] = decoder.decode(b.subarray(s, e));
  cache.count = id + 1;
  table[i] = id + 1;
  if (cache.count * 2 > table.length) growTable(cache);
  return id;
}

/** The current batch's dictionary reference for global id `id`. */
export function refOfId(cache: ByteCache, id: number): number {
  if (cache.generation[id] === cache.currentGeneration) return cache.refs[id];
  const ref = cache.batchStrings.length;
  cache.batchStrings.push(cache.strings[id]);
  cache.generation[id] = cache.currentGeneration;
  cache.refs[id] = ref;
  return ref;
}

export function refOfBytes(cache: ByteCache, b: Uint8Array, s: number, e: number, h: number): number {
  return refOfId(cache, idOfBytes(cache, b, s, e, h));
}

const encoder = new TextEncoder();

/** The global id of a JS string (slow path: escaped strings, block ids, source names). */
export function idOfString(cache: ByteCache, value: string): number {
  let id = cache.byString.get(value);
  if (id !== undefined && id < cache.count && cache.strings[id] === value) return id;
  const bytes = encoder.encode(value);
  id = idOfBytes(cache, bytes, 0, bytes.length, hashBytes(bytes, 0, bytes.length));
  cache.byString.set(value, id);
  return id;
}

export function refOfString(cache: ByteCache, value: string): number {
  return refOfId(cache, idOfString(cache, value));
}
