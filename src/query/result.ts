import type { KustoType } from './kql/schema.js';

/**
 * Values as KQL users expect them, whichever engine produced them: datetimes as ISO-8601 UTC
 * strings, timespans as microseconds (number), bools as booleans, 64-bit integers as numbers
 * when exact (else decimal strings), arrays as arrays.
 */
export function normalizeValue(value: unknown, type: KustoType | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  switch (type) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string') return value === 'true' || value === '1';
      return Boolean(value);
    case 'datetime':
      return normalizeDatetime(value);
    case 'int':
    case 'long':
    case 'real':
    case 'timespan':
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const n = Number(value);
        if (type === 'real') return n;
        return Number.isSafeInteger(n) ? n : value;
      }
      return Number(String(value));
    case 'dynamic': {
      const arr = toArray(value);
      return arr ? arr.map((v) => normalizeValue(v, guessType(v))) : String(value);
    }
    case 'string':
    case 'guid':
      return typeof value === 'string' ? value : String(value);
    default:
      // Untyped (SQL pass-through) timestamps print as ISO 8601 UTC, as the typed path does.
      if (value instanceof Date) return normalizeDatetime(value);
      return typeof value === 'object' ? String(value) : value;
  }
}

function guessType(v: unknown): KustoType | undefined {
  if (typeof v === 'bigint') return 'long';
  return undefined;
}

function toArray(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  if (value && typeof value === 'object' && 'items' in value && Array.isArray((value as { items: unknown }).items)) {
    return (value as { items: unknown[] }).items;
  }
  return null;
}

export function normalizeDatetime(value: unknown): string | null {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else {
    const s = String(value).trim();
    if (!s) return null;
    // "2024-01-02 03:04:05[.ffffff]" from both engines, always UTC here.
    const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00(:?00)?)?$/.exec(s);
    if (!m) return s;
    ms = Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ''}Z`);
  }
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso;
}
