/**
 * Byte-level JSON helpers shared by the fast record scanner and the generic slow path: whitespace,
 * value skipping and a small generic value parser. They never look past `n`: reaching it throws
 * `NEED_MORE` so a streaming caller can wait for the next chunk; bad syntax throws a `Malformed`.
 * Nesting is capped so hostile input cannot overflow the stack.
 */

/** Thrown when the bytes end before the current value does. */
export const NEED_MORE: { readonly signal: 'need-more' } = { signal: 'need-more' };

/** Thrown by the fast path to hand a record to the generic path. */
export const FALLBACK: { readonly signal: 'fallback' } = { signal: 'fallback' };

export interface Malformed {
  readonly signal: 'malformed';
  reason: string;
  /** Index in the scanned buffer. */
  offset: number;
  /** Index of the bad tuple within its record, when a tuple is at fault. */
  tuple?: number;
}

export function malformed(reason: string, offset: number, tuple?: number): Malformed {
  return tuple === undefined ? { signal: 'malformed', reason, offset } : { signal: 'malformed', reason, offset, tuple };
}

export function isMalformed(e: unknown): e is Malformed {
  return typeof e === 'object' && e !== null && (e as Malformed).signal === 'malformed';
}

export const MAX_DEPTH = 64;

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;

/** Index of the first non-whitespace byte at or after `p`; throws NEED_MORE at `n`. */
export function skipWs(b: Uint8Array, p: number, n: number): number {
  while (p < n) {
    const c = b[p];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else return p;
  }
  throw NEED_MORE;
}

export function describeByte(c: number | undefined): string {
  if (c === undefined) return 'end of input';
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Expects byte `ch` after optional whitespace; returns the index after it. */
export function expectByte(b: Uint8Array, p: number, n: number, ch: number, what: string): number {
  p = skipWs(b, p, n);
  if (b[p] !== ch) throw malformed(`expected ${what}, found ${describeByte(b[p])}`, p);
  return p + 1;
}

/**
 * Scans a string starting at its opening quote. Returns the index after the closing quote;
 * `stringHasEscape` tells whether the content needs unescaping.
 */
export let stringHasEscape = false;
export function scanString(b: Uint8Array, p: number, n: number): number {
  if (b[p] !== QUOTE) throw malformed(`expected a string, found ${describeByte(b[p])}`, p);
  p++;
  let escaped = false;
  while (p < n) {
    const c = b[p];
    if (c === QUOTE) {
      stringHasEscape = escaped;
      return p + 1;
    }
    if (c === BACKSLASH) {
      escaped = true;
      p += 2;
      continue;
    }
    if (c < 0x20) throw malformed('control character inside a string', p);
    p++;
  }
  throw NEED_MORE;
}

// Fatal: bytes that are not UTF-8 are refused with their offset, never replaced by U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The JS string of the string token `b[s, e)` (quotes included). */
export function stringValue(b: Uint8Array, s: number, e: number, hasEscape: boolean): string {
  let text: string;
  try {
    text = utf8.decode(b.subarray(hasEscape ? s : s + 1, hasEscape ? e : e - 1));
  } catch {
    throw malformed('invalid UTF-8 in a string', s);
  }
  if (!hasEscape) return text;
  try {
    return JSON.parse(text) as string;
  } catch {
    throw malformed('invalid escape sequence in a string', s);
  }
}

const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function isNumberByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x45 || c === 0x65;
}

function scanNumber(b: Uint8Array, p: number, n: number): number {
  const s = p;
  while (p < n && isNumberByte(b[p])) {
    p++;
    if (p - s > 400) throw malformed('number too long', s);
  }
  if (p >= n) throw NEED_MORE;
  if (!NUMBER_RE.test(String.fromCharCode(...b.subarray(s, p)))) {
    throw malformed('invalid number', s);
  }
  return p;
}

function scanLiteral(b: Uint8Array, p: number, n: number, word: string): number {
  for (let i = 0; i < word.length; i++) {
    if (p + i >= n) throw NEED_MORE;
    if (b[p + i] !== word.charCodeAt(i)) throw malformed(`invalid literal, expected ${word}`, p);
  }
  return p + word.length;
}

/** Skips one JSON value starting at `p` (after whitespace); returns the index after it. */
export function skipValue(b: Uint8Array, p: number, n: number, depth = 0): number {
  p = skipWs(b, p, n);
  const c = b[p];
  if (c === QUOTE) return scanString(b, p, n);
  if (c === LBRACE || c === LBRACKET) {
    if (depth >= MAX_DEPTH) throw malformed('JSON nested too deeply', p);
    const close = c === LBRACE ? RBRACE : RBRACKET;
    p = skipWs(b, p + 1, n);
    if (b[p] === close) return p + 1;
    for (;;) {
      if (c === LBRACE) {
        p = scanString(b, skipWs(b, p, n), n);
        p = expectByte(b, p, n, COLON, "':'");
      }
      p = skipValue(b, p, n, depth + 1);
      p = skipWs(b, p, n);
      if (b[p] === COMMA) {
        p++;
        continue;
      }
      if (b[p] === close) return p + 1;
      throw malformed(`expected ',' or '${String.fromCharCode(close)}', found ${describeByte(b[p])}`, p);
    }
  }
  if (c === 0x74) return scanLiteral(b, p, n, 'true');
  if (c === 0x66) return scanLiteral(b, p, n, 'false');
  if (c === 0x6e) return scanLiteral(b, p, n, 'null');
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(b, p, n);
  throw malformed(`unexpected ${describeByte(c)}`, p);
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Where `parseValue` stopped. */
export let parseEnd = 0;

/** Parses one JSON value at `p` into JS values (slow path); `parseEnd` is the index after it. */
export function parseValue(b: Uint8Array, p: number, n: number, depth = 0): JsonValue {
  p = skipWs(b, p, n);
  const c = b[p];
  if (c === QUOTE) {
    const e = scanString(b, p, n);
    parseEnd = e;
    return stringValue(b, p, e, stringHasEscape);
  }
  if (c === LBRACE) {
    if (depth >= MAX_DEPTH) throw malformed('JSON nested too deeply', p);
    const obj: { [key: string]: JsonValue } = {};
    p = skipWs(b, p + 1, n);
    if (b[p] === RBRACE) {
      parseEnd = p + 1;
      return obj;
    }
    for (;;) {
      p = skipWs(b, p, n);
      const ke = scanString(b, p, n);
      const key = stringValue(b, p, ke, stringHasEscape);
      p = expectByte(b, ke, n, COLON, "':'");
      const value = parseValue(b, p, n, depth + 1);
      p = parseEnd;
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
      } else {
        obj[key] = value;
      }
      p = skipWs(b, p, n);
      if (b[p] === COMMA) {
        p++;
        continue;
      }
      if (b[p] === RBRACE) {
        parseEnd = p + 1;
        return obj;
      }
      throw malformed(`expected ',' or '}', found ${describeByte(b[p])}`, p);
    }
  }
  if (c === LBRACKET) {
    if (depth >= MAX_DEPTH) throw malformed('JSON nested too deeply', p);
    const arr: JsonValue[] = [];
    p = skipWs(b, p + 1, n);
    if (b[p] === RBRACKET) {
      parseEnd = p + 1;
      return arr;
    }
    for (;;) {
      arr.push(parseValue(b, p, n, depth + 1));
      p = skipWs(b, parseEnd, n);
      if (b[p] === COMMA) {
        p++;
        continue;
      }
      if (b[p] === RBRACKET) {
        parseEnd = p + 1;
        return arr;
      }
      throw malformed(`expected ',' or ']', found ${describeByte(b[p])}`, p);
    }
  }
  if (c === 0x74) {
    parseEnd = scanLiteral(b, p, n, 'true');
    return true;
  }
  if (c === 0x66) {
    parseEnd = scanLiteral(b, p, n, 'false');
    return false;
  }
  if (c === 0x6e) {
    parseEnd = scanLiteral(b, p, n, 'null');
    return null;
  }
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    const e = scanNumber(b, p, n);
    parseEnd = e;
    return Number(String.fromCharCode(...b.subarray(p, e)));
  }
  throw malformed(`unexpected ${describeByte(c)}`, p);
}
