/**
 * Seeded pseudo-random numbers. Every random choice the emulator makes goes through a `Prng`
 * derived from the run seed and a stable label (pattern name, NIC id, minute), so the same seed
 * gives byte-identical output no matter how the work is scheduled.
 */

export interface Prng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** 32 random bits as an unsigned integer. */
  u32(): number;
}

/** FNV-1a over the string's UTF-16 code units, mixed with the seed; stable across runs. */
export function hashLabel(seed: number, label: string): number {
  return mix32(fnvText((0x811c9dc5 ^ seed) >>> 0, label));
}

function fnvText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Decimal digits of a non-negative integer below 2^31, fed to FNV-1a as `String(n)` would be. */
function fnvDigits(h: number, n: number): number {
  let div = 1;
  while (div * 10 <= n) div *= 10;
  for (; div >= 1; div /= 10) {
    const d = Math.floor(n / div) % 10;
    h ^= 48 + d;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * mulberry32 over a Weyl sequence: tiny, fast and good enough for traffic synthesis (not for
 * cryptography). The state lives in a one-element Uint32Array: a field holding a 32-bit unsigned
 * value above 2^30 is a heap number, and every draw would allocate a new one. `u32` and `int` are
 * methods shared by every instance, so call sites see one function and V8 inlines the draw: as a
 * separate closure per instance they were called, not inlined, and each result above 2^30 (three
 * in four) came back as a new heap number (~45 MB per emulated hour at 1,000 NICs). Pass the
 * PRNG, not `rand.next`, to code that draws (a method taken off its object loses `this`).
 */
class WeylPrng implements Prng {
  readonly state = new Uint32Array(1);
  constructor(seed: number) {
    this.state[0] = seed >>> 0;
  }
  next(): number {
    return this.u32() / 4294967296;
  }
  u32(): number {
    const state = this.state;
    return mulberry32((state[0] = (state[0] + 0x6d2b79f5) >>> 0));
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.u32() / 4294967296) * (hi - lo + 1));
  }
}

export function createPrng(seed: number): Prng {
  return new WeylPrng(seed);
}

/** mulberry32's output for a (Weyl-stepped) state. */
function mulberry32(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * A PRNG re-seeded for label `head + String(n)` from the FNV state of `head` (`labelHeadState`):
 * the same numbers as `prngFor(seed, head + String(n))`, without a new label string, hash pass
 * over the head or PRNG object per stream. The traffic sources (tens of thousands at 10,000 NICs)
 * share one, each keeping only its head's state; a stream is drawn completely before the next
 * source re-seeds it.
 */
export interface ReseedablePrng extends Prng {
  /** Restarts the stream of label `head + String(n)`, `headState` being `labelHeadState(seed, head)`. */
  reseed(headState: number, n: number): void;
}

/** The FNV-1a state after `head` under the run seed (see `ReseedablePrng`). */
export function labelHeadState(seed: number, head: string): number {
  return fnvText((0x811c9dc5 ^ seed) >>> 0, head);
}

class ReseedableWeylPrng extends WeylPrng implements ReseedablePrng {
  reseed(headState: number, n: number): void {
    this.state[0] = mix32(
      Number.isInteger(n) && n >= 0 && n < 2 ** 31 ? fnvDigits(headState, n) : fnvText(headState, String(n)),
    );
  }
}

export function reseedablePrng(): ReseedablePrng {
  return new ReseedableWeylPrng(0);
}

/** A PRNG for one labelled stream of decisions under the run seed. */
export function prngFor(seed: number, label: string): Prng {
  return createPrng(hashLabel(seed, label));
}

/** A deterministic GUID (lowercase, 8-4-4-4-12) for a label; used when a scenario gives none. */
export function guidFor(seed: number, label: string): string {
  const r = prngFor(seed, `guid:${label}`);
  let hex = '';
  for (let i = 0; i < 4; i++) hex += r.u32().toString(16).padStart(8, '0');
  // Mark it as a version-4-shaped GUID so tools that validate GUIDs accept it.
  hex = hex.slice(0, 12) + '4' + hex.slice(13, 16) + '8' + hex.slice(17);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
