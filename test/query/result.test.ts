import { describe, expect, it } from 'vitest';
import { normalizeValue } from '../../src/query/result.js';

describe('result values', () => {
  it('prints untyped timestamps from SQL pass-through as ISO 8601 UTC', () => {
    expect(normalizeValue(new Date(Date.UTC(2023, 8, 1, 0, 0, 18, 301)), undefined)).toBe('2023-09-01T00:00:18.301Z');
    expect(normalizeValue(new Date(Date.UTC(2023, 8, 1)), undefined)).toBe('2023-09-01T00:00:00Z');
  });

  it('keeps big integers exact', () => {
    expect(normalizeValue(2n ** 60n + 1n, undefined)).toBe('1152921504606846977');
    expect(normalizeValue(42n, undefined)).toBe(42);
  });
});
